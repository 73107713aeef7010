//! The query strings of the admin lists (`/v4/workspaceAccessTokens`,
//! `/v4/workspaceOAuthTokens`), read exactly as the OpenAPI document gives them.
//!
//! The pages' forms send blanks for "any" and the shared parsers forgive them, but
//! the API takes the documented values only: a blank or padded value is as wrong as
//! any other the schema does not allow.

use actix_web::web;

use super::ApiError;

/// The orders the lists sort in.
pub(super) const SORTS: &[&str] = &["created", "expires", "lastUsed", "owner"];

/// A query string that cannot be read (a parameter given twice, ...) is a 400 in
/// the envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::invalid_field(
            "query",
            format!("The query string could not be read: {err}"),
        )
        .into()
    })
}

/// `status`, `sort` and `order`, when given, are among the allowed values; `limit`
/// and `offset` are written as whole numbers (their ranges are checked later).
pub(super) fn check_exact(
    status: (Option<&str>, &[&str]),
    sort: Option<&str>,
    order: Option<&str>,
    limit: Option<&str>,
    offset: Option<&str>,
) -> Result<(), ApiError> {
    one_of("status", status.0, status.1)?;
    one_of("sort", sort, SORTS)?;
    one_of("order", order, &["asc", "desc"])?;
    for (field, value) in [("limit", limit), ("offset", offset)] {
        if let Some(v) = value {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                return Err(ApiError::invalid_field(
                    field,
                    format!("{field} must be a whole number."),
                ));
            }
        }
    }
    Ok(())
}

fn one_of(field: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ApiError::invalid_field(
            field,
            format!("{field} must be one of {}.", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}
