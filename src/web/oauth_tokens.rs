//! `/preferences/oauth-tokens`: the OAuth 2.0 API Tokens page (generate, the
//! one-time display of both values, the list), and the Disable and Delete
//! confirmations for one token or a selection. Admin > OAuth 2.0 API Tokens
//! reuses its rows and confirmation page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::domain::grant_query::{GrantIds, MAX_BULK_GRANTS};
use crate::domain::oauth::{
    parse_name, GrantId, GrantLifetime, GrantStatus, DEFAULT_GRANT_DAYS, MAX_GRANT_DAYS,
};
use crate::domain::policy::TokenPolicy;
use crate::domain::Timestamp;
use crate::models::oauth::{Grant, OwnedGrant};
use crate::services::oauth::manage::Scope;
use crate::services::oauth::GenerateError;
use crate::services::reveal::{self, RevealTicket};
use crate::services::tokens;
use crate::state::AppState;

use super::{check_csrf, render, see_other, BackPath, CurrentUser, Layout, PageError};

const PAGE: &str = "/preferences/oauth-tokens";

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
    pub status: &'static str,
    pub status_class: &'static str,
    /// Disabling is offered only while it would change something.
    pub can_disable: bool,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

impl OAuthRow {
    pub fn new(g: &Grant, owner: Option<&str>, now: Timestamp) -> Self {
        let status = GrantStatus::at(g.disabled_at, g.expires_at, now);
        OAuthRow {
            id: g.id.to_string(),
            name: g.name.clone(),
            owner: owner.map(str::to_owned),
            status: status.label(),
            status_class: match status {
                GrantStatus::Active => "active",
                GrantStatus::Disabled => "disabled",
                GrantStatus::Expired => "expired",
            },
            can_disable: g.disabled_at.is_none(),
            created: g.created_at.to_display(),
            expires: g.expires_at.to_display(),
            last_used: g
                .last_used_at
                .map_or_else(|| "Never Used".to_owned(), Timestamp::to_display),
        }
    }
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

/// A new token's values, shown this once.
struct Created {
    name: String,
    access_token: String,
    refresh_token: String,
    lifetime: String,
    expires: String,
}

/// The Generate form's values and errors, kept when it is refused.
struct GenerateForm {
    name: String,
    lifetime_days: String,
    name_error: Option<String>,
    lifetime_error: Option<String>,
    lifetime_hint: String,
}

impl GenerateForm {
    fn new(policy: &TokenPolicy, name: &str, lifetime_days: &str) -> Self {
        let max = policy
            .max_days()
            .map_or(MAX_GRANT_DAYS, |d| d.min(MAX_GRANT_DAYS));
        GenerateForm {
            name: name.to_owned(),
            lifetime_days: lifetime_days.to_owned(),
            name_error: None,
            lifetime_error: None,
            lifetime_hint: if max < MAX_GRANT_DAYS {
                format!("Between 1 and {max} days (this workspace's maximum): how long the refresh token lasts.")
            } else {
                "Between 1 and 365 days: how long the refresh token lasts.".to_owned()
            },
        }
    }

