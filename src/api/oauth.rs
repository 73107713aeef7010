//! The OAuth 2.0 protocol routes: `POST /oauth2/token` (refresh, RFC 6749 §6),
//! `POST /oauth2/revoke` (RFC 7009), `POST /oauth2/introspect` (RFC 7662) and
//! `GET /.well-known/jwks.json` (the public keys that verify access tokens). Their
//! errors are RFC 6749 §5.2's, not the v4 envelope.

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::keys::JWKS_MAX_AGE_SECONDS;
use crate::db::DbError;
use crate::domain::oauth::ACCESS_TOKEN_SECONDS;
use crate::domain::scope::{ScopeName, ScopeSet};
use crate::domain::Timestamp;
use crate::services::oauth::protocol::{ActiveToken, RevokeError, TokenUse};
use crate::services::oauth::{Issued, KeyError, RefreshError};
use crate::state::AppState;

use super::{ApiCaller, ApiError, CHALLENGE_INVALID_TOKEN};

/// The challenge of a 401 from the introspection endpoint when no token was
/// presented: both ways an API caller may authenticate.
const CHALLENGE_ANY: &str = r#"Bearer realm="access-tokens", Basic realm="access-tokens""#;

pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(super::MAX_BODY_BYTES)
        .error_handler(|err, _req| form_error(&err).into())
}

/// Why the body of an OAuth request could not be read, as RFC 6749 §5.2's
/// `invalid_request`: a body that is not a form (JSON, say) is told what to send.
fn form_error(err: &actix_web::error::UrlencodedError) -> OAuthError {
    use actix_web::error::UrlencodedError;
    OAuthError::InvalidRequest(match err {
        UrlencodedError::ContentType => "Send the parameters as a form: the body must be \
            application/x-www-form-urlencoded (RFC 6749), not JSON or any other type."
            .to_owned(),
        other => format!("The request body could not be read: {other}"),
    })
}

/// An error of the OAuth endpoints, as RFC 6749 §5.2 writes it.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("Only grant_type=refresh_token is supported.")]
    UnsupportedGrantType,
    /// 400 (RFC 6749 section 6): a refresh asked for scopes the grant has not, or
    /// for a scope that cannot exist.
    #[error("{0}")]
    InvalidScope(String),
    /// 401: the introspection caller's credentials are missing or not valid.
    #[error("{message}")]
    InvalidClient {
        message: String,
        token_presented: bool,
    },
    /// 403: the introspection caller named a workspace they are not in.
    #[error("{0}")]
    AccessDenied(String),
    /// 429: too many failed Basic sign-ins by the introspection caller.
    #[error("Too many failed sign-in attempts. Try again later.")]
    Throttled { retry_after: Duration },
    #[error("The service is temporarily unavailable. Try again shortly.")]
    Unavailable,
    #[error("An unexpected error occurred.")]
    Internal,
}

impl OAuthError {
    fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidClient { .. } => "invalid_client",
            OAuthError::AccessDenied(_) => "access_denied",
            OAuthError::Throttled { .. } | OAuthError::Unavailable => "temporarily_unavailable",
            OAuthError::Internal => "server_error",
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
            OAuthError::AccessDenied(_) => StatusCode::FORBIDDEN,
            OAuthError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            OAuthError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            OAuthError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        no_store(&mut response);
        match self {
            OAuthError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            OAuthError::Throttled { retry_after } => {
                let seconds = retry_after.as_secs().max(1).to_string();
                response.insert_header((header::RETRY_AFTER, seconds));
            }
            OAuthError::InvalidClient {
                token_presented, ..
            } => {
                let challenge = if *token_presented {
                    CHALLENGE_INVALID_TOKEN
                } else {
                    CHALLENGE_ANY
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            _ => {}
        }
        response.json(json!({ "error": self.code(), "error_description": self.to_string() }))
    }
}

fn no_store(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
}

/// Every one of these endpoints checks a token: one that cannot be checked for a
/// database error is answered 503 (try again), whatever the error, never a pass.
impl From<DbError> for OAuthError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
        } else {
            tracing::error!(error = %e, "database error");
        }
        OAuthError::Unavailable
    }
}

