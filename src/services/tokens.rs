//! Token operations the pages and the API share: create, list, find and delete a
//! caller's own tokens.

use std::net::IpAddr;

use crate::auth::Principal;
use crate::db::{self, DbError, DbPool};
use crate::domain::policy::{PolicyViolation, TokenPolicy};
pub use crate::domain::refusal::GenerationRefusal;
use crate::domain::scope::{ScopeSet, ServiceScopes};
use crate::domain::scope_request::{self, ScopeRequestError};
use crate::domain::{Description, Lifetime, Timestamp, TokenId, TokenSecret, TokenValue};
use crate::models::audit;
use crate::models::token::{self, NewToken};
use crate::models::workspace;

/// The row a caller's token is read as; handlers name it from here, not from `models`.
pub use crate::models::token::ApiToken;

/// Why a token was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The workspace's policy does not allow it (who, or how long).
    #[error(transparent)]
    Policy(#[from] PolicyViolation),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates a (legacy) access token for the caller in their workspace, if its policy
/// allows: the one place the page and the API check it. The value is returned once
/// and exists nowhere else: only its digest is stored.
pub async fn create(
    pool: &DbPool,
    owner: &Principal,
    address: Option<IpAddr>,
    lifetime: Lifetime,
    description: Option<Description>,
    scopes: ScopeSet,
    now: Timestamp,
) -> Result<(ApiToken, TokenValue), CreateError> {
    let id = TokenId::new_random();
    let secret = TokenSecret::generate();
    let digest = secret.digest();
    let value = TokenValue::encode(id, &secret);
    let created_at = now;
    let (user_id, workspace_id, role) = (owner.user_id, owner.workspace_id, owner.role);
    let actor = owner.clone();
    let stored = db::run(pool, move |conn| {
        let policy = workspace::policy(conn, workspace_id)?;
        if let Err(violation) = policy.check_generate_legacy(role, lifetime) {
            return Ok(Err(violation));
        }
        let detail = format!("{}; scopes {}", lifetime.describe(), scopes.to_stored());
        Ok(Ok(crate::db::write_transaction(conn, |conn| {
            let stored = token::insert(
                conn,
                NewToken {
                    id,
                    user_id,
                    workspace_id,
                    description: description.as_ref(),
                    digest: &digest,
                    created_at,
                    expires_at: lifetime.expiry(created_at),
                    scopes: &scopes,
                },
            )?;
            audit::record(
                conn,
                now,
                audit::Event::by(&actor, address, audit::Action::TokenCreated)
                    .target_token(id)
                    .detail(detail),
            )?;
            Ok::<_, diesel::result::Error>(stored)
        })?))
    })
    .await??;
    Ok((stored, value))
}

/// The scopes for a new token of `owner`'s, from the names asked (`None`: full
/// access), as `domain::scope_request::requested` judges them against the workspace's
/// service scopes now. `by` is the scopes of the token that asks, if a token asks.
pub async fn resolve_scopes(
    pool: &DbPool,
    owner: &Principal,
    asked: Option<Vec<String>>,
    by: Option<ScopeSet>,
) -> Result<Result<ScopeSet, ScopeRequestError>, DbError> {
    let defined = service_scopes(pool, owner).await?;
    Ok(scope_request::requested(
        asked.as_deref(),
        &defined,
        owner.is_admin(),
        by.as_ref(),
    ))
}

/// The service scopes of the caller's workspace.
pub async fn service_scopes(pool: &DbPool, owner: &Principal) -> Result<ServiceScopes, DbError> {
    let ws = owner.workspace_id;
    db::run(pool, move |conn| Ok(workspace::service_scopes(conn, ws)?)).await
}

/// The token policy of the caller's workspace.
pub async fn policy(pool: &DbPool, owner: &Principal) -> Result<TokenPolicy, DbError> {
    let ws = owner.workspace_id;
    db::run(pool, move |conn| Ok(workspace::policy(conn, ws)?)).await
}

/// A refusal of Generate in the caller's workspace (if there is one), with the
/// names of the workspace's active admins to ask when an admin could lift it.
pub async fn explain_refusal(
    pool: &DbPool,
    caller: &Principal,
    violation: Option<PolicyViolation>,
) -> Result<Option<GenerationRefusal>, DbError> {
    let Some(violation) = violation else {
        return Ok(None);
    };
    let admins = if violation.admin_could_allow() {
        let ws = caller.workspace_id;
        db::run(pool, move |conn| {
            Ok(workspace::active_admin_names(conn, ws)?)
        })
        .await?
    } else {
        Vec::new()
    };
    Ok(Some(GenerationRefusal::new(&violation, &admins)))
}

/// What the Access Tokens page shows: the workspace's token policy and service
/// scopes, the caller's tokens (newest first) and why Generate is refused, if it
/// is.
pub struct OwnTokens {
    pub policy: TokenPolicy,
    pub scopes: ServiceScopes,
    pub tokens: Vec<ApiToken>,
    pub refusal: Option<GenerationRefusal>,
}

/// [`OwnTokens`], read in one blocking call: a page read in four (policy, scopes,
/// tokens, the admins to ask) paid four trips to a blocking thread and back
/// (docs/PERFORMANCE.md).
pub async fn own_tokens(pool: &DbPool, owner: &Principal) -> Result<OwnTokens, DbError> {
    let (user, ws, role) = (owner.user_id, owner.workspace_id, owner.role);
    db::run(pool, move |conn| {
        let policy = workspace::policy(conn, ws)?;
        let scopes = workspace::service_scopes(conn, ws)?;
        let tokens = token::list_for_owner(conn, ws, user)?;
        let refusal = match policy.legacy_generation_refused(role) {
            Some(violation) => {
                let admins = if violation.admin_could_allow() {
                    workspace::active_admin_names(conn, ws)?
                } else {
                    Vec::new()
                };
                Some(GenerationRefusal::new(&violation, &admins))
            }
            None => None,
        };
        Ok(OwnTokens {
            policy,
            scopes,
            tokens,
            refusal,
        })
    })
    .await
}

/// The caller's tokens, newest first.
pub async fn list_own(pool: &DbPool, owner: &Principal) -> Result<Vec<ApiToken>, DbError> {
    let (user, ws) = (owner.user_id, owner.workspace_id);
    db::run(pool, move |conn| Ok(token::list_for_owner(conn, ws, user)?)).await
}

/// One of the caller's tokens; `None` when unknown or someone else's.
pub async fn find_own(
    pool: &DbPool,
    owner: &Principal,
    id: TokenId,
) -> Result<Option<ApiToken>, DbError> {
    let (user, ws) = (owner.user_id, owner.workspace_id);
    db::run(pool, move |conn| {
        Ok(token::find_for_owner(conn, id, ws, user)?)
    })
    .await
}

/// Deletes one of the caller's tokens; `false` when unknown or someone else's.
pub async fn delete_own(
    pool: &DbPool,
    owner: &Principal,
    address: Option<IpAddr>,
    id: TokenId,
    now: Timestamp,
) -> Result<bool, DbError> {
    let (user, ws) = (owner.user_id, owner.workspace_id);
    let actor = owner.clone();
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let deleted = token::delete_for_owner(conn, id, ws, user)?;
            if deleted {
                audit::record(
                    conn,
                    now,
                    audit::Event::by(&actor, address, audit::Action::TokenDeleted)
                        .target_token(id)
                        .detail("by owner"),
                )?;
            }
            Ok::<_, diesel::result::Error>(deleted)
        })?)
    })
    .await
}
