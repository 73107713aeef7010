//! A workspace's token policy (Workspace Settings) and the rule that decides whether
//! a user may generate a token with a given lifetime. No I/O.

use super::ids::Role;
use super::lifetime::Lifetime;
use super::lifetime::MAX_DAYS;

/// "Maximum lifetime for user generated access tokens (days)".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxLifetime {
    /// `-1`: no limit beyond the instance's ten years.
    Unlimited,
    /// 1 to [`MAX_DAYS`] days.
    Days(i64),
}

impl MaxLifetime {
    /// From the stored or typed number of days: `-1`, or 1 to [`MAX_DAYS`].
    pub fn from_days(days: i64) -> Option<Self> {
        match days {
            -1 => Some(Self::Unlimited),
            1..=MAX_DAYS => Some(Self::Days(days)),
            _ => None,
        }
    }

    /// The number shown and stored: `-1` for unlimited.
    pub fn as_days(self) -> i64 {
        match self {
            Self::Unlimited => -1,
            Self::Days(d) => d,
        }
    }
}

/// Whether tokens may be generated and used in a workspace, and by whom for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// "API Access Token": off stops every token of the workspace and all generation.
    pub tokens_enabled: bool,
    /// "Allow users to generate access tokens": off (the default) lets only admins.
    pub members_may_generate: bool,
    /// Applies to every generated token, admins' included.
    pub max_lifetime: MaxLifetime,
    /// Whether "-1 = never expires" may be chosen at all.
    pub allow_never_expires: bool,
    /// "Allow legacy access tokens": off refuses the workspace's legacy access tokens
    /// (the `/v4/apiAccessTokens` kind) on use and their generation, for admins too;
    /// OAuth 2.0 API tokens are not affected.
    pub allow_legacy_tokens: bool,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            tokens_enabled: true,
            members_may_generate: false,
            max_lifetime: MaxLifetime::Unlimited,
            allow_never_expires: true,
            allow_legacy_tokens: true,
        }
    }
}

/// A setting the server kept other than asked, so that the settings never
/// contradict themselves (the page and the API say which, and why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// A maximum lifetime means every token expires: "Allow tokens that never
    /// expire" goes off with it, or the Generate form would offer -1 and refuse it.
    NeverExpiresTurnedOff,
}

impl Adjustment {
    /// What changed and why, as the Workspace Settings page says it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NeverExpiresTurnedOff => {
                "\u{201c}Allow tokens that never expire\u{201d} was turned off: a maximum lifetime is set, so every token expires."
            }
        }
    }
}

/// Why a token may not be generated; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyViolation {
    #[error("API access tokens are turned off in this workspace.")]
    TokensDisabled,
    #[error(
        "Legacy access tokens are turned off in this workspace. Use OAuth 2.0 API tokens instead."
    )]
    LegacyTokensDisabled,
    #[error("Only workspace admins may generate access tokens in this workspace.")]
    MembersMayNotGenerate,
    #[error("Tokens that never expire are not allowed in this workspace; the maximum lifetime is {}.", max_text(*.max_days))]
    NeverExpiresNotAllowed { max_days: Option<i64> },
    #[error("Lifetime can be at most {max_days} days in this workspace.")]
    LongerThanMaximum { max_days: i64 },
}

fn max_text(max_days: Option<i64>) -> String {
    match max_days {
        Some(d) => format!("{d} days"),
        None => format!("{MAX_DAYS} days"),
    }
}

impl PolicyViolation {
    /// A refusal of who is asking (403), as opposed to what they asked for (400).
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self,
            Self::TokensDisabled | Self::LegacyTokensDisabled | Self::MembersMayNotGenerate
        )
    }

    /// Whether a workspace admin could lift this refusal (so the user may ask one);
    /// a legacy token refused points to OAuth 2.0 API tokens instead.
    pub fn admin_could_allow(&self) -> bool {
        !matches!(self, Self::LegacyTokensDisabled)
    }
}

impl TokenPolicy {
    /// May someone with `role` generate a legacy access token living `lifetime` here?
    /// The one check of the page and the API; OAuth 2.0 API tokens use
    /// [`Self::check_generate`], which "Allow legacy access tokens" does not affect.
    pub fn check_generate_legacy(
        &self,
        role: Role,
        lifetime: Lifetime,
    ) -> Result<(), PolicyViolation> {
        match self.legacy_generation_refused(role) {
            Some(refused) => Err(refused),
            None => self.check_lifetime(lifetime),
        }
    }

    /// Why someone with `role` may not generate a legacy access token here at all,
    /// if so. Legacy tokens turned off refuses admins too, and is said before "only
    /// admins", because no admin can help: the way forward is OAuth 2.0 API tokens.
    pub fn legacy_generation_refused(&self, role: Role) -> Option<PolicyViolation> {
        if self.tokens_enabled && !self.allow_legacy_tokens {
            Some(PolicyViolation::LegacyTokensDisabled)
        } else {
            self.generation_refused(role)
        }
    }

