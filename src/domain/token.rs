//! The access token format: ids, secrets, the value users hold, its digest and status.
//!
//! NEVER CHANGE THE FORMAT of a token value: tokens already handed out must keep
//! working. A value is standard base64 of the JSON
//! `{"tokenId":"<uuid>","secret":"<64 lowercase hex>"}` (the seed's example), so a
//! script can read its Token ID out of its own token. Only the SHA-256 digest of the
//! secret's 32 bytes is stored.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::time::Timestamp;

/// Token values are written padded (they never need padding: the JSON is 126 bytes)
/// and read with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Anything longer than this cannot be a token value; refused before decoding.
const MAX_VALUE_LEN: usize = 256;

/// The public identifier of a token, shown in the page and used in API paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(Uuid);

impl TokenId {
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// A string that is not a token id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("A token ID is a UUID such as bab908f7-dcc2-4962-85bd-c1e96d0cacbd.")]
pub struct TokenIdError;

impl FromStr for TokenId {
    type Err = TokenIdError;

    /// Accepts the hyphenated form only, as the API shows it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 36 {
            return Err(TokenIdError);
        }
        Uuid::parse_str(s).map(Self).map_err(|_| TokenIdError)
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl TokenId {
    /// The hyphenated text, formatted once: a row of the Access Tokens page writes
    /// it seven times, and the v4 API once per token.
    pub fn text(&self) -> TokenIdText {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        self.0.hyphenated().encode_lower(&mut text);
        TokenIdText(text)
    }
}

/// [`TokenId::text`]: lower-case hex digits and hyphens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenIdText([u8; uuid::fmt::Hyphenated::LENGTH]);

impl TokenIdText {
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written into it, so this never takes the empty arm.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        out.write_str(self.as_str())
    }
}

impl fmt::Display for TokenIdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

impl serde::Serialize for TokenIdText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The 32 random bytes that make a token unguessable. Never printed, never stored.
pub struct TokenSecret([u8; 32]);

impl TokenSecret {
    /// 32 bytes from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn digest(&self) -> SecretDigest {
        SecretDigest(Sha256::digest(self.0).into())
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Exactly 64 hex digits, or nothing.
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret((sensitive))")
    }
}

/// SHA-256 of a token's secret: what the database keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    /// Reads a stored digest; `None` when the stored bytes are not a digest.
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Compares in constant time, so timing says nothing about how much matched.
    pub fn matches(&self, other: &SecretDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDigest((sensitive))")
    }
}

/// The JSON inside a token value. Borrowed from the decoded bytes when it can be
/// (always, for a value this server made): checking a token copies nothing.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueJson<'a> {
    #[serde(rename = "tokenId", borrow)]
    token_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    secret: std::borrow::Cow<'a, str>,
}

/// The token value a user holds, in clear. Shown once; its `Debug` is redacted.
pub struct TokenValue(String);

impl TokenValue {
    /// Encodes a new token's id and secret into the value handed to the user.
    pub fn encode(id: TokenId, secret: &TokenSecret) -> Self {
        let json = serde_json::to_string(&ValueJson {
            token_id: id.to_string().into(),
            secret: hex::encode(secret.0).into(),
        })
        .expect("a struct of two strings always serializes");
        Self(BASE64.encode(json))
    }

    /// Reads the id and secret out of a presented value, without any I/O.
    /// Anything but a well-formed value is `None`.
    pub fn parse(value: &str) -> Option<(TokenId, TokenSecret)> {
        if value.is_empty() || value.len() > MAX_VALUE_LEN {
            return None;
        }
        // Decoded on the stack: every Bearer request parses one.
        let mut json = [0u8; MAX_VALUE_LEN / 4 * 3];
        let len = BASE64.decode_slice(value, &mut json).ok()?;
        let json = &json[..len];
        // A value this server made is read in place; serde_json, a third of the
        // parse's instructions, reads any other layout, so what is accepted does
        // not depend on which of the two reads it.
        Self::parse_as_made(json).or_else(|| Self::parse_any_layout(json))
    }

