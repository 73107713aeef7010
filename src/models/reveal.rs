//! Sealed token values waiting to be shown once: legacy tokens' (`pending_reveals`)
//! and new OAuth API tokens' (`pending_oauth_reveals`).

use diesel::prelude::*;

use crate::db::schema::{pending_oauth_reveals, pending_reveals};
use crate::db::Conn;
use crate::domain::oauth::GrantId;
use crate::domain::{Timestamp, TokenId, UserId};

/// A sealed value as stored; opening it needs the key in the user's session.
pub struct SealedReveal {
    pub token_id: String,
    pub sealed: Vec<u8>,
}

/// Stores a sealed value, and drops the expired ones nobody came back for.
pub fn insert(
    conn: &mut Conn,
    id: &str,
    user: UserId,
    token: TokenId,
    sealed: &[u8],
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<()> {
    diesel::delete(pending_reveals::table)
        .filter(pending_reveals::expires_at.lt(now.millis()))
        .execute(conn)?;
    diesel::insert_into(pending_reveals::table)
        .values((
            pending_reveals::id.eq(id),
            pending_reveals::user_id.eq(user),
            pending_reveals::token_id.eq(token),
            pending_reveals::sealed.eq(sealed),
            pending_reveals::expires_at.eq(expires_at.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the user's unexpired sealed value `id` and returns it, to exactly one
/// caller. The claim is a write first (not a read then a delete), so that two
/// racing requests serialise on it: on SQLite a transaction that read first could
/// not upgrade to a write, and on PostgreSQL the loser re-checks the row and
/// finds it claimed.
pub fn take(
    conn: &mut Conn,
    id: &str,
    user: UserId,
    now: Timestamp,
) -> QueryResult<Option<SealedReveal>> {
    const CLAIMED: i64 = -1;
    crate::db::write_transaction(conn, |conn| {
        let claimed = diesel::update(pending_reveals::table.find(id))
            .filter(pending_reveals::user_id.eq(user))
            .filter(pending_reveals::expires_at.ge(now.millis()))
            .set(pending_reveals::expires_at.eq(CLAIMED))
            .execute(conn)?;
        if claimed != 1 {
            return Ok(None);
        }
        let (token_id, sealed) = pending_reveals::table
            .find(id)
            .select((pending_reveals::token_id, pending_reveals::sealed))
            .first::<(String, Vec<u8>)>(conn)?;
        diesel::delete(pending_reveals::table.find(id)).execute(conn)?;
        Ok(Some(SealedReveal { token_id, sealed }))
    })
}

/// Stores a new OAuth API token's sealed values, and drops the expired ones nobody
/// came back for.
pub fn insert_oauth(
    conn: &mut Conn,
    id: &str,
    user: UserId,
    grant: GrantId,
    sealed: &[u8],
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<()> {
    diesel::delete(pending_oauth_reveals::table)
        .filter(pending_oauth_reveals::expires_at.lt(now.millis()))
        .execute(conn)?;
    diesel::insert_into(pending_oauth_reveals::table)
        .values((
            pending_oauth_reveals::id.eq(id),
            pending_oauth_reveals::user_id.eq(user),
            pending_oauth_reveals::grant_id.eq(grant),
            pending_oauth_reveals::sealed.eq(sealed),
            pending_oauth_reveals::expires_at.eq(expires_at.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// [`take`] for OAuth API tokens: the same claim-by-write, so exactly one caller
/// gets the sealed values. `token_id` holds the grant's id.
pub fn take_oauth(
    conn: &mut Conn,
    id: &str,
    user: UserId,
    now: Timestamp,
) -> QueryResult<Option<SealedReveal>> {
    const CLAIMED: i64 = -1;
    crate::db::write_transaction(conn, |conn| {
        let claimed = diesel::update(pending_oauth_reveals::table.find(id))
            .filter(pending_oauth_reveals::user_id.eq(user))
            .filter(pending_oauth_reveals::expires_at.ge(now.millis()))
            .set(pending_oauth_reveals::expires_at.eq(CLAIMED))
            .execute(conn)?;
        if claimed != 1 {
            return Ok(None);
        }
        let (token_id, sealed) = pending_oauth_reveals::table
            .find(id)
            .select((
                pending_oauth_reveals::grant_id,
                pending_oauth_reveals::sealed,
            ))
            .first::<(String, Vec<u8>)>(conn)?;
        diesel::delete(pending_oauth_reveals::table.find(id)).execute(conn)?;
        Ok(Some(SealedReveal { token_id, sealed }))
    })
}
