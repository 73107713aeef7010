//! What an admin asks of the workspace's tokens: which (owner, status), in what order,
//! which slice. Parsed once at the edge (page query string or API query string);
//! the storage layer turns a [`TokenQuery`] into SQL.

use super::scope::ScopeName;
use super::time::Timestamp;

/// A token expiring within this many days is marked "Expires soon".
pub const EXPIRES_SOON_DAYS: i64 = 7;
/// A token not used for this many days is "not used in 90 days".
pub const NOT_USED_DAYS: i64 = 90;
/// Rows per page on the admin page, and the API's default `limit`.
pub const PAGE_SIZE: i64 = 50;
/// The largest `limit` the API accepts.
pub const MAX_LIMIT: i64 = 500;
/// The most token ids one bulk delete takes.
pub const MAX_BULK_DELETE: usize = 1000;

const DAY_SECONDS: i64 = 24 * 60 * 60;

/// Whether an active token expires within [`EXPIRES_SOON_DAYS`] of `now`.
pub fn expires_soon(expires_at: Option<Timestamp>, now: Timestamp) -> bool {
    matches!(expires_at, Some(e) if e > now && e <= soon_limit(now))
}

/// The instant up to which an expiry counts as "soon".
pub fn soon_limit(now: Timestamp) -> Timestamp {
    now.plus_seconds(EXPIRES_SOON_DAYS * DAY_SECONDS)
}

/// Tokens last used (or, never used, created) before this instant are "not used in
/// 90 days".
pub fn unused_since(now: Timestamp) -> Timestamp {
    now.plus_seconds(-NOT_USED_DAYS * DAY_SECONDS)
}

/// The status filter of the admin view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Not expired (includes "expires soon" and "never expires").
    Active,
    /// Past its expiry instant.
    Expired,
    /// Active, and expires within [`EXPIRES_SOON_DAYS`].
    ExpiresSoon,
    /// Created with lifetime -1.
    NeverExpires,
    /// Last used more than [`NOT_USED_DAYS`] ago, or never used and created more
    /// than [`NOT_USED_DAYS`] ago (a token made yesterday is not "unused" yet).
    NotUsed90Days,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 5] = [
        StatusFilter::Active,
        StatusFilter::Expired,
        StatusFilter::ExpiresSoon,
        StatusFilter::NeverExpires,
        StatusFilter::NotUsed90Days,
    ];

    /// The query-string value.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Active => "active",
            StatusFilter::Expired => "expired",
            StatusFilter::ExpiresSoon => "expiresSoon",
            StatusFilter::NeverExpires => "neverExpires",
            StatusFilter::NotUsed90Days => "notUsed90Days",
        }
    }

    /// What the page's filter shows.
    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Active => "Active",
            StatusFilter::Expired => "Expired",
            StatusFilter::ExpiresSoon => "Expires soon",
            StatusFilter::NeverExpires => "Never expires",
            StatusFilter::NotUsed90Days => "Not used in 90 days",
        }
    }

    /// Reads a query-string value; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The column the admin view sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    /// Never-expiring tokens count as expiring last.
    Expires,
    /// Never-used tokens count as used first (longest ago).
    LastUsed,
    /// The owner's username.
    Owner,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Created,
        SortKey::Expires,
        SortKey::LastUsed,
        SortKey::Owner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Created => "created",
            SortKey::Expires => "expires",
            SortKey::LastUsed => "lastUsed",
            SortKey::Owner => "owner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Created => "Created",
            SortKey::Expires => "Expires",
            SortKey::LastUsed => "Last used",
            SortKey::Owner => "Owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The order a column starts in: newest first for times, A to Z for owners.
    pub fn default_order(self) -> SortOrder {
        match self {
            SortKey::Owner => SortOrder::Asc,
            _ => SortOrder::Desc,
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "asc" => Some(SortOrder::Asc),
            "desc" => Some(SortOrder::Desc),
            _ => None,
        }
    }

    pub fn reversed(self) -> Self {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
}

/// One request for a slice of a workspace's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenQuery {
    /// An owner's exact username.
    pub owner: Option<String>,
    pub status: Option<StatusFilter>,
    /// Tokens that carry this scope (as stored, whether or not it counts now).
    pub scope: Option<ScopeName>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: i64,
    pub offset: i64,
}

