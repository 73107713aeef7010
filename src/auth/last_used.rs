//! "Last used", written behind: each accepted use is noted in memory, and the notes
//! are written in one transaction once a second (and when the server stops), so a
//! token check never waits for a write and a busy token costs one write a second.
//!
//! Accurate to that second: the stored time is the latest use noted before the
//! write, and a write never moves a token's "last used" backwards (another
//! instance may have written a later use).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::{self, DbError, DbPool};
use crate::domain::{Timestamp, TokenId};
use crate::models;

/// How often the notes are written.
pub const FLUSH_MILLIS: u64 = 1000;
/// Above this many distinct tokens waiting, a use is still noted, but the map is
/// not allowed to grow further until the next write; the oldest notes win.
const MAX_PENDING: usize = 100_000;

/// The uses noted since the last write.
#[derive(Default)]
pub struct LastUsed {
    pending: Mutex<HashMap<TokenId, Timestamp>>,
    /// Held for a whole write, so the write when the server stops waits for a
    /// timed one still running: otherwise it would find nothing to write and the
    /// process could exit before the timed write's uses are stored.
    writing: tokio::sync::Mutex<()>,
}

impl LastUsed {
    pub fn new() -> Self {
        Self::default()
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<TokenId, Timestamp>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a use of `token` at `at`.
    pub fn note(&self, token: TokenId, at: Timestamp) {
        let mut pending = self.pending();
        if let Some(last) = pending.get_mut(&token) {
            *last = (*last).max(at);
        } else if pending.len() < MAX_PENDING {
            pending.insert(token, at);
        }
    }

    /// Writes the uses noted so far in one transaction; how many tokens. When the
    /// database cannot store them (read-only, full), they are dropped with a
    /// warning: the tokens still work, and the next use is noted again. When it is
    /// away, they are kept for the next write.
    pub async fn flush(&self, pool: &DbPool) -> Result<usize, DbError> {
        let _writing = self.writing.lock().await;
        let batch: Vec<(TokenId, Timestamp)> = self.pending().drain().collect();
        if batch.is_empty() {
            return Ok(0);
        }
        let count = batch.len();
        let kept = batch.clone();
        match db::run(pool, move |conn| {
            Ok(models::token::touch_many(conn, &batch)?)
        })
        .await
        {
            Ok(()) => Ok(count),
            Err(e) if e.is_write_fault() => {
                tracing::warn!(error = %e, tokens = count, "uses of tokens were not recorded");
                Ok(0)
            }
            Err(e) => {
                for (token, at) in kept {
                    self.note(token, at);
                }
                Err(e)
            }
        }
    }
}
