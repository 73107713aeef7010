//! OAuth 2.0 API tokens: generating a grant (an access token and a refresh token),
//! refreshing with rotation and reuse detection, the owner's list, disable and
//! delete (on top of `manage`, which also serves bulk actions and workspace
//! admins), and checking an access token without the database.
//!
//! Disabling or deleting a grant stops its refresh token at once; access tokens
//! already issued keep reaching the API until they expire, within the hour (the
//! seed says so), but create no credential any more (`api::MintingCaller`). Two
//! things stop an access token sooner: revoking it (RFC 7009, see [`protocol`]),
//! and a reuse of one of its grant's rotated refresh tokens, which revokes every
//! access token of the grant (see [`revocations`]). Whose standing it acts with
//! (owner active, a member, tokens on, their role now) is judged on every use by
//! `auth::bearer::oauth_principal`, as for any token.

pub mod manage;
pub mod protocol;

use std::net::IpAddr;

use crate::auth::Principal;
use crate::db::{self, DbError, DbPool};
use crate::domain::grant_query::GrantIds;
use crate::domain::oauth::{
    AccessClaims, AccessSubject, GrantId, GrantLifetime, GrantStatus, RefreshToken,
};
use crate::domain::policy::PolicyViolation;
use crate::domain::scope::ScopeSet;
use crate::domain::standing::{CredentialKind, NotInStanding, OwnerStanding};
use crate::domain::Role;
use crate::domain::{Description, Lifetime};
use crate::models::audit;
use crate::models::oauth::{self as store, GrantForRefresh, GrantScope};
use crate::models::revoked_grant::{self as revoked_grants, GrantRevocation};
use crate::models::workspace;

pub use crate::auth::access_check::{AccessRefusal, AccessRefused, OAuth};
pub use crate::auth::keys::{Checked, KeyError, KeySet};
pub use crate::auth::revocations::Revocations;
/// A grant as stored, alone or with its owner's name: the handlers name them from here.
pub use crate::models::oauth::{Grant, OwnedGrant};
pub use manage::{BulkOutcome, GrantPage, Scope};

/// A new access token and the refresh token that goes with it. Shown once.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: RefreshToken,
    /// The access token's scopes.
    pub scopes: ScopeSet,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Issued((sensitive))")
    }
}

