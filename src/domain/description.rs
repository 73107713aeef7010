//! A token's user-provided description: optional, at most 255 characters, one line.

/// The most characters a description may have.
pub const MAX_CHARS: usize = 255;

/// A valid, non-empty description. An absent or blank description is `None` at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("Description can be at most 255 characters.")]
    TooLong,
    #[error("Description cannot contain control characters such as line breaks.")]
    ControlCharacter,
}

impl Description {
    /// Parses user input; blank input means "no description".
    pub fn parse_optional(input: &str) -> Result<Option<Self>, DescriptionError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(DescriptionError::TooLong);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DescriptionError::ControlCharacter);
        }
        Ok(Some(Self(trimmed.to_owned())))
    }

    /// Wraps a value read back from storage, where it was validated on the way in.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_none() {
        assert_eq!(Description::parse_optional(""), Ok(None));
        assert_eq!(Description::parse_optional("   "), Ok(None));
    }

    #[test]
    fn counts_characters_not_bytes() {
        let ok = "é".repeat(255);
        assert!(Description::parse_optional(&ok).unwrap().is_some());
        let long = "é".repeat(256);
        assert_eq!(
            Description::parse_optional(&long),
            Err(DescriptionError::TooLong)
        );
    }

    #[test]
    fn refuses_line_breaks() {
        assert_eq!(
            Description::parse_optional("a\nb"),
            Err(DescriptionError::ControlCharacter)
        );
    }
}
