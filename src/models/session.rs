//! Browser sessions (`sessions`): one row per signed-in browser, found by the
//! SHA-256 of the secret its cookie carries.

use diesel::prelude::*;

use crate::db::schema::{sessions, users};
use crate::db::Conn;
use crate::domain::{Timestamp, UserId, WorkspaceId};

/// A browser's signed-in state, as one read of its session finds it: the session,
/// its user acting in its workspace, their memberships, and whether they are an
/// instance admin (for the menu).
#[derive(Debug, Clone)]
pub struct SessionStanding {
    pub row: SessionRow,
    pub principal: crate::domain::Principal,
    pub memberships: Vec<super::workspace::Membership>,
    pub instance_admin: bool,
}

/// A session as stored, with what its user's row says about passwords.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The public name of the session (a UUID), used in Preferences > Sessions.
    pub id: String,
    pub user_id: UserId,
    pub workspace_id: Option<WorkspaceId>,
    pub epoch: i64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// `users.password_must_change` of the session's user.
    pub password_must_change: bool,
}

type Row = (
    String,
    UserId,
    Option<WorkspaceId>,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    bool,
);

fn from_row(r: Row) -> SessionRow {
    SessionRow {
        id: r.0,
        user_id: r.1,
        workspace_id: r.2,
        epoch: r.3,
        created_at: Timestamp::from_millis(r.4),
        last_seen_at: Timestamp::from_millis(r.5),
        address: r.6,
        user_agent: r.7,
        password_must_change: r.8,
    }
}

/// What a new session row holds.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub secret_digest: &'a [u8],
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub epoch: i64,
    pub now: Timestamp,
    pub address: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Stores a new session, and drops the sessions that ended unseen (created before
/// `stale_before` or not seen since `idle_before`), so abandoned rows do not pile up.
pub fn insert(
    conn: &mut Conn,
    new: &NewSession<'_>,
    stale_before: Timestamp,
    idle_before: Timestamp,
) -> QueryResult<()> {
    diesel::delete(sessions::table)
        .filter(
            sessions::created_at
                .lt(stale_before.millis())
                .or(sessions::last_seen_at.lt(idle_before.millis())),
        )
        .execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(new.id),
            sessions::secret_digest.eq(new.secret_digest),
            sessions::user_id.eq(new.user_id),
            sessions::workspace_id.eq(Some(new.workspace_id)),
            sessions::epoch.eq(new.epoch),
            sessions::created_at.eq(new.now.millis()),
            sessions::last_seen_at.eq(new.now.millis()),
            sessions::address.eq(new.address),
            sessions::user_agent.eq(new.user_agent),
        ))
        .execute(conn)?;
    Ok(())
}

const COLUMNS: (
    sessions::id,
    sessions::user_id,
    sessions::workspace_id,
    sessions::epoch,
    sessions::created_at,
    sessions::last_seen_at,
    sessions::address,
    sessions::user_agent,
    users::password_must_change,
) = (
    sessions::id,
    sessions::user_id,
    sessions::workspace_id,
    sessions::epoch,
    sessions::created_at,
    sessions::last_seen_at,
    sessions::address,
    sessions::user_agent,
    users::password_must_change,
);

/// The session whose secret has this digest.
pub fn find_by_digest(conn: &mut Conn, digest: &[u8]) -> QueryResult<Option<SessionRow>> {
    let query = sessions::table
        .inner_join(users::table)
        .filter(sessions::secret_digest.eq(digest))
        .select(COLUMNS);
    crate::db::first::<_, Row>(conn, query).map(|r| r.map(from_row))
}

/// Every session of a user, newest first.
pub fn list_for_user(conn: &mut Conn, user: UserId) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::user_id.eq(user))
        .order((sessions::created_at.desc(), sessions::id.asc()))
        .select(COLUMNS)
        .load::<Row>(conn)
        .map(|rows| rows.into_iter().map(from_row).collect())
}

/// Notes that the session was seen at `now`, unless it was seen after
/// `unless_seen_after` already (so it is written at most once a minute).
pub fn touch(
    conn: &mut Conn,
    id: &str,
    now: Timestamp,
    unless_seen_after: Timestamp,
) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .filter(sessions::last_seen_at.le(unless_seen_after.millis()))
        .set(sessions::last_seen_at.eq(now.millis()))
        .execute(conn)?;
    Ok(())
}

/// The workspace the session's pages act in.
pub fn set_workspace(conn: &mut Conn, id: &str, workspace: WorkspaceId) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::workspace_id.eq(Some(workspace)))
        .execute(conn)?;
    Ok(())
}

/// Ends one session, found by its secret's digest (signing out).
pub fn delete_by_digest(conn: &mut Conn, digest: &[u8]) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::secret_digest.eq(digest))).execute(conn)
}

/// Ends one of `user`'s sessions by its public id; 0 when it is not theirs.
pub fn delete_one(conn: &mut Conn, user: UserId, id: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user)),
    )
    .execute(conn)
}

/// Ends every session of `user` (deactivation).
pub fn delete_for_user(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)
}

/// Ends every session of `user` but `keep` (a password change, "sign out all other
/// sessions"), and moves `keep` to `epoch` when given, so the session that changed
/// the password stays signed in under the new epoch.
pub fn delete_others(
    conn: &mut Conn,
    user: UserId,
    keep: &str,
    epoch: Option<i64>,
) -> QueryResult<usize> {
    crate::db::write_transaction(conn, |conn| {
        // The write first: on SQLite the transaction then holds the write lock.
        if let Some(epoch) = epoch {
            diesel::update(
                sessions::table
                    .filter(sessions::id.eq(keep))
                    .filter(sessions::user_id.eq(user)),
            )
            .set(sessions::epoch.eq(epoch))
            .execute(conn)?;
        }
        diesel::delete(
            sessions::table
                .filter(sessions::user_id.eq(user))
                .filter(sessions::id.ne(keep)),
        )
        .execute(conn)
    })
}