impl Default for TokenQuery {
    fn default() -> Self {
        TokenQuery {
            owner: None,
            status: None,
            scope: None,
            sort: SortKey::Created,
            order: SortOrder::Desc,
            limit: PAGE_SIZE,
            offset: 0,
        }
    }
}

/// A query-string parameter that is not valid, with why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// The parameter's name, as the query string spells it.
    pub field: &'static str,
    pub message: String,
}

impl QueryError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        QueryError {
            field,
            message: message.into(),
        }
    }
}

/// The raw query-string values, before parsing. Blank means absent.
#[derive(Debug, Default, Clone)]
pub struct RawTokenQuery<'a> {
    pub owner: Option<&'a str>,
    pub status: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub order: Option<&'a str>,
}

/// The `scope` filter: absent for none, else a scope name written exactly (blank
/// is none; the pages' "Any" sends one, which they leave out themselves). Any
/// well-formed name filters, not only those the workspace defines now: tokens
/// still carry a service scope taken off the list, and an admin may look for them.
pub fn scope_filter(raw: Option<&str>) -> Result<Option<ScopeName>, QueryError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    ScopeName::parse(raw).map(Some).map_err(|_| {
        QueryError::new(
            "scope",
            "scope must be a scope name: lower-case letters, digits, \u{201c}:\u{201d}, \u{201c}.\u{201d}, \u{201c}-\u{201d} and \u{201c}_\u{201d}, at most 64.",
        )
    })
}

