//! `/preferences/access-tokens`: the Access Tokens page, the Generate Token form and
//! the delete confirmation.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Principal;
use crate::db::SharedReads;
use crate::domain::lifetime::DEFAULT_DAYS;
use crate::domain::policy::TokenPolicy;
use crate::domain::scope::ScopeSet;
use crate::domain::scope_request::ScopeRequestError;
use crate::domain::token::TokenIdText;
use crate::domain::token_query;
use crate::domain::{
    Description, Lifetime, Role, Timestamp, TokenId, TokenStatus, UserId, WorkspaceId,
};
use crate::services::admin_tokens::OwnedToken;
use crate::services::reveal::{self, RevealTicket};
use crate::services::tokens::{self, ApiToken, CreateError, OwnTokens};
use crate::state::AppState;

use super::forms::{field, CsrfOnly};
use super::scope_choices::{self, ScopeField};
use super::when::When;
use super::{
    check_csrf, render, render_around, see_other, CurrentUser, Layout, PageError, SHARED_PART,
};

const PAGE: &str = "/preferences/access-tokens";

/// One row of a table of access tokens, formatted for display (also on Admin >
/// Access Tokens, which names owners).
/// Borrowed from the token it shows: a page of 50 rows made 150 `String`s.
pub(super) struct TokenRow<'a> {
    pub(super) id: TokenIdText,
    /// Only on the admin's pages.
    pub(super) owner: &'a str,
    pub(super) description: &'a str,
    /// Its scopes' names, which the table lists compactly.
    pub(super) scopes: Vec<&'a str>,
    pub(super) status: &'static str,
    pub(super) status_class: &'static str,
    /// Active, and expires within a week: the Status cell says so too.
    pub(super) expires_soon: bool,
    pub(super) created: When,
    pub(super) expires: When,
    pub(super) last_used: When,
}

impl<'a> TokenRow<'a> {
    fn new(t: &'a ApiToken, now: Timestamp) -> Self {
        let status = TokenStatus::at(t.expires_at, now);
        TokenRow {
            id: t.id.text(),
            owner: "",
            description: t.description.as_ref().map_or("", |d| d.as_str()),
            scopes: t.scopes.names().collect(),
            status: status.label(),
            status_class: match status {
                TokenStatus::Active => "active",
                TokenStatus::Expired => "expired",
            },
            expires_soon: token_query::expires_soon(t.expires_at, now),
            created: When::at(t.created_at, now),
            expires: When::or(t.expires_at, "Never", now),
            last_used: When::or(t.last_used_at, "Never Used", now),
        }
    }

    /// The row of a token with its owner's name.
    pub(super) fn owned(owned: &'a OwnedToken, now: Timestamp) -> Self {
        TokenRow {
            owner: &owned.owner_username,
            ..Self::new(&owned.token, now)
        }
    }
}

// Hex digits and hyphens.
super::when::written_as_is!(TokenIdText);

/// A token just generated, shown this once.
struct Created {
    token_id: String,
    value: String,
}

/// The Generate Token form's values and errors, kept when it is refused.
struct GenerateForm {
    lifetime_days: String,
    description: String,
    lifetime_error: Option<String>,
    description_error: Option<String>,
    /// The workspace's lifetime limits, when it has any.
    limit_hint: Option<String>,
    /// The Scopes boxes, what is ticked, and why the choice was refused.
    scopes: ScopeField,
}

impl GenerateForm {
    /// Whether the form came back refused, so the page opens its dialog at once.
    fn has_errors(&self) -> bool {
        self.lifetime_error.is_some()
            || self.description_error.is_some()
            || self.scopes.error.is_some()
    }

    fn blank(policy: &TokenPolicy, scopes: ScopeField) -> Self {
        GenerateForm {
            lifetime_days: policy.default_days(DEFAULT_DAYS).to_string(),
            description: String::new(),
            lifetime_error: None,
            description_error: None,
            limit_hint: policy.lifetime_hint(),
            scopes,
        }
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage<'a> {
    layout: Layout,
    /// [`SHARED_PART`], where the table's rows go (see [`TokensView`]); the
    /// rows themselves are sent as they are (`render_around`).
    rows: &'a str,
    /// Whether there are rows (or the empty state instead).
    has_rows: bool,
    created: Option<Created>,
    form: GenerateForm,
    /// Why this user cannot generate tokens here, if they cannot, and whom to ask.
    refusal: Option<tokens::GenerationRefusal>,
}

/// The rows of the Access Tokens table.
#[derive(Template)]
#[template(path = "_token_rows.html")]
struct TokenRows<'a> {
    tokens: Vec<TokenRow<'a>>,
}

