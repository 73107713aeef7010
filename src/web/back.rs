//! A form's way back (`back`): parsed once, as the form is read, into a path on this
//! site that is always a valid, percent-encoded `Location`.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Deserializer};

use super::error::PageError;

/// The longest way back accepted, in bytes as sent (a page address with its filters
/// is far shorter).
const MAX_BYTES: usize = 2048;

/// What is percent-encoded on the way to `Location`: besides every non-ASCII byte
/// (always encoded), the ASCII a URL may not hold raw. `%` stays as sent, so an
/// address that is already encoded keeps its meaning.
const NOT_IN_A_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'^');

/// A same-site absolute path (one leading `/`, no scheme or host, no `//` or `/\`,
/// no control characters), percent-encoded; or nothing, when the form sent none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackPath(Option<String>);

/// Why a way back was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The way back must be a path on this site.")]
pub struct BadBack;

impl BackPath {
    /// Parses a way back as the form sent it (already form-decoded).
    pub fn parse(raw: &str) -> Result<Self, BadBack> {
        if raw.is_empty() {
            return Ok(Self(None));
        }
        let same_site = raw.starts_with('/') && !raw.starts_with("//");
        // A backslash counts as a slash to browsers (`/\evil.example`); a control
        // character cannot go into a header at all.
        if !same_site
            || raw.len() > MAX_BYTES
            || raw.contains(|c: char| c == '\\' || c.is_control())
        {
            return Err(BadBack);
        }
        Ok(Self(Some(
            utf8_percent_encode(raw, NOT_IN_A_PATH).to_string(),
        )))
    }

    /// The `back` field of a form read as pairs (one that repeats a field).
    pub fn from_pairs(form: &[(String, String)]) -> Result<Self, PageError> {
        let raw = form
            .iter()
            .find(|(k, _)| k == "back")
            .map_or("", |(_, v)| v.as_str());
        Self::parse(raw).map_err(|e| PageError::BadRequest(e.to_string()))
    }

    /// Where to go: this path when it is `page` itself or `page` with a query string,
    /// `page` otherwise, so a form's way back never leaves the page it came from.
    pub fn within<'a>(&'a self, page: &'a str) -> &'a str {
        match &self.0 {
            Some(back)
                if back == page
                    || back
                        .strip_prefix(page)
                        .is_some_and(|rest| rest.starts_with('?')) =>
            {
                back
            }
            _ => page,
        }
    }
}

impl<'de> Deserialize<'de> for BackPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "/admin/access-tokens";

    fn back(raw: &str) -> Result<String, BadBack> {
        BackPath::parse(raw).map(|b| b.within(PAGE).to_owned())
    }

    #[test]
    fn a_way_back_on_the_page_is_kept() {
        assert_eq!(
            back("/admin/access-tokens?page=2").unwrap(),
            "/admin/access-tokens?page=2"
        );
        assert_eq!(back(PAGE).unwrap(), PAGE);
    }

    #[test]
    fn none_or_another_page_of_this_site_goes_to_the_page() {
        assert_eq!(back("").unwrap(), PAGE);
        assert_eq!(back("/admin/access-tokensX").unwrap(), PAGE);
        assert_eq!(back("/preferences").unwrap(), PAGE);
    }

    #[test]
    fn anything_but_a_path_on_this_site_is_refused() {
        for bad in [
            "/admin/access-tokens?\u{1}",
            "/admin/access-tokens?a\r\nSet-Cookie: x=y",
            "/admin/access-tokens?\u{7f}",
            "/admin/access-tokens?\u{85}",
            "//evil.example/admin/access-tokens",
            "/\\evil.example",
            "https://evil.example/admin/access-tokens",
            "admin/access-tokens",
            " /admin/access-tokens",
        ] {
            assert_eq!(BackPath::parse(bad), Err(BadBack), "{bad:?}");
        }
        assert_eq!(
            BackPath::parse(&format!("/{}", "a".repeat(MAX_BYTES))),
            Err(BadBack)
        );
    }

    #[test]
    fn non_ascii_and_unsafe_ascii_are_percent_encoded() {
        assert_eq!(
            back("/admin/access-tokens?owner=jörg smith").unwrap(),
            "/admin/access-tokens?owner=j%C3%B6rg%20smith"
        );
        // Already encoded: kept as sent.
        assert_eq!(
            back("/admin/access-tokens?owner=j%C3%B6rg").unwrap(),
            "/admin/access-tokens?owner=j%C3%B6rg"
        );
        let encoded = back("/admin/access-tokens?q=<\"`{}|^>").unwrap();
        assert!(actix_web::http::header::HeaderValue::from_str(&encoded).is_ok());
        assert!(encoded.is_ascii());
    }
}
