//! Holding back addresses that keep presenting invalid tokens, in memory.
//!
//! Each refused token costs its address one cell of a token bucket (governor's
//! GCRA): a burst of [`DEFAULT_BURST`], refilled at [`DEFAULT_PER_SECOND`] a
//! second. Once the bucket is empty the address is held back until a cell is back:
//! any token it presents that this instance has not already verified is answered
//! 429 with `Retry-After`, before any database read. A token verified earlier (a
//! cache hit) still passes, so a valid caller behind the same address (a proxy, a
//! NAT) is not slowed by a noisy neighbour; and the other addresses never are.
//! For [`PROBATION`] after a hold lapses, each attempt spends a cell up front, so
//! a burst already in flight cannot slip through before the hold is renewed.
//!
//! IPv6 addresses count per /64, the block one host usually holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Refused tokens an address may present in a burst.
pub const DEFAULT_BURST: u32 = 60;
/// How fast the allowance refills, in refused tokens a second.
pub const DEFAULT_PER_SECOND: u32 = 10;
/// How long after a hold lapses the address still pays a cell per attempt.
const PROBATION: Duration = Duration::from_secs(10);
/// Above this many held-back addresses, lapsed ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// The key an address counts under.
fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
        },
    }
}

/// The buckets, and the addresses held back until when.
pub struct InvalidTokenThrottle {
    buckets: DefaultKeyedRateLimiter<IpAddr>,
    held: Mutex<HashMap<IpAddr, Instant>>,
    clock: DefaultClock,
}

impl InvalidTokenThrottle {
    pub fn new(burst: NonZeroU32, per_second: NonZeroU32) -> Self {
        InvalidTokenThrottle {
            buckets: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            held: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Instant>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` while `address` is held back.
    pub fn check(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        let Some(address) = address else {
            return Ok(());
        };
        let key = key(address);
        let mut held = self.held();
        let Some(until) = held.get(&key).copied() else {
            return Ok(());
        };
        let now = Instant::now();
        if until > now {
            return Err(until - now);
        }
        // Lately held: each request spends a cell before it may cost a read, so
        // the requests already in flight when the hold lapses cannot all slip
        // through before the first refusal renews it.
        if now.duration_since(until) < PROBATION {
            return match self.buckets.check_key(&key) {
                Ok(()) => Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    held.insert(key, now + wait);
                    Err(wait)
                }
            };
        }
        held.remove(&key);
        Ok(())
    }

    /// Counts a refused token from `address`; holds the address back once its
    /// allowance is spent.
    pub fn refused(&self, address: Option<IpAddr>) {
        let Some(address) = address else {
            return;
        };
        let key = key(address);
        if let Err(not_until) = self.buckets.check_key(&key) {
            let wait = not_until.wait_time_from(self.clock.now());
            let now = Instant::now();
            let mut held = self.held();
            if held.len() > SWEEP_ABOVE {
                held.retain(|_, until| now.saturating_duration_since(*until) < PROBATION);
                self.buckets.retain_recent();
            }
            held.insert(key, now + wait);
        }
    }
}

impl Default for InvalidTokenThrottle {
    fn default() -> Self {
        Self::new(
            NonZeroU32::new(DEFAULT_BURST).expect("non-zero"),
            NonZeroU32::new(DEFAULT_PER_SECOND).expect("non-zero"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_held_back_after_its_burst_and_others_are_not() {
        let throttle =
            InvalidTokenThrottle::new(NonZeroU32::new(3).unwrap(), NonZeroU32::new(1).unwrap());
        let noisy: IpAddr = "192.0.2.1".parse().unwrap();
        let quiet: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            throttle.refused(Some(noisy));
            assert!(throttle.check(Some(noisy)).is_ok());
        }
        throttle.refused(Some(noisy));
        let wait = throttle.check(Some(noisy)).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && !wait.is_zero(),
            "{wait:?}"
        );
        assert!(throttle.check(Some(quiet)).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(key(a), key(b));
        assert_ne!(key(a), key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }
}
