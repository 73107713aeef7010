//! One-time hand-over of a new token's value from the "Generate" POST to the page
//! that shows it, through whichever instance serves that page.
//!
//! The value is sealed (ChaCha20-Poly1305) under a fresh key and stored as a
//! short-lived row; the key travels only in the encrypted session cookie, with the
//! row's id. Neither half reveals the value alone: the database never holds it in
//! clear, and neither does the cookie, a URL or a log. Showing it deletes the row.

use std::fmt;
use std::time::Duration;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use uuid::Uuid;

use crate::db::{self, DbError, DbPool};
use crate::domain::oauth::{looks_like_jwt, GrantId, RefreshToken};
use crate::domain::{Timestamp, TokenId, TokenValue, UserId};
use crate::models::reveal;
use crate::services::oauth::Issued;

/// How long a value waits for the redirect that shows it.
pub const TTL: Duration = Duration::from_secs(5 * 60);

const NONCE_LEN: usize = 12;

/// What the session keeps: the row's id and the key that opens it.
pub struct RevealTicket {
    id: Uuid,
    key: Key,
}

impl RevealTicket {
    /// The form kept in the session cookie: `<row id>.<key as hex>`.
    pub fn to_session_value(&self) -> String {
        format!("{}.{}", self.id, hex::encode(self.key))
    }

    /// Reads the session's form back; anything else is no ticket.
    pub fn from_session_value(value: &str) -> Option<Self> {
        let (id, key) = value.split_once('.')?;
        let id = Uuid::parse_str(id).ok()?;
        let key: [u8; 32] = hex::decode(key).ok()?.try_into().ok()?;
        Some(Self {
            id,
            key: key.into(),
        })
    }
}

impl fmt::Debug for RevealTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevealTicket")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Binds the ciphertext to its row, user and token, so that a sealed value cannot
/// be moved to another row and opened there.
fn associated_data(id: Uuid, user: UserId, token: TokenId) -> String {
    format!("{id}|{user}|{token}")
}

/// Seals `value` for `user` and returns the ticket that shows it once.
pub async fn put(
    pool: &DbPool,
    user: UserId,
    token: TokenId,
    value: &TokenValue,
    now: Timestamp,
) -> Result<RevealTicket, DbError> {
    let id = Uuid::new_v4();
    let key = ChaCha20Poly1305::generate_key(&mut OsRng);
    let sealed = seal(&key, &associated_data(id, user, token), value.expose());
    let expires_at = now.plus_seconds(TTL.as_secs() as i64);
    db::run(pool, move |conn| {
        Ok(reveal::insert(
            conn,
            &id.to_string(),
            user,
            token,
            &sealed,
            now,
            expires_at,
        )?)
    })
    .await?;
    Ok(RevealTicket { id, key })
}

/// Hands the value over once and deletes it; a second call with the same ticket,
/// another user's ticket, a stale one or a tampered one gets nothing.
pub async fn take(
    pool: &DbPool,
    ticket: RevealTicket,
    user: UserId,
    now: Timestamp,
) -> Result<Option<(TokenId, TokenValue)>, DbError> {
    let id = ticket.id;
    let Some(row) = db::run(pool, move |conn| {
        Ok(reveal::take(conn, &id.to_string(), user, now)?)
    })
    .await?
    else {
        return Ok(None);
    };
    Ok(open(&ticket, user, &row))
}

fn open(
    ticket: &RevealTicket,
    user: UserId,
    row: &reveal::SealedReveal,
) -> Option<(TokenId, TokenValue)> {
    let token: TokenId = row.token_id.parse().ok()?;
    let text = unseal(
        &ticket.key,
        &associated_data(ticket.id, user, token),
        &row.sealed,
    )?;
    // Only a well-formed value for this very token is shown.
    let (parsed_id, secret) = TokenValue::parse(&text)?;
    (parsed_id == token).then(|| (token, TokenValue::encode(token, &secret)))
}

/// `nonce || ciphertext || tag` of `msg` under `key`, bound to `aad`.
fn seal(key: &Key, aad: &str, msg: &str) -> Vec<u8> {
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = ChaCha20Poly1305::new(key)
        .encrypt(
            &nonce,
            Payload {
                msg: msg.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .expect("ChaCha20-Poly1305 encrypts any message of this size");
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&ciphertext);
    sealed
}

/// The text [`seal`] sealed, if `key` and `aad` are the ones it used and nothing
/// was changed.
fn unseal(key: &Key, aad: &str, sealed: &[u8]) -> Option<String> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let plain = ChaCha20Poly1305::new(key)
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// A new OAuth API token's two values, opened for the page that shows them once.
pub struct OAuthReveal {
    pub grant: GrantId,
    pub access_token: String,
    pub refresh_token: RefreshToken,
}

impl fmt::Debug for OAuthReveal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OAuthReveal({}, (sensitive))", self.grant)
    }
}

/// Binds an OAuth API token's sealed values to their row, user and grant; the
/// prefix keeps them apart from a legacy token's.
fn oauth_associated_data(id: Uuid, user: UserId, grant: GrantId) -> String {
    format!("oauth|{id}|{user}|{grant}")
}

