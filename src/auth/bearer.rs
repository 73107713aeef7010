//! Checking a presented token value: parse, one read by primary key, a constant-time
//! digest comparison, expiry, and recording the use (when the database can store it).

use crate::db::{self, DbError, DbPool};
use crate::domain::{Timestamp, TokenId, TokenStatus, TokenValue};
use crate::models;

use super::{load_token_principal, Principal};

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

/// Verifies a token value and records its use; returns its owner and the token's id.
pub async fn verify(pool: &DbPool, value: &str) -> Result<(Principal, TokenId), BearerError> {
    // Garbage is refused here, before any query.
    let (id, secret) = TokenValue::parse(value).ok_or(BearerError::Invalid)?;
    let presented = secret.digest();
    let found = db::run(pool, move |conn| {
        let Some((token, Some(stored))) = models::token::find_with_digest(conn, id)? else {
            return Ok(None);
        };
        let now = Timestamp::now();
        if !stored.matches(&presented)
            || TokenStatus::at(token.expires_at, now) != TokenStatus::Active
        {
            return Ok(None);
        }
        // A token acts only in its own workspace, only while its owner is active
        // and a member there, and only while the workspace allows tokens.
        let Some(principal) = load_token_principal(conn, token.user_id, token.workspace_id)? else {
            return Ok(None);
        };
        if !models::workspace::policy(conn, token.workspace_id)?.tokens_enabled {
            return Ok(None);
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
        Ok(Some(principal))
    })
    .await?;
    found.map(|p| (p, id)).ok_or(BearerError::Invalid)
}
