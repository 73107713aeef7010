//! User names: what people type to sign in.

use std::fmt;

/// The most characters a user name may have.
pub const MAX_CHARS: usize = 64;

/// A valid user name: 1 to 64 of ASCII letters, digits, `.`, `_`, `-` and `@`. ASCII
/// only, because the name travels in HTTP Basic credentials, whose encoding of
/// anything else differs from client to client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("User name cannot be empty.")]
    Empty,
    #[error("User name can be at most 64 characters.")]
    TooLong,
    #[error("User name can contain only ASCII letters, digits, '.', '_', '-' and '@'.")]
    BadCharacter,
}

impl Username {
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        if input.is_empty() {
            return Err(UsernameError::Empty);
        }
        if input.chars().count() > MAX_CHARS {
            return Err(UsernameError::TooLong);
        }
        if !input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(UsernameError::BadCharacter);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in ["admin", "jane.doe", "ops-bot_2", "a@example.com"] {
            assert!(Username::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn refuses_empty_long_and_odd_names() {
        assert_eq!(Username::parse(""), Err(UsernameError::Empty));
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(UsernameError::TooLong)
        );
        for n in ["a b", "a/b", "<script>", "a\n", "jürgen"] {
            assert_eq!(Username::parse(n), Err(UsernameError::BadCharacter), "{n}");
        }
    }
}
