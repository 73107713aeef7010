//! Who is calling the API, by Bearer token (legacy or OAuth access token) or Basic
//! password: the one place an `Authorization` header is read and judged, for the
//! v4 API and for forward authentication alike. The API turns a [`CallerError`]
//! into its JSON envelope (`api::extract`).

use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::HttpRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::auth::access_check::{AccessRefusal, AccessRefused};
use crate::auth::keys::KeyError;
use crate::auth::refusals::{Refusal, RefusalReason};
use crate::auth::{self, bearer, Principal, SignInError};
use crate::db::DbError;
use crate::domain::oauth::{looks_like_jwt, GrantId};
use crate::domain::scope::ScopeSet;
use crate::domain::{Password, TokenId, WorkspaceId};
use crate::state::AppState;

/// Why a caller was not let in.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    /// 401: no credentials, unreadable ones, or a token that is not valid.
    #[error("{message}")]
    Unauthenticated {
        message: String,
        token_presented: bool,
    },
    /// 403: who they are is known, but this they may not do.
    #[error("{0}")]
    Denied(String),
    /// 429: this address presented too many invalid tokens.
    #[error("too many invalid access tokens from this address")]
    TokensThrottled { retry_after: Duration },
    /// Basic credentials refused (wrong, throttled, not a member).
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// The token could not be checked: 503, never a pass.
    #[error("the credential cannot be checked now: {0}")]
    CheckFailed(DbError),
    /// The signing keys could not be used.
    #[error("the signing keys cannot be used")]
    Keys,
}

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
    /// What the token may do, as counted now (see `domain::scope`); `None` for a
    /// password, which acts as the whole user.
    pub scopes: Option<ScopeSet>,
}

/// What a request's `Authorization` header presents. It is read here once, for the
/// v4 API and for forward authentication, which answer the odd cases each in their
/// own way: the API reads the first header and takes any Bearer value (a wrong one
/// is an invalid token), forward authentication holds to RFC 6750 (one header, one
/// token) and calls anything else a malformed request.
#[derive(Debug)]
pub enum Presented {
    /// No `Authorization` header.
    Missing,
    /// `Bearer <token>`.
    Bearer(BearerToken),
    /// `Basic` with `username:password` in base64.
    Basic { username: String, password: String },
    /// `Basic` with a value that is not base64 of `username:password`.
    MalformedBasic,
    /// Another scheme, a scheme without a value, or a value that is not text.
    Unreadable,
}

/// Which kind of token a Bearer value is, decided once from its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerKind {
    /// A legacy access token.
    Legacy,
    /// An OAuth access token (a signed JWT).
    OAuth,
}

/// A Bearer token as the request presents it.
pub struct BearerToken {
    value: String,
    pub kind: BearerKind,
    /// In RFC 6750's form: the request's only `Authorization` header, holding one
    /// token without white space.
    pub well_formed: bool,
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerToken")
            .field("value", &"(sensitive)")
            .field("kind", &self.kind)
            .field("well_formed", &self.well_formed)
            .finish()
    }
}

/// Reads the `Authorization` header of `req` (the first, if there are several).
pub fn presented(req: &HttpRequest) -> Presented {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Presented::Missing;
    };
    let only_one = values.next().is_none();
    let Some((scheme, rest)) = header_text(value).and_then(|v| v.trim().split_once(' ')) else {
        return Presented::Unreadable;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Presented::Bearer(BearerToken {
            kind: if looks_like_jwt(rest) {
                BearerKind::OAuth
            } else {
                BearerKind::Legacy
            },
            // `header_text` let only visible ASCII and tabs through, so a space or
            // a tab is the only whitespace there can be.
            well_formed: only_one && !has_blank(rest),
            value: rest.to_owned(),
        });
    }
    if scheme.eq_ignore_ascii_case("basic") {
        return basic(rest).unwrap_or(Presented::MalformedBasic);
    }
    Presented::Unreadable
}

