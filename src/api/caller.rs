//! The `ApiCaller` extractor: who is calling the API, by Bearer token or Basic password.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::future::LocalBoxFuture;

use crate::auth::cache::Acting;
use crate::auth::refusals::{Refusal, RefusalReason};
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
        let addr = crate::client_address::of(req);
        let presented = presented(req);
        let workspace = requested_workspace(req);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Internal)?;
            match presented? {
                Presented::Bearer(value) => bearer_caller(&state, &value, addr).await,
                Presented::Basic { username, password } => {
                    let signed = auth::sign_in(
                        &state.pool,
                        &state.throttle,
                        username,
                        Password::offered(password),
                        addr,
                        workspace,
                    )
                    .await?;
                    if signed.password_must_change {
                        return Err(ApiError::AccessDenied(
                            "An administrator set this password: sign in on the web page and change it first.".into(),
                        ));
                    }
                    Ok(ApiCaller {
                        principal: signed.principal,
                        credential: Credential::Password,
                        address: addr,
                    })
                }
            }
        })
    }
}

/// A caller by Bearer token: a legacy access token or an OAuth access token (a
/// signed JWT). The API and forward authentication (`/auth/verify`) both check a
/// Bearer token with this one function.
pub async fn bearer_caller(
    state: &AppState,
    value: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<ApiCaller, ApiError> {
    if !state.api_access_tokens {
        return Err(unauthenticated(
            "API access tokens are turned off on this server.",
            true,
        ));
    }
    if looks_like_jwt(value) {
        return oauth_caller(state, value, addr).await;
    }
    let (principal, id) = bearer::verify(&state.pool, &state.tokens, value, addr).await?;
    Ok(ApiCaller {
        principal,
        credential: Credential::Token(id),
        address: addr,
    })
}

/// A caller by OAuth access token: its signature, expiry and revocation are checked
/// in memory. Its subject's standing (active, a member, the workspace's tokens on,
/// their role and names) comes from the cache of verified tokens, kept current by
/// the change feed, so a deactivation or removal stops the access token as it
/// stops a legacy token; only the first use on an instance reads the database. A
/// refusal goes to the audit log like a legacy token's, off the request path and
/// rate-limited, and counts against the address.
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
    let invalid = |refusal: Refusal| {
        // A valid access token passes even from an address held back; an invalid
        // one from such an address is told to wait.
        let held = state.tokens.invalid.check(address);
        bearer::refuse(&state.pool, &state.tokens, address, refusal);
        match held {
            Err(retry_after) => ApiError::TokensThrottled { retry_after },
            Ok(()) => unauthenticated("The access token is invalid, expired or revoked.", true),
        }
    };
    let subject = match checked {
        Ok(subject) => subject,
        Err(refused) => return Err(invalid(refusal(&refused))),
    };
    let acting = match bearer::standing(
        &state.pool,
        &state.tokens,
        subject.user_id,
        subject.workspace_id,
    )
    .await
    {
        Ok(Some(acting)) => acting,
        Ok(None) => {
            return Err(invalid(Refusal {
                reason: RefusalReason::OwnerInactive,
                token: None,
                grant: Some(subject.grant),
                workspace: Some(subject.workspace_id),
            }))
        }
        // The token is signed and lives an hour at most: with the database away,
        // its claims stand, as they did before standings were checked.
        Err(e) => {
            tracing::warn!(error = %e, "an access token's subject could not be checked; its claims stand");
            Acting {
                username: subject.username,
                workspace_name: subject.workspace_name,
                role: subject.role,
            }
        }
    };
    Ok(ApiCaller {
        principal: Principal {
            user_id: subject.user_id,
            username: acting.username,
            workspace_id: subject.workspace_id,
            workspace_name: acting.workspace_name,
            role: acting.role,
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
