//! Refused token uses in the audit log, rate-limited in memory so that a flood of
//! bad tokens cannot flood the log (nor the database with writes).
//!
//! At most one event per (address, token id, OAuth grant id, or neither for a value
//! that cannot be trusted to name one) per minute, and at most
//! [`GLOBAL_PER_MINUTE`] events per minute in all on this instance. What is held back
//! is counted, and the count goes into the detail of the next event of the same key.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::db::{self, DbPool};
use crate::domain::oauth::GrantId;
use crate::domain::standing::NotInStanding;
use crate::domain::{Timestamp, TokenId, WorkspaceId};
use crate::models::audit::{self, Action, Event};

/// One key records at most one event per this window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// At most this many refusal events per [`WINDOW`] on one instance, over all keys.
pub const GLOBAL_PER_MINUTE: u32 = 60;
/// Above this many keys, keys idle for a while are forgotten, so memory stays bounded.
const SWEEP_ABOVE: usize = 10_000;
/// How long an idle key keeps its count of held-back refusals.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// Why a presented token was refused, as far as the check could tell cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// Not a token value at all.
    Malformed,
    /// Well-formed, but no such token (never was, or deleted).
    Unknown,
    WrongSecret,
    Expired,
    OwnerInactive,
    TokensOff,
    /// A legacy access token, while its workspace has "Allow legacy access tokens" off.
    LegacyTokensOff,
    /// An OAuth access token signed by us, past its hour.
    AccessTokenExpired,
    /// An OAuth access token naming a key of ours whose signature does not verify.
    AccessTokenBadSignature,
    /// An OAuth access token naming a key this server does not have (or no longer).
    AccessTokenUnknownKey,
    /// An OAuth access token revoked by its client (RFC 7009).
    AccessTokenRevoked,
}

impl RefusalReason {
    /// Worth a look in the log (WARN): a known token or key presented with the wrong
    /// secret or signature, as a guess or a forgery would be. An expired or unknown
    /// token is ordinary (INFO).
    pub fn is_suspicious(self) -> bool {
        matches!(
            self,
            RefusalReason::WrongSecret
                | RefusalReason::AccessTokenBadSignature
                | RefusalReason::AccessTokenUnknownKey
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Malformed => "malformed token",
            RefusalReason::Unknown => "unknown token",
            RefusalReason::WrongSecret => "wrong secret",
            RefusalReason::Expired => "expired",
            RefusalReason::OwnerInactive => "owner deactivated or not a member",
            RefusalReason::TokensOff => "tokens turned off in the workspace",
            RefusalReason::LegacyTokensOff => {
                "legacy access tokens are turned off in the workspace"
            }
            RefusalReason::AccessTokenExpired => "access token expired",
            RefusalReason::AccessTokenBadSignature => "access token signature invalid",
            RefusalReason::AccessTokenUnknownKey => "access token signed by an unknown key",
            RefusalReason::AccessTokenRevoked => "access token revoked",
        }
    }
}

impl From<NotInStanding> for RefusalReason {
    fn from(why: NotInStanding) -> Self {
        match why {
            NotInStanding::OwnerInactive => RefusalReason::OwnerInactive,
            NotInStanding::TokensOff => RefusalReason::TokensOff,
            NotInStanding::LegacyTokensOff => RefusalReason::LegacyTokensOff,
        }
    }
}

/// A refused token use: what the audit log may know of it. Never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RefusalReason,
    /// The id, when the value parsed.
    pub token: Option<TokenId>,
    /// For an OAuth access token, its grant, when its signature vouches for its
    /// claims (expired, revoked); a forged token's claims name nothing.
    pub grant: Option<GrantId>,
    /// The token's workspace, when the token exists.
    pub workspace: Option<WorkspaceId>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    address: Option<IpAddr>,
    token: Option<TokenId>,
    grant: Option<GrantId>,
}

#[derive(Default)]
struct Slot {
    last_recorded: Option<Instant>,
    last_seen: Option<Instant>,
    held_back: u64,
}

struct Limits {
    slots: HashMap<Key, Slot>,
    window_start: Instant,
    in_window: u32,
}

/// The per-instance limiter of refusal events. Lives in `AppState`.
pub struct RefusalLimiter {
    limits: Mutex<Limits>,
}

impl Default for RefusalLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl RefusalLimiter {
    pub fn new() -> Self {
        RefusalLimiter {
            limits: Mutex::new(Limits {
                slots: HashMap::new(),
                window_start: Instant::now(),
                in_window: 0,
            }),
        }
    }

    /// Whether `refusal` from `address` is recorded now: `Some(n)` with the number
    /// of like refusals held back since this key's last event, or `None` when this
    /// one is held back (and counted).
    pub fn admit(&self, address: Option<IpAddr>, refusal: &Refusal) -> Option<u64> {
        let key = Key {
            address,
            token: refusal.token,
            grant: refusal.grant,
        };
        self.admit_at(key, Instant::now())
    }