/// A parameter's trimmed value; blank counts as absent.
fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl TokenQuery {
    /// Parses owner, status, sort and order; the slice is left at the first page.
    pub fn parse(raw: &RawTokenQuery<'_>) -> Result<Self, QueryError> {
        let status = match present(raw.status) {
            None => None,
            Some(s) => Some(StatusFilter::parse(s).ok_or_else(|| {
                QueryError::new(
                    "status",
                    format!(
                        "status must be one of: {}.",
                        StatusFilter::ALL.map(StatusFilter::as_str).join(", ")
                    ),
                )
            })?),
        };
        let sort = match present(raw.sort) {
            None => SortKey::default(),
            Some(s) => SortKey::parse(s).ok_or_else(|| {
                QueryError::new(
                    "sort",
                    format!(
                        "sort must be one of: {}.",
                        SortKey::ALL.map(SortKey::as_str).join(", ")
                    ),
                )
            })?,
        };
        let order = match present(raw.order) {
            None => sort.default_order(),
            Some(s) => SortOrder::parse(s)
                .ok_or_else(|| QueryError::new("order", "order must be asc or desc."))?,
        };
        // Bound into SQL as text, which PostgreSQL refuses outright with a NUL; no
        // username holds a control character anyway.
        let owner = present(raw.owner);
        if owner.is_some_and(|o| o.chars().any(char::is_control)) {
            return Err(QueryError::new(
                "owner",
                "owner must not contain control characters.",
            ));
        }
        Ok(TokenQuery {
            owner: owner.map(str::to_owned),
            status,
            sort,
            order,
            ..TokenQuery::default()
        })
    }

    /// Sets the scope filter; see [`scope_filter`].
    pub fn with_scope(mut self, raw: Option<&str>) -> Result<Self, QueryError> {
        self.scope = scope_filter(raw)?;
        Ok(self)
    }

    /// Sets the slice from the API's `limit` (1 to [`MAX_LIMIT`], default
    /// [`PAGE_SIZE`]) and `offset` (0 or more, default 0).
    pub fn with_limit_offset(
        mut self,
        limit: Option<&str>,
        offset: Option<&str>,
    ) -> Result<Self, QueryError> {
        if let Some(l) = limit.filter(|v| !v.is_empty()) {
            self.limit = l
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| {
                    QueryError::new(
                        "limit",
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}."),
                    )
                })?;
        }
        if let Some(o) = offset.filter(|v| !v.is_empty()) {
            self.offset = o.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| {
                QueryError::new("offset", "offset must be a whole number, 0 or more.")
            })?;
        }
        Ok(self)
    }

    /// Sets the slice to page `page` (1-based) of [`PAGE_SIZE`] rows; anything that
    /// is not a page number is the first page.
    pub fn with_page(mut self, page: Option<&str>) -> Self {
        let page = page
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| (1..=i64::MAX / PAGE_SIZE).contains(p))
            .unwrap_or(1);
        self.limit = PAGE_SIZE;
        self.offset = (page - 1) * PAGE_SIZE;
        self
    }

    /// The 1-based page this slice starts on.
    pub fn page(&self) -> i64 {
        self.offset / self.limit.max(1) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = DAY_SECONDS * 1000;

    #[test]
    fn expires_soon_means_active_and_within_seven_days() {
        let now = Timestamp::from_millis(1_000 * DAY_MS);
        let at = |days: i64| Some(Timestamp::from_millis(now.millis() + days * DAY_MS));
        assert!(expires_soon(at(1), now));
        assert!(expires_soon(at(7), now));
        assert!(!expires_soon(at(8), now));
        assert!(!expires_soon(at(0), now), "expired at this instant");
        assert!(!expires_soon(at(-1), now));
        assert!(!expires_soon(None, now));
    }

    #[test]
    fn blank_parameters_are_the_defaults() {
        let q = TokenQuery::parse(&RawTokenQuery {
            owner: Some(" "),
            status: Some(""),
            sort: None,
            order: None,
        })
        .unwrap();
        assert_eq!(q, TokenQuery::default());
    }

    #[test]
    fn each_status_and_sort_reads_back_from_its_name() {
        for f in StatusFilter::ALL {
            assert_eq!(StatusFilter::parse(f.as_str()), Some(f));
        }
        for k in SortKey::ALL {
            assert_eq!(SortKey::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn unknown_values_name_their_parameter() {
        let bad = |raw: RawTokenQuery<'_>| TokenQuery::parse(&raw).unwrap_err().field;
        let raw = RawTokenQuery::default;
        assert_eq!(
            bad(RawTokenQuery {
                status: Some("gone"),
                ..raw()
            }),
            "status"
        );
        assert_eq!(
            bad(RawTokenQuery {
                sort: Some("id"),
                ..raw()
            }),
            "sort"
        );
        assert_eq!(
            bad(RawTokenQuery {
                order: Some("up"),
                ..raw()
            }),
            "order"
        );
    }

    #[test]
    fn the_scope_filter_takes_a_scope_name_exactly() {
        let scope = |raw| scope_filter(raw).map(|s| s.map(|n| n.to_string()));
        assert_eq!(scope(None), Ok(None));
        assert_eq!(scope(Some("read_api")), Ok(Some("read_api".into())));
        assert_eq!(scope(Some("deploy")), Ok(Some("deploy".into())));
        for bad in ["", " api", "API", "read%"] {
            assert_eq!(scope(Some(bad)).unwrap_err().field, "scope", "{bad}");
        }
    }

    #[test]
    fn sorting_by_owner_starts_a_to_z() {
        let q = TokenQuery::parse(&RawTokenQuery {
            sort: Some("owner"),
            ..RawTokenQuery::default()
        })
        .unwrap();
        assert_eq!(q.order, SortOrder::Asc);
    }

    #[test]
    fn limit_and_offset_are_bounded() {
        let q = || TokenQuery::default();
        assert_eq!(
            q().with_limit_offset(Some("10"), Some("20")).unwrap().limit,
            10
        );
        assert_eq!(
            q().with_limit_offset(Some("0"), None).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            q().with_limit_offset(Some("501"), None).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            q().with_limit_offset(None, Some("-1")).unwrap_err().field,
            "offset"
        );
    }

    #[test]
    fn pages_are_fifty_rows_and_nonsense_is_page_one() {
        assert_eq!(TokenQuery::default().with_page(Some("3")).offset, 100);
        assert_eq!(TokenQuery::default().with_page(Some("3")).page(), 3);
        for p in ["0", "-2", "x", "99999999999999999999"] {
            assert_eq!(TokenQuery::default().with_page(Some(p)).offset, 0, "{p}");
        }
    }
}
