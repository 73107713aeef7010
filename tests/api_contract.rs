//! What every v4 client relies on, whatever the resource: the OpenAPI document,
//! the answer to a path or method the API does not have, and the JSON error
//! envelope, pinned by one snapshot per kind of error (`tests/snapshots`) with what
//! changes from run to run redacted.

mod common;

use access_tokens::domain::Role;
use common::api::{as_alice, as_user, expect_error, header_value, token_path, SPEC};
use common::{
    app_with_members, spawn_app, workspace, Generating, ADMIN, ALICE, MEMBER, PASSWORD, TOKENS,
};
use reqwest::{Method, Response};
use serde_json::{json, Map, Value};

/// A well-formed token id that no token has (fixed, so that the message naming it
/// is the same in every run).
const UNKNOWN_ID: &str = "bab908f7-dcc2-4962-85bd-c1e96d0cacbd";

// ---------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_open_api_spec_is_an_openapi_3_document() {
    let app = app_with_members(&[ALICE]).await;

    let response = as_alice(&app, Method::GET, SPEC).send().await.unwrap();

    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    let version = spec["openapi"].as_str().unwrap();
    assert!(version.starts_with('3'), "{version}");
}

#[actix_web::test]
async fn the_open_api_spec_describes_every_route() {
    let app = app_with_members(&[ALICE]).await;

    let spec: Value = as_alice(&app, Method::GET, SPEC)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    for (path, method) in [
        ("/v4/apiAccessTokens", "post"),
        ("/v4/apiAccessTokens", "get"),
        ("/v4/apiAccessTokens/{tokenId}", "get"),
        ("/v4/apiAccessTokens/{tokenId}", "delete"),
        ("/v4/open-api-spec", "get"),
    ] {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} is missing"
        );
    }
}

/// `schema` with its `$ref` (to `components/schemas`) followed.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => resolve(
            spec,
            &spec["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        ),
        None => schema,
    }
}

/// The property `name` of `schema`, through `$ref` and `allOf`, and whether it is
/// required; `[]` is the items of an array.
fn property<'a>(spec: &'a Value, schema: &'a Value, name: &str) -> Option<(&'a Value, bool)> {
    let schema = resolve(spec, schema);
    if name == "[]" {
        return Some((resolve(spec, &schema["items"]), true));
    }
    if let Some(found) = schema["properties"].get(name) {
        let required = schema["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!(name)));
        return Some((resolve(spec, found), required));
    }
    schema["allOf"]
        .as_array()?
        .iter()
        .find_map(|part| property(spec, part, name))
}

#[actix_web::test]
async fn the_open_api_spec_describes_scopes_everywhere_they_appear() {
    let app = app_with_members(&[ALICE]).await;

    let spec: Value = as_alice(&app, Method::GET, SPEC)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // (path, method, "request" or the status answered, the way to the field)
    for (path, method, body, way) in [
        ("/v4/apiAccessTokens", "post", "request", &["scopes"][..]),
        (
            "/v4/apiAccessTokens",
            "post",
            "201",
            &["tokenInfo", "scopes"],
        ),
        (
            "/v4/apiAccessTokens",
            "get",
            "200",
            &["data", "[]", "scopes"],
        ),
        ("/v4/apiAccessTokens/{tokenId}", "get", "200", &["scopes"]),
        ("/v4/oauthTokens", "post", "request", &["scopes"]),
        ("/v4/oauthTokens", "post", "201", &["tokenInfo", "scopes"]),
        ("/v4/oauthTokens", "get", "200", &["data", "[]", "scopes"]),
        (
            "/v4/workspaceAccessTokens",
            "get",
            "200",
            &["data", "[]", "scopes"],
        ),
        (
            "/v4/workspaceOAuthTokens",
            "get",
            "200",
            &["data", "[]", "scopes"],
        ),
        ("/v4/workspaceSettings", "get", "200", &["serviceScopes"]),
        (
            "/v4/workspaceSettings",
            "get",
            "200",
            &["memberServiceScopes"],
        ),
        ("/v4/workspaceSettings", "patch", "200", &["serviceScopes"]),
        (
            "/v4/workspaceSettings",
            "patch",
            "request",
            &["serviceScopes"],
        ),
        (
            "/v4/workspaceSettings",
            "patch",
            "request",
            &["memberServiceScopes"],
        ),
    ] {
        let where_ = format!("{method} {path} {body} {}", way.join("."));
        let operation = &spec["paths"][path][method];
        let mut schema = if body == "request" {
            &operation["requestBody"]["content"]["application/json"]["schema"]
        } else {
            &operation["responses"][body]["content"]["application/json"]["schema"]
        };
        let mut required = true;
        for step in way {
            let (found, is_required) = property(&spec, schema, step)
                .unwrap_or_else(|| panic!("{where_}: no {step} in {schema}"));
            (schema, required) = (found, is_required);
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            other => other
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect(),
        };
        assert!(types.contains(&"array"), "{where_}: {schema}");
        assert_eq!(schema["items"]["type"], "string", "{where_}");
        assert_eq!(
            schema["items"]["pattern"], "^[a-z0-9:._-]{1,64}$",
            "{where_}"
        );
        assert!(
            schema["description"].as_str().is_some_and(|d| d.len() > 40),
            "{where_} says what it is: {schema}"
        );
        if body == "request" {
            assert!(!required, "{where_}: optional");
            assert!(types.contains(&"null"), "{where_}: null is absent");
        } else {
            assert!(required, "{where_}: always answered");
        }
    }
    let forbidden = &spec["components"]["responses"]["Forbidden"];
    assert!(
        forbidden["description"]
            .as_str()
            .unwrap()
            .contains("insufficient_scope"),
        "{forbidden}"
    );
    assert!(forbidden["headers"]["WWW-Authenticate"].is_object());
}

// ---------------------------------------------------------------------------
// Paths the API does not have
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn an_unknown_route_under_v4_is_route_not_found() {
    let app = app_with_members(&[ALICE]).await;

    let response = as_alice(&app, Method::GET, "/v4/noSuchThing")
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "RouteNotFoundException").await;
}

