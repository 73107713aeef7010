//! Refusals that several routes share, as OpenAPI responses: each route's
//! annotation names one of these types instead of repeating the lines.

use std::collections::BTreeMap;

use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::IntoResponses;

/// An OpenAPI response with the error envelope as its JSON body.
pub(super) fn envelope_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
            .build(),
    )
}

/// A route with a JSON body of the usual size (16 KiB).
pub struct BodyRefused;

impl IntoResponses for BodyRefused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        body_refusals("Invalid request", "Body over 16 KiB")
    }
}

/// A bulk route for access tokens.
pub struct TokenIdsRefused;

impl IntoResponses for TokenIdsRefused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        body_refusals(
            "No ids, more than 1000, or a malformed one (`details.field`: `tokenIds`)",
            BULK_TOO_LARGE,
        )
    }
}

/// A bulk route for OAuth API tokens.
pub struct GrantIdsRefused;

impl IntoResponses for GrantIdsRefused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        body_refusals(
            "No ids, more than 1000, or a malformed one (`details.field`: `tokenIds`), or a \
             body of another shape",
            BULK_TOO_LARGE,
        )
    }
}

const BULK_TOO_LARGE: &str = "Body over 64 KiB";

/// 400 (as `invalid` says), 413 (as `too_large` says) and 415, each with the error
/// envelope.
fn body_refusals(invalid: &str, too_large: &str) -> BTreeMap<String, RefOr<Response>> {
    let error = |description: &str| RefOr::T(envelope_response(description).build());
    BTreeMap::from([
        ("400".to_owned(), error(invalid)),
        ("413".to_owned(), error(too_large)),
        ("415".to_owned(), error("Body is not application/json")),
    ])
}
