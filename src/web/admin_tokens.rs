//! `/admin/access-tokens`: Admin > Access Tokens, every token of the workspace with
//! its owner; filters, sorting, paging, and deleting one or many (with a
//! confirmation that names the count, as a dialog or, without JavaScript, a page).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::authority::{Tokens, WorkspaceAdmin};
use crate::domain::token_query::{
    self, RawTokenQuery, SortKey, SortOrder, StatusFilter, TokenQuery, MAX_BULK_DELETE,
};
use crate::domain::{Timestamp, TokenId, TokenStatus};
use crate::models::token::OwnedToken;
use crate::services::admin_tokens;
use crate::state::AppState;

use super::{check_csrf, render, see_other, BackPath, CurrentUser, Layout, PageError};

const PAGE: &str = "/admin/access-tokens";

/// One row of the table, formatted for display.
struct AdminRow {
    id: String,
    owner: String,
    description: String,
    status: &'static str,
    status_class: &'static str,
    expires_soon: bool,
    created: String,
    expires: String,
    last_used: String,
}

impl AdminRow {
    fn new(owned: &OwnedToken, now: Timestamp) -> Self {
        let t = &owned.token;
        let status = TokenStatus::at(t.expires_at, now);
        AdminRow {
            id: t.id.to_string(),
            owner: owned.owner_username.clone(),
            description: t
                .description
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            status: status.label(),
            status_class: match status {
                TokenStatus::Active => "active",
                TokenStatus::Expired => "expired",
            },
            expires_soon: token_query::expires_soon(t.expires_at, now),
            created: t.created_at.to_display(),
            expires: t
                .expires_at
                .map_or_else(|| "Never".to_owned(), Timestamp::to_display),
            last_used: t
                .last_used_at
                .map_or_else(|| "Never Used".to_owned(), Timestamp::to_display),
        }
    }
}

/// An `<option>` of a filter (also on Admin > OAuth 2.0 API Tokens).
pub(super) struct Choice {
    pub(super) value: &'static str,
    pub(super) label: &'static str,
    pub(super) selected: bool,
}

/// A sortable column heading: its link, and whether (and how) it sorts now.
pub(super) struct SortHeading {
    pub(super) label: &'static str,
    pub(super) href: String,
    /// `aria-sort`: `ascending`, `descending` or `none`.
    pub(super) aria_sort: &'static str,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct AdminTokensPage {
    layout: Layout,
    rows: Vec<AdminRow>,
    owner: String,
    statuses: Vec<Choice>,
    sorts: Vec<Choice>,
    orders: Vec<Choice>,
    sort_owner: SortHeading,
    sort_created: SortHeading,
    sort_expires: SortHeading,
    sort_last_used: SortHeading,
    /// "Showing 1–50 of 3,214", or empty when nothing matches.
    showing: String,
    prev: Option<String>,
    next: Option<String>,
    /// This page's own address, to come back to after a delete.
    here: String,
    filtered: bool,
}

#[derive(Template)]
#[template(path = "admin_tokens_delete.html")]
struct ConfirmPage {
    layout: Layout,
    rows: Vec<AdminRow>,
    /// "Delete 3 tokens?"
    question: String,
    back: String,
}

/// The page's query string.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    owner: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    page: Option<String>,
}

#[derive(Deserialize)]
pub struct DeleteOneForm {
    #[serde(default)]
    csrf_token: String,
    /// Refused (400) as the form is read when it is not a path on this site.
    #[serde(default)]
    back: BackPath,
}

