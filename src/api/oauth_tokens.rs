//! `/v4/oauthTokens`: generate, list, disable and delete the caller's OAuth 2.0
//! API tokens (grants), one at a time or many at once.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::oauth::{GrantId, GrantLifetime, GrantStatus, ACCESS_TOKEN_SECONDS};
use crate::domain::Timestamp;
use crate::services::oauth::{GenerateError, Grant, Scope};
use crate::state::AppState;

use super::bulk::{
    self, Body, Bulk, OAuthBulkDeleteResult, OAuthBulkDisableResult, OAuthTokenIdsRequest,
};
use super::responses::BodyRefused;
use super::responses::GrantIdsRefused;
use super::{ApiCaller, ApiError, ErrorEnvelope, MintingCaller};

/// The body of a generate request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateOAuthTokenRequest {
    /// Describes the token: 1 to 255 characters once trimmed, no control characters.
    #[schema(schema_with = super::tokens::name_schema)]
    pub name: String,
    /// How long the refresh token works, in days.
    #[schema(minimum = 1, maximum = 365, example = 90)]
    #[serde(deserialize_with = "super::tokens::whole_number")]
    pub lifetime_days: i64,
    #[schema(schema_with = super::scopes::request_schema)]
    pub scopes: Option<Vec<String>>,
}

/// What the API shows of an OAuth API token; never a token value.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthTokenInfo {
    #[schema(format = Uuid)]
    pub token_id: String,
    pub name: String,
    /// `Active`, `Disabled` or `Expired`.
    #[schema(example = "Active")]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the refresh token stops working.
    #[schema(format = DateTime)]
    pub expires_at: String,
    #[schema(format = DateTime, required = true)]
    pub disabled_at: Option<String>,
    /// The last refresh; null until the first.
    #[schema(format = DateTime, required = true)]
    pub last_used: Option<String>,
    #[schema(schema_with = super::scopes::info_schema)]
    pub scopes: Vec<String>,
}

impl OAuthTokenInfo {
    pub(super) fn new(g: &Grant, now: Timestamp) -> Self {
        OAuthTokenInfo {
            token_id: g.id.to_string(),
            name: g.name.clone(),
            status: GrantStatus::at(g.disabled_at, g.expires_at, now)
                .label()
                .to_owned(),
            created_at: g.created_at.to_iso8601(),
            expires_at: g.expires_at.to_iso8601(),
            disabled_at: g.disabled_at.map(Timestamp::to_iso8601),
            last_used: g.last_used_at.map(Timestamp::to_iso8601),
            scopes: g.scopes.names().map(str::to_owned).collect(),
        }
    }
}

/// A new OAuth API token: both values, shown this once. `Debug` leaves both values
/// out, so that no log line or panic message can carry them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedOAuthToken {
    /// A signed access token (JWT), valid one hour; send it as `Authorization: Bearer`.
    pub access_token: String,
    /// Exchange it at `POST /oauth2/token` for a new access token and a new refresh token.
    pub refresh_token: String,
    #[schema(example = 3600)]
    pub expires_in: i64,
    pub token_info: OAuthTokenInfo,
}

impl std::fmt::Debug for CreatedOAuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedOAuthToken")
            .field("access_token", &"(sensitive)")
            .field("refresh_token", &"(sensitive)")
            .field("expires_in", &self.expires_in)
            .field("token_info", &self.token_info)
            .finish()
    }
}

/// The caller's OAuth API tokens, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthTokenList {
    pub data: Vec<OAuthTokenInfo>,
    pub count: usize,
}

impl From<GenerateError> for ApiError {
    fn from(e: GenerateError) -> Self {
        match e {
            GenerateError::Policy(v) => v.into(),
            GenerateError::Db(e) => e.into(),
            GenerateError::Keys(e) => {
                tracing::error!(error = %e, "signing failed");
                ApiError::Internal
            }
        }
    }
}

pub(super) fn parse_id(raw: &str) -> Result<GrantId, ApiError> {
    raw.parse().map_err(|()| {
        ApiError::invalid_field(
            "tokenId",
            "A token ID is a UUID such as bab908f7-dcc2-4962-85bd-c1e96d0cacbd.",
        )
    })
}

fn not_found(id: GrantId) -> ApiError {
    ApiError::NotFound(format!(
        "No OAuth API token with ID {id} exists for this user."
    ))
}

