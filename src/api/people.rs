//! `/v4/workspaceMembers`: the people of the caller's workspace, for its admins; and
//! `/v4/workspaceInvitations`: the caller's own open invitations to workspaces.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Password, Role, UserId, Username, WorkspaceId};
use crate::services::invitations;
use crate::services::people::{self, Member, Onboarding, Pending, PeopleError};
use crate::state::AppState;

use super::responses::BodyRefused;
use super::Credential;
use super::{ApiCaller, ApiError, ErrorEnvelope, MintingCaller};
use crate::auth::authority::{People, WorkspaceAdmin};

/// A person in the workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceMember {
    #[schema(format = Uuid)]
    pub user_id: String,
    pub username: String,
    #[schema(pattern = "^(admin|member)$")]
    pub role: String,
    /// `active`; `suspended` in this workspace by its admins; `deactivated` (the
    /// account, by an instance admin); or `invited` (has not accepted yet).
    #[schema(pattern = "^(active|suspended|deactivated|invited)$")]
    pub status: String,
    /// When they joined this workspace, or were invited (ISO 8601, UTC).
    pub joined_at: String,
}

impl From<&Member> for WorkspaceMember {
    fn from(m: &Member) -> Self {
        WorkspaceMember {
            user_id: m.user_id.to_string(),
            username: m.username.clone(),
            role: m.role.as_str().to_owned(),
            status: people::status(m).as_str().to_owned(),
            joined_at: m.joined_at.to_iso8601(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceMemberList {
    pub data: Vec<WorkspaceMember>,
    pub count: usize,
}

/// Someone to add. Without `password`, a new user gets a one-time invitation link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddMemberRequest {
    /// 1 to 64 ASCII letters, digits, '.', '_', '-' and '@'.
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    pub username: String,
    /// `member` (the default) or `admin`.
    #[schema(pattern = "^(admin|member)$")]
    pub role: Option<String>,
    /// An initial password for a new user: 12 to 1024 characters and hard to guess
    /// (a zxcvbn score of 3 or more with the user name as context; else 400
    /// `ValidationFailed`); not with `invite`.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    /// `true`: if the name is an existing account, invite it (it joins when it
    /// accepts, signed in as itself) instead of answering 409.
    pub invite: Option<bool>,
}

/// An add request, checked.
struct NewMember {
    username: Username,
    role: Role,
    onboarding: Onboarding,
    invite_existing: bool,
}

impl AddMemberRequest {
    fn checked(self) -> Result<NewMember, ApiError> {
        let username = Username::parse(&self.username)
            .map_err(|e| ApiError::invalid_field("username", e.to_string()))?;
        let role = match self.role.as_deref() {
            None => Role::Member,
            Some(r) => parse_role(r)?,
        };
        let invite_existing = self.invite.unwrap_or(false);
        let onboarding = match self.password {
            // An invitation never sets or touches an existing account's password.
            Some(_) if invite_existing => {
                return Err(ApiError::invalid_field(
                    "password",
                    "password cannot go with invite: an invited account keeps its own.",
                ))
            }
            None => Onboarding::Invite,
            Some(p) => Onboarding::Password(
                Password::parse_new(p, username.as_str())
                    .map_err(|e| ApiError::invalid_field("password", e.to_string()))?,
            ),
        };
        Ok(NewMember {
            username,
            role,
            onboarding,
            invite_existing,
        })
    }
}

/// The person added; `inviteUrl` (shown only here) when they were invited.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddedMember {
    pub member: WorkspaceMember,
    pub invite_url: Option<String>,
    /// The name was an existing account, invited (`"invite": true`): it joins when it
    /// accepts.
    pub existing_user: bool,
}

/// A change to a member: their role, or whether their membership is active.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateMemberRequest {
    #[schema(pattern = "^(admin|member)$")]
    pub role: Option<String>,
    /// `false` suspends the membership in this workspace (their tokens, OAuth grants
    /// and pages stop here at once, nowhere else); `true` restores it.
    pub active: Option<bool>,
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::NotFound | PeopleError::NoInvitation => ApiError::NotFound(e.to_string()),
            e if e.is_existing_user() => ApiError::ConflictWith {
                details: serde_json::json!({
                    "existingUser": true,
                    "reserved": matches!(e, PeopleError::Reserved(_)),
                }),
                message: e.to_string(),
            },
            PeopleError::Db(e) => e.into(),
            other => ApiError::Conflict(other.to_string()),
        }
    }
}

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| ApiError::invalid_field("role", "role must be admin or member."))
}