    /// May someone with `role` generate a token living `lifetime` here? Whatever
    /// the kind of token; see [`Self::check_generate_legacy`] for legacy ones.
    pub fn check_generate(&self, role: Role, lifetime: Lifetime) -> Result<(), PolicyViolation> {
        if !self.tokens_enabled {
            return Err(PolicyViolation::TokensDisabled);
        }
        if role != Role::Admin && !self.members_may_generate {
            return Err(PolicyViolation::MembersMayNotGenerate);
        }
        self.check_lifetime(lifetime)
    }

    /// Does `lifetime` fit the workspace's limits?
    pub fn check_lifetime(&self, lifetime: Lifetime) -> Result<(), PolicyViolation> {
        let max_days = match self.max_lifetime {
            MaxLifetime::Unlimited => None,
            MaxLifetime::Days(d) => Some(d),
        };
        match (lifetime, max_days) {
            (Lifetime::Never, _) if !self.allow_never_expires => {
                Err(PolicyViolation::NeverExpiresNotAllowed { max_days })
            }
            (Lifetime::Never, Some(max_days)) => {
                Err(PolicyViolation::LongerThanMaximum { max_days })
            }
            (Lifetime::Seconds(s), Some(max_days)) if s > max_days * 86_400 => {
                Err(PolicyViolation::LongerThanMaximum { max_days })
            }
            _ => Ok(()),
        }
    }

    /// Why someone with `role` may not generate a token here at all, if so.
    pub fn generation_refused(&self, role: Role) -> Option<PolicyViolation> {
        if !self.tokens_enabled {
            Some(PolicyViolation::TokensDisabled)
        } else if role != Role::Admin && !self.members_may_generate {
            Some(PolicyViolation::MembersMayNotGenerate)
        } else {
            None
        }
    }

    /// The policy as it is kept, and what had to change for it: a maximum lifetime
    /// turns never-expiring tokens off. Idempotent.
    pub fn normalized(self) -> (Self, Vec<Adjustment>) {
        let mut adjustments = Vec::new();
        let mut kept = self;
        if kept.max_days().is_some() && kept.allow_never_expires {
            kept.allow_never_expires = false;
            adjustments.push(Adjustment::NeverExpiresTurnedOff);
        }
        (kept, adjustments)
    }

    /// The lifetime limits to explain next to the field, when there are any.
    pub fn lifetime_hint(&self) -> Option<String> {
        match (self.max_lifetime, self.allow_never_expires) {
            (MaxLifetime::Unlimited, true) => None,
            (MaxLifetime::Unlimited, false) => {
                Some("In this workspace, tokens must expire: -1 is not allowed.".into())
            }
            (MaxLifetime::Days(d), _) => Some(format!(
                "In this workspace, tokens can live at most {d} days: -1 is not allowed."
            )),
        }
    }

    /// The workspace's maximum lifetime in days, if it has one.
    pub fn max_days(&self) -> Option<i64> {
        match self.max_lifetime {
            MaxLifetime::Days(d) => Some(d),
            MaxLifetime::Unlimited => None,
        }
    }

    /// The lifetime the form proposes: the usual default, within the maximum.
    pub fn default_days(&self, usual: i64) -> i64 {
        match self.max_lifetime {
            MaxLifetime::Days(d) => usual.min(d),
            MaxLifetime::Unlimited => usual,
        }
    }

