//! The bounded in-process cache of verified tokens, and of the standing of OAuth
//! access tokens' subjects, kept true by the change feed (see [`super::changes`]).
//!
//! A cached legacy token is its secret's digest and the principal it acts as, so a
//! repeated check costs a digest, a lookup and a constant-time comparison, with no
//! database round trip. What can end the token's right to act is handled thus:
//! - its expiry is checked on every hit, against the stored expiry;
//! - a deletion, a deactivation, a removal from the workspace, a change of role or
//!   of the workspace's switches drops the entries it concerns: on this instance at
//!   once (the change's request reads the feed before it answers), on the others at
//!   their next read of the feed, a fraction of a second later;
//! - while the feed cannot be read (the database is away), nothing cached is
//!   trusted past [`TRUST_SECONDS`], so staleness stays bounded: every check then
//!   reads the database, as it would with no cache.
//!
//! Refusals are not cached (a token created a moment later must work at once),
//! but for one: a token id the database does not have, which never comes to be
//! since ids are random and made by the server.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::domain::clock::{Clock, SystemClock};
use crate::domain::scope::{ScopeSet, ServiceScopes};
use crate::domain::standing::NotInStanding;
use crate::domain::{Role, SecretDigest, Timestamp, TokenId, UserId, WorkspaceId};
use crate::models::auth_change::Stale;

use crate::domain::Principal;

/// How many verified tokens each instance keeps, unless configured otherwise. An
/// entry is a few hundred bytes, so the default costs a few MiB at most.
pub const DEFAULT_CAPACITY: u64 = 10_000;
/// Entries are read from the database again after this long, whatever the feed
/// says: a second line of defence, and how a renamed user reaches the headers.
const TIME_TO_LIVE: Duration = Duration::from_secs(300);
/// How long an unknown id is remembered (a restored backup could bring one back).
const UNKNOWN_TIME_TO_LIVE: Duration = Duration::from_secs(60);
/// How long after the last successful read of the feed the cache is still trusted.
pub const TRUST_SECONDS: i64 = 2;

/// A legacy token as verified: enough to verify it again and answer for it.
#[derive(Debug)]
pub struct VerifiedToken {
    pub digest: SecretDigest,
    pub expires_at: Option<Timestamp>,
    pub principal: Principal,
    /// The scopes that count now (see `ScopeSet::effective`).
    pub scopes: ScopeSet,
}

/// An OAuth access token's subject as the database last saw it: whether they may
/// act in the workspace at all (judged by [`OwnerStanding::judge`]), and as whom.
///
/// [`OwnerStanding::judge`]: crate::domain::standing::OwnerStanding::judge
#[derive(Debug, Clone)]
pub struct Standing {
    /// Why not, when the user is deactivated, gone, not a member (or suspended), or
    /// the workspace has tokens turned off.
    pub acting: Result<Acting, NotInStanding>,
}

#[derive(Debug, Clone)]
pub struct Acting {
    pub username: String,
    pub workspace_name: String,
    pub role: Role,
    /// The service scopes the workspace defines now.
    pub service_scopes: ServiceScopes,
}

/// The caches and the feed's freshness, shared by every worker.
pub struct TokenCache {
    tokens: Cache<TokenId, Arc<VerifiedToken>>,
    /// Token ids the database did not have. Ids are random and made only by the
    /// server, so an id that is not there never comes to be: the only refusal safe
    /// to remember. A script retrying with a deleted token then costs no read.
    unknown: Cache<TokenId, ()>,
    standings: Cache<(UserId, WorkspaceId), Arc<Standing>>,
    /// When the feed was last read successfully (milliseconds, by the real clock
    /// the feed is read by, see `super::changes`).
    fresh_at: AtomicI64,
    /// Counts the changes acted on, so that a database read that raced one is not
    /// cached (see [`TokenCache::put_token`]).
    epoch: AtomicU64,
    /// 0: the cache is off, and nothing is kept.
    capacity: u64,
}

