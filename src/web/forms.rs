//! Form bodies several pages read: a form that carries only its CSRF token (and
//! perhaps its way back), the set-a-new-password form with its errors by field,
//! and fields of a form read as name/value pairs (the checkbox forms, where a name
//! repeats).

use serde::Deserialize;

use crate::domain::password::PasswordError;
use crate::domain::Password;

use super::BackPath;

/// A form with nothing but the CSRF token: buttons that act on what their path
/// names (delete, sign out, accept, ...).
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf_token: String,
}

/// A button's form on a page that comes back where it was: the CSRF token and the
/// way back (a filtered, paged list).
#[derive(Deserialize)]
pub struct CsrfAndBack {
    #[serde(default)]
    pub csrf_token: String,
    /// Refused (400) as the form is read when it is not a path on this site.
    #[serde(default)]
    pub back: BackPath,
}

/// A new password typed twice, for someone else's account or one's first.
#[derive(Deserialize)]
pub struct NewPasswordInput {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirm_password: String,
}

impl NewPasswordInput {
    /// The new password of `username`, or why it is refused (the rule first, then
    /// the confirmation), beside the field it is about.
    pub fn password(&self, username: &str) -> Result<Password, PasswordErrors> {
        let password = Password::parse_new(self.new_password.clone(), username)
            .map_err(PasswordErrors::rule)?;
        if self.new_password != self.confirm_password {
            return Err(PasswordErrors::mismatch());
        }
        Ok(password)
    }
}

/// Why a password form was refused, by the field the page says it beside: the
/// server's answer is the truth, next to what it is about.
#[derive(Debug, Default)]
pub struct PasswordErrors {
    /// "Current password" (only Change Password has it).
    pub current: Option<String>,
    /// "New password": the rule and zxcvbn's advice.
    pub new: Option<String>,
    /// "Confirm new password".
    pub confirm: Option<String>,
}

impl PasswordErrors {
    /// The new password does not meet the rule.
    pub fn rule(e: PasswordError) -> Self {
        PasswordErrors {
            new: Some(e.to_string()),
            ..PasswordErrors::default()
        }
    }

    /// The current password offered is not the user's.
    pub fn wrong_current() -> Self {
        PasswordErrors {
            current: Some("The current password is not correct.".to_owned()),
            ..PasswordErrors::default()
        }
    }

    /// The confirmation differs from the new password.
    pub fn mismatch() -> Self {
        PasswordErrors {
            confirm: Some("The new password and its confirmation do not match.".to_owned()),
            ..PasswordErrors::default()
        }
    }
}

/// The first value of `name` in a form read as pairs, or "" when it is absent.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