impl From<KeyError> for OAuthError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Db(e) => e.into(),
            e => {
                tracing::error!(error = %e, "signing failed");
                OAuthError::Internal
            }
        }
    }
}

impl From<RefreshError> for OAuthError {
    fn from(e: RefreshError) -> Self {
        match e {
            e @ RefreshError::InvalidGrant => OAuthError::InvalidGrant(e.to_string()),
            e @ RefreshError::InvalidScope(_) => OAuthError::InvalidScope(e.to_string()),
            RefreshError::Keys(e) => e.into(),
            RefreshError::Db(e) => e.into(),
        }
    }
}

impl From<RevokeError> for OAuthError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::Keys(e) => e.into(),
            RevokeError::Db(e) => e.into(),
        }
    }
}

/// The introspection caller's authentication failed: the same causes as on `/v4`,
/// answered in this endpoint's terms.
impl From<ApiError> for OAuthError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthenticated {
                message,
                token_presented,
            } => OAuthError::InvalidClient {
                message,
                token_presented,
            },
            ApiError::Throttled { retry_after } | ApiError::TokensThrottled { retry_after } => {
                OAuthError::Throttled { retry_after }
            }
            ApiError::AccessDenied(message) => OAuthError::AccessDenied(message),
            ApiError::Unavailable | ApiError::ReadOnly | ApiError::StorageFull => {
                OAuthError::Unavailable
            }
            _ => OAuthError::Internal,
        }
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    /// The new access token's scopes, space-separated (RFC 6749 section 5.1).
    pub scope: String,
}

impl From<Issued> for TokenResponse {
    fn from(issued: Issued) -> Self {
        TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECONDS,
            refresh_token: issued.refresh_token.expose(),
            scope: issued.scopes.to_stored(),
        }
    }
}

/// The one value of a form parameter: absent is `None`, repeated is an error
/// (RFC 6749 §3.2: parameters MUST NOT be included more than once).
pub fn single<'a>(form: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, OAuthError> {
    let mut found = form
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(OAuthError::InvalidRequest(format!(
            "The parameter {name} is given more than once."
        )));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// `POST /oauth2/token`: a refresh token in, a new access token and a new refresh
/// token out; the presented refresh token stops working.
pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, OAuthError> {
    let form = form.into_inner();
    let grant_type = single(&form, "grant_type")?
        .ok_or_else(|| OAuthError::InvalidRequest("The parameter grant_type is missing.".into()))?;
    if grant_type != "refresh_token" {
        return Err(OAuthError::UnsupportedGrantType);
    }
    let presented = single(&form, "refresh_token")?.ok_or_else(|| {
        OAuthError::InvalidRequest("The parameter refresh_token is missing.".into())
    })?;
    let wanted = single(&form, "scope")?.map(parse_scope).transpose()?;
    let address = crate::auth::client_address::of(&req);
    let issued = state
        .oauth
        .refresh(&state.pool, presented, address, wanted)
        .await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(TokenResponse::from(issued)))
}

/// A refresh's `scope` parameter (RFC 6749 section 3.3: names separated by
/// spaces). A name that cannot exist is as wide as one the grant lacks.
fn parse_scope(raw: &str) -> Result<ScopeSet, OAuthError> {
    let mut names = Vec::new();
    for name in raw.split(' ').filter(|n| !n.is_empty()) {
        ScopeName::parse(name).map_err(|e| {
            OAuthError::InvalidScope(format!(
                "The scope \u{201c}{name}\u{201d} cannot exist: {e}"
            ))
        })?;
        names.push(name);
    }
    if names.is_empty() {
        return Err(OAuthError::InvalidScope(
            "The parameter scope names no scope.".into(),
        ));
    }
    Ok(ScopeSet::from_stored(Some(&names.join(" "))))
}

