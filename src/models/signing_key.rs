//! The keys that sign OAuth access tokens, as stored.

use diesel::prelude::*;

use crate::db::schema::signing_keys;
use crate::db::Conn;
use crate::domain::Timestamp;

/// A signing key as stored. The private key is PKCS#8; its `Debug` is redacted.
#[derive(Clone)]
pub struct StoredKey {
    pub kid: String,
    pub algorithm: String,
    pub private_key: Vec<u8>,
    pub public_key: Vec<u8>,
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

type Row = (String, String, Vec<u8>, Vec<u8>, i64, Option<i64>);

/// Every key not retired, or retired after `since`, newest first.
pub fn usable(conn: &mut Conn, since: Timestamp) -> QueryResult<Vec<StoredKey>> {
    let rows: Vec<Row> = signing_keys::table
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::retired_at.gt(since.millis())),
        )
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select((
            signing_keys::kid,
            signing_keys::algorithm,
            signing_keys::private_key,
            signing_keys::public_key,
            signing_keys::created_at,
            signing_keys::retired_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| StoredKey {
            kid: r.0,
            algorithm: r.1,
            private_key: r.2,
            public_key: r.3,
            created_at: Timestamp::from_millis(r.4),
            retired_at: r.5.map(Timestamp::from_millis),
        })
        .collect())
}

/// Stores a new key.
pub fn insert(conn: &mut Conn, key: &StoredKey) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(&key.kid),
            signing_keys::algorithm.eq(&key.algorithm),
            signing_keys::private_key.eq(&key.private_key),
            signing_keys::public_key.eq(&key.public_key),
            signing_keys::created_at.eq(key.created_at.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Retires every key made before `created` that is not retired yet. Keys made at
/// the same moment by another instance stay: each instance then signs with the
/// newest, and both verify.
pub fn retire_older_than(conn: &mut Conn, created: Timestamp, at: Timestamp) -> QueryResult<usize> {
    diesel::update(
        signing_keys::table
            .filter(signing_keys::created_at.lt(created.millis()))
            .filter(signing_keys::retired_at.is_null()),
    )
    .set(signing_keys::retired_at.eq(at.millis()))
    .execute(conn)
}
