//! How long a token lives: a number of seconds, or never expiring (`-1`).

use super::time::Timestamp;

/// The longest lifetime a token may have: ten years of 365 days.
pub const MAX_DAYS: i64 = 3650;
/// [`MAX_DAYS`] in seconds.
pub const MAX_SECONDS: i64 = MAX_DAYS * 86_400;
/// The lifetime the page proposes.
pub const DEFAULT_DAYS: i64 = 365;

/// A valid token lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// The token never expires (`-1` in the API and the page).
    Never,
    /// The token expires this many seconds after its creation (1 to [`MAX_SECONDS`]).
    Seconds(i64),
}

/// Why a lifetime was refused; the message is shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifetimeError {
    #[error("Lifetime must be -1 (never expires) or a positive number of {unit}.")]
    NotPositive { unit: &'static str },
    #[error("Lifetime can be at most {max} {unit} (ten years).")]
    TooLong { max: i64, unit: &'static str },
    #[error("Lifetime must be a whole number of days, or -1.")]
    NotANumber,
}

impl Lifetime {
    /// Parses the v4 API's `lifetimeSeconds`.
    pub fn from_seconds(seconds: i64) -> Result<Self, LifetimeError> {
        match seconds {
            -1 => Ok(Self::Never),
            s if s < 1 => Err(LifetimeError::NotPositive { unit: "seconds" }),
            s if s > MAX_SECONDS => Err(LifetimeError::TooLong {
                max: MAX_SECONDS,
                unit: "seconds",
            }),
            s => Ok(Self::Seconds(s)),
        }
    }

    /// Parses the page's "Lifetime (days)" field, exactly as typed.
    pub fn from_days_input(input: &str) -> Result<Self, LifetimeError> {
        let days: i64 = input
            .trim()
            .parse()
            .map_err(|_| LifetimeError::NotANumber)?;
        match days {
            -1 => Ok(Self::Never),
            d if d < 1 => Err(LifetimeError::NotPositive { unit: "days" }),
            d if d > MAX_DAYS => Err(LifetimeError::TooLong {
                max: MAX_DAYS,
                unit: "days",
            }),
            d => Ok(Self::Seconds(d * 86_400)),
        }
    }

    /// As the audit log says it: "never expires", "lifetime 90 days", or in the
    /// largest unit that divides it ("lifetime 2 hours", "lifetime 90 seconds").
    pub fn describe(self) -> String {
        match self {
            Self::Never => "never expires".to_owned(),
            Self::Seconds(s) => format!("lifetime {}", span(s)),
        }
    }

    /// When a token created at `created` with this lifetime expires.
    pub fn expiry(self, created: Timestamp) -> Option<Timestamp> {
        match self {
            Self::Never => None,
            Self::Seconds(s) => Some(created.plus_seconds(s)),
        }
    }
}

/// `seconds` in the largest unit that divides it: "90 days", "1 hour".
fn span(seconds: i64) -> String {
    let (n, unit) = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(size, _)| seconds % size == 0)
        .map_or((seconds, "second"), |(size, unit)| (seconds / size, unit));
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// An audit detail as people read it: a lifetime recorded in seconds by earlier
/// versions ("lifetime 7776000 seconds") said as [`Lifetime::describe`] says it;
/// anything else as stored.
pub fn readable_detail(detail: &str) -> std::borrow::Cow<'_, str> {
    let seconds = detail
        .strip_prefix("lifetime ")
        .and_then(|rest| rest.strip_suffix(" seconds"))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|s| *s > 0);
    match seconds {
        Some(s) => Lifetime::Seconds(s).describe().into(),
        None => detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_never_expires() {
        assert_eq!(Lifetime::from_seconds(-1), Ok(Lifetime::Never));
        assert_eq!(Lifetime::from_days_input("-1"), Ok(Lifetime::Never));
        assert_eq!(Lifetime::Never.expiry(Timestamp::from_millis(5)), None);
    }

    #[test]
    fn zero_and_below_minus_one_are_refused() {
        for s in [0, -2, i64::MIN] {
            assert!(Lifetime::from_seconds(s).is_err(), "{s}");
        }
        for d in ["0", "-2", "-100"] {
            assert!(Lifetime::from_days_input(d).is_err(), "{d}");
        }
    }

    #[test]
    fn more_than_ten_years_is_refused() {
        assert_eq!(
            Lifetime::from_seconds(MAX_SECONDS),
            Ok(Lifetime::Seconds(MAX_SECONDS))
        );
        assert!(Lifetime::from_seconds(MAX_SECONDS + 1).is_err());
        assert!(Lifetime::from_days_input("3650").is_ok());
        assert!(Lifetime::from_days_input("3651").is_err());
    }

    #[test]
    fn days_must_be_a_whole_number() {
        for d in ["", "abc", "1.5", "1e3", "99999999999999999999"] {
            assert_eq!(
                Lifetime::from_days_input(d),
                Err(LifetimeError::NotANumber),
                "{d}"
            );
        }
        assert_eq!(
            Lifetime::from_days_input(" 365 "),
            Ok(Lifetime::Seconds(365 * 86_400))
        );
    }

    #[test]
    fn expiry_is_creation_plus_lifetime() {
        let created = Timestamp::from_millis(1_000);
        assert_eq!(
            Lifetime::Seconds(100).expiry(created),
            Some(Timestamp::from_millis(101_000))
        );
    }

    #[test]
    fn the_audit_log_says_a_lifetime_in_days_when_it_is_whole_days() {
        assert_eq!(Lifetime::Never.describe(), "never expires");
        assert_eq!(
            Lifetime::Seconds(90 * 86_400).describe(),
            "lifetime 90 days"
        );
        assert_eq!(Lifetime::Seconds(86_400).describe(), "lifetime 1 day");
        assert_eq!(Lifetime::Seconds(7_200).describe(), "lifetime 2 hours");
        assert_eq!(Lifetime::Seconds(90).describe(), "lifetime 90 seconds");
        assert_eq!(
            readable_detail("lifetime 7776000 seconds"),
            "lifetime 90 days"
        );
        assert_eq!(readable_detail("lifetime 3600 seconds"), "lifetime 1 hour");
        assert_eq!(readable_detail("by admin: old"), "by admin: old");
    }
}
