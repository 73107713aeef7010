//! The feed of changes that end or alter cached token verifications, as stored.
//! Triggers write it (see the `auth_changes` migration); the instances read it.

use diesel::prelude::*;

use crate::db::schema::auth_changes as changes;
use crate::db::Conn;
use crate::domain::{Timestamp, TokenId, UserId, WorkspaceId};

/// What a change names: the cached entries it makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    Token(TokenId),
    /// A user's standing in one workspace (role, membership).
    Member(UserId, WorkspaceId),
    /// A user everywhere (name, deactivation, deletion).
    User(UserId),
    /// A whole workspace (its name, its token switches).
    Workspace(WorkspaceId),
    /// A row this version cannot read: everything is stale, to be safe.
    Everything,
}

/// One stored change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub changed_at: Timestamp,
    pub stale: Stale,
}

type Row = (i64, i64, Option<String>, Option<String>, Option<String>);

fn stale(token: Option<String>, user: Option<String>, workspace: Option<String>) -> Stale {
    let token = token.map(|t| t.parse::<TokenId>().ok());
    let user = user.map(|u| UserId::parse(&u));
    let workspace = workspace.map(|w| WorkspaceId::parse(&w));
    match (token, user, workspace) {
        (Some(Some(t)), None, None) => Stale::Token(t),
        (None, Some(Some(u)), Some(Some(w))) => Stale::Member(u, w),
        (None, Some(Some(u)), None) => Stale::User(u),
        (None, None, Some(Some(w))) => Stale::Workspace(w),
        _ => Stale::Everything,
    }
}

/// The changes stored at `since` or later, oldest first. With `since` a moment
/// ago, an index range scan of a few rows.
pub fn since(conn: &mut Conn, since: Timestamp) -> QueryResult<Vec<Change>> {
    let rows: Vec<Row> = changes::table
        .filter(changes::changed_at.ge(since.millis()))
        .order(changes::seq.asc())
        .select((
            changes::seq,
            changes::changed_at,
            changes::token_id,
            changes::user_id,
            changes::workspace_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, at, token, user, workspace)| Change {
            seq,
            changed_at: Timestamp::from_millis(at),
            stale: stale(token, user, workspace),
        })
        .collect())
}

/// Deletes the changes stored before `before`; how many.
pub fn purge(conn: &mut Conn, before: Timestamp) -> QueryResult<usize> {
    diesel::delete(changes::table.filter(changes::changed_at.lt(before.millis()))).execute(conn)
}
