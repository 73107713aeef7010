//! `/admin/oauth-tokens`: Admin > OAuth 2.0 API Tokens, every OAuth API token of the
//! workspace with its owner; filters, sorting, paging, and disabling or deleting
//! one or many (asked first, in a dialog or, without JavaScript, on a page).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::authority::{ActingAdmin, Tokens, WorkspaceAdmin};
use crate::domain::grant_query::{status_value, GrantIds, GrantQuery, RawGrantQuery};
use crate::domain::oauth::{GrantId, GrantStatus};
use crate::domain::token_query::{SortKey, SortOrder};
use crate::services::oauth::manage::Scope;
use crate::state::AppState;

use super::admin_tokens::{
    order_choices, percent_encode, showing, sort_choices, sort_heading, Choice, SortHeading,
};
use super::oauth_tokens::{self as own, Action, OAuthRow, Selection};
use super::{check_csrf, render, see_other, BackPath, CurrentUser, Layout, PageError};

const PAGE: &str = "/admin/oauth-tokens";
const BREADCRUMB: &str = "Admin > OAuth 2.0 API Tokens";

#[derive(Template)]
#[template(path = "admin_oauth_tokens.html")]
struct AdminOAuthPage {
    layout: Layout,
    rows: Vec<OAuthRow>,
    owner: String,
    name: String,
    statuses: Vec<Choice>,
    sorts: Vec<Choice>,
    orders: Vec<Choice>,
    sort_owner: SortHeading,
    sort_created: SortHeading,
    sort_expires: SortHeading,
    sort_last_used: SortHeading,
    showing: String,
    prev: Option<String>,
    next: Option<String>,
    here: String,
    filtered: bool,
    base: &'static str,
    disable_warning: &'static str,
    delete_warning: &'static str,
}

/// The page's query string.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    owner: Option<String>,
    name: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    page: Option<String>,
}

#[derive(Deserialize)]
pub struct OneForm {
    #[serde(default)]
    csrf_token: String,
    /// Refused (400) as the form is read when it is not a path on this site.
    #[serde(default)]
    back: BackPath,
}

/// The admin's OAuth tokens page.
pub async fn list(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let parsed = GrantQuery::parse(&RawGrantQuery {
        owner: query.owner.as_deref(),
        status: query.status.as_deref(),
        name: query.name.as_deref(),
        sort: query.sort.as_deref(),
        order: query.order.as_deref(),
    })
    .map_err(|e| PageError::BadRequest(e.to_string()))?
    .with_page(query.page.as_deref());
    let found = state
        .oauth
        .list_workspace(&state.pool, &admin, parsed.clone())
        .await?;
    let rows = own::rows(&found.grants, true, found.now);
    let page = AdminOAuthPage::new(Layout::for_user(&user)?, rows, &parsed, found.total);
    render(StatusCode::OK, &page)
}

/// One token of the workspace, whoever owns it, or 404.
async fn workspace_grant(
    admin: &ActingAdmin,
    state: &AppState,
    raw: &str,
) -> Result<crate::models::oauth::OwnedGrant, PageError> {
    let id: GrantId = raw.parse().map_err(|()| PageError::NotFound)?;
    state
        .oauth
        .find(
            &state.pool,
            admin,
            Scope::Workspace(admin),
            GrantIds::one(id),
        )
        .await?
        .into_iter()
        .next()
        .ok_or(PageError::NotFound)
}

/// A row menu's Disable or Delete: the confirmation, as a page of its own.
pub async fn confirm_one(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_action) = path.into_inner();
    let action = Action::parse(&raw_action).ok_or(PageError::NotFound)?;
    let found = workspace_grant(&admin, &state, &raw_id).await?;
    let id = found.grant.id;
    let page = own::ConfirmPage::new(
        Layout::for_user(&user)?,
        BREADCRUMB,
        action,
        own::rows(&[found], true, state.oauth.now()),
        true,
        format!("{PAGE}/{id}/{}", action.as_str()),
        false,
        PAGE.to_owned(),
    );
    render(StatusCode::OK, &page)
}

/// Disables or deletes one token of the workspace, whoever owns it.
pub async fn act_one(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<OneForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let (raw_id, raw_action) = path.into_inner();
    let action = Action::parse(&raw_action).ok_or(PageError::NotFound)?;
    let found = workspace_grant(&admin, &state, &raw_id).await?;
    let ids = GrantIds::one(found.grant.id);
    own::apply(&user, &state, Scope::Workspace(&admin), action, ids).await?;
    let (name, owner) = (&found.grant.name, &found.owner_username);
    user.session.set_flash(&match action {
        Action::Disable => format!("{owner}'s token \u{201c}{name}\u{201d} disabled."),
        Action::Delete => format!("{owner}'s token \u{201c}{name}\u{201d} deleted."),
    })?;
    Ok(see_other(form.back.within(PAGE)))
}

