//! `/v4/workspaceAccessTokens`: a workspace admin lists and deletes the access
//! tokens of everyone in the workspace. Anyone else gets 403
//! `AccessControlException`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::authority::{Tokens, WorkspaceAdmin};
use crate::domain::token::TokenIdError;
use crate::domain::token_query::{QueryError, RawTokenQuery, TokenQuery};
use crate::domain::TokenId;
use crate::services::admin_tokens::{self, OwnedToken};
use crate::state::AppState;

use super::bulk::{Body, BulkDeleteRequest, BulkDeleteResult};
use super::list_query;
use super::responses::TokenIdsRefused;
use super::tokens::TokenInfo;
use super::{ApiCaller, ApiError, ErrorEnvelope};

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::invalid_field(e.field, e.message)
    }
}

/// Who owns a token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOwner {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(example = "alice")]
    pub username: String,
}

/// A token of the workspace, with its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceTokenInfo {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub owner: TokenOwner,
}

impl From<&OwnedToken> for WorkspaceTokenInfo {
    fn from(t: &OwnedToken) -> Self {
        WorkspaceTokenInfo {
            info: TokenInfo::from(&t.token),
            owner: TokenOwner {
                id: t.token.user_id.to_string(),
                username: t.owner_username.clone(),
            },
        }
    }
}

/// One page of the workspace's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceTokenList {
    pub data: Vec<WorkspaceTokenInfo>,
    /// How many tokens match the filters in all (not only on this page).
    pub count: i64,
}

/// The query string of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this user's tokens (exact username); no control characters.
    #[param(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    owner: Option<String>,
    /// `active` (not expired), `expired`, `expiresSoon` (active and expiring within 7
    /// days), `neverExpires`, or `notUsed90Days` (last used more than 90 days ago, or
    /// never used and created more than 90 days ago).
    #[param(pattern = "^(active|expired|expiresSoon|neverExpires|notUsed90Days)$")]
    status: Option<String>,
    /// Only tokens that carry this scope, matched as a whole name among the scopes
    /// each token was given (a service scope taken off the workspace's list still
    /// finds the tokens that carry it). A name that is not well formed is a 400.
    #[param(pattern = "^[a-z0-9:._-]{1,64}$", example = "read_api")]
    scope: Option<String>,
    /// `created` (default), `expires` (never-expiring last), `lastUsed` (never-used
    /// first) or `owner` (username).
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
    fn check_exact(&self) -> Result<(), ApiError> {
        let statuses = [
            "active",
            "expired",
            "expiresSoon",
            "neverExpires",
            "notUsed90Days",
        ];
        list_query::check_exact(
            (self.status.as_deref(), &statuses),
            self.sort.as_deref(),
            self.order.as_deref(),
            self.limit.as_deref(),
            self.offset.as_deref(),
        )
    }
}

/// List the access tokens of everyone in the caller's workspace (admins only).
#[utoipa::path(
    get,
    path = "/v4/workspaceAccessTokens",
    operation_id = "listWorkspaceAccessTokens",
    tag = "workspaceAccessTokens",
    params(ListParams),
    responses(
        (status = 200, body = WorkspaceTokenList),
        (status = 400, description = "An invalid filter, sort, limit or offset (`details.field`)", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(
    WorkspaceAdmin { admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    params.check_exact()?;
    let query = TokenQuery::parse(&RawTokenQuery {
        owner: params.owner.as_deref(),
        status: params.status.as_deref(),
        sort: params.sort.as_deref(),
        order: params.order.as_deref(),
    })?
    .with_scope(params.scope.as_deref())?
    .with_limit_offset(params.limit.as_deref(), params.offset.as_deref())?;
    let page = admin_tokens::list(&state.pool, &admin, query, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(WorkspaceTokenList {
        data: page.tokens.iter().map(WorkspaceTokenInfo::from).collect(),
        count: page.total,
    }))
}

/// Delete any access token of the caller's workspace (admins only). It stops
/// working at once.
#[utoipa::path(
    delete,
    path = "/v4/workspaceAccessTokens/{tokenId}",
    operation_id = "deleteWorkspaceAccessToken",
    tag = "workspaceAccessTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's Token ID")),
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
    let id: TokenId = path
        .parse()
        .map_err(|e: TokenIdError| ApiError::invalid_field("tokenId", e.to_string()))?;
    let deleted = admin_tokens::delete(
        &state.pool,
        &admin,
        caller.address,
        vec![id],
        state.clock.now(),
    )
    .await?;
    if deleted.is_empty() {
        return Err(ApiError::NotFound(format!(
            "No access token with ID {id} exists in this workspace."
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Delete many access tokens of the caller's workspace at once (admins only).
#[utoipa::path(
    post,
    path = "/v4/workspaceAccessTokens/delete",
    operation_id = "deleteWorkspaceAccessTokens",
    tag = "workspaceAccessTokens",
    request_body = BulkDeleteRequest,
    responses((status = 200, body = BulkDeleteResult), TokenIdsRefused),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete_many(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Tokens>,
    state: web::Data<AppState>,
    body: Body<BulkDeleteRequest>,
) -> actix_web::Result<HttpResponse> {
    let ids = body?.into_inner().0.ids()?;
    let deleted = admin_tokens::delete(&state.pool, &admin, caller.address, ids, state.clock.now())
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(BulkDeleteResult {
        deleted: deleted.len(),
        token_ids: deleted.iter().map(|d| d.id.to_string()).collect(),
    }))
}
