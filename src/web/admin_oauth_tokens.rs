//! `/admin/oauth-tokens`: Admin > OAuth 2.0 API Tokens, every OAuth API token of the
//! workspace with its owner; filters, sorting, paging, and disabling or deleting
//! one or many (asked first, in a dialog or, without JavaScript, on a page).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::authority::{ActingAdmin, Tokens, WorkspaceAdmin};
use crate::domain::grant_query::{status_value, GrantQuery};
use crate::domain::oauth::GrantStatus;
use crate::services::oauth::{GrantPage, Scope};
use crate::services::tokens;
use crate::state::AppState;

use super::forms::CsrfAndBack;
use super::list::{
    owner_filter, Choice, ListPosition, ListQuery, ListView, ScopeFilter, TextFilter,
};
use super::oauth_actions::{self as actions, OAuthRow, TokenList, DELETE_WARNING, DISABLE_WARNING};
use super::{check_csrf, render, CurrentUser, Layout, PageError};

const PAGE: &str = "/admin/oauth-tokens";

/// Every token of the admin's workspace, as the Disable and Delete actions reach
/// them.
fn workspace(admin: &ActingAdmin) -> TokenList<'_> {
    TokenList {
        scope: Scope::Workspace(admin),
        page: PAGE,
        breadcrumb: "Admin > OAuth 2.0 API Tokens",
    }
}

#[derive(Template)]
#[template(path = "admin_oauth_tokens.html")]
struct AdminOAuthPage {
    layout: Layout,
    rows: Vec<OAuthRow>,
    list: ListView,
    base: &'static str,
    disable_warning: &'static str,
    delete_warning: &'static str,
}

/// The admin's OAuth tokens page.
pub async fn list(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let defined = tokens::service_scopes(&state.pool, &admin).await?;
    let (parsed, scope) = query.grants(&defined)?;
    let refused = scope.error.is_some();
    let found = if refused {
        // As on Admin > Access Tokens: nothing, 400, said beside the filter.
        GrantPage::nothing(state.oauth.now())
    } else {
        let listed = state
            .oauth
            .list_workspace(&state.pool, &admin, parsed.clone());
        listed.await?
    };
    let rows = actions::rows(&found.grants, true, found.now);
    let page = AdminOAuthPage {
        layout: Layout::for_user(&user)?,
        list: list_view(&parsed, scope, rows.len() as i64, found.total),
        rows,
        base: PAGE,
        disable_warning: DISABLE_WARNING,
        delete_warning: DELETE_WARNING,
    };
    let status = if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
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
    actions::confirm_one(&user, &state, &workspace(&admin), path.into_inner()).await
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
    form: web::Form<CsrfAndBack>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let list = workspace(&admin);
    actions::act_on_one(&user, &state, &list, path.into_inner(), &form.back).await
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
    actions::act_on_selection(&user, &state, &workspace(&admin), &form).await
}

const STATUSES: [GrantStatus; 3] = [
    GrantStatus::Active,
    GrantStatus::Disabled,
    GrantStatus::Expired,
];

/// Where the page `q` asks for stands: its filters, sort and page.
fn position(q: &GrantQuery) -> ListPosition {
    let mut filters = Vec::new();
    for (name, value) in [("owner", &q.owner), ("name", &q.name)] {
        if let Some(v) = value {
            filters.push((name, v.clone()));
        }
    }
    if let Some(status) = q.status {
        filters.push(("status", status_value(status).to_owned()));
    }
    if let Some(scope) = &q.scope {
        filters.push(("scope", scope.to_string()));
    }
    ListPosition {
        base: PAGE,
        filters,
        sort: q.sort,
        order: q.order,
        offset: q.offset,
        page: q.page(),
    }
}

/// The filter form, headings, counts and links of the page `q` asks for, which
/// shows `shown` of `total` tokens.
fn list_view(q: &GrantQuery, scope: ScopeFilter, shown: i64, total: i64) -> ListView {
    let name = TextFilter {
        name: "name",
        label: "Name",
        placeholder: "Contains",
        value: q.name.clone().unwrap_or_default(),
    };
    let statuses = STATUSES
        .into_iter()
        .map(|s| Choice {
            value: status_value(s),
            label: s.label(),
            selected: q.status == Some(s),
        })
        .collect();
    let filters = vec![owner_filter(&q.owner), name];
    ListView::new(&position(q), filters, statuses, scope, (shown, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token_query::{SortKey, SortOrder};
    use crate::web::BackPath;

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
            sort: SortKey::Owner,
            order: SortOrder::Asc,
            ..GrantQuery::default()
        };
        assert_eq!(
            position(&q).url(SortKey::Owner, SortOrder::Asc, 2),
            "/admin/oauth-tokens?sort=owner&order=asc&owner=a%20b&name=ci%26cd&status=disabled&page=2"
        );
    }
}