/// The header's text if it is all visible ASCII or tabs, as
/// `HeaderValue::to_str` has it, in one pass without an early exit, which the
/// compiler turns into a vector loop: an OAuth access token is 600 bytes, and
/// the byte-by-byte check was the costliest step of `/auth/verify` in user space
/// (docs/PERFORMANCE.md).
fn header_text(value: &HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    let invisible = bytes.iter().fold(false, |seen, &b| {
        seen | ((b < b' ' && b != b'\t') | (b > b'~'))
    });
    if invisible {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// Whether `text` holds a space or a tab (memchr's vector search).
fn has_blank(text: &str) -> bool {
    memchr::memchr2(b' ', b'\t', text.as_bytes()).is_some()
}

fn basic(value: &str) -> Option<Presented> {
    let decoded = String::from_utf8(STANDARD.decode(value).ok()?).ok()?;
    let (username, password) = decoded.split_once(':')?;
    Some(Presented::Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// The header with which a Basic-auth call names the workspace it acts in; without
/// it, the call acts in the first workspace the user joined. A token always acts in
/// its own workspace and ignores it.
pub const WORKSPACE_HEADER: &str = "X-Workspace";
/// [`WORKSPACE_HEADER`] as a header name, made once rather than parsed per request.
const WORKSPACE_HEADER_NAME: actix_web::http::header::HeaderName =
    actix_web::http::header::HeaderName::from_static("x-workspace");

fn requested_workspace(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(WORKSPACE_HEADER_NAME)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl auth::authority::Caller for ApiCaller {
    fn principal(&self) -> &Principal {
        &self.principal
    }
}

fn unauthenticated(message: &str, token_presented: bool) -> CallerError {
    CallerError::Unauthenticated {
        message: message.to_owned(),
        token_presented,
    }
}

/// The caller of `req`, by the credentials it presents.
pub async fn of_request(req: &HttpRequest, state: &AppState) -> Result<ApiCaller, CallerError> {
    let addr = crate::auth::client_address::of(req);
    match presented(req) {
        Presented::Missing | Presented::Unreadable => Err(unauthenticated(
            "Authentication required: send Authorization: Bearer <tokenValue>, or Basic credentials.",
            false,
        )),
        Presented::MalformedBasic => Err(unauthenticated("Malformed Basic credentials.", false)),
        Presented::Bearer(token) => bearer_caller(state, &token, addr).await,
        Presented::Basic { username, password } => {
            let signed = auth::sign_in(
                &state.pool,
                &state.throttle,
                username,
                Password::offered(password),
                addr,
                requested_workspace(req),
            )
            .await?;
            if signed.password_must_change {
                return Err(CallerError::Denied(
                    "An administrator set this password: sign in on the web page and change it first.".into(),
                ));
            }
            Ok(ApiCaller {
                principal: signed.principal,
                credential: Credential::Password,
                address: addr,
                scopes: None,
            })
        }
    }
}

/// A caller by Bearer token: a legacy access token or an OAuth access token (a
/// signed JWT). The API and forward authentication (`/auth/verify`) both check a
/// Bearer token with this one function. A database error while checking answers
/// 503: a token that cannot be checked is never let through.
pub async fn bearer_caller(
    state: &AppState,
    token: &BearerToken,
    addr: Option<std::net::IpAddr>,
) -> Result<ApiCaller, CallerError> {
    if !state.api_access_tokens {
        return Err(unauthenticated(
            "API access tokens are turned off on this server.",
            true,
        ));
    }
    if token.kind == BearerKind::OAuth {
        return oauth_caller(state, &token.value, addr).await;
    }
    let (principal, id, scopes) = bearer::verify(&state.pool, &state.tokens, &token.value, addr)
        .await
        .map_err(|e| match e {
            bearer::BearerError::Db(e) => CallerError::CheckFailed(e),
            bearer::BearerError::Invalid => {
                unauthenticated("The access token is invalid, expired or deleted.", true)
            }
            bearer::BearerError::Throttled(retry_after) => {
                CallerError::TokensThrottled { retry_after }
            }
        })?;
    Ok(ApiCaller {
        principal,
        credential: Credential::Token(id),
        address: addr,
        scopes: Some(scopes),
    })
}

/// A caller by OAuth access token: its signature, expiry and revocation are checked
/// in memory. Its subject's standing (active, a member, the workspace's tokens on,
/// their role and names) is judged by [`bearer::oauth_principal`], from the cache
/// kept current by the change feed, so a deactivation or removal stops the access
/// token as it stops a legacy token; only the first use on an instance reads the
/// database, and if that read fails the answer is 503, never the token's own
/// claims. A refusal goes to the audit log like a legacy token's, off the request
/// path and rate-limited, and counts against the address.
async fn oauth_caller(
    state: &AppState,
    value: &str,
    address: Option<std::net::IpAddr>,
) -> Result<ApiCaller, CallerError> {
    let checked = state
        .oauth
        .authenticate(&state.pool, value)
        .await
        .map_err(|e| match e {
            KeyError::Db(e) => CallerError::CheckFailed(e),
            _ => CallerError::Keys,
        })?;
    let invalid = |refusal: Refusal| {
        // A valid access token passes even from an address held back; an invalid
        // one from such an address is told to wait.
        let held = state.tokens.invalid.check(address);
        bearer::refuse(&state.pool, &state.tokens, address, refusal);
        match held {
            Err(retry_after) => CallerError::TokensThrottled { retry_after },
            Ok(()) => unauthenticated("The access token is invalid, expired or revoked.", true),
        }
    };
    let subject = match checked {
        Ok(subject) => subject,
        Err(refused) => return Err(invalid(refusal(&refused))),
    };
    let principal = bearer::oauth_principal(&state.pool, &state.tokens, &subject)
        .await
        .map_err(CallerError::CheckFailed)?;
    match principal {
        Ok((principal, scopes)) => Ok(ApiCaller {
            principal,
            credential: Credential::OAuthAccessToken(subject.grant),
            address,
            scopes: Some(scopes),
        }),
        Err(why) => Err(invalid(Refusal {
            reason: why.into(),
            token: None,
            grant: Some(subject.grant),
            workspace: Some(subject.workspace_id),
        })),
    }
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

/// An API caller that may create credentials: tokens of either kind, and accounts
/// with a password or an invitation. Any caller may, but for an OAuth access token
/// whose grant is stopped (disabled, deleted or expired): the seed lets such a token
/// reach the API until it expires, but a credential it made would outlive the stop
/// and undo it, so that is refused, 403. Decided here, once, for every route that
/// makes a credential; the rest of the API takes the token as before.
#[derive(Debug, Clone)]
pub struct MintingCaller(pub ApiCaller);

impl std::ops::Deref for MintingCaller {
    type Target = ApiCaller;

    fn deref(&self) -> &ApiCaller {
        &self.0
    }
}

impl auth::authority::Caller for MintingCaller {
    fn principal(&self) -> &Principal {
        &self.0.principal
    }
}

/// Refuses (403) an OAuth access token whose grant is stopped; a database error
/// while asking is 503, not a pass.
pub async fn may_mint(state: &AppState, caller: &ApiCaller) -> Result<(), CallerError> {
    let Credential::OAuthAccessToken(grant) = caller.credential else {
        return Ok(());
    };
    if state
        .oauth
        .grant_in_force(&state.pool, grant)
        .await
        .map_err(CallerError::CheckFailed)?
    {
        return Ok(());
    }
    Err(CallerError::Denied(
        "This access token's grant is stopped (its OAuth API token was disabled, deleted or \
         has expired): the access token still works until it expires, but it cannot create \
         tokens or accounts. Generate a new OAuth API token to go on."
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn header_text_lets_through_what_to_str_lets_through() {
        for byte in 0..=255u8 {
            let bytes = [b'a', byte, b'z'];
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            assert_eq!(header_text(&value), value.to_str().ok(), "{byte:#04x}");
        }
        let long = "Bearer ".to_owned() + &"x".repeat(700);
        for text in [
            long.clone(),
            long.clone() + "é",
            "\tBearer a.b.c".to_owned(),
        ] {
            let value = HeaderValue::from_bytes(text.as_bytes()).unwrap();
            assert_eq!(header_text(&value), value.to_str().ok(), "{text:?}");
        }
    }

    fn read(values: &[&str]) -> Presented {
        let mut req = TestRequest::default();
        for v in values {
            req = req.append_header((header::AUTHORIZATION, *v));
        }
        presented(&req.to_http_request())
    }

    fn bearer(values: &[&str]) -> (String, BearerKind, bool) {
        match read(values) {
            Presented::Bearer(t) => (t.value, t.kind, t.well_formed),
            other => panic!("{values:?}: {other:?}"),
        }
    }

    #[test]
    fn a_bearer_token_is_read_with_its_kind() {
        assert_eq!(
            bearer(&["Bearer abc"]),
            ("abc".into(), BearerKind::Legacy, true)
        );
        assert_eq!(
            bearer(&["bearer  a.b.c "]),
            ("a.b.c".into(), BearerKind::OAuth, true)
        );
    }

    #[test]
    fn the_api_takes_what_forward_auth_calls_malformed() {
        // The API reads the first of several headers and any Bearer value; forward
        // authentication refuses both as not RFC 6750's form.
        assert_eq!(
            bearer(&["Bearer abc", "Bearer def"]),
            ("abc".into(), BearerKind::Legacy, false)
        );
        for blank in ["a b", "a\tb", &format!("{} b", "a".repeat(300))] {
            let value = format!("Bearer {blank}");
            assert_eq!(bearer(&[&value]), (blank.into(), BearerKind::Legacy, false));
        }
    }

    #[test]
    fn other_headers_are_told_apart() {
        assert!(matches!(read(&[]), Presented::Missing));
        for unreadable in ["Bearer", "Bearer\tabc", "Token abc", "abc"] {
            assert!(
                matches!(read(&[unreadable]), Presented::Unreadable),
                "{unreadable}"
            );
        }
        assert!(matches!(read(&["Basic !!"]), Presented::MalformedBasic));
        assert!(matches!(
            read(&["Basic dXNlcg=="]),
            Presented::MalformedBasic
        ));
        match read(&["Basic dXNlcjpwYTpzcw=="]) {
            Presented::Basic { username, password } => {
                assert_eq!((username.as_str(), password.as_str()), ("user", "pa:ss"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_of_a_bearer_token_leaves_its_value_out() {
        let shown = format!("{:?}", read(&["Bearer the-secret-value"]));
        assert!(!shown.contains("the-secret-value"), "{shown}");
        assert!(shown.contains("(sensitive)"), "{shown}");
    }
}