fn parse_user(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw).ok_or_else(|| ApiError::invalid_field("userId", "userId must be a UUID."))
}

/// List the people of the workspace (workspace admins only).
#[utoipa::path(
    get,
    path = "/v4/workspaceMembers",
    operation_id = "listWorkspaceMembers",
    tag = "workspaceMembers",
    responses((status = 200, description = "Everyone in the workspace, by name", body = WorkspaceMemberList)),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(
    WorkspaceAdmin { admin, .. }: WorkspaceAdmin<ApiCaller, People>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let members = people::list(&state.pool, &admin, state.clock.now()).await?;
    let data: Vec<WorkspaceMember> = members.iter().map(WorkspaceMember::from).collect();
    Ok(HttpResponse::Ok().json(WorkspaceMemberList {
        count: data.len(),
        data,
    }))
}

/// Add someone to the workspace (workspace admins only): a new user gets the initial
/// password, or else an invitation link that reserves the name. A name that exists
/// or is reserved answers 409 (`details.existingUser: true`), unless `invite` is
/// `true`: then the existing account is invited and joins when it accepts.
#[utoipa::path(
    post,
    path = "/v4/workspaceMembers",
    operation_id = "addWorkspaceMember",
    tag = "workspaceMembers",
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = AddedMember),
        (status = 409, description = "Already a member or invited; the name exists or is reserved (`details.existingUser`)", body = ErrorEnvelope),
        BodyRefused,
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn add(
    req: HttpRequest,
    // Adding makes a credential (an initial password or an invitation link).
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<MintingCaller, People>,
    state: web::Data<AppState>,
    // A `Result`, so that credentials are judged before the body.
    body: Result<web::Json<super::Object<AddMemberRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let new = body?.into_inner().0.checked()?;
    let added = people::add(
        &state.pool,
        &admin,
        caller.address,
        new.username,
        new.role,
        new.onboarding,
        new.invite_existing,
        state.clock.now(),
    )
    .await
    .map_err(ApiError::from)?;
    let base = crate::auth::public_url::base_of(&req);
    let invite_url = added
        .invite
        .map(|code| invitations::invite_url(&base, &code));
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(AddedMember {
            member: WorkspaceMember::from(&added.member),
            invite_url,
            existing_user: added.existing_user,
        }))
}

/// Change a member's role or suspend / restore their membership (workspace admins
/// only). The last active admin cannot be demoted or suspended.
#[utoipa::path(
    patch,
    path = "/v4/workspaceMembers/{userId}",
    operation_id = "updateWorkspaceMember",
    tag = "workspaceMembers",
    params(("userId" = String, Path, description = "The member's user id", format = Uuid)),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "The member as now", body = WorkspaceMember),
        (status = 404, description = "No such member of the workspace", body = ErrorEnvelope),
        (status = 409, description = "The last admin, or suspending oneself", body = ErrorEnvelope),
        BodyRefused,
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn update(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, People>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Result<web::Json<super::Object<UpdateMemberRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let (id, now) = (parse_user(&path)?, state.clock.now());
    let body = body?.into_inner().0;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let mut member = None;
    if let Some(role) = role {
        member = Some(
            people::set_role(&state.pool, &admin, caller.address, id, role, now)
                .await
                .map_err(ApiError::from)?,
        );
    }
    if let Some(active) = body.active {
        member = Some(
            people::set_suspended(&state.pool, &admin, caller.address, id, !active, now)
                .await
                .map_err(ApiError::from)?,
        );
    }
    let member = match member {
        Some(m) => m,
        None => people::list(&state.pool, &admin, now)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .find(|m| m.user_id == id)
            .ok_or_else(|| ApiError::from(PeopleError::NotFound))?,
    };
    Ok(HttpResponse::Ok().json(WorkspaceMember::from(&member)))
}

