//! `/v4/workspaceOAuthTokens`: a workspace admin lists, disables and deletes the
//! OAuth 2.0 API tokens of everyone in the workspace, one or many at once. Anyone
//! else gets 403 `AccessControlException`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::authority::{Tokens, WorkspaceAdmin};
use crate::domain::grant_query::{GrantIds, GrantQuery, RawGrantQuery};
use crate::domain::oauth::GrantId;
use crate::domain::Timestamp;
use crate::services::oauth::{OwnedGrant, Scope};
use crate::state::AppState;

use super::admin_tokens::TokenOwner;
use super::bulk::{
    self, Body, Bulk, OAuthBulkDeleteResult, OAuthBulkDisableResult, OAuthTokenIdsRequest,
};
use super::list_query;
use super::oauth_tokens::{parse_id, OAuthTokenInfo};
use super::responses::GrantIdsRefused;
use super::{ApiCaller, ApiError, ErrorEnvelope};

/// An OAuth API token of the workspace, with its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceOAuthTokenInfo {
    #[serde(flatten)]
    pub info: OAuthTokenInfo,
    pub owner: TokenOwner,
}

impl WorkspaceOAuthTokenInfo {
    fn new(g: &OwnedGrant, now: Timestamp) -> Self {
        WorkspaceOAuthTokenInfo {
            info: OAuthTokenInfo::new(&g.grant, now),
            owner: TokenOwner {
                id: g.grant.user_id.to_string(),
                username: g.owner_username.clone(),
            },
        }
    }
}

/// One page of the workspace's OAuth API tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceOAuthTokenList {
    pub data: Vec<WorkspaceOAuthTokenInfo>,
    /// How many tokens match the filters in all (not only on this page).
    pub count: i64,
}

/// The query string of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this user's tokens (exact username).
    #[param(max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    owner: Option<String>,
    /// `active`, `disabled` or `expired` (a disabled token counts as disabled even
    /// once past its expiry).
    #[param(pattern = "^(active|disabled|expired)$")]
    status: Option<String>,
    /// Only tokens whose name contains this text, ignoring case (on SQLite, only
    /// the case of ASCII letters).
    #[param(max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    name: Option<String>,
    /// Only tokens that carry this scope, matched as a whole name among the scopes
    /// each token was given (a service scope taken off the workspace's list still
    /// finds the tokens that carry it). A name that is not well formed is a 400.
    #[param(pattern = "^[a-z0-9:._-]{1,64}$", example = "read_api")]
    scope: Option<String>,
    /// `created` (default), `expires`, `lastUsed` (never-used first) or `owner`
    /// (username).
    #[param(pattern = "^(created|expires|lastUsed|owner)$")]
    sort: Option<String>,
    /// `asc` or `desc`; default `desc`, or `asc` when sorting by owner.
    #[param(pattern = "^(asc|desc)$")]
    order: Option<String>,
    /// Rows to return, 1 to 500 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// Rows to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

impl ListParams {
    fn query(&self) -> Result<GrantQuery, ApiError> {
        list_query::check_exact(
            (self.status.as_deref(), &["active", "disabled", "expired"]),
            self.sort.as_deref(),
            self.order.as_deref(),
            self.limit.as_deref(),
            self.offset.as_deref(),
        )?;
        Ok(GrantQuery::parse(&RawGrantQuery {
            owner: self.owner.as_deref(),
            status: self.status.as_deref(),
            name: self.name.as_deref(),
            sort: self.sort.as_deref(),
            order: self.order.as_deref(),
        })?
        .with_scope(self.scope.as_deref())?
        .with_limit_offset(self.limit.as_deref(), self.offset.as_deref())?)
    }
}

fn not_found(id: GrantId) -> ApiError {
    ApiError::NotFound(format!(
        "No OAuth API token with ID {id} exists in this workspace."
    ))
}