/// Why a grant was not generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Policy(#[from] PolicyViolation),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a refresh was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Malformed, unknown, rotated (then the grant is disabled), disabled, expired,
    /// deleted, its owner gone from the workspace, or tokens off there: one answer.
    #[error("The refresh token is invalid, expired, disabled or revoked.")]
    InvalidGrant,
    /// RFC 6749 section 6: scopes the grant does not have (named).
    #[error("A refresh may only narrow the token's scopes; not granted: {}.", .0.join(", "))]
    InvalidScope(Vec<String>),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl OAuth {
    fn issue(&self, subject: &AccessSubject) -> Result<Issued, KeyError> {
        let claims = AccessClaims::new(subject, self.clock.now());
        Ok(Issued {
            access_token: self.keys.sign(&claims)?,
            refresh_token: RefreshToken::generate(subject.grant),
            scopes: subject.scopes.clone(),
        })
    }

    /// Generates a grant for the caller in their workspace, if its policy allows
    /// (the same rule as legacy tokens), and its first tokens.
    pub async fn generate(
        &self,
        pool: &DbPool,
        owner: &Principal,
        address: Option<IpAddr>,
        name: Description,
        lifetime: GrantLifetime,
        scopes: ScopeSet,
    ) -> Result<(Grant, Issued), GenerateError> {
        let now = self.clock.now();
        let grant = Grant {
            id: GrantId::new_random(),
            user_id: owner.user_id,
            workspace_id: owner.workspace_id,
            name: name.into_inner(),
            created_at: now,
            expires_at: lifetime.expiry(now),
            disabled_at: None,
            last_used_at: None,
            scopes,
        };
        let issued = self.issue(&subject(owner, &grant))?;
        let digest = issued.refresh_token.digest();
        let (actor, stored) = (owner.clone(), grant.clone());
        db::run(pool, move |conn| {
            let policy = workspace::policy(conn, stored.workspace_id)?;
            let as_lifetime = Lifetime::Seconds(lifetime.seconds());
            if let Err(v) = policy.check_generate(actor.role, as_lifetime) {
                return Ok(Err(v));
            }
            crate::db::write_transaction(conn, |conn| {
                store::insert(conn, &stored, &digest)?;
                audit::record(
                    conn,
                    now,
                    audit::Event::by(&actor, address, audit::Action::OAuthTokenCreated)
                        .target(stored.id.to_string(), &stored.name)
                        .detail(format!(
                            "lifetime {} days; scopes {}",
                            lifetime.days(),
                            stored.scopes.to_stored()
                        )),
                )
            })?;
            Ok(Ok(()))
        })
        .await??;
        Ok((grant, issued))
    }

    /// Exchanges a refresh token for a new access token and a new refresh token;
    /// the presented one stops working (rotation). A refresh token presented again
    /// after its rotation disables the whole grant (reuse detection, RFC 9700).
    /// `wanted` narrows the new access token's scopes (RFC 6749 section 6), never
    /// the grant's: wider is refused and nothing rotates.
    pub async fn refresh(
        &self,
        pool: &DbPool,
        presented: &str,
        address: Option<IpAddr>,
        wanted: Option<ScopeSet>,
    ) -> Result<Issued, RefreshError> {
        let Some(token) = RefreshToken::parse(presented) else {
            return Err(RefreshError::InvalidGrant);
        };
        let (grant, digest, now) = (token.grant(), token.digest(), self.clock.now());
        // Made before the transaction; stored only if the rotation happens.
        let next = RefreshToken::generate(grant);
        let next_digest = next.digest();
        let outcome = db::run(pool, move |conn| {
            let result = crate::db::write_transaction(conn, |conn| {
                if store::rotate(conn, grant, &digest, now)? {
                    let Some(found) = store::find_for_refresh(conn, grant)? else {
                        return Err(Tx::Refused);
                    };
                    let g = &found.grant;
                    let in_force =
                        GrantStatus::at(g.disabled_at, g.expires_at, now) == GrantStatus::Active;
                    let (true, Ok(role)) = (in_force, owner_standing(&found)) else {
                        // Rolled back: the refresh token stays as it was.
                        return Err(Tx::Refused);
                    };
                    let scopes = match &wanted {
                        None => g.scopes.clone(),
                        Some(wanted) => g.scopes.narrow_to(wanted).map_err(Tx::Wider)?,
                    };
                    store::insert_refresh(conn, grant, &next_digest, now)?;
                    store::touch(conn, grant, now)?;
                    return Ok(Refreshed::Issued(AccessSubject {
                        user_id: g.user_id,
                        username: found.owner_name.clone(),
                        workspace_id: g.workspace_id,
                        workspace_name: found.workspace_name.clone(),
                        role,
                        grant,
                        scopes,
                    }));
                }
                if !store::was_issued(conn, grant, &digest)? {
                    return Ok(Refreshed::Refused);
                }
                // A rotated refresh token again: someone holds a copy. Disable the
                // grant, so neither the thief nor the client can go on, and revoke
                // every access token it issued, since the thief may hold one too
                // (even if the grant was disabled before: this is news of a theft).
                let Some(g) = store::find(conn, grant)? else {
                    return Ok(Refreshed::Refused);
                };
                if store::disable(conn, grant, now)? {
                    audit::record(
                        conn,
                        now,
                        audit::Event::anonymous(
                            Some(g.workspace_id),
                            address,
                            audit::Action::OAuthTokenDisabled,
                        )
                        .target(grant.to_string(), &g.name)
                        .detail("refresh token reused: disabled"),
                    )?;
                }
                let revocation = crate::auth::revocations::of_grant(grant, g.workspace_id, now);
                if revoked_grants::insert(conn, &revocation)? {
                    audit::record(
                        conn,
                        now,
                        audit::Event::anonymous(
                            Some(g.workspace_id),
                            address,
                            audit::Action::OAuthAccessTokenRevoked,
                        )
                        .target(grant.to_string(), &g.name)
                        .detail("refresh token reused: every access token of the grant revoked"),
                    )?;
                }
                Ok(Refreshed::Reused(revocation))
            });
            match result {
                Ok(refreshed) => Ok(refreshed),
                Err(Tx::Refused) => Ok(Refreshed::Refused),
                Err(Tx::Wider(names)) => Ok(Refreshed::Wider(names)),
                Err(Tx::Db(e)) => Err(e.into()),
            }
        })
        .await?;
        let subject = match outcome {
            Refreshed::Issued(subject) => subject,
            Refreshed::Refused => return Err(RefreshError::InvalidGrant),
            Refreshed::Wider(names) => return Err(RefreshError::InvalidScope(names)),
            Refreshed::Reused(revocation) => {
                // Here at once; the other instances at their next poll.
                self.revocations
                    .add_grant(revocation.grant, revocation.expires_at);
                return Err(RefreshError::InvalidGrant);
            }
        };
        let claims = AccessClaims::new(&subject, now);
        Ok(Issued {
            access_token: self.keys.sign(&claims)?,
            refresh_token: next,
            scopes: subject.scopes,
        })
    }

    /// The caller's grants in their workspace, newest first.
    pub async fn list_own(&self, pool: &DbPool, owner: &Principal) -> Result<Vec<Grant>, DbError> {
        let (ws, user) = (owner.workspace_id, owner.user_id);
        db::run(pool, move |conn| Ok(store::list_for_owner(conn, ws, user)?)).await
    }

    /// Disables one of the caller's grants: its refresh token stops at once, and
    /// it cannot be enabled again. `None` when unknown or someone else's; the
    /// grant as it is now otherwise (disabling twice is not an error).
    pub async fn disable_own(
        &self,
        pool: &DbPool,
        owner: &Principal,
        address: Option<IpAddr>,
        id: GrantId,
    ) -> Result<Option<Grant>, DbError> {
        let outcome = self
            .disable_in(pool, owner, address, own(owner), GrantIds::one(id))
            .await?;
        Ok(outcome
            .done
            .into_iter()
            .chain(outcome.unchanged)
            .next()
            .map(|g| g.grant))
    }

    /// Deletes one of the caller's grants with its refresh tokens; `false` when
    /// unknown or someone else's.
    pub async fn delete_own(
        &self,
        pool: &DbPool,
        owner: &Principal,
        address: Option<IpAddr>,
        id: GrantId,
    ) -> Result<bool, DbError> {
        let outcome = self
            .delete_in(pool, owner, address, own(owner), GrantIds::one(id))
            .await?;
        Ok(!outcome.done.is_empty())
    }
}

