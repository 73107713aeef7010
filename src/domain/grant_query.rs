//! What an admin asks of the workspace's OAuth API tokens (grants), and which grants
//! a bulk action names: parsed once at the edge (page form or API), like the legacy
//! tokens' [`TokenQuery`](super::token_query::TokenQuery), whose sort keys, order,
//! page size and limits these share so that the two admin views behave alike.

use super::oauth::{GrantId, GrantStatus};
use super::scope::ScopeName;
use super::token_query::{
    scope_filter, QueryError, RawTokenQuery, SortKey, SortOrder, TokenQuery, MAX_BULK_DELETE,
};

/// The most grant ids one bulk disable or delete takes: the legacy bulk delete's.
pub const MAX_BULK_GRANTS: usize = MAX_BULK_DELETE;
/// The longest owner or name filter: grant names are at most 255 characters (user
/// names 64), so a longer filter could match nothing.
pub const MAX_TEXT_FILTER_CHARS: usize = 255;

/// One request for a slice of a workspace's grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantQuery {
    /// An owner's exact username.
    pub owner: Option<String>,
    /// `Disabled` wins over `Expired`, as in [`GrantStatus::at`].
    pub status: Option<GrantStatus>,
    /// Grants whose name contains this text, ignoring case.
    pub name: Option<String>,
    /// Grants that carry this scope (as stored, whether or not it counts now).
    pub scope: Option<ScopeName>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: i64,
    pub offset: i64,
}

impl Default for GrantQuery {
    fn default() -> Self {
        GrantQuery::from_token_query(TokenQuery::default())
    }
}

/// The raw query-string values, before parsing. Blank means absent.
#[derive(Debug, Default, Clone)]
pub struct RawGrantQuery<'a> {
    pub owner: Option<&'a str>,
    pub status: Option<&'a str>,
    pub name: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub order: Option<&'a str>,
}

/// The query-string value of each status filter.
pub const STATUS_VALUES: [(&str, GrantStatus); 3] = [
    ("active", GrantStatus::Active),
    ("disabled", GrantStatus::Disabled),
    ("expired", GrantStatus::Expired),
];

/// The query-string value of a status filter.
pub fn status_value(status: GrantStatus) -> &'static str {
    match status {
        GrantStatus::Active => "active",
        GrantStatus::Disabled => "disabled",
        GrantStatus::Expired => "expired",
    }
}

fn present(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// A text filter, checked as given (before trimming, so the API takes exactly what
/// its schema allows): no control characters, since it goes into SQL as a bound
/// value and PostgreSQL refuses a NUL in text outright (and no name or username
/// holds one), and at most `max` characters. Blank means absent.
fn text_filter(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, QueryError> {
    let Some(v) = value else {
        return Ok(None);
    };
    if v.chars().any(char::is_control) {
        return Err(QueryError {
            field,
            message: format!("{field} must not contain control characters."),
        });
    }
    if v.chars().count() > max {
        return Err(QueryError {
            field,
            message: format!("{field} must be at most {max} characters."),
        });
    }
    Ok(present(Some(v)).map(str::to_owned))
}

impl GrantQuery {
    fn from_token_query(q: TokenQuery) -> Self {
        GrantQuery {
            owner: q.owner,
            status: None,
            name: None,
            scope: q.scope,
            sort: q.sort,
            order: q.order,
            limit: q.limit,
            offset: q.offset,
        }
    }

    /// Parses owner, status, name, sort and order; the slice is left at the first
    /// page. Sort and order are read exactly as the legacy admin view reads them.
    pub fn parse(raw: &RawGrantQuery<'_>) -> Result<Self, QueryError> {
        let base = TokenQuery::parse(&RawTokenQuery {
            owner: None,
            status: None,
            sort: raw.sort,
            order: raw.order,
        })?;
        let status = match present(raw.status) {
            None => None,
            Some(s) => Some(
                STATUS_VALUES
                    .iter()
                    .find(|(value, _)| *value == s)
                    .map(|(_, status)| *status)
                    .ok_or_else(|| QueryError {
                        field: "status",
                        message: "status must be one of: active, disabled, expired.".into(),
                    })?,
            ),
        };
        Ok(GrantQuery {
            owner: text_filter("owner", raw.owner, MAX_TEXT_FILTER_CHARS)?,
            status,
            name: text_filter("name", raw.name, MAX_TEXT_FILTER_CHARS)?,
            ..GrantQuery::from_token_query(base)
        })
    }

    /// Sets the scope filter, as the legacy admin list reads it.
    pub fn with_scope(mut self, raw: Option<&str>) -> Result<Self, QueryError> {
        self.scope = scope_filter(raw)?;
        Ok(self)
    }

    /// Sets the slice from the API's `limit` and `offset`, with the legacy admin
    /// list's bounds and messages.
    pub fn with_limit_offset(
        mut self,
        limit: Option<&str>,
        offset: Option<&str>,
    ) -> Result<Self, QueryError> {
        let slice = TokenQuery::default().with_limit_offset(limit, offset)?;
        (self.limit, self.offset) = (slice.limit, slice.offset);
        Ok(self)
    }

    /// Sets the slice to page `page` (1-based) of the admin page's size; anything
    /// that is not a page number is the first page.
    pub fn with_page(mut self, page: Option<&str>) -> Self {
        let slice = TokenQuery::default().with_page(page);
        (self.limit, self.offset) = (slice.limit, slice.offset);
        self
    }

    /// The 1-based page this slice starts on.
    pub fn page(&self) -> i64 {
        self.offset / self.limit.max(1) + 1
    }
}

/// The grants one bulk action names: 1 to [`MAX_BULK_GRANTS`] ids, each once, in
/// the order first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantIds(Vec<GrantId>);

/// Why a list of grant ids was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantIdsError {
    #[error("Give 1 to {MAX_BULK_GRANTS} token IDs.")]
    Count,
    /// The 0-based position of the first id that is not a token ID.
    #[error(
        "tokenIds[{0}] is not a token ID: a token ID is a UUID such as \
         bab908f7-dcc2-4962-85bd-c1e96d0cacbd."
    )]
    Malformed(usize),
}

