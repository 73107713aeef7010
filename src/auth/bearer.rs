//! Checking a presented token value: parse, one read by primary key, a constant-time
//! digest comparison, expiry, and recording the use (when the database can store it).
//! A refusal is reported to the audit log (rate-limited, see [`super::refusals`]).

use std::net::IpAddr;

use crate::db::{self, DbError, DbPool};
use crate::domain::{Timestamp, TokenId, TokenStatus, TokenValue};
use crate::models;

use super::refusals::{self, Refusal, RefusalLimiter, RefusalReason};
use super::Principal;

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Malformed, unknown, deleted, expired, its owner deactivated or removed from
    /// the workspace, or tokens turned off there: one answer for all.
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
    match check(pool, value).await? {
        Ok(found) => Ok(found),
        Err(refusal) => {
            refusals::report(pool, limiter, address, refusal);
            Err(BearerError::Invalid)
        }
    }
}

/// The token's owner and id, or why the token is refused.
async fn check(
    pool: &DbPool,
    value: &str,
) -> Result<Result<(Principal, TokenId), Refusal>, DbError> {
    let refused = |reason, token, workspace| {
        Err(Refusal {
            reason,
            token,
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
        let token = &found.token;
        let ws = Some(token.workspace_id);
        if !found.digest.is_some_and(|s| s.matches(&presented)) {
            return Ok(refused(RefusalReason::WrongSecret, Some(id), ws));
        }
        let now = Timestamp::now();
        if TokenStatus::at(token.expires_at, now) != TokenStatus::Active {
            return Ok(refused(RefusalReason::Expired, Some(id), ws));
        }
        // A token acts only in its own workspace, only while its owner is active
        // and a member there, and only while the workspace allows tokens.
        let (true, Some(role)) = (found.owner_active, found.owner_role) else {
            return Ok(refused(RefusalReason::OwnerInactive, Some(id), ws));
        };
        if !found.tokens_enabled {
            return Ok(refused(RefusalReason::TokensOff, Some(id), ws));
        }
        let principal = Principal {
            user_id: token.user_id,
            username: found.owner_name.clone(),
            workspace_id: token.workspace_id,
            workspace_name: found.workspace_name.clone(),
            role,
        };
        // Recording the use is bookkeeping: when the database cannot store it
        // (read-only or full), the token still works and the use goes unrecorded.
        if let Err(e) = models::token::touch(conn, id, now) {
            let e = DbError::from(e).diagnose(conn);
            if !e.is_write_fault() {
                return Err(e);
            }
            tracing::warn!(error = %e, "the token's use was not recorded");
        }
        Ok(Ok((principal, id)))
    })
    .await
}
