//! Throttling of failed sign-ins, per user name and per client address, in memory.
//!
//! An attempt is *reserved* before its password is checked and counts as a
//! failure from that moment; a success hands it back. So however many attempts
//! race, at most [`MAX_FAILURES_PER_USER`] wrong passwords per user name (and
//! [`MAX_FAILURES_PER_ADDR`] per address) are checked per window and instance:
//! once the reservations in flight fill the limit, further attempts wait for them
//! to end, and are refused if they were failures. A script's parallel correct
//! calls are never refused: they wait for each other's (handed back) reservations.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How many failures a user name may have within [`WINDOW`] before it is locked.
pub const MAX_FAILURES_PER_USER: usize = 5;
/// How many failures one address may have within [`WINDOW`], over all user names.
pub const MAX_FAILURES_PER_ADDR: usize = 30;
/// The window failures are counted over; a lock lifts when its oldest failure leaves it.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Above this many keys, expired entries are swept so the map cannot grow unbounded.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Addr(IpAddr),
}

#[derive(Default)]
struct Entry {
    /// When each counted failure happened, oldest first.
    failures: VecDeque<Instant>,
    /// Attempts reserved and being checked now.
    pending: usize,
}

impl Entry {
    fn recent(&self, now: Instant) -> Vec<Instant> {
        self.failures
            .iter()
            .copied()
            .filter(|t| now.saturating_duration_since(*t) < WINDOW)
            .collect()
    }
}

#[derive(Default)]
struct Inner {
    entries: Mutex<HashMap<Key, Entry>>,
    /// Woken whenever a reservation ends, for the attempts waiting on it.
    released: Notify,
}

/// Counts recent failed sign-ins and in-flight attempts, and says when to refuse.
#[derive(Default, Clone)]
pub struct LoginThrottle {
    inner: Arc<Inner>,
}

/// What a reservation must wait for or be refused with.
enum Verdict {
    Go,
    Wait,
    Refuse(Duration),
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves one attempt for this user name and address before its password is
    /// checked, waiting while attempts in flight fill a limit; `Err(wait)` when
    /// the name or address has used its failures and must wait that long.
    pub async fn reserve(
        &self,
        username: &str,
        addr: Option<IpAddr>,
    ) -> Result<Reservation, Duration> {
        loop {
            // Registered before the check, so a release between the check and the
            // wait is not missed.
            let released = self.inner.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            match self.try_reserve(username, addr) {
                Verdict::Go => {
                    return Ok(Reservation {
                        throttle: self.clone(),
                        username: username.to_owned(),
                        addr,
                        outcome: None,
                    })
                }
                Verdict::Refuse(wait) => return Err(wait),
                Verdict::Wait => released.await,
            }
        }
    }

