//! The keys that sign access tokens: generated on first start and stored, loaded
//! into memory (so checking an access token reads no database), rotated every
//! [`ROTATION_DAYS`] days with a grace period, and published as a JWKS.
//!
//! The newest key that is not retired signs. Rotating stores a new key and retires
//! the older ones; a retired key still verifies for [`GRACE_SECONDS`] (longer than
//! an access token lives), then is dropped from memory and from the JWKS.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::db::{self, DbError, DbPool};
use crate::domain::oauth::{looks_like_jwt, AccessClaims, ACCESS_TOKEN_SECONDS, ISSUER};
use crate::domain::{SharedClock, Timestamp};
use crate::models::signing_key::{self, StoredKey};

/// A new signing key is made when the newest is this old.
pub const ROTATION_DAYS: i64 = 30;
/// How long a retired key still verifies: an access token's hour, plus an hour of
/// margin for clock skew and for instances that reload late.
pub const GRACE_SECONDS: i64 = ACCESS_TOKEN_SECONDS + 3600;
/// How often each instance reloads the keys (and rotates when due).
pub const RELOAD_SECONDS: u64 = 600;
/// The least time between two reloads caused by an unknown `kid` (a key another
/// instance made), so garbage `kid`s cannot make every request read the database.
const UNKNOWN_KID_RELOAD_SECONDS: i64 = 10;
/// How long the JWKS may be cached by its readers.
pub const JWKS_MAX_AGE_SECONDS: u64 = 300;
/// The stored name of the algorithm.
const EDDSA: &str = "EdDSA";

/// Why a key could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key could not be generated or read: {0}")]
    Crypto(String),
    #[error("no signing key is loaded")]
    NoSigningKey,
    #[error(transparent)]
    Db(#[from] DbError),
}

struct Signer {
    kid: String,
    key: EncodingKey,
}

struct Verifier {
    key: DecodingKey,
    /// The raw 32-byte Ed25519 public key.
    public: Vec<u8>,
}

#[derive(Default)]
struct Keys {
    signer: Option<Signer>,
    verifiers: HashMap<String, Verifier>,
}

/// The keys in memory, shared by every worker of an instance.
pub struct KeySet {
    keys: RwLock<Keys>,
    clock: SharedClock,
    /// When an unknown `kid` last caused a reload (Unix ms).
    last_kid_reload: AtomicI64,
    /// Access tokens whose signature verified, by the SHA-256 of the whole token:
    /// an Ed25519 check costs tens of microseconds, a digest and a lookup a small
    /// fraction of that. Bounded, and each entry outlives its token by nothing
    /// (expiry is judged again on every hit, and an hour is the longest a token
    /// lives). A hit still needs its `kid` among the keys, so a key dropped after
    /// its grace period takes its tokens with it.
    verified: moka::sync::Cache<[u8; 32], Arc<(String, Arc<AccessClaims>)>>,
}

/// How many verified access tokens each instance remembers.
const VERIFIED_CAPACITY: u64 = 10_000;

/// What checking an access token found. Only `Valid` and `Expired` carry claims:
/// they are the only outcomes whose claims a verified signature vouches for.
#[derive(Debug)]
pub enum Checked {
    Valid(Arc<AccessClaims>),
    /// Signed by us, but past its `exp`.
    Expired(Arc<AccessClaims>),
    /// Signed by a key this instance has not loaded (yet), or by none of ours.
    UnknownKey,
    /// Names a key of ours, but the signature does not verify: tampered with or
    /// forged.
    BadSignature,
    /// Not an access token of ours at all: no JWS, another algorithm, no `kid`, or
    /// claims that do not read as ours.
    Malformed,
}

