//! Forward authentication for reverse proxies: `/auth/verify` says whether a
//! request's Bearer token is valid, and for whom, in headers the proxy passes on.
//!
//! nginx `auth_request`, Traefik ForwardAuth, Caddy `forward_auth` and Envoy's
//! ext_authz all ask with the original request's headers and read only the status:
//! 2xx lets the request through, 401 (or 403) refuses it. Some send the original
//! method, so every method is answered alike. Only the `Authorization` header is
//! read: never a session cookie, a query parameter or a body, and no cookie is set.

use std::time::Instant;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::BytesMut;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use uuid::Uuid;

use crate::api::{ApiCaller, ApiError, Credential};
use crate::auth::caller::{self, BearerKind, CallerError, Presented};
use crate::auth::client_address;
use crate::domain::scope::ScopeName;
use crate::metrics::{TokenKind, VerifyResult};
use crate::state::AppState;

/// The path proxies call.
pub const PATH: &str = "/auth/verify";

/// The caller's user name.
pub const USER: &str = "x-auth-user";
/// The caller's user id (a UUID).
pub const USER_ID: &str = "x-auth-user-id";
/// The name of the workspace the token acts in.
pub const WORKSPACE: &str = "x-auth-workspace";
/// The id of that workspace (a UUID).
pub const WORKSPACE_ID: &str = "x-auth-workspace-id";
/// The id of the token, as the Access Tokens pages and the API show it: a legacy
/// access token's id, or an OAuth 2.0 API token's (the grant that issued the
/// access token).
pub const TOKEN_ID: &str = "x-auth-token-id";
/// `legacy` or `oauth`.
pub const TOKEN_TYPE: &str = "x-auth-token-type";
/// The caller's role in the workspace: `admin` or `member`.
pub const ROLE: &str = "x-auth-role";
/// The token's scopes that count now, sorted and space-separated.
pub const SCOPES: &str = "x-auth-scopes";
/// Sent by the proxy: the scopes (space-separated) the location requires. Without
/// it any valid token passes.
pub const REQUIRED_SCOPES: &str = "x-auth-required-scopes";
/// [`REQUIRED_SCOPES`] as a header name, made once rather than parsed per request.
const REQUIRED_SCOPES_HEADER: HeaderName = HeaderName::from_static(REQUIRED_SCOPES);

/// RFC 6750 section 3.1's answer to an `Authorization` header that is not one
/// Bearer token. Still 401, not 400: proxies treat any status but 2xx, 401 and 403
/// as their own failure.
const CHALLENGE_INVALID_REQUEST: &str = r#"Bearer realm="access-tokens", error="invalid_request", error_description="Send the token as Authorization: Bearer <token>.""#;

/// 204 with the caller's identity for a valid Bearer token; 401 with an RFC 6750
/// challenge otherwise; 429 when this address sent too many invalid tokens; 503
/// when the token cannot be checked right now. Each answer is counted and timed.
pub(crate) async fn verify(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let started = Instant::now();
    let count = |kind, result| state.metrics.verification(kind, result, started.elapsed());
    // Only one Bearer token in the one `Authorization` header is a request to check
    // (RFC 6750 section 3.1): Basic credentials and other schemes are malformed here.
    let token = match caller::presented(&req) {
        Presented::Missing => {
            count(TokenKind::None, VerifyResult::Missing);
            return missing().error_response();
        }
        Presented::Bearer(token) if token.well_formed => token,
        _ => {
            count(TokenKind::None, VerifyResult::Malformed);
            return malformed();
        }
    };
    let kind = match token.kind {
        BearerKind::OAuth => TokenKind::OAuth,
        BearerKind::Legacy => TokenKind::Legacy,
    };
    // 401 `invalid_token`, 429, 503, or 403 for a scope the location requires, each
    // with the JSON error body (a proxy that knows only 401 and 403 fails closed).
    let answer = caller::bearer_caller(&state, &token, client_address::of(&req))
        .await
        .map_err(|e| (refused(&e), ApiError::from(e)))
        .and_then(|caller| match required_scopes(&req, &caller) {
            Ok(()) => Ok(caller),
            Err(e) => Err((VerifyResult::InsufficientScope, e)),
        });
    match answer {
        Ok(caller) => {
            count(kind, VerifyResult::Valid);
            accepted(&caller)
        }
        Err((result, e)) => {
            count(kind, result);
            e.error_response()
        }
    }
}