/// The Access Tokens pages' reads that requests waiting together share (see
/// [`SharedReads`]): one for the whole server, in the app data
/// (`startup::AppConfig`).
#[derive(Default)]
pub struct SharedPages {
    tokens: SharedReads<(WorkspaceId, UserId, Role), TokensView>,
}

/// What the Access Tokens page shows of a person's tokens: what was read, and the
/// table's rows rendered from it. The rows depend on nothing else of the request
/// (not the session, its CSRF token or a flash message), so the requests that
/// share the read (see [`SharedPages`]) share them too: rendered once per read,
/// not once per request. Their relative times ("3 minutes ago") are as of the read.
pub struct TokensView {
    own: OwnTokens,
    rows: Bytes,
}

impl TokensView {
    fn new(own: OwnTokens, now: Timestamp) -> Result<Self, PageError> {
        let rows = TokenRows {
            tokens: own.tokens.iter().map(|t| TokenRow::new(t, now)).collect(),
        }
        .render()?;
        Ok(TokensView {
            own,
            rows: Bytes::from(rows),
        })
    }

    /// `owner`'s, from a read shared with the other requests waiting for it.
    async fn shared(
        state: &AppState,
        pages: &SharedPages,
        owner: &Principal,
    ) -> Result<Arc<TokensView>, PageError> {
        let key = (owner.workspace_id, owner.user_id, owner.role);
        pages
            .tokens
            .read(key, || async {
                let own = tokens::own_tokens(&state.pool, owner).await?;
                TokensView::new(own, state.clock.now())
            })
            .await
    }
}

#[derive(Template)]
#[template(path = "token_new.html")]
struct NewTokenPage {
    layout: Layout,
    form: GenerateForm,
}

#[derive(Template)]
#[template(path = "token_delete.html")]
struct DeletePage<'a> {
    layout: Layout,
    token: TokenRow<'a>,
}

/// The Generate Token form, read as pairs since each ticked scope repeats
/// `scopes`.
struct GenerateInput {
    csrf_token: String,
    lifetime_days: String,
    description: String,
    /// `None` when the form did not offer the boxes: the default scopes.
    scopes: Option<Vec<String>>,
}

impl GenerateInput {
    fn read(form: &[(String, String)]) -> Self {
        GenerateInput {
            csrf_token: field(form, "csrf_token").to_owned(),
            lifetime_days: field(form, "lifetime_days").to_owned(),
            description: field(form, "description").to_owned(),
            scopes: scope_choices::ticked(form),
        }
    }

    /// The token the form asks for, with `scopes` as judged from its boxes; or why
    /// each field was refused.
    fn parse(
        &self,
        scopes: Result<ScopeSet, ScopeRequestError>,
    ) -> Result<(Lifetime, Option<Description>, ScopeSet), Refusal> {
        let lifetime = Lifetime::from_days_input(&self.lifetime_days);
        let description = Description::parse_optional(&self.description);
        match (lifetime, description, scopes) {
            (Ok(l), Ok(d), Ok(s)) => Ok((l, d, s)),
            (l, d, s) => Err(Refusal {
                lifetime: l.err().map(|e| e.to_string()),
                description: d.err().map(|e| e.to_string()),
                scopes: s.err().map(|e| e.to_string()),
            }),
        }
    }
}

/// Why the Generate Token form was refused, by the field it is shown beside.
#[derive(Default)]
struct Refusal {
    lifetime: Option<String>,
    description: Option<String>,
    scopes: Option<String>,
}

impl Refusal {
    /// The workspace's policy refuses the lifetime.
    fn lifetime(why: impl ToString) -> Self {
        Refusal {
            lifetime: Some(why.to_string()),
            ..Refusal::default()
        }
    }
}

/// The Access Tokens page; shows a just-generated token's value once.
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
    pages: web::Data<SharedPages>,
) -> Result<HttpResponse, PageError> {
    let created = match user
        .session
        .take_reveal_ticket()
        .as_deref()
        .and_then(RevealTicket::from_session_value)
    {
        Some(ticket) => reveal::take(
            &state.pool,
            ticket,
            user.principal.user_id,
            state.clock.now(),
        )
        .await?
        .map(|(id, value)| Created {
            token_id: id.to_string(),
            value: value.expose().to_owned(),
        }),
        None => None,
    };
    let view = TokensView::shared(&state, &pages, &user.principal).await?;
    let scopes = ScopeField::new(&view.own.scopes, user.principal.is_admin(), None);
    let form = GenerateForm::blank(&view.own.policy, scopes);
    tokens_page(&user, &view, created, form, StatusCode::OK)
}

