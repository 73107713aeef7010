//! `/v4/apiAccessTokens`: create, list, read and delete the caller's access tokens.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Description, Lifetime, TokenId};
use crate::models::token::ApiToken;
use crate::startup::AppState;
use crate::tokens;

use super::{ApiCaller, ApiError, ErrorEnvelope};

/// The body of a create request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateTokenRequest {
    /// Lifetime in seconds, 1 to 315360000 (ten years), or -1 for a token that
    /// never expires.
    #[schema(example = 100, minimum = -1, maximum = 315_360_000)]
    pub lifetime_seconds: i64,
    /// A user-friendly description, at most 255 characters.
    #[schema(example = "My 100-second token", max_length = 255)]
    pub description: Option<String>,
}

/// What the API shows of a token; never its value.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// Internal identifier of the token (not the token itself).
    #[schema(example = "bab908f7-dcc2-4962-85bd-c1e96d0cacbd", format = Uuid)]
    pub token_id: String,
    #[schema(example = "My 100-second token")]
    pub description: Option<String>,
    /// When the token expires; null when it never expires.
    #[schema(example = "2019-01-16T00:06:41.743Z", format = DateTime)]
    pub expired_at: Option<String>,
    /// When the token was last used; null until its first use.
    #[schema(format = DateTime)]
    pub last_used: Option<String>,
    #[schema(example = "2019-01-16T00:05:01.743Z", format = DateTime)]
    pub created_at: String,
}

impl From<&ApiToken> for TokenInfo {
    fn from(t: &ApiToken) -> Self {
        TokenInfo {
            token_id: t.id.to_string(),
            description: t.description.as_ref().map(|d| d.as_str().to_owned()),
            expired_at: t.expires_at.map(|e| e.to_iso8601()),
            last_used: t.last_used_at.map(|e| e.to_iso8601()),
            created_at: t.created_at.to_iso8601(),
        }
    }
}

/// A new token: its value, shown this once, and its info.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    /// The token itself: keep it, it cannot be retrieved again.
    pub token_value: String,
    pub token_info: TokenInfo,
}

/// The caller's tokens, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub data: Vec<TokenInfo>,
    pub count: usize,
}

fn parse_token_id(raw: &str) -> Result<TokenId, ApiError> {
    raw.parse()
        .map_err(|e: crate::domain::token::TokenIdError| {
            ApiError::invalid_field("tokenId", e.to_string())
        })
}

/// Create an access token for the authenticated user.
#[utoipa::path(
    post,
    path = "/v4/apiAccessTokens",
    operation_id = "createApiAccessToken",
    tag = "apiAccessTokens",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "Created; the value is shown only in this response", body = CreatedToken),
        (status = 400, description = "Invalid request", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelope),
        (status = 413, description = "Body over 16 KiB", body = ErrorEnvelope),
        (status = 415, description = "Body is not application/json", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn create(
    caller: ApiCaller,
    state: web::Data<AppState>,
    // A `Result`, so that actix waits for `caller` instead of answering with the
    // first extractor error: credentials are judged (and failures counted) before
    // the body is.
    body: Result<web::Json<CreateTokenRequest>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let body = body?.into_inner();
    let lifetime = Lifetime::from_seconds(body.lifetime_seconds)
        .map_err(|e| ApiError::invalid_field("lifetimeSeconds", e.to_string()))?;
    let description = Description::parse_optional(body.description.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::invalid_field("description", e.to_string()))?;
    let (token, value) = tokens::create(&state.pool, &caller.principal, lifetime, description)
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::LOCATION,
            format!("/v4/apiAccessTokens/{}", token.id),
        ))
        .json(CreatedToken {
            token_value: value.expose().to_owned(),
            token_info: TokenInfo::from(&token),
        }))
}

/// List all access tokens of the authenticated user, newest first.
#[utoipa::path(
    get,
    path = "/v4/apiAccessTokens",
    operation_id = "listApiAccessTokens",
    tag = "apiAccessTokens",
    responses(
        (status = 200, body = TokenList),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let tokens = tokens::list_own(&state.pool, &caller.principal).await?;
    let data: Vec<TokenInfo> = tokens.iter().map(TokenInfo::from).collect();
    Ok(HttpResponse::Ok().json(TokenList {
        count: data.len(),
        data,
    }))
}

/// Get one of the authenticated user's access tokens.
#[utoipa::path(
    get,
    path = "/v4/apiAccessTokens/{tokenId}",
    operation_id = "getApiAccessToken",
    tag = "apiAccessTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's Token ID")),
    responses(
        (status = 200, body = TokenInfo),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelope),
        (status = 404, description = "No such token of the caller's", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn get(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_token_id(&path)?;
    let token = tokens::find_own(&state.pool, &caller.principal, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(TokenInfo::from(&token)))
}

/// Delete one of the authenticated user's access tokens. It stops working at once.
#[utoipa::path(
    delete,
    path = "/v4/apiAccessTokens/{tokenId}",
    operation_id = "deleteApiAccessToken",
    tag = "apiAccessTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's Token ID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelope),
        (status = 404, description = "No such token of the caller's", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_token_id(&path)?;
    if !tokens::delete_own(&state.pool, &caller.principal, id).await? {
        return Err(not_found(id));
    }
    Ok(HttpResponse::NoContent().finish())
}

fn not_found(id: TokenId) -> ApiError {
    ApiError::NotFound(format!(
        "No access token with ID {id} exists for this user."
    ))
}
