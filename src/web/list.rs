//! What the list pages share: text filters and their `<option>`s, sortable column
//! headings, the "Showing 1–50 of 3,214" line, and the links that page and sort
//! while keeping the filters. Admin > Access Tokens and Admin > OAuth 2.0 API
//! Tokens are built from it; the audit log borrows the link encoding.

use serde::Deserialize;

use crate::domain::grant_query::{GrantQuery, RawGrantQuery};
use crate::domain::scope::{ScopeName, ServiceScopes};
use crate::domain::token_query::{scope_filter, RawTokenQuery, SortKey, SortOrder, TokenQuery};

use super::scope_choices::{filter_options, ScopeOption};
use super::PageError;

/// A list page's query string, as typed: each page parses what it filters by (a
/// page without a name filter ignores `name`).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub(super) owner: Option<String>,
    pub(super) name: Option<String>,
    pub(super) status: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) order: Option<String>,
    pub(super) page: Option<String>,
}

/// An `<option>` of a filter's `<select>`.
pub(super) struct Choice {
    pub(super) value: &'static str,
    pub(super) label: &'static str,
    pub(super) selected: bool,
}

/// A text box of the filter form (`_list_filters.html`), named as the query string
/// names it.
pub(super) struct TextFilter {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) placeholder: &'static str,
    pub(super) value: String,
}

/// The Scope filter as the page shows it: its options (the one asked selected),
/// and why the scope asked was refused, said beside it.
pub(super) struct ScopeFilter {
    pub(super) options: Vec<ScopeOption>,
    pub(super) error: Option<String>,
}

/// A sortable column heading: its link, and whether (and how) it sorts now.
pub(super) struct SortHeading {
    pub(super) label: &'static str,
    pub(super) href: String,
    /// `aria-sort`: `ascending`, `descending` or `none`.
    pub(super) aria_sort: &'static str,
}

impl ListQuery {
    /// The query of a list of access tokens (it has no name filter); a value it
    /// does not know is refused (400). A scope that is none of the workspace's
    /// (`defined`) is left out of the query, and the [`ScopeFilter`] says why: the
    /// page lists nothing and says so beside the Scope filter (400).
    pub(super) fn tokens(
        &self,
        defined: &ServiceScopes,
    ) -> Result<(TokenQuery, ScopeFilter), PageError> {
        let parsed = TokenQuery::parse(&RawTokenQuery {
            owner: self.owner.as_deref(),
            status: self.status.as_deref(),
            sort: self.sort.as_deref(),
            order: self.order.as_deref(),
        })
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
        let (scope, filter) = self.scope(defined);
        let query = parsed.with_page(self.page.as_deref());
        Ok((TokenQuery { scope, ..query }, filter))
    }

    /// The query of a list of OAuth API tokens; a value it does not know is
    /// refused (400), a scope as for [`ListQuery::tokens`].
    pub(super) fn grants(
        &self,
        defined: &ServiceScopes,
    ) -> Result<(GrantQuery, ScopeFilter), PageError> {
        let parsed = GrantQuery::parse(&RawGrantQuery {
            owner: self.owner.as_deref(),
            status: self.status.as_deref(),
            name: self.name.as_deref(),
            sort: self.sort.as_deref(),
            order: self.order.as_deref(),
        })
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
        let (scope, filter) = self.scope(defined);
        let query = parsed.with_page(self.page.as_deref());
        Ok((GrantQuery { scope, ..query }, filter))
    }

    /// The scope asked, if it is one of the workspace's, and the filter showing it.
    fn scope(&self, defined: &ServiceScopes) -> (Option<ScopeName>, ScopeFilter) {
        let asked = self.scope.as_deref().filter(|s| !s.is_empty());
        let (scope, error) = match scope_filter(asked) {
            Ok(scope) => (scope, None),
            Err(_) => (
                None,
                Some("That is not a scope name: choose one from the list.".into()),
            ),
        };
        let options = filter_options(defined, scope.as_ref());
        (scope, ScopeFilter { options, error })
    }
}

