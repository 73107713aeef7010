//! Checking a presented token value: parse, then the cache of verified tokens or,
//! on a miss, one read by primary key; a constant-time digest comparison, expiry,
//! and noting the use ("last used" is written behind, see [`super::last_used`]).
//! A refusal is reported to the audit log (rate-limited, see [`super::refusals`])
//! and counted against its address (see [`super::invalid_tokens`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::db::{self, DbError, DbPool};
use crate::domain::oauth::AccessSubject;
use crate::domain::scope::ScopeSet;
use crate::domain::standing::{CredentialKind, NotInStanding, OwnerStanding};
use crate::domain::{
    Role, SecretDigest, SharedClock, Timestamp, TokenId, TokenStatus, TokenValue, UserId,
    WorkspaceId,
};
use crate::metrics::Metrics;
use crate::models;
use crate::models::token::ApiToken;
use crate::models::token_check::TokenForVerification;

use super::cache::{Acting, Standing, TokenCache, VerifiedToken};
use super::changes::ChangeFeed;
use super::invalid_tokens::InvalidTokenThrottle;
use super::last_used::LastUsed;
use super::refusals::{self, Refusal, RefusalLimiter, RefusalReason};
use crate::domain::Principal;

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Malformed, unknown, deleted, expired, its owner deactivated or removed from
    /// the workspace, or tokens (or legacy tokens) turned off there: one answer for
    /// all.
    #[error("the access token is invalid, expired or deleted")]
    Invalid,
    /// The address presented too many invalid tokens; it may try again after this.
    #[error("too many invalid access tokens from this address")]
    Throttled(Duration),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What checking a Bearer token needs besides the pool, shared by every worker.
pub struct TokenChecks {
    pub cache: TokenCache,
    pub feed: ChangeFeed,
    pub last_used: LastUsed,
    pub invalid: InvalidTokenThrottle,
    pub refusals: RefusalLimiter,
    /// Where cache hits and misses are counted.
    pub metrics: Metrics,
    /// The app's clock (`AppState::clock`): when a token expires and was last used.
    pub clock: SharedClock,
}

/// A legacy token as verified: its owner, its id and the scopes that count now.
pub type Verified = (Principal, TokenId, ScopeSet);

/// Verifies a token value presented from `address` and notes its use; returns its
/// owner, the token's id and its scopes. A refusal goes to the audit log, off the
/// request path.
pub async fn verify(
    pool: &DbPool,
    checks: &TokenChecks,
    value: &str,
    address: Option<IpAddr>,
) -> Result<Verified, BearerError> {
    let parsed = TokenValue::parse(value);
    // A token verified before needs no database read, even from an address held
    // back: that is how a valid caller behind a noisy address keeps working.
    if let Some((id, secret)) = &parsed {
        if let Some(cached) = checks.cache.token(*id) {
            checks.metrics.cache_hit();
            let now = checks.clock.now();
            let presented = secret.digest();
            let verdict = if !cached.digest.matches(&presented) {
                Err(RefusalReason::WrongSecret)
            } else if TokenStatus::at(cached.expires_at, now) != TokenStatus::Active {
                Err(RefusalReason::Expired)
            } else {
                Ok(())
            };
            return match verdict {
                Ok(()) => {
                    checks.last_used.note(*id, now);
                    Ok((cached.principal.clone(), *id, cached.scopes.clone()))
                }
                Err(reason) => Err(refuse(
                    pool,
                    checks,
                    address,
                    legacy_refusal(reason, Some(*id), Some(cached.principal.workspace_id)),
                )),
            };
        }
    }
    checks
        .invalid
        .check(address)
        .map_err(BearerError::Throttled)?;
    let Some((id, secret)) = parsed else {
        return Err(refuse(
            pool,
            checks,
            address,
            legacy_refusal(RefusalReason::Malformed, None, None),
        ));
    };
    if checks.cache.is_unknown(id) {
        return Err(refuse(
            pool,
            checks,
            address,
            legacy_refusal(RefusalReason::Unknown, Some(id), None),
        ));
    }
    let presented = secret.digest();
    // Taken before the read: a change the feed reports while the read is under way
    // keeps its (possibly stale) result out of the cache.
    let epoch = checks.cache.epoch();
    checks.metrics.cache_miss();
    let found = db::run(pool, move |conn| {
        Ok(models::token_check::find_for_verification(conn, id)?)
    })
    .await?;
    let now = checks.clock.now();
    let Some(found) = found else {
        checks.cache.put_unknown(id);
        return Err(refuse(
            pool,
            checks,
            address,
            legacy_refusal(RefusalReason::Unknown, Some(id), None),
        ));
    };
    match judge(&found, &presented, now) {
        Ok(principal) => {
            checks.last_used.note(id, now);
            let scopes = found
                .token
                .scopes
                .effective(&found.service_scopes, principal.is_admin());
            if let Some(digest) = found.digest.clone() {
                checks.cache.put_token(
                    epoch,
                    id,
                    VerifiedToken {
                        digest,
                        expires_at: found.token.expires_at,
                        principal: principal.clone(),
                        scopes: scopes.clone(),
                    },
                );
            }
            Ok((principal, id, scopes))
        }
        Err(reason) => Err(refuse(
            pool,
            checks,
            address,
            legacy_refusal(reason, Some(id), Some(found.token.workspace_id)),
        )),
    }
}

