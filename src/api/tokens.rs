//! `/v4/apiAccessTokens`: create, list, read and delete the caller's access tokens.

use std::fmt;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use utoipa::openapi::schema::{
    KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::ToSchema;

use crate::domain::time::Iso8601;
use crate::domain::token::TokenIdText;
use crate::domain::{description, lifetime, Description, Lifetime, TokenId};
use crate::services::tokens::{self, ApiToken};
use crate::state::AppState;

use super::responses::BodyRefused;
use super::{ApiCaller, ApiError, ErrorEnvelope, MintingCaller};

/// The body of a create request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateTokenRequest {
    #[serde(deserialize_with = "whole_number")]
    #[schema(schema_with = lifetime_seconds_schema)]
    pub lifetime_seconds: i64,
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    #[schema(schema_with = super::scopes::request_schema)]
    pub scopes: Option<Vec<String>>,
}

/// A number with no fractional part, as JSON Schema's `integer` is: `100.0` and `1e2`
/// are 100, `1.5` and `"100"` are refused. Whole numbers beyond `i64` saturate, so they
/// are refused as too long a lifetime rather than as a type error.
pub(crate) fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct WholeNumber;

    impl Visitor<'_> for WholeNumber {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            Ok(i64::try_from(v).unwrap_or(i64::MAX))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            if v.is_finite() && v.fract() == 0.0 {
                // `as` saturates at the bounds of `i64`.
                Ok(v as i64)
            } else {
                Err(E::invalid_value(Unexpected::Float(v), &self))
            }
        }
    }

    deserializer.deserialize_i64(WholeNumber)
}

/// `lifetimeSeconds`: -1, or 1 to [`lifetime::MAX_SECONDS`]; 0 is refused, so a plain
/// `minimum` cannot say it.
fn lifetime_seconds_schema() -> Schema {
    let schema = OneOfBuilder::new()
        .description(Some(format!(
            "Lifetime in seconds, 1 to {} (ten years), or -1 for a token that never expires.",
            lifetime::MAX_SECONDS
        )))
        .examples([json!(100)])
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .enum_values(Some([-1])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1))
                .maximum(Some(lifetime::MAX_SECONDS)),
        )
        .build();
    Schema::OneOf(schema)
}

/// `description`, exactly as [`Description::parse_optional`] takes it: surrounding
/// white space (Rust's `char::is_whitespace`) is trimmed, a blank result means none,
/// and what remains has at most [`description::MAX_CHARS`] characters and no control
/// characters (Unicode `Cc`). The length is in the pattern, not in `maxLength`,
/// because it counts after trimming.
fn description_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(format!(
            "A user-friendly description, at most {} characters once surrounding white space \
             is trimmed, without control characters such as line breaks. Absent, null or blank \
             means none.",
            description::MAX_CHARS
        )))
        .pattern(Some(trimmed_text_pattern(false)))
        .examples([json!("My 100-second token")])
        .build()
}

/// A required name under the same rules as `description` (see [`description_schema`]),
/// where blank is refused.
pub(crate) fn name_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "Describes the token: 1 to {} characters once surrounding white space is \
             trimmed, without control characters such as line breaks.",
            description::MAX_CHARS
        )))
        .pattern(Some(trimmed_text_pattern(true)))
        .examples([json!("nightly export")])
        .build()
}

/// Text as [`Description::parse_optional`] takes it, as a pattern: optional white space
/// (as `str::trim` sees it), then at most [`description::MAX_CHARS`] characters without
/// control characters that neither start nor end with white space (at least one when
/// `required`), then optional white space.
fn trimmed_text_pattern(required: bool) -> String {
    // White space as `str::trim` sees it (Unicode White_Space).
    const SPACE: &str =
        r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
    // Control characters (Unicode Cc).
    const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
    let edge = format!("[^{CONTROL}{SPACE}]");
    let inner = format!("[^{CONTROL}]{{0,{}}}", description::MAX_CHARS - 2);
    let text = format!("{edge}(?:{inner}{edge})?");
    let text = if required {
        format!("(?:{text})")
    } else {
        format!("(?:{text})?")
    };
    format!("^[{SPACE}]*{text}[{SPACE}]*$")
}