    fn blank(policy: &TokenPolicy) -> Self {
        let days = policy.default_days(DEFAULT_GRANT_DAYS).to_string();
        Self::new(policy, "", &days)
    }
}

#[derive(Template)]
#[template(path = "oauth_tokens.html")]
struct OAuthTokensPage {
    layout: Layout,
    workspace: String,
    rows: Vec<OAuthRow>,
    showing: String,
    created: Option<Created>,
    form: GenerateForm,
    refusal: Option<String>,
    base: &'static str,
    disable_warning: &'static str,
    delete_warning: &'static str,
}

#[derive(Template)]
#[template(path = "oauth_token_new.html")]
struct NewPage {
    layout: Layout,
    form: GenerateForm,
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
    /// The page for `action` on `rows`, posting to `post_to`.
    #[expect(clippy::too_many_arguments, reason = "one page, named fields")]
    pub fn new(
        layout: Layout,
        breadcrumb: &'static str,
        action: Action,
        rows: Vec<OAuthRow>,
        with_owner: bool,
        post_to: String,
        bulk: bool,
        back: String,
    ) -> Self {
        let n = rows.len();
        ConfirmPage {
            layout,
            breadcrumb,
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
            with_owner,
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

#[derive(Deserialize)]
pub struct GenerateInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    lifetime_days: String,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// The OAuth 2.0 API Tokens page; shows a just-generated token's values once.
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let created = match user
        .session
        .take_oauth_reveal_ticket()
        .as_deref()
        .and_then(RevealTicket::from_session_value)
    {
        Some(ticket) => {
            reveal::take_oauth(
                &state.pool,
                ticket,
                user.principal.user_id,
                state.clock.now(),
            )
            .await?
        }
        None => None,
    };
    let grants = state.oauth.list_own(&state.pool, &user.principal).await?;
    let policy = tokens::policy(&state.pool, &user.principal).await?;
    let now = state.oauth.now();
    let created = created.map(|c| {
        let grant = grants.iter().find(|g| g.id == c.grant);
        Created {
            name: grant.map(|g| g.name.clone()).unwrap_or_default(),
            access_token: c.access_token,
            refresh_token: c.refresh_token.expose(),
            lifetime: grant.map_or_else(String::new, |g| {
                days(((g.expires_at.millis() - g.created_at.millis()) / 86_400_000).max(1))
            }),
            expires: grant.map_or_else(String::new, |g| g.expires_at.to_display()),
        }
    });
    let page = OAuthTokensPage {
        layout: Layout::for_user(&user)?,
        workspace: user.principal.workspace_name.clone(),
        showing: match grants.len() {
            1 => "1 token".to_owned(),
            n => format!("{n} tokens"),
        },
        rows: grants.iter().map(|g| OAuthRow::new(g, None, now)).collect(),
        created,
        form: GenerateForm::blank(&policy),
        refusal: policy
            .generation_refused(user.principal.role)
            .map(|v| v.to_string()),
        base: PAGE,
        disable_warning: DISABLE_WARNING,
        delete_warning: DELETE_WARNING,
    };
    render(StatusCode::OK, &page)
}

/// "1 day" / "90 days"
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// The Generate form as a page of its own, for browsers without JavaScript.
pub async fn new_form(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let policy = tokens::policy(&state.pool, &user.principal).await?;
    if let Some(refused) = policy.generation_refused(user.principal.role) {
        return Err(PageError::Forbidden(refused.to_string()));
    }
    let form = GenerateForm::blank(&policy);
    let layout = Layout::for_user(&user)?;
    render(StatusCode::OK, &NewPage { layout, form })
}

/// Generates a token, then redirects to the page that shows its values once.
pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    input: web::Form<GenerateInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let refuse =
        |policy: &TokenPolicy, name_error, lifetime_error| -> Result<HttpResponse, PageError> {
            let mut form = GenerateForm::new(policy, &input.name, &input.lifetime_days);
            form.name_error = name_error;
            form.lifetime_error = lifetime_error;
            let layout = Layout::for_user(&user)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &NewPage { layout, form })
        };
    let (name, lifetime) = match (
        parse_name(&input.name),
        GrantLifetime::from_input(&input.lifetime_days),
    ) {
        (Ok(n), Ok(l)) => (n, l),
        (n, l) => {
            let policy = tokens::policy(&state.pool, &user.principal).await?;
            return refuse(&policy, n.err(), l.err().map(|e| e.to_string()));
        }
    };
    let generated = state
        .oauth
        .generate(&state.pool, &user.principal, user.address, name, lifetime)
        .await;
    let (grant, issued) = match generated {
        Ok(done) => done,
        Err(GenerateError::Policy(v)) if v.is_access_denied() => {
            return Err(PageError::Forbidden(v.to_string()))
        }
        Err(GenerateError::Policy(v)) => {
            let policy = tokens::policy(&state.pool, &user.principal).await?;
            return refuse(&policy, None, Some(v.to_string()));
        }
        Err(GenerateError::Db(e)) => return Err(e.into()),
        Err(GenerateError::Keys(e)) => {
            tracing::error!(error = %e, "signing failed");
            return Err(PageError::Internal);
        }
    };
    let ticket = reveal::put_oauth(
        &state.pool,
        user.principal.user_id,
        grant.id,
        &issued,
        state.clock.now(),
    )
    .await?;
    user.session
        .set_oauth_reveal_ticket(&ticket.to_session_value())?;
    Ok(see_other(PAGE))
}

/// One of the caller's tokens, or 404 (unknown, malformed or someone else's).
async fn own_grant(user: &CurrentUser, state: &AppState, raw: &str) -> Result<Grant, PageError> {
    let id: GrantId = raw.parse().map_err(|()| PageError::NotFound)?;
    state
        .oauth
        .find(&state.pool, &user.principal, Scope::Own, GrantIds::one(id))
        .await?
        .into_iter()
        .next()
        .map(|found| found.grant)
        .ok_or(PageError::NotFound)
}

/// "Disable" or "Delete" from a row's menu: the confirmation, as a page of its own.
pub async fn confirm_one(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (raw_id, raw_action) = path.into_inner();
    let action = Action::parse(&raw_action).ok_or(PageError::NotFound)?;
    let grant = own_grant(&user, &state, &raw_id).await?;
    let row = OAuthRow::new(&grant, None, state.oauth.now());
    let page = ConfirmPage::new(
        Layout::for_user(&user)?,
        "Preferences > OAuth 2.0 API Tokens",
        action,
        vec![row],
        false,
        format!("{PAGE}/{}/{}", grant.id, action.as_str()),
        false,
        PAGE.to_owned(),
    );
    render(StatusCode::OK, &page)
}

/// Disables or deletes one of the caller's tokens.
pub async fn act_one(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let (raw_id, raw_action) = path.into_inner();
    let action = Action::parse(&raw_action).ok_or(PageError::NotFound)?;
    let grant = own_grant(&user, &state, &raw_id).await?;
    apply(&user, &state, Scope::Own, action, GrantIds::one(grant.id)).await?;
    user.session.set_flash(&match action {
        Action::Disable => format!("Token \u{201c}{}\u{201d} disabled.", grant.name),
        Action::Delete => format!("Token \u{201c}{}\u{201d} deleted.", grant.name),
    })?;
    Ok(see_other(PAGE))
}

/// Runs `action` on `ids` within `scope`; says what it did, for the flash.
pub async fn apply(
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
pub struct Selection {
    pub action: Action,
    pub ids: Option<GrantIds>,
    pub confirmed: bool,
    pub back: BackPath,
}

impl Selection {
    pub fn read(form: &[(String, String)]) -> Result<Self, PageError> {
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let action = Action::parse(field("action"))
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
            confirmed: field("confirmed") == "yes",
            back: BackPath::from_pairs(form)?,
        })
    }
}

/// The checkboxes' Disable and Delete: asks first (a page of its own without
/// JavaScript), then acts on the selected tokens of the caller's.
pub async fn selected(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map_or("", |(_, v)| v.as_str());
    check_csrf(&user.session, csrf)?;
    let selection = Selection::read(&form)?;
    let Some(ids) = selection.ids else {
        user.session.set_flash("Select at least one token first.")?;
        return Ok(see_other(PAGE));
    };
    if !selection.confirmed {
        let found = state
            .oauth
            .find(&state.pool, &user.principal, Scope::Own, ids)
            .await?;
        let page = ConfirmPage::new(
            Layout::for_user(&user)?,
            "Preferences > OAuth 2.0 API Tokens",
            selection.action,
            rows(&found, false, state.oauth.now()),
            false,
            format!("{PAGE}/selected"),
            true,
            PAGE.to_owned(),
        );
        return render(StatusCode::OK, &page);
    }
    let said = apply(&user, &state, Scope::Own, selection.action, ids).await?;
    user.session.set_flash(&said)?;
    Ok(see_other(PAGE))
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