/// Remove someone from the workspace (workspace admins only): their legacy tokens
/// and OAuth grants here are deleted (each audit-logged). For someone invited and
/// not yet joined, withdraws the invitation (the name is free again).
#[utoipa::path(
    delete,
    path = "/v4/workspaceMembers/{userId}",
    operation_id = "removeWorkspaceMember",
    tag = "workspaceMembers",
    params(("userId" = String, Path, description = "The member's user id", format = Uuid)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed user id", body = ErrorEnvelope),
        (status = 404, description = "No such member or invitation in the workspace", body = ErrorEnvelope),
        (status = 409, description = "The last admin", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn remove(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, People>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_user(&path)?;
    people::remove(&state.pool, &admin, caller.address, id, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An open invitation of the caller's account to a workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInvitation {
    #[schema(format = Uuid)]
    pub workspace_id: String,
    pub workspace_name: String,
    #[schema(pattern = "^(admin|member)$")]
    pub role: String,
    /// When it was made and until when it can be accepted (ISO 8601, UTC).
    pub invited_at: String,
    pub expires_at: String,
}

impl From<&Pending> for WorkspaceInvitation {
    fn from(p: &Pending) -> Self {
        WorkspaceInvitation {
            workspace_id: p.workspace_id.to_string(),
            workspace_name: p.workspace_name.clone(),
            role: p.role.as_str().to_owned(),
            invited_at: p.created_at.to_iso8601(),
            expires_at: p.expires_at.to_iso8601(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceInvitationList {
    pub data: Vec<WorkspaceInvitation>,
    pub count: usize,
}

/// Only the account itself, signed in with its own password, answers an
/// invitation: a token acts for one workspace and must not reach further.
fn require_password(caller: &ApiCaller) -> Result<(), ApiError> {
    match caller.credential {
        Credential::Password => Ok(()),
        _ => Err(ApiError::AccessDenied(
            "Answer an invitation with your user name and password (HTTP Basic), not a token."
                .into(),
        )),
    }
}

/// The caller's open invitations to workspaces (any signed-in account).
#[utoipa::path(
    get,
    path = "/v4/workspaceInvitations",
    operation_id = "listMyWorkspaceInvitations",
    tag = "workspaceMembers",
    responses((status = 200, description = "The caller's open invitations, oldest first", body = WorkspaceInvitationList)),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn my_invitations(
    caller: ApiCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pending =
        invitations::my_invitations(&state.pool, &caller.principal, state.clock.now()).await?;
    let data: Vec<WorkspaceInvitation> = pending.iter().map(WorkspaceInvitation::from).collect();
    Ok(HttpResponse::Ok().json(WorkspaceInvitationList {
        count: data.len(),
        data,
    }))
}

async fn answer(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    accept: bool,
) -> Result<HttpResponse, ApiError> {
    require_password(&caller)?;
    let ws = WorkspaceId::parse(&path)
        .ok_or_else(|| ApiError::invalid_field("workspaceId", "workspaceId must be a UUID."))?;
    let pending = invitations::answer_invitation(
        &state.pool,
        &caller.principal,
        caller.address,
        ws,
        accept,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(WorkspaceInvitation::from(&pending)))
}

/// Accept an invitation: the caller's account joins the workspace with the role it
/// was invited with (HTTP Basic only).
#[utoipa::path(
    post,
    path = "/v4/workspaceInvitations/{workspaceId}/accept",
    operation_id = "acceptWorkspaceInvitation",
    tag = "workspaceMembers",
    params(("workspaceId" = String, Path, description = "The inviting workspace", format = Uuid)),
    responses(
        (status = 200, description = "Accepted: now a member", body = WorkspaceInvitation),
        (status = 403, description = "Not signed in with a password", body = ErrorEnvelope),
        (status = 404, description = "No open invitation to that workspace", body = ErrorEnvelope),
    ),
    security(("basic" = []))
)]
pub async fn accept(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(caller, state, path, true).await
}

/// Decline an invitation (HTTP Basic only).
#[utoipa::path(
    post,
    path = "/v4/workspaceInvitations/{workspaceId}/decline",
    operation_id = "declineWorkspaceInvitation",
    tag = "workspaceMembers",
    params(("workspaceId" = String, Path, description = "The inviting workspace", format = Uuid)),
    responses(
        (status = 200, description = "Declined", body = WorkspaceInvitation),
        (status = 403, description = "Not signed in with a password", body = ErrorEnvelope),
        (status = 404, description = "No open invitation to that workspace", body = ErrorEnvelope),
    ),
    security(("basic" = []))
)]
pub async fn decline(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(caller, state, path, false).await
}
