//! `/preferences/oauth-tokens`: the OAuth 2.0 API Tokens page (generate, the
//! one-time display of both values, the list), and the Disable and Delete
//! confirmations for one token or a selection (built in `oauth_actions`, which
//! Admin > OAuth 2.0 API Tokens shares).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::oauth::{parse_name, GrantLifetime, DEFAULT_GRANT_DAYS, MAX_GRANT_DAYS};
use crate::domain::policy::TokenPolicy;
use crate::domain::scope::ScopeSet;
use crate::domain::scope_request::ScopeRequestError;
use crate::domain::Description;
use crate::services::oauth::{GenerateError, Grant, Scope};
use crate::services::reveal::{self, OAuthReveal, RevealTicket};
use crate::services::tokens;
use crate::state::AppState;

use super::forms::{field, CsrfOnly};
use super::oauth_actions::{self as actions, OAuthRow, TokenList, DELETE_WARNING, DISABLE_WARNING};
use super::scope_choices::{self, ScopeField};
use super::{check_csrf, render, see_other, BackPath, CurrentUser, Layout, PageError};

const PAGE: &str = "/preferences/oauth-tokens";

/// The caller's own tokens, as the Disable and Delete actions reach them.
const OWN: TokenList<'static> = TokenList {
    scope: Scope::Own,
    page: PAGE,
    breadcrumb: "Preferences > OAuth 2.0 API Tokens",
};

/// A new token's values, shown this once.
struct Created {
    name: String,
    access_token: String,
    refresh_token: String,
    lifetime: String,
    expires: String,
}

impl Created {
    /// The values of `c`, described by its grant among `grants`.
    fn new(c: OAuthReveal, grants: &[Grant]) -> Self {
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
    }
}

/// The Generate form's values and errors, kept when it is refused.
struct GenerateForm {
    name: String,
    lifetime_days: String,
    name_error: Option<String>,
    lifetime_error: Option<String>,
    lifetime_hint: String,
    /// The Scopes boxes, what is ticked, and why the choice was refused.
    scopes: ScopeField,
}

impl GenerateForm {
    fn new(policy: &TokenPolicy, name: &str, lifetime_days: &str, scopes: ScopeField) -> Self {
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
            scopes,
        }
    }

    /// Whether the form came back refused, so the page opens its dialog at once.
    fn has_errors(&self) -> bool {
        self.name_error.is_some() || self.lifetime_error.is_some() || self.scopes.error.is_some()
    }

    fn blank(policy: &TokenPolicy, scopes: ScopeField) -> Self {
        let days = policy.default_days(DEFAULT_GRANT_DAYS).to_string();
        Self::new(policy, "", &days, scopes)
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
    /// Why this user cannot generate tokens here, if they cannot, and whom to ask.
    refusal: Option<tokens::GenerationRefusal>,
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

/// The OAuth 2.0 API Tokens page; shows a just-generated token's values once.
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let created = take_created(&user, &state).await?;
    let policy = tokens::policy(&state.pool, &user.principal).await?;
    let scopes = scope_choices::field_for(&state.pool, &user.principal, None).await?;
    let form = GenerateForm::blank(&policy, scopes);
    oauth_page(&user, &state, &policy, created, form, StatusCode::OK).await
}

/// The OAuth 2.0 API Tokens page with `form` in its Generate dialog.
async fn oauth_page(
    user: &CurrentUser,
    state: &AppState,
    policy: &TokenPolicy,
    created: Option<OAuthReveal>,
    form: GenerateForm,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let grants = state.oauth.list_own(&state.pool, &user.principal).await?;
    let now = state.oauth.now();
    let page = OAuthTokensPage {
        layout: Layout::for_user(user)?,
        workspace: user.principal.workspace_name.clone(),
        showing: match grants.len() {
            1 => "1 token".to_owned(),
            n => format!("{n} tokens"),
        },
        rows: grants.iter().map(|g| OAuthRow::new(g, None, now)).collect(),
        created: created.map(|c| Created::new(c, &grants)),
        form,
        refusal: tokens::explain_refusal(
            &state.pool,
            &user.principal,
            policy.generation_refused(user.principal.role),
        )
        .await?,
        base: PAGE,
        disable_warning: DISABLE_WARNING,
        delete_warning: DELETE_WARNING,
    };
    render(status, &page)
}

/// The values of the token this browser just generated, if it has a ticket for
/// them: once, since taking them uses the ticket up.
async fn take_created(
    user: &CurrentUser,
    state: &AppState,
) -> Result<Option<OAuthReveal>, PageError> {
    let ticket = user
        .session
        .take_oauth_reveal_ticket()
        .as_deref()
        .and_then(RevealTicket::from_session_value);
    Ok(match ticket {
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
    })
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
    let scopes = scope_choices::field_for(&state.pool, &user.principal, None).await?;
    let form = GenerateForm::blank(&policy, scopes);
    let layout = Layout::for_user(&user)?;
    render(StatusCode::OK, &NewPage { layout, form })
}