/// Whether the token covers every scope the proxy requires in
/// [`REQUIRED_SCOPES`] (each header, names separated by spaces or commas). A name
/// that cannot exist is required like any other, so it refuses every token: a
/// mistyped configuration fails closed.
fn required_scopes(req: &HttpRequest, caller: &ApiCaller) -> Result<(), ApiError> {
    let mut values = req.headers().get_all(REQUIRED_SCOPES_HEADER).peekable();
    if values.peek().is_none() {
        return Ok(());
    }
    let Some(scopes) = &caller.scopes else {
        return Ok(());
    };
    let owner_admin = caller.principal.is_admin();
    // Looked up as written, by `&str`: a check that passes allocates nothing.
    let mut missing: Vec<&str> = Vec::new();
    for value in values {
        let Ok(value) = value.to_str() else {
            missing.push("(unreadable)");
            continue;
        };
        missing.extend(
            value
                .split(|c: char| c == ',' || c.is_ascii_whitespace())
                .filter(|n| !n.is_empty() && !scopes.covers_name(n, owner_admin)),
        );
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(insufficient(req, &missing))
}

/// The refusal of a token that lacks `missing`. The challenge names what the
/// location requires, as RFC 6750 section 3.1 has it: the names that can be put in
/// a header.
fn insufficient(req: &HttpRequest, missing: &[&str]) -> ApiError {
    let scope = req
        .headers()
        .get_all(REQUIRED_SCOPES_HEADER)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(|c: char| c == ',' || c.is_ascii_whitespace()))
        .filter(|n| ScopeName::parse(n).is_ok())
        .collect::<Vec<_>>()
        .join(" ");
    ApiError::InsufficientScope {
        message: format!(
            "This token lacks the scope{} this location requires: {}.",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ),
        scope,
    }
}

/// How a refused token is counted.
fn refused(e: &CallerError) -> VerifyResult {
    match e {
        CallerError::Unauthenticated { .. } => VerifyResult::Invalid,
        CallerError::TokensThrottled { .. } => VerifyResult::Throttled,
        _ => VerifyResult::Error,
    }
}

fn missing() -> ApiError {
    ApiError::Unauthenticated {
        message: "Authentication required: send Authorization: Bearer <token>.".into(),
        token_presented: false,
    }
}

fn malformed() -> HttpResponse {
    let mut response = ApiError::Unauthenticated {
        message: "The Authorization header must hold one Bearer token.".into(),
        token_presented: false,
    }
    .error_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE_INVALID_REQUEST),
    );
    response
}

fn accepted(caller: &ApiCaller) -> HttpResponse {
    let principal = &caller.principal;
    let (token_id, token_type) = match caller.credential {
        Credential::Token(id) => (id.as_uuid(), "legacy"),
        Credential::OAuthAccessToken(grant) => (grant.as_uuid(), "oauth"),
        // Not reachable: only a Bearer value is ever checked here.
        Credential::Password => return malformed(),
    };
    // Every proxy asks this for every request: the response is built directly
    // (not through the builder), and the six values are written into one buffer
    // that each header shares a slice of (one allocation, not one per header).
    let mut response = HttpResponse::new(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    // Header names made once (`from_static` checks its text at every call).
    const NAMES: [HeaderName; 8] = [
        HeaderName::from_static(USER),
        HeaderName::from_static(USER_ID),
        HeaderName::from_static(WORKSPACE),
        HeaderName::from_static(WORKSPACE_ID),
        HeaderName::from_static(TOKEN_ID),
        HeaderName::from_static(TOKEN_TYPE),
        HeaderName::from_static(ROLE),
        HeaderName::from_static(SCOPES),
    ];
    let [user, user_id, workspace, workspace_id, token, kind, role, scopes] = &NAMES;
    let scope_text = caller.scopes.as_ref().map_or("", |s| s.as_stored());
    let mut ids = (
        Uuid::encode_buffer(),
        Uuid::encode_buffer(),
        Uuid::encode_buffer(),
    );
    let values: [(&HeaderName, &[u8]); 6] = [
        (user, principal.username.as_bytes()),
        (
            user_id,
            principal
                .user_id
                .as_uuid()
                .hyphenated()
                .encode_lower(&mut ids.0)
                .as_bytes(),
        ),
        (workspace, principal.workspace_name.as_bytes()),
        (
            workspace_id,
            principal
                .workspace_id
                .as_uuid()
                .hyphenated()
                .encode_lower(&mut ids.1)
                .as_bytes(),
        ),
        (
            token,
            token_id.hyphenated().encode_lower(&mut ids.2).as_bytes(),
        ),
        (scopes, scope_text.as_bytes()),
    ];
    let mut text = BytesMut::with_capacity(values.iter().map(|(_, v)| v.len()).sum());
    for (_, value) in &values {
        text.extend_from_slice(value);
    }
    let text = text.freeze();
    let mut start = 0;
    for (name, value) in values {
        let end = start + value.len();
        // User and workspace names are ASCII by their rules, so every value is a
        // valid header value; one that were not would be left out, not mangled.
        if let Ok(value) = HeaderValue::from_maybe_shared(text.slice(start..end)) {
            headers.insert(name.clone(), value);
        }
        start = end;
    }
    headers.insert(kind.clone(), HeaderValue::from_static(token_type));
    headers.insert(
        role.clone(),
        HeaderValue::from_static(principal.role.as_str()),
    );
    response
}