    /// Whether a token a `role` generated with the given span (`None`: never
    /// expires) would be refused today: what "tightening a policy" counts. Tokens
    /// that stop working anyway ("API Access Token" or "Allow legacy access tokens"
    /// off) are not counted: they are refused on use, and kept so that turning the
    /// switch back on brings them back.
    pub fn breaks(&self, owner_role: Role, lifetime_seconds: Option<i64>) -> bool {
        if owner_role != Role::Admin && !self.members_may_generate {
            return true;
        }
        let lifetime = match lifetime_seconds {
            None => Lifetime::Never,
            Some(s) => Lifetime::Seconds(s),
        };
        self.check_lifetime(lifetime).is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn by_default_only_admins_generate_and_any_lifetime_goes() {
        let p = TokenPolicy::default();
        assert_eq!(p.check_generate(Role::Admin, Lifetime::Never), Ok(()));
        assert_eq!(
            p.check_generate(Role::Member, Lifetime::Seconds(DAY)),
            Err(PolicyViolation::MembersMayNotGenerate)
        );
    }

    #[test]
    fn the_maximum_applies_to_everyone_and_rules_out_never() {
        let p = TokenPolicy {
            members_may_generate: true,
            max_lifetime: MaxLifetime::Days(30),
            ..TokenPolicy::default()
        };
        assert_eq!(
            p.check_generate(Role::Member, Lifetime::Seconds(30 * DAY)),
            Ok(())
        );
        let over = p.check_generate(Role::Admin, Lifetime::Seconds(30 * DAY + 1));
        assert_eq!(
            over,
            Err(PolicyViolation::LongerThanMaximum { max_days: 30 })
        );
        assert_eq!(
            over.unwrap_err().to_string(),
            "Lifetime can be at most 30 days in this workspace."
        );
        assert!(p.check_generate(Role::Admin, Lifetime::Never).is_err());
    }

    #[test]
    fn never_expiring_can_be_forbidden_without_a_maximum() {
        let p = TokenPolicy {
            allow_never_expires: false,
            ..TokenPolicy::default()
        };
        let err = p.check_generate(Role::Admin, Lifetime::Never).unwrap_err();
        assert!(!err.is_access_denied());
        assert_eq!(
            p.check_generate(Role::Admin, Lifetime::Seconds(DAY)),
            Ok(())
        );
    }

    #[test]
    fn turned_off_nobody_generates() {
        let p = TokenPolicy {
            tokens_enabled: false,
            ..TokenPolicy::default()
        };
        let err = p
            .check_generate(Role::Admin, Lifetime::Seconds(DAY))
            .unwrap_err();
        assert!(err.is_access_denied());
    }

    #[test]
    fn legacy_tokens_turned_off_refuses_their_generation_for_admins_too_and_nothing_else() {
        let p = TokenPolicy {
            members_may_generate: true,
            allow_legacy_tokens: false,
            ..TokenPolicy::default()
        };
        for role in [Role::Admin, Role::Member] {
            let err = p
                .check_generate_legacy(role, Lifetime::Seconds(DAY))
                .unwrap_err();
            assert_eq!(err, PolicyViolation::LegacyTokensDisabled);
            assert!(err.is_access_denied());
            assert!(!err.admin_could_allow());
            assert_eq!(
                err.to_string(),
                "Legacy access tokens are turned off in this workspace. \
                 Use OAuth 2.0 API tokens instead."
            );
            assert_eq!(p.legacy_generation_refused(role), Some(err));
            // OAuth 2.0 API tokens go through the general check, which ignores it.
            assert_eq!(p.check_generate(role, Lifetime::Seconds(DAY)), Ok(()));
        }
    }

    #[test]
    fn all_tokens_turned_off_is_said_before_legacy_tokens_turned_off() {
        let p = TokenPolicy {
            tokens_enabled: false,
            allow_legacy_tokens: false,
            ..TokenPolicy::default()
        };
        assert_eq!(
            p.legacy_generation_refused(Role::Admin),
            Some(PolicyViolation::TokensDisabled)
        );
    }

    #[test]
    fn with_legacy_tokens_allowed_the_legacy_check_is_the_general_one() {
        let p = TokenPolicy {
            max_lifetime: MaxLifetime::Days(7),
            ..TokenPolicy::default()
        };
        for (role, lifetime) in [
            (Role::Admin, Lifetime::Seconds(DAY)),
            (Role::Admin, Lifetime::Seconds(8 * DAY)),
            (Role::Member, Lifetime::Seconds(DAY)),
        ] {
            assert_eq!(
                p.check_generate_legacy(role, lifetime),
                p.check_generate(role, lifetime)
            );
        }
    }

    #[test]
    fn tightening_counts_what_would_no_longer_be_allowed() {
        let p = TokenPolicy {
            max_lifetime: MaxLifetime::Days(7),
            ..TokenPolicy::default()
        };
        assert!(
            p.breaks(Role::Member, Some(DAY)),
            "members may not generate"
        );
        assert!(!p.breaks(Role::Admin, Some(7 * DAY)));
        assert!(p.breaks(Role::Admin, Some(8 * DAY)));
        assert!(p.breaks(Role::Admin, None));
    }

    #[test]
    fn a_maximum_lifetime_turns_never_expiring_tokens_off_and_says_so() {
        let asked = TokenPolicy {
            max_lifetime: MaxLifetime::Days(30),
            ..TokenPolicy::default()
        };
        let (kept, adjustments) = asked.normalized();
        assert!(!kept.allow_never_expires);
        assert_eq!(adjustments, [Adjustment::NeverExpiresTurnedOff]);
        assert_eq!(kept.normalized(), (kept, vec![]), "idempotent");
        let unlimited = TokenPolicy::default();
        assert_eq!(unlimited.normalized(), (unlimited, vec![]));
    }

    #[test]
    fn max_lifetime_days_are_minus_one_or_one_to_ten_years() {
        assert_eq!(MaxLifetime::from_days(-1), Some(MaxLifetime::Unlimited));
        assert_eq!(MaxLifetime::from_days(0), None);
        assert_eq!(MaxLifetime::from_days(MAX_DAYS + 1), None);
        assert_eq!(
            MaxLifetime::from_days(90).map(MaxLifetime::as_days),
            Some(90)
        );
    }
}
