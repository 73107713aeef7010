//! "Admin > Workspace Settings": the workspace's token policy and service scopes,
//! for its admins.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::authority::{Settings, WorkspaceAdmin};
use crate::domain::policy::{Adjustment, MaxLifetime, TokenPolicy};
use crate::domain::scope::ServiceScopes;
use crate::services::workspace_settings::{self, SettingsView};
use crate::state::AppState;

use super::forms::CsrfOnly;
use super::{check_csrf, render, see_other, CurrentUser, Layout, PageError};

const PAGE: &str = "/admin/workspace-settings";

/// What the form shows: the stored policy, or what was typed with its error.
struct SettingsForm {
    tokens_enabled: bool,
    members_may_generate: bool,
    max_lifetime_days: String,
    allow_never_expires: bool,
    /// A maximum lifetime is kept: "never expire" is off and cannot be ticked.
    never_expires_locked: bool,
    allow_legacy_tokens: bool,
    max_error: Option<String>,
    /// The service scopes, one a line.
    service_scopes: String,
    /// Those every member may put on a token, one a line.
    member_service_scopes: String,
    service_scopes_error: Option<String>,
    member_service_scopes_error: Option<String>,
}

impl SettingsForm {
    fn from_view(view: &SettingsView) -> Self {
        let (p, scopes) = (&view.policy, &view.service_scopes);
        let lines = |names: Vec<&str>| names.join("\n");
        SettingsForm {
            tokens_enabled: p.tokens_enabled,
            members_may_generate: p.members_may_generate,
            max_lifetime_days: p.max_lifetime.as_days().to_string(),
            allow_never_expires: p.allow_never_expires,
            never_expires_locked: p.max_days().is_some(),
            allow_legacy_tokens: p.allow_legacy_tokens,
            max_error: None,
            service_scopes: lines(scopes.all().map(|n| n.as_str()).collect()),
            member_service_scopes: lines(scopes.for_members().map(|n| n.as_str()).collect()),
            service_scopes_error: None,
            member_service_scopes_error: None,
        }
    }
}

impl SettingsForm {
    /// What was typed, with why it was refused: the maximum lifetime (`bad_max`),
    /// the service scopes, or both.
    fn refused(input: &SettingsInput, bad_max: bool, scopes: Option<ScopesError>) -> Self {
        let (service_scopes_error, member_service_scopes_error) = match scopes {
            None => (None, None),
            Some(ScopesError::All(e)) => (Some(e), None),
            Some(ScopesError::Members(e)) => (None, Some(e)),
        };
        SettingsForm {
            tokens_enabled: input.tokens_enabled.is_some(),
            members_may_generate: input.members_may_generate.is_some(),
            max_lifetime_days: input.max_lifetime_days.clone(),
            allow_never_expires: input.allow_never_expires.is_some(),
            // Locked as the maximum typed locks it (nothing to lock to if it is not one).
            never_expires_locked: input.policy().is_some_and(|p| p.max_days().is_some()),
            allow_legacy_tokens: input.allow_legacy_tokens.is_some(),
            max_error: bad_max
                .then(|| "Enter -1 (unlimited) or a whole number of days from 1 to 3650.".into()),
            service_scopes: input.service_scopes.clone().unwrap_or_default(),
            member_service_scopes: input.member_service_scopes.clone().unwrap_or_default(),
            service_scopes_error,
            member_service_scopes_error,
        }
    }
}

/// Why the service scopes typed were refused, by the field it is shown beside.
enum ScopesError {
    /// "Service scopes".
    All(String),
    /// "Scopes every member may grant".
    Members(String),
}

#[derive(Template)]
#[template(path = "workspace_settings.html")]
struct SettingsPage {
    layout: Layout,
    workspace_name: String,
    form: SettingsForm,
    violating: usize,
}

#[derive(Deserialize)]
pub struct SettingsInput {
    #[serde(default)]
    csrf_token: String,
    // Checkboxes: present when ticked, absent otherwise.
    tokens_enabled: Option<String>,
    members_may_generate: Option<String>,
    #[serde(default)]
    max_lifetime_days: String,
    allow_never_expires: Option<String>,
    allow_legacy_tokens: Option<String>,
    /// Names separated by new lines, spaces or commas. Absent (a form from before
    /// the field): the service scopes stay as they are.
    service_scopes: Option<String>,
    member_service_scopes: Option<String>,
}

