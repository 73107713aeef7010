//! Credentials under one standing rule (issue 11, findings 4, 5 and 11): introspection,
//! `/auth/verify` and `/v4` judge an access token's owner alike; an access token of a
//! stopped grant reaches the API but creates no credential; a reused refresh token
//! stops its grant's access tokens on every instance; a token that cannot be checked
//! for a database error is answered 503, never let through.

mod common;

use std::time::{Duration, Instant};

use access_tokens::models;
use common::{
    api_client, bearer_status_at, generate, s, workspace_on_clock, Generate, Generated, TestApp,
    ADMIN, MEMBER, OAUTH_TOKENS, PASSWORD,
};
use serde_json::{json, Value};

const VERIFY: &str = "/auth/verify";

/// `POST /oauth2/introspect` for `token`, the caller authenticated by `auth`.
async fn introspect_with(
    app: &TestApp,
    auth: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    token: &str,
) -> reqwest::Response {
    auth(api_client().post(app.url("/oauth2/introspect")))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// Introspection of `token` by the workspace's admin (Basic): the 200 body.
async fn introspect(app: &TestApp, token: &str) -> Value {
    let response = introspect_with(app, |r| r.basic_auth(ADMIN, Some(PASSWORD)), token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Asserts that the three places an access token is presented all refuse it.
async fn refused_everywhere(app: &TestApp, access: &str) {
    assert_eq!(
        introspect(app, access).await,
        json!({"active": false}),
        "introspection"
    );
    assert_eq!(
        app.bearer_status_on(VERIFY, access).await,
        401,
        "/auth/verify"
    );
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, access).await, 401, "/v4");
}

/// Asserts that the three places an access token is presented all accept it.
async fn accepted_everywhere(app: &TestApp, access: &str) {
    let found = introspect(app, access).await;
    assert_eq!(found["active"], true, "introspection: {found}");
    assert_eq!(found["username"], MEMBER);
    assert_eq!(
        app.bearer_status_on(VERIFY, access).await,
        204,
        "/auth/verify"
    );
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, access).await, 200, "/v4");
}

