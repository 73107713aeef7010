//! `/auth/verify` for reverse proxies, and the cache of verified tokens behind every
//! Bearer check: what it answers and with which headers, that a repeated check
//! reads no database, that a deletion, expiry or deactivation counts at once here
//! and within a second on another instance, "last used" written behind, and
//! addresses that keep presenting invalid tokens held back without slowing valid
//! callers.

mod common;

use std::time::{Duration, Instant};

use access_tokens::domain::Role;
use common::{
    generate, header, spawn_app_with, workspace, Generate, Generated, Generating, TestApp, ADMIN,
    MEMBER, PASSWORD,
};
use reqwest::header::{SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::{json, Value};

async fn verify_at(base: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{base}/auth/verify"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn verify(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    verify_at(&app.address, token).await
}

/// Deactivates `user` through the API, as the admin whose token is `admins`.
async fn deactivate(app: &TestApp, admins: &str, user: &str) {
    let deactivated = app
        .api_client()
        .patch(app.url(&format!("/v4/workspaceMembers/{}", app.user_id(user))))
        .bearer_auth(admins)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), 200);
}

/// Asks `base` every 20 ms until `/auth/verify` refuses `token`; how long it took.
async fn refused_within(base: &str, token: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let status = verify_at(base, Some(token)).await.status();
        if status == 401 {
            return start.elapsed();
        }
        assert_eq!(status, 204, "only 204 until it is refused");
        assert!(
            start.elapsed() < limit,
            "still accepted after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_valid_legacy_token_is_answered_204_with_who_it_is() {
    let app = workspace(Generating::MembersToo).await;
    let Generated { id, value, .. } = generate(&app, Generate::legacy(MEMBER)).await;
    let response = verify(&app, Some(&value)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(header(response.headers(), "x-auth-user"), MEMBER);
    assert_eq!(
        header(response.headers(), "x-auth-user-id"),
        app.user_id(MEMBER).to_string()
    );
    assert_eq!(header(response.headers(), "x-auth-workspace"), "default");
    assert_eq!(header(response.headers(), "x-auth-token-id"), id);
    assert_eq!(header(response.headers(), "x-auth-token-type"), "legacy");
    assert_eq!(header(response.headers(), "x-auth-role"), "member");
    assert!(response.headers().get(SET_COOKIE).is_none());
    // Any method: some proxies ask with the original request's.
    let posted = reqwest::Client::new()
        .post(app.url("/auth/verify"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 204);
    assert_eq!(header(posted.headers(), "x-auth-token-id"), id);
}

#[actix_web::test]
async fn an_oauth_access_token_is_answered_with_its_grant() {
    let app = workspace(Generating::MembersToo).await;
    let body: Value = app
        .api_client()
        .post(app.url("/v4/oauthTokens"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .json(&json!({"name": "proxy", "lifetimeDays": 30}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = body["accessToken"].as_str().unwrap().to_owned();
    let response = verify(&app, Some(&access)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(header(response.headers(), "x-auth-user"), MEMBER);
    assert_eq!(header(response.headers(), "x-auth-token-type"), "oauth");
    let grant = body["tokenInfo"]["tokenId"].as_str().unwrap();
    assert_eq!(header(response.headers(), "x-auth-token-id"), grant);

    // Deactivating the owner stops the access token at once, as it stops a legacy
    // token: its subject's standing is cached, and dropped by the change.
    let admins = app.token_value(ADMIN, PASSWORD).await;
    deactivate(&app, &admins, MEMBER).await;
    assert_eq!(verify(&app, Some(&access)).await.status(), 401);
}

#[actix_web::test]
async fn anything_else_is_401_with_an_rfc_6750_challenge() {
    let app = workspace(Generating::MembersToo).await;
    let missing = verify(&app, None).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(
        header(missing.headers(), "www-authenticate"),
        r#"Bearer realm="access-tokens""#
    );
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["exception"]["name"], "UnauthorizedException");

    for garbage in ["not-a-token", "eyJhbGciOiJFZERTQSJ9.e30.c2ln"] {
        let refused = verify(&app, Some(garbage)).await;
        assert_eq!(refused.status(), 401, "{garbage}");
        assert!(
            header(refused.headers(), "www-authenticate").contains(r#"error="invalid_token""#),
            "{garbage}"
        );
        assert!(refused.headers().get("x-auth-user").is_none());
    }

    // A well-formed token that does not exist (a real one, deleted).
    let Generated { id, value, .. } = generate(&app, Generate::legacy(MEMBER)).await;
    app.execute_sql(&format!("DELETE FROM api_tokens WHERE id = '{id}'"));
    assert_eq!(verify(&app, Some(&value)).await.status(), 401);

    // Basic credentials are not a Bearer token.
    let basic = reqwest::Client::new()
        .get(app.url("/auth/verify"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    assert!(header(basic.headers(), "www-authenticate").contains(r#"error="invalid_request""#));

    // Nor is a token in the query string.
    let value = generate(&app, Generate::legacy(MEMBER)).await.value;
    let in_url = reqwest::Client::new()
        .get(app.url(&format!("/auth/verify?access_token={value}")))
        .send()
        .await
        .unwrap();
    assert_eq!(in_url.status(), 401);
}

#[actix_web::test]
async fn a_session_cookie_is_never_accepted() {
    let app = workspace(Generating::MembersToo).await;
    let browser = app.browser_client();
    let signed_in = app.sign_in(&browser, MEMBER, PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    // The cookie works for the pages...
    let page = browser
        .get(app.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // ...but not here.
    let response = browser.get(app.url("/auth/verify")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get(SET_COOKIE).is_none());
    assert!(response.headers().get(WWW_AUTHENTICATE).is_some());
}

#[actix_web::test]
async fn a_repeated_check_reads_no_database_and_a_change_drops_it() {
    let app = workspace(Generating::MembersToo).await;
    let Generated { id, value, .. } = generate(&app, Generate::legacy(MEMBER)).await;
    assert_eq!(verify(&app, Some(&value)).await.status(), 204);

    // Change the stored digest behind the feed's back (no trigger): the cached
    // verification still answers, so the check did not read the row.
    let zeros = if common::on_postgres() {
        app.execute_sql("DROP TRIGGER api_tokens_changed ON api_tokens");
        format!("UPDATE api_tokens SET secret_digest = decode(repeat('00', 32), 'hex') WHERE id = '{id}'")
    } else {
        app.execute_sql("DROP TRIGGER api_tokens_changed");
        format!("UPDATE api_tokens SET secret_digest = zeroblob(32) WHERE id = '{id}'")
    };
    app.execute_sql(&zeros);
    assert_eq!(verify(&app, Some(&value)).await.status(), 204);

    // A change the feed reports (here an operator's SQL renaming the owner, from
    // no instance at all) drops the owner's cached entries within a second; the
    // read then finds the new digest.
    app.execute_sql(&format!(
        "UPDATE users SET username = 'mikhail' WHERE username = '{MEMBER}'"
    ));
    let took = refused_within(&app.address, &value, Duration::from_secs(1)).await;
    eprintln!("an operator's change took {took:?}");
}

#[actix_web::test]
async fn deleting_or_deactivating_counts_at_once_on_the_instance_that_did_it() {
    let app = workspace(Generating::MembersToo).await;
    let admins = app.token_value(ADMIN, PASSWORD).await;
    let Generated { id, value, .. } = generate(&app, Generate::legacy(MEMBER)).await;
    let other = generate(&app, Generate::legacy(MEMBER)).await.value;
    assert_eq!(verify(&app, Some(&value)).await.status(), 204);
    assert_eq!(verify(&app, Some(&other)).await.status(), 204);

    let deleted = app
        .api_client()
        .delete(app.url(&format!("/v4/apiAccessTokens/{id}")))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    // No wait: the next check is refused.
    assert_eq!(verify(&app, Some(&value)).await.status(), 401);
    assert_eq!(verify(&app, Some(&other)).await.status(), 204);

    deactivate(&app, &admins, MEMBER).await;
    assert_eq!(verify(&app, Some(&other)).await.status(), 401);
    // Still cached and still valid: the admin's own token.
    assert_eq!(verify(&app, Some(&admins)).await.status(), 204);
}

#[actix_web::test]
async fn an_expired_token_is_refused_even_when_cached() {
    let app = workspace(Generating::MembersToo).await;
    let body = app
        .create_token(MEMBER, PASSWORD, json!({"lifetimeSeconds": 2}))
        .await;
    let value = body["tokenValue"].as_str().unwrap();
    assert_eq!(verify(&app, Some(value)).await.status(), 204);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(verify(&app, Some(value)).await.status(), 401);
}

#[actix_web::test]
async fn another_instance_hears_of_a_deletion_or_deactivation_within_a_second() {
    let app = workspace(Generating::MembersToo).await;
    let second = app.spawn_instance(|_| {}).await;
    let admins = app.token_value(ADMIN, PASSWORD).await;
    let Generated { id, value, .. } = generate(&app, Generate::legacy(MEMBER)).await;
    let other = generate(&app, Generate::legacy(MEMBER)).await.value;
    // Both cached on the second instance.
    assert_eq!(verify_at(&second, Some(&value)).await.status(), 204);
    assert_eq!(verify_at(&second, Some(&other)).await.status(), 204);

    // Deleted on the first instance.
    let deleted = app
        .api_client()
        .delete(app.url(&format!("/v4/apiAccessTokens/{id}")))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    let took = refused_within(&second, &value, Duration::from_secs(1)).await;
    eprintln!("a deletion reached the other instance in {took:?}");
    assert_eq!(verify_at(&second, Some(&other)).await.status(), 204);

    // Deactivated on the first instance.
    deactivate(&app, &admins, MEMBER).await;
    let took = refused_within(&second, &other, Duration::from_secs(1)).await;
    eprintln!("a deactivation reached the other instance in {took:?}");
}

/// The stored "last used" of a token, in milliseconds.
fn last_used(app: &TestApp, id: &str) -> Option<i64> {
    use access_tokens::db::schema::api_tokens;
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    let mut conn = app.pool.get().unwrap();
    api_tokens::table
        .filter(api_tokens::id.eq(id))
        .select(api_tokens::last_used_at)
        .first::<Option<i64>>(&mut conn)
        .unwrap()
}

#[actix_web::test]
async fn last_used_is_written_behind_within_a_second_and_to_the_second() {
    let app = workspace(Generating::MembersToo).await;
    let Generated { id, value, .. } = generate(&app, Generate::legacy(MEMBER)).await;
    assert_eq!(last_used(&app, &id), None);
    let before = chrono::Utc::now().timestamp_millis();
    for _ in 0..20 {
        assert_eq!(verify(&app, Some(&value)).await.status(), 204);
    }
    let after = chrono::Utc::now().timestamp_millis();
    let start = Instant::now();
    let stored = loop {
        if let Some(at) = last_used(&app, &id) {
            break at;
        }
        assert!(start.elapsed() < Duration::from_millis(1500), "not written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The last of the uses, to the second.
    assert!(
        stored >= before && stored <= after + 1000,
        "{before} <= {stored} <= {after}"
    );
    // The listing shows it.
    let listed: Value = app
        .api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.to_string().contains(&id));
}

#[actix_web::test]
async fn an_address_presenting_invalid_tokens_is_held_back_and_valid_callers_are_not() {
    let app = spawn_app_with(|s| {
        s.invalid_token_burst = std::num::NonZeroU32::new(5).unwrap();
        s.invalid_token_rate = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    app.create_user(MEMBER, PASSWORD, Role::Member);
    let cached = generate(&app, Generate::legacy(MEMBER)).await.value;
    let uncached = generate(&app, Generate::legacy(MEMBER)).await.value;
    assert_eq!(verify(&app, Some(&cached)).await.status(), 204);

    let mut statuses = Vec::new();
    for i in 0..8 {
        let response = verify(&app, Some(&format!("garbage-{i}"))).await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let wait: u64 = header(response.headers(), "retry-after").parse().unwrap();
            assert!((1..=2).contains(&wait), "Retry-After: {wait}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["exception"]["name"], "TooManyRequestsException");
        }
    }
    // Five refusals are the burst; the sixth spends more than the allowance (it is
    // still answered 401: it was already checked), and from then on 429.
    assert_eq!(&statuses[..6], &[401; 6], "{statuses:?}");
    assert!(statuses[6..].iter().all(|s| *s == 429), "{statuses:?}");

    // The API is held back alike.
    let api = app
        .api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 429);

    // A token this instance verified before still passes from the same address.
    assert_eq!(verify(&app, Some(&cached)).await.status(), 204);
    // Another address is not slowed at all, even for a token never seen.
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
        .get(app.url("/auth/verify"))
        .bearer_auth(&uncached)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 204);

    // Once its allowance is back, the address is answered again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(verify(&app, Some("garbage")).await.status(), 401);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_client_it_names_is_held_back_not_the_proxy() {
    let app = spawn_app_with(|s| {
        s.invalid_token_burst = std::num::NonZeroU32::new(3).unwrap();
        s.invalid_token_rate = std::num::NonZeroU32::new(1).unwrap();
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.create_user(MEMBER, PASSWORD, Role::Member);
    let valid = generate(&app, Generate::legacy(MEMBER)).await.value;
    let via_proxy = |client: &'static str, token: String| {
        let url = app.url("/auth/verify");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                // A forged entry at the left; the proxy appended the real client.
                .header("x-forwarded-for", format!("10.9.9.9, {client}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(via_proxy("203.0.113.1", "garbage".into()).await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Another client behind the same proxy, with a token never seen before.
    assert_eq!(via_proxy("203.0.113.2", valid.clone()).await, 204);
    assert_eq!(via_proxy("203.0.113.2", "garbage".into()).await, 401);
}

#[actix_web::test]
async fn an_untrusted_peer_cannot_escape_the_hold_with_a_forged_header() {
    let app = spawn_app_with(|s| {
        s.invalid_token_burst = std::num::NonZeroU32::new(3).unwrap();
        s.invalid_token_rate = std::num::NonZeroU32::new(1).unwrap();
    })
    .await;
    let mut last = 0;
    for i in 0..6 {
        last = reqwest::Client::new()
            .get(app.url("/auth/verify"))
            .bearer_auth("garbage")
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}