// The id and the times are written into the answer from the stack, not from a
// `String` each; the schema still says what the wire carries (`value_type`).
/// What the API shows of a token; never its value.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// Internal identifier of the token (not the token itself).
    #[schema(value_type = String, example = "bab908f7-dcc2-4962-85bd-c1e96d0cacbd", format = Uuid)]
    pub token_id: TokenIdText,
    /// The description given at creation; null when none was.
    #[schema(example = "My 100-second token", required = true)]
    pub description: Option<String>,
    /// When the token expires; null when it never expires.
    #[schema(value_type = Option<String>, example = "2019-01-16T00:06:41.743Z", format = DateTime, required = true)]
    pub expired_at: Option<Iso8601>,
    /// When the token was last used; null until its first use.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub last_used: Option<Iso8601>,
    #[schema(value_type = String, example = "2019-01-16T00:05:01.743Z", format = DateTime)]
    pub created_at: Iso8601,
    #[schema(schema_with = super::scopes::info_schema)]
    pub scopes: Vec<String>,
}

impl From<&ApiToken> for TokenInfo {
    fn from(t: &ApiToken) -> Self {
        TokenInfo {
            token_id: t.id.text(),
            description: t.description.as_ref().map(|d| d.as_str().to_owned()),
            expired_at: t.expires_at.map(Iso8601),
            last_used: t.last_used_at.map(Iso8601),
            created_at: Iso8601(t.created_at),
            scopes: t.scopes.names().map(str::to_owned).collect(),
        }
    }
}

/// A new token: its value, shown this once, and its info. `Debug` leaves the value
/// out, so that no log line or panic message can carry it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    /// The token itself: keep it, it cannot be retrieved again.
    pub token_value: String,
    pub token_info: TokenInfo,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token_value", &"(sensitive)")
            .field("token_info", &self.token_info)
            .finish()
    }
}

/// The caller's tokens, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub data: Vec<TokenInfo>,
    pub count: usize,
}

fn parse_token_id(raw: &str) -> Result<TokenId, ApiError> {
    raw.parse()
        .map_err(|e: crate::domain::token::TokenIdError| {
            ApiError::invalid_field("tokenId", e.to_string())
        })
}

/// Create an access token for the authenticated user.
///
/// These are legacy access tokens, deprecated in favour of OAuth 2.0 API tokens
/// (`/v4/oauthTokens`). While the workspace has `allowLegacyAccessTokens` off, this is
/// refused (403 `AccessControlException`) for everyone, and the workspace's legacy
/// tokens are refused on use (401). So is a call by an OAuth access token whose own
/// OAuth API token is disabled, deleted or expired.
#[utoipa::path(
    post,
    path = "/v4/apiAccessTokens",
    operation_id = "createApiAccessToken",
    tag = "apiAccessTokens",
    request_body = CreateTokenRequest,
    responses(
        (
            status = 201,
            description = "Created; the value is shown only in this response",
            body = CreatedToken,
            headers(("Location" = String, description = "The new token's path: `/v4/apiAccessTokens/{tokenId}`")),
        ),
        BodyRefused,
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn create(
    caller: MintingCaller,
    state: web::Data<AppState>,
    // A `Result`, so that actix waits for `caller` instead of answering with the
    // first extractor error: credentials are judged (and failures counted) before
    // the body is.
    body: Result<web::Json<super::Object<CreateTokenRequest>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let body = body?.into_inner().0;
    let lifetime = Lifetime::from_seconds(body.lifetime_seconds)
        .map_err(|e| ApiError::invalid_field("lifetimeSeconds", e.to_string()))?;
    let description = Description::parse_optional(body.description.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::invalid_field("description", e.to_string()))?;
    let scopes = super::scopes::for_new_token(&state, &caller, body.scopes).await?;
    let (token, value) = tokens::create(
        &state.pool,
        &caller.principal,
        caller.address,
        lifetime,
        description,
        scopes,
        state.clock.now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::LOCATION,
            format!("/v4/apiAccessTokens/{}", token.id),
        ))
        .json(CreatedToken {
            token_value: value.expose().to_owned(),
            token_info: TokenInfo::from(&token),
        }))
}

