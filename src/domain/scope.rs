//! Scopes: the names a token may carry, which covers which, what each lets a token do on this server's routes, and who may put one on a token. No I/O.
//!
//! Built-in scopes govern this server's own routes; service scopes, which a
//! workspace's admins name for their own services, govern `/auth/verify` only.
//! `api` covers `read_api` and `tokens`, and `admin` while its owner is a workspace
//! admin; nothing but a service scope itself covers a service scope.

use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, LazyLock};

/// The longest scope name.
pub const MAX_NAME_CHARS: usize = 64;
/// The most service scopes a workspace may define.
pub const MAX_SERVICE_SCOPES: usize = 100;

/// The scopes this server defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// Everything the owner may do (the default).
    Api,
    /// Every `GET` the owner may do.
    ReadApi,
    /// List, create and delete the owner's own tokens.
    Tokens,
    /// The workspace-admin routes, while the owner is a workspace admin.
    Admin,
}

impl Builtin {
    pub const ALL: [Builtin; 4] = [
        Builtin::Api,
        Builtin::ReadApi,
        Builtin::Tokens,
        Builtin::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::Api => "api",
            Builtin::ReadApi => "read_api",
            Builtin::Tokens => "tokens",
            Builtin::Admin => "admin",
        }
    }

    /// The one-line explanation the Generate dialogs show beside the checkbox.
    pub fn explanation(self) -> &'static str {
        match self {
            Builtin::Api => "Full access: everything you may do.",
            Builtin::ReadApi => "Read only: every GET you may do; anything else is refused.",
            Builtin::Tokens => "List, create and delete your own tokens, nothing else.",
            Builtin::Admin => "The workspace-admin routes, only while you are a workspace admin.",
        }
    }

    fn of(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.as_str() == name)
    }
}

/// Why a scope name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeNameError {
    #[error("A scope name cannot be empty.")]
    Empty,
    #[error("A scope name has at most {MAX_NAME_CHARS} characters.")]
    TooLong,
    #[error(
        "A scope name may hold only lower-case letters, digits, \u{201c}:\u{201d}, \u{201c}.\u{201d}, \u{201c}-\u{201d} and \u{201c}_\u{201d}."
    )]
    Characters,
}

/// A well-formed scope name: a built-in one, or one a service scope may have.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeName(String);

impl ScopeName {
    pub fn parse(raw: &str) -> Result<Self, ScopeNameError> {
        Self::check(raw).map(|()| ScopeName(raw.to_owned()))
    }

