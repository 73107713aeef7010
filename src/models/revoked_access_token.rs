//! OAuth access tokens revoked before they expire (RFC 7009), by `jti`, as stored.

use diesel::prelude::*;

use crate::db::schema::revoked_access_tokens as revoked;
use crate::db::Conn;
use crate::domain::oauth::GrantId;
use crate::domain::{Timestamp, WorkspaceId};

/// A revocation to store.
#[derive(Debug, Clone)]
pub struct NewRevocation {
    /// The access token's own id (its `jti` claim), not its value.
    pub jti: String,
    pub grant: GrantId,
    pub workspace: WorkspaceId,
    /// The token's `exp`: after it, the row is of no use.
    pub expires_at: Timestamp,
    pub revoked_at: Timestamp,
}

/// A stored revocation, as the instances poll for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub jti: String,
    pub expires_at: Timestamp,
}

/// Stores a revocation. Fails with a unique violation when the `jti` is already
/// revoked (someone revoked it at the same moment).
pub fn insert(conn: &mut Conn, new: &NewRevocation) -> QueryResult<()> {
    diesel::insert_into(revoked::table)
        .values((
            revoked::jti.eq(&new.jti),
            revoked::grant_id.eq(new.grant),
            revoked::workspace_id.eq(new.workspace),
            revoked::expires_at.eq(new.expires_at.millis()),
            revoked::revoked_at.eq(new.revoked_at.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The revocations stored at `since` or later whose token has not expired by
/// `alive_at`. With `since` a moment ago, an index range scan of a few rows.
pub fn revoked_since(
    conn: &mut Conn,
    since: Timestamp,
    alive_at: Timestamp,
) -> QueryResult<Vec<Revocation>> {
    let rows: Vec<(String, i64)> = revoked::table
        .filter(revoked::revoked_at.ge(since.millis()))
        .filter(revoked::expires_at.gt(alive_at.millis()))
        .select((revoked::jti, revoked::expires_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(jti, expires)| Revocation {
            jti,
            expires_at: Timestamp::from_millis(expires),
        })
        .collect())
}

/// When the revoked access token `jti` expires, if it is revoked: one read by
/// primary key.
pub fn find(conn: &mut Conn, jti: &str) -> QueryResult<Option<Timestamp>> {
    revoked::table
        .find(jti)
        .select(revoked::expires_at)
        .first::<i64>(conn)
        .optional()
        .map(|at| at.map(Timestamp::from_millis))
}

/// Deletes the revocations of tokens that expired before `before`; how many.
pub fn purge_expired(conn: &mut Conn, before: Timestamp) -> QueryResult<usize> {
    diesel::delete(revoked::table.filter(revoked::expires_at.lt(before.millis()))).execute(conn)
}