/// What a refresh came to, once its transaction committed.
enum Refreshed {
    /// Rotated: a new access token for this subject.
    Issued(AccessSubject),
    /// Unknown token, or a grant or owner that may not refresh: nothing changed.
    Refused,
    /// Scopes asked that the grant does not have: nothing changed.
    Wider(Vec<String>),
    /// A rotated refresh token presented again: the grant is disabled and its
    /// access tokens revoked (as stored).
    Reused(GrantRevocation),
}

/// Whether the owner of a grant being refreshed may act in its workspace, and
/// with what role: the one standing rule every token check applies.
pub(crate) fn owner_standing(found: &GrantForRefresh) -> Result<Role, NotInStanding> {
    OwnerStanding {
        owner_active: found.owner_active,
        role: found.owner_role,
        tokens_enabled: found.tokens_enabled,
    }
    .judge(CredentialKind::OAuth)
}

/// Inside the refresh transaction: refused (rolled back) or a query failed.
enum Tx {
    Refused,
    Wider(Vec<String>),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Tx {
    fn from(e: diesel::result::Error) -> Self {
        Tx::Db(e)
    }
}

/// The owner's grants in the workspace they act in.
fn own(owner: &Principal) -> GrantScope {
    GrantScope {
        workspace: owner.workspace_id,
        owner: Some(owner.user_id),
    }
}

fn subject(owner: &Principal, grant: &Grant) -> AccessSubject {
    AccessSubject {
        user_id: owner.user_id,
        username: owner.username.clone(),
        workspace_id: owner.workspace_id,
        workspace_name: owner.workspace_name.clone(),
        role: owner.role,
        grant: grant.id,
        scopes: grant.scopes.clone(),
    }
}
