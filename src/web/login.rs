//! `/login` and `/logout`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::TypedSession;
use crate::auth::{self, SignInError, SignedIn};
use crate::domain::Password;
use crate::state::AppState;

use super::forms::CsrfOnly;
use super::{check_csrf, render, see_other, Layout, PageError};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn page(
    session: &TypedSession,
    status: StatusCode,
    username: String,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    render(
        status,
        &LoginPage {
            layout: Layout::anonymous(session)?,
            username,
            error: error.map(str::to_owned),
        },
    )
}

pub async fn form(
    session: TypedSession,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    if super::signed_in(&state, &session).await?.is_some() {
        return Ok(see_other(super::home(&state)));
    }
    page(&session, StatusCode::OK, String::new(), None)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: TypedSession,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let LoginForm {
        csrf_token,
        username,
        password,
    } = form.into_inner();
    if !session.csrf_matches(&csrf_token) {
        let message = "Your sign-in form expired. Please sign in again.";
        return page(&session, StatusCode::FORBIDDEN, username, Some(message));
    }
    let addr = crate::auth::client_address::of(&req);
    let outcome = auth::sign_in(
        &state.pool,
        &state.throttle,
        username.clone(),
        Password::offered(password),
        addr,
        None,
    )
    .await;
    match outcome {
        Ok(signed) => start_session(&state, &session, signed).await,
        Err(e) => refused(&session, username, e),
    }
}

/// Starts the session of a sign-in that worked; the password page first when an
/// admin set the password.
async fn start_session(
    state: &AppState,
    session: &TypedSession,
    signed: SignedIn,
) -> Result<HttpResponse, PageError> {
    let principal = &signed.principal;
    session
        .sign_in(
            &state.pool,
            principal.user_id,
            signed.epoch,
            principal.workspace_id,
            state.clock.now(),
        )
        .await?;
    if signed.password_must_change {
        return Ok(see_other(super::PASSWORD_PAGE));
    }
    Ok(see_other(super::home(state)))
}

/// The sign-in page again, saying why the sign-in was refused.
fn refused(
    session: &TypedSession,
    username: String,
    e: SignInError,
) -> Result<HttpResponse, PageError> {
    match e {
        // The page names no workspace, so `NotAMember` cannot happen; refused all
        // the same.
        SignInError::InvalidCredentials | SignInError::NotAMember(_) => page(
            session,
            StatusCode::UNAUTHORIZED,
            username,
            Some("Invalid username or password."),
        ),
        SignInError::Throttled { retry_after } => {
            let minutes = retry_after.as_secs().div_ceil(60);
            let message = format!(
                "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            let mut response = page(
                session,
                StatusCode::TOO_MANY_REQUESTS,
                username,
                Some(&message),
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after.as_secs()),
            );
            Ok(response)
        }
        SignInError::Db(e) => Err(e.into()),
    }
}

/// Signs out: the session's row is deleted at once, so a copy of the cookie saved
/// before is worth nothing, on any instance.
pub async fn logout(
    session: TypedSession,
    state: web::Data<AppState>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&session, &form.csrf_token)?;
    session.sign_out(&state.pool).await?;
    Ok(see_other("/login"))
}
