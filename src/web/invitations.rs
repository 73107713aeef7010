//! "Preferences > Workspace Invitations": the signed-in account's open invitations
//! to workspaces, to accept or decline, signed in as itself.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::domain::WorkspaceId;
use crate::services::invitations;
use crate::services::people::PeopleError;
use crate::state::AppState;

use super::forms::CsrfOnly;
use super::{check_csrf, render, see_other, CurrentUser, Layout, PageError};

const PAGE: &str = "/preferences/invitations";

struct InvitationRow {
    workspace_id: String,
    workspace_name: String,
    role: &'static str,
    expires: String,
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    layout: Layout,
    invitations: Vec<InvitationRow>,
}

/// The list, with Accept and Decline for each.
pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let pending =
        invitations::my_invitations(&state.pool, &user.principal, state.clock.now()).await?;
    let invitations = pending
        .iter()
        .map(|p| InvitationRow {
            workspace_id: p.workspace_id.to_string(),
            workspace_name: p.workspace_name.clone(),
            role: if p.role == crate::domain::Role::Admin {
                "Admin"
            } else {
                "Member"
            },
            expires: p.expires_at.to_display(),
        })
        .collect();
    render(
        StatusCode::OK,
        &InvitationsPage {
            layout: Layout::for_user(&user)?,
            invitations,
        },
    )
}

/// Accepts (`accept`) or declines an invitation; back to the list with a flash.
pub async fn answer(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &input.csrf_token)?;
    let (raw, action) = path.into_inner();
    let accept = match action.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(PageError::NotFound),
    };
    let ws = WorkspaceId::parse(&raw).ok_or(PageError::NotFound)?;
    let answered = invitations::answer_invitation(
        &state.pool,
        &user.principal,
        user.address,
        ws,
        accept,
        state.clock.now(),
    )
    .await;
    let message = match answered {
        Ok(p) if accept => format!(
            "You joined the workspace {}: switch to it with the workspace menu.",
            p.workspace_name
        ),
        Ok(p) => format!("You declined the invitation to {}.", p.workspace_name),
        Err(PeopleError::NoInvitation) => PeopleError::NoInvitation.to_string(),
        Err(e) => return Err(e.into()),
    };
    user.session.set_flash(&message)?;
    Ok(see_other(PAGE))
}
