//! OAuth 2.0 API tokens, as pure types: the grant's id, its lifetime in days, the
//! refresh token's format, the claims of an access token, and a grant's status.
//!
//! NEVER CHANGE THE FORMAT of a refresh token: `art_<grant id>.<64 lowercase hex>`.
//! Refresh tokens already handed out must keep parsing. Only the SHA-256 digest of
//! the secret's 32 bytes is stored.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::description::Description;
use super::ids::{Role, UserId, WorkspaceId};
use super::scope::ScopeSet;
use super::time::Timestamp;
use super::token::{SecretDigest, TokenSecret};

/// How long an access token lives, in seconds (the seed: one hour).
pub const ACCESS_TOKEN_SECONDS: i64 = 3600;
/// The longest a grant (its refresh tokens) may live, in days.
pub const MAX_GRANT_DAYS: i64 = 365;
/// The prefix of every refresh token, so secret scanners and people recognise it.
const REFRESH_PREFIX: &str = "art_";
/// The `iss` of every access token this server signs.
pub const ISSUER: &str = "access-tokens";

/// The id of an OAuth API token (a grant), shown in the API and used in paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantId(Uuid);

impl GrantId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl FromStr for GrantId {
    type Err = ();

    /// The hyphenated form only, as the API shows it.
    fn from_str(s: &str) -> Result<Self, ()> {
        if s.len() != 36 {
            return Err(());
        }
        Uuid::parse_str(s).map(Self).map_err(|_| ())
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The lifetime the Generate form proposes, in days.
pub const DEFAULT_GRANT_DAYS: i64 = 90;

/// A grant's name, required, under the rules of a token's description (at most
/// 255 characters, one line); the error reads as a sentence about the name.
pub fn parse_name(input: &str) -> Result<Description, String> {
    match Description::parse_optional(input) {
        Ok(Some(name)) => Ok(name),
        Ok(None) => Err("A name is required.".to_owned()),
        Err(e) => Err(e.to_string().replacen("Description", "Name", 1)),
    }
}

/// A grant's lifetime: 1 to [`MAX_GRANT_DAYS`] whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantLifetime(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Lifetime must be 1 to 365 days.")]
pub struct GrantLifetimeError;

impl GrantLifetime {
    pub fn from_days(days: i64) -> Result<Self, GrantLifetimeError> {
        if (1..=MAX_GRANT_DAYS).contains(&days) {
            Ok(Self(days))
        } else {
            Err(GrantLifetimeError)
        }
    }

    /// Reads a form field: a whole number of days, spaces around it ignored.
    pub fn from_input(input: &str) -> Result<Self, GrantLifetimeError> {
        input
            .trim()
            .parse::<i64>()
            .map_err(|_| GrantLifetimeError)
            .and_then(Self::from_days)
    }

    pub fn days(self) -> i64 {
        self.0
    }

    pub fn seconds(self) -> i64 {
        self.0 * 86_400
    }

    /// When a grant created at `created` stops refreshing.
    pub fn expiry(self, created: Timestamp) -> Timestamp {
        created.plus_seconds(self.seconds())
    }
}

/// A refresh token in clear: shown once, never stored, `Debug` redacted.
pub struct RefreshToken {
    grant: GrantId,
    secret: TokenSecret,
}

impl RefreshToken {
    /// A new refresh token for `grant`, with a fresh 32-byte secret.
    pub fn generate(grant: GrantId) -> Self {
        Self {
            grant,
            secret: TokenSecret::generate(),
        }
    }

    /// Reads a presented value, without I/O; anything malformed is `None`.
    pub fn parse(value: &str) -> Option<Self> {
        let rest = value.strip_prefix(REFRESH_PREFIX)?;
        let (grant, secret) = rest.split_once('.')?;
        Some(Self {
            grant: grant.parse().ok()?,
            secret: TokenSecret::from_hex(secret)?,
        })
    }

    pub fn grant(&self) -> GrantId {
        self.grant
    }

    pub fn digest(&self) -> SecretDigest {
        self.secret.digest()
    }

    /// The value handed to the client.
    pub fn expose(&self) -> String {
        format!("{REFRESH_PREFIX}{}.{}", self.grant, self.secret.to_hex())
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefreshToken({}, (sensitive))", self.grant)
    }
}

/// Does `value` look like a signed access token (a JWS in compact form)? Legacy
/// token values are base64 without dots, so the two never mix.
pub fn looks_like_jwt(value: &str) -> bool {
    // Every OAuth Bearer value is looked at twice per request (the kind of token,
    // then the key set's check): memchr's vector search, not a walk byte by byte.
    value.len() <= 4096 && memchr::memchr_iter(b'.', value.as_bytes()).take(3).count() == 2
}

/// The claims of an access token. Everything a request needs to act is here, so
/// checking one reads no database: who (`sub`, `usr`), where (`wid`, `wsn`) and
/// with which role (`rol`) as of issue, and which grant issued it (`tid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user's id.
    pub sub: String,
    /// The user's name (for the audit log and responses).
    pub usr: String,
    /// The workspace the token acts in.
    pub wid: String,
    /// The workspace's name.
    pub wsn: String,
    /// `admin` or `member`, as of issue.
    pub rol: String,
    /// The grant (OAuth API token) that issued it.
    pub tid: String,
    /// This access token's own id.
    pub jti: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds: `iat` + [`ACCESS_TOKEN_SECONDS`].
    pub exp: i64,
    /// The token's scopes, space-separated (RFC 9068 section 2.2.3). Absent from
    /// access tokens issued before scopes: those have full access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The principal an access token stands for, read back from its claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSubject {
    pub user_id: UserId,
    pub username: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: Role,
    pub grant: GrantId,
    /// What the access token may do: its grant's scopes, or fewer (a refresh may
    /// narrow them).
    pub scopes: ScopeSet,
}

impl AccessClaims {
    /// The claims of a new access token for `subject`, issued at `now`.
    pub fn new(subject: &AccessSubject, now: Timestamp) -> Self {
        let iat = now.millis().div_euclid(1000);
        AccessClaims {
            iss: ISSUER.to_owned(),
            sub: subject.user_id.to_string(),
            usr: subject.username.clone(),
            wid: subject.workspace_id.to_string(),
            wsn: subject.workspace_name.clone(),
            rol: subject.role.as_str().to_owned(),
            tid: subject.grant.to_string(),
            jti: Uuid::new_v4().to_string(),
            iat,
            exp: iat + ACCESS_TOKEN_SECONDS,
            scope: Some(subject.scopes.to_stored()),
        }
    }

