//! Tokens with scopes (issue 14): generating a legacy or OAuth token with a list of
//! scopes, as its owner or with another token, defining a workspace's service
//! scopes, and reading a refusal for a missing scope. Shared by the `scopes_*`
//! test files.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use super::api::{check_envelope, header_value};
use super::{api_client, s, TestApp, OAUTH_TOKENS, PASSWORD, TOKENS};

/// The two kinds of token a scope can be put on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A legacy access token (`/v4/apiAccessTokens`).
    Legacy,
    /// An OAuth 2.0 API token (`/v4/oauthTokens`): its access token is presented.
    OAuth,
}

pub const KINDS: [Kind; 2] = [Kind::Legacy, Kind::OAuth];

impl Kind {
    /// Where tokens of this kind are created.
    pub fn path(self) -> &'static str {
        match self {
            Kind::Legacy => TOKENS,
            Kind::OAuth => OAUTH_TOKENS,
        }
    }

    /// A create request's body with `scopes` (absent when `None`).
    pub fn body(self, scopes: Option<&[&str]>) -> Value {
        let mut body = match self {
            Kind::Legacy => json!({"lifetimeSeconds": 86_400}),
            Kind::OAuth => json!({"name": "scoped", "lifetimeDays": 30}),
        };
        if let Some(scopes) = scopes {
            body["scopes"] = json!(scopes);
        }
        body
    }

    /// The value to present as Bearer, from a 201 body.
    pub fn bearer(self, created: &Value) -> String {
        match self {
            Kind::Legacy => s(&created["tokenValue"]),
            Kind::OAuth => s(&created["accessToken"]),
        }
    }
}

/// Who asks for a new token.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    /// A user with the password [`PASSWORD`] (Basic): unrestricted by scopes.
    Password(&'a str),
    /// A token, as Bearer: it creates only tokens whose scopes it covers.
    Token(&'a str),
}

/// Asks `base` (an instance's address) for a `kind` token with `scopes`; the
/// response as it is.
pub async fn create_at(base: &str, by: By<'_>, kind: Kind, scopes: Option<&[&str]>) -> Response {
    let request = api_client()
        .post(format!("{base}{}", kind.path()))
        .json(&kind.body(scopes));
    let request = match by {
        By::Password(user) => request.basic_auth(user, Some(PASSWORD)),
        By::Token(token) => request.bearer_auth(token),
    };
    request.send().await.unwrap()
}

/// Creates a `kind` token with `scopes`, asserting the 201; the whole body.
pub async fn create(app: &TestApp, by: By<'_>, kind: Kind, scopes: Option<&[&str]>) -> Value {
    let response = create_at(&app.address, by, kind, scopes).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(
        status, 201,
        "creating a {kind:?} token with {scopes:?}: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

/// A `kind` token of `user`'s with `scopes`, created with the password: the value
/// to present as Bearer.
pub async fn scoped(app: &TestApp, user: &str, kind: Kind, scopes: &[&str]) -> String {
    kind.bearer(&create(app, By::Password(user), kind, Some(scopes)).await)
}

/// Sets the workspace's service scopes (and those members may grant) as `admin`
/// would, with the password; asserts the 200.
pub async fn define_service_scopes(app: &TestApp, admin: &str, all: &[&str], members: &[&str]) {
    let response = api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .basic_auth(admin, Some(PASSWORD))
        .json(&json!({"serviceScopes": all, "memberServiceScopes": members}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "defining service scopes: {text}");
}

/// `method path` at `base` with `token` as Bearer and `body` as JSON (if any).
pub async fn call(
    base: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Response {
    let request = api_client()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    let request = match body {
        Some(body) => request.json(body),
        None => request,
    };
    request.send().await.unwrap()
}

/// The challenge of a 403 for a missing `scope`.
pub fn insufficient_scope_challenge(scope: &str) -> String {
    format!(r#"Bearer realm="access-tokens", error="insufficient_scope", scope="{scope}""#)
}

/// Whether `response` is the refusal of a token lacking `scope`: 403, the
/// `insufficient_scope` challenge naming it, and the `AccessControlException`
/// envelope whose details say so. The body, or what is wrong.
pub async fn check_insufficient_scope(response: Response, scope: &str) -> Result<Value, String> {
    let status = response.status();
    let challenge = header_value(&response, "www-authenticate");
    let text = response.text().await.unwrap();
    if status != 403 {
        return Err(format!(
            "{status} instead of 403 insufficient_scope: {text}"
        ));
    }
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    check_envelope(&body, "AccessControlException")?;
    let wanted = insufficient_scope_challenge(scope);
    if challenge.as_deref() != Some(wanted.as_str()) {
        return Err(format!("challenge {challenge:?}, not {wanted}: {text}"));
    }
    let details = &body["exception"]["details"];
    let names: Vec<&str> = scope.split(' ').collect();
    if *details != json!({"error": "insufficient_scope", "requiredScopes": names}) {
        return Err(format!("details: {details}"));
    }
    Ok(body)
}

/// Asserts [`check_insufficient_scope`]; the body.
pub async fn expect_insufficient_scope(response: Response, scope: &str) -> Value {
    check_insufficient_scope(response, scope)
        .await
        .unwrap_or_else(|why| panic!("{why}"))
}

/// Asserts a 403 `AccessControlException` for scopes the caller may not grant,
/// naming exactly `names` in its message.
pub async fn expect_not_grantable(response: Response, names: &[&str]) {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 403, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    check_envelope(&body, "AccessControlException").unwrap();
    let message = s(&body["exception"]["message"]);
    assert!(
        message.ends_with(&format!("{}.", names.join(", "))),
        "names {names:?}: {message}"
    );
}

/// Asserts a 400 `ValidationFailed` for the field `scopes`; the body.
pub async fn expect_scopes_invalid(response: Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 400, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    check_envelope(&body, "ValidationFailed").unwrap();
    assert_eq!(body["exception"]["details"]["field"], "scopes", "{body}");
    body
}