/// Seals a new OAuth API token's access token and refresh token for `user` and
/// returns the ticket that shows them once.
pub async fn put_oauth(
    pool: &DbPool,
    user: UserId,
    grant: GrantId,
    issued: &Issued,
    now: Timestamp,
) -> Result<RevealTicket, DbError> {
    let id = Uuid::new_v4();
    let key = ChaCha20Poly1305::generate_key(&mut OsRng);
    // A JWS has no line breaks, so one separates the two values.
    let text = format!("{}\n{}", issued.access_token, issued.refresh_token.expose());
    let sealed = seal(&key, &oauth_associated_data(id, user, grant), &text);
    let expires_at = now.plus_seconds(TTL.as_secs() as i64);
    db::run(pool, move |conn| {
        Ok(reveal::insert_oauth(
            conn,
            &id.to_string(),
            user,
            grant,
            &sealed,
            now,
            expires_at,
        )?)
    })
    .await?;
    Ok(RevealTicket { id, key })
}

/// [`take`] for OAuth API tokens: the two values once, then never again.
pub async fn take_oauth(
    pool: &DbPool,
    ticket: RevealTicket,
    user: UserId,
    now: Timestamp,
) -> Result<Option<OAuthReveal>, DbError> {
    let id = ticket.id;
    let Some(row) = db::run(pool, move |conn| {
        Ok(reveal::take_oauth(conn, &id.to_string(), user, now)?)
    })
    .await?
    else {
        return Ok(None);
    };
    Ok(open_oauth(&ticket, user, &row))
}

fn open_oauth(
    ticket: &RevealTicket,
    user: UserId,
    row: &reveal::SealedReveal,
) -> Option<OAuthReveal> {
    let grant: GrantId = row.token_id.parse().ok()?;
    let aad = oauth_associated_data(ticket.id, user, grant);
    let text = unseal(&ticket.key, &aad, &row.sealed)?;
    let (access, refresh) = text.split_once('\n')?;
    let refresh_token = RefreshToken::parse(refresh)?;
    // Only well-formed values for this very grant are shown.
    (refresh_token.grant() == grant && looks_like_jwt(access)).then(|| OAuthReveal {
        grant,
        access_token: access.to_owned(),
        refresh_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TokenSecret;

    fn sealed_for(
        ticket: &RevealTicket,
        user: UserId,
        token: TokenId,
        value: &TokenValue,
    ) -> reveal::SealedReveal {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(ticket.id, user, token);
        let ct = ChaCha20Poly1305::new(&ticket.key)
            .encrypt(
                &nonce,
                Payload {
                    msg: value.expose().as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .unwrap();
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ct);
        reveal::SealedReveal {
            token_id: token.to_string(),
            sealed,
        }
    }

    fn ticket() -> RevealTicket {
        RevealTicket {
            id: Uuid::new_v4(),
            key: ChaCha20Poly1305::generate_key(&mut OsRng),
        }
    }

    #[test]
    fn a_ticket_survives_the_session_and_hides_its_key_in_debug() {
        let t = ticket();
        let back = RevealTicket::from_session_value(&t.to_session_value()).unwrap();
        assert_eq!(back.id, t.id);
        assert_eq!(back.key, t.key);
        assert!(!format!("{t:?}").contains(&hex::encode(t.key)));
        assert!(RevealTicket::from_session_value("not-a-ticket").is_none());
        assert!(RevealTicket::from_session_value(&format!("{}.abcd", t.id)).is_none());
    }

    #[test]
    fn only_the_right_key_user_and_token_open_a_sealed_value() {
        let (t, user, token) = (ticket(), UserId::new_random(), TokenId::new_random());
        let value = TokenValue::encode(token, &TokenSecret::generate());
        let row = sealed_for(&t, user, token, &value);
        let (id, opened) = open(&t, user, &row).unwrap();
        assert_eq!((id, opened.expose()), (token, value.expose()));

        assert!(open(&ticket(), user, &row).is_none(), "another key");
        assert!(
            open(&t, UserId::new_random(), &row).is_none(),
            "another user"
        );
        let moved = reveal::SealedReveal {
            token_id: TokenId::new_random().to_string(),
            sealed: row.sealed.clone(),
        };
        assert!(open(&t, user, &moved).is_none(), "another token");
        let mut tampered = row.sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        let tampered = reveal::SealedReveal {
            token_id: token.to_string(),
            sealed: tampered,
        };
        assert!(open(&t, user, &tampered).is_none(), "a flipped bit");
    }

    #[test]
    fn an_oauth_pair_opens_only_for_its_row_user_and_grant() {
        let (t, user, grant) = (ticket(), UserId::new_random(), GrantId::new_random());
        let refresh = RefreshToken::generate(grant);
        let text = format!("aaa.bbb.ccc\n{}", refresh.expose());
        let row = reveal::SealedReveal {
            token_id: grant.to_string(),
            sealed: seal(&t.key, &oauth_associated_data(t.id, user, grant), &text),
        };
        let opened = open_oauth(&t, user, &row).unwrap();
        assert_eq!(opened.access_token, "aaa.bbb.ccc");
        assert_eq!(opened.refresh_token.expose(), refresh.expose());
        assert!(!format!("{opened:?}").contains("aaa.bbb"));

        assert!(open_oauth(&ticket(), user, &row).is_none(), "another key");
        assert!(
            open_oauth(&t, UserId::new_random(), &row).is_none(),
            "another user"
        );
        let moved = reveal::SealedReveal {
            token_id: GrantId::new_random().to_string(),
            sealed: row.sealed.clone(),
        };
        assert!(open_oauth(&t, user, &moved).is_none(), "another grant");
        // A legacy token's sealed value never opens as an OAuth pair.
        let legacy = reveal::SealedReveal {
            token_id: grant.to_string(),
            sealed: seal(&t.key, &format!("{}|{user}|{grant}", t.id), &text),
        };
        assert!(open_oauth(&t, user, &legacy).is_none(), "another kind");
    }
}