/// The admin's tokens page.
pub async fn list(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Tokens>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let parsed = TokenQuery::parse(&RawTokenQuery {
        owner: query.owner.as_deref(),
        status: query.status.as_deref(),
        sort: query.sort.as_deref(),
        order: query.order.as_deref(),
    })
    .map_err(|e| PageError::BadRequest(e.to_string()))?
    .with_page(query.page.as_deref());
    let found = admin_tokens::list(&state.pool, &admin, parsed.clone(), state.clock.now()).await?;
    let rows = found
        .tokens
        .iter()
        .map(|t| AdminRow::new(t, found.now))
        .collect();
    let page = AdminTokensPage::new(Layout::for_user(&user)?, rows, &parsed, found.total);
    render(StatusCode::OK, &page)
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
    form: web::Form<DeleteOneForm>,
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
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    check_csrf(&user.session, field("csrf_token"))?;
    let back = BackPath::from_pairs(&form)?.within(PAGE).to_owned();
    let ids = selected_ids(&form)?;
    if ids.is_empty() {
        user.session
            .set_flash("Select at least one token to delete.")?;
        return Ok(see_other(&back));
    }
    if field("confirmed") != "yes" {
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
        rows: found.iter().map(|t| AdminRow::new(t, now)).collect(),
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

impl AdminTokensPage {
    fn new(layout: Layout, rows: Vec<AdminRow>, q: &TokenQuery, total: i64) -> Self {
        let shown = rows.len() as i64;
        let page = q.page();
        let url = |sort, order, page| page_url(q, sort, order, page);
        let heading = |key| sort_heading(q.sort, q.order, key, |s, o| url(s, o, 1));
        AdminTokensPage {
            layout,
            rows,
            owner: q.owner.clone().unwrap_or_default(),
            statuses: StatusFilter::ALL
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str(),
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
            filtered: q.owner.is_some() || q.status.is_some(),
        }
    }
}

/// "Showing 1–50 of 3,214", or nothing when nothing is shown.
pub(super) fn showing(offset: i64, shown: i64, total: i64) -> String {
    if shown == 0 {
        return String::new();
    }
    format!(
        "Showing {}–{} of {}",
        thousands(offset + 1),
        thousands(offset + shown),
        thousands(total)
    )
}

/// The "Sort by" options, `current` selected.
pub(super) fn sort_choices(current: SortKey) -> Vec<Choice> {
    SortKey::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: k.label(),
            selected: current == k,
        })
        .collect()
}

/// The "Order" options, `current` selected.
pub(super) fn order_choices(current: SortOrder) -> Vec<Choice> {
    [
        (SortOrder::Desc, "Descending"),
        (SortOrder::Asc, "Ascending"),
    ]
    .into_iter()
    .map(|(o, label)| Choice {
        value: o.as_str(),
        label,
        selected: current == o,
    })
    .collect()
}

/// The heading of the column `key` sorts by, on a page sorted by `sort`/`order`: a
/// link (made by `url`) that sorts by it, or, when it already does, in the other
/// direction.
pub(super) fn sort_heading(
    sort: SortKey,
    order: SortOrder,
    key: SortKey,
    url: impl Fn(SortKey, SortOrder) -> String,
) -> SortHeading {
    let current = key == sort;
    let next = if current {
        order.reversed()
    } else {
        key.default_order()
    };
    SortHeading {
        label: key.label(),
        href: url(key, next),
        aria_sort: match (current, order) {
            (false, _) => "none",
            (true, SortOrder::Asc) => "ascending",
            (true, SortOrder::Desc) => "descending",
        },
    }
}

/// This page's address with the same filters, sorted by `sort`/`order`, at `page`.
fn page_url(q: &TokenQuery, sort: SortKey, order: SortOrder, page: i64) -> String {
    let mut url = format!("{PAGE}?sort={}&order={}", sort.as_str(), order.as_str());
    if let Some(owner) = &q.owner {
        url.push_str("&owner=");
        url.push_str(&percent_encode(owner));
    }
    if let Some(status) = q.status {
        url.push_str("&status=");
        url.push_str(status.as_str());
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

/// Percent-encodes a query-string value (everything but RFC 3986 unreserved bytes).
pub(super) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `3214` as `3,214`.
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3214), "3,214");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn owners_are_encoded_in_links() {
        assert_eq!(percent_encode("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(percent_encode("jörg"), "j%C3%B6rg");
    }

    #[test]
    fn the_question_names_the_count() {
        assert_eq!(delete_question(1), "Delete 1 token?");
        assert_eq!(delete_question(3), "Delete 3 tokens?");
    }
}
