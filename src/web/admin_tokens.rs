//! `/admin/access-tokens`: Admin > Access Tokens, every token of the workspace with
//! its owner; filters, sorting, paging, and deleting one or many (with a
//! confirmation that names the count, as a dialog or, without JavaScript, a page).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::authority::{Tokens, WorkspaceAdmin};
use crate::domain::token_query::{StatusFilter, TokenQuery, MAX_BULK_DELETE};
use crate::domain::{Timestamp, TokenId};
use crate::services::admin_tokens::{self, OwnedToken, TokenPage};
use crate::services::tokens;
use crate::state::AppState;

use super::forms::field;
use super::forms::CsrfAndBack;
use super::list::{
    owner_filter, thousands, Choice, ListPosition, ListQuery, ListView, ScopeFilter,
};
use super::tokens::TokenRow;
use super::{check_csrf, render, see_other, BackPath, CurrentUser, Layout, PageError};

const PAGE: &str = "/admin/access-tokens";

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct AdminTokensPage<'a> {
    layout: Layout,
    rows: Vec<TokenRow<'a>>,
    list: ListView,
}

#[derive(Template)]
#[template(path = "admin_tokens_delete.html")]
struct ConfirmPage<'a> {
    layout: Layout,
    rows: Vec<TokenRow<'a>>,
    /// "Delete 3 tokens?"
    question: String,
    back: String,
}

/// The admin's tokens page.
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
    let (parsed, scope) = query.tokens(&defined)?;
    let (now, refused) = (state.clock.now(), scope.error.is_some());
    let found = if refused {
        // No token carries a scope the workspace does not have; 400, said beside
        // the filter.
        TokenPage::nothing(now)
    } else {
        admin_tokens::list(&state.pool, &admin, parsed.clone(), now).await?
    };
    let rows: Vec<TokenRow<'_>> = found
        .tokens
        .iter()
        .map(|t| TokenRow::owned(t, found.now))
        .collect();
    let list = list_view(&parsed, scope, rows.len() as i64, found.total);
    let layout = Layout::for_user(&user)?;
    let status = if refused {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &AdminTokensPage { layout, rows, list })
}

/// "Delete Token...": the confirmation as a page of its own, without JavaScript.
pub async fn confirm_delete_one(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: TokenId = path.parse().map_err(|_| PageError::NotFound)?;
    let found = admin_tokens::find(&state.pool, &admin, vec![id]).await?;
    if found.is_empty() {
        return Err(PageError::NotFound);
    }
    confirm_page(&user, &found, PAGE.to_owned(), state.clock.now())
}

/// Deletes one token of the workspace, whoever owns it.
pub async fn delete_one(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfAndBack>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let id: TokenId = path.parse().map_err(|_| PageError::NotFound)?;
    let deleted = admin_tokens::delete(
        &state.pool,
        &admin,
        user.address,
        vec![id],
        state.clock.now(),
    )
    .await?;
    if deleted.is_empty() {
        return Err(PageError::NotFound);
    }
    user.session.set_flash(&format!("Token {id} deleted."))?;
    Ok(see_other(form.back.within(PAGE)))
}

/// "Delete selected": without `confirmed=yes`, the confirmation naming the count;
/// with it, the deletion. The form repeats `token_id`, so it is read as pairs.
pub async fn delete_selected(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, field(&form, "csrf_token"))?;
    let back = BackPath::from_pairs(&form)?.within(PAGE).to_owned();
    let ids = selected_ids(&form)?;
    if ids.is_empty() {
        user.session
            .set_flash("Select at least one token to delete.")?;
        return Ok(see_other(&back));
    }
    if field(&form, "confirmed") != "yes" {
        let found = admin_tokens::find(&state.pool, &admin, ids).await?;
        return confirm_page(&user, &found, back, state.clock.now());
    }
    let deleted =
        admin_tokens::delete(&state.pool, &admin, user.address, ids, state.clock.now()).await?;
    user.session.set_flash(&match deleted.len() {
        1 => "Deleted 1 token.".to_owned(),
        n => format!("Deleted {n} tokens."),
    })?;
    Ok(see_other(&back))
}

/// The distinct `token_id` values of the form, parsed.
fn selected_ids(form: &[(String, String)]) -> Result<Vec<TokenId>, PageError> {
    let mut ids = Vec::new();
    for (_, raw) in form.iter().filter(|(k, _)| k == "token_id") {
        let id: TokenId = raw
            .parse()
            .map_err(|e: crate::domain::token::TokenIdError| {
                PageError::BadRequest(e.to_string())
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() > MAX_BULK_DELETE {
            return Err(PageError::BadRequest(format!(
                "At most {MAX_BULK_DELETE} tokens can be deleted at once."
            )));
        }
    }
    Ok(ids)
}

fn confirm_page(
    user: &CurrentUser,
    found: &[OwnedToken],
    back: String,
    now: Timestamp,
) -> Result<HttpResponse, PageError> {
    let page = ConfirmPage {
        layout: Layout::for_user(user)?,
        question: delete_question(found.len()),
        rows: found.iter().map(|t| TokenRow::owned(t, now)).collect(),
        back,
    };
    render(StatusCode::OK, &page)
}

/// "Delete 1 token?" / "Delete 3 tokens?"
fn delete_question(n: usize) -> String {
    match n {
        1 => "Delete 1 token?".to_owned(),
        n => format!("Delete {} tokens?", thousands(n as i64)),
    }
}

/// Where the page `q` asks for stands: its filters, sort and page.
fn position(q: &TokenQuery) -> ListPosition {
    let mut filters = Vec::new();
    if let Some(owner) = &q.owner {
        filters.push(("owner", owner.clone()));
    }
    if let Some(status) = q.status {
        filters.push(("status", status.as_str().to_owned()));
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
fn list_view(q: &TokenQuery, scope: ScopeFilter, shown: i64, total: i64) -> ListView {
    let statuses = StatusFilter::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: s.label(),
            selected: q.status == Some(s),
        })
        .collect();
    let filters = vec![owner_filter(&q.owner)];
    ListView::new(&position(q), filters, statuses, scope, (shown, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token_query::{SortKey, SortOrder};

    #[test]
    fn the_question_names_the_count() {
        assert_eq!(delete_question(1), "Delete 1 token?");
        assert_eq!(delete_question(3), "Delete 3 tokens?");
    }

    #[test]
    fn links_keep_the_filters() {
        let q = TokenQuery {
            owner: Some("a b".into()),
            status: Some(StatusFilter::ExpiresSoon),
            ..TokenQuery::default()
        };
        assert_eq!(
            position(&q).url(SortKey::Owner, SortOrder::Asc, 2),
            "/admin/access-tokens?sort=owner&order=asc&owner=a%20b&status=expiresSoon&page=2"
        );
    }
}
