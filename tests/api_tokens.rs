//! `/v4/apiAccessTokens`, the legacy access tokens, over real HTTP: creating one
//! (its value, info and times), listing, reading and deleting the caller's own,
//! what the API refuses as invalid input, what the database keeps of a token, and
//! many creations and uses at once.

mod common;

use std::time::Duration;

use common::api::{
    as_alice, check_error, create_for_alice, decode_value, expect_error, header_value,
    is_iso8601_utc_millis, list_ids, millis, post_as_alice, random_uuid, token_id, token_path,
    token_value, with_token, MAX_LIFETIME_SECONDS,
};
use common::{app_with_members, TestApp, ALICE, BOB, PASSWORD, TOKENS};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------
// Creating a token
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn creating_a_token_answers_201_with_its_value_and_its_info() {
    let app = app_with_members(&[ALICE]).await;

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
            "scopes",
            "tokenId"
        ]
    );
    assert_eq!(info["description"], "CI");
    assert_eq!(
        info["scopes"],
        json!(["api"]),
        "no scopes asked: full access"
    );
    assert!(uuid::Uuid::parse_str(info["tokenId"].as_str().unwrap()).is_ok());
}

#[actix_web::test]
async fn a_created_token_is_answered_with_cache_control_no_store() {
    let app = app_with_members(&[ALICE]).await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 100})).await;

    assert_eq!(response.status(), 201);
    assert_eq!(
        header_value(&response, "cache-control").as_deref(),
        Some("no-store")
    );
}

#[actix_web::test]
async fn token_times_are_iso8601_utc_with_milliseconds() {
    let app = app_with_members(&[ALICE]).await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    for field in ["createdAt", "expiredAt"] {
        let time = created["tokenInfo"][field].as_str().unwrap();
        assert!(is_iso8601_utc_millis(time), "{field}: {time}");
    }
}

#[actix_web::test]
async fn a_token_expires_exactly_its_lifetime_after_its_creation() {
    let app = app_with_members(&[ALICE]).await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    let info = &created["tokenInfo"];
    assert_eq!(
        millis(&info["expiredAt"]) - millis(&info["createdAt"]),
        100_000
    );
}

#[actix_web::test]
async fn a_token_with_a_lifetime_of_minus_one_never_expires() {
    let app = app_with_members(&[ALICE]).await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": -1})).await;

    assert!(created["tokenInfo"]["expiredAt"].is_null());
}

#[actix_web::test]
async fn a_new_token_has_never_been_used() {
    let app = app_with_members(&[ALICE]).await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    assert!(created["tokenInfo"]["lastUsed"].is_null());
}

#[actix_web::test]
async fn a_token_created_without_a_description_has_a_null_description() {
    let app = app_with_members(&[ALICE]).await;

    let created = create_for_alice(&app, json!({"lifetimeSeconds": 100})).await;

    assert!(created["tokenInfo"]["description"].is_null());
}

#[actix_web::test]
async fn a_lifetime_of_exactly_ten_years_is_accepted() {
    let app = app_with_members(&[ALICE]).await;

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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;

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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE, BOB]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE, BOB]).await;
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
    let app = app_with_members(&[ALICE, BOB]).await;
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
    let app = app_with_members(&[ALICE]).await;

    let response = as_alice(&app, Method::GET, &token_path(&random_uuid()))
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "ObjectNotFoundException").await;
}

#[actix_web::test]
async fn deleting_an_unknown_token_id_is_not_found() {
    let app = app_with_members(&[ALICE]).await;

    let response = as_alice(&app, Method::DELETE, &token_path(&random_uuid()))
        .send()
        .await
        .unwrap();

    expect_error(response, 404, "ObjectNotFoundException").await;
}