/// List all access tokens of the authenticated user, newest first.
#[utoipa::path(
    get,
    path = "/v4/apiAccessTokens",
    operation_id = "listApiAccessTokens",
    tag = "apiAccessTokens",
    responses(
        (status = 200, body = TokenList),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let owner = &caller.principal;
    // The answer is the list's JSON and nothing else, so the requests that share
    // the read share its JSON too: written once per read, not once per request.
    let body = state
        .shared
        .token_lists
        .read((owner.workspace_id, owner.user_id), || async {
            let tokens = tokens::list_own(&state.pool, owner).await?;
            list_json(&tokens)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(header::ContentType::json())
        .body(Bytes::clone(&body)))
}

/// The body of `GET /v4/apiAccessTokens`.
fn list_json(tokens: &[ApiToken]) -> Result<Bytes, ApiError> {
    let data: Vec<TokenInfo> = tokens.iter().map(TokenInfo::from).collect();
    let list = TokenList {
        count: data.len(),
        data,
    };
    // About 230 bytes a token: one allocation, not a doubling per power of two.
    let mut body = Vec::with_capacity(64 + 256 * tokens.len());
    serde_json::to_writer(&mut body, &list).map_err(|e| {
        tracing::error!(error = %e, "a token list could not be written as JSON");
        ApiError::Internal
    })?;
    Ok(Bytes::from(body))
}

/// Get one of the authenticated user's access tokens.
#[utoipa::path(
    get,
    path = "/v4/apiAccessTokens/{tokenId}",
    operation_id = "getApiAccessToken",
    tag = "apiAccessTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's Token ID")),
    responses(
        (status = 200, body = TokenInfo),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 404, description = "No such token of the caller's", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn get(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_token_id(&path)?;
    let token = tokens::find_own(&state.pool, &caller.principal, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(TokenInfo::from(&token)))
}

/// Delete one of the authenticated user's access tokens. It stops working at once.
#[utoipa::path(
    delete,
    path = "/v4/apiAccessTokens/{tokenId}",
    operation_id = "deleteApiAccessToken",
    tag = "apiAccessTokens",
    params(("tokenId" = String, Path, format = Uuid, description = "The token's Token ID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed token ID", body = ErrorEnvelope),
        (status = 404, description = "No such token of the caller's", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_token_id(&path)?;
    if !tokens::delete_own(
        &state.pool,
        &caller.principal,
        caller.address,
        id,
        state.clock.now(),
    )
    .await?
    {
        return Err(not_found(id));
    }
    Ok(HttpResponse::NoContent().finish())
}

fn not_found(id: TokenId) -> ApiError {
    ApiError::NotFound(format!(
        "No access token with ID {id} exists for this user."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    #[test]
    fn debug_of_a_new_token_leaves_its_value_out() {
        let created = CreatedToken {
            token_value: "eyJzZWNyZXQiOiJ0aGUtc2VjcmV0In0".into(),
            token_info: TokenInfo {
                token_id: "bab908f7-dcc2-4962-85bd-c1e96d0cacbd"
                    .parse::<TokenId>()
                    .unwrap()
                    .text(),
                description: Some("nightly export".into()),
                expired_at: None,
                last_used: None,
                created_at: Iso8601(Timestamp::from_millis(1_796_515_200_000)),
                scopes: vec!["api".into()],
            },
        };
        let shown = format!("{created:?}");
        assert!(!shown.contains("eyJzZWNyZXQ"), "{shown}");
        assert!(shown.contains("(sensitive)") && shown.contains("nightly export"));
    }

    fn lifetime_of(body: &str) -> Result<i64, serde_json::Error> {
        serde_json::from_str::<CreateTokenRequest>(body).map(|r| r.lifetime_seconds)
    }

    #[test]
    fn a_lifetime_is_any_whole_json_number() {
        assert_eq!(lifetime_of(r#"{"lifetimeSeconds": 100}"#).unwrap(), 100);
        assert_eq!(lifetime_of(r#"{"lifetimeSeconds": -1}"#).unwrap(), -1);
        assert_eq!(lifetime_of(r#"{"lifetimeSeconds": 100.0}"#).unwrap(), 100);
        assert_eq!(lifetime_of(r#"{"lifetimeSeconds": 1e2}"#).unwrap(), 100);
        assert_eq!(lifetime_of(r#"{"lifetimeSeconds": -0.0}"#).unwrap(), 0);
    }

    #[test]
    fn huge_lifetimes_saturate_and_are_then_refused_as_too_long() {
        for body in [
            r#"{"lifetimeSeconds": 18446744073709551615}"#,
            r#"{"lifetimeSeconds": 1e300}"#,
        ] {
            assert_eq!(lifetime_of(body).unwrap(), i64::MAX, "{body}");
        }
        assert_eq!(
            lifetime_of(r#"{"lifetimeSeconds": -1e300}"#).unwrap(),
            i64::MIN
        );
    }

    #[test]
    fn a_fractional_or_non_numeric_lifetime_is_refused() {
        for body in [
            r#"{"lifetimeSeconds": 1.5}"#,
            r#"{"lifetimeSeconds": "100"}"#,
            r#"{"lifetimeSeconds": null}"#,
            r#"{"lifetimeSeconds": true}"#,
        ] {
            assert!(lifetime_of(body).is_err(), "{body}");
        }
    }
}
