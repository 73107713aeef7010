//! Settings for a running server, from flags and environment; secrets as secret types.

use std::num::NonZeroU32;

use actix_web::cookie::Key;
use sha2::{Digest, Sha512};

use crate::db::DatabaseUrl;
use crate::domain::SharedClock;
use crate::shutdown::ShutdownSettings;

/// The address the server listens on unless told otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The SQLite file used unless told otherwise (`--database` also takes a
/// `postgres://` URL).
pub const DEFAULT_DATABASE: &str = "access-tokens.db";
/// The shortest session key accepted from the environment.
pub const MIN_SESSION_KEY_CHARS: usize = 32;

/// Everything `serve` needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database: DatabaseUrl,
    pub session_key: Option<SessionKey>,
    pub secure_cookie: bool,
    /// Off (`--disable-api-access-tokens`): every route of access tokens and OAuth
    /// API tokens under `/v4` is "Route doesn't exist", no token authenticates, and
    /// the pages hide tokens.
    pub api_access_tokens: bool,
    /// Where the app reads "now": the system clock, or one the tests move.
    pub clock: SharedClock,
    /// How many verified tokens the cache keeps (see `auth::cache`).
    pub token_cache_size: u64,
    /// Invalid tokens one address may present in a burst, then per second, before
    /// it is answered 429 (see `auth::invalid_tokens`).
    pub invalid_token_burst: NonZeroU32,
    pub invalid_token_rate: NonZeroU32,
    /// Proxies whose `X-Forwarded-For` is believed (see `client_address`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where people reach this site; links (invitations) are built from it. None:
    /// from the request's own `Host` (see `public_url`).
    pub public_url: Option<PublicUrl>,
    /// What SIGTERM does: how long to drain, then to wait for requests in flight.
    pub shutdown: ShutdownSettings,
}

impl Settings {
    /// Settings for a server on a free loopback port over `database`, as tests use.
    pub fn for_tests(database: DatabaseUrl) -> Self {
        Settings {
            bind: "127.0.0.1:0".into(),
            database,
            session_key: None,
            secure_cookie: false,
            api_access_tokens: true,
            clock: crate::domain::clock::system(),
            token_cache_size: crate::auth::cache::DEFAULT_CAPACITY,
            invalid_token_burst: NonZeroU32::new(crate::auth::invalid_tokens::DEFAULT_BURST)
                .expect("non-zero"),
            invalid_token_rate: NonZeroU32::new(crate::auth::invalid_tokens::DEFAULT_PER_SECOND)
                .expect("non-zero"),
            trusted_proxies: Vec::new(),
            public_url: None,
            shutdown: ShutdownSettings::default(),
        }
    }
}

/// The address people reach this site at (`--public-url`): an absolute `http` or
/// `https` URL with a host and nothing after its path, kept without a final `/`,
/// so a link is this followed by an absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

#[derive(Debug, thiserror::Error)]
#[error("the public URL must be an absolute http:// or https:// URL with a host and no user, query or fragment, such as https://tokens.example.com")]
pub struct BadPublicUrl;

impl PublicUrl {
    pub fn parse(raw: &str) -> Result<Self, BadPublicUrl> {
        let url = url::Url::parse(raw.trim()).map_err(|_| BadPublicUrl)?;
        let fits = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !fits {
            return Err(BadPublicUrl);
        }
        // `Url` has normalised it: punycode host, percent-encoded path, no default port.
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// `https://tokens.example.com` (or with a path prefix: `https://example.com/tokens`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = BadPublicUrl;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The secret that signs and encrypts session cookies. Its `Debug` is redacted.
#[derive(Clone)]
pub struct SessionKey(String);

#[derive(Debug, thiserror::Error)]
#[error("the session key must be at least {MIN_SESSION_KEY_CHARS} characters (try `openssl rand -hex 32`)")]
pub struct SessionKeyTooShort;

impl SessionKey {
    pub fn parse(secret: String) -> Result<Self, SessionKeyTooShort> {
        if secret.chars().count() < MIN_SESSION_KEY_CHARS {
            return Err(SessionKeyTooShort);
        }
        Ok(Self(secret))
    }

    /// The 64-byte cookie key, stretched from the secret with SHA-512 so any
    /// string of enough entropy serves.
    pub fn cookie_key(&self) -> Key {
        Key::from(&Sha512::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey((sensitive))")
    }
}

impl std::str::FromStr for SessionKey {
    type Err = SessionKeyTooShort;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_url_is_an_absolute_http_url_kept_without_its_final_slash() {
        let ok = |raw: &str| PublicUrl::parse(raw).unwrap().as_str().to_owned();
        assert_eq!(
            ok("https://tokens.example.com/"),
            "https://tokens.example.com"
        );
        assert_eq!(ok("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(
            ok("https://example.com/tokens/"),
            "https://example.com/tokens"
        );
        assert_eq!(ok("https://EXAMPLE.com:443"), "https://example.com");
        for bad in [
            "",
            "tokens.example.com",
            "/relative",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://user:pw@example.com",
            "https://example.com/?a=b",
            "https://example.com/#x",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