/// The Generate form, read as pairs since each ticked scope repeats `scopes`.
struct GenerateInput {
    csrf_token: String,
    name: String,
    lifetime_days: String,
    /// `None` when the form did not offer the boxes: the default scopes.
    scopes: Option<Vec<String>>,
}

impl GenerateInput {
    fn read(form: &[(String, String)]) -> Self {
        GenerateInput {
            csrf_token: field(form, "csrf_token").to_owned(),
            name: field(form, "name").to_owned(),
            lifetime_days: field(form, "lifetime_days").to_owned(),
            scopes: scope_choices::ticked(form),
        }
    }

    /// The token the form asks for, with `scopes` as judged from its boxes; or why
    /// each field was refused.
    fn parse(
        &self,
        scopes: Result<ScopeSet, ScopeRequestError>,
    ) -> Result<(Description, GrantLifetime, ScopeSet), Refusal> {
        let lifetime = GrantLifetime::from_input(&self.lifetime_days);
        match (parse_name(&self.name), lifetime, scopes) {
            (Ok(n), Ok(l), Ok(s)) => Ok((n, l, s)),
            (n, l, s) => Err(Refusal {
                name: n.err(),
                lifetime: l.err().map(|e| e.to_string()),
                scopes: s.err().map(|e| e.to_string()),
            }),
        }
    }
}

/// Why the Generate form was refused, by the field it is shown beside.
#[derive(Default)]
struct Refusal {
    name: Option<String>,
    lifetime: Option<String>,
    scopes: Option<String>,
}

/// Generates a token, then redirects to the page that shows its values once.
pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let input = GenerateInput::read(&form);
    check_csrf(&user.session, &input.csrf_token)?;
    let (pool, owner) = (&state.pool, &user.principal);
    let scopes = tokens::resolve_scopes(pool, owner, input.scopes.clone(), None).await?;
    let (name, lifetime, scopes) = match input.parse(scopes) {
        Ok(parsed) => parsed,
        Err(why) => return refuse(&user, &state, &input, why).await,
    };
    let generated = state
        .oauth
        .generate(pool, owner, user.address, name, lifetime, scopes);
    let (grant, issued) = match generated.await {
        Ok(done) => done,
        Err(GenerateError::Policy(v)) if !v.is_access_denied() => {
            let why = Refusal {
                lifetime: Some(v.to_string()),
                ..Refusal::default()
            };
            return refuse(&user, &state, &input, why).await;
        }
        Err(e) => return Err(generate_failed(e)),
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

/// The page again, its Generate form holding what was typed and why it was refused
/// (422).
async fn refuse(
    user: &CurrentUser,
    state: &AppState,
    input: &GenerateInput,
    why: Refusal,
) -> Result<HttpResponse, PageError> {
    let policy = tokens::policy(&state.pool, &user.principal).await?;
    let ticked = input.scopes.as_deref();
    let scopes = scope_choices::field_for(&state.pool, &user.principal, ticked).await?;
    let scopes = scopes.with_error(why.scopes);
    let mut form = GenerateForm::new(&policy, &input.name, &input.lifetime_days, scopes);
    form.name_error = why.name;
    form.lifetime_error = why.lifetime;
    // The whole page with its dialog open on the form, as for legacy tokens.
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    oauth_page(user, state, &policy, None, form, status).await
}

/// The page error of a generation that failed for a reason the form cannot show.
fn generate_failed(e: GenerateError) -> PageError {
    match e {
        GenerateError::Policy(v) => PageError::Forbidden(v.to_string()),
        GenerateError::Db(e) => e.into(),
        GenerateError::Keys(e) => {
            tracing::error!(error = %e, "signing failed");
            PageError::Internal
        }
    }
}

/// "Disable" or "Delete" from a row's menu: the confirmation, as a page of its own.
pub async fn confirm_one(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    actions::confirm_one(&user, &state, &OWN, path.into_inner()).await
}

/// Disables or deletes one of the caller's tokens.
pub async fn act_one(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let back = BackPath::default();
    actions::act_on_one(&user, &state, &OWN, path.into_inner(), &back).await
}

/// The checkboxes' Disable and Delete: asks first (a page of its own without
/// JavaScript), then acts on the selected tokens of the caller's.
pub async fn selected(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    actions::act_on_selection(&user, &state, &OWN, &form).await
}
