//! A password in clear, as typed: kept out of `Debug` and logs; and the rule every
//! password that is set must meet.

/// The longest password accepted, in characters (as JSON Schema's `maxLength` counts);
/// longer input is refused rather than hashed.
pub const MAX_CHARS: usize = 1024;
/// The shortest password accepted, in characters.
pub const MIN_CHARS: usize = 12;
/// The lowest zxcvbn score accepted (0 to 4): 3 is "safely unguessable: moderate
/// protection from an offline slow-hash scenario" (about 10^10 guesses), which an
/// argon2id hash is.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// A password in clear. It has no `Display`, and its `Debug` is redacted.
#[derive(Clone)]
pub struct Password(String);

/// A password that does not meet the rule. One message wherever a password is set
/// (command line, pages, API), followed by zxcvbn's advice when it has some.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", RULE, advice.as_deref().map(|a| format!(" {a}")).unwrap_or_default())]
pub struct PasswordError {
    advice: Option<String>,
}

/// The fixed sentence of [`PasswordError`].
pub const RULE: &str =
    "Choose a password of 12 to 1,024 characters that is hard to guess (not based on the user name, a common word or a pattern).";

impl Password {
    /// A password being set for the user `username`: 12 to 1,024 characters and
    /// a zxcvbn score of at least 3 with the user name as context.
    pub fn parse_new(input: String, username: &str) -> Result<Self, PasswordError> {
        let chars = input.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
            return Err(PasswordError { advice: None });
        }
        // zxcvbn reads the first 100 characters only, so this is quick at any length.
        let estimate = zxcvbn::zxcvbn(&input, &[username]);
        if estimate.score() < MIN_SCORE {
            return Err(PasswordError {
                advice: estimate.feedback().map(advice).filter(|a| !a.is_empty()),
            });
        }
        Ok(Self(input))
    }

    /// A password offered at sign-in; checked against a hash, never stored.
    pub fn offered(input: String) -> Self {
        Self(input)
    }

    /// A random password of 24 URL-safe characters, for the first admin.
    pub fn generate() -> Self {
        use rand::distributions::{Alphanumeric, DistString};
        Self(Alphanumeric.sample_string(&mut rand::rngs::OsRng, 24))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// zxcvbn's warning and suggestions, as sentences.
fn advice(feedback: &zxcvbn::feedback::Feedback) -> String {
    let mut sentences: Vec<String> = feedback
        .warning()
        .map(|w| w.to_string())
        .into_iter()
        .collect();
    sentences.extend(feedback.suggestions().iter().map(ToString::to_string));
    sentences
        .into_iter()
        .map(|s| {
            let s = s.trim().to_owned();
            if s.ends_with(['.', '!', '?']) {
                s
            } else {
                format!("{s}.")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password((sensitive))")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRONG: &str = "correct horse battery staple";

    #[test]
    fn debug_never_shows_the_password() {
        let p = Password::parse_new(STRONG.into(), "bob").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn short_long_and_guessable_passwords_are_refused_with_one_message() {
        let too_long = "Zq9!".repeat(MAX_CHARS / 4) + "x";
        for weak in [
            "",
            "abc",
            "a",
            "Tr0ub4dor&3",
            &too_long,
            "password1234",
            "qwertyuiopasdf",
        ] {
            let e = Password::parse_new(weak.into(), "bob").unwrap_err();
            assert!(e.to_string().starts_with(RULE), "{weak}: {e}");
        }
    }

    #[test]
    fn the_user_name_counts_against_the_password() {
        // Strong enough for anyone but the user it is named after.
        let named = "montgomery.scott";
        assert!(Password::parse_new(format!("{named}1"), "alice").is_ok());
        assert!(Password::parse_new(format!("{named}1"), named).is_err());
    }

    #[test]
    fn zxcvbn_advice_follows_the_rule() {
        let e = Password::parse_new("password1234".into(), "bob").unwrap_err();
        assert!(e.to_string().len() > RULE.len(), "{e}");
    }

    #[test]
    fn a_strong_password_of_12_to_1024_characters_is_accepted() {
        assert!(Password::parse_new(STRONG.into(), "bob").is_ok());
        assert!(Password::parse_new("kT7#vQ2m!pLx".into(), "bob").is_ok());
        let longest = format!(
            "{}{}",
            Password::generate().expose(),
            "x".repeat(MAX_CHARS - 24)
        );
        assert!(Password::parse_new(longest, "bob").is_ok());
    }

    #[test]
    fn generated_passwords_differ() {
        assert_ne!(Password::generate().expose(), Password::generate().expose());
        assert_eq!(Password::generate().expose().len(), 24);
    }
}
