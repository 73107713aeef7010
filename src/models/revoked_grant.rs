//! Grants all of whose access tokens are revoked at once (refresh-token reuse), as stored.

use diesel::prelude::*;

use crate::db::schema::revoked_grants as revoked;
use crate::db::Conn;
use crate::domain::oauth::GrantId;
use crate::domain::{Timestamp, WorkspaceId};

/// A grant whose access tokens are all revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRevocation {
    pub grant: GrantId,
    pub workspace: WorkspaceId,
    /// When the last access token the grant may have issued expires: after it, the
    /// row is of no use.
    pub expires_at: Timestamp,
    pub revoked_at: Timestamp,
}

/// Stores a revocation, unless the grant's access tokens are already revoked;
/// whether it stored one.
pub fn insert(conn: &mut Conn, new: &GrantRevocation) -> QueryResult<bool> {
    let grant = new.grant;
    let there: i64 = revoked::table.find(grant).count().get_result(conn)?;
    if there > 0 {
        return Ok(false);
    }
    diesel::insert_into(revoked::table)
        .values((
            revoked::grant_id.eq(grant),
            revoked::workspace_id.eq(new.workspace),
            revoked::expires_at.eq(new.expires_at.millis()),
            revoked::revoked_at.eq(new.revoked_at.millis()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The grants revoked at `since` or later whose last access token has not expired
/// by `alive_at`, with when that is. With `since` a moment ago, an index range scan
/// of a few rows.
pub fn revoked_since(
    conn: &mut Conn,
    since: Timestamp,
    alive_at: Timestamp,
) -> QueryResult<Vec<(GrantId, Timestamp)>> {
    let rows: Vec<(GrantId, i64)> = revoked::table
        .filter(revoked::revoked_at.ge(since.millis()))
        .filter(revoked::expires_at.gt(alive_at.millis()))
        .select((revoked::grant_id, revoked::expires_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(grant, expires)| (grant, Timestamp::from_millis(expires)))
        .collect())
}

/// When the last access token of the revoked grant `grant` expires, if its access
/// tokens are revoked: one read by primary key.
pub fn find(conn: &mut Conn, grant: GrantId) -> QueryResult<Option<Timestamp>> {
    revoked::table
        .find(grant)
        .select(revoked::expires_at)
        .first::<i64>(conn)
        .optional()
        .map(|at| at.map(Timestamp::from_millis))
}

/// Deletes the revocations whose last access token expired before `before`; how
/// many.
pub fn purge_expired(conn: &mut Conn, before: Timestamp) -> QueryResult<usize> {
    diesel::delete(revoked::table.filter(revoked::expires_at.lt(before.millis()))).execute(conn)
}
