//! Disable and Delete of OAuth 2.0 API tokens as both OAuth token pages offer them
//! (Preferences > OAuth 2.0 API Tokens for the caller's own, Admin > OAuth 2.0 API
//! Tokens for the workspace's): the table rows, the confirmation page for one token
//! or a selection, reading the checkbox form, and running the action.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::domain::grant_query::{GrantIds, MAX_BULK_GRANTS};
use crate::domain::oauth::{GrantId, GrantStatus};
use crate::domain::Timestamp;
use crate::services::oauth::{Grant, OwnedGrant, Scope};
use crate::state::AppState;

use super::forms::field;
use super::when::When;
use super::{check_csrf, render, see_other, BackPath, CurrentUser, Layout, PageError};

/// What the Disable confirmation says, on both pages.
pub const DISABLE_WARNING: &str = "Once you disable a token, you can't use it again: this cannot be undone. \
Its refresh token stops working at once; an access token already issued keeps working until it expires, \
which can take up to 1 hour.";

/// What the Delete confirmation says, on both pages.
pub const DELETE_WARNING: &str = "Deleting a token cannot be undone. \
Its refresh token stops working at once; an access token already issued keeps working until it expires, \
which can take up to 1 hour.";

/// One row of a table of OAuth API tokens, formatted for display.
pub struct OAuthRow {
    pub id: String,
    pub name: String,
    /// Only on the admin page.
    pub owner: Option<String>,
    /// Its scopes' names, which the table lists compactly.
    pub scopes: Vec<String>,
    pub status: &'static str,
    pub status_class: &'static str,
    /// Disabling is offered only while it would change something.
    pub can_disable: bool,
    pub created: When,
    pub expires: When,
    pub last_used: When,
}

impl OAuthRow {
    pub fn new(g: &Grant, owner: Option<&str>, now: Timestamp) -> Self {
        let status = GrantStatus::at(g.disabled_at, g.expires_at, now);
        OAuthRow {
            id: g.id.to_string(),
            name: g.name.clone(),
            owner: owner.map(str::to_owned),
            scopes: super::scope_choices::names(&g.scopes),
            status: status.label(),
            status_class: match status {
                GrantStatus::Active => "active",
                GrantStatus::Disabled => "disabled",
                GrantStatus::Expired => "expired",
            },
            can_disable: g.disabled_at.is_none(),
            created: When::at(g.created_at, now),
            expires: When::at(g.expires_at, now),
            last_used: When::or(g.last_used_at, "Never Used", now),
        }
    }
}

/// Rows for a confirmation or the admin's table, with owners when `with_owner`.
pub fn rows(found: &[OwnedGrant], with_owner: bool, now: Timestamp) -> Vec<OAuthRow> {
    found
        .iter()
        .map(|f| {
            OAuthRow::new(
                &f.grant,
                with_owner.then_some(f.owner_username.as_str()),
                now,
            )
        })
        .collect()
}

/// Disable or Delete, as chosen on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Disable,
    Delete,
}

impl Action {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "disable" => Some(Self::Disable),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Delete => "delete",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Disable => "Disable",
            Self::Delete => "Delete",
        }
    }

    fn warning(self) -> &'static str {
        match self {
            Self::Disable => DISABLE_WARNING,
            Self::Delete => DELETE_WARNING,
        }
    }

    /// "Disable 1 token?" / "Delete 3 tokens?"
    pub fn question(self, n: usize) -> String {
        match n {
            1 => format!("{} 1 token?", self.verb()),
            n => format!("{} {n} tokens?", self.verb()),
        }
    }

    /// "Disabled 1 token." / "Deleted 3 tokens."
    pub fn done(self, n: usize) -> String {
        let past = match self {
            Self::Disable => "Disabled",
            Self::Delete => "Deleted",
        };
        match n {
            1 => format!("{past} 1 token."),
            n => format!("{past} {n} tokens."),
        }
    }
}

/// Which table an action comes from: the caller's own tokens, or (for a workspace
/// admin) every token of the workspace.
pub struct TokenList<'a> {
    pub scope: Scope<'a>,
    /// The table's page, which the action's paths extend.
    pub page: &'static str,
    pub breadcrumb: &'static str,
}