    fn try_reserve(&self, username: &str, addr: Option<IpAddr>) -> Verdict {
        let now = Instant::now();
        let mut map = self.lock();
        let mut wait = Duration::ZERO;
        let mut full = false;
        for (key, limit) in keys(username, addr) {
            if let Some(entry) = map.get(&key) {
                let recent = entry.recent(now);
                if recent.len() >= limit {
                    let lifts = recent[recent.len() - limit] + WINDOW;
                    wait = wait.max(lifts.saturating_duration_since(now));
                } else if recent.len() + entry.pending >= limit {
                    full = true;
                }
            }
        }
        if !wait.is_zero() {
            return Verdict::Refuse(wait.max(Duration::from_secs(1)));
        }
        if full {
            return Verdict::Wait;
        }
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, e| {
                e.pending > 0
                    || e.failures
                        .back()
                        .is_some_and(|t| now.saturating_duration_since(*t) < WINDOW)
            });
        }
        for (key, _) in keys(username, addr) {
            map.entry(key).or_default().pending += 1;
        }
        Verdict::Go
    }

    fn release(&self, username: &str, addr: Option<IpAddr>, failed: bool) {
        let now = Instant::now();
        {
            let mut map = self.lock();
            for (key, limit) in keys(username, addr) {
                let entry = map.entry(key.clone()).or_default();
                entry.pending = entry.pending.saturating_sub(1);
                if failed {
                    entry.failures.push_back(now);
                    while entry.failures.len() > limit {
                        entry.failures.pop_front();
                    }
                } else if matches!(key, Key::User(_)) {
                    // A successful sign-in clears the user name's failures (not
                    // the address's).
                    entry.failures.clear();
                }
            }
        }
        self.inner.released.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.inner.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One reserved attempt. Say how it went with [`Reservation::failed`] or
/// [`Reservation::succeeded`]; dropped without either (an error, a cancelled
/// request), it is handed back, since no password was judged.
pub struct Reservation {
    throttle: LoginThrottle,
    username: String,
    addr: Option<IpAddr>,
    outcome: Option<bool>,
}

impl Reservation {
    /// The password was wrong (or the user unknown): the attempt stays counted.
    pub fn failed(mut self) {
        self.outcome = Some(true);
    }

    /// The password was right: the attempt is handed back, and the user name's
    /// failures are forgotten.
    pub fn succeeded(mut self) {
        self.outcome = Some(false);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        match self.outcome {
            Some(failed) => self.throttle.release(&self.username, self.addr, failed),
            None => self.throttle.hand_back(&self.username, self.addr),
        }
    }
}

impl LoginThrottle {
    fn hand_back(&self, username: &str, addr: Option<IpAddr>) {
        {
            let mut map = self.lock();
            for (key, _) in keys(username, addr) {
                if let Some(entry) = map.get_mut(&key) {
                    entry.pending = entry.pending.saturating_sub(1);
                }
            }
        }
        self.inner.released.notify_waiters();
    }
}

fn keys(username: &str, addr: Option<IpAddr>) -> impl Iterator<Item = (Key, usize)> {
    let user = Some((Key::User(username.to_owned()), MAX_FAILURES_PER_USER));
    let addr = addr.map(|a| (Key::Addr(a), MAX_FAILURES_PER_ADDR));
    user.into_iter().chain(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_user_is_locked_after_five_failures() {
        let t = LoginThrottle::new();
        for _ in 0..MAX_FAILURES_PER_USER {
            t.reserve("bob", None).await.unwrap().failed();
        }
        let wait = t.reserve("bob", None).await.err().unwrap();
        assert!(wait > Duration::from_secs(14 * 60));
        assert!(t.reserve("alice", None).await.is_ok());
    }

    #[tokio::test]
    async fn an_address_is_locked_across_user_names() {
        let t = LoginThrottle::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..MAX_FAILURES_PER_ADDR {
            t.reserve(&format!("user{i}"), Some(ip))
                .await
                .unwrap()
                .failed();
        }
        assert!(t.reserve("fresh", Some(ip)).await.is_err());
        let other = "192.0.2.2".parse().unwrap();
        assert!(t.reserve("fresh", Some(other)).await.is_ok());
    }

    #[tokio::test]
    async fn success_clears_the_user_count() {
        let t = LoginThrottle::new();
        for _ in 0..MAX_FAILURES_PER_USER - 1 {
            t.reserve("bob", None).await.unwrap().failed();
        }
        t.reserve("bob", None).await.unwrap().succeeded();
        t.reserve("bob", None).await.unwrap().failed();
        assert!(t.reserve("bob", None).await.is_ok());
    }

    #[tokio::test]
    async fn reservations_in_flight_make_the_next_attempt_wait_then_refuse() {
        let t = LoginThrottle::new();
        use futures_util::FutureExt;
        let mut held = Vec::new();
        for _ in 0..MAX_FAILURES_PER_USER {
            held.push(t.reserve("bob", None).await.unwrap());
        }
        let waiting = t.reserve("bob", None);
        tokio::pin!(waiting);
        assert!(
            waiting.as_mut().now_or_never().is_none(),
            "a sixth attempt waits for the five in flight"
        );
        for r in held {
            r.failed();
        }
        assert!(waiting.await.is_err(), "and is refused once they failed");
    }

    #[tokio::test]
    async fn a_dropped_reservation_is_handed_back() {
        let t = LoginThrottle::new();
        for _ in 0..MAX_FAILURES_PER_USER * 3 {
            drop(t.reserve("bob", None).await.unwrap());
        }
        assert!(t.reserve("bob", None).await.is_ok());
    }
}
