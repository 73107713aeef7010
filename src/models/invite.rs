//! One-time invitations (`invites`): the digest of a link's secret, for whom, until when.

use diesel::prelude::*;

use crate::db::schema::invites;
use crate::db::Conn;
use crate::domain::{SecretDigest, Timestamp, UserId, WorkspaceId};

/// An unused, unexpired invitation.
pub struct Invite {
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub digest: Option<SecretDigest>,
}

pub fn insert(
    conn: &mut Conn,
    id: &str,
    workspace: WorkspaceId,
    user: UserId,
    digest: &SecretDigest,
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<()> {
    diesel::insert_into(invites::table)
        .values((
            invites::id.eq(id),
            invites::workspace_id.eq(workspace),
            invites::user_id.eq(user),
            invites::secret_digest.eq(digest.as_bytes()),
            invites::created_at.eq(now.millis()),
            invites::expires_at.eq(expires_at.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The invitation `id` if it is neither used nor expired.
pub fn find_open(conn: &mut Conn, id: &str, now: Timestamp) -> QueryResult<Option<Invite>> {
    let row: Option<(UserId, WorkspaceId, Vec<u8>)> = invites::table
        .find(id)
        .filter(invites::used_at.is_null())
        .filter(invites::expires_at.gt(now.millis()))
        .select((
            invites::user_id,
            invites::workspace_id,
            invites::secret_digest,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user_id, workspace_id, digest)| Invite {
        user_id,
        workspace_id,
        digest: SecretDigest::from_stored(&digest),
    }))
}

/// Marks an invitation used; `false` if someone used it first.
pub fn mark_used(conn: &mut Conn, id: &str, now: Timestamp) -> QueryResult<bool> {
    let n = diesel::update(invites::table.find(id).filter(invites::used_at.is_null()))
        .set(invites::used_at.eq(now.millis()))
        .execute(conn)?;
    Ok(n == 1)
}

/// Drops the user's unused invitations (when a password was set another way).
pub fn revoke_for_user(conn: &mut Conn, user: UserId, now: Timestamp) -> QueryResult<()> {
    diesel::update(
        invites::table
            .filter(invites::user_id.eq(user))
            .filter(invites::used_at.is_null()),
    )
    .set(invites::used_at.eq(now.millis()))
    .execute(conn)?;
    Ok(())
}
