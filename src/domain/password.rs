//! A password in clear, as typed: kept out of `Debug` and logs.

/// The longest password accepted, in characters (as JSON Schema's `maxLength` counts);
/// longer input is refused rather than hashed.
pub const MAX_CHARS: usize = 1024;

/// A password in clear. It has no `Display`, and its `Debug` is redacted.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Password cannot be empty.")]
    Empty,
    #[error("Password can be at most 1024 characters.")]
    TooLong,
}

impl Password {
    /// A password chosen by a person: not empty, not absurdly long.
    pub fn parse_new(input: String) -> Result<Self, PasswordError> {
        if input.is_empty() {
            return Err(PasswordError::Empty);
        }
        if input.chars().count() > MAX_CHARS {
            return Err(PasswordError::TooLong);
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

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let p = Password::parse_new("hunter2".into()).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn empty_is_refused() {
        assert_eq!(
            Password::parse_new(String::new()).err(),
            Some(PasswordError::Empty)
        );
    }

    #[test]
    fn generated_passwords_differ() {
        assert_ne!(Password::generate().expose(), Password::generate().expose());
        assert_eq!(Password::generate().expose().len(), 24);
    }
}
