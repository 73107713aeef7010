//! Calling the v4 JSON API as a client does and reading its answers: requests as
//! someone (or no one), the error envelope, token values and API times. Shared by
//! the `api_*` test files.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

use super::{TestApp, ALICE, PASSWORD, TOKENS};

/// The OpenAPI document.
pub const SPEC: &str = "/v4/open-api-spec";
/// The challenge of a 401 to a request without credentials.
pub const CHALLENGE: &str = r#"Bearer realm="access-tokens""#;
/// The challenge of a 401 to a presented token that was refused.
pub const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer realm="access-tokens", error="invalid_token""#;
/// Ten years of 365 days, the longest lifetime allowed.
pub const MAX_LIFETIME_SECONDS: i64 = 315_360_000;

/// The path of the token `id`.
pub fn token_path(id: &str) -> String {
    format!("{TOKENS}/{id}")
}

/// A request with `user`'s Basic credentials.
pub fn as_user(app: &TestApp, user: &str, method: Method, path: &str) -> RequestBuilder {
    app.api_client()
        .request(method, app.url(path))
        .basic_auth(user, Some(PASSWORD))
}

/// A request with alice's Basic credentials.
pub fn as_alice(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    as_user(app, ALICE, method, path)
}

/// A request with a Bearer token.
pub fn with_token(app: &TestApp, token: &str, method: Method, path: &str) -> RequestBuilder {
    app.api_client()
        .request(method, app.url(path))
        .bearer_auth(token)
}

/// A request without any credentials.
pub fn anonymous(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    app.api_client().request(method, app.url(path))
}

/// Creates a token for alice with Basic credentials; the whole 201 body.
pub async fn create_for_alice(app: &TestApp, body: Value) -> Value {
    app.create_token(ALICE, PASSWORD, body).await
}

/// A create request for alice with `body` as JSON.
pub async fn post_as_alice(app: &TestApp, body: Value) -> Response {
    as_alice(app, Method::POST, TOKENS)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The token id in a 201 body.
pub fn token_id(created: &Value) -> String {
    created["tokenInfo"]["tokenId"].as_str().unwrap().to_owned()
}

/// The token value in a 201 body.
pub fn token_value(created: &Value) -> String {
    created["tokenValue"].as_str().unwrap().to_owned()
}

/// A header of the response, if there is one, as text.
pub fn header_value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
}

/// Asserts the error envelope with this `name`, a non-empty message and an
/// object of details.
pub fn assert_envelope(body: &Value, name: &str) {
    if let Err(why) = check_envelope(body, name) {
        panic!("{why}");
    }
}

/// Whether `body` is the error envelope with this `name`, a non-empty message and
/// an object of details; what is wrong if not.
pub fn check_envelope(body: &Value, name: &str) -> Result<(), String> {
    let exception = &body["exception"];
    if exception["name"] != name {
        return Err(format!("not a {name}: {body}"));
    }
    if exception["message"].as_str().is_none_or(|m| m.is_empty()) {
        return Err(format!("no message: {body}"));
    }
    if !exception["details"].is_object() {
        return Err(format!("details is not an object: {body}"));
    }
    Ok(())
}

/// Whether `response` has this `status` and the error envelope `name`: its body,
/// or what is wrong.
pub async fn check_error(response: Response, status: u16, name: &str) -> Result<Value, String> {
    let actual = response.status();
    let text = response.text().await.unwrap();
    if actual != status {
        return Err(format!("{actual} instead of {status}: {text}"));
    }
    let body: Value =
        serde_json::from_str(&text).map_err(|e| format!("not a JSON error body: {e}: {text}"))?;
    check_envelope(&body, name)?;
    Ok(body)
}

/// Asserts the status and the envelope; returns the body.
pub async fn expect_error(response: Response, status: u16, name: &str) -> Value {
    check_error(response, status, name)
        .await
        .unwrap_or_else(|why| panic!("{why}"))
}

/// Asserts the answer to a presented token that was refused.
pub async fn expect_invalid_token(response: Response) {
    let challenge = header_value(&response, "www-authenticate");
    let body = expect_error(response, 401, "UnauthorizedException").await;
    assert_eq!(
        challenge.as_deref(),
        Some(INVALID_TOKEN_CHALLENGE),
        "{body}"
    );
}

/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`, without a regex crate (the
/// crate has none among its dependencies).
pub fn is_iso8601_utc_millis(s: &str) -> bool {
    const SHAPE: &str = "dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == SHAPE.len()
        && s.bytes().zip(SHAPE.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// An API time as Unix milliseconds.
pub fn millis(time: &Value) -> i64 {
    let text = time.as_str().unwrap_or_else(|| panic!("a time: {time}"));
    assert!(is_iso8601_utc_millis(text), "{text}");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_millis()
}

/// The JSON inside a token value.
pub fn decode_value(value: &str) -> Value {
    let bytes = BASE64.decode(value).expect("a token value is base64");
    serde_json::from_slice(&bytes).expect("a token value is base64 of JSON")
}

/// A well-formed token value for any id and secret.
pub fn forge_value(token_id: &str, secret_hex: &str) -> String {
    BASE64.encode(json!({"tokenId": token_id, "secret": secret_hex}).to_string())
}

/// The ids of `user`'s tokens, as listed.
pub async fn list_ids(app: &TestApp, user: &str) -> Vec<String> {
    let list: Value = as_user(app, user, Method::GET, TOKENS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokenId"].as_str().unwrap().to_owned())
        .collect()
}

/// A well-formed id that nothing has.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
