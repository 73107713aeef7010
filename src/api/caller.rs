//! The `ApiCaller` extractor: who is calling the API, by Bearer token or Basic password.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::future::LocalBoxFuture;

use crate::auth::refusals::{self, Refusal, RefusalReason};
use crate::auth::{self, bearer, Principal};
use crate::domain::oauth::{looks_like_jwt, GrantId};
use crate::domain::{Password, TokenId, WorkspaceId};
use crate::oauth::{AccessRefusal, AccessRefused};
use crate::startup::AppState;

use super::ApiError;

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An access token, with its id.
    Token(TokenId),
    /// A username and password (HTTP Basic).
    Password,
    /// An OAuth access token (a signed JWT), with the id of the grant that issued it.
    OAuthAccessToken(GrantId),
}

/// An authenticated API caller. Taking it as a handler argument makes the route
/// require credentials. actix polls all extractors together and answers with the
/// first error, so a handler that also reads a body takes it as a `Result`.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub principal: Principal,
    pub credential: Credential,
    /// The TCP peer, for the audit log.
    pub address: Option<std::net::IpAddr>,
}

enum Presented {
    Bearer(String),
    Basic { username: String, password: String },
}

fn unauthenticated(message: &str, token_presented: bool) -> ApiError {
    ApiError::Unauthenticated {
        message: message.to_owned(),
        token_presented,
    }
}

fn presented(req: &HttpRequest) -> Result<Presented, ApiError> {
    let missing = || {
        unauthenticated(
            "Authentication required: send Authorization: Bearer <tokenValue>, or Basic credentials.",
            false,
        )
    };
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, rest) = value.split_once(' ').ok_or_else(missing)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Ok(Presented::Bearer(rest.to_owned()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let bad = || unauthenticated("Malformed Basic credentials.", false);
        let decoded = STANDARD.decode(rest).map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (username, password) = decoded.split_once(':').ok_or_else(bad)?;
        return Ok(Presented::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        });
    }
    Err(missing())
}

/// The header with which a Basic-auth call names the workspace it acts in; without
/// it, the call acts in the first workspace the user joined. A token always acts in
/// its own workspace and ignores it.
pub const WORKSPACE_HEADER: &str = "X-Workspace";

fn requested_workspace(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(WORKSPACE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let addr = req.peer_addr().map(|a| a.ip());
        let presented = presented(req);
        let workspace = requested_workspace(req);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            match presented? {
                Presented::Bearer(value) => {
                    if !state.api_access_tokens {
                        return Err(unauthenticated(
                            "API access tokens are turned off on this server.",
                            true,
                        ));
                    }
                    if looks_like_jwt(&value) {
                        return oauth_caller(&state, &value, addr).await;
                    }
                    let (principal, id) =
                        bearer::verify(&state.pool, &state.refusals, &value, addr).await?;
                    Ok(ApiCaller {
                        principal,
                        credential: Credential::Token(id),
                        address: addr,
                    })
                }
                Presented::Basic { username, password } => {
                    let (principal, _) = auth::sign_in(
                        &state.pool,
                        &state.throttle,
                        username,
                        Password::offered(password),
                        addr,
                        workspace,
                    )
                    .await?;
                    Ok(ApiCaller {
                        principal,
                        credential: Credential::Password,
                        address: addr,
                    })
                }
            }
        })
    }
}

/// A caller by OAuth access token: its signature, expiry and revocation are checked
/// in memory, and the principal is read from its claims, without a database read.
/// So a change of role, a removal from the workspace or the workspace's "API Access
/// Token" switch reaches an access token only when it is next refreshed (within the
/// hour). A refusal goes to the audit log like a legacy token's, off the request
/// path and rate-limited.
async fn oauth_caller(
    state: &AppState,
    value: &str,
    address: Option<std::net::IpAddr>,
) -> Result<ApiCaller, ApiError> {
    let checked = state
        .oauth
        .authenticate(&state.pool, value)
        .await
        .map_err(|e| match e {
            crate::oauth::KeyError::Db(e) => ApiError::from(e),
            _ => ApiError::Internal,
        })?;
    let subject = match checked {
        Ok(subject) => subject,
        Err(refused) => {
            refusals::report(&state.pool, &state.refusals, address, refusal(&refused));
            return Err(unauthenticated(
                "The access token is invalid, expired or revoked.",
                true,
            ));
        }
    };
    Ok(ApiCaller {
        principal: Principal {
            user_id: subject.user_id,
            username: subject.username,
            workspace_id: subject.workspace_id,
            workspace_name: subject.workspace_name,
            role: subject.role,
        },
        credential: Credential::OAuthAccessToken(subject.grant),
        address,
    })
}

/// What the audit log may know of a refused access token: the grant and workspace
/// only when the signature vouches for the claims.
fn refusal(refused: &AccessRefusal) -> Refusal {
    let reason = match refused.reason {
        AccessRefused::Malformed => RefusalReason::Malformed,
        AccessRefused::BadSignature => RefusalReason::AccessTokenBadSignature,
        AccessRefused::UnknownKey => RefusalReason::AccessTokenUnknownKey,
        AccessRefused::Expired => RefusalReason::AccessTokenExpired,
        AccessRefused::Revoked => RefusalReason::AccessTokenRevoked,
    };
    let claims = refused.claims.as_deref();
    Refusal {
        reason,
        token: None,
        grant: claims.and_then(|c| c.tid.parse().ok()),
        workspace: claims.and_then(|c| WorkspaceId::parse(&c.wid)),
    }
}
