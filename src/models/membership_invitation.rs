//! Invitations of existing accounts to a workspace (`membership_invitations`): the
//! account joins with `role` only when it accepts, signed in as itself.

use diesel::prelude::*;

use crate::db::schema::{membership_invitations, users, workspaces};
use crate::db::{is_unique_violation, Conn};
use crate::domain::{Role, Timestamp, UserId, WorkspaceId};

/// An open invitation of an existing account, as its workspace's admins or the
/// account itself see it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

type Row = (WorkspaceId, String, UserId, String, String, i64, i64);

fn pending(row: Row) -> Pending {
    let (workspace_id, workspace_name, user_id, username, role, created, expires) = row;
    Pending {
        workspace_id,
        workspace_name,
        user_id,
        username,
        role: Role::parse(&role).unwrap_or(Role::Member),
        created_at: Timestamp::from_millis(created),
        expires_at: Timestamp::from_millis(expires),
    }
}

macro_rules! open_rows {
    ($now:expr) => {
        membership_invitations::table
            .inner_join(users::table)
            .inner_join(workspaces::table)
            .filter(membership_invitations::expires_at.gt($now.millis()))
            .select((
                workspaces::id,
                workspaces::name,
                users::id,
                users::username,
                membership_invitations::role,
                membership_invitations::created_at,
                membership_invitations::expires_at,
            ))
    };
}

/// Invites `user` to `workspace` with `role`; `false` when an open invitation is
/// there already. A lapsed one is replaced.
pub fn insert(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
    role: Role,
    invited_by: UserId,
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<bool> {
    diesel::delete(
        membership_invitations::table
            .filter(membership_invitations::workspace_id.eq(workspace))
            .filter(membership_invitations::user_id.eq(user))
            .filter(membership_invitations::expires_at.le(now.millis())),
    )
    .execute(conn)?;
    // A savepoint, so that on PostgreSQL a duplicate does not abort the caller's
    // transaction.
    let inserted = crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(membership_invitations::table)
            .values((
                membership_invitations::workspace_id.eq(workspace),
                membership_invitations::user_id.eq(user),
                membership_invitations::role.eq(role.as_str()),
                membership_invitations::invited_by.eq(Some(invited_by)),
                membership_invitations::created_at.eq(now.millis()),
                membership_invitations::expires_at.eq(expires_at.millis()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The open invitations of `user`, oldest first.
pub fn open_for_user(conn: &mut Conn, user: UserId, now: Timestamp) -> QueryResult<Vec<Pending>> {
    let rows: Vec<Row> = open_rows!(now)
        .filter(membership_invitations::user_id.eq(user))
        .order(membership_invitations::created_at.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(pending).collect())
}

/// Every open invitation of the instance, oldest first (for Instance > Accounts).
pub fn open_all(conn: &mut Conn, now: Timestamp) -> QueryResult<Vec<Pending>> {
    let rows: Vec<Row> = open_rows!(now)
        .order(membership_invitations::created_at.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(pending).collect())
}

/// The open invitations of `workspace`, by user name.
pub fn open_in_workspace(
    conn: &mut Conn,
    workspace: WorkspaceId,
    now: Timestamp,
) -> QueryResult<Vec<Pending>> {
    let rows: Vec<Row> = open_rows!(now)
        .filter(membership_invitations::workspace_id.eq(workspace))
        .order(users::username.asc())
        .load(conn)?;
    Ok(rows.into_iter().map(pending).collect())
}

/// The open invitation of `user` to `workspace`, if any.
pub fn find_open(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
    now: Timestamp,
) -> QueryResult<Option<Pending>> {
    let row: Option<Row> = open_rows!(now)
        .filter(membership_invitations::workspace_id.eq(workspace))
        .filter(membership_invitations::user_id.eq(user))
        .first(conn)
        .optional()?;
    Ok(row.map(pending))
}

/// Deletes the invitation of `user` to `workspace` (open or lapsed); `false` when
/// there was none.
pub fn delete(conn: &mut Conn, workspace: WorkspaceId, user: UserId) -> QueryResult<bool> {
    let n = diesel::delete(
        membership_invitations::table
            .filter(membership_invitations::workspace_id.eq(workspace))
            .filter(membership_invitations::user_id.eq(user)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes every lapsed invitation; returns how many.
pub fn purge_lapsed(conn: &mut Conn, now: Timestamp) -> QueryResult<usize> {
    diesel::delete(
        membership_invitations::table.filter(membership_invitations::expires_at.le(now.millis())),
    )
    .execute(conn)
}
