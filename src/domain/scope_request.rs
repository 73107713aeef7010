//! Who may put which scopes on a new token: the names asked, checked against the workspace's service scopes, the owner's role and the scopes of the token that asks. No I/O.

use std::collections::BTreeSet;
use std::fmt;

use super::scope::{Builtin, ScopeName, ScopeSet, ServiceScopes};

/// Why the scopes asked for a new token were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRequestError {
    /// 400: none asked (an empty list).
    Empty,
    /// 400: names that are neither built in nor the workspace's service scopes.
    Unknown(Vec<String>),
    /// 403: scopes the caller may not put on a token.
    NotGrantable(Vec<String>),
}

impl fmt::Display for ScopeRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Choose at least one scope."),
            Self::Unknown(names) => write!(
                f,
                "Unknown scope{}: {}. The scopes are api, read_api, tokens, admin and this workspace's service scopes.",
                plural(names),
                names.join(", ")
            ),
            Self::NotGrantable(names) => write!(
                f,
                "You may not put {} scope{} on a token: {}.",
                if names.len() == 1 { "this" } else { "these" },
                plural(names),
                names.join(", ")
            ),
        }
    }
}

fn plural(names: &[String]) -> &'static str {
    if names.len() == 1 {
        ""
    } else {
        "s"
    }
}

/// The scopes for a new token, from the names asked (`None`: the default, full
/// access). `caller` is the scopes of the token that asks (`None` for a password
/// or a browser session, which act as the whole owner): a token creates only
/// tokens whose scopes it covers. `admin` needs an owner who is a workspace admin;
/// a service scope, one the workspace defines, and an admin unless the workspace
/// lets every member grant it.
pub fn requested(
    asked: Option<&[String]>,
    defined: &ServiceScopes,
    owner_admin: bool,
    caller: Option<&ScopeSet>,
) -> Result<ScopeSet, ScopeRequestError> {
    let Some(asked) = asked else {
        return grantable(ScopeSet::default(), defined, owner_admin, caller);
    };
    if asked.is_empty() {
        return Err(ScopeRequestError::Empty);
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut names = BTreeSet::new();
    for raw in asked {
        match ScopeName::parse(raw) {
            Ok(n) if n.as_builtin().is_some() || defined.defines(&n) => {
                names.insert(n);
            }
            _ => {
                if !unknown.contains(raw) {
                    unknown.push(raw.clone());
                }
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ScopeRequestError::Unknown(unknown));
    }
    grantable(ScopeSet::new(names), defined, owner_admin, caller)
}

/// Whether an owner (a workspace admin or not) may put `name` on a token at all:
/// the rule [`requested`] applies to each name, which the Generate dialogs ask
/// to offer only what would be accepted.
pub fn owner_may_grant(name: &ScopeName, defined: &ServiceScopes, owner_admin: bool) -> bool {
    match name.as_builtin() {
        Some(Builtin::Admin) => owner_admin,
        Some(_) => true,
        None => defined.defines(name) && (owner_admin || defined.member_may_grant(name)),
    }
}

fn grantable(
    set: ScopeSet,
    defined: &ServiceScopes,
    owner_admin: bool,
    caller: Option<&ScopeSet>,
) -> Result<ScopeSet, ScopeRequestError> {
    let refused: Vec<String> = set
        .iter()
        .filter(|n| {
            !owner_may_grant(n, defined, owner_admin)
                || caller.is_some_and(|c| !c.covers(n, owner_admin))
        })
        .map(|n| n.to_string())
        .collect();
    if refused.is_empty() {
        Ok(set)
    } else {
        Err(ScopeRequestError::NotGrantable(refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &str) -> ScopeSet {
        ScopeSet::from_stored(Some(names))
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn requested_scopes_are_checked_for_the_owner_and_the_calling_token() {
        let defined = ServiceScopes::parse(&["deploy", "reports:read"], &["reports:read"]).unwrap();
        let ask = |names: &[&str], admin: bool, caller: Option<&str>| {
            let caller = caller.map(set);
            requested(Some(&strings(names)), &defined, admin, caller.as_ref())
        };
        assert_eq!(
            requested(None, &defined, false, None).unwrap().to_stored(),
            "api"
        );
        assert_eq!(ask(&[], true, None), Err(ScopeRequestError::Empty));
        assert_eq!(
            ask(&["nope", "read_api", "nope"], true, None),
            Err(ScopeRequestError::Unknown(strings(&["nope"])))
        );
        assert_eq!(
            ask(&["admin", "deploy", "reports:read"], false, None),
            Err(ScopeRequestError::NotGrantable(strings(&[
                "admin", "deploy"
            ])))
        );
        assert!(ask(&["admin", "deploy"], true, None).is_ok());
        // A tokens-scoped token mints only what it covers.
        assert_eq!(
            ask(&["api"], true, Some("tokens")),
            Err(ScopeRequestError::NotGrantable(strings(&["api"])))
        );
        assert_eq!(
            ask(&["read_api"], true, Some("tokens")),
            Err(ScopeRequestError::NotGrantable(strings(&["read_api"])))
        );
        assert!(ask(&["tokens"], false, Some("tokens")).is_ok());
        assert_eq!(
            requested(None, &defined, true, Some(&set("tokens"))),
            Err(ScopeRequestError::NotGrantable(strings(&["api"])))
        );
        assert!(ask(&["read_api", "tokens"], false, Some("api")).is_ok());
        assert_eq!(
            ask(&["deploy"], true, Some("api")),
            Err(ScopeRequestError::NotGrantable(strings(&["deploy"])))
        );
        assert!(ask(&["deploy"], true, Some("api deploy")).is_ok());
    }
}
