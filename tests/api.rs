//! Black-box tests of the v4 JSON API over real HTTP: each test starts its own
//! server over its own SQLite file and talks to it with reqwest.

mod common;

use std::time::Duration;

use access_tokens::domain::{Password, Role};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use common::{spawn_app, TestApp, PASSWORD};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ALICE: &str = "alice";
const BOB: &str = "bob";
const TOKENS: &str = "/v4/apiAccessTokens";
const SPEC: &str = "/v4/open-api-spec";
const CHALLENGE: &str = r#"Bearer realm="access-tokens""#;
const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer realm="access-tokens", error="invalid_token""#;
/// Ten years of 365 days, the longest lifetime allowed.
const MAX_LIFETIME_SECONDS: i64 = 315_360_000;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A server with the user alice.
async fn app_with_alice() -> TestApp {
    let app = spawn_app().await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    app
}

/// A server with the users alice and bob.
async fn app_with_alice_and_bob() -> TestApp {
    let app = app_with_alice().await;
    app.create_user(BOB, PASSWORD, Role::Member);
    app
}

fn token_path(id: &str) -> String {
    format!("{TOKENS}/{id}")
}

/// A request with `user`'s Basic credentials.
fn as_user(app: &TestApp, user: &str, method: Method, path: &str) -> RequestBuilder {
    app.api_client()
        .request(method, app.url(path))
        .basic_auth(user, Some(PASSWORD))
}

/// A request with alice's Basic credentials.
fn as_alice(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    as_user(app, ALICE, method, path)
}

/// A request with a Bearer token.
fn with_token(app: &TestApp, token: &str, method: Method, path: &str) -> RequestBuilder {
    app.api_client()
        .request(method, app.url(path))
        .bearer_auth(token)
}

/// A request without any credentials.
fn anonymous(app: &TestApp, method: Method, path: &str) -> RequestBuilder {
    app.api_client().request(method, app.url(path))
}

/// Creates a token for alice with Basic credentials; the whole 201 body.
async fn create_for_alice(app: &TestApp, body: Value) -> Value {
    app.create_token(ALICE, PASSWORD, body).await
}

/// A create request for alice with `body` as JSON.
async fn post_as_alice(app: &TestApp, body: Value) -> Response {
    as_alice(app, Method::POST, TOKENS)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn token_id(created: &Value) -> String {
    created["tokenInfo"]["tokenId"].as_str().unwrap().to_owned()
}

fn token_value(created: &Value) -> String {
    created["tokenValue"].as_str().unwrap().to_owned()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
}

/// Asserts the error envelope with this `name`, a non-empty message and an
/// object of details.
fn assert_envelope(body: &Value, name: &str) {
    let exception = &body["exception"];
    assert_eq!(exception["name"], name, "{body}");
    assert!(
        exception["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a non-empty message: {body}"
    );
    assert!(
        exception["details"].is_object(),
        "details is an object: {body}"
    );
}

/// Asserts the status and the envelope; returns the body.
async fn expect_error(response: Response, status: u16, name: &str) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "{text}");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("a JSON error body: {e}: {text}"));
    assert_envelope(&body, name);
    body
}

async fn expect_validation_failed(response: Response, status: u16) -> Value {
    expect_error(response, status, "ValidationFailed").await
}

/// Asserts the answer to a presented token that was refused.
async fn expect_invalid_token(response: Response) {
    let challenge = header(&response, "www-authenticate");
    let body = expect_error(response, 401, "UnauthorizedException").await;
    assert_eq!(
        challenge.as_deref(),
        Some(INVALID_TOKEN_CHALLENGE),
        "{body}"
    );
}

