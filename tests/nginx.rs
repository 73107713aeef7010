//! docs/nginx/access-tokens.conf run by real nginx in front of a recording upstream
//! API: who gets through to the API and with which identity headers, what is
//! refused before it (with which status), and what the check request carries.
//!
//! nginx must be installed (`apt-get install nginx-light`, as `.ci/run` does); the
//! tests fail without it rather than pass untested.

mod common;
// Beside this file, not beside every test crate (a crate root looks in its own
// directory).
#[path = "nginx/harness.rs"]
mod harness;
#[path = "nginx/scopes.rs"]
mod scopes;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::process::free_port;
use common::{generate, header, spawn_app_with, Generate, Generated, ADMIN, MEMBER, PASSWORD};
use harness::{assert_refused, echoed, get, stack, stack_over, Nginx, Reply, Upstream};
use serde_json::{json, Value};

#[actix_web::test]
async fn a_valid_legacy_token_reaches_the_api_with_who_it_is() {
    let stack = stack().await;
    let Generated { id, value, .. } = generate(&stack.app, Generate::legacy(MEMBER)).await;

    let response = get(&stack, "/reports/42?format=csv", Some(&value)).await;
    assert_eq!(response.status(), 200);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echo["uri"], "/reports/42?format=csv");
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    let member_id = stack.app.user_id(MEMBER).to_string();
    assert_eq!(echoed(&echo, "x-auth-user-id"), Some(member_id.as_str()));
    assert_eq!(echoed(&echo, "x-auth-workspace"), Some("default"));
    assert!(echoed(&echo, "x-auth-workspace-id").is_some_and(|w| w.len() == 36));
    assert_eq!(echoed(&echo, "x-auth-token-id"), Some(id.as_str()));
    assert_eq!(echoed(&echo, "x-auth-token-type"), Some("legacy"));
    assert_eq!(echoed(&echo, "x-auth-role"), Some("member"));
    // A token given no scopes has the default one.
    assert_eq!(echoed(&echo, "x-auth-scopes"), Some("api"));
    // The token itself stays with the proxy.
    assert_eq!(echoed(&echo, "authorization"), None);

    // A request with a body: the body goes to the API (only), and the method too.
    let posted = stack
        .app
        .api_client()
        .post(stack.nginx.url("/reports"))
        .bearer_auth(&value)
        .json(&json!({"name": "weekly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let echo: Value = posted.json().await.unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], r#"{"name":"weekly"}"#);
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    assert_eq!(stack.api.hits(), 2);
}

#[actix_web::test]
async fn an_oauth_access_token_reaches_the_api_with_its_grant() {
    let stack = stack().await;
    let created = stack
        .app
        .api_client()
        .post(stack.app.url("/v4/oauthTokens"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"name": "behind nginx", "lifetimeDays": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let access = created["accessToken"].as_str().unwrap();
    let grant = created["tokenInfo"]["tokenId"].as_str().unwrap();

    let response = get(&stack, "/", Some(access)).await;
    assert_eq!(response.status(), 200);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echoed(&echo, "x-auth-user"), Some(ADMIN));
    assert_eq!(echoed(&echo, "x-auth-token-type"), Some("oauth"));
    assert_eq!(echoed(&echo, "x-auth-token-id"), Some(grant));
    assert_eq!(echoed(&echo, "x-auth-role"), Some("admin"));
}

#[actix_web::test]
async fn requests_without_a_valid_token_are_refused_before_the_api() {
    let stack = stack().await;

    let missing = get(&stack, "/reports", None).await;
    assert_eq!(
        header(missing.headers(), "www-authenticate"),
        r#"Bearer realm="access-tokens""#
    );
    assert_refused(missing, 401, "UnauthorizedException").await;

    // Garbage, a JWT-looking string, and a well-formed legacy token that does not
    // exist.
    let unknown = STANDARD
        .encode(json!({"tokenId": uuid::Uuid::new_v4(), "secret": "ab".repeat(32)}).to_string());
    for token in ["not-a-token", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", &unknown] {
        let refused = get(&stack, "/reports", Some(token)).await;
        assert!(
            header(refused.headers(), "www-authenticate").contains(r#"error="invalid_token""#),
            "{token}"
        );
        assert_refused(refused, 401, "UnauthorizedException").await;
    }

    // Basic credentials are not a Bearer token.
    let basic = stack
        .app
        .api_client()
        .get(stack.nginx.url("/reports"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(header(basic.headers(), "www-authenticate").contains(r#"error="invalid_request""#));
    assert_refused(basic, 401, "UnauthorizedException").await;

    // The check's own location is not reachable from outside.
    let value = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let direct = get(&stack, "/_access_tokens/verify", Some(&value)).await;
    assert_eq!(direct.status(), 404);

    assert_eq!(stack.api.hits(), 0);
}

#[actix_web::test]
async fn identity_headers_a_client_forges_never_reach_the_api() {
    let stack = stack().await;
    let Generated { id, value, .. } = generate(&stack.app, Generate::legacy(MEMBER)).await;
    let forged = [
        ("X-Auth-User", ADMIN),
        ("x-auth-role", "admin"),
        ("X-AUTH-TOKEN-ID", "00000000-0000-0000-0000-000000000000"),
        ("X-Auth-Token-Type", "oauth"),
        ("X-Auth-Workspace", "finance"),
        ("X-Auth-Scopes", "admin deploy"),
    ];

    let mut request = stack.app.api_client().get(stack.nginx.url("/"));
    for (name, value) in forged {
        request = request.header(name, value);
    }
    let without_token = request.send().await.unwrap();
    assert_refused(without_token, 401, "UnauthorizedException").await;
    assert_eq!(stack.api.hits(), 0);

    let mut request = stack
        .app
        .api_client()
        .get(stack.nginx.url("/"))
        .bearer_auth(&value);
    for (name, value) in forged {
        request = request.header(name, value);
    }
    let with_token = request.send().await.unwrap();
    assert_eq!(with_token.status(), 200);
    let echo: Value = with_token.json().await.unwrap();
    // `echoed` also fails if the forged value arrived beside the real one.
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    assert_eq!(echoed(&echo, "x-auth-role"), Some("member"));
    assert_eq!(echoed(&echo, "x-auth-token-id"), Some(id.as_str()));
    assert_eq!(echoed(&echo, "x-auth-token-type"), Some("legacy"));
    assert_eq!(echoed(&echo, "x-auth-workspace"), Some("default"));
    assert_eq!(echoed(&echo, "x-auth-scopes"), Some("api"));
}

#[actix_web::test]
async fn a_signed_in_browsers_session_cookie_alone_does_not_pass() {
    let stack = stack().await;
    let browser = stack.app.browser_client();
    let signed_in = stack.app.sign_in(&browser, MEMBER, PASSWORD).await;
    assert_eq!(signed_in.status(), 303);

    let response = browser
        .get(stack.nginx.url("/reports"))
        .send()
        .await
        .unwrap();
    assert_refused(response, 401, "UnauthorizedException").await;
    assert_eq!(stack.api.hits(), 0);

    // The browser did send its cookie to nginx (cookies are per host, not per
    // port): with a token as well, the API sees it.
    let value = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let with_token = browser
        .get(stack.nginx.url("/reports"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    let echo: Value = with_token.json().await.unwrap();
    assert!(echoed(&echo, "cookie").is_some_and(|c| c.contains('=')));
}

#[actix_web::test]
async fn a_deleted_token_is_refused_on_its_very_next_request() {
    let stack = stack().await;
    let Generated { id, value, .. } = generate(&stack.app, Generate::legacy(MEMBER)).await;
    let other = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    assert_eq!(get(&stack, "/", Some(&value)).await.status(), 200);
    assert_eq!(get(&stack, "/", Some(&other)).await.status(), 200);

    let deleted = stack
        .app
        .api_client()
        .delete(stack.app.url(&format!("/v4/apiAccessTokens/{id}")))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // No wait.
    let refused = get(&stack, "/", Some(&value)).await;
    assert!(header(refused.headers(), "www-authenticate").contains(r#"error="invalid_token""#));
    assert_refused(refused, 401, "UnauthorizedException").await;
    assert_eq!(get(&stack, "/", Some(&other)).await.status(), 200);
    assert_eq!(stack.api.hits(), 3);
}

#[actix_web::test]
async fn too_many_invalid_tokens_are_answered_429_with_retry_after() {
    let stack = stack_over(
        spawn_app_with(|s| {
            s.invalid_token_burst = std::num::NonZeroU32::new(3).unwrap();
            s.invalid_token_rate = std::num::NonZeroU32::new(1).unwrap();
            // nginx, on this host: its X-Forwarded-For names the client.
            s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await,
    )
    .await;
    let cached = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let never_seen = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    assert_eq!(get(&stack, "/", Some(&cached)).await.status(), 200);

    let mut statuses = Vec::new();
    for i in 0..8 {
        let response = get(&stack, "/", Some(&format!("garbage-{i}"))).await;
        let status = response.status().as_u16();
        statuses.push(status);
        if status == 429 {
            let wait: u64 = header(response.headers(), "retry-after").parse().unwrap();
            assert!((1..=2).contains(&wait), "Retry-After: {wait}");
            assert_refused(response, 429, "TooManyRequestsException").await;
        }
    }
    // The burst, one more refusal that spends the allowance, then held back.
    assert_eq!(&statuses[..4], &[401; 4], "{statuses:?}");
    assert!(statuses[4..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(stack.api.hits(), 1);

    // A token the server verified before still passes.
    assert_eq!(get(&stack, "/", Some(&cached)).await.status(), 200);
    // The noisy client is held back for tokens the server has not verified yet...
    assert_eq!(get(&stack, "/", Some(&never_seen)).await.status(), 429);
    // ...but another client of the same nginx is not: with nginx trusted
    // (--trusted-proxy), the server counts the client nginx names in
    // X-Forwarded-For, not nginx's own address.
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
        .get(stack.nginx.url("/"))
        .bearer_auth(&never_seen)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200);
}

#[actix_web::test]
async fn a_server_that_cannot_answer_makes_it_503_and_its_503_keeps_retry_after() {
    let api = Upstream::api().await;

    // Nothing listens where the access-tokens server should be.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let nginx = Nginx::start(&nowhere, &api.address).await;
    let response = reqwest::Client::new()
        .get(nginx.url("/"))
        .bearer_auth("any-token")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("retry-after").is_none());
    assert_refused(response, 503, "ServiceUnavailableException").await;
    drop(nginx);

    // A server whose database is down answers 503 with Retry-After (a stand-in
    // here, so the database stays up for the other tests).
    let down = Upstream::start(Reply {
        status: 503,
        headers: vec![("Retry-After", "5")],
    })
    .await;
    let nginx = Nginx::start(&down.address, &api.address).await;
    let response = reqwest::Client::new()
        .get(nginx.url("/"))
        .bearer_auth("any-token")
        .send()
        .await
        .unwrap();
    assert_eq!(header(response.headers(), "retry-after"), "5");
    assert_refused(response, 503, "ServiceUnavailableException").await;

    assert_eq!(down.hits(), 1);
    assert_eq!(api.hits(), 0);
}

#[actix_web::test]
async fn the_check_carries_the_token_and_the_original_request_but_no_cookie_or_body() {
    // A stand-in for /auth/verify that records what it is asked and says yes.
    let verify = Upstream::start(Reply {
        status: 204,
        headers: vec![("X-Auth-User", "stand-in")],
    })
    .await;
    let api = Upstream::api().await;
    let nginx = Nginx::start(&verify.address, &api.address).await;

    let response = reqwest::Client::new()
        .post(nginx.url("/reports?format=csv"))
        .bearer_auth("the-token")
        .header("Cookie", "id=session-value")
        .header("X-Forwarded-For", "203.0.113.9")
        .json(&json!({"large": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let check = verify.last();
    assert_eq!(check.uri, "/auth/verify");
    assert_eq!(check.all("authorization"), ["Bearer the-token"]);
    assert!(check.all("cookie").is_empty(), "{check:?}");
    assert!(check.body.is_empty());
    assert!(check.all("content-length").is_empty(), "{check:?}");
    assert_eq!(check.all("x-original-uri"), ["/reports?format=csv"]);
    assert_eq!(check.all("x-original-method"), ["POST"]);
    assert_eq!(check.all("x-real-ip"), ["127.0.0.1"]);
    assert_eq!(check.all("x-forwarded-for"), ["203.0.113.9, 127.0.0.1"]);

    let seen = api.last();
    assert_eq!(seen.all("x-auth-user"), ["stand-in"]);
    assert_eq!(seen.body.len(), 10_012);
    // Headers the stand-in did not send are not made up, nor taken from the client.
    assert!(seen.all("x-auth-role").is_empty());
    assert!(seen.all("x-auth-scopes").is_empty());
    // No scope is required outside the scoped locations, whatever the client asks.
    let plain = reqwest::Client::new()
        .get(nginx.url("/reports"))
        .bearer_auth("the-token")
        .header("X-Auth-Required-Scopes", "deploy")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(verify.last().all("x-auth-required-scopes").is_empty());
}