impl TokenCache {
    pub fn new(capacity: u64) -> Self {
        fn build<K, V>(capacity: u64) -> Cache<K, V>
        where
            K: std::hash::Hash + Eq + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TIME_TO_LIVE)
                .support_invalidation_closures()
                .build()
        }
        TokenCache {
            tokens: build(capacity),
            unknown: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(UNKNOWN_TIME_TO_LIVE)
                .build(),
            standings: build(capacity),
            fresh_at: AtomicI64::new(SystemClock.now().millis()),
            epoch: AtomicU64::new(0),
            capacity,
        }
    }

    /// Whether cached entries may be used: the cache is on and the feed was read a
    /// moment ago.
    fn trusted(&self) -> bool {
        if self.capacity == 0 {
            return false;
        }
        let age = SystemClock.now().millis() - self.fresh_at.load(Ordering::Relaxed);
        age <= TRUST_SECONDS * 1000
    }

    /// The verified token `id`, if cached and the cache can be trusted.
    pub fn token(&self, id: TokenId) -> Option<Arc<VerifiedToken>> {
        if !self.trusted() {
            return None;
        }
        self.tokens.get(&id)
    }

    /// Whether the database lately had no token `id`.
    pub fn is_unknown(&self, id: TokenId) -> bool {
        self.trusted() && self.unknown.contains_key(&id)
    }

    /// Remembers that the database has no token `id`.
    pub fn put_unknown(&self, id: TokenId) {
        if self.capacity > 0 {
            self.unknown.insert(id, ());
        }
    }

    /// The count of changes acted on so far; take it before a database read whose
    /// result is to be cached.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Caches a token read from the database when the epoch was `epoch`. If a
    /// change was acted on since, the read may predate it: the entry is dropped
    /// again (a change counts itself before it drops entries, so one of the two
    /// always sees the other).
    pub fn put_token(&self, epoch: u64, id: TokenId, token: VerifiedToken) {
        if self.capacity == 0 {
            return;
        }
        self.tokens.insert(id, Arc::new(token));
        if self.epoch() != epoch {
            self.tokens.invalidate(&id);
        }
    }

    /// The standing of `user` in `workspace`, if cached and trusted.
    pub fn standing(&self, user: UserId, workspace: WorkspaceId) -> Option<Arc<Standing>> {
        if !self.trusted() {
            return None;
        }
        self.standings.get(&(user, workspace))
    }

    /// As [`TokenCache::put_token`], for a subject's standing.
    pub fn put_standing(
        &self,
        epoch: u64,
        user: UserId,
        workspace: WorkspaceId,
        standing: Arc<Standing>,
    ) {
        if self.capacity == 0 {
            return;
        }
        self.standings.insert((user, workspace), standing);
        if self.epoch() != epoch {
            self.standings.invalidate(&(user, workspace));
        }
    }

    /// How many verified tokens are cached (approximately: moka counts lazily).
    pub fn len(&self) -> u64 {
        self.tokens.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records a successful read of the feed.
    pub fn mark_fresh(&self, at: Timestamp) {
        self.fresh_at.fetch_max(at.millis(), Ordering::Relaxed);
    }

    /// Drops every entry a change makes stale.
    pub fn drop_stale(&self, stale: Stale) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        // A predicate is registered with moka and applied on every later read, so
        // an entry it matches is never returned again, even before it is swept.
        let registered = match stale {
            Stale::Token(id) => {
                self.tokens.invalidate(&id);
                Ok(())
            }
            Stale::Member(user, workspace) => {
                self.standings.invalidate(&(user, workspace));
                self.tokens
                    .invalidate_entries_if(move |_, t| {
                        t.principal.user_id == user && t.principal.workspace_id == workspace
                    })
                    .map(drop)
            }
            Stale::User(user) => self
                .tokens
                .invalidate_entries_if(move |_, t| t.principal.user_id == user)
                .and_then(|_| {
                    self.standings
                        .invalidate_entries_if(move |(u, _), _| *u == user)
                })
                .map(drop),
            Stale::Workspace(workspace) => self
                .tokens
                .invalidate_entries_if(move |_, t| t.principal.workspace_id == workspace)
                .and_then(|_| {
                    self.standings
                        .invalidate_entries_if(move |(_, w), _| *w == workspace)
                })
                .map(drop),
            Stale::Everything => {
                self.clear();
                Ok(())
            }
        };
        if registered.is_err() {
            // Only when predicates are not supported, which the builder enables.
            self.clear();
        }
    }

    /// Drops everything.
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.unknown.invalidate_all();
        self.tokens.invalidate_all();
        self.standings.invalidate_all();
    }
}
