//! A workspace's name: what `X-Workspace` and the switcher use.

use std::fmt;

/// 1 to 64 ASCII letters, digits, `.`, `_` and `-` (so that it travels in the
/// `X-Workspace` header as is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("A workspace name is 1 to 64 ASCII letters, digits, '.', '_' or '-'.")]
pub struct WorkspaceNameError;

impl WorkspaceName {
    pub fn parse(input: &str) -> Result<Self, WorkspaceNameError> {
        let ok = (1..=64).contains(&input.chars().count())
            && input
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(WorkspaceNameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_header_safe() {
        assert!(WorkspaceName::parse("research-2").is_ok());
        for bad in ["", "two words", "a\nb", &"x".repeat(65)] {
            assert_eq!(
                WorkspaceName::parse(bad),
                Err(WorkspaceNameError),
                "{bad:?}"
            );
        }
    }
}
