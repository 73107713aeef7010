//! `/v4/workspaceMembers`: the people of the caller's workspace, for its admins.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Password, Role, UserId, Username};
use crate::models::workspace::Member;
use crate::people::{self, Onboarding, PeopleError};
use crate::startup::AppState;

use super::{ApiCaller, ApiError, ErrorEnvelope, MintingCaller};

/// A person in the workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceMember {
    #[schema(format = Uuid)]
    pub user_id: String,
    pub username: String,
    #[schema(pattern = "^(admin|member)$")]
    pub role: String,
    /// `active`, `deactivated`, or `invited` (has not set a password yet).
    #[schema(pattern = "^(active|deactivated|invited)$")]
    pub status: String,
    /// When they joined this workspace (ISO 8601, UTC).
    pub joined_at: String,
}

impl From<&Member> for WorkspaceMember {
    fn from(m: &Member) -> Self {
        let status = match (m.deactivated_at.is_some(), m.invited) {
            (true, _) => "deactivated",
            (false, true) => "invited",
            (false, false) => "active",
        };
        WorkspaceMember {
            user_id: m.user_id.to_string(),
            username: m.username.clone(),
            role: m.role.as_str().to_owned(),
            status: status.to_owned(),
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
    /// An initial password for a new user (1 to 1024 characters); ignored for an
    /// existing account.
    #[schema(min_length = 1, max_length = 1024)]
    pub password: Option<String>,
}

/// The person added; `inviteUrl` (shown only here) when they were invited.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddedMember {
    pub member: WorkspaceMember,
    pub invite_url: Option<String>,
    /// They already had an account (in another workspace) and joined with it.
    pub existing_user: bool,
}

/// A change to a member: their role, or whether their account is active.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateMemberRequest {
    #[schema(pattern = "^(admin|member)$")]
    pub role: Option<String>,
    /// `false` deactivates the account (sign-in and every token stop at once).
    pub active: Option<bool>,
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::NotAdmin => ApiError::AccessDenied(e.to_string()),
            PeopleError::NotFound => ApiError::NotFound(e.to_string()),
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
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let members = people::list(&state.pool, &caller.principal).await?;
    let data: Vec<WorkspaceMember> = members.iter().map(WorkspaceMember::from).collect();
    Ok(HttpResponse::Ok().json(WorkspaceMemberList {
        count: data.len(),
        data,
    }))
}

/// Add someone to the workspace (workspace admins only): an existing account joins
/// as it is; a new user gets the initial password, or else an invitation link.
#[utoipa::path(
    post,
    path = "/v4/workspaceMembers",
    operation_id = "addWorkspaceMember",
    tag = "workspaceMembers",
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "Added", body = AddedMember),
        (status = 400, description = "Invalid request", body = ErrorEnvelope),
        (status = 409, description = "Already a member", body = ErrorEnvelope),
        (status = 413, description = "Body over 16 KiB", body = ErrorEnvelope),
        (status = 415, description = "Body is not application/json", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn add(
    req: HttpRequest,
    // Adding makes a credential (an initial password or an invitation link).
    caller: MintingCaller,
    state: web::Data<AppState>,
    // A `Result`, so that credentials are judged before the body.
    body: Result<web::Json<super::Object<AddMemberRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    if !caller.principal.is_admin() {
        return Err(ApiError::from(PeopleError::NotAdmin).into());
    }
    let body = body?.into_inner().0;
    let username = Username::parse(&body.username)
        .map_err(|e| ApiError::invalid_field("username", e.to_string()))?;
    let role = match body.role.as_deref() {
        None => Role::Member,
        Some(r) => parse_role(r)?,
    };
    let onboarding = match body.password {
        None => Onboarding::Invite,
        Some(p) => Onboarding::Password(
            Password::parse_new(p)
                .map_err(|e| ApiError::invalid_field("password", e.to_string()))?,
        ),
    };
    let added = people::add(
        &state.pool,
        &caller.principal,
        caller.address,
        username,
        role,
        onboarding,
    )
    .await
    .map_err(ApiError::from)?;
    let invite_url = added.invite.map(|code| people::invite_url(&req, &code));
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(AddedMember {
            member: WorkspaceMember::from(&added.member),
            invite_url,
            existing_user: added.existing_user,
        }))
}

/// Change a member's role or deactivate / reactivate their account (workspace
/// admins only). The last active admin cannot be demoted or deactivated.
#[utoipa::path(
    patch,
    path = "/v4/workspaceMembers/{userId}",
    operation_id = "updateWorkspaceMember",
    tag = "workspaceMembers",
    params(("userId" = String, Path, description = "The member's user id", format = Uuid)),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "The member as now", body = WorkspaceMember),
        (status = 400, description = "Invalid request", body = ErrorEnvelope),
        (status = 404, description = "No such member of the workspace", body = ErrorEnvelope),
        (status = 409, description = "The last admin, or deactivating oneself", body = ErrorEnvelope),
        (status = 413, description = "Body over 16 KiB", body = ErrorEnvelope),
        (status = 415, description = "Body is not application/json", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn update(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Result<web::Json<super::Object<UpdateMemberRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    if !caller.principal.is_admin() {
        return Err(ApiError::from(PeopleError::NotAdmin).into());
    }
    let id = parse_user(&path)?;
    let body = body?.into_inner().0;
    let role = body.role.as_deref().map(parse_role).transpose()?;
    let mut member = None;
    if let Some(role) = role {
        member = Some(
            people::set_role(&state.pool, &caller.principal, caller.address, id, role)
                .await
                .map_err(ApiError::from)?,
        );
    }
    if let Some(active) = body.active {
        member = Some(
            people::set_active(&state.pool, &caller.principal, caller.address, id, active)
                .await
                .map_err(ApiError::from)?,
        );
    }
    let member = match member {
        Some(m) => m,
        None => people::list(&state.pool, &caller.principal)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .find(|m| m.user_id == id)
            .ok_or_else(|| ApiError::from(PeopleError::NotFound))?,
    };
    Ok(HttpResponse::Ok().json(WorkspaceMember::from(&member)))
}

/// Remove someone from the workspace (workspace admins only); their tokens here
/// stop working at once and are kept for the audit trail.
#[utoipa::path(
    delete,
    path = "/v4/workspaceMembers/{userId}",
    operation_id = "removeWorkspaceMember",
    tag = "workspaceMembers",
    params(("userId" = String, Path, description = "The member's user id", format = Uuid)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Malformed user id", body = ErrorEnvelope),
        (status = 404, description = "No such member of the workspace", body = ErrorEnvelope),
        (status = 409, description = "The last admin", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn remove(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !caller.principal.is_admin() {
        return Err(PeopleError::NotAdmin.into());
    }
    let id = parse_user(&path)?;
    people::remove(&state.pool, &caller.principal, caller.address, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
