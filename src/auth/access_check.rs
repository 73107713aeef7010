//! Checking an OAuth access token (a signed JWT) as it is presented: signature,
//! expiry and revocation, in memory, with the signing keys and the revoked access
//! tokens this instance holds; and whether the grant that issued it is in force.
//! Generating and refreshing grants is the use case's (`services::oauth`).

use std::sync::Arc;

use crate::auth::keys::{Checked, KeyError, KeySet};
use crate::auth::revocations::Revocations;
use crate::db::{self, DbError, DbPool};
use crate::domain::oauth::{AccessClaims, AccessSubject, GrantId, GrantStatus};
use crate::domain::{SharedClock, Timestamp};
use crate::models::oauth as store;

/// What the OAuth code needs from the app: the keys, the revoked access tokens and
/// the clock.
pub struct OAuth {
    pub keys: KeySet,
    pub revocations: Revocations,
    pub clock: SharedClock,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRefused {
    /// Not an access token of ours at all.
    Malformed,
    /// Names a key of ours, but the signature does not verify.
    BadSignature,
    /// Names a key this instance does not have, even after reloading.
    UnknownKey,
    Expired,
    /// Revoked by its client (RFC 7009).
    Revoked,
}

/// A refused access token: why, and its claims when its signature vouches for them
/// (expired or revoked), so the refusal can name the grant and the workspace.
#[derive(Debug)]
pub struct AccessRefusal {
    pub reason: AccessRefused,
    pub claims: Option<Arc<AccessClaims>>,
}

impl AccessRefusal {
    fn untrusted(reason: AccessRefused) -> Self {
        AccessRefusal {
            reason,
            claims: None,
        }
    }
}

impl OAuth {
    /// Checks a presented access token without the database: signature, expiry,
    /// and the revoked tokens in memory. On an unknown key (another instance
    /// rotated), reloads the keys once, rate-limited. While the revocation polls
    /// fail, a token not revoked in memory is also looked up in the database (see
    /// [`revocations`]); an error there is an error, never a pass.
    pub async fn check_access(
        &self,
        pool: &DbPool,
        token: &str,
    ) -> Result<Result<Arc<AccessClaims>, AccessRefusal>, KeyError> {
        let mut checked = self.keys.check(token);
        if matches!(checked, Checked::UnknownKey) && self.keys.reload_for_unknown_key(pool).await? {
            checked = self.keys.check(token);
        }
        let revoked = match &checked {
            Checked::Valid(claims) => {
                self.revocations.revokes(claims)
                    || (!self.revocations.is_current()
                        && self.revocations.revoked_in_store(pool, claims).await?)
            }
            _ => false,
        };
        Ok(match checked {
            Checked::Valid(claims) if revoked => Err(AccessRefusal {
                reason: AccessRefused::Revoked,
                claims: Some(claims),
            }),
            Checked::Valid(claims) => Ok(claims),
            Checked::Expired(claims) => Err(AccessRefusal {
                reason: AccessRefused::Expired,
                claims: Some(claims),
            }),
            Checked::UnknownKey => Err(AccessRefusal::untrusted(AccessRefused::UnknownKey)),
            Checked::BadSignature => Err(AccessRefusal::untrusted(AccessRefused::BadSignature)),
            Checked::Malformed => Err(AccessRefusal::untrusted(AccessRefused::Malformed)),
        })
    }

    /// The principal a presented access token stands for, or why it is refused.
    pub async fn authenticate(
        &self,
        pool: &DbPool,
        token: &str,
    ) -> Result<Result<AccessSubject, AccessRefusal>, KeyError> {
        Ok(self.check_access(pool, token).await?.and_then(|claims| {
            // Claims we signed always read; anything else is not ours.
            claims
                .subject()
                .ok_or(AccessRefusal::untrusted(AccessRefused::Malformed))
        }))
    }

    /// Whether the grant `id` is in force now: it exists, is not disabled and has
    /// not expired. What an access token of a stopped grant may no longer do (create
    /// credentials) is decided by its caller; the access token itself still works.
    pub async fn grant_in_force(&self, pool: &DbPool, id: GrantId) -> Result<bool, DbError> {
        let now = self.clock.now();
        let found = db::run(pool, move |conn| Ok(store::find(conn, id)?)).await?;
        Ok(found.is_some_and(|g| {
            GrantStatus::at(g.disabled_at, g.expires_at, now) == GrantStatus::Active
        }))
    }

    /// The current time, as the OAuth code sees it.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
