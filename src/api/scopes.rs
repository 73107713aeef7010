//! Scopes on the API's edge: which area each `/v4` route is in, the check every authenticated call passes (in the `ApiCaller` extractor), the `scopes` field's schema, and a refused request for scopes as the envelope.

use actix_web::http::Method;
use actix_web::HttpRequest;
use serde_json::json;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

use crate::auth::caller::{ApiCaller, Credential};
use crate::domain::oauth::GrantId;
use crate::domain::scope::{self, RouteArea, ScopeSet, MAX_NAME_CHARS};
use crate::domain::scope_request::ScopeRequestError;
use crate::domain::TokenId;
use crate::services::tokens;
use crate::state::AppState;

use super::error::ApiError;

/// The area of the route `req` matched, by its pattern. Only `/v4` routes need a
/// scope; introspection, revocation and the JWKS are outside it. A `/v4` route not
/// named here is [`RouteArea::Other`], which only `api` (and `read_api` for a
/// `GET`) opens: a new route is closed to narrower tokens until it is placed.
pub fn area_of(pattern: &str) -> RouteArea {
    let Some(rest) = pattern.strip_prefix("/v4/") else {
        return RouteArea::Open;
    };
    match rest.split('/').next().unwrap_or_default() {
        "apiAccessTokens" | "oauthTokens" => RouteArea::OwnTokens,
        "workspaceAccessTokens"
        | "workspaceOAuthTokens"
        | "workspaceSettings"
        | "workspaceMembers"
        | "auditEvents" => RouteArea::WorkspaceAdmin,
        "open-api-spec" => RouteArea::Open,
        _ => RouteArea::Other,
    }
}

/// Whether `caller` may make the request `req` with its token's scopes. A token may
/// always delete (or disable) itself, whatever its scopes: revoking one's own token
/// needs no scope.
pub fn check(req: &HttpRequest, caller: &ApiCaller) -> Result<(), ApiError> {
    let Some(scopes) = &caller.scopes else {
        return Ok(());
    };
    let Some(pattern) = crate::metrics::route_of(req) else {
        return Ok(());
    };
    let read_only = matches!(*req.method(), Method::GET | Method::HEAD);
    let Err(needed) = scope::permits(scopes, area_of(&pattern), read_only) else {
        return Ok(());
    };
    if revokes_itself(req, &pattern, caller.credential) {
        return Ok(());
    }
    Err(ApiError::InsufficientScope {
        scope: needed.as_str().to_owned(),
        message: format!(
            "This token's scopes ({}) do not allow this request: it needs the scope {}.",
            scopes.to_stored(),
            needed.as_str()
        ),
    })
}

fn revokes_itself(req: &HttpRequest, pattern: &str, credential: Credential) -> bool {
    let id = req.match_info().get("tokenId").unwrap_or_default();
    match (req.method(), pattern, credential) {
        (&Method::DELETE, "/v4/apiAccessTokens/{tokenId}", Credential::Token(own)) => {
            id.parse::<TokenId>().is_ok_and(|id| id == own)
        }
        (
            &Method::DELETE | &Method::POST,
            "/v4/oauthTokens/{tokenId}" | "/v4/oauthTokens/{tokenId}/disable",
            Credential::OAuthAccessToken(own),
        ) => id.parse::<GrantId>().is_ok_and(|id| id == own),
        _ => false,
    }
}

/// The scopes for a token `caller` creates, from the `scopes` of the request (see
/// `domain::scope_request::requested`).
pub async fn for_new_token(
    state: &AppState,
    caller: &ApiCaller,
    asked: Option<Vec<String>>,
) -> Result<ScopeSet, ApiError> {
    Ok(
        tokens::resolve_scopes(&state.pool, &caller.principal, asked, caller.scopes.clone())
            .await??,
    )
}

impl From<ScopeRequestError> for ApiError {
    fn from(e: ScopeRequestError) -> Self {
        let message = e.to_string();
        match e {
            ScopeRequestError::Empty => ApiError::invalid_field("scopes", message),
            ScopeRequestError::Unknown(names) => ApiError::Validation {
                status: actix_web::http::StatusCode::BAD_REQUEST,
                message,
                details: json!({ "field": "scopes", "unknownScopes": names }),
            },
            ScopeRequestError::NotGrantable(_) => ApiError::AccessDenied(message),
        }
    }
}

/// `scopes` in a create request: optional (absent or null is full access), at
/// least one name.
pub fn request_schema() -> Schema {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(RefOr::T(name_schema()))
        .min_items(Some(1))
        .description(Some(
            "What the token may do: `api` (everything you may do; the default when absent or \
             null), `read_api` (every GET you may do), `tokens` (list, create and delete your \
             own tokens), `admin` (the workspace-admin routes, for workspace admins), and the \
             workspace's service scopes (see `serviceScopes` in the workspace settings), which \
             only `/auth/verify` reads. A name that is neither built in nor one of the \
             workspace's service scopes is refused with 400 (`details.unknownScopes`); a scope \
             you may not grant with 403. A token may only create tokens whose scopes it covers.",
        ))
        .examples([json!(["read_api"])])
        .build()
        .into()
}

/// `scopes` in a token's info: the names, sorted.
pub fn info_schema() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(name_schema()))
        .description(Some(
            "The token's scopes, sorted; `[\"api\"]` for full access (every token made \
             without `scopes`).",
        ))
        .examples([json!(["api"])])
        .build()
        .into()
}

/// A scope name, built in or a service scope.
pub fn name_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[a-z0-9:._-]{{1,{MAX_NAME_CHARS}}}$")))
        .examples([json!("read_api")])
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_placed_by_their_first_segment() {
        assert_eq!(
            area_of("/v4/apiAccessTokens/{tokenId}"),
            RouteArea::OwnTokens
        );
        assert_eq!(area_of("/v4/oauthTokens/disable"), RouteArea::OwnTokens);
        assert_eq!(
            area_of("/v4/workspaceSettings/deleteViolatingTokens"),
            RouteArea::WorkspaceAdmin
        );
        assert_eq!(area_of("/v4/auditEvents"), RouteArea::WorkspaceAdmin);
        assert_eq!(area_of("/v4/workspaceInvitations"), RouteArea::Other);
        assert_eq!(area_of("/v4/accounts/{userId}"), RouteArea::Other);
        assert_eq!(area_of("/v4/instanceAuditEvents"), RouteArea::Other);
        assert_eq!(area_of("/v4/open-api-spec"), RouteArea::Open);
        assert_eq!(area_of("/oauth2/introspect"), RouteArea::Open);
    }
}
