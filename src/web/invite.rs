//! `/invite/{code}`: the page where a person invited to a workspace (by Admin >
//! People or the API) sets their password, which uses the link up and signs them
//! in.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::session::TypedSession;
use crate::domain::invite::InviteCode;
use crate::services::invitations;
use crate::services::people::PeopleError;
use crate::state::AppState;

use super::forms::{NewPasswordInput, PasswordErrors};
use super::{check_csrf, home, render, see_other, Layout, PageError};

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    layout: Layout,
    username: String,
    errors: PasswordErrors,
    /// The rule every new password must meet, stated beside the field.
    password_rule: &'static str,
}

fn invite_code(raw: &str) -> Result<InviteCode, PageError> {
    InviteCode::parse(raw)
        .ok_or_else(|| PageError::BadRequest(PeopleError::InvalidInvite.to_string()))
}

/// The invited person's "Set your password" page, with why it was refused if it
/// was.
fn invite_page(
    session: &TypedSession,
    status: StatusCode,
    username: String,
    errors: PasswordErrors,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::anonymous(session)?;
    render(
        status,
        &InvitePage {
            layout,
            username,
            errors,
            password_rule: crate::domain::password::RULE,
        },
    )
}

/// The invited person's "Set your password" page.
pub async fn form(
    session: TypedSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = invite_code(&path)?;
    let username = invitations::invitation(&state.pool, &code, state.clock.now()).await?;
    invite_page(
        &session,
        StatusCode::OK,
        username,
        PasswordErrors::default(),
    )
}

/// Sets the invited person's password, uses the link up and signs them in.
pub async fn accept(
    req: HttpRequest,
    session: TypedSession,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<NewPasswordInput>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &input.csrf_token)?;
    let (code, now) = (invite_code(&path)?, state.clock.now());
    let username = invitations::invitation(&state.pool, &code, now).await?;
    let password = match input.password(&username) {
        Ok(p) => p,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return invite_page(&session, status, username, errors);
        }
    };
    let address = crate::auth::client_address::of(&req);
    let accepted =
        invitations::accept_invitation(&state.pool, &code, password, address, now).await?;
    session
        .sign_in(
            &state.pool,
            accepted.user_id,
            accepted.session_epoch,
            accepted.workspace_id,
            now,
        )
        .await?;
    session.set_flash("Your password is set. Welcome!")?;
    Ok(see_other(home(&state)))
}
