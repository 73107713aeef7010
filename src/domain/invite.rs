//! The code in a one-time invitation link: the invitation's id and a secret whose
//! digest alone is stored.

use std::fmt;

use uuid::Uuid;

use super::token::TokenSecret;

/// How long an invitation link stays usable.
pub const INVITE_DAYS: i64 = 7;

/// `<invitation id>.<64 hex digits>`; its `Debug` hides the secret.
pub struct InviteCode {
    pub id: Uuid,
    pub secret: TokenSecret,
}

impl InviteCode {
    pub fn generate() -> Self {
        InviteCode {
            id: Uuid::new_v4(),
            secret: TokenSecret::generate(),
        }
    }

    /// The code as put in the link, shown once to the admin who invited.
    pub fn expose(&self) -> String {
        format!("{}.{}", self.id, self.secret.to_hex())
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (id, secret) = text.split_once('.')?;
        Some(InviteCode {
            id: Uuid::parse_str(id).ok()?,
            secret: TokenSecret::from_hex(secret)?,
        })
    }
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviteCode")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_round_trips_and_near_misses_are_refused() {
        let code = InviteCode::generate();
        let back = InviteCode::parse(&code.expose()).unwrap();
        assert_eq!(back.id, code.id);
        assert!(back.secret.digest().matches(&code.secret.digest()));
        assert!(!format!("{code:?}").contains(&code.secret.to_hex()));
        assert!(InviteCode::parse(&format!("{}.abc", code.id)).is_none());
        assert!(InviteCode::parse("not-a-code").is_none());
        assert!(InviteCode::parse(&code.expose().replace('.', "")).is_none());
    }
}
