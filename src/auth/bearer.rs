//! Checking a presented token value: parse, one read by primary key, a constant-time
//! digest comparison, expiry, and recording the use (when the database can store it).
//! A refusal is reported to the audit log (rate-limited, see [`super::refusals`]).

use std::net::IpAddr;

use crate::db::{self, DbError, DbPool};
use crate::domain::{SecretDigest, Timestamp, TokenId, TokenStatus, TokenValue};
use crate::models;
use crate::models::token::{ApiToken, TokenForVerification};

use super::refusals::{self, Refusal, RefusalLimiter, RefusalReason};
use super::Principal;

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Malformed, unknown, deleted, expired, its owner deactivated or removed from
    /// the workspace, or tokens (or legacy tokens) turned off there: one answer for
    /// all.
    #[error("the access token is invalid, expired or deleted")]
    Invalid,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Verifies a token value presented from `address` and records its use; returns its
/// owner and the token's id. A refusal goes to the audit log, off the request path.
pub async fn verify(
    pool: &DbPool,
    limiter: &RefusalLimiter,
    value: &str,
    address: Option<IpAddr>,
) -> Result<(Principal, TokenId), BearerError> {
    match check(pool, value, Use::Record).await? {
        Ok((principal, token)) => Ok((principal, token.id)),
        Err(refusal) => {
            refusals::report(pool, limiter, address, refusal);
            Err(BearerError::Invalid)
        }
    }
}

/// Whether a legacy access token, as [`models::token::find_for_verification`] found
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
    // A token acts only in its own workspace, only while its owner is active and a
    // member there, and only while the workspace allows tokens, and legacy ones.
    let (true, Some(role)) = (found.owner_active, found.owner_role) else {
        return Err(RefusalReason::OwnerInactive);
    };
    if !found.tokens_enabled {
        return Err(RefusalReason::TokensOff);
    }
    if !found.legacy_tokens_allowed {
        return Err(RefusalReason::LegacyTokensOff);
    }
    Ok(Principal {
        user_id: token.user_id,
        username: found.owner_name.clone(),
        workspace_id: token.workspace_id,
        workspace_name: found.workspace_name.clone(),
        role,
    })
}

/// Checks a token value as [`verify`] does, but records no use and reports no
/// refusal: for introspection (RFC 7662), which looks at a token without using it.
/// `None` when [`verify`] would refuse it.
pub async fn inspect(pool: &DbPool, value: &str) -> Result<Option<(Principal, ApiToken)>, DbError> {
    Ok(check(pool, value, Use::Peek).await?.ok())
}

/// Whether an accepted token's use is recorded (`last_used_at`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Record,
    Peek,
}

/// The token's owner and the token, or why the token is refused.
async fn check(
    pool: &DbPool,
    value: &str,
    mode: Use,
) -> Result<Result<(Principal, ApiToken), Refusal>, DbError> {
    let refused = |reason, token, workspace| {
        Err(Refusal {
            reason,
            token,
            grant: None,
            workspace,
        })
    };
    // Garbage is refused here, before any query.
    let Some((id, secret)) = TokenValue::parse(value) else {
        return Ok(refused(RefusalReason::Malformed, None, None));
    };
    let presented = secret.digest();
    db::run(pool, move |conn| {
        // One read: the token, its owner, their membership and the workspace.
        let Some(found) = models::token::find_for_verification(conn, id)? else {
            return Ok(refused(RefusalReason::Unknown, Some(id), None));
        };
        let now = Timestamp::now();
        let principal = match judge(&found, &presented, now) {
            Ok(principal) => principal,
            Err(reason) => {
                return Ok(refused(reason, Some(id), Some(found.token.workspace_id)));
            }
        };
        if mode == Use::Peek {
            return Ok(Ok((principal, found.token)));
        }
        // Recording the use is bookkeeping: when the database cannot store it
        // (read-only or full), the token still works and the use goes unrecorded.
        if let Err(e) = models::token::touch(conn, id, now) {
            let e = DbError::from(e).diagnose(conn);
            if !e.is_write_fault() {
                return Err(e);
            }
            tracing::warn!(error = %e, "the token's use was not recorded");
        }
        Ok(Ok((principal, found.token)))
    })
    .await
}