#[actix_web::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let response = app
        .api_client()
        .get(app.url("/v4/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(header_value(&response, "content-type").is_some_and(|t| t.contains("json")));
    let body: Value = response.json().await.expect("a JSON body");
    assert!(body.is_object());
}

// ---------------------------------------------------------------------------
// The error envelopes
// ---------------------------------------------------------------------------

/// What a client sees of an error: the status, the headers that are part of the
/// envelope's contract, and the body.
async fn seen(response: Response) -> Value {
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for name in [
        "content-type",
        "cache-control",
        "www-authenticate",
        "retry-after",
    ] {
        if let Some(value) = header_value(&response, name) {
            headers.insert(name.to_owned(), value.into());
        }
    }
    let text = response.text().await.unwrap();
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("a JSON body: {e}: {text}"));
    json!({"status": status, "headers": headers, "body": body})
}

/// Pins what a client sees of an error as the snapshot `name`.
async fn assert_envelope_snapshot(name: &str, response: Response) {
    let seen = seen(response).await;
    insta::assert_json_snapshot!(name, seen, {
        // How long to wait depends on when the window started.
        ".headers[\"retry-after\"]" => "[seconds]",
        ".body.exception.details.retryAfterSeconds" => "[seconds]",
    });
}

#[actix_web::test]
async fn a_bad_field_is_a_400_validation_failed_naming_the_field() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::POST, TOKENS)
        .json(&json!({"lifetimeSeconds": 0}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("400_validation_failed", response).await;
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_400_validation_failed() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::POST, TOKENS)
        .header("content-type", "application/json")
        .body(r#"{"lifetimeSeconds": 100"#)
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("400_validation_failed_invalid_json", response).await;
}

#[actix_web::test]
async fn a_body_of_the_wrong_shape_is_a_400_validation_failed_without_a_made_up_position() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::POST, TOKENS)
        .json(&json!({"lifetimeSeconds": "soon"}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("400_validation_failed_wrong_shape", response).await;
}

#[actix_web::test]
async fn a_body_too_large_is_a_413_validation_failed() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::POST, TOKENS)
        .json(&json!({"lifetimeSeconds": 100, "description": "d".repeat(17 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("413_validation_failed", response).await;
}

#[actix_web::test]
async fn a_body_that_is_not_declared_json_is_a_415_validation_failed() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::POST, TOKENS)
        .header("content-type", "text/plain")
        .body(r#"{"lifetimeSeconds": 100}"#)
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("415_validation_failed", response).await;
}

#[actix_web::test]
async fn no_credentials_is_a_401_with_the_bearer_challenge() {
    let app = app_with_members(&[ALICE]).await;
    let response = app.api_client().get(app.url(TOKENS)).send().await.unwrap();
    assert_envelope_snapshot("401_unauthorized", response).await;
}

#[actix_web::test]
async fn a_refused_token_is_a_401_with_the_invalid_token_challenge() {
    let app = app_with_members(&[ALICE]).await;
    let response = app
        .api_client()
        .get(app.url(TOKENS))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("401_unauthorized_invalid_token", response).await;
}

#[actix_web::test]
async fn a_member_on_an_admin_route_is_a_403_access_control_exception() {
    let app = workspace(Generating::MembersToo).await;
    let response = as_user(&app, MEMBER, Method::GET, "/v4/workspaceSettings")
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("403_access_control", response).await;
}

#[actix_web::test]
async fn a_token_without_the_scope_a_route_needs_is_a_403_insufficient_scope() {
    let app = workspace(Generating::MembersToo).await;
    let token = app
        .create_token(
            ADMIN,
            PASSWORD,
            json!({"lifetimeSeconds": 3600, "scopes": ["read_api"]}),
        )
        .await;
    let response = app
        .api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .bearer_auth(token["tokenValue"].as_str().unwrap())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("403_insufficient_scope", response).await;
}

#[actix_web::test]
async fn unknown_scopes_are_a_400_validation_failed_naming_them() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::POST, TOKENS)
        .json(&json!({"lifetimeSeconds": 60, "scopes": ["read_api", "write_api", "sudo"]}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("400_validation_failed_unknown_scopes", response).await;
}

#[actix_web::test]
async fn an_unknown_token_is_a_404_object_not_found() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::GET, &token_path(UNKNOWN_ID))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("404_object_not_found", response).await;
}