/// Whether `user` may act in `workspace` with an OAuth access token, and as whom,
/// by the one standing rule ([`OwnerStanding::judge`]): active, a member (not
/// suspended), and the workspace's tokens on. From the cache, or one read.
pub async fn standing(
    pool: &DbPool,
    checks: &TokenChecks,
    user: UserId,
    workspace: WorkspaceId,
) -> Result<Arc<Standing>, DbError> {
    if let Some(cached) = checks.cache.standing(user, workspace) {
        checks.metrics.cache_hit();
        // Shared, not copied: the names and the workspace's service scopes.
        return Ok(cached);
    }
    let epoch = checks.cache.epoch();
    checks.metrics.cache_miss();
    let found = db::run(pool, move |conn| {
        Ok(models::workspace::standing(conn, user, workspace)?)
    })
    .await?;
    let acting = match found {
        // Not a member (or either is gone): no membership to judge.
        None => Err(NotInStanding::OwnerInactive),
        Some(s) => OwnerStanding {
            owner_active: s.active,
            role: Some(s.role),
            tokens_enabled: s.tokens_enabled,
        }
        .judge(CredentialKind::OAuth)
        .map(|role| Acting {
            username: s.username,
            workspace_name: s.workspace_name,
            role,
            service_scopes: s.service_scopes,
        }),
    };
    let standing = Arc::new(Standing { acting });
    checks
        .cache
        .put_standing(epoch, user, workspace, Arc::clone(&standing));
    Ok(standing)
}

/// The principal an OAuth access token acts as now, and the scopes that count now:
/// its subject (from claims whose signature, expiry and revocation were checked) as
/// [`standing`] judges them, with the role and names the database has now rather
/// than those of the claims, and the claims' scopes less those the workspace no
/// longer defines. Used by every place an access token is presented (the API,
/// `/auth/verify`, introspection), so that they all answer alike.
pub async fn oauth_principal(
    pool: &DbPool,
    checks: &TokenChecks,
    subject: &AccessSubject,
) -> Result<Result<(Principal, ScopeSet), NotInStanding>, DbError> {
    Ok(
        standing(pool, checks, subject.user_id, subject.workspace_id)
            .await?
            .acting
            .as_ref()
            .map(|acting| {
                let scopes = subject
                    .scopes
                    .effective(&acting.service_scopes, acting.role == Role::Admin);
                let principal = Principal {
                    user_id: subject.user_id,
                    username: acting.username.clone(),
                    workspace_id: subject.workspace_id,
                    workspace_name: acting.workspace_name.clone(),
                    role: acting.role,
                };
                (principal, scopes)
            })
            .map_err(Clone::clone),
    )
}

/// A legacy token's refusal, for the audit log.
fn legacy_refusal(
    reason: RefusalReason,
    token: Option<TokenId>,
    workspace: Option<WorkspaceId>,
) -> Refusal {
    Refusal {
        reason,
        token,
        grant: None,
        workspace,
    }
}

/// Reports a refusal to the audit log and counts it against its address.
pub fn refuse(
    pool: &DbPool,
    checks: &TokenChecks,
    address: Option<IpAddr>,
    refusal: Refusal,
) -> BearerError {
    checks.invalid.refused(address);
    refusals::report(pool, &checks.refusals, address, refusal, checks.clock.now());
    BearerError::Invalid
}

/// Whether a legacy access token, as [`models::token_check::find_for_verification`] found
/// it, may act at `now` when presented with a secret of digest `presented`: as whom,
/// or why not. No I/O and no bookkeeping, so that every place a legacy token is
/// presented (a request's Bearer header, revocation, introspection) judges it alike.
pub fn judge(
    found: &TokenForVerification,
    presented: &SecretDigest,
    now: Timestamp,
) -> Result<Principal, RefusalReason> {
    let token = &found.token;
    if !found.digest.as_ref().is_some_and(|s| s.matches(presented)) {
        return Err(RefusalReason::WrongSecret);
    }
    if TokenStatus::at(token.expires_at, now) != TokenStatus::Active {
        return Err(RefusalReason::Expired);
    }
    // A token acts only in its own workspace, by the one standing rule.
    let role = OwnerStanding {
        owner_active: found.owner_active,
        role: found.owner_role,
        tokens_enabled: found.tokens_enabled,
    }
    .judge(CredentialKind::Legacy {
        allowed: found.legacy_tokens_allowed,
    })?;
    Ok(Principal {
        user_id: token.user_id,
        username: found.owner_name.clone(),
        workspace_id: token.workspace_id,
        workspace_name: found.workspace_name.clone(),
        role,
    })
}

/// Checks a token value as [`verify`] does, but from the database, noting no use
/// and reporting no refusal: for introspection (RFC 7662), which looks at a token
/// without using it. `None` when [`verify`] would refuse it.
pub async fn inspect(
    pool: &DbPool,
    value: &str,
    now: Timestamp,
) -> Result<Option<(Principal, ApiToken, ScopeSet)>, DbError> {
    let Some((id, secret)) = TokenValue::parse(value) else {
        return Ok(None);
    };
    let presented = secret.digest();
    db::run(pool, move |conn| {
        let Some(found) = models::token_check::find_for_verification(conn, id)? else {
            return Ok(None);
        };
        Ok(judge(&found, &presented, now).ok().map(|principal| {
            let scopes = found
                .token
                .scopes
                .effective(&found.service_scopes, principal.is_admin());
            (principal, found.token, scopes)
        }))
    })
    .await
}