fn missing(name: &str) -> OAuthError {
    OAuthError::InvalidRequest(format!("The parameter {name} is missing."))
}

/// The `token` and (checked, then ignored) `token_type_hint` of a revocation or
/// introspection request. The hint is only read for repetition: the server tells
/// the kinds apart by their format, so any hint, even an unknown one, is ignored
/// (RFC 7009 §2.1, RFC 7662 §2.1).
fn presented_token(form: &[(String, String)]) -> Result<&str, OAuthError> {
    let token = single(form, "token")?.ok_or_else(|| missing("token"))?;
    single(form, "token_type_hint")?;
    Ok(token)
}

/// `POST /oauth2/revoke` (RFC 7009): the form's `token` stops working. No client
/// authentication: there are only public clients, and holding the token is the
/// proof. 200 with an empty body for any well-formed request, whether or not the
/// token was valid (§2.2), so the answer tells nothing about the token.
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, OAuthError> {
    let form = form.into_inner();
    let token = presented_token(&form)?;
    let address = crate::auth::client_address::of(&req);
    state.oauth.revoke(&state.pool, token, address).await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.finish())
}

/// `POST /oauth2/introspect` (RFC 7662): whether the form's `token` works now, and
/// for whom. The caller authenticates as any API caller does, and sees only tokens
/// of the workspace it acts in; anything else is `{"active": false}`. The caller's
/// credentials are checked before the body is read.
pub async fn introspect(
    state: web::Data<AppState>,
    caller: Result<ApiCaller, ApiError>,
    form: Result<web::Form<Vec<(String, String)>>, actix_web::Error>,
) -> Result<HttpResponse, actix_web::Error> {
    let caller = caller.map_err(OAuthError::from)?;
    let form = form?.into_inner();
    let token = presented_token(&form)?;
    let workspace = caller.principal.workspace_id;
    let found = state
        .oauth
        .introspect(&state.pool, &state.tokens, workspace, token)
        .await
        .map_err(OAuthError::from)?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(introspection(found.as_ref())))
}

/// The introspection response (RFC 7662 §2.2): only `active` when inactive, so an
/// inactive token reveals nothing. `token_use`, `workspace_id`, `workspace_name`
/// and `token_id` are this server's extensions.
fn introspection(found: Option<&ActiveToken>) -> Value {
    let Some(t) = found else {
        return json!({ "active": false });
    };
    let seconds = |at: Timestamp| at.millis().div_euclid(1000);
    let mut body = Map::new();
    body.insert("active".into(), json!(true));
    if t.kind != TokenUse::RefreshToken {
        // RFC 7662 §2.2: the RFC 6749 §7.1 type, which a refresh token has not.
        body.insert("token_type".into(), json!("Bearer"));
    }
    body.insert("token_use".into(), json!(t.kind.as_str()));
    body.insert("sub".into(), json!(t.user_id.to_string()));
    body.insert("username".into(), json!(t.username));
    if let Some(exp) = t.expires_at {
        body.insert("exp".into(), json!(seconds(exp)));
    }
    body.insert("iat".into(), json!(seconds(t.issued_at)));
    if let Some(iss) = t.issuer {
        body.insert("iss".into(), json!(iss));
    }
    if let Some(jti) = &t.jti {
        body.insert("jti".into(), json!(jti));
    }
    body.insert("workspace_id".into(), json!(t.workspace_id.to_string()));
    body.insert("workspace_name".into(), json!(t.workspace_name));
    body.insert("token_id".into(), json!(t.token_id));
    body.insert("scope".into(), json!(t.scopes.to_stored()));
    Value::Object(body)
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens, for
/// other services to check them offline.
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECONDS}"),
        ))
        .content_type("application/jwk-set+json")
        .body(state.oauth.keys.jwks().to_string())
}
