//! The revoked access tokens in memory: checked on every use of an access token
//! (so that check still reads no database), filled at start and by polling.
//!
//! Two kinds: single access tokens by `jti` (RFC 7009, `revoked_access_tokens`),
//! and every access token of a grant at once, by the grant (refresh-token reuse,
//! `revoked_grants`). Both are stored, loaded and polled alike.
//!
//! A revocation made on this instance counts at once; one made on another instance
//! counts here at the next poll, within [`POLL_SECONDS`]. Each poll reads the rows
//! stored since shortly before the last successful poll: the overlap covers clocks
//! of instances that differ by up to [`POLL_OVERLAP_SECONDS`] and transactions that
//! commit after a later one, and a poll missed (database down) is made up by the
//! next one, which starts from the last poll that worked. While the polls fail
//! (for longer than [`TRUST_SECONDS`]), memory alone is not trusted: each check also
//! reads its token's two rows by primary key, so a revocation made elsewhere is never
//! missed, and a check that cannot read them fails (503) rather than passes.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::db::{self, DbError, DbPool};
use crate::domain::oauth::{AccessClaims, GrantId, ACCESS_TOKEN_SECONDS};
use crate::domain::{SharedClock, Timestamp, WorkspaceId};
use crate::models::revoked_access_token::{self as store, Revocation};
use crate::models::revoked_grant::{self as grant_store, GrantRevocation};

/// How often each instance polls for revocations made elsewhere.
pub const POLL_SECONDS: u64 = 1;
/// How far before the last successful poll each poll looks.
const POLL_OVERLAP_SECONDS: i64 = 300;
/// Stored rows are purged this long after their token expired: an hour of margin
/// for instances whose clocks run behind (they still take the token until then).
const PURGE_AFTER_EXPIRY_SECONDS: i64 = 3600;
/// Purge once every this many polls (ten minutes).
pub const PURGE_EVERY_POLLS: u32 = 600;
/// How long after the last successful poll memory alone is trusted: a poll a
/// second, with room for a slow one on a busy machine.
pub const TRUST_SECONDS: u64 = 3;

struct Inner {
    /// Revoked `jti` → the token's expiry, after which it need not be remembered.
    jtis: HashMap<String, Timestamp>,
    /// Grants whose access tokens are all revoked → when the last of them expires.
    grants: HashMap<GrantId, Timestamp>,
    /// When the last successful poll (or the load) started, by this instance's clock.
    last_poll: Timestamp,
    /// When the last successful poll (or the load) ended, by the monotonic clock
    /// (the app's clock may be a test's, moved by hours).
    polled: Instant,
}

/// The revoked access tokens that have not expired yet, shared by every worker.
pub struct Revocations {
    inner: RwLock<Inner>,
    clock: SharedClock,
}

impl Revocations {
    /// Loads every stored revocation whose token has not expired.
    pub async fn load(pool: &DbPool, clock: SharedClock) -> Result<Self, DbError> {
        let now = clock.now();
        let rows = db::run(pool, move |conn| {
            Ok(read_since(conn, Timestamp::from_millis(i64::MIN), now)?)
        })
        .await?;
        let set = Revocations {
            inner: RwLock::new(Inner {
                jtis: HashMap::new(),
                grants: HashMap::new(),
                last_poll: now,
                polled: Instant::now(),
            }),
            clock,
        };
        set.remember(rows);
        Ok(set)
    }

    /// Whether the access token with these (verified) claims is revoked, by its
    /// `jti` or with every access token of its grant (as far as this instance knows).
    pub fn revokes(&self, claims: &AccessClaims) -> bool {
        let inner = self.read();
        inner.jtis.contains_key(&claims.jti)
            || claims
                .tid
                .parse::<GrantId>()
                .is_ok_and(|grant| inner.grants.contains_key(&grant))
    }

    /// Whether memory alone can be trusted: the last poll worked a moment ago.
    pub fn is_current(&self) -> bool {
        self.read().polled.elapsed() <= Duration::from_secs(TRUST_SECONDS)
    }