    /// The JSON exactly as [`TokenValue::encode`] writes it: the id and secret at
    /// fixed places. `None` for anything else, valid JSON included.
    fn parse_as_made(json: &[u8]) -> Option<(TokenId, TokenSecret)> {
        const HEAD: &[u8] = b"{\"tokenId\":\"";
        const MIDDLE: &[u8] = b"\",\"secret\":\"";
        const TAIL: &[u8] = b"\"}";
        let rest = json.strip_prefix(HEAD)?;
        let (id, rest) = rest.split_at_checked(36)?;
        let rest = rest.strip_prefix(MIDDLE)?;
        let (secret, rest) = rest.split_at_checked(64)?;
        if rest != TAIL {
            return None;
        }
        // A hyphenated UUID and hex digits hold neither a quote nor a backslash,
        // so the JSON is exactly this object with these two strings.
        Self::parts(std::str::from_utf8(id).ok()?, secret)
    }

    /// Any JSON object with exactly the two fields, through serde_json.
    fn parse_any_layout(json: &[u8]) -> Option<(TokenId, TokenSecret)> {
        let parsed: ValueJson = serde_json::from_slice(json).ok()?;
        Self::parts(&parsed.token_id, parsed.secret.as_bytes())
    }

    /// The id and the secret from their text: a hyphenated UUID and 64 hex digits.
    fn parts(id: &str, secret: &[u8]) -> Option<(TokenId, TokenSecret)> {
        let id = id.parse().ok()?;
        if secret.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(secret, &mut bytes).ok()?;
        Some((id, TokenSecret(bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenValue((sensitive))")
    }
}

/// Whether a token can still be used, as the Status column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
}

impl TokenStatus {
    /// A token is expired from its expiry instant on.
    pub fn at(expires_at: Option<Timestamp>, now: Timestamp) -> Self {
        match expires_at {
            Some(e) if e <= now => Self::Expired,
            _ => Self::Active,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expired => "Expired",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_text_is_the_hyphenated_id_as_text_and_as_json() {
        let id: TokenId = "bab908f7-dcc2-4962-85bd-c1e96d0cacbd".parse().unwrap();
        assert_eq!(id.text().as_str(), id.to_string());
        assert_eq!(
            id.text().to_string(),
            "bab908f7-dcc2-4962-85bd-c1e96d0cacbd"
        );
        assert_eq!(
            serde_json::to_string(&id.text()).unwrap(),
            "\"bab908f7-dcc2-4962-85bd-c1e96d0cacbd\""
        );
    }

    #[test]
    fn a_value_carries_its_token_id_in_readable_json() {
        let id = TokenId::new_random();
        let secret = TokenSecret::generate();
        let value = TokenValue::encode(id, &secret);
        let json = BASE64.decode(value.expose()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(json["tokenId"], id.to_string());
        assert_eq!(json["secret"].as_str().unwrap().len(), 64);
        assert!(value.expose().starts_with("eyJ0b2tlbklkIjoi"));
    }

    #[test]
    fn a_value_parses_back_to_the_same_id_and_digest() {
        let id = TokenId::new_random();
        let secret = TokenSecret::generate();
        let value = TokenValue::encode(id, &secret);
        let (parsed_id, parsed_secret) = TokenValue::parse(value.expose()).unwrap();
        assert_eq!(parsed_id, id);
        assert!(parsed_secret.digest().matches(&secret.digest()));
    }

    #[test]
    fn a_value_in_another_json_layout_still_parses() {
        let id = TokenId::new_random();
        let hex = "ab".repeat(32);
        let layouts = [
            format!(r#"{{"secret":"{hex}","tokenId":"{id}"}}"#),
            format!(r#"{{ "tokenId": "{id}", "secret": "{hex}" }}"#),
            format!(r#"{{"tokenId":"{id}","secret":"{hex}"}}"#).replacen("ab", "\\u0061b", 1),
            format!(r#"{{"tokenId":"{id}","secret":"{}"}}"#, hex.to_uppercase()),
        ];
        for json in layouts {
            let (parsed_id, secret) = TokenValue::parse(&BASE64.encode(&json)).unwrap();
            assert_eq!(parsed_id, id, "{json}");
            assert_eq!(secret.0, [0xab; 32], "{json}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        let cases = [
            "".to_string(),
            "not base64!".to_string(),
            BASE64.encode("not json"),
            BASE64.encode(r#"{"tokenId":"x","secret":"00"}"#),
            BASE64.encode(format!(
                r#"{{"tokenId":"{}","secret":"{}"}}"#,
                Uuid::new_v4(),
                "zz".repeat(32)
            )),
            BASE64.encode(format!(
                r#"{{"tokenId":"{}","secret":"{}","extra":1}}"#,
                Uuid::new_v4(),
                "00".repeat(32)
            )),
            "A".repeat(10_000),
        ];
        for case in cases {
            assert!(TokenValue::parse(&case).is_none(), "{case}");
        }
    }

    #[test]
    fn secrets_are_random() {
        assert!(!TokenSecret::generate()
            .digest()
            .matches(&TokenSecret::generate().digest()));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let secret = TokenSecret::generate();
        let value = TokenValue::encode(TokenId::new_random(), &secret);
        assert!(!format!("{value:?}").contains(value.expose()));
        assert_eq!(format!("{secret:?}"), "TokenSecret((sensitive))");
    }

    #[test]
    fn token_ids_must_be_hyphenated_uuids() {
        assert!("bab908f7-dcc2-4962-85bd-c1e96d0cacbd"
            .parse::<TokenId>()
            .is_ok());
        assert!("bab908f7dcc2496285bdc1e96d0cacbd"
            .parse::<TokenId>()
            .is_err());
        assert!("nope".parse::<TokenId>().is_err());
    }

    #[test]
    fn a_token_expires_at_its_expiry_instant() {
        let t = Timestamp::from_millis(1000);
        assert_eq!(TokenStatus::at(None, t), TokenStatus::Active);
        assert_eq!(
            TokenStatus::at(Some(Timestamp::from_millis(1001)), t),
            TokenStatus::Active
        );
        assert_eq!(TokenStatus::at(Some(t), t), TokenStatus::Expired);
    }
}

/// Property tests of the parser every request's token goes through: it never
/// panics, whatever it is given, and takes back exactly what `encode` gives.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn any_string_is_parsed_or_refused_without_panicking(s in ".{0,600}") {
            let _ = TokenValue::parse(&s);
        }

        #[test]
        fn any_base64_of_any_bytes_is_parsed_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = TokenValue::parse(&BASE64.encode(&bytes));
        }

        #[test]
        fn near_miss_json_is_refused_unless_exactly_well_formed(
            id in "[0-9a-fA-F-]{0,40}",
            secret in "[0-9a-fA-F]{0,70}",
            extra in proptest::option::of("[a-z]{1,8}"),
        ) {
            let mut json = serde_json::json!({"tokenId": id, "secret": secret});
            if let Some(field) = &extra {
                json[field] = serde_json::json!(1);
            }
            let parsed = TokenValue::parse(&BASE64.encode(json.to_string()));
            let well_formed = extra.is_none()
                && id.parse::<TokenId>().is_ok()
                && secret.len() == 64;
            prop_assert_eq!(parsed.is_some(), well_formed);
        }

        #[test]
        fn a_value_as_made_reads_the_same_in_place_and_through_serde(
            id_bytes in any::<[u8; 16]>(),
            secret in any::<[u8; 32]>(),
        ) {
            let id: TokenId = Uuid::from_bytes(id_bytes).to_string().parse().unwrap();
            let value = TokenValue::encode(id, &TokenSecret(secret));
            let json = BASE64.decode(value.expose()).unwrap();
            let (fast_id, fast_secret) = TokenValue::parse_as_made(&json).unwrap();
            let (any_id, any_secret) = TokenValue::parse_any_layout(&json).unwrap();
            prop_assert_eq!(fast_id, any_id);
            prop_assert_eq!(fast_secret.0, any_secret.0);
        }

        #[test]
        fn the_in_place_read_never_accepts_what_serde_refuses(
            id in "[0-9a-fA-F\\\\\"{}:,-]{36}",
            secret in "[0-9a-fA-Fg\\\\\"]{64}",
        ) {
            let json = format!(r#"{{"tokenId":"{id}","secret":"{secret}"}}"#);
            let fast = TokenValue::parse_as_made(json.as_bytes());
            let any = TokenValue::parse_any_layout(json.as_bytes());
            prop_assert!(fast.is_none() || any.is_some(), "{}", json);
            if let (Some((fast_id, fast_secret)), Some((any_id, any_secret))) = (fast, any) {
                prop_assert_eq!(fast_id, any_id);
                prop_assert_eq!(fast_secret.0, any_secret.0);
            }
        }

        #[test]
        fn every_encoded_value_round_trips(id_bytes in any::<[u8; 16]>(), secret in any::<[u8; 32]>()) {
            let id: TokenId = Uuid::from_bytes(id_bytes).to_string().parse().unwrap();
            let value = TokenValue::encode(id, &TokenSecret(secret));
            let (parsed_id, parsed_secret) = TokenValue::parse(value.expose()).unwrap();
            prop_assert_eq!(parsed_id, id);
            prop_assert_eq!(parsed_secret.0, secret);
        }
    }
}
