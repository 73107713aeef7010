//! "Admin > Audit Log" (the workspace's audit log, for its admins) and "Instance >
//! Audit Log" (the events of no workspace, for instance admins): one page with
//! filters and paging, and its CSV export.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::authority::{self, InstanceAdmin, WorkspaceAdmin};
use crate::domain::lifetime::readable_detail;
use crate::domain::Timestamp;
use crate::services::audit_log::{self, Action, AuditRow, FilterInput, LogScope};
use crate::state::AppState;

use super::list::{percent_encode, Choice};
use super::{render, CurrentUser, Layout, PageError};

/// Where each view lives.
struct View {
    page: &'static str,
    csv: &'static str,
    breadcrumb: &'static str,
}

const WORKSPACE_VIEW: View = View {
    page: "/admin/audit-log",
    csv: "/admin/audit-log.csv",
    breadcrumb: "Admin",
};

const INSTANCE_VIEW: View = View {
    page: "/instance/audit-log",
    csv: "/instance/audit-log.csv",
    breadcrumb: "Instance",
};
/// Events per page.
const PER_PAGE: i64 = 50;

/// The filters and page as the query string carries them; blank means "any".
#[derive(Debug, Default, Deserialize)]
pub struct AuditLogQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

impl AuditLogQuery {
    fn filter_input(&self) -> FilterInput<'_> {
        FilterInput {
            action: &self.action,
            actor: &self.user,
            target: &self.target,
            from: &self.from,
            to: &self.to,
        }
    }

    /// The page asked for: the first when it is missing or not a number.
    fn page_number(&self) -> i64 {
        self.page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 1_000_000)
    }

    /// The query string of these filters, with `page` when given.
    fn link(&self, base: &str, page: Option<i64>) -> String {
        let mut q = url_pairs(&[
            ("action", &self.action),
            ("user", &self.user),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ]);
        if let Some(p) = page {
            q.push(format!("page={p}"));
        }
        if q.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", q.join("&"))
        }
    }
}

fn url_pairs(pairs: &[(&str, &String)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encode(v.trim())))
        .collect()
}

/// One row as shown.
struct EventRow {
    when: String,
    who: String,
    action: String,
    action_name: String,
    target: String,
    detail: String,
    address: String,
}

impl From<AuditRow> for EventRow {
    fn from(r: AuditRow) -> Self {
        let target = match (r.target_name, r.target_id) {
            (Some(name), _) => name,
            (None, Some(id)) => id,
            (None, None) => String::new(),
        };
        EventRow {
            when: Timestamp::from_millis(r.occurred_at).to_display(),
            who: r.actor_name.unwrap_or_else(|| "—".to_owned()),
            action: audit_log::action_label(&r.action).to_owned(),
            action_name: r.action,
            target,
            detail: r
                .detail
                .as_deref()
                .map(|d| readable_detail(d).into_owned())
                .unwrap_or_default(),
            address: r.address.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit_log.html")]
struct AuditLogPage {
    layout: Layout,
    breadcrumb: &'static str,
    base: &'static str,
    /// `None` on the instance's view.
    workspace_name: Option<String>,
    actions: Vec<Choice>,
    user: String,
    target: String,
    from: String,
    to: String,
    filter_error: Option<String>,
    rows: Vec<EventRow>,
    first: i64,
    last: i64,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
    csv: String,
}

/// The query string, judged after sign-in and role (hence taken as a `Result`).
fn read_query(
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<AuditLogQuery, PageError> {
    query
        .map(web::Query::into_inner)
        .map_err(|e| PageError::BadRequest(format!("The filters could not be read: {e}")))
}

/// Admin > Audit Log: the events of the admin's workspace.
pub async fn show(
    admin: WorkspaceAdmin<CurrentUser, authority::AuditLog>,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    let scope = LogScope::Workspace(&admin.admin);
    let ws = Some(admin.principal.workspace_name.clone());
    show_in(&admin.caller, &state, scope, ws, &WORKSPACE_VIEW, query).await
}

/// Instance > Audit Log: the events of no workspace, for instance admins.
pub async fn show_instance(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    let scope = LogScope::Instance(&admin.admin);
    show_in(&admin.caller, &state, scope, None, &INSTANCE_VIEW, query).await
}

async fn show_in(
    user: &CurrentUser,
    state: &AppState,
    scope: LogScope<'_>,
    workspace_name: Option<String>,
    view: &View,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    let q = read_query(query)?;
    let page_no = q.page_number();
    let found = find(state, scope, &q, page_no).await?;
    let first = (page_no - 1) * PER_PAGE + 1;
    let last = first + found.rows.len() as i64 - 1;
    let page = AuditLogPage {
        layout: Layout::for_user(user)?,
        breadcrumb: view.breadcrumb,
        base: view.page,
        workspace_name,
        actions: action_choices(Action::parse(q.action.trim())),
        filter_error: found.filter_error,
        rows: found.rows.into_iter().map(EventRow::from).collect(),
        first,
        last,
        total: found.total,
        prev: (page_no > 1).then(|| q.link(view.page, Some(page_no - 1))),
        next: (last < found.total).then(|| q.link(view.page, Some(page_no + 1))),
        csv: q.link(view.csv, None),
        user: q.user,
        target: q.target,
        from: q.from,
        to: q.to,
    };
    render(found.status, &page)
}

/// The events a page shows, or why its filters were refused (400, no events).
struct Found {
    status: StatusCode,
    rows: Vec<AuditRow>,
    total: i64,
    filter_error: Option<String>,
}

/// The events of page `page_no` that `q`'s filters select in `scope`.
async fn find(
    state: &AppState,
    scope: LogScope<'_>,
    q: &AuditLogQuery,
    page_no: i64,
) -> Result<Found, PageError> {
    Ok(match audit_log::parse_filter(&q.filter_input()) {
        Ok(filter) => {
            let offset = (page_no - 1) * PER_PAGE;
            let found = audit_log::list(&state.pool, scope, filter, PER_PAGE, offset).await?;
            Found {
                status: StatusCode::OK,
                rows: found.rows,
                total: found.total,
                filter_error: None,
            }
        }
        Err(e) => Found {
            status: StatusCode::BAD_REQUEST,
            rows: Vec::new(),
            total: 0,
            filter_error: Some(e.message),
        },
    })
}

/// The action filter's options, `selected` selected.
fn action_choices(selected: Option<Action>) -> Vec<Choice> {
    Action::ALL
        .into_iter()
        .map(|a| Choice {
            value: a.as_str(),
            label: audit_log::action_label(a.as_str()),
            selected: Some(a) == selected,
        })
        .collect()
}

/// The matching events of the workspace as a CSV file (at most
/// `audit_log::MAX_EXPORT_ROWS`).
pub async fn export(
    admin: WorkspaceAdmin<CurrentUser, authority::AuditLog>,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    export_in(
        &state,
        LogScope::Workspace(&admin.admin),
        "audit-log.csv",
        query,
    )
    .await
}

/// The matching events of no workspace as a CSV file, for instance admins.
pub async fn export_instance(
    admin: InstanceAdmin<CurrentUser>,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    let scope = LogScope::Instance(&admin.admin);
    export_in(&state, scope, "instance-audit-log.csv", query).await
}

async fn export_in(
    state: &AppState,
    scope: LogScope<'_>,
    file_name: &str,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    let query = read_query(query)?;
    let filter = audit_log::parse_filter(&query.filter_input())
        .map_err(|e| PageError::BadRequest(e.message))?;
    let body = audit_log::export_csv(&state.pool, scope, filter).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(r#"attachment; filename="{file_name}""#),
        ))
        .body(body))
}
