//! Who the v4 API lets in, over real HTTP: every route with Basic credentials, a
//! Bearer token or nothing; tokens that are garbage, forged, deleted or expired;
//! wrong passwords (answered as an unknown user is, and throttled); "last used";
//! a token that makes tokens; and a changed password.

mod common;

use std::time::Duration;

use access_tokens::domain::Password;
use common::api::{
    anonymous, as_alice, assert_envelope, create_for_alice, decode_value, expect_error,
    expect_invalid_token, forge_value, header_value, list_ids, millis, random_uuid, token_id,
    token_path, token_value, with_token, CHALLENGE, SPEC,
};
use common::{app_with_members, TestApp, ALICE, BOB, PASSWORD, TOKENS};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Every route
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
    let app = app_with_members(&[ALICE]).await;
    let id = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 100})).await);

    for (method, path) in every_route(&id) {
        let response = with_create_body(&method, anonymous(&app, method.clone(), &path))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(
            header_value(&response, "www-authenticate").as_deref(),
            Some(CHALLENGE),
            "{method} {path}"
        );
        expect_error(response, 401, "UnauthorizedException").await;
    }
    assert_eq!(list_ids(&app, ALICE).await, [id]);
}

#[actix_web::test]
async fn every_api_route_accepts_a_bearer_token() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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

// ---------------------------------------------------------------------------
// Tokens that are refused
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_garbage_bearer_token_is_refused_as_invalid() {
    let app = app_with_members(&[ALICE]).await;

    let response = with_token(&app, "not-a-token", Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_well_formed_token_with_a_wrong_secret_is_refused_as_invalid() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
    let forged = forge_value(&random_uuid(), &"ab".repeat(32));

    let response = with_token(&app, &forged, Method::GET, TOKENS)
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

#[actix_web::test]
async fn a_deleted_token_is_refused_at_once() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
async fn a_bad_token_is_refused_before_the_body_is_looked_at() {
    let app = app_with_members(&[ALICE]).await;
    let forged = forge_value(&random_uuid(), &"ab".repeat(32));

    let response = with_token(&app, &forged, Method::POST, TOKENS)
        .header("content-type", "text/plain")
        .body("lifetimeSeconds=100")
        .send()
        .await
        .unwrap();

    expect_invalid_token(response).await;
}

// ---------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = app_with_members(&[ALICE]).await;

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
        header_value(&unknown_user, "www-authenticate"),
        header_value(&wrong_password, "www-authenticate")
    );
    let wrong_password = wrong_password.text().await.unwrap();
    assert_envelope(
        &serde_json::from_str(&wrong_password).unwrap(),
        "UnauthorizedException",
    );
    assert_eq!(unknown_user.text().await.unwrap(), wrong_password);
}

#[actix_web::test]
async fn wrong_passwords_sent_with_a_bad_body_still_count_towards_throttling() {
    let app = app_with_members(&[ALICE]).await;
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
async fn after_five_wrong_passwords_even_the_right_one_is_throttled() {
    let app = app_with_members(&[ALICE]).await;
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
    let retry_after = header_value(&response, "retry-after").expect("a Retry-After header");
    assert!(
        retry_after.parse::<u64>().is_ok_and(|s| s > 0),
        "{retry_after}"
    );
    expect_error(response, 429, "TooManyRequestsException").await;
}

#[actix_web::test]
async fn a_token_keeps_working_after_its_users_password_changes() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
// Accepted tokens
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn each_accepted_use_of_a_token_records_last_used_within_a_second() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE, BOB]).await;
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