impl TokenList<'_> {
    /// The admin's table names owners; one's own does not.
    fn with_owner(&self) -> bool {
        matches!(self.scope, Scope::Workspace(_))
    }

    /// Where to go afterwards: the admin's table keeps its filters and page (a way
    /// back that stays on it); one's own table has neither.
    fn back(&self, back: &BackPath) -> String {
        match self.scope {
            Scope::Own => self.page.to_owned(),
            Scope::Workspace(_) => back.within(self.page).to_owned(),
        }
    }

    /// What the flash says after `action` on the one token `found`.
    fn done_one(&self, action: Action, found: &OwnedGrant) -> String {
        let name = &found.grant.name;
        let done = match action {
            Action::Disable => "disabled",
            Action::Delete => "deleted",
        };
        match self.scope {
            Scope::Own => format!("Token \u{201c}{name}\u{201d} {done}."),
            Scope::Workspace(_) => {
                let owner = &found.owner_username;
                format!("{owner}'s token \u{201c}{name}\u{201d} {done}.")
            }
        }
    }
}

/// The confirmation of Disable or Delete, for one token or a selection, on a page
/// of its own (without JavaScript the pages use it; with it, a dialog asks).
#[derive(Template)]
#[template(path = "oauth_token_confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub breadcrumb: &'static str,
    pub title: String,
    pub question: String,
    pub warning: &'static str,
    pub rows: Vec<OAuthRow>,
    pub with_owner: bool,
    /// Where the form posts.
    pub action: String,
    /// For a selection: `disable` or `delete`.
    pub bulk_action: Option<&'static str>,
    pub button: String,
    pub back: String,
}

impl ConfirmPage {
    /// The page for `action` on `found`, from `list`, posting to `post_to`.
    fn new(
        layout: Layout,
        list: &TokenList<'_>,
        action: Action,
        rows: Vec<OAuthRow>,
        post_to: String,
        bulk: bool,
        back: String,
    ) -> Self {
        let n = rows.len();
        ConfirmPage {
            layout,
            breadcrumb: list.breadcrumb,
            title: format!(
                "{} {}",
                action.verb(),
                if n == 1 { "Token" } else { "Tokens" }
            ),
            question: match (&rows[..], bulk) {
                ([one], false) => {
                    format!("{} the token \u{201c}{}\u{201d}?", action.verb(), one.name)
                }
                _ => action.question(n),
            },
            warning: action.warning(),
            rows,
            with_owner: list.with_owner(),
            action: post_to,
            bulk_action: bulk.then_some(action.as_str()),
            button: match n {
                1 => action.verb().to_owned(),
                n => format!("{} {n} tokens", action.verb()),
            },
            back,
        }
    }
}

/// The token `raw` names in `list`, or 404 (unknown, malformed or out of reach).
async fn find_one(
    user: &CurrentUser,
    state: &AppState,
    list: &TokenList<'_>,
    raw: &str,
) -> Result<OwnedGrant, PageError> {
    let id: GrantId = raw.parse().map_err(|()| PageError::NotFound)?;
    state
        .oauth
        .find(&state.pool, &user.principal, list.scope, GrantIds::one(id))
        .await?
        .into_iter()
        .next()
        .ok_or(PageError::NotFound)
}

/// A row menu's Disable or Delete (`{page}/{id}/{action}`): the confirmation, as a
/// page of its own.
pub async fn confirm_one(
    user: &CurrentUser,
    state: &AppState,
    list: &TokenList<'_>,
    (raw_id, raw_action): (String, String),
) -> Result<HttpResponse, PageError> {
    let action = Action::parse(&raw_action).ok_or(PageError::NotFound)?;
    let found = find_one(user, state, list, &raw_id).await?;
    let post_to = format!("{}/{}/{}", list.page, found.grant.id, action.as_str());
    let rows = rows(&[found], list.with_owner(), state.oauth.now());
    let layout = Layout::for_user(user)?;
    let page = ConfirmPage::new(layout, list, action, rows, post_to, false, list.page.into());
    render(StatusCode::OK, &page)
}

/// Disables or deletes the one token `{page}/{id}/{action}` names, then back to
/// the table with a flash that names it.
pub async fn act_on_one(
    user: &CurrentUser,
    state: &AppState,
    list: &TokenList<'_>,
    (raw_id, raw_action): (String, String),
    back: &BackPath,
) -> Result<HttpResponse, PageError> {
    let action = Action::parse(&raw_action).ok_or(PageError::NotFound)?;
    let found = find_one(user, state, list, &raw_id).await?;
    let ids = GrantIds::one(found.grant.id);
    apply(user, state, list.scope, action, ids).await?;
    user.session.set_flash(&list.done_one(action, &found))?;
    Ok(see_other(&list.back(back)))
}

