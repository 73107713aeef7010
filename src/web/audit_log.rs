//! "Admin > Audit Log": the workspace's audit log with filters and paging, and its
//! CSV export, for its admins.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::audit::Action;
use crate::audit_log::{self, AuditLogError, FilterInput};
use crate::domain::Timestamp;
use crate::models::audit::AuditRow;
use crate::startup::AppState;

use super::{render, CurrentUser, Layout, PageError};

const PAGE: &str = "/admin/audit-log";
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

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
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
            detail: r.detail.unwrap_or_default(),
            address: r.address.unwrap_or_default(),
        }
    }
}

/// An action in the filter's select.
struct ActionChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "audit_log.html")]
struct AuditLogPage {
    layout: Layout,
    workspace_name: String,
    actions: Vec<ActionChoice>,
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

impl From<AuditLogError> for PageError {
    fn from(e: AuditLogError) -> Self {
        match e {
            AuditLogError::NotAdmin => PageError::Forbidden(e.to_string()),
            AuditLogError::Db(e) => e.into(),
        }
    }
}

/// The query string, judged after sign-in and role (hence taken as a `Result`).
fn read_query(
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<AuditLogQuery, PageError> {
    query
        .map(web::Query::into_inner)
        .map_err(|e| PageError::BadRequest(format!("The filters could not be read: {e}")))
}

pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    if !user.principal.is_admin() {
        return Err(AuditLogError::NotAdmin.into());
    }
    let q = read_query(query)?;
    let page_no = q
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let (status, rows, total, filter_error) = match audit_log::parse_filter(&q.filter_input()) {
        Ok(filter) => {
            let offset = (page_no - 1) * PER_PAGE;
            let found =
                audit_log::list(&state.pool, &user.principal, filter, PER_PAGE, offset).await?;
            (StatusCode::OK, found.rows, found.total, None)
        }
        Err(e) => (StatusCode::BAD_REQUEST, Vec::new(), 0, Some(e.message)),
    };
    let first = (page_no - 1) * PER_PAGE + 1;
    let last = first + rows.len() as i64 - 1;
    let selected = Action::parse(q.action.trim());
    let page = AuditLogPage {
        layout: Layout::for_user(&user)?,
        workspace_name: user.principal.workspace_name.clone(),
        actions: Action::ALL
            .into_iter()
            .map(|a| ActionChoice {
                value: a.as_str(),
                label: audit_log::action_label(a.as_str()),
                selected: Some(a) == selected,
            })
            .collect(),
        filter_error,
        rows: rows.into_iter().map(EventRow::from).collect(),
        first,
        last,
        total,
        prev: (page_no > 1).then(|| q.link(PAGE, Some(page_no - 1))),
        next: (last < total).then(|| q.link(PAGE, Some(page_no + 1))),
        csv: q.link("/admin/audit-log.csv", None),
        user: q.user,
        target: q.target,
        from: q.from,
        to: q.to,
    };
    render(status, &page)
}

/// The matching events as a CSV file (at most `audit_log::MAX_EXPORT_ROWS`).
pub async fn export(
    user: CurrentUser,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditLogQuery>, actix_web::Error>,
) -> Result<HttpResponse, PageError> {
    if !user.principal.is_admin() {
        return Err(AuditLogError::NotAdmin.into());
    }
    let query = read_query(query)?;
    let filter = audit_log::parse_filter(&query.filter_input())
        .map_err(|e| PageError::BadRequest(e.message))?;
    let body = audit_log::export_csv(&state.pool, &user.principal, filter).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            r#"attachment; filename="audit-log.csv""#,
        ))
        .body(body))
}