    fn admit_at(&self, key: Key, now: Instant) -> Option<u64> {
        let mut limits = self.limits.lock().unwrap_or_else(|e| e.into_inner());
        if now.saturating_duration_since(limits.window_start) >= WINDOW {
            limits.window_start = now;
            limits.in_window = 0;
        }
        if limits.slots.len() > SWEEP_ABOVE {
            limits.slots.retain(|_, s| {
                s.last_seen
                    .is_some_and(|t| now.saturating_duration_since(t) < FORGET_AFTER)
            });
        }
        let global_full = limits.in_window >= GLOBAL_PER_MINUTE;
        if limits.slots.len() > SWEEP_ABOVE && !limits.slots.contains_key(&key) {
            // Too many distinct keys even after the sweep: hold back without counting.
            return None;
        }
        let slot = limits.slots.entry(key).or_default();
        slot.last_seen = Some(now);
        let recent = slot
            .last_recorded
            .is_some_and(|t| now.saturating_duration_since(t) < WINDOW);
        if recent || global_full {
            slot.held_back += 1;
            return None;
        }
        slot.last_recorded = Some(now);
        let held_back = std::mem::take(&mut slot.held_back);
        limits.in_window += 1;
        Some(held_back)
    }
}

/// The detail of a refusal event: the reason, and how many were held back before it.
pub fn detail(reason: RefusalReason, held_back: u64) -> String {
    match held_back {
        0 => reason.as_str().to_owned(),
        1 => format!(
            "{} (+1 more refused from this address since the last record)",
            reason.as_str()
        ),
        n => format!(
            "{} (+{n} more refused from this address since the last record)",
            reason.as_str()
        ),
    }
}

/// Records `refusal` in the audit log, if the limiter lets it through, off the
/// request path: the refusal answer never waits for it, and a failed write is only
/// logged.
pub fn report(
    pool: &DbPool,
    limiter: &RefusalLimiter,
    address: Option<IpAddr>,
    refusal: Refusal,
    now: Timestamp,
) {
    let Some(held_back) = limiter.admit(address, &refusal) else {
        return;
    };
    // Logged as often as recorded: a flood of bad tokens does not flood the log.
    let reason = refusal.reason.as_str();
    if refusal.reason.is_suspicious() {
        tracing::warn!(reason, "a token was refused");
    } else {
        tracing::info!(reason, "a token was refused");
    }
    let mut event = Event::anonymous(refusal.workspace, address, Action::TokenRefused)
        .detail(detail(refusal.reason, held_back));
    if let Some(id) = refusal.token {
        event = event.target_token(id);
    }
    if let Some(id) = refusal.grant {
        event = event.target_grant(id);
    }
    let pool = pool.clone();
    // In the request's span, so that a failure is logged with its request id.
    actix_web::rt::spawn(
        async move {
            let written = db::run(&pool, move |conn| {
                Ok(audit::record(conn, now, event.clone())?)
            })
            .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, "a refused token use was not recorded in the audit log");
            }
        }
        .in_current_span(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(last_octet: u8, token: Option<TokenId>) -> Key {
        Key {
            address: Some(IpAddr::from([10, 0, 0, last_octet])),
            token,
            grant: None,
        }
    }

    #[test]
    fn one_event_per_address_and_token_per_minute_then_the_count_of_the_rest() {
        let limiter = RefusalLimiter::new();
        let t0 = Instant::now();
        let k = key(1, None);
        assert_eq!(limiter.admit_at(k, t0), Some(0));
        for s in 1..=37 {
            assert_eq!(limiter.admit_at(k, t0 + Duration::from_secs(s)), None);
        }
        assert_eq!(limiter.admit_at(k, t0 + WINDOW), Some(37));
        assert_eq!(
            limiter.admit_at(k, t0 + WINDOW + Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn other_addresses_and_tokens_have_their_own_allowance() {
        let limiter = RefusalLimiter::new();
        let t0 = Instant::now();
        let token = Some(TokenId::new_random());
        assert_eq!(limiter.admit_at(key(1, None), t0), Some(0));
        assert_eq!(limiter.admit_at(key(2, None), t0), Some(0));
        assert_eq!(limiter.admit_at(key(1, token), t0), Some(0));
        assert_eq!(limiter.admit_at(key(1, None), t0), None);
    }

    #[test]
    fn a_global_cap_holds_back_a_spread_out_attack() {
        let limiter = RefusalLimiter::new();
        let t0 = Instant::now();
        let admitted = (0..=255u8)
            .flat_map(|a| [key(a, None), key(a, Some(TokenId::new_random()))])
            .filter(|k| limiter.admit_at(*k, t0).is_some())
            .count();
        assert_eq!(admitted, GLOBAL_PER_MINUTE as usize);
        // A held-back key is counted and reported once the next window opens.
        let late = key(255, None);
        assert_eq!(limiter.admit_at(late, t0 + WINDOW), Some(1));
    }

    #[test]
    fn the_detail_says_how_many_were_held_back() {
        assert_eq!(detail(RefusalReason::WrongSecret, 0), "wrong secret");
        assert_eq!(
            detail(RefusalReason::Malformed, 37),
            "malformed token (+37 more refused from this address since the last record)"
        );
    }
}