/// The checkboxes' Disable and Delete: asks first (a page of its own without
/// JavaScript), then acts on the selected tokens of `list`.
pub async fn act_on_selection(
    user: &CurrentUser,
    state: &AppState,
    list: &TokenList<'_>,
    form: &[(String, String)],
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, field(form, "csrf_token"))?;
    let selection = Selection::read(form)?;
    let back = list.back(&selection.back);
    let Some(ids) = selection.ids else {
        user.session.set_flash("Select at least one token first.")?;
        return Ok(see_other(&back));
    };
    if !selection.confirmed {
        let found = state
            .oauth
            .find(&state.pool, &user.principal, list.scope, ids)
            .await?;
        let rows = rows(&found, list.with_owner(), state.oauth.now());
        let post_to = format!("{}/selected", list.page);
        let layout = Layout::for_user(user)?;
        let page = ConfirmPage::new(layout, list, selection.action, rows, post_to, true, back);
        return render(StatusCode::OK, &page);
    }
    let said = apply(user, state, list.scope, selection.action, ids).await?;
    user.session.set_flash(&said)?;
    Ok(see_other(&back))
}

/// Runs `action` on `ids` within `scope`; says what it did, for the flash.
async fn apply(
    user: &CurrentUser,
    state: &AppState,
    scope: Scope<'_>,
    action: Action,
    ids: GrantIds,
) -> Result<String, PageError> {
    let (pool, actor, address) = (&state.pool, &user.principal, user.address);
    let outcome = match action {
        Action::Disable => {
            state
                .oauth
                .disable(pool, actor, address, scope, ids)
                .await?
        }
        Action::Delete => state.oauth.delete(pool, actor, address, scope, ids).await?,
    };
    let mut said = action.done(outcome.done.len());
    match outcome.unchanged.len() {
        0 => {}
        1 => said.push_str(" 1 was already disabled."),
        n => said.push_str(&format!(" {n} were already disabled.")),
    }
    Ok(said)
}

/// The bulk form's fields: the action, the selected ids (none is `None`), whether
/// the confirmation was given, and where to go back to.
struct Selection {
    action: Action,
    ids: Option<GrantIds>,
    confirmed: bool,
    back: BackPath,
}

impl Selection {
    fn read(form: &[(String, String)]) -> Result<Self, PageError> {
        let action = Action::parse(field(form, "action"))
            .ok_or_else(|| PageError::BadRequest("Choose Disable or Delete.".into()))?;
        let raw: Vec<&str> = form
            .iter()
            .filter(|(k, _)| k == "token_id")
            .map(|(_, v)| v.as_str())
            .collect();
        let ids = if raw.is_empty() {
            None
        } else if raw.len() > MAX_BULK_GRANTS {
            return Err(PageError::BadRequest(format!(
                "At most {MAX_BULK_GRANTS} tokens can be selected at once."
            )));
        } else {
            let ids = GrantIds::parse(&raw).map_err(|_| {
                PageError::BadRequest(
                    "The selection holds something that is not a token ID.".into(),
                )
            })?;
            Some(ids)
        };
        Ok(Selection {
            action,
            ids,
            confirmed: field(form, "confirmed") == "yes",
            back: BackPath::from_pairs(form)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_and_outcomes_name_the_count() {
        assert_eq!(Action::Disable.question(1), "Disable 1 token?");
        assert_eq!(Action::Delete.question(3), "Delete 3 tokens?");
        assert_eq!(Action::Disable.done(2), "Disabled 2 tokens.");
        assert_eq!(Action::Delete.done(1), "Deleted 1 token.");
    }

    #[test]
    fn a_selection_reads_distinct_ids_and_refuses_garbage() {
        let id = GrantId::new_random().to_string();
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let s = Selection::read(&form(&[
            ("action", "disable"),
            ("token_id", &id),
            ("token_id", &id),
        ]))
        .unwrap();
        let n = s.ids.map(|ids| ids.as_slice().len());
        assert_eq!(
            (s.action, n, s.confirmed),
            (Action::Disable, Some(1), false)
        );
        assert!(Selection::read(&form(&[("action", "explode")])).is_err());
        assert!(Selection::read(&form(&[("action", "delete"), ("token_id", "x")])).is_err());
    }
}
