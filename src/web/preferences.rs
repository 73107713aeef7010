//! Preferences: the landing page, changing one's own password, switching workspace.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{self, PasswordChange};
use crate::domain::{Password, WorkspaceId};
use crate::state::AppState;

use super::forms::PasswordErrors;
use super::{check_csrf, home, render, see_other, CurrentUser, Layout, PageError};

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    errors: PasswordErrors,
    /// The rule every new password must meet, stated beside the field.
    password_rule: &'static str,
    /// An admin set the password: say why this page comes first.
    must_change: bool,
}

#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

impl PasswordInput {
    /// The new password, or why it is refused (the confirmation first, then the
    /// rule), beside its field.
    fn new_password(&self, username: &str) -> Result<Password, PasswordErrors> {
        if self.new_password != self.confirm_password {
            return Err(PasswordErrors::mismatch());
        }
        Password::parse_new(self.new_password.clone(), username).map_err(PasswordErrors::rule)
    }
}

#[derive(Deserialize)]
pub struct SwitchInput {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    workspace: String,
}

/// `/preferences`: the first Preferences page there is.
pub async fn index(_user: CurrentUser, state: web::Data<AppState>) -> HttpResponse {
    see_other(home(&state))
}

/// "Change Password".
pub async fn password_form(user: CurrentUser) -> Result<HttpResponse, PageError> {
    password_page(&user, StatusCode::OK, PasswordErrors::default())
}

/// The Change Password page, with why a change was refused if it was.
fn password_page(
    user: &CurrentUser,
    status: StatusCode,
    errors: PasswordErrors,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::for_user(user)?;
    render(
        status,
        &PasswordPage {
            layout,
            errors,
            password_rule: crate::domain::password::RULE,
            must_change: user.password_must_change,
        },
    )
}

/// Changes the signed-in user's password after checking the current one. Their
/// other sessions end (a new session epoch); this one stays signed in; their
/// access tokens keep working, as the seed says.
pub async fn change_password(
    user: CurrentUser,
    state: web::Data<AppState>,
    input: web::Form<PasswordInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    // The rule and the confirmation are told only to who knows the current password.
    let new = input.new_password(&user.principal.username);
    let current = Password::offered(input.current_password.clone());
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let epoch = match auth::change_password(
        &state.pool,
        &user.principal,
        user.address,
        current,
        new,
        state.clock.now(),
    )
    .await?
    {
        PasswordChange::Changed(epoch) => epoch,
        PasswordChange::WrongCurrent => {
            return password_page(&user, refused, PasswordErrors::wrong_current())
        }
        PasswordChange::Refused(why) => return password_page(&user, refused, why),
    };
    user.session
        .keep_after_password_change(&state.pool, user.principal.user_id, epoch)
        .await?;
    user.session.set_flash(
        "Your password has been changed. Your other browser sessions have been signed out; your access tokens keep working.",
    )?;
    Ok(see_other("/preferences/password"))
}

/// Switches the workspace the pages act in, to one the user belongs to.
pub async fn switch_workspace(
    user: CurrentUser,
    state: web::Data<AppState>,
    input: web::Form<SwitchInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let target = WorkspaceId::parse(input.workspace.trim())
        .filter(|w| user.memberships.iter().any(|m| m.workspace_id == *w))
        .ok_or_else(|| PageError::BadRequest("You are not a member of that workspace.".into()))?;
    user.session.set_workspace(&state.pool, target).await?;
    Ok(see_other(home(&state)))
}