    /// Expired from `exp` on.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now.millis() >= self.exp.saturating_mul(1000)
    }

    /// The subject, when every claim parses.
    pub fn subject(&self) -> Option<AccessSubject> {
        Some(AccessSubject {
            user_id: UserId::parse(&self.sub)?,
            username: self.usr.clone(),
            workspace_id: WorkspaceId::parse(&self.wid)?,
            workspace_name: self.wsn.clone(),
            role: Role::parse(&self.rol)?,
            grant: self.tid.parse().ok()?,
            scopes: ScopeSet::from_stored(self.scope.as_deref()),
        })
    }
}

/// A grant's status, as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStatus {
    Active,
    Disabled,
    Expired,
}

impl GrantStatus {
    /// Disabled wins over expired: it is what someone did.
    pub fn at(disabled_at: Option<Timestamp>, expires_at: Timestamp, now: Timestamp) -> Self {
        if disabled_at.is_some() {
            Self::Disabled
        } else if expires_at <= now {
            Self::Expired
        } else {
            Self::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Disabled => "Disabled",
            Self::Expired => "Expired",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwt_is_three_dot_separated_parts_of_at_most_4096_bytes() {
        assert!(looks_like_jwt("a.b.c"));
        assert!(looks_like_jwt(".."));
        assert!(looks_like_jwt(&format!("{}.b.c", "a".repeat(4092))));
        assert!(!looks_like_jwt(&format!("{}.b.c", "a".repeat(4093))));
        for not in ["", "abc", "a.b", "a.b.c.d", "a..b.c", "eyJ0b2tlbklkIjoi"] {
            assert!(!looks_like_jwt(not), "{not}");
        }
    }

    #[test]
    fn a_refresh_token_parses_back_to_its_grant_and_digest() {
        let grant = GrantId::new_random();
        let token = RefreshToken::generate(grant);
        let value = token.expose();
        assert!(value.starts_with("art_"));
        let parsed = RefreshToken::parse(&value).unwrap();
        assert_eq!(parsed.grant(), grant);
        assert!(parsed.digest().matches(&token.digest()));
        assert!(!format!("{parsed:?}").contains(&value[41..]));
    }

    #[test]
    fn malformed_refresh_tokens_are_refused() {
        let grant = GrantId::new_random();
        for bad in [
            String::new(),
            "art_".into(),
            format!("art_{grant}"),
            format!("art_{grant}.{}", "zz".repeat(32)),
            format!("art_{grant}.{}", "00".repeat(31)),
            format!("xyz_{grant}.{}", "00".repeat(32)),
            format!("art_not-a-uuid.{}", "00".repeat(32)),
        ] {
            assert!(RefreshToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_name_is_required_and_one_line() {
        assert_eq!(
            parse_name("  nightly export ").unwrap().as_str(),
            "nightly export"
        );
        assert_eq!(parse_name("   ").unwrap_err(), "A name is required.");
        assert_eq!(
            parse_name(&"x".repeat(256)).unwrap_err(),
            "Name can be at most 255 characters."
        );
        assert!(parse_name("a\nb").unwrap_err().starts_with("Name cannot"));
    }

    #[test]
    fn a_lifetime_field_is_a_whole_number_of_days() {
        assert_eq!(GrantLifetime::from_input(" 30 ").unwrap().days(), 30);
        for bad in ["", "abc", "1.5", "0", "366", "-1"] {
            assert!(GrantLifetime::from_input(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_lifetime_is_one_to_365_days() {
        assert!(GrantLifetime::from_days(0).is_err());
        assert!(GrantLifetime::from_days(366).is_err());
        assert_eq!(
            GrantLifetime::from_days(365).unwrap().seconds(),
            365 * 86_400
        );
    }

    #[test]
    fn an_access_token_lives_one_hour_and_names_its_subject() {
        let subject = AccessSubject {
            user_id: UserId::new_random(),
            username: "olga".into(),
            workspace_id: WorkspaceId::new_random(),
            workspace_name: "default".into(),
            role: Role::Admin,
            grant: GrantId::new_random(),
            scopes: ScopeSet::from_stored(Some("deploy read_api")),
        };
        let now = Timestamp::from_millis(1_700_000_000_500);
        let claims = AccessClaims::new(&subject, now);
        assert_eq!(claims.exp - claims.iat, 3600);
        assert_eq!(claims.subject(), Some(subject));
        assert!(!claims.is_expired(now.plus_seconds(3599)));
        assert!(claims.is_expired(now.plus_seconds(3600)));
    }

    #[test]
    fn disabled_wins_over_expired() {
        let t = Timestamp::from_millis(10);
        assert_eq!(GrantStatus::at(Some(t), t, t), GrantStatus::Disabled);
        assert_eq!(GrantStatus::at(None, t, t), GrantStatus::Expired);
        assert_eq!(
            GrantStatus::at(None, t.plus_seconds(1), t),
            GrantStatus::Active
        );
    }
}