impl KeySet {
    /// Loads the stored keys, generating (or rotating) the signing key when due.
    pub async fn load(pool: &DbPool, clock: SharedClock) -> Result<Self, KeyError> {
        let set = KeySet {
            keys: RwLock::new(Keys::default()),
            clock,
            last_kid_reload: AtomicI64::new(i64::MIN),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CAPACITY)
                .time_to_live(std::time::Duration::from_secs(ACCESS_TOKEN_SECONDS as u64))
                .build(),
        };
        set.reload(pool).await?;
        Ok(set)
    }

    /// Rotates when due and reloads every usable key from the database.
    pub async fn reload(&self, pool: &DbPool) -> Result<(), KeyError> {
        let now = self.clock.now();
        let stored = db::run(pool, move |conn| {
            let since = now.plus_seconds(-GRACE_SECONDS);
            let keys = signing_key::usable(conn, since)?;
            let due = keys
                .iter()
                .find(|k| k.retired_at.is_none())
                .is_none_or(|k| k.created_at <= now.plus_seconds(-ROTATION_DAYS * 86_400));
            if !due {
                return Ok(Ok(keys));
            }
            let new = match generate(now) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            crate::db::write_transaction(conn, |conn| {
                signing_key::insert(conn, &new)?;
                signing_key::retire_older_than(conn, new.created_at, now)
            })?;
            tracing::info!(kid = %new.kid, "generated a new access-token signing key");
            Ok(Ok(signing_key::usable(conn, since)?))
        })
        .await??;
        let keys = build(&stored)?;
        *self.keys.write().expect("the key lock is never poisoned") = keys;
        Ok(())
    }

    /// Reloads after an unknown `kid`, at most every few seconds; `true` if it did.
    pub async fn reload_for_unknown_key(&self, pool: &DbPool) -> Result<bool, KeyError> {
        let now = self.clock.now().millis();
        let last = self.last_kid_reload.load(Ordering::SeqCst);
        if last.saturating_add(UNKNOWN_KID_RELOAD_SECONDS * 1000) > now
            || self
                .last_kid_reload
                .compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
        {
            return Ok(false);
        }
        self.reload(pool).await?;
        Ok(true)
    }

    /// Signs `claims` with the current key.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, KeyError> {
        let keys = self.keys.read().expect("the key lock is never poisoned");
        let signer = keys.signer.as_ref().ok_or(KeyError::NoSigningKey)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(signer.kid.clone());
        // RFC 9068: an OAuth access token in JWT form.
        header.typ = Some("at+jwt".to_owned());
        jsonwebtoken::encode(&header, claims, &signer.key)
            .map_err(|e| KeyError::Crypto(e.to_string()))
    }

    /// Checks a presented access token: signature by a loaded key, issuer, and
    /// expiry by the clock. No database read.
    pub fn check(&self, token: &str) -> Checked {
        if !looks_like_jwt(token) {
            return Checked::Malformed;
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(hit) = self.verified.get(&digest) {
            let (kid, claims) = &*hit;
            let known = self
                .keys
                .read()
                .expect("the key lock is never poisoned")
                .verifiers
                .contains_key(kid);
            if known {
                return if claims.is_expired(self.clock.now()) {
                    Checked::Expired(Arc::clone(claims))
                } else {
                    Checked::Valid(Arc::clone(claims))
                };
            }
            self.verified.invalidate(&digest);
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Checked::Malformed;
        };
        let (Algorithm::EdDSA, Some(kid)) = (header.alg, header.kid) else {
            return Checked::Malformed;
        };
        let keys = self.keys.read().expect("the key lock is never poisoned");
        let Some(verifier) = keys.verifiers.get(&kid) else {
            return Checked::UnknownKey;
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        // Expiry is judged by our clock below, not the library's.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.set_issuer(&[ISSUER]);
        let decoded = jsonwebtoken::decode::<AccessClaims>(token, &verifier.key, &validation);
        drop(keys);
        match decoded {
            Ok(data) if data.claims.is_expired(self.clock.now()) => {
                Checked::Expired(Arc::new(data.claims))
            }
            Ok(data) => {
                // Shared with the cache: a hit costs a reference count, not a
                // copy of eight strings.
                let claims = Arc::new(data.claims);
                self.verified
                    .insert(digest, Arc::new((kid, Arc::clone(&claims))));
                Checked::Valid(claims)
            }
            Err(e) => match e.kind() {
                // The signature (or its encoding) is at fault, not the shape.
                ErrorKind::InvalidSignature | ErrorKind::Base64(_) => Checked::BadSignature,
                _ => Checked::Malformed,
            },
        }
    }

    /// The public keys as a JSON Web Key Set (RFC 7517, OKP keys of RFC 8037).
    pub fn jwks(&self) -> Value {
        let keys = self.keys.read().expect("the key lock is never poisoned");
        let mut list: Vec<(&String, &Verifier)> = keys.verifiers.iter().collect();
        list.sort_by(|a, b| a.0.cmp(b.0));
        let keys: Vec<Value> = list
            .into_iter()
            .map(|(kid, v)| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": URL_SAFE_NO_PAD.encode(&v.public),
                    "kid": kid,
                    "alg": EDDSA,
                    "use": "sig",
                })
            })
            .collect();
        json!({ "keys": keys })
    }
}

/// A new Ed25519 key made at `now`; its `kid` is its RFC 7638 thumbprint.
fn generate(now: Timestamp) -> Result<StoredKey, KeyError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let public = pair.public_key().as_ref().to_vec();
    Ok(StoredKey {
        kid: thumbprint(&public),
        algorithm: EDDSA.to_owned(),
        private_key: pkcs8.as_ref().to_vec(),
        public_key: public,
        created_at: now,
        retired_at: None,
    })
}

/// RFC 7638: SHA-256 of the canonical JWK's required members, base64url.
fn thumbprint(public: &[u8]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The in-memory keys from the stored ones (newest first).
fn build(stored: &[StoredKey]) -> Result<Keys, KeyError> {
    let mut keys = Keys::default();
    for k in stored.iter().filter(|k| k.algorithm == EDDSA) {
        if keys.signer.is_none() && k.retired_at.is_none() {
            // Checked once here, so signing never meets a broken key.
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(&k.private_key)
                .map_err(|e| KeyError::Crypto(format!("key {}: {e}", k.kid)))?;
            keys.signer = Some(Signer {
                kid: k.kid.clone(),
                key: EncodingKey::from_ed_der(&k.private_key),
            });
        }
        keys.verifiers.insert(
            k.kid.clone(),
            Verifier {
                key: DecodingKey::from_ed_der(&k.public_key),
                public: k.public_key.clone(),
            },
        );
    }
    Ok(keys)
}