#[actix_web::test]
async fn no_route_modifies_a_token() {
    let app = app_with_members(&[ALICE]).await;
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
// Invalid input
// ---------------------------------------------------------------------------

/// A request the API must refuse with a `ValidationFailed` envelope.
struct BadInput {
    case: &'static str,
    method: Method,
    path: String,
    body: Body,
    status: u16,
}

enum Body {
    None,
    Json(Value),
    /// Sent as it is, with this `Content-Type` (or none).
    Raw(Option<&'static str>, String),
}

/// Every way alice can get a create, read or delete wrong, and the status each
/// gets: 400, or 413 and 415 for the body's size and type.
fn bad_inputs() -> Vec<BadInput> {
    let create = |case, body, status| BadInput {
        case,
        method: Method::POST,
        path: TOKENS.to_owned(),
        body,
        status,
    };
    let json_body = |case, body| create(case, Body::Json(body), 400);
    let mut cases = vec![
        create(
            "invalid JSON",
            Body::Raw(
                Some("application/json"),
                r#"{"lifetimeSeconds": 100"#.into(),
            ),
            400,
        ),
        json_body(
            "a lifetime given as a string",
            json!({"lifetimeSeconds": "100"}),
        ),
        json_body("a fractional lifetime", json!({"lifetimeSeconds": 1.5})),
        json_body(
            "an unknown field",
            json!({"lifetimeSeconds": 100, "scope": "admin"}),
        ),
        json_body("a missing lifetime", json!({"description": "no lifetime"})),
        json_body("a lifetime of zero", json!({"lifetimeSeconds": 0})),
        json_body("a lifetime below minus one", json!({"lifetimeSeconds": -2})),
        json_body(
            "a lifetime over ten years",
            json!({"lifetimeSeconds": MAX_LIFETIME_SECONDS + 1}),
        ),
        json_body(
            "a description of 256 characters",
            json!({"lifetimeSeconds": 100, "description": "d".repeat(256)}),
        ),
        create(
            "a body over 16 KiB",
            Body::Json(json!({"lifetimeSeconds": 100, "description": "d".repeat(17 * 1024)})),
            413,
        ),
        create(
            "a text/plain body",
            Body::Raw(Some("text/plain"), r#"{"lifetimeSeconds": 100}"#.into()),
            415,
        ),
        create(
            "a body without a content type",
            Body::Raw(None, r#"{"lifetimeSeconds": 100}"#.into()),
            415,
        ),
    ];
    for (case, method) in [
        ("a malformed token id in the path of a read", Method::GET),
        (
            "a malformed token id in the path of a delete",
            Method::DELETE,
        ),
    ] {
        cases.push(BadInput {
            case,
            method,
            path: token_path("not-a-token-id"),
            body: Body::None,
            status: 400,
        });
    }
    cases
}

impl BadInput {
    async fn send(&self, app: &TestApp) -> reqwest::Response {
        let request = as_alice(app, self.method.clone(), &self.path);
        let request = match &self.body {
            Body::None => request,
            Body::Json(body) => request.json(body),
            Body::Raw(Some(content_type), text) => request
                .header("content-type", *content_type)
                .body(text.clone()),
            Body::Raw(None, text) => request.body(text.clone()),
        };
        request.send().await.unwrap()
    }
}

/// Every bad input, each checked on its own; a failure names every case that went
/// wrong and how.
#[actix_web::test]
async fn bad_input_is_refused_with_a_validation_failure() {
    let app = app_with_members(&[ALICE]).await;

    let mut wrong = Vec::new();
    for input in bad_inputs() {
        let response = input.send(&app).await;
        if let Err(why) = check_error(response, input.status, "ValidationFailed").await {
            wrong.push(format!("{}: {why}", input.case));
        }
    }

    assert!(
        wrong.is_empty(),
        "not refused as it should be:\n{}",
        wrong.join("\n")
    );
    assert!(
        list_ids(&app, ALICE).await.is_empty(),
        "no token was created"
    );
}

#[actix_web::test]
async fn a_refused_create_request_creates_no_token() {
    let app = app_with_members(&[ALICE]).await;

    let response = post_as_alice(&app, json!({"lifetimeSeconds": 0, "description": "no"})).await;

    assert_eq!(response.status(), 400);
    assert!(list_ids(&app, ALICE).await.is_empty());
}

// ---------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------

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

#[actix_web::test]
async fn the_database_never_holds_the_token_value_or_its_secret() {
    let app = app_with_members(&[ALICE]).await;

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
    let app = app_with_members(&[ALICE]).await;

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
// Many at once
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn thirty_two_concurrent_creations_all_succeed() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
