//! The v4 JSON API: routes, request-body rules, errors and the OpenAPI document.

pub mod accounts;
pub mod admin_tokens;
pub mod audit_events;
pub mod bulk;
mod error;
mod extract;
pub mod forward_auth;
pub mod list_query;
pub mod oauth;
pub mod oauth_tokens;
pub mod openapi;
pub mod people;
mod responses;
pub mod scopes;
pub mod tokens;
pub mod workspace_oauth_tokens;
pub mod workspace_settings;

use actix_web::error::{JsonPayloadError, PathError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub use error::{
    ApiError, ErrorBody, ErrorEnvelope, ErrorName, CHALLENGE, CHALLENGE_INVALID_TOKEN,
};
pub use extract::{ApiCaller, Credential, MintingCaller, WORKSPACE_HEADER};

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub(crate) async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

/// JSON bodies: at most 16 KiB, `application/json` only, every failure in the
/// error envelope.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(true)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    let validation = |status, message: String, details| ApiError::Validation {
        status,
        message,
        details,
    };
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => validation(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than {limit} bytes."),
            json!({ "limitBytes": limit }),
        ),
        JsonPayloadError::ContentType => validation(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The request body must be JSON, sent with Content-Type: application/json.".into(),
            json!({}),
        ),
        JsonPayloadError::Deserialize(e) => {
            let message = if e.is_syntax() || e.is_eof() {
                format!("The request body is not valid JSON: {e}")
            } else {
                format!("The request body does not match the expected shape: {e}")
            };
            // serde_json says line 0 when it does not know where (a shape refused
            // after the JSON was read): then there is no position to give.
            let position = if e.line() == 0 {
                json!({})
            } else {
                json!({ "line": e.line(), "column": e.column() })
            };
            validation(StatusCode::BAD_REQUEST, message, position)
        }
        other => validation(
            StatusCode::BAD_REQUEST,
            format!("The request body could not be read: {other}"),
            json!({}),
        ),
    }
}

/// A JSON request body that must be an object. Serde reads a struct from an array of
/// its fields in order too (`[100, "x"]`), which no client means and the documented
/// schemas do not allow: such a body is a 400 like any other wrong shape.
pub struct Object<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        serde_json::from_value(serde_json::Value::Object(map))
            .map(Object)
            .map_err(D::Error::custom)
    }
}

/// Path parameters that fail to parse are a 400 in the envelope.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        ApiError::invalid_field("path", format!("Invalid path parameter: {err}")).into()
    })
}

/// Renders an [`ApiError`] outside a handler's `Result`.
pub fn error_response(err: ApiError) -> HttpResponse {
    actix_web::ResponseError::error_response(&err)
}