/// Generate an OAuth 2.0 API token: an access token (one hour) and a refresh token
/// (the lifetime given). The workspace's policy applies as for access tokens. An
/// access token whose own OAuth API token is disabled, deleted or expired may not
/// (403 `AccessControlException`).
#[utoipa::path(
    post,
    path = "/v4/oauthTokens",
    operation_id = "createOAuthToken",
    tag = "oauthTokens",
    request_body = CreateOAuthTokenRequest,
    responses(
        (status = 201, description = "Created; the values are shown only in this response", body = CreatedOAuthToken),
        BodyRefused,
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn create(
    caller: MintingCaller,
    state: web::Data<AppState>,
    body: Result<web::Json<super::Object<CreateOAuthTokenRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let body = body?.into_inner().0;
    let name = crate::domain::oauth::parse_name(&body.name)
        .map_err(|e| ApiError::invalid_field("name", e))?;
    let lifetime = GrantLifetime::from_days(body.lifetime_days)
        .map_err(|e| ApiError::invalid_field("lifetimeDays", e.to_string()))?;
    let scopes = super::scopes::for_new_token(&state, &caller, body.scopes).await?;
    let (grant, issued) = state
        .oauth
        .generate(
            &state.pool,
            &caller.principal,
            caller.address,
            name,
            lifetime,
            scopes,
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedOAuthToken {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token.expose(),
            expires_in: ACCESS_TOKEN_SECONDS,
            token_info: OAuthTokenInfo::new(&grant, state.oauth.now()),
        }))
}

/// List the caller's OAuth API tokens in their workspace, newest first.
#[utoipa::path(
    get,
    path = "/v4/oauthTokens",
    operation_id = "listOAuthTokens",
    tag = "oauthTokens",
    responses((status = 200, body = OAuthTokenList)),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let grants = state.oauth.list_own(&state.pool, &caller.principal).await?;
    let now = state.oauth.now();
    let data: Vec<OAuthTokenInfo> = grants.iter().map(|g| OAuthTokenInfo::new(g, now)).collect();
    Ok(HttpResponse::Ok().json(OAuthTokenList {
        count: data.len(),
        data,
    }))
}

/// Disable one of the caller's OAuth API tokens: its refresh token stops at once
/// (for good); access tokens already issued work until they expire (an hour at most).
#[utoipa::path(
    post,
    path = "/v4/oauthTokens/{tokenId}/disable",
    operation_id = "disableOAuthToken",
    tag = "oauthTokens",
    params(("tokenId" = String, Path, format = Uuid)),
    responses(
        (status = 200, body = OAuthTokenInfo),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 404, description = "No such token of the caller's", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn disable(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let grant = state
        .oauth
        .disable_own(&state.pool, &caller.principal, caller.address, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(OAuthTokenInfo::new(&grant, state.oauth.now())))
}

/// Delete one of the caller's OAuth API tokens: its refresh token stops at once;
/// access tokens already issued work until they expire (an hour at most).
#[utoipa::path(
    delete,
    path = "/v4/oauthTokens/{tokenId}",
    operation_id = "deleteOAuthToken",
    tag = "oauthTokens",
    params(("tokenId" = String, Path, format = Uuid)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 404, description = "No such token of the caller's", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    if !state
        .oauth
        .delete_own(&state.pool, &caller.principal, caller.address, id)
        .await?
    {
        return Err(not_found(id));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Disable many of the caller's OAuth API tokens at once: their refresh tokens stop
/// at once (for good); access tokens already issued work until they expire (an
/// hour at most). Ids that are not the caller's are reported, not acted on.
#[utoipa::path(
    post,
    path = "/v4/oauthTokens/disable",
    operation_id = "disableOAuthTokens",
    tag = "oauthTokens",
    request_body = OAuthTokenIdsRequest,
    responses((status = 200, body = OAuthBulkDisableResult), GrantIdsRefused),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn disable_many(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: Body<OAuthTokenIdsRequest>,
) -> actix_web::Result<HttpResponse> {
    bulk::on_grants(&caller, &state, Scope::Own, body, Bulk::Disable).await
}

/// Delete many of the caller's OAuth API tokens at once: their refresh tokens stop
/// at once; access tokens already issued work until they expire (an hour at most).
/// Ids that are not the caller's are reported, not acted on.
#[utoipa::path(
    post,
    path = "/v4/oauthTokens/delete",
    operation_id = "deleteOAuthTokens",
    tag = "oauthTokens",
    request_body = OAuthTokenIdsRequest,
    responses((status = 200, body = OAuthBulkDeleteResult), GrantIdsRefused),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete_many(
    caller: ApiCaller,
    state: web::Data<AppState>,
    body: Body<OAuthTokenIdsRequest>,
) -> actix_web::Result<HttpResponse> {
    bulk::on_grants(&caller, &state, Scope::Own, body, Bulk::Delete).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_new_oauth_token_shows_neither_value() {
        let created = CreatedOAuthToken {
            access_token: "eyJ.secret-access.sig".into(),
            refresh_token: "art_x.secret-refresh".into(),
            expires_in: 3600,
            token_info: OAuthTokenInfo {
                token_id: "00000000-0000-0000-0000-000000000000".into(),
                name: "nightly".into(),
                status: "Active".into(),
                created_at: "2026-12-06T00:00:00.000Z".into(),
                expires_at: "2027-03-06T00:00:00.000Z".into(),
                disabled_at: None,
                last_used: None,
                scopes: vec!["api".into()],
            },
        };
        let shown = format!("{created:?}");
        assert!(!shown.contains("secret-access"), "{shown}");
        assert!(!shown.contains("secret-refresh"), "{shown}");
        assert!(shown.contains("(sensitive)") && shown.contains("nightly"));
    }
}