    /// Whether the database has the access token with these claims revoked, by its
    /// `jti` or with its grant: for a check made while the polls fail. What it finds
    /// is remembered.
    pub async fn revoked_in_store(
        &self,
        pool: &DbPool,
        claims: &AccessClaims,
    ) -> Result<bool, DbError> {
        let jti = claims.jti.clone();
        let grant = claims.tid.parse::<GrantId>().ok();
        let (token, whole) = db::run(pool, move |conn| {
            let token = store::find(conn, &jti)?;
            let whole = match grant {
                Some(grant) => grant_store::find(conn, grant)?.map(|at| (grant, at)),
                None => None,
            };
            Ok((token, whole))
        })
        .await?;
        if let Some(expires_at) = token {
            self.add(claims.jti.clone(), expires_at);
        }
        if let Some((grant, expires_at)) = whole {
            self.add_grant(grant, expires_at);
        }
        Ok(token.is_some() || whole.is_some())
    }

    /// Remembers a revocation made on this instance, so it counts at once.
    pub fn add(&self, jti: String, expires_at: Timestamp) {
        self.write().jtis.insert(jti, expires_at);
    }

    /// Remembers that every access token of `grant` is revoked (on this instance, at
    /// once; stored, the others learn it at their next poll).
    pub fn add_grant(&self, grant: GrantId, expires_at: Timestamp) {
        self.write().grants.insert(grant, expires_at);
    }

    /// Picks up the revocations other instances stored since the last poll, and
    /// forgets those whose token has expired.
    pub async fn poll(&self, pool: &DbPool) -> Result<(), DbError> {
        let now = self.clock.now();
        let since = self.read().last_poll.plus_seconds(-POLL_OVERLAP_SECONDS);
        let rows = db::run(pool, move |conn| Ok(read_since(conn, since, now)?)).await?;
        self.remember(rows);
        let mut inner = self.write();
        inner.jtis.retain(|_, expires| *expires > now);
        inner.grants.retain(|_, expires| *expires > now);
        inner.last_poll = inner.last_poll.max(now);
        inner.polled = Instant::now();
        Ok(())
    }

    /// Deletes the stored revocations of tokens long expired; how many.
    pub async fn purge(&self, pool: &DbPool) -> Result<usize, DbError> {
        let before = self.clock.now().plus_seconds(-PURGE_AFTER_EXPIRY_SECONDS);
        db::run(pool, move |conn| {
            Ok(store::purge_expired(conn, before)? + grant_store::purge_expired(conn, before)?)
        })
        .await
    }

    fn remember(&self, (tokens, grants): Stored) {
        if tokens.is_empty() && grants.is_empty() {
            return;
        }
        let mut inner = self.write();
        for row in tokens {
            inner.jtis.insert(row.jti, row.expires_at);
        }
        for (grant, expires_at) in grants {
            inner.grants.insert(grant, expires_at);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner
            .read()
            .expect("the revocation lock is never poisoned")
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .expect("the revocation lock is never poisoned")
    }
}

/// Revoked access tokens and revoked grants, as read from the database.
type Stored = (Vec<Revocation>, Vec<(GrantId, Timestamp)>);

/// Both kinds of revocation stored at `since` or later that still matter at
/// `alive_at`, in one go on one connection.
fn read_since(
    conn: &mut db::Conn,
    since: Timestamp,
    alive_at: Timestamp,
) -> diesel::QueryResult<Stored> {
    Ok((
        store::revoked_since(conn, since, alive_at)?,
        grant_store::revoked_since(conn, since, alive_at)?,
    ))
}

/// A revocation of every access token `grant` issued up to `now`: kept until the
/// last of them expires, with a margin for instances whose clocks differ (one
/// running ahead signs tokens that expire later by its clock; one running behind
/// accepts them longer by its own), the same margin as the polls' overlap.
pub fn of_grant(grant: GrantId, workspace: WorkspaceId, now: Timestamp) -> GrantRevocation {
    GrantRevocation {
        grant,
        workspace,
        expires_at: now.plus_seconds(ACCESS_TOKEN_SECONDS + POLL_OVERLAP_SECONDS),
        revoked_at: now,
    }
}