/// The Access Tokens page with `form` in its Generate Token dialog.
fn tokens_page(
    user: &CurrentUser,
    view: &TokensView,
    created: Option<Created>,
    form: GenerateForm,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let page = TokensPage {
        layout: Layout::for_user(user)?,
        rows: SHARED_PART,
        has_rows: !view.rows.is_empty(),
        created,
        form,
        refusal: view.own.refusal.clone(),
    };
    // Without rows the page shows its empty state, and has no place for them.
    if view.rows.is_empty() {
        render(status, &page)
    } else {
        render_around(status, &page, &view.rows)
    }
}

/// The Generate Token form as a page of its own, for browsers without JavaScript.
pub async fn new_form(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let policy = tokens::policy(&state.pool, &user.principal).await?;
    if let Some(refused) = policy.legacy_generation_refused(user.principal.role) {
        return Err(PageError::Forbidden(refused.to_string()));
    }
    let scopes = scope_choices::field_for(&state.pool, &user.principal, None).await?;
    render(
        StatusCode::OK,
        &NewTokenPage {
            layout: Layout::for_user(&user)?,
            form: GenerateForm::blank(&policy, scopes),
        },
    )
}

/// Generates a token, then redirects to the page that shows its value once.
pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let input = GenerateInput::read(&form);
    check_csrf(&user.session, &input.csrf_token)?;
    let (pool, owner, now) = (&state.pool, &user.principal, state.clock.now());
    let scopes = tokens::resolve_scopes(pool, owner, input.scopes.clone(), None).await?;
    let (lifetime, description, scopes) = match input.parse(scopes) {
        Ok(parsed) => parsed,
        Err(why) => return refuse(&user, &state, &input, why).await,
    };
    let created = tokens::create(
        pool,
        owner,
        user.address,
        lifetime,
        description,
        scopes,
        now,
    );
    let (token, value) = match created.await {
        Ok(created) => created,
        Err(CreateError::Policy(v)) if v.is_access_denied() => {
            return Err(PageError::Forbidden(v.to_string()))
        }
        Err(CreateError::Policy(v)) => {
            return refuse(&user, &state, &input, Refusal::lifetime(v)).await
        }
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    let ticket = reveal::put(pool, owner.user_id, token.id, &value, now).await?;
    user.session.set_reveal_ticket(&ticket.to_session_value())?;
    Ok(see_other(PAGE))
}

/// The Access Tokens page again, its Generate Token form holding what was typed and
/// why it was refused (422).
async fn refuse(
    user: &CurrentUser,
    state: &AppState,
    input: &GenerateInput,
    why: Refusal,
) -> Result<HttpResponse, PageError> {
    let own = tokens::own_tokens(&state.pool, &user.principal).await?;
    let view = TokensView::new(own, state.clock.now())?;
    let own = &view.own;
    let ticked = input.scopes.as_deref();
    let scopes = ScopeField::new(&own.scopes, user.principal.is_admin(), ticked);
    let form = GenerateForm {
        lifetime_days: input.lifetime_days.clone(),
        description: input.description.clone(),
        lifetime_error: why.lifetime,
        description_error: why.description,
        limit_hint: own.policy.lifetime_hint(),
        scopes: scopes.with_error(why.scopes),
    };
    // The whole page, its dialog open on the form: with JavaScript the person stays
    // where they were; without it the form shows in place above their tokens.
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    tokens_page(user, &view, None, form, status)
}

async fn own_token(
    user: &CurrentUser,
    state: &AppState,
    raw_id: &str,
) -> Result<ApiToken, PageError> {
    let id: TokenId = raw_id.parse().map_err(|_| PageError::NotFound)?;
    tokens::find_own(&state.pool, &user.principal, id)
        .await?
        .ok_or(PageError::NotFound)
}

/// "Delete Token...": the confirmation, as a page of its own without JavaScript.
pub async fn confirm_delete(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = own_token(&user, &state, &path).await?;
    let page = DeletePage {
        layout: Layout::for_user(&user)?,
        token: TokenRow::new(&token, state.clock.now()),
    };
    render(StatusCode::OK, &page)
}

pub async fn delete(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let token = own_token(&user, &state, &path).await?;
    if tokens::delete_own(
        &state.pool,
        &user.principal,
        user.address,
        token.id,
        state.clock.now(),
    )
    .await?
    {
        user.session
            .set_flash(&deleted_message(&token.id, token.description.as_ref()))?;
    }
    Ok(see_other(PAGE))
}

/// The flash after a delete: the token's description when it has one, and its ID.
pub(super) fn deleted_message(id: &TokenId, description: Option<&Description>) -> String {
    match description {
        Some(d) => format!("Token \u{201c}{}\u{201d} ({id}) deleted.", d.as_str()),
        None => format!("Token {id} deleted."),
    }
}
