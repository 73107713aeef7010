//! Token revocation (RFC 7009) and token introspection (RFC 7662): what
//! `POST /oauth2/revoke` and `POST /oauth2/introspect` do.
//!
//! Which kind a presented value is comes from its format, never from the client's
//! `token_type_hint`: a refresh token is `art_...`, an access token a JWS, a legacy
//! access token the base64 of its JSON. So a wrong hint costs nothing (RFC 7009
//! §2.1 and RFC 7662 §2.1 let the server search every kind anyway).

use std::net::IpAddr;

use crate::auth::bearer::{self, TokenChecks};
use crate::db::{self, is_unique_violation, DbError, DbPool};
use crate::domain::oauth::{looks_like_jwt, GrantId, GrantStatus, RefreshToken, ISSUER};
use crate::domain::scope::ScopeSet;
use crate::domain::{Role, SecretDigest, Timestamp, TokenId, TokenValue, UserId, WorkspaceId};
use crate::models::audit;
use crate::models::oauth as grants;
use crate::models::revoked_access_token::{self as revoked, NewRevocation};
use crate::models::token as tokens;
use crate::models::workspace;

use super::{KeyError, OAuth};

/// Why a revocation request could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a revocation did. The endpoint answers the same for all (RFC 7009 §2.2:
/// an invalid token is no error), so that a client learns nothing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Unknown, invalid, expired or already revoked: nothing to do.
    Nothing,
    /// A refresh token: its grant is now disabled.
    Grant,
    /// An access token: it stops working at once.
    AccessToken,
    /// A legacy access token: deleted, as its owner's Delete would.
    LegacyToken,
}

/// Which kind of token was introspected (the `token_use` member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    AccessToken,
    RefreshToken,
    LegacyAccessToken,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::AccessToken => "access_token",
            TokenUse::RefreshToken => "refresh_token",
            TokenUse::LegacyAccessToken => "legacy_access_token",
        }
    }
}

/// What introspection may say of an active token (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveToken {
    pub kind: TokenUse,
    pub user_id: UserId,
    pub username: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    /// The grant's id (OAuth tokens) or the legacy token's id.
    pub token_id: String,
    pub issued_at: Timestamp,
    /// `None`: a legacy token that never expires.
    pub expires_at: Option<Timestamp>,
    /// Access tokens only: their `jti` and `iss`.
    pub jti: Option<String>,
    pub issuer: Option<&'static str>,
    /// The scopes that count now (a refresh token's: its grant's).
    pub scopes: ScopeSet,
}

impl OAuth {
    /// Revokes a presented token (RFC 7009), whose possession is the proof: a
    /// refresh token disables its grant exactly as "Disable" does; a legacy access
    /// token is deleted (it has no disabled state); an access token
    /// stops working at once, on this instance now and on the others within
    /// [`super::revocations::POLL_SECONDS`]. Revoking one never touches the other:
    /// the seed keeps access tokens working after a disable, and RFC 7009 §2.1
    /// makes revoking the refresh token with an access token optional.
    pub async fn revoke(
        &self,
        pool: &DbPool,
        presented: &str,
        address: Option<IpAddr>,
    ) -> Result<Revoked, RevokeError> {
        if let Some(token) = RefreshToken::parse(presented) {
            return Ok(self.revoke_grant(pool, token, address).await?);
        }
        if looks_like_jwt(presented) {
            return self.revoke_access_token(pool, presented, address).await;
        }
        if let Some((id, secret)) = TokenValue::parse(presented) {
            return Ok(revoke_legacy(pool, id, secret.digest(), address, self.clock.now()).await?);
        }
        Ok(Revoked::Nothing)
    }

    /// Disables the grant of a refresh token it issued (the current one or a
    /// rotated one: either proves the client had the grant).
    async fn revoke_grant(
        &self,
        pool: &DbPool,
        token: RefreshToken,
        address: Option<IpAddr>,
    ) -> Result<Revoked, DbError> {
        let (id, digest, now) = (token.grant(), token.digest(), self.clock.now());
        db::run(pool, move |conn| {
            Ok(crate::db::write_transaction(conn, |conn| {
                if !grants::was_issued(conn, id, &digest)? {
                    return Ok(Revoked::Nothing);
                }
                let Some(grant) = grants::find(conn, id)? else {
                    return Ok(Revoked::Nothing);
                };
                if !grants::disable(conn, id, now)? {
                    return Ok(Revoked::Nothing);
                }
                audit::record(
                    conn,
                    now,
                    audit::Event::anonymous(
                        Some(grant.workspace_id),
                        address,
                        audit::Action::OAuthTokenDisabled,
                    )
                    .target(id.to_string(), &grant.name)
                    .detail("revoked by the client (RFC 7009)"),
                )?;
                Ok::<_, diesel::result::Error>(Revoked::Grant)
            })?)
        })
        .await
    }