impl GrantIds {
    /// Reads ids as given by a client; duplicates count once.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, GrantIdsError> {
        if raw.is_empty() || raw.len() > MAX_BULK_GRANTS {
            return Err(GrantIdsError::Count);
        }
        let mut ids = Vec::with_capacity(raw.len());
        for (i, r) in raw.iter().enumerate() {
            let id: GrantId = r
                .as_ref()
                .parse()
                .map_err(|()| GrantIdsError::Malformed(i))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(GrantIds(ids))
    }

    /// Exactly one grant.
    pub fn one(id: GrantId) -> Self {
        GrantIds(vec![id])
    }

    pub fn as_slice(&self) -> &[GrantId] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_parameters_are_the_defaults() {
        let q = GrantQuery::parse(&RawGrantQuery {
            owner: Some(" "),
            status: Some(""),
            name: Some("  "),
            sort: None,
            order: None,
        })
        .unwrap();
        assert_eq!(q, GrantQuery::default());
        assert_eq!(
            (q.sort, q.order, q.limit),
            (SortKey::Created, SortOrder::Desc, 50)
        );
    }

    #[test]
    fn each_status_reads_back_from_its_value() {
        for (value, status) in STATUS_VALUES {
            let q = GrantQuery::parse(&RawGrantQuery {
                status: Some(value),
                ..RawGrantQuery::default()
            })
            .unwrap();
            assert_eq!(q.status, Some(status));
            assert_eq!(status_value(status), value);
        }
    }

    #[test]
    fn unknown_or_unsafe_values_name_their_parameter() {
        let bad = |raw: RawGrantQuery<'_>| GrantQuery::parse(&raw).unwrap_err().field;
        let raw = RawGrantQuery::default;
        for (raw, field) in [
            (
                RawGrantQuery {
                    status: Some("expiresSoon"),
                    ..raw()
                },
                "status",
            ),
            (
                RawGrantQuery {
                    sort: Some("name"),
                    ..raw()
                },
                "sort",
            ),
            (
                RawGrantQuery {
                    order: Some("up"),
                    ..raw()
                },
                "order",
            ),
            (
                RawGrantQuery {
                    owner: Some("mi\0ke"),
                    ..raw()
                },
                "owner",
            ),
            (
                RawGrantQuery {
                    name: Some("ni\u{7}ghtly"),
                    ..raw()
                },
                "name",
            ),
        ] {
            assert_eq!(bad(raw), field);
        }
        let long = "x".repeat(256);
        assert_eq!(
            bad(RawGrantQuery {
                name: Some(&long),
                ..raw()
            }),
            "name"
        );
    }

    #[test]
    fn the_slice_follows_the_legacy_bounds() {
        let q = GrantQuery::default()
            .with_limit_offset(Some("500"), Some("20"))
            .unwrap();
        assert_eq!((q.limit, q.offset), (500, 20));
        assert!(GrantQuery::default()
            .with_limit_offset(Some("501"), None)
            .is_err());
        assert_eq!(GrantQuery::default().with_page(Some("3")).page(), 3);
    }

    #[test]
    fn grant_ids_are_one_to_a_thousand_well_formed_and_distinct() {
        let a = GrantId::new_random().to_string();
        let b = GrantId::new_random().to_string();
        let ids = GrantIds::parse(&[&a, &b, &a]).unwrap();
        assert_eq!(ids.as_slice().len(), 2);
        assert_eq!(ids.as_slice()[0].to_string(), a);
        assert_eq!(
            GrantIds::parse::<&str>(&[]).unwrap_err(),
            GrantIdsError::Count
        );
        let many = vec![a.clone(); MAX_BULK_GRANTS + 1];
        assert_eq!(GrantIds::parse(&many).unwrap_err(), GrantIdsError::Count);
        assert_eq!(
            GrantIds::parse(&[a.as_str(), "nope"]).unwrap_err(),
            GrantIdsError::Malformed(1)
        );
        assert!(GrantIds::parse(&[&a.to_uppercase()]).is_ok());
    }
}
