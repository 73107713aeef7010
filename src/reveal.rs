//! One-time hand-over of a new token's value from the "Generate" POST to the page
//! that shows it, so the value never travels in a URL, a cookie or the database.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::session::random_hex;
use crate::domain::{TokenId, TokenValue, UserId};

/// How long a value waits for the redirect that shows it.
const TTL: Duration = Duration::from_secs(5 * 60);

struct Pending {
    user: UserId,
    token_id: TokenId,
    value: TokenValue,
    created: Instant,
}

/// New token values waiting to be shown once, by ticket, in this process's memory.
#[derive(Default)]
pub struct RevealStore {
    pending: Mutex<HashMap<String, Pending>>,
}

impl RevealStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `value` for `user` and returns the ticket that fetches it once.
    pub fn put(&self, user: UserId, token_id: TokenId, value: TokenValue) -> String {
        let ticket = random_hex();
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, p| p.created.elapsed() < TTL);
        map.insert(
            ticket.clone(),
            Pending {
                user,
                token_id,
                value,
                created: Instant::now(),
            },
        );
        ticket
    }

    /// Hands the value over and forgets it; a second call with the same ticket,
    /// another user's ticket or a stale one gets nothing.
    pub fn take(&self, ticket: &str, user: UserId) -> Option<(TokenId, TokenValue)> {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let pending = map.remove(ticket)?;
        (pending.user == user && pending.created.elapsed() < TTL)
            .then_some((pending.token_id, pending.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TokenSecret;

    #[test]
    fn a_value_is_handed_over_once_and_only_to_its_user() {
        let store = RevealStore::new();
        let user = UserId::new_random();
        let id = TokenId::new_random();
        let ticket = store.put(user, id, TokenValue::encode(id, &TokenSecret::generate()));
        assert!(store.take(&ticket, UserId::new_random()).is_none());
        let ticket = store.put(user, id, TokenValue::encode(id, &TokenSecret::generate()));
        assert_eq!(store.take(&ticket, user).map(|(i, _)| i), Some(id));
        assert!(store.take(&ticket, user).is_none());
    }
}