/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`, without a regex crate (the
/// crate has none among its dependencies).
fn is_iso8601_utc_millis(s: &str) -> bool {
    const SHAPE: &str = "dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == SHAPE.len()
        && s.bytes().zip(SHAPE.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// An API time as Unix milliseconds.
fn millis(time: &Value) -> i64 {
    let text = time.as_str().unwrap_or_else(|| panic!("a time: {time}"));
    assert!(is_iso8601_utc_millis(text), "{text}");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .timestamp_millis()
}

/// The JSON inside a token value.
fn decode_value(value: &str) -> Value {
    let bytes = BASE64.decode(value).expect("a token value is base64");
    serde_json::from_slice(&bytes).expect("a token value is base64 of JSON")
}

/// A well-formed token value for any id and secret.
fn forge_value(token_id: &str, secret_hex: &str) -> String {
    BASE64.encode(json!({"tokenId": token_id, "secret": secret_hex}).to_string())
}

/// The stored `secret_digest` of a token.
fn stored_digest(app: &TestApp, token_id: &str) -> Vec<u8> {
    use access_tokens::db::schema::api_tokens;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    api_tokens::table
        .find(token_id)
        .select(api_tokens::secret_digest)
        .first::<Vec<u8>>(&mut conn)
        .unwrap()
}

/// Everything the database holds: on SQLite the raw bytes of the file and its
/// write-ahead log; on PostgreSQL every row of every table of the test's schema,
/// as text (byte columns as hex) and as the raw bytes of its binary columns.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    if let Some(path) = app.db.sqlite_path() {
        let mut bytes = std::fs::read(path).unwrap();
        let mut wal = path.to_path_buf().into_os_string();
        wal.push("-wal");
        if let Ok(more) = std::fs::read(&wal) {
            bytes.extend(more);
        }
        return bytes;
    }
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        row: String,
    }
    let mut conn = app.pool.get().unwrap();
    let tables: Vec<Row> = diesel::sql_query(
        "SELECT table_name AS row FROM information_schema.tables \
         WHERE table_schema = current_schema()",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        tables.iter().any(|t| t.row == "api_tokens"),
        "the tables are found"
    );
    let mut bytes = Vec::new();
    for table in tables {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS row FROM \"{}\" t",
            table.row
        ))
        .load(&mut conn)
        .unwrap();
        for r in rows {
            bytes.extend(r.row.into_bytes());
        }
    }
    let digests: Vec<Vec<u8>> = {
        use access_tokens::db::schema::api_tokens;
        api_tokens::table
            .select(api_tokens::secret_digest)
            .load(&mut conn)
            .unwrap()
    };
    for d in digests {
        bytes.extend(d);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn list_ids(app: &TestApp, user: &str) -> Vec<String> {
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

fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

// ---------------------------------------------------------------------------
// Creating a token
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn creating_a_token_answers_201_with_its_value_and_its_info() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 100, "description": "CI"})).await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert!(body["tokenValue"].as_str().is_some_and(|v| !v.is_empty()));
    let info = body["tokenInfo"].as_object().unwrap();
    let mut keys: Vec<&str> = info.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "createdAt",
            "description",
            "expiredAt",
            "lastUsed",
            "tokenId"
        ]
    );
    assert_eq!(info["description"], "CI");
    assert!(uuid::Uuid::parse_str(info["tokenId"].as_str().unwrap()).is_ok());
}

#[actix_web::test]
async fn a_created_token_is_answered_with_cache_control_no_store() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 100})).await;

    assert_eq!(response.status(), 201);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
}

#[actix_web::test]
async fn token_times_are_iso8601_utc_with_milliseconds() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    for field in ["createdAt", "expiredAt"] {
        let time = created["tokenInfo"][field].as_str().unwrap();
        assert!(is_iso8601_utc_millis(time), "{field}: {time}");
    }
}

#[actix_web::test]
async fn a_token_expires_exactly_its_lifetime_after_its_creation() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    let info = &created["tokenInfo"];
    assert_eq!(
        millis(&info["expiredAt"]) - millis(&info["createdAt"]),
        100_000
    );
}

#[actix_web::test]
async fn a_token_with_a_lifetime_of_minus_one_never_expires() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": -1})).await;

    assert!(created["tokenInfo"]["expiredAt"].is_null());
}

#[actix_web::test]
async fn a_new_token_has_never_been_used() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    assert!(created["tokenInfo"]["lastUsed"].is_null());
}

#[actix_web::test]
async fn a_token_created_without_a_description_has_a_null_description() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    assert!(created["tokenInfo"]["description"].is_null());
}

#[actix_web::test]
async fn a_lifetime_of_exactly_ten_years_is_accepted() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": MAX_LIFETIME_SECONDS})).await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let info = &body["tokenInfo"];
    assert_eq!(
        millis(&info["expiredAt"]) - millis(&info["createdAt"]),
        MAX_LIFETIME_SECONDS * 1000
    );
}

#[actix_web::test]
async fn a_description_of_255_characters_is_accepted() {
    let app = app_with_alice().await;
    let description = "d".repeat(255);

    let response = post_as_alice(
        &app,
        json!({"lifetimeSeconds": 100, "description": description}),
    )
    .await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["tokenInfo"]["description"], description.as_str());
}

#[actix_web::test]
async fn the_token_value_is_base64_json_of_its_token_id_and_a_64_hex_secret() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    let decoded = decode_value(&token_value(&created));
    let fields = decoded.as_object().unwrap();
    assert_eq!(fields.len(), 2, "{decoded}");
    assert_eq!(decoded["tokenId"], created["tokenInfo"]["tokenId"]);
    let secret = decoded["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
}

// ---------------------------------------------------------------------------
// Listing, reading and deleting
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_list_shows_the_callers_tokens_newest_first() {
    let app = app_with_alice().await;
    let mut created = Vec::new();
    for n in 0..3 {
        let body = create_for_alice(
            &app,
            json!({"lifetimeSeconds": 100, "description": format!("#{n}")}),
        )
        .await;
        created.push(token_id(&body));
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }

    let response = as_alice(&app, Method::GET, TOKENS).send().await.unwrap();

    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["count"], 3);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokenId"].as_str().unwrap())
        .collect();
    created.reverse();
    assert_eq!(ids, created);
}

#[actix_web::test]
async fn the_list_leaves_out_other_users_tokens() {
    let app = app_with_alice_and_bob().await;
    let alices = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 100})).await);
    let bobs = token_id(
        &app.create_token(BOB, PASSWORD, json!({"lifetimeSeconds": 100}))
            .await,
    );

    let response = as_alice(&app, Method::GET, TOKENS).send().await.unwrap();

    let list: Value = response.json().await.unwrap();
    assert_eq!(list["count"], 1);
    assert_eq!(list["data"][0]["tokenId"], alices.as_str());
    assert!(!list.to_string().contains(&bobs));
}

#[actix_web::test]
async fn a_token_is_read_by_its_token_id() {
    let app = app_with_alice().await;
    let created = create_for_alice(
        &app,
        json!({"lifetimeSeconds": 100, "description": "read me"}),
    )
    .await;

    let response = as_alice(&app, Method::GET, &token_path(&token_id(&created)))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info, created["tokenInfo"]);
}

#[actix_web::test]
async fn deleting_a_token_answers_204_and_removes_it() {
    let app = app_with_alice().await;
    let id = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 100})).await);

    let response = as_alice(&app, Method::DELETE, &token_path(&id))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 204);
    let after = as_alice(&app, Method::GET, &token_path(&id))
        .send()
        .await
        .unwrap();
    expect_error(after, 404, "ObjectNotFoundException").await;
    assert!(list_ids(&app, ALICE).await.is_empty());
}

#[actix_web::test]
async fn reading_another_users_token_is_not_found() {
    let app = app_with_alice_and_bob().await;
    let bobs = token_id(
        &app.create_token(BOB, PASSWORD, json!({"lifetimeSeconds": 100}))
            .await,
    );

    let response = as_alice(&app, Method::GET, &token_path(&bobs))
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "ObjectNotFoundException").await;
}

#[actix_web::test]
async fn deleting_another_users_token_is_not_found_and_leaves_it_in_place() {
    let app = app_with_alice_and_bob().await;
    let bobs = app
        .create_token(BOB, PASSWORD, json!({"lifetimeSeconds": 100}))
        .await;

    let response = as_alice(&app, Method::DELETE, &token_path(&token_id(&bobs)))
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "ObjectNotFoundException").await;
    assert_eq!(list_ids(&app, BOB).await, [token_id(&bobs)]);
    let still_works = with_token(&app, &token_value(&bobs), Method::GET, TOKENS)
        .send()
        .await
        .unwrap();
    assert_eq!(still_works.status(), 200);
}

#[actix_web::test]
async fn reading_an_unknown_token_id_is_not_found() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::GET, &token_path(&random_uuid()))
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "ObjectNotFoundException").await;
}

#[actix_web::test]
async fn deleting_an_unknown_token_id_is_not_found() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::DELETE, &token_path(&random_uuid()))
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "ObjectNotFoundException").await;
}

#[actix_web::test]
async fn no_route_modifies_a_token() {
    let app = app_with_alice().await;
    let created = create_for_alice(
        &app,
        json!({"lifetimeSeconds": 100, "description": "as made"}),
    )
    .await;
    let path = token_path(&token_id(&created));

    for method in [Method::PUT, Method::PATCH] {
        let response = as_alice(&app, method.clone(), &path)
            .json(&json!({"lifetimeSeconds": -1, "description": "changed"}))
            .send()
            .await
            .unwrap();

        expect_error(response, 404, "RouteNotFoundException").await;
    }
    let info: Value = as_alice(&app, Method::GET, &path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info, created["tokenInfo"]);
}

// ---------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_open_api_spec_is_an_openapi_3_document() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::GET, SPEC).send().await.unwrap();

    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    let version = spec["openapi"].as_str().unwrap();
    assert!(version.starts_with('3'), "{version}");
}

#[actix_web::test]
async fn the_open_api_spec_describes_every_route() {
    let app = app_with_alice().await;

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

// ---------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------

/// One request per API route, for alice's token `id`.
fn every_route(id: &str) -> Vec<(Method, String)> {
    vec![
        (Method::POST, TOKENS.to_owned()),
        (Method::GET, TOKENS.to_owned()),
        (Method::GET, token_path(id)),
        (Method::DELETE, token_path(id)),
        (Method::GET, SPEC.to_owned()),
    ]
}

fn with_create_body(method: &Method, request: RequestBuilder) -> RequestBuilder {
    if *method == Method::POST {
        request.json(&json!({"lifetimeSeconds": 100}))
    } else {
        request
    }
}

#[actix_web::test]
async fn every_api_route_refuses_a_request_without_credentials() {
    let app = app_with_alice().await;
    let id = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 100})).await);

    for (method, path) in every_route(&id) {
        let response = with_create_body(&method, anonymous(&app, method.clone(), &path))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(
            header(&response, "www-authenticate").as_deref(),
            Some(CHALLENGE),
            "{method} {path}"
        );
        expect_error(response, 401, "UnauthorizedException").await;
    }
    assert_eq!(list_ids(&app, ALICE).await, [id]);
}

#[actix_web::test]
async fn every_api_route_accepts_a_bearer_token() {
    let app = app_with_alice().await;
    let token = app.token_value(ALICE, PASSWORD).await;
    let id = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 100})).await);

    for (method, path) in every_route(&id) {
        let response = with_create_body(&method, with_token(&app, &token, method.clone(), &path))
            .send()
            .await
            .unwrap();

        assert!(
            response.status().is_success(),
            "{method} {path}: {}",
            response.status()
        );
    }
}

#[actix_web::test]
async fn every_api_route_accepts_basic_credentials() {
    let app = app_with_alice().await;
    let id = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 100})).await);

    for (method, path) in every_route(&id) {
        let response = with_create_body(&method, as_alice(&app, method.clone(), &path))
            .send()
            .await
            .unwrap();

        assert!(
            response.status().is_success(),
            "{method} {path}: {}",
            response.status()
        );
    }
}

#[actix_web::test]
async fn a_garbage_bearer_token_is_refused_as_invalid() {
    let app = app_with_alice().await;

    let response = with_token(&app, "not-a-token", Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_well_formed_token_with_a_wrong_secret_is_refused_as_invalid() {
    let app = app_with_alice().await;
    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;
    let secret = decode_value(&token_value(&created))["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = if secret.as_bytes()[0] == b'0' {
        "1"
    } else {
        "0"
    };
    let wrong_secret = format!("{first}{}", &secret[1..]);
    let forged = forge_value(&token_id(&created), &wrong_secret);

    let response = with_token(&app, &forged, Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_token_with_an_unknown_token_id_is_refused_as_invalid() {
    let app = app_with_alice().await;
    let forged = forge_value(&random_uuid(), &"ab".repeat(32));

    let response = with_token(&app, &forged, Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_deleted_token_is_refused_at_once() {
    let app = app_with_alice().await;
    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;
    let token = token_value(&created);
    let first_use = with_token(&app, &token, Method::GET, TOKENS)
        .send()
        .await
        .unwrap();
    assert_eq!(first_use.status(), 200);
    let deleted = as_alice(&app, Method::DELETE, &token_path(&token_id(&created)))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    let response = with_token(&app, &token, Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_token_is_refused_once_its_lifetime_has_passed() {
    let app = app_with_alice().await;
    let created = create_for_alice(&app, json!({"lifetimeSeconds": 1})).await;
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;

    let response = with_token(&app, &token_value(&created), Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn an_expired_token_is_refused_as_invalid() {
    let app = app_with_alice().await;
    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;
    app.execute_sql(&format!(
        "UPDATE api_tokens SET expires_at = 0 WHERE id = '{}'",
        token_id(&created)
    ));

    let response = with_token(&app, &token_value(&created), Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = app_with_alice().await;

    let wrong_password = app
        .api_client()
        .get(app.url(TOKENS))
        .basic_auth(ALICE, Some("not the password"))
        .send()
        .await
        .unwrap();
    let unknown_user = app
        .api_client()
        .get(app.url(TOKENS))
        .basic_auth("nobody", Some("not the password"))
        .send()
        .await
        .unwrap();

    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_user.status(), wrong_password.status());
    assert_eq!(
        header(&unknown_user, "www-authenticate"),
        header(&wrong_password, "www-authenticate")
    );
    let wrong_password = wrong_password.text().await.unwrap();
    assert_envelope(
        &serde_json::from_str(&wrong_password).unwrap(),
        "UnauthorizedException",
    );
    assert_eq!(unknown_user.text().await.unwrap(), wrong_password);
}

#[actix_web::test]
async fn a_bad_token_is_refused_before_the_body_is_looked_at() {
    let app = app_with_alice().await;
    let forged = forge_value(&random_uuid(), &"ab".repeat(32));

    let response = with_token(&app, &forged, Method::POST, TOKENS)
        .header("content-type", "text/plain")
        .body("lifetimeSeconds=100")
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn wrong_passwords_sent_with_a_bad_body_still_count_towards_throttling() {
    let app = app_with_alice().await;
    for _ in 0..5 {
        app.api_client()
            .post(app.url(TOKENS))
            .basic_auth(ALICE, Some("not the password"))
            .header("content-type", "text/plain")
            .body("lifetimeSeconds=100")
            .send()
            .await
            .unwrap();
    }

    let response = as_alice(&app, Method::GET, TOKENS).send().await.unwrap();

    expect_error(response, 429, "TooManyRequestsException").await;
}

#[actix_web::test]
async fn each_accepted_use_of_a_token_records_last_used_within_a_second() {
    let app = app_with_alice().await;
    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;
    let used = with_token(&app, &token_value(&created), Method::GET, TOKENS)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);

    // Written behind, once a second.
    let start = std::time::Instant::now();
    let info: Value = loop {
        let info: Value = as_alice(&app, Method::GET, &token_path(&token_id(&created)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !info["lastUsed"].is_null() || start.elapsed() > std::time::Duration::from_millis(1500) {
            break info;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    assert!(!info["lastUsed"].is_null(), "{info}");
    assert!(
        millis(&info["lastUsed"]) >= millis(&info["createdAt"]),
        "{info}"
    );
}

#[actix_web::test]
async fn a_token_creates_tokens_only_for_its_own_user() {
    let app = app_with_alice_and_bob().await;
    let alices_token = app.token_value(ALICE, PASSWORD).await;

    let response = with_token(&app, &alices_token, Method::POST, TOKENS)
        .json(&json!({"lifetimeSeconds": 100, "description": "made by a token"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 201);
    let made = token_id(&response.json().await.unwrap());
    assert!(list_ids(&app, ALICE).await.contains(&made));
    assert!(!list_ids(&app, BOB).await.contains(&made));
}

#[actix_web::test]
async fn a_token_keeps_working_after_its_users_password_changes() {
    let app = app_with_alice().await;
    let token = app.token_value(ALICE, PASSWORD).await;
    set_password(&app, ALICE, "an entirely new password");

    let response = with_token(&app, &token, Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn the_old_password_is_refused_after_a_password_change() {
    let app = app_with_alice().await;
    set_password(&app, ALICE, "an entirely new password");

    let old = as_alice(&app, Method::GET, TOKENS).send().await.unwrap();

    expect_error(old, 401, "UnauthorizedException").await;
    let new = app
        .api_client()
        .get(app.url(TOKENS))
        .basic_auth(ALICE, Some("an entirely new password"))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
}

/// Replaces a user's password hash in the database, as `user passwd` would.
fn set_password(app: &TestApp, user: &str, new_password: &str) {
    let hash = access_tokens::auth::password::hash(&Password::offered(new_password.to_owned()));
    let mut conn = app.pool.get().unwrap();
    assert!(access_tokens::models::user::set_password_hash(
        &mut conn,
        user,
        &hash,
        access_tokens::domain::Timestamp::now()
    )
    .unwrap());
}

// ---------------------------------------------------------------------------
// Validation and the error envelope
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn invalid_json_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::POST, TOKENS)
        .header("content-type", "application/json")
        .body(r#"{"lifetimeSeconds": 100"#)
        .send()
        .await
        .unwrap();

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_lifetime_given_as_a_string_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": "100"})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_fractional_lifetime_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 1.5})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn an_unknown_field_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 100, "scope": "admin"})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_missing_lifetime_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"description": "no lifetime"})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_lifetime_of_zero_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 0})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_lifetime_below_minus_one_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": -2})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_lifetime_over_ten_years_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": MAX_LIFETIME_SECONDS + 1})).await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_description_of_256_characters_is_a_validation_failure() {
    let app = app_with_alice().await;

    let response = post_as_alice(
        &app,
        json!({"lifetimeSeconds": 100, "description": "d".repeat(256)}),
    )
    .await;

    expect_validation_failed(response, 400).await;
}

#[actix_web::test]
async fn a_refused_create_request_creates_no_token() {
    let app = app_with_alice().await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 0, "description": "no"})).await;

    assert_eq!(response.status(), 400);
    assert!(list_ids(&app, ALICE).await.is_empty());
}

#[actix_web::test]
async fn a_malformed_token_id_in_the_path_is_a_validation_failure() {
    let app = app_with_alice().await;

    for method in [Method::GET, Method::DELETE] {
        let response = as_alice(&app, method, &token_path("not-a-token-id"))
            .send()
            .await
            .unwrap();

        expect_validation_failed(response, 400).await;
    }
}

#[actix_web::test]
async fn a_body_over_16_kib_is_refused_with_413() {
    let app = app_with_alice().await;

    let response = post_as_alice(
        &app,
        json!({"lifetimeSeconds": 100, "description": "d".repeat(17 * 1024)}),
    )
    .await;

    expect_validation_failed(response, 413).await;
}

#[actix_web::test]
async fn a_text_plain_body_is_refused_with_415() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::POST, TOKENS)
        .header("content-type", "text/plain")
        .body(r#"{"lifetimeSeconds": 100}"#)
        .send()
        .await
        .unwrap();

    expect_validation_failed(response, 415).await;
}

#[actix_web::test]
async fn a_body_without_a_content_type_is_refused_with_415() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::POST, TOKENS)
        .body(r#"{"lifetimeSeconds": 100}"#)
        .send()
        .await
        .unwrap();

    expect_validation_failed(response, 415).await;
}

#[actix_web::test]
async fn an_unknown_route_under_v4_is_route_not_found() {
    let app = app_with_alice().await;

    let response = as_alice(&app, Method::GET, "/v4/noSuchThing")
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "RouteNotFoundException").await;
}

// ---------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_database_never_holds_the_token_value_or_its_secret() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    let value = token_value(&created);
    let secret_hex = decode_value(&value)["secret"].as_str().unwrap().to_owned();
    let secret = hex::decode(&secret_hex).unwrap();
    let stored = database_bytes(&app);
    assert!(
        contains(&stored, token_id(&created).as_bytes()),
        "the row is in the files read"
    );
    assert!(
        !contains(&stored, value.as_bytes()),
        "the token value is stored"
    );
    assert!(
        !contains(&stored, secret_hex.as_bytes()),
        "the secret is stored (hex)"
    );
    assert!(
        !contains(&stored, &secret),
        "the secret is stored (raw bytes)"
    );
}

#[actix_web::test]
async fn the_stored_digest_is_the_sha256_of_the_secret_bytes() {
    let app = app_with_alice().await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    let secret_hex = decode_value(&token_value(&created))["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = hex::decode(secret_hex).unwrap();
    assert_eq!(secret.len(), 32);
    let expected = Sha256::digest(&secret).to_vec();
    assert_eq!(stored_digest(&app, &token_id(&created)), expected);
}

// ---------------------------------------------------------------------------
// Concurrency and throttling
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn thirty_two_concurrent_creations_all_succeed() {
    let app = app_with_alice().await;
    let client = app.api_client();

    let requests: Vec<_> = (0..32)
        .map(|n| {
            let request = client
                .post(app.url(TOKENS))
                .basic_auth(ALICE, Some(PASSWORD))
                .json(&json!({"lifetimeSeconds": 100, "description": format!("#{n}")}));
            actix_web::rt::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }

    for (status, body) in &answers {
        assert_eq!(*status, 201, "{body}");
    }
    let list: Value = as_alice(&app, Method::GET, TOKENS)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 32);
    assert_eq!(list["data"].as_array().unwrap().len(), 32);
}

#[actix_web::test]
async fn concurrent_uses_of_one_token_never_fail() {
    let app = app_with_alice().await;
    let token = app.token_value(ALICE, PASSWORD).await;
    let client = app.api_client();

    let requests: Vec<_> = (0..32)
        .map(|_| {
            let request = client.get(app.url(TOKENS)).bearer_auth(&token);
            actix_web::rt::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }

    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert!(!body.contains("database is locked"), "{body}");
    }
}

#[actix_web::test]
async fn after_five_wrong_passwords_even_the_right_one_is_throttled() {
    let app = app_with_alice().await;
    for _ in 0..5 {
        let wrong = app
            .api_client()
            .get(app.url(TOKENS))
            .basic_auth(ALICE, Some("not the password"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }

    let response = as_alice(&app, Method::GET, TOKENS).send().await.unwrap();

    assert_eq!(response.status(), 429);
    let retry_after = header(&response, "retry-after").expect("a Retry-After header");
    assert!(
        retry_after.parse::<u64>().is_ok_and(|s| s > 0),
        "{retry_after}"
    );
    expect_error(response, 429, "TooManyRequestsException").await;
}
