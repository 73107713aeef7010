//! The one rule for whether a credential's owner may act in its workspace: every token check applies it.
//!
//! A legacy access token, an OAuth access token and a refresh token all act for one
//! user in one workspace. Whether that user may act there right now does not depend
//! on who asks (`/v4`, `/auth/verify`, introspection, a refresh), so it is decided
//! here, once, from what the database says (read by
//! `models::token_check::find_for_verification`, `models::workspace::standing` or
//! `models::oauth::find_for_refresh`). What the credential itself says (its secret, its expiry, its
//! grant) is each kind's own business and is checked beside this.

use super::ids::Role;

/// What the database says of a credential's owner in the workspace the credential
/// acts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerStanding {
    /// The account is not deactivated.
    pub owner_active: bool,
    /// Their role there; `None` when they are not a member (never were, removed, or
    /// their membership is suspended: the queries treat that as no membership).
    pub role: Option<Role>,
    /// The workspace's "API Access Token" switch.
    pub tokens_enabled: bool,
}

/// The kind of credential being judged, with what only that kind depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A legacy access token; `allowed` is the workspace's "Allow legacy access
    /// tokens".
    Legacy { allowed: bool },
    /// An OAuth access token or refresh token.
    OAuth,
}

/// Why the owner may not act with a credential of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotInStanding {
    /// Deactivated, not a member, or suspended in the workspace.
    OwnerInactive,
    /// The workspace has tokens turned off.
    TokensOff,
    /// A legacy token, while the workspace has legacy tokens turned off.
    LegacyTokensOff,
}

impl OwnerStanding {
    /// The role the owner acts with, or why they may not act at all.
    pub fn judge(&self, kind: CredentialKind) -> Result<Role, NotInStanding> {
        let (true, Some(role)) = (self.owner_active, self.role) else {
            return Err(NotInStanding::OwnerInactive);
        };
        if !self.tokens_enabled {
            return Err(NotInStanding::TokensOff);
        }
        if kind == (CredentialKind::Legacy { allowed: false }) {
            return Err(NotInStanding::LegacyTokensOff);
        }
        Ok(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: OwnerStanding = OwnerStanding {
        owner_active: true,
        role: Some(Role::Member),
        tokens_enabled: true,
    };
    const OAUTH: CredentialKind = CredentialKind::OAuth;
    const LEGACY: CredentialKind = CredentialKind::Legacy { allowed: true };

    #[test]
    fn an_active_member_with_tokens_on_acts_with_their_role() {
        assert_eq!(GOOD.judge(OAUTH), Ok(Role::Member));
        assert_eq!(GOOD.judge(LEGACY), Ok(Role::Member));
        let admin = OwnerStanding {
            role: Some(Role::Admin),
            ..GOOD
        };
        assert_eq!(admin.judge(OAUTH), Ok(Role::Admin));
    }

    #[test]
    fn a_deactivated_owner_or_a_non_member_acts_with_no_kind_of_credential() {
        let deactivated = OwnerStanding {
            owner_active: false,
            ..GOOD
        };
        let outside = OwnerStanding { role: None, ..GOOD };
        for standing in [deactivated, outside] {
            for kind in [OAUTH, LEGACY] {
                assert_eq!(standing.judge(kind), Err(NotInStanding::OwnerInactive));
            }
        }
    }

    #[test]
    fn tokens_off_stops_every_kind_and_legacy_off_only_legacy_tokens() {
        let off = OwnerStanding {
            tokens_enabled: false,
            ..GOOD
        };
        assert_eq!(off.judge(OAUTH), Err(NotInStanding::TokensOff));
        assert_eq!(off.judge(LEGACY), Err(NotInStanding::TokensOff));
        let legacy_off = CredentialKind::Legacy { allowed: false };
        assert_eq!(GOOD.judge(legacy_off), Err(NotInStanding::LegacyTokensOff));
    }
}