impl SettingsInput {
    /// The policy the form asks for, or `None` when its maximum lifetime is not one.
    fn policy(&self) -> Option<TokenPolicy> {
        let max_lifetime = self
            .max_lifetime_days
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(MaxLifetime::from_days)?;
        Some(TokenPolicy {
            tokens_enabled: self.tokens_enabled.is_some(),
            members_may_generate: self.members_may_generate.is_some(),
            max_lifetime,
            allow_never_expires: self.allow_never_expires.is_some(),
            allow_legacy_tokens: self.allow_legacy_tokens.is_some(),
        })
    }

    /// The service scopes the form asks for; `None` when it has no such fields.
    fn service_scopes(&self) -> Option<Result<ServiceScopes, ScopesError>> {
        let names = |typed: &Option<String>| -> Vec<String> {
            typed
                .as_deref()
                .unwrap_or("")
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if self.service_scopes.is_none() && self.member_service_scopes.is_none() {
            return None;
        }
        let (all, members) = (
            names(&self.service_scopes),
            names(&self.member_service_scopes),
        );
        // The list alone first, so that a refusal is shown beside the field it is about.
        let parsed = ServiceScopes::parse(&all, &[])
            .map_err(|e| ScopesError::All(e.to_string()))
            .and_then(|_| {
                ServiceScopes::parse(&all, &members)
                    .map_err(|e| ScopesError::Members(e.to_string()))
            });
        Some(parsed)
    }
}

fn page(
    user: &CurrentUser,
    status: StatusCode,
    form: SettingsForm,
    violating: usize,
) -> Result<HttpResponse, PageError> {
    render(
        status,
        &SettingsPage {
            layout: Layout::for_user(user)?,
            workspace_name: user.principal.workspace_name.clone(),
            form,
            violating,
        },
    )
}

pub async fn show(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Settings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let view = workspace_settings::get(&state.pool, &admin, state.clock.now()).await?;
    page(
        &user,
        StatusCode::OK,
        SettingsForm::from_view(&view),
        view.violating,
    )
}

pub async fn save(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Settings>,
    state: web::Data<AppState>,
    input: web::Form<SettingsInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let now = state.clock.now();
    let current = workspace_settings::get(&state.pool, &admin, now).await?;
    let asked_scopes = input
        .service_scopes()
        .unwrap_or_else(|| Ok(current.service_scopes.clone()));
    let (policy, scopes) = match (input.policy(), asked_scopes) {
        (Some(policy), Ok(scopes)) => (policy, scopes),
        (policy, scopes) => {
            // Show what was typed, with the reasons; the current count stays visible.
            let form = SettingsForm::refused(&input, policy.is_none(), scopes.err());
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&user, status, form, current.violating);
        }
    };
    let (saved, adjustments) =
        workspace_settings::update(&state.pool, &admin, user.address, policy, scopes, now).await?;
    user.session
        .set_flash(&saved_message(saved.violating, &adjustments))?;
    Ok(see_other(PAGE))
}

/// "Workspace settings saved.", then what was kept other than asked, then how many
/// tokens break the settings.
fn saved_message(violating: usize, adjustments: &[Adjustment]) -> String {
    let mut message = "Workspace settings saved.".to_owned();
    for adjustment in adjustments {
        message.push(' ');
        message.push_str(adjustment.describe());
    }
    match violating {
        0 => {}
        1 => message.push_str(" 1 existing token breaks them."),
        n => message.push_str(&format!(" {n} existing tokens break them.")),
    }
    message
}

/// Deletes the live tokens that break the workspace's settings.
pub async fn delete_violating(
    WorkspaceAdmin {
        caller: user,
        admin,
        ..
    }: WorkspaceAdmin<CurrentUser, Settings>,
    state: web::Data<AppState>,
    input: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let deleted =
        workspace_settings::delete_violating(&state.pool, &admin, user.address, state.clock.now())
            .await?;
    let message = match deleted {
        1 => "Deleted 1 token.".to_owned(),
        n => format!("Deleted {n} tokens."),
    };
    user.session.set_flash(&message)?;
    Ok(see_other(PAGE))
}
