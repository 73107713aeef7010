//! What a workspace admin does with everyone's tokens, for the pages and the API
//! alike: list them (filtered, sorted, paged) and delete them. Every operation
//! takes the proof that the caller is an admin (`auth::authority::ActingAdmin`,
//! made by the `WorkspaceAdmin` extractor) and acts only in the caller's workspace.

use std::net::IpAddr;

use crate::auth::authority::ActingAdmin;
use crate::db::{self, DbError, DbPool};
use crate::domain::token_query::TokenQuery;
use crate::domain::{Timestamp, TokenId};
use crate::models::audit;
use crate::models::token::{self, DeletedToken};

/// A token with its owner's name, as the lists show it.
pub use crate::models::token::OwnedToken;

/// One page of the workspace's tokens and how many match in all.
#[derive(Debug)]
pub struct TokenPage {
    pub tokens: Vec<OwnedToken>,
    pub total: i64,
    /// The instant the statuses were judged at.
    pub now: Timestamp,
}

impl TokenPage {
    /// No token, judged at `now`.
    pub fn nothing(now: Timestamp) -> Self {
        TokenPage {
            tokens: Vec::new(),
            total: 0,
            now,
        }
    }
}

/// The tokens of the caller's workspace that `query` asks for.
pub async fn list(
    pool: &DbPool,
    caller: &ActingAdmin,
    query: TokenQuery,
    now: Timestamp,
) -> Result<TokenPage, DbError> {
    let ws = caller.workspace_id;
    let (tokens, total) = db::run(pool, move |conn| {
        Ok(token::list_in_workspace(conn, ws, &query, now)?)
    })
    .await?;
    Ok(TokenPage { tokens, total, now })
}

/// Deletes those of `ids` that are in the caller's workspace, whoever owns them;
/// they stop working at once. Returns what was deleted (for the audit log); ids of
/// other workspaces, or unknown, are not in it.
pub async fn delete(
    pool: &DbPool,
    caller: &ActingAdmin,
    address: Option<IpAddr>,
    ids: Vec<TokenId>,
    now: Timestamp,
) -> Result<Vec<DeletedToken>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (ws, actor) = (caller.workspace_id, (**caller).clone());
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let deleted = token::delete_in_workspace(conn, ws, &ids)?;
            for gone in &deleted {
                let by = if gone.owner_id == actor.user_id {
                    "by owner".to_owned()
                } else {
                    format!("by admin; owner {}", gone.owner_username)
                };
                audit::record(
                    conn,
                    now,
                    audit::Event::by(&actor, address, audit::Action::TokenDeleted)
                        .target_token(gone.id)
                        .detail(by),
                )?;
            }
            Ok::<_, diesel::result::Error>(deleted)
        })?)
    })
    .await
}

/// Those of `ids` that are tokens of the caller's workspace, with their owners (for
/// a confirmation that names what will be deleted).
pub async fn find(
    pool: &DbPool,
    caller: &ActingAdmin,
    ids: Vec<TokenId>,
) -> Result<Vec<OwnedToken>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ws = caller.workspace_id;
    db::run(pool, move |conn| {
        Ok(token::find_in_workspace(conn, ws, &ids)?)
    })
    .await
}