/// List the OAuth API tokens of everyone in the caller's workspace (admins only).
#[utoipa::path(
    get,
    path = "/v4/workspaceOAuthTokens",
    operation_id = "listWorkspaceOAuthTokens",
    tag = "workspaceOAuthTokens",
    params(ListParams),
    responses(
        (status = 200, body = WorkspaceOAuthTokenList),
        (status = 400, description = "An invalid filter, sort, limit or offset (`details.field`)", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(
    WorkspaceAdmin { admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = params.query()?;
    let page = state
        .oauth
        .list_workspace(&state.pool, &admin, query)
        .await?;
    Ok(HttpResponse::Ok().json(WorkspaceOAuthTokenList {
        data: page
            .grants
            .iter()
            .map(|g| WorkspaceOAuthTokenInfo::new(g, page.now))
            .collect(),
        count: page.total,
    }))
}

/// Disable any OAuth API token of the caller's workspace (admins only): its refresh
/// token stops at once (for good); access tokens already issued work until they
/// expire (an hour at most). Disabling a disabled token changes nothing.
#[utoipa::path(
    post,
    path = "/v4/workspaceOAuthTokens/{tokenId}/disable",
    operation_id = "disableWorkspaceOAuthToken",
    tag = "workspaceOAuthTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's ID")),
    responses(
        (status = 200, description = "The token, disabled", body = WorkspaceOAuthTokenInfo),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 404, description = "No such token in the workspace", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn disable(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let outcome = state
        .oauth
        .disable(
            &state.pool,
            &caller.principal,
            caller.address,
            Scope::Workspace(&admin),
            GrantIds::one(id),
        )
        .await?;
    let grant = outcome
        .done
        .iter()
        .chain(&outcome.unchanged)
        .next()
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(WorkspaceOAuthTokenInfo::new(grant, state.oauth.now())))
}

/// Delete any OAuth API token of the caller's workspace (admins only): its refresh
/// token stops at once; access tokens already issued work until they expire (an
/// hour at most).
#[utoipa::path(
    delete,
    path = "/v4/workspaceOAuthTokens/{tokenId}",
    operation_id = "deleteWorkspaceOAuthToken",
    tag = "workspaceOAuthTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's ID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 404, description = "No such token in the workspace", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let outcome = state
        .oauth
        .delete(
            &state.pool,
            &caller.principal,
            caller.address,
            Scope::Workspace(&admin),
            GrantIds::one(id),
        )
        .await?;
    if outcome.done.is_empty() {
        return Err(not_found(id));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Disable many OAuth API tokens of the caller's workspace at once (admins only).
/// Ids that are unknown or of another workspace are reported, not acted on.
#[utoipa::path(
    post,
    path = "/v4/workspaceOAuthTokens/disable",
    operation_id = "disableWorkspaceOAuthTokens",
    tag = "workspaceOAuthTokens",
    request_body = OAuthTokenIdsRequest,
    responses((status = 200, body = OAuthBulkDisableResult), GrantIdsRefused),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn disable_many(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    body: Body<OAuthTokenIdsRequest>,
) -> actix_web::Result<HttpResponse> {
    let scope = Scope::Workspace(&admin);
    bulk::on_grants(&caller, &state, scope, body, Bulk::Disable).await
}

/// Delete many OAuth API tokens of the caller's workspace at once (admins only).
/// Ids that are unknown or of another workspace are reported, not acted on.
#[utoipa::path(
    post,
    path = "/v4/workspaceOAuthTokens/delete",
    operation_id = "deleteWorkspaceOAuthTokens",
    tag = "workspaceOAuthTokens",
    request_body = OAuthTokenIdsRequest,
    responses((status = 200, body = OAuthBulkDeleteResult), GrantIdsRefused),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete_many(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    body: Body<OAuthTokenIdsRequest>,
) -> actix_web::Result<HttpResponse> {
    let scope = Scope::Workspace(&admin);
    bulk::on_grants(&caller, &state, scope, body, Bulk::Delete).await
}