/// The checkboxes' Disable and Delete: asks first, then acts on the selected tokens
/// of the workspace.
pub async fn selected(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map_or("", |(_, v)| v.as_str());
    check_csrf(&user.session, csrf)?;
    let selection = Selection::read(&form)?;
    let back = selection.back.within(PAGE).to_owned();
    let Some(ids) = selection.ids else {
        user.session.set_flash("Select at least one token first.")?;
        return Ok(see_other(&back));
    };
    if !selection.confirmed {
        let found = state
            .oauth
            .find(&state.pool, &admin, Scope::Workspace(&admin), ids)
            .await?;
        let page = own::ConfirmPage::new(
            Layout::for_user(&user)?,
            BREADCRUMB,
            selection.action,
            own::rows(&found, true, state.oauth.now()),
            true,
            format!("{PAGE}/selected"),
            true,
            back,
        );
        return render(StatusCode::OK, &page);
    }
    let said = own::apply(
        &user,
        &state,
        Scope::Workspace(&admin),
        selection.action,
        ids,
    )
    .await?;
    user.session.set_flash(&said)?;
    Ok(see_other(&back))
}

const STATUSES: [GrantStatus; 3] = [
    GrantStatus::Active,
    GrantStatus::Disabled,
    GrantStatus::Expired,
];

impl AdminOAuthPage {
    fn new(layout: Layout, rows: Vec<OAuthRow>, q: &GrantQuery, total: i64) -> Self {
        let shown = rows.len() as i64;
        let page = q.page();
        let url = |sort, order, page| page_url(q, sort, order, page);
        let heading = |key| sort_heading(q.sort, q.order, key, |s, o| url(s, o, 1));
        AdminOAuthPage {
            layout,
            rows,
            owner: q.owner.clone().unwrap_or_default(),
            name: q.name.clone().unwrap_or_default(),
            statuses: STATUSES
                .into_iter()
                .map(|s| Choice {
                    value: status_value(s),
                    label: s.label(),
                    selected: q.status == Some(s),
                })
                .collect(),
            sorts: sort_choices(q.sort),
            orders: order_choices(q.order),
            sort_owner: heading(SortKey::Owner),
            sort_created: heading(SortKey::Created),
            sort_expires: heading(SortKey::Expires),
            sort_last_used: heading(SortKey::LastUsed),
            showing: showing(q.offset, shown, total),
            prev: (page > 1).then(|| url(q.sort, q.order, page - 1)),
            next: (q.offset + shown < total).then(|| url(q.sort, q.order, page + 1)),
            here: url(q.sort, q.order, page),
            filtered: q.owner.is_some() || q.name.is_some() || q.status.is_some(),
            base: PAGE,
            disable_warning: own::DISABLE_WARNING,
            delete_warning: own::DELETE_WARNING,
        }
    }
}

/// This page's address with the same filters, sorted by `sort`/`order`, at `page`.
fn page_url(q: &GrantQuery, sort: SortKey, order: SortOrder, page: i64) -> String {
    let mut url = format!("{PAGE}?sort={}&order={}", sort.as_str(), order.as_str());
    for (name, value) in [("owner", &q.owner), ("name", &q.name)] {
        if let Some(v) = value {
            url.push_str(&format!("&{name}={}", percent_encode(v)));
        }
    }
    if let Some(status) = q.status {
        url.push_str("&status=");
        url.push_str(status_value(status));
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_stays_on_this_page() {
        let back = |raw| BackPath::parse(raw).unwrap().within(PAGE).to_owned();
        assert_eq!(
            back("/admin/oauth-tokens?page=2"),
            "/admin/oauth-tokens?page=2"
        );
        assert_eq!(back("/admin/oauth-tokensX"), PAGE);
        assert!(BackPath::parse("https://evil.example/").is_err());
    }

    #[test]
    fn links_keep_the_filters() {
        let q = GrantQuery {
            owner: Some("a b".into()),
            name: Some("ci&cd".into()),
            status: Some(GrantStatus::Disabled),
            ..GrantQuery::default()
        };
        assert_eq!(
            page_url(&q, SortKey::Owner, SortOrder::Asc, 2),
            "/admin/oauth-tokens?sort=owner&order=asc&owner=a%20b&name=ci%26cd&status=disabled&page=2"
        );
    }
}
