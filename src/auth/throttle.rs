//! Throttling of failed sign-ins, per user name and per client address, in memory.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// Counts recent failed sign-ins and says when to refuse further attempts.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Err(wait)` when this user name or address must wait before trying again.
    pub fn check(&self, username: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in keys(username, addr) {
            if let Some(times) = map.get(&key) {
                let recent: Vec<_> = times.iter().filter(|t| now - **t < WINDOW).collect();
                if recent.len() >= limit {
                    let lifts = *recent[recent.len() - limit] + WINDOW;
                    wait = wait.max(lifts.saturating_duration_since(now));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.max(Duration::from_secs(1)))
        }
    }

    pub fn record_failure(&self, username: &str, addr: Option<IpAddr>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, times| times.back().is_some_and(|t| now - *t < WINDOW));
        }
        for (key, limit) in keys(username, addr) {
            let times = map.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful sign-in clears the user name's failures (not the address's).
    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Key::User(username.to_owned()));
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

    #[test]
    fn a_user_is_locked_after_five_failures() {
        let t = LoginThrottle::new();
        for _ in 0..MAX_FAILURES_PER_USER {
            assert!(t.check("bob", None).is_ok());
            t.record_failure("bob", None);
        }
        let wait = t.check("bob", None).unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60));
        assert!(t.check("alice", None).is_ok());
    }

    #[test]
    fn an_address_is_locked_across_user_names() {
        let t = LoginThrottle::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..MAX_FAILURES_PER_ADDR {
            t.record_failure(&format!("user{i}"), Some(ip));
        }
        assert!(t.check("fresh", Some(ip)).is_err());
        assert!(t.check("fresh", Some("192.0.2.2".parse().unwrap())).is_ok());
    }

    #[test]
    fn success_clears_the_user_count() {
        let t = LoginThrottle::new();
        for _ in 0..MAX_FAILURES_PER_USER - 1 {
            t.record_failure("bob", None);
        }
        t.record_success("bob");
        t.record_failure("bob", None);
        assert!(t.check("bob", None).is_ok());
    }
}
