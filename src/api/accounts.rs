//! `/v4/accounts`: every account of the instance, for instance admins: list, read,
//! deactivate or reactivate, grant or take the instance admin role, set a password.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::authority::InstanceAdmin;
use crate::domain::{Password, UserId, WorkspaceId};
use crate::services::accounts::{self, AccountError, AccountUpdate, AccountView};
use crate::state::AppState;

use super::responses::BodyRefused;
use super::{ApiCaller, ApiError, ErrorEnvelope};

/// A workspace an account is in, with its role there.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountWorkspace {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    #[schema(pattern = "^(admin|member)$")]
    pub role: String,
}

/// An account of the instance.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[schema(format = Uuid)]
    pub id: String,
    pub username: String,
    /// `false` once deactivated: no sign-in anywhere, no token works.
    pub active: bool,
    /// May manage every account and see the instance's events.
    pub instance_admin: bool,
    /// When the account was made (ISO 8601, UTC).
    pub created_at: String,
    /// By name.
    pub workspaces: Vec<AccountWorkspace>,
    /// `false` for a name an open invitation link reserves (no password yet).
    pub password_set: bool,
    /// The workspaces it is invited to and has not joined, by name; an instance
    /// admin may withdraw any (`DELETE .../invitations/{workspaceId}`).
    pub invitations: Vec<AccountInvitation>,
}

/// An open invitation of an account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountInvitation {
    #[schema(format = Uuid)]
    pub workspace_id: String,
    pub workspace_name: String,
}

impl From<AccountView> for Account {
    fn from(a: AccountView) -> Self {
        Account {
            id: a.id.to_string(),
            username: a.username,
            active: a.active,
            instance_admin: a.instance_admin,
            created_at: a.created_at.to_iso8601(),
            workspaces: a
                .memberships
                .into_iter()
                .map(|m| AccountWorkspace {
                    id: m.workspace_id.to_string(),
                    name: m.workspace_name,
                    role: m.role.as_str().to_owned(),
                })
                .collect(),
            password_set: a.password_set,
            invitations: a
                .invitations
                .into_iter()
                .map(|i| AccountInvitation {
                    workspace_id: i.workspace_id.to_string(),
                    workspace_name: i.workspace_name,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub data: Vec<Account>,
    pub count: usize,
}

/// A change to an account; at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateAccountRequest {
    /// `false` deactivates the account: no sign-in in any workspace, its sessions
    /// end and every token of theirs stops at once. `true` reactivates it.
    pub active: Option<bool>,
    /// Grants (`true`) or takes (`false`) the instance admin role.
    pub instance_admin: Option<bool>,
    /// A new password for the account (its sessions end): 12 to 1,024 characters
    /// and hard to guess, the rule of every password that is set.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound | AccountError::NoInvitation => {
                ApiError::NotFound(e.to_string())
            }
            AccountError::LastInstanceAdmin
            | AccountError::Yourself
            | AccountError::Reserved(_) => ApiError::Conflict(e.to_string()),
            AccountError::Db(e) => e.into(),
        }
    }
}

fn parse_user(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw).ok_or_else(|| ApiError::invalid_field("userId", "userId must be a UUID."))
}

/// List every account of the instance, by name (instance admins only).
#[utoipa::path(
    get,
    path = "/v4/accounts",
    operation_id = "listAccounts",
    tag = "accounts",
    responses(
        (status = 200, description = "Every account, by name", body = AccountList),
        (status = 403, description = "Not an instance admin", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(
    admin: InstanceAdmin<ApiCaller>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let all = accounts::list(&state.pool, &admin.admin, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(AccountList {
        count: all.len(),
        data: all.into_iter().map(Account::from).collect(),
    }))
}

/// Read one account (instance admins only).
#[utoipa::path(
    get,
    path = "/v4/accounts/{userId}",
    operation_id = "getAccount",
    tag = "accounts",
    params(("userId" = String, Path, description = "The account's user id", format = Uuid)),
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 400, description = "Malformed user id", body = ErrorEnvelope),
        (status = 403, description = "Not an instance admin", body = ErrorEnvelope),
        (status = 404, description = "No such account", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn get(
    admin: InstanceAdmin<ApiCaller>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_user(&path)?;
    let account = accounts::get(&state.pool, &admin.admin, id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Account::from(account)))
}

/// Deactivate or reactivate an account, grant or take the instance admin role, or
/// set its password (instance admins only), all at once. The last active instance
/// admin can be neither deactivated nor demoted (409).
#[utoipa::path(
    patch,
    path = "/v4/accounts/{userId}",
    operation_id = "updateAccount",
    tag = "accounts",
    params(("userId" = String, Path, description = "The account's user id", format = Uuid)),
    request_body = UpdateAccountRequest,
    responses(
        (status = 200, description = "The account as now", body = Account),
        (status = 403, description = "Not an instance admin", body = ErrorEnvelope),
        (status = 404, description = "No such account", body = ErrorEnvelope),
        (status = 409, description = "The last active instance admin, or deactivating oneself", body = ErrorEnvelope),
        BodyRefused,
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn update(
    admin: InstanceAdmin<ApiCaller>,
    state: web::Data<AppState>,
    path: web::Path<String>,
    // A `Result`, so that credentials and role are judged before the body.
    body: Result<web::Json<super::Object<UpdateAccountRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let (id, now) = (parse_user(&path)?, state.clock.now());
    let body = body?.into_inner().0;
    if body.active.is_none() && body.instance_admin.is_none() && body.password.is_none() {
        return Err(ApiError::invalid_field(
            "body",
            "Say what to change: active, instanceAdmin or password.",
        )
        .into());
    }
    let password = match body.password {
        None => None,
        // The rule reads the account's own name, as everywhere a password is set.
        Some(raw) => {
            let account = accounts::get(&state.pool, &admin.admin, id, now)
                .await
                .map_err(ApiError::from)?;
            Some(
                Password::parse_new(raw, &account.username)
                    .map_err(|e| ApiError::invalid_field("password", e.to_string()))?,
            )
        }
    };
    let change = AccountUpdate {
        active: body.active,
        instance_admin: body.instance_admin,
        password,
    };
    let account = accounts::update(&state.pool, &admin.admin, admin.address, id, change, now)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(Account::from(account)))
}

/// Withdraw an account's open invitation to a workspace, whichever workspace
/// (instance admins only): a name reserved by a link is freed and leaves no account
/// behind; an existing account's invitation is dropped.
#[utoipa::path(
    delete,
    path = "/v4/accounts/{userId}/invitations/{workspaceId}",
    operation_id = "withdrawAccountInvitation",
    tag = "accounts",
    params(
        ("userId" = String, Path, description = "The account's user id", format = Uuid),
        ("workspaceId" = String, Path, description = "The workspace it is invited to", format = Uuid),
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 400, description = "Malformed id", body = ErrorEnvelope),
        (status = 403, description = "Not an instance admin", body = ErrorEnvelope),
        (status = 404, description = "No open invitation of that account to that workspace", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn withdraw_invitation(
    admin: InstanceAdmin<ApiCaller>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user, workspace) = path.into_inner();
    let id = parse_user(&user)?;
    let workspace = WorkspaceId::parse(&workspace)
        .ok_or_else(|| ApiError::invalid_field("workspaceId", "workspaceId must be a UUID."))?;
    accounts::withdraw_invitation(
        &state.pool,
        &admin.admin,
        admin.address,
        id,
        workspace,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
