//! Reading the change feed (`auth_changes`) into the cache of verified tokens: on
//! a timer, several times a second, and at once after a request that changed
//! something on this instance.
//!
//! Each read takes the rows stored since shortly before the last successful read
//! and acts on those not yet seen. The overlap covers clocks of instances that
//! differ by up to [`OVERLAP_SECONDS`] and transactions that commit after a later
//! one (PostgreSQL hands out `seq` before commit); a read missed (the database
//! away) is made up by the next, which starts from the last read that worked.
//!
//! The rows carry the database's clock, so the feed is read by the real clock
//! ([`SystemClock`]), never the app's: a test's clock moved by hours would look
//! past every row.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::{self, DbError, DbPool};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::Timestamp;
use crate::models::auth_change as store;

use super::cache::TokenCache;

/// How often each instance reads the feed.
pub const POLL_MILLIS: u64 = 200;
/// How far before the last successful read each read looks.
const OVERLAP_SECONDS: i64 = 60;
/// Rows are purged this long after they were written; an instance that could not
/// read the feed for longer drops its whole cache instead.
const KEEP_SECONDS: i64 = 3600;

struct Seen {
    /// `seq` → when the row was written, for the rows inside the overlap.
    rows: HashMap<i64, Timestamp>,
    /// When the last successful read started, by this instance's clock.
    last_read: Timestamp,
}

/// This instance's position in the feed.
pub struct ChangeFeed {
    seen: Mutex<Seen>,
}

impl ChangeFeed {
    /// Starts at the end of the feed: a new instance's cache is empty, so nothing
    /// already written concerns it.
    pub async fn start(pool: &DbPool) -> Result<Self, DbError> {
        let now = SystemClock.now();
        let since = now.plus_seconds(-OVERLAP_SECONDS);
        let rows = db::run(pool, move |conn| Ok(store::since(conn, since)?)).await?;
        Ok(ChangeFeed {
            seen: Mutex::new(Seen {
                rows: rows.iter().map(|c| (c.seq, c.changed_at)).collect(),
                last_read: now,
            }),
        })
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the rows written since the last read and drops what they make stale.
    pub async fn read(&self, pool: &DbPool, cache: &TokenCache) -> Result<(), DbError> {
        let now = SystemClock.now();
        let last_read = self.seen().last_read;
        let since = last_read.plus_seconds(-OVERLAP_SECONDS);
        let rows = db::run(pool, move |conn| Ok(store::since(conn, since)?)).await?;
        let mut seen = self.seen();
        if now.millis() - seen.last_read.millis() > KEEP_SECONDS * 1000 {
            // Rows this instance never read may have been purged.
            cache.clear();
        }
        for change in &rows {
            if seen.rows.insert(change.seq, change.changed_at).is_none() {
                cache.drop_stale(change.stale);
            }
        }
        seen.last_read = seen.last_read.max(now);
        let horizon = seen.last_read.plus_seconds(-2 * OVERLAP_SECONDS);
        seen.rows.retain(|_, at| *at >= horizon);
        drop(seen);
        cache.mark_fresh(now);
        Ok(())
    }

    /// Deletes rows every instance has read long ago.
    pub async fn purge(&self, pool: &DbPool) -> Result<usize, DbError> {
        let before = SystemClock.now().plus_seconds(-KEEP_SECONDS);
        db::run(pool, move |conn| Ok(store::purge(conn, before)?)).await
    }
}