    /// Revokes an access token of ours that still works: its `jti` is stored (for
    /// the other instances) and remembered here.
    async fn revoke_access_token(
        &self,
        pool: &DbPool,
        presented: &str,
        address: Option<IpAddr>,
    ) -> Result<Revoked, RevokeError> {
        // Expired, forged or already revoked tokens have nothing left to stop.
        let Ok(claims) = self.check_access(pool, presented).await? else {
            return Ok(Revoked::Nothing);
        };
        let Some(subject) = claims.subject() else {
            return Ok(Revoked::Nothing);
        };
        let expires_at = Timestamp::from_millis(claims.exp.saturating_mul(1000));
        let now = self.clock.now();
        let new = NewRevocation {
            jti: claims.jti.clone(),
            grant: subject.grant,
            workspace: subject.workspace_id,
            expires_at,
            revoked_at: now,
        };
        let stored = db::run(pool, move |conn| {
            let written = crate::db::write_transaction(conn, |conn| {
                // The write first: on SQLite the transaction takes the write lock
                // at once, and a concurrent revocation of the same token fails here.
                revoked::insert(conn, &new)?;
                let name = grants::find(conn, new.grant)?.map(|g| g.name);
                audit::record(
                    conn,
                    now,
                    access_token_revoked(new.grant, name.as_deref(), new.workspace, address)
                        .detail(format!(
                            "access token {} revoked by the client (RFC 7009)",
                            new.jti
                        )),
                )
            });
            match written {
                Ok(()) => Ok(true),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        // Remembered even when someone else stored it first: it is revoked.
        self.revocations.add(claims.jti.clone(), expires_at);
        Ok(if stored {
            Revoked::AccessToken
        } else {
            Revoked::Nothing
        })
    }

    /// Introspects a presented token for a caller acting in `workspace` (RFC 7662):
    /// `None` (inactive) unless the token works right now and belongs to that
    /// workspace, judged as a use would judge it (the same standing rule, through
    /// the same cache for an access token). Never records a use, never rotates or
    /// disables anything, never reports a refusal: introspection is not a use of the
    /// token, so a rotated refresh token is just inactive here, not a reuse.
    pub async fn introspect(
        &self,
        pool: &DbPool,
        checks: &TokenChecks,
        workspace: WorkspaceId,
        presented: &str,
    ) -> Result<Option<ActiveToken>, KeyError> {
        let found = if let Some(token) = RefreshToken::parse(presented) {
            self.introspect_refresh(pool, token).await?
        } else if looks_like_jwt(presented) {
            self.introspect_access(pool, checks, presented).await?
        } else if TokenValue::parse(presented).is_some() {
            introspect_legacy(pool, presented, self.clock.now()).await?
        } else {
            None
        };
        Ok(found.filter(|t| t.workspace_id == workspace))
    }

    /// Active when a Bearer use of it would be accepted now: signature, expiry and
    /// revocation in memory, then its owner's standing by
    /// [`bearer::oauth_principal`], as on `/v4` and `/auth/verify`.
    async fn introspect_access(
        &self,
        pool: &DbPool,
        checks: &TokenChecks,
        presented: &str,
    ) -> Result<Option<ActiveToken>, KeyError> {
        let Ok(claims) = self.check_access(pool, presented).await? else {
            return Ok(None);
        };
        let Some(subject) = claims.subject() else {
            return Ok(None);
        };
        let Ok((principal, scopes)) = bearer::oauth_principal(pool, checks, &subject).await? else {
            return Ok(None);
        };
        Ok(Some(ActiveToken {
            kind: TokenUse::AccessToken,
            user_id: principal.user_id,
            username: principal.username,
            workspace_id: principal.workspace_id,
            workspace_name: principal.workspace_name,
            token_id: subject.grant.to_string(),
            issued_at: Timestamp::from_millis(claims.iat.saturating_mul(1000)),
            expires_at: Some(Timestamp::from_millis(claims.exp.saturating_mul(1000))),
            jti: Some(claims.jti.clone()),
            issuer: Some(ISSUER),
            scopes,
        }))
    }

    /// Active when it is the grant's current refresh token and a refresh with it
    /// would succeed now: the same conditions, read without writing.
    async fn introspect_refresh(
        &self,
        pool: &DbPool,
        token: RefreshToken,
    ) -> Result<Option<ActiveToken>, DbError> {
        let (id, digest, now) = (token.grant(), token.digest(), self.clock.now());
        db::run(pool, move |conn| {
            let Some(issued_at) = grants::current_issued_at(conn, id, &digest)? else {
                return Ok(None);
            };
            let Some(found) = grants::find_for_refresh(conn, id)? else {
                return Ok(None);
            };
            let g = &found.grant;
            let role = super::owner_standing(&found);
            let active = GrantStatus::at(g.disabled_at, g.expires_at, now) == GrantStatus::Active
                && role.is_ok();
            let defined = workspace::service_scopes(conn, g.workspace_id)?;
            let scopes = g.scopes.effective(&defined, role == Ok(Role::Admin));
            Ok(active.then(|| ActiveToken {
                kind: TokenUse::RefreshToken,
                user_id: g.user_id,
                username: found.owner_name.clone(),
                workspace_id: g.workspace_id,
                workspace_name: found.workspace_name.clone(),
                token_id: g.id.to_string(),
                issued_at,
                expires_at: Some(g.expires_at),
                jti: None,
                issuer: None,
                scopes,
            }))
        })
        .await
    }
}

/// Deletes the legacy token `id` if `presented` is its secret, whatever its state:
/// holding the value is the proof, and deleting a dead token harms no one.
async fn revoke_legacy(
    pool: &DbPool,
    id: TokenId,
    presented: SecretDigest,
    address: Option<IpAddr>,
    now: Timestamp,
) -> Result<Revoked, DbError> {
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let Some(found) = crate::models::token_check::find_for_verification(conn, id)? else {
                return Ok(Revoked::Nothing);
            };
            if !found.digest.as_ref().is_some_and(|d| d.matches(&presented)) {
                return Ok(Revoked::Nothing);
            }
            let t = &found.token;
            if !tokens::delete_for_owner(conn, id, t.workspace_id, t.user_id)? {
                return Ok(Revoked::Nothing);
            }
            audit::record(
                conn,
                now,
                audit::Event::anonymous(Some(t.workspace_id), address, audit::Action::TokenDeleted)
                    .target_token(id)
                    .detail(format!(
                        "revoked by the client (RFC 7009); owner {}",
                        found.owner_name
                    )),
            )?;
            Ok::<_, diesel::result::Error>(Revoked::LegacyToken)
        })?)
    })
    .await
}

/// A legacy token is active when a Bearer use of it would be accepted now.
async fn introspect_legacy(
    pool: &DbPool,
    presented: &str,
    now: Timestamp,
) -> Result<Option<ActiveToken>, DbError> {
    Ok(bearer::inspect(pool, presented, now)
        .await?
        .map(|(principal, token, scopes)| ActiveToken {
            kind: TokenUse::LegacyAccessToken,
            user_id: principal.user_id,
            username: principal.username,
            workspace_id: principal.workspace_id,
            workspace_name: principal.workspace_name,
            token_id: token.id.to_string(),
            issued_at: token.created_at,
            expires_at: token.expires_at,
            jti: None,
            issuer: None,
            scopes,
        }))
}

/// The audit event of a revoked access token, naming its grant (by name too while
/// the grant exists).
fn access_token_revoked(
    grant: GrantId,
    name: Option<&str>,
    workspace: WorkspaceId,
    address: Option<IpAddr>,
) -> audit::Event {
    let event = audit::Event::anonymous(
        Some(workspace),
        address,
        audit::Action::OAuthAccessTokenRevoked,
    );
    match name {
        Some(name) => event.target(grant.to_string(), name),
        None => event.target_grant(grant),
    }
}