    /// Whether `raw` is a well-formed name, without making one.
    fn check(raw: &str) -> Result<(), ScopeNameError> {
        if raw.is_empty() {
            return Err(ScopeNameError::Empty);
        }
        if raw.chars().count() > MAX_NAME_CHARS {
            return Err(ScopeNameError::TooLong);
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ":.-_".contains(c);
        if !raw.chars().all(allowed) {
            return Err(ScopeNameError::Characters);
        }
        Ok(())
    }

    pub fn builtin(b: Builtin) -> Self {
        ScopeName(b.as_str().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in scope this is, if it is one.
    pub fn as_builtin(&self) -> Option<Builtin> {
        Builtin::of(&self.0)
    }
}

/// Sets of names are looked up by `&str` (a proxy's header), with no allocation.
impl Borrow<str> for ScopeName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ScopeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The scopes on a token, sorted. Shared, so that a clone (every request a cached
/// token makes carries its scopes) copies no name, and kept with its stored form,
/// which `/auth/verify` sends on every answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSet(Arc<Scopes>);

#[derive(Debug, PartialEq, Eq)]
struct Scopes {
    names: BTreeSet<ScopeName>,
    /// Sorted, space-separated.
    stored: String,
}

/// Full access, made once: most tokens hold it, and a list of them reads it per row.
static FULL_ACCESS: LazyLock<ScopeSet> = LazyLock::new(|| ScopeSet::of(&[Builtin::Api]));

impl Default for ScopeSet {
    /// The seed's behaviour: full access.
    fn default() -> Self {
        FULL_ACCESS.clone()
    }
}

impl ScopeSet {
    /// From names already checked.
    pub fn new(names: BTreeSet<ScopeName>) -> Self {
        let stored = names
            .iter()
            .map(ScopeName::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        ScopeSet(Arc::new(Scopes { names, stored }))
    }

    pub fn of(builtins: &[Builtin]) -> Self {
        ScopeSet::new(builtins.iter().map(|b| ScopeName::builtin(*b)).collect())
    }

    /// From the stored form (names separated by spaces, as in a JWT's `scope`).
    /// Rows from before scopes, and an absent claim, hold full access; a name that
    /// does not read is dropped, never widened.
    pub fn from_stored(stored: Option<&str>) -> Self {
        let Some(stored) = stored else {
            return ScopeSet::default();
        };
        if stored == FULL_ACCESS.as_stored() {
            return FULL_ACCESS.clone();
        }
        ScopeSet::new(
            stored
                .split_ascii_whitespace()
                .filter_map(|s| ScopeName::parse(s).ok())
                .collect(),
        )
    }

    /// The stored form, and the OAuth `scope` parameter's: sorted, space-separated.
    pub fn to_stored(&self) -> String {
        self.0.stored.clone()
    }

    /// The stored form, borrowed.
    pub fn as_stored(&self) -> &str {
        &self.0.stored
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.names.iter().map(ScopeName::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ScopeName> {
        self.0.names.iter()
    }

    pub fn has(&self, b: Builtin) -> bool {
        self.0.names.contains(b.as_str())
    }

    pub fn contains(&self, name: &ScopeName) -> bool {
        self.0.names.contains(name)
    }

    /// What counts now: the built-in scopes (`admin` only while the owner is a
    /// workspace admin), and the service scopes the workspace still defines (one
    /// removed from its list stops counting on every token).
    pub fn effective(&self, defined: &ServiceScopes, owner_admin: bool) -> ScopeSet {
        let counts = |n: &ScopeName| match n.as_builtin() {
            Some(Builtin::Admin) => owner_admin,
            Some(_) => true,
            None => defined.defines(n),
        };
        // Usually every scope still counts: the same set, shared, not rebuilt
        // (an OAuth access token's scopes are judged on every request).
        if self.0.names.iter().all(counts) {
            return self.clone();
        }
        ScopeSet::new(self.0.names.iter().filter(|n| counts(n)).cloned().collect())
    }

    /// Whether these scopes cover `wanted`, for an owner who is (or is not) a
    /// workspace admin.
    pub fn covers(&self, wanted: &ScopeName, owner_admin: bool) -> bool {
        self.covers_name(wanted.as_str(), owner_admin)
    }

    /// As [`ScopeSet::covers`], for a name as a proxy wrote it: one that is not
    /// well formed is covered by nothing.
    pub fn covers_name(&self, wanted: &str, owner_admin: bool) -> bool {
        if ScopeName::check(wanted).is_err() {
            return false;
        }
        let builtin = Builtin::of(wanted);
        if self.0.names.contains(wanted) {
            return match builtin {
                Some(Builtin::Admin) => owner_admin,
                _ => true,
            };
        }
        match builtin {
            Some(Builtin::ReadApi | Builtin::Tokens) => self.has(Builtin::Api),
            Some(Builtin::Admin) => owner_admin && self.has(Builtin::Api),
            Some(Builtin::Api) | None => false,
        }
    }

    /// The scopes a refresh asks for (RFC 6749 section 6): each must be one of the
    /// grant's own; `Err` names those that are not.
    pub fn narrow_to(&self, wanted: &ScopeSet) -> Result<ScopeSet, Vec<String>> {
        let wider: Vec<String> = wanted
            .iter()
            .filter(|n| !self.contains(n))
            .map(|n| n.to_string())
            .collect();
        if wider.is_empty() {
            Ok(wanted.clone())
        } else {
            Err(wider)
        }
    }
}

/// What a route of this server is about, as far as scopes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteArea {
    /// The caller's own tokens (`/v4/apiAccessTokens`, `/v4/oauthTokens`).
    OwnTokens,
    /// The workspace-admin routes.
    WorkspaceAdmin,
    /// Anything else behind credentials (the instance routes, ...).
    Other,
    /// No scope needed (the OpenAPI document).
    Open,
}

impl RouteArea {
    /// The narrowest scope that opens a route of this area with this method, as the
    /// `scope` of an `insufficient_scope` challenge names it.
    pub fn needed(self, read_only: bool) -> Option<Builtin> {
        match (self, read_only) {
            (RouteArea::Open, _) => None,
            (RouteArea::OwnTokens, _) => Some(Builtin::Tokens),
            (RouteArea::WorkspaceAdmin, _) => Some(Builtin::Admin),
            (RouteArea::Other, true) => Some(Builtin::ReadApi),
            (RouteArea::Other, false) => Some(Builtin::Api),
        }
    }
}

/// Whether a token with `scopes` may call a route of `area` with a method that
/// only reads (`GET`, `HEAD`) or not. `Err` is the scope to name in the challenge.
/// Whether the owner may do it at all (an admin route for a member) is the route's
/// own check, made after this one; `admin` and `api` on an admin route open it only
/// as far as that check lets the owner in, so a demoted owner's `admin` token stops
/// at once.
pub fn permits(scopes: &ScopeSet, area: RouteArea, read_only: bool) -> Result<(), Builtin> {
    let Some(needed) = area.needed(read_only) else {
        return Ok(());
    };
    let allowed = scopes.has(Builtin::Api)
        || (read_only && scopes.has(Builtin::ReadApi))
        || match area {
            RouteArea::OwnTokens => scopes.has(Builtin::Tokens),
            RouteArea::WorkspaceAdmin => scopes.has(Builtin::Admin),
            RouteArea::Other | RouteArea::Open => false,
        };
    if allowed {
        Ok(())
    } else {
        Err(needed)
    }
}

/// Why a service-scope list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceScopesError {
    #[error("\u{201c}{name}\u{201d}: {error}")]
    Name { name: String, error: ScopeNameError },
    #[error("\u{201c}{0}\u{201d} is a built-in scope; a service scope needs a name of its own.")]
    Builtin(String),
    #[error("A workspace may define at most {MAX_SERVICE_SCOPES} service scopes.")]
    TooMany,
    #[error("Every member service scope must also be a service scope: {0}.")]
    MemberNotDefined(String),
}

/// A workspace's service scopes, and which of them every member may put on a
/// token (the others only admins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceScopes {
    all: BTreeSet<ScopeName>,
    members: BTreeSet<ScopeName>,
}

impl ServiceScopes {
    /// From names as an admin typed or sent them; duplicates are one.
    pub fn parse<S: AsRef<str>>(all: &[S], members: &[S]) -> Result<Self, ServiceScopesError> {
        let read = |names: &[S]| -> Result<BTreeSet<ScopeName>, ServiceScopesError> {
            names
                .iter()
                .map(|n| {
                    let n = n.as_ref().trim();
                    let name = ScopeName::parse(n).map_err(|error| ServiceScopesError::Name {
                        name: n.to_owned(),
                        error,
                    })?;
                    if name.as_builtin().is_some() {
                        return Err(ServiceScopesError::Builtin(n.to_owned()));
                    }
                    Ok(name)
                })
                .collect()
        };
        let all = read(all)?;
        let members = read(members)?;
        if all.len() > MAX_SERVICE_SCOPES {
            return Err(ServiceScopesError::TooMany);
        }
        let undefined: Vec<&str> = members
            .iter()
            .filter(|m| !all.contains(*m))
            .map(ScopeName::as_str)
            .collect();
        if !undefined.is_empty() {
            return Err(ServiceScopesError::MemberNotDefined(undefined.join(", ")));
        }
        Ok(ServiceScopes { all, members })
    }

    /// From the stored columns, which only [`ServiceScopes::parse`]d lists reach.
    pub fn from_stored(all: &str, members: &str) -> Self {
        let read = |s: &str| ScopeSet::from_stored(Some(s)).0.names.clone();
        let all = read(all);
        let members = read(members)
            .into_iter()
            .filter(|m| all.contains(m))
            .collect();
        ServiceScopes { all, members }
    }

    /// The stored columns: all, then members.
    pub fn to_stored(&self) -> (String, String) {
        let join = |s: &BTreeSet<ScopeName>| {
            s.iter()
                .map(ScopeName::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        };
        (join(&self.all), join(&self.members))
    }

    pub fn defines(&self, name: &ScopeName) -> bool {
        self.all.contains(name)
    }

    pub fn all(&self) -> impl Iterator<Item = &ScopeName> {
        self.all.iter()
    }

    pub fn for_members(&self) -> impl Iterator<Item = &ScopeName> {
        self.members.iter()
    }

    pub fn member_may_grant(&self, name: &ScopeName) -> bool {
        self.members.contains(name)
    }
}

#[cfg(test)]
#[path = "scope_tests.rs"]
mod tests;