#[actix_web::test]
async fn an_unknown_path_is_a_404_route_not_found() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::GET, "/v4/noSuchThing")
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("404_route_not_found", response).await;
}

/// There is no 405: a method a path does not have is a route that does not exist.
#[actix_web::test]
async fn a_method_the_path_does_not_have_is_a_404_route_not_found() {
    let app = app_with_members(&[ALICE]).await;
    let response = as_alice(&app, Method::PUT, &token_path(UNKNOWN_ID))
        .json(&json!({"lifetimeSeconds": 100}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("404_route_not_found_for_a_method", response).await;
}

#[actix_web::test]
async fn removing_the_last_admin_is_a_409_conflict() {
    let app = workspace(Generating::MembersToo).await;
    let response = as_user(
        &app,
        ADMIN,
        Method::PATCH,
        &format!("/v4/workspaceMembers/{}", app.user_id(ADMIN)),
    )
    .json(&json!({"role": "member"}))
    .send()
    .await
    .unwrap();
    assert_envelope_snapshot("409_conflict", response).await;
}

/// Adding a name that is already an account elsewhere is refused (issue 11), and
/// the details say why, for a client to offer an invitation instead.
#[actix_web::test]
async fn adding_a_name_that_has_an_account_elsewhere_is_a_409_conflict_saying_so() {
    let app = workspace(Generating::MembersToo).await;
    let elsewhere = app.create_workspace("elsewhere");
    app.create_user_in("outsider", elsewhere, Role::Member);
    let response = as_user(&app, ADMIN, Method::POST, "/v4/workspaceMembers")
        .json(&json!({"username": "outsider"}))
        .send()
        .await
        .unwrap();
    assert_envelope_snapshot("409_conflict_existing_user", response).await;
}

#[actix_web::test]
async fn too_many_wrong_passwords_is_a_429_saying_when_to_retry() {
    let app = app_with_members(&[ALICE]).await;
    for _ in 0..5 {
        app.api_client()
            .get(app.url(TOKENS))
            .basic_auth(ALICE, Some("not the password"))
            .send()
            .await
            .unwrap();
    }
    let response = as_alice(&app, Method::GET, TOKENS).send().await.unwrap();
    assert_envelope_snapshot("429_too_many_requests", response).await;
}
