//! "Admin > Workspace Settings": the workspace's token policy, for its admins.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::authority::{Settings, WorkspaceAdmin};
use crate::domain::policy::{Adjustment, MaxLifetime, TokenPolicy};
use crate::services::workspace_settings;
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
}

impl SettingsForm {
    fn from_policy(p: &TokenPolicy) -> Self {
        SettingsForm {
            tokens_enabled: p.tokens_enabled,
            members_may_generate: p.members_may_generate,
            max_lifetime_days: p.max_lifetime.as_days().to_string(),
            allow_never_expires: p.allow_never_expires,
            never_expires_locked: p.max_days().is_some(),
            allow_legacy_tokens: p.allow_legacy_tokens,
            max_error: None,
        }
    }
}

impl SettingsForm {
    /// What was typed, with why the maximum lifetime was refused.
    fn refused(input: &SettingsInput) -> Self {
        SettingsForm {
            tokens_enabled: input.tokens_enabled.is_some(),
            members_may_generate: input.members_may_generate.is_some(),
            max_lifetime_days: input.max_lifetime_days.clone(),
            allow_never_expires: input.allow_never_expires.is_some(),
            // The maximum typed is not one: nothing to lock the box to.
            never_expires_locked: false,
            allow_legacy_tokens: input.allow_legacy_tokens.is_some(),
            max_error: Some(
                "Enter -1 (unlimited) or a whole number of days from 1 to 3650.".into(),
            ),
        }
    }
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
        SettingsForm::from_policy(&view.policy),
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
    let Some(policy) = input.policy() else {
        // Show what was typed, with the reason; the current count stays visible.
        let current = workspace_settings::get(&state.pool, &admin, state.clock.now()).await?;
        let form = SettingsForm::refused(&input);
        return page(
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            current.violating,
        );
    };
    let now = state.clock.now();
    // The page does not edit service scopes yet: they stay as they are.
    let scopes = workspace_settings::get(&state.pool, &admin, now)
        .await?
        .service_scopes;
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