/// Deactivates `user`'s account by the account-level path (as an instance admin
/// or the command line does: a write the other paths hear of only through the
/// change feed), and waits until `/v4` refuses `access`, within a second.
async fn deactivate(app: &TestApp, user: &str, access: &str) {
    assert!(app.set_active(user, false));
    let start = Instant::now();
    while app.bearer_status_on(OAUTH_TOKENS, access).await != 401 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "still accepted after a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Suspends `user` in the default workspace as its admin, through the API.
async fn suspend(app: &TestApp, user: &str) {
    let response = api_client()
        .patch(app.url(&format!("/v4/workspaceMembers/{}", app.user_id(user))))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Removes `user` from the default workspace as its admin, through the API.
async fn remove(app: &TestApp, user: &str) {
    let response = api_client()
        .delete(app.url(&format!("/v4/workspaceMembers/{}", app.user_id(user))))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[actix_web::test]
async fn introspecting_an_access_token_after_its_owner_is_deactivated_answers_inactive() {
    let app = workspace_on_clock().await.0;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    accepted_everywhere(&app, &access).await;

    deactivate(&app, MEMBER, &access).await;

    refused_everywhere(&app, &access).await;
}

#[actix_web::test]
async fn introspecting_an_access_token_after_its_owner_is_suspended_in_the_workspace_answers_inactive(
) {
    let app = workspace_on_clock().await.0;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    accepted_everywhere(&app, &access).await;

    suspend(&app, MEMBER).await;

    refused_everywhere(&app, &access).await;
}

#[actix_web::test]
async fn introspecting_an_access_token_after_its_owner_is_removed_from_the_workspace_answers_inactive(
) {
    let app = workspace_on_clock().await.0;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    accepted_everywhere(&app, &access).await;

    remove(&app, MEMBER).await;

    refused_everywhere(&app, &access).await;
}

/// `POST path` with `body`, `token` as Bearer.
async fn post_with(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    api_client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Asserts that `token` creates neither an OAuth API token nor a legacy token
/// (403, saying that its grant is stopped), and that it still lists them.
async fn creates_nothing(app: &TestApp, token: &str) {
    let oauth = json!({"name": "from a stopped grant", "lifetimeDays": 365});
    let legacy = json!({"lifetimeSeconds": -1});
    for (path, body) in [("/v4/oauthTokens", oauth), ("/v4/apiAccessTokens", legacy)] {
        let response = post_with(app, token, path, body).await;
        assert_eq!(response.status(), 403, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["exception"]["name"], "AccessControlException",
            "{path}"
        );
        let message = s(&body["exception"]["message"]);
        assert!(message.contains("grant is stopped"), "{path}: {message}");
    }
    let listed = api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.status(),
        200,
        "the access token still reaches the API"
    );
    assert_eq!(app.token_count(), 0, "no legacy token was made");
    assert_eq!(grant_count(app), 1, "no OAuth API token was made");
}

fn grant_count(app: &TestApp) -> i64 {
    use access_tokens::db::schema::oauth_grants;
    use diesel::{QueryDsl, RunQueryDsl};
    let mut conn = app.pool.get().unwrap();
    oauth_grants::table.count().get_result(&mut conn).unwrap()
}

/// Disables (`POST .../disable`) or deletes (`DELETE`) the grant `id` as `user`.
async fn stop_grant(app: &TestApp, user: &str, id: &str, delete: bool) {
    let request = if delete {
        api_client().delete(app.url(&format!("/v4/oauthTokens/{id}")))
    } else {
        api_client().post(app.url(&format!("/v4/oauthTokens/{id}/disable")))
    };
    let response = request
        .basic_auth(user, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[actix_web::test]
async fn a_disabled_grants_access_token_cannot_create_oauth_or_legacy_tokens() {
    let app = workspace_on_clock().await.0;
    let Generated {
        id: grant,
        value: access,
        ..
    } = generate(&app, Generate::oauth(MEMBER)).await;

    stop_grant(&app, MEMBER, &grant, false).await;

    creates_nothing(&app, &access).await;
}

#[actix_web::test]
async fn a_deleted_grants_access_token_cannot_create_oauth_or_legacy_tokens() {
    let app = workspace_on_clock().await.0;
    let Generated {
        id: grant,
        value: access,
        ..
    } = generate(&app, Generate::oauth(MEMBER)).await;
    // While the grant is in force, its access token may create tokens (the
    // refusal below is the stop's doing, nothing else's).
    let made = post_with(
        &app,
        &access,
        "/v4/apiAccessTokens",
        json!({"lifetimeSeconds": 60}),
    )
    .await;
    assert_eq!(made.status(), 201);
    let id = s(&made.json::<Value>().await.unwrap()["tokenInfo"]["tokenId"]);
    let gone = api_client()
        .delete(app.url(&format!("/v4/apiAccessTokens/{id}")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);

    stop_grant(&app, MEMBER, &grant, true).await;

    assert_eq!(grant_count(&app), 0);
    let oauth = json!({"name": "from a deleted grant", "lifetimeDays": 365});
    let response = post_with(&app, &access, "/v4/oauthTokens", oauth).await;
    assert_eq!(response.status(), 403);
    let response = post_with(
        &app,
        &access,
        "/v4/apiAccessTokens",
        json!({"lifetimeSeconds": -1}),
    )
    .await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["exception"]["name"], "AccessControlException");
    assert_eq!(app.token_count(), 0);
    assert_eq!(grant_count(&app), 0);
    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &access).await,
        200,
        "it still reaches the API"
    );
}

#[actix_web::test]
async fn an_expired_grants_last_access_token_cannot_create_tokens() {
    let (app, clock) = workspace_on_clock().await;
    let refresh = generate(&app, Generate::oauth(MEMBER).days(1))
        .await
        .refresh();
    // Refreshed a minute before the grant's day is up: an access token for an hour.
    clock.advance(86_400 - 60);
    let response = app.refresh(&refresh).await;
    assert_eq!(response.status(), 200);
    let access = s(&response.json::<Value>().await.unwrap()["access_token"]);
    clock.advance(120);

    creates_nothing(&app, &access).await;
}

#[actix_web::test]
async fn a_disabled_grants_access_token_of_an_admin_cannot_add_an_account() {
    let app = workspace_on_clock().await.0;
    let Generated {
        id: grant,
        value: access,
        ..
    } = generate(&app, Generate::oauth(ADMIN)).await;

    stop_grant(&app, ADMIN, &grant, false).await;

    for body in [
        json!({"username": "mallory", "password": "a long enough password for mallory"}),
        json!({"username": "mallory"}),
    ] {
        let response = post_with(&app, &access, "/v4/workspaceMembers", body).await;
        assert_eq!(response.status(), 403);
    }
    let mut conn = app.pool.get().unwrap();
    assert!(models::user::find_by_username(&mut conn, "mallory")
        .unwrap()
        .is_none());
}

/// Audit events of `action`: (target id, detail).
fn events(app: &TestApp, wanted: &str) -> Vec<(Option<String>, Option<String>)> {
    use access_tokens::db::schema::audit_events::dsl::*;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    audit_events
        .filter(action.eq(wanted))
        .select((target_id, detail))
        .load(&mut *conn)
        .unwrap()
}

#[actix_web::test]
async fn after_a_refresh_token_is_reused_the_grants_access_tokens_stop_on_every_instance() {
    let (app, clock) = workspace_on_clock().await;
    let shared = clock.clone();
    let other = app.spawn_instance(move |s| s.clock = shared).await;
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let first_refresh = made.refresh();
    let Generated {
        id: grant,
        value: first_access,
        ..
    } = made;
    let response = app.refresh(&first_refresh).await;
    assert_eq!(response.status(), 200);
    let second_access = s(&response.json::<Value>().await.unwrap()["access_token"]);
    for access in [&first_access, &second_access] {
        accepted_everywhere(&app, access).await;
        assert_eq!(bearer_status_at(&other, OAUTH_TOKENS, access).await, 200);
        assert_eq!(bearer_status_at(&other, VERIFY, access).await, 204);
    }

    // The thief (or the client) presents the rotated refresh token again.
    let reused = app.refresh(&first_refresh).await;
    assert_eq!(reused.status(), 400);
    let revoked_at = Instant::now();

    // At once on the instance that saw it.
    for access in [&first_access, &second_access] {
        refused_everywhere(&app, access).await;
    }
    // Within about a second on the other (a poll a second, plus the query's time
    // on a busy machine).
    for access in [&first_access, &second_access] {
        loop {
            let (api, verify) = (
                bearer_status_at(&other, OAUTH_TOKENS, access).await,
                bearer_status_at(&other, VERIFY, access).await,
            );
            if api == 401 && verify == 401 {
                break;
            }
            assert!(
                revoked_at.elapsed() < Duration::from_secs(3),
                "still accepted by the other instance after {:?}",
                revoked_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // An instance started later knows it from the start.
    let shared = clock.clone();
    let later = app.spawn_instance(move |s| s.clock = shared).await;
    assert_eq!(
        bearer_status_at(&later, OAUTH_TOKENS, &second_access).await,
        401
    );

    // Recorded: the grant disabled, and its access tokens revoked.
    let revoked = events(&app, "oauth_token.access_token_revoked");
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0].0.as_deref(), Some(grant.as_str()));
    assert_eq!(
        revoked[0].1.as_deref(),
        Some("refresh token reused: every access token of the grant revoked")
    );
    assert_eq!(events(&app, "oauth_token.disabled").len(), 1);
}

/// Breaks every query that reads memberships, as a failing database would.
fn take_memberships_away(app: &TestApp) {
    app.execute_sql("ALTER TABLE memberships RENAME TO memberships_away");
}

#[actix_web::test]
async fn a_database_error_while_checking_an_access_tokens_owner_answers_503_not_200() {
    let app = workspace_on_clock().await.0;
    // The admin's legacy token, used once so that this instance has it cached: it
    // authenticates the introspection below without a read.
    let admins = app.token_value(ADMIN, PASSWORD).await;
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &admins).await, 200);
    // Never presented yet, so checking them needs the database.
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let access = made.value.clone();
    let refresh = made.refresh();
    let legacy = app.token_value(MEMBER, PASSWORD).await;

    take_memberships_away(&app);

    for token in [&access, &legacy] {
        let response = api_client()
            .get(app.url("/v4/oauthTokens"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503, "/v4");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["exception"]["name"], "ServiceUnavailableException");
        assert_eq!(
            app.bearer_status_on(VERIFY, token).await,
            503,
            "/auth/verify"
        );
    }
    let introspected = introspect_with(&app, |r| r.bearer_auth(&admins), &access).await;
    assert_eq!(introspected.status(), 503, "introspection");
    let refreshed = app.refresh(&refresh).await;
    assert_eq!(refreshed.status(), 503, "refresh");
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
}

#[actix_web::test]
async fn an_access_token_is_not_let_through_while_the_revocations_cannot_be_read() {
    let app = workspace_on_clock().await.0;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    // Used once: its owner's standing is cached, so only the revocations are left
    // to read.
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 200);

    // The polls of revocations start failing; a revocation made meanwhile on
    // another instance would not be heard of.
    app.execute_sql("ALTER TABLE revoked_grants RENAME TO revoked_grants_away");
    tokio::time::sleep(Duration::from_millis(4500)).await;

    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &access).await,
        503,
        "/v4"
    );
    assert_eq!(
        app.bearer_status_on(VERIFY, &access).await,
        503,
        "/auth/verify"
    );
}
