//! The OAuth 2.0 protocol routes: `POST /oauth2/token` (refresh, RFC 6749 §6) and
//! `GET /.well-known/jwks.json` (the public keys that verify access tokens). Their
//! errors are RFC 6749 §5.2's, not the v4 envelope.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::json;

use crate::db::DbError;
use crate::domain::oauth::ACCESS_TOKEN_SECONDS;
use crate::oauth::keys::JWKS_MAX_AGE_SECONDS;
use crate::oauth::{Issued, KeyError, RefreshError};
use crate::startup::AppState;

/// The OAuth routes; none when the instance has API tokens turned off.
pub fn routes(cfg: &mut web::ServiceConfig, api_access_tokens: bool) {
    if !api_access_tokens {
        return;
    }
    cfg.service(
        web::resource("/oauth2/token")
            .app_data(form_config())
            .route(web::post().to(token)),
    )
    .service(web::resource("/.well-known/jwks.json").route(web::get().to(jwks)));
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(super::MAX_BODY_BYTES)
        .error_handler(|err, _req| {
            OAuthError::InvalidRequest(format!("The request body could not be read: {err}")).into()
        })
}

/// An error of the token endpoint, as RFC 6749 §5.2 writes it.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("Only grant_type=refresh_token is supported.")]
    UnsupportedGrantType,
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
            OAuthError::Unavailable => "temporarily_unavailable",
            OAuthError::Internal => "server_error",
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            OAuthError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        no_store(&mut response);
        if matches!(self, OAuthError::Unavailable) {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.json(json!({ "error": self.code(), "error_description": self.to_string() }))
    }
}

fn no_store(response: &mut actix_web::HttpResponseBuilder) {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
}

impl From<DbError> for OAuthError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            OAuthError::Unavailable
        } else {
            tracing::error!(error = %e, "database error");
            OAuthError::Internal
        }
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
            RefreshError::Keys(e) => e.into(),
            RefreshError::Db(e) => e.into(),
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
}

impl From<Issued> for TokenResponse {
    fn from(issued: Issued) -> Self {
        TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECONDS,
            refresh_token: issued.refresh_token.expose(),
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
    let address = req.peer_addr().map(|a| a.ip());
    let issued = state.oauth.refresh(&state.pool, presented, address).await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(TokenResponse::from(issued)))
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
