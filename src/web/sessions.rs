//! Preferences > Sessions: the user's signed-in browsers, and signing them out.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

use crate::services::sessions;
use crate::state::AppState;

use super::forms::CsrfOnly;
use super::{check_csrf, render, see_other, CurrentUser, Layout, PageError};

const PAGE: &str = "/preferences/sessions";

/// One signed-in browser as the page shows it.
struct SessionLine {
    id: String,
    created: String,
    last_seen: String,
    address: String,
    user_agent: String,
    this_browser: bool,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionLine>,
    others: usize,
    max_hours: u64,
    idle_hours: u64,
}

/// The list, this browser marked.
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let rows = sessions::list(&state.pool, user.principal.user_id, state.clock.now()).await?;
    let current = user.session.row_id();
    let lines: Vec<SessionLine> = rows
        .into_iter()
        .map(|r| SessionLine {
            this_browser: current.as_deref() == Some(r.id.as_str()),
            id: r.id,
            created: r.created_at.to_display(),
            last_seen: r.last_seen_at.to_display(),
            address: r.address.unwrap_or_default(),
            user_agent: r.user_agent.unwrap_or_default(),
        })
        .collect();
    let others = lines.iter().filter(|l| !l.this_browser).count();
    let (max_hours, idle_hours) = sessions::limits_in_hours();
    render(
        StatusCode::OK,
        &SessionsPage {
            layout: Layout::for_user(&user)?,
            sessions: lines,
            others,
            max_hours,
            idle_hours,
        },
    )
}

/// Signs one session out; this browser's own is a plain sign-out.
pub async fn sign_out_one(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    input: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let id = Uuid::parse_str(&path)
        .map_err(|_| PageError::NotFound)?
        .to_string();
    if user.session.row_id().as_deref() == Some(id.as_str()) {
        user.session.sign_out(&state.pool).await?;
        return Ok(see_other("/login"));
    }
    if !sessions::sign_out_one(&state.pool, user.principal.user_id, id).await? {
        return Err(PageError::NotFound);
    }
    user.session
        .set_flash("That browser has been signed out.")?;
    Ok(see_other(PAGE))
}

/// Signs out every session of the user but this browser's.
pub async fn sign_out_others(
    user: CurrentUser,
    state: web::Data<AppState>,
    input: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let keep = user.session.row_id().ok_or(PageError::SignInRequired)?;
    let n = sessions::sign_out_others(&state.pool, user.principal.user_id, keep).await?;
    user.session.set_flash(&match n {
        0 => "There were no other sessions to sign out.".to_owned(),
        1 => "1 other session has been signed out.".to_owned(),
        n => format!("{n} other sessions have been signed out."),
    })?;
    Ok(see_other(PAGE))
}