/// Where a list page stands: its address, the filters in force (query-string name
/// and value, in the order its links carry them), its sort and its page.
pub(super) struct ListPosition {
    pub(super) base: &'static str,
    pub(super) filters: Vec<(&'static str, String)>,
    pub(super) sort: SortKey,
    pub(super) order: SortOrder,
    /// How many rows come before this page's first.
    pub(super) offset: i64,
    /// 1 for the first page.
    pub(super) page: i64,
}

impl ListPosition {
    /// This page's address with the same filters, sorted by `sort`/`order`, at
    /// `page`.
    pub(super) fn url(&self, sort: SortKey, order: SortOrder, page: i64) -> String {
        let mut url = format!(
            "{}?sort={}&order={}",
            self.base,
            sort.as_str(),
            order.as_str()
        );
        for (name, value) in &self.filters {
            url.push_str(&format!("&{name}={}", percent_encode(value)));
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }
}

/// What the filter form, the column headings, the bulk bar and the pager of a list
/// page show, whatever it lists.
pub(super) struct ListView {
    /// The page's own address without a query (the filter form's action, Clear).
    pub(super) base: &'static str,
    pub(super) text_filters: Vec<TextFilter>,
    pub(super) statuses: Vec<Choice>,
    /// The Scope filter (the admin token lists).
    pub(super) scope: ScopeFilter,
    pub(super) sorts: Vec<Choice>,
    pub(super) orders: Vec<Choice>,
    pub(super) sort_owner: SortHeading,
    pub(super) sort_created: SortHeading,
    pub(super) sort_expires: SortHeading,
    pub(super) sort_last_used: SortHeading,
    /// "Showing 1–50 of 3,214", or empty when nothing matches.
    pub(super) showing: String,
    pub(super) prev: Option<String>,
    pub(super) next: Option<String>,
    /// This page's own address, to come back to after an action.
    pub(super) here: String,
    /// Whether any filter is in force (Clear is offered, the empty list says so).
    pub(super) filtered: bool,
}

impl ListView {
    /// The view of a page at `at` showing `shown` of `total` rows.
    pub(super) fn new(
        at: &ListPosition,
        text_filters: Vec<TextFilter>,
        statuses: Vec<Choice>,
        scope: ScopeFilter,
        (shown, total): (i64, i64),
    ) -> Self {
        let (sort, order, page) = (at.sort, at.order, at.page);
        let heading = |key| sort_heading(sort, order, key, |s, o| at.url(s, o, 1));
        ListView {
            base: at.base,
            text_filters,
            statuses,
            sorts: sort_choices(sort),
            orders: order_choices(order),
            sort_owner: heading(SortKey::Owner),
            sort_created: heading(SortKey::Created),
            sort_expires: heading(SortKey::Expires),
            sort_last_used: heading(SortKey::LastUsed),
            showing: showing(at.offset, shown, total),
            prev: (page > 1).then(|| at.url(sort, order, page - 1)),
            next: (at.offset + shown < total).then(|| at.url(sort, order, page + 1)),
            here: at.url(sort, order, page),
            filtered: !at.filters.is_empty() || scope.error.is_some(),
            scope,
        }
    }
}

/// The owner filter both admin lists have.
pub(super) fn owner_filter(owner: &Option<String>) -> TextFilter {
    TextFilter {
        name: "owner",
        label: "Owner",
        placeholder: "User name",
        value: owner.clone().unwrap_or_default(),
    }
}

/// "Showing 1–50 of 3,214", or nothing when nothing is shown.
pub(super) fn showing(offset: i64, shown: i64, total: i64) -> String {
    if shown == 0 {
        return String::new();
    }
    format!(
        "Showing {}–{} of {}",
        thousands(offset + 1),
        thousands(offset + shown),
        thousands(total)
    )
}

/// The "Sort by" options, `current` selected.
fn sort_choices(current: SortKey) -> Vec<Choice> {
    SortKey::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: k.label(),
            selected: current == k,
        })
        .collect()
}

/// The "Order" options, `current` selected.
fn order_choices(current: SortOrder) -> Vec<Choice> {
    [
        (SortOrder::Desc, "Descending"),
        (SortOrder::Asc, "Ascending"),
    ]
    .into_iter()
    .map(|(o, label)| Choice {
        value: o.as_str(),
        label,
        selected: current == o,
    })
    .collect()
}

/// The heading of the column `key` sorts by, on a page sorted by `sort`/`order`: a
/// link (made by `url`) that sorts by it, or, when it already does, in the other
/// direction.
fn sort_heading(
    sort: SortKey,
    order: SortOrder,
    key: SortKey,
    url: impl Fn(SortKey, SortOrder) -> String,
) -> SortHeading {
    let current = key == sort;
    let next = if current {
        order.reversed()
    } else {
        key.default_order()
    };
    SortHeading {
        label: key.label(),
        href: url(key, next),
        aria_sort: match (current, order) {
            (false, _) => "none",
            (true, SortOrder::Asc) => "ascending",
            (true, SortOrder::Desc) => "descending",
        },
    }
}

/// Percent-encodes a query-string value (everything but RFC 3986 unreserved bytes).
pub(super) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `3214` as `3,214`.
pub(super) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3214), "3,214");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn values_are_encoded_in_links() {
        assert_eq!(percent_encode("a b&c=d"), "a%20b%26c%3Dd");
        assert_eq!(percent_encode("jörg"), "j%C3%B6rg");
    }

    #[test]
    fn links_keep_the_filters_and_leave_out_the_first_page() {
        let at = ListPosition {
            base: "/list",
            filters: vec![("owner", "a b".into()), ("status", "active".into())],
            sort: SortKey::Created,
            order: SortOrder::Desc,
            offset: 0,
            page: 1,
        };
        assert_eq!(
            at.url(SortKey::Owner, SortOrder::Asc, 1),
            "/list?sort=owner&order=asc&owner=a%20b&status=active"
        );
        assert_eq!(
            at.url(SortKey::Created, SortOrder::Desc, 3),
            "/list?sort=created&order=desc&owner=a%20b&status=active&page=3"
        );
    }

    #[test]
    fn the_current_sort_column_links_to_the_other_direction() {
        let h = sort_heading(SortKey::Owner, SortOrder::Asc, SortKey::Owner, |s, o| {
            format!("{}-{}", s.as_str(), o.as_str())
        });
        assert_eq!((h.href.as_str(), h.aria_sort), ("owner-desc", "ascending"));
    }
}
