//! Form bodies several pages read: a form that carries only its CSRF token (and
//! perhaps its way back), the set-a-new-password form, and fields of a form read
//! as name/value pairs (the checkbox forms, where a name repeats).

use serde::Deserialize;

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
    /// the confirmation), as the page says it.
    pub fn password(&self, username: &str) -> Result<Password, String> {
        let password =
            Password::parse_new(self.new_password.clone(), username).map_err(|e| e.to_string())?;
        if self.new_password != self.confirm_password {
            return Err("The new password and its confirmation do not match.".to_owned());
        }
        Ok(password)
    }
}

/// The first value of `name` in a form read as pairs, or "" when it is absent.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}
