//! The scoped location of docs/nginx/access-tokens.conf, `/deploy/`: only a token
//! with the workspace's service scope `deploy` reaches the API there, whatever the
//! client sends in `X-Auth-Scopes` or `X-Auth-Required-Scopes`, while every other
//! location lets any valid token through.

use serde_json::{json, Value};

use crate::common::{generate, header, Generate, TestApp, ADMIN, MEMBER, PASSWORD};
use crate::harness::{assert_refused, echoed, get, stack, Nginx, Reply, Stack, Upstream};

/// The service scopes the workspace defines, every one of them open to members.
const SERVICE_SCOPES: [&str; 2] = ["deploy", "reports:read"];

/// Defines [`SERVICE_SCOPES`] in the default workspace, as its admin would.
async fn define_service_scopes(app: &TestApp) {
    let response = app
        .api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({
            "serviceScopes": SERVICE_SCOPES,
            "memberServiceScopes": SERVICE_SCOPES,
        }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());
}

/// A 1-day legacy token of `user`'s with exactly `scopes`; its value.
async fn legacy_with(app: &TestApp, user: &str, scopes: &[&str]) -> String {
    let created = app
        .create_token(
            user,
            PASSWORD,
            json!({"lifetimeSeconds": 86_400, "scopes": scopes}),
        )
        .await;
    created["tokenValue"].as_str().unwrap().to_owned()
}

/// What the server itself answers in `X-Auth-Scopes` for `token`, asked directly.
async fn scopes_of(app: &TestApp, token: &str) -> String {
    let response = app
        .api_client()
        .get(app.url("/auth/verify"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    header(response.headers(), "x-auth-scopes").to_owned()
}

/// Asserts nginx's refusal of a valid token that lacks `deploy`.
async fn assert_insufficient_scope(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), 403, "{what}");
    let challenge = header(response.headers(), "www-authenticate").to_owned();
    assert!(
        challenge.starts_with(r#"Bearer realm="access-tokens""#)
            && challenge.contains(r#"error="insufficient_scope""#)
            && challenge.contains(r#"scope="deploy""#),
        "{what}: {challenge}"
    );
    assert_refused(response, 403, "AccessControlException").await;
}

/// GET `path` through nginx with `token` and extra client headers.
async fn get_with(stack: &Stack, path: &str, token: &str, headers: &[(&str, &str)]) -> Value {
    let mut request = stack
        .app
        .api_client()
        .get(stack.nginx.url(path))
        .bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path} with {headers:?}");
    response.json().await.unwrap()
}

#[actix_web::test]
async fn a_token_with_the_deploy_scope_reaches_the_deploy_location_with_its_scopes() {
    let stack = stack().await;
    define_service_scopes(&stack.app).await;
    let legacy = legacy_with(&stack.app, MEMBER, &["deploy"]).await;
    let oauth = stack
        .app
        .api_client()
        .post(stack.app.url("/v4/oauthTokens"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"name": "deployer", "lifetimeDays": 30, "scopes": SERVICE_SCOPES}))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth.status(), 201);
    let oauth: Value = oauth.json().await.unwrap();
    let oauth = oauth["accessToken"].as_str().unwrap();

    for (token, user) in [(legacy.as_str(), MEMBER), (oauth, ADMIN)] {
        let scopes = scopes_of(&stack.app, token).await;
        assert!(scopes.split(' ').any(|s| s == "deploy"), "{scopes}");
        let echo = get_with(&stack, "/deploy/releases?app=web", token, &[]).await;
        assert_eq!(echo["uri"], "/deploy/releases?app=web");
        assert_eq!(echoed(&echo, "x-auth-user"), Some(user));
        assert_eq!(echoed(&echo, "x-auth-scopes"), Some(scopes.as_str()));
        assert_eq!(echoed(&echo, "authorization"), None);
        // Where no scope is required it passes too, and the API still learns them.
        let echo = get_with(&stack, "/reports", token, &[]).await;
        assert_eq!(echoed(&echo, "x-auth-scopes"), Some(scopes.as_str()));
    }
    assert_eq!(stack.api.hits(), 4);
}

#[actix_web::test]
async fn tokens_without_the_deploy_scope_are_refused_403_there_and_pass_elsewhere() {
    let stack = stack().await;
    define_service_scopes(&stack.app).await;
    let members_default = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let admins_default = generate(&stack.app, Generate::legacy(ADMIN)).await.value;
    let reports_only = legacy_with(&stack.app, MEMBER, &["reports:read"]).await;
    let tokens: [(&str, &str); 3] = [
        ("a member's api token", &members_default),
        ("an admin's api token", &admins_default),
        ("a reports:read token", &reports_only),
    ];

    for (what, token) in tokens {
        let refused = get(&stack, "/deploy/releases", Some(token)).await;
        assert_insufficient_scope(refused, what).await;
    }
    assert_eq!(stack.api.hits(), 0);

    // Without a required scope, any valid token passes, as before scopes.
    for (what, token) in tokens {
        let passed = get(&stack, "/reports", Some(token)).await;
        assert_eq!(passed.status(), 200, "{what}");
    }
    assert_eq!(stack.api.hits(), 3);

    // A token that is not valid is still a 401 there, not a 403.
    let invalid = get(&stack, "/deploy/releases", Some("not-a-token")).await;
    assert!(header(invalid.headers(), "www-authenticate").contains(r#"error="invalid_token""#));
    assert_refused(invalid, 401, "UnauthorizedException").await;
    // The scoped check's own location is not reachable from outside either.
    let direct = get(
        &stack,
        "/_access_tokens/verify-deploy",
        Some(&members_default),
    )
    .await;
    assert_eq!(direct.status(), 404);
    assert_eq!(stack.api.hits(), 3);
}

#[actix_web::test]
async fn the_deploy_location_is_not_sidestepped_by_another_spelling_of_its_path() {
    let stack = stack().await;
    let token = generate(&stack.app, Generate::legacy(MEMBER)).await.value;

    // nginx decodes and merges slashes before it picks a location, so these are
    // /deploy/releases to it, as to the API.
    for path in [
        "/%64eploy/releases",
        "/deploy%2Freleases",
        "//deploy/releases",
    ] {
        let response = get(&stack, path, Some(&token)).await;
        assert_insufficient_scope(response, path).await;
    }
    // Without its slash, nginx sends the client to it.
    let bare = get(&stack, "/deploy", Some(&token)).await;
    assert_eq!(bare.status(), 301);
    assert!(header(bare.headers(), "location").ends_with("/deploy/"));
    assert_eq!(stack.api.hits(), 0);
}

#[actix_web::test]
async fn scope_headers_a_client_sends_decide_nothing_and_never_reach_the_api() {
    let stack = stack().await;
    define_service_scopes(&stack.app).await;
    let plain = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let deployer = legacy_with(&stack.app, MEMBER, &["deploy"]).await;

    // Claiming the scope, or asking for another requirement, does not get a token
    // without `deploy` in.
    for forged in [
        [
            ("X-Auth-Scopes", "deploy"),
            ("X-Auth-Required-Scopes", "api"),
        ],
        [
            ("x-auth-scopes", "api deploy"),
            ("x-auth-required-scopes", ""),
        ],
    ] {
        let mut request = stack
            .app
            .api_client()
            .get(stack.nginx.url("/deploy/releases"))
            .bearer_auth(&plain);
        for (name, value) in forged {
            request = request.header(name, value);
        }
        let refused = request.send().await.unwrap();
        assert_insufficient_scope(refused, &format!("{forged:?}")).await;
    }
    assert_eq!(stack.api.hits(), 0);

    // A client's X-Auth-Scopes is replaced by the server's, never sent beside it
    // (`echoed` fails on a repeated header).
    let forged = [("X-Auth-Scopes", "admin tokens deploy")];
    let echo = get_with(&stack, "/reports", &plain, &forged).await;
    assert_eq!(echoed(&echo, "x-auth-scopes"), Some("api"));
    let echo = get_with(&stack, "/deploy/releases", &deployer, &forged).await;
    let deployers = scopes_of(&stack.app, &deployer).await;
    assert_eq!(echoed(&echo, "x-auth-scopes"), Some(deployers.as_str()));

    // Nor can a client make a location stricter than it is.
    let required = [("X-Auth-Required-Scopes", "deploy")];
    let echo = get_with(&stack, "/reports", &plain, &required).await;
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    assert_eq!(stack.api.hits(), 3);
}

#[actix_web::test]
async fn the_deploy_check_carries_deploy_as_required_and_no_cookie_or_body() {
    // A stand-in for /auth/verify that records what it is asked and says yes.
    let verify = Upstream::start(Reply {
        status: 204,
        headers: vec![("X-Auth-User", "stand-in"), ("X-Auth-Scopes", "deploy")],
    })
    .await;
    let api = Upstream::api().await;
    let nginx = Nginx::start(&verify.address, &api.address).await;

    let response = reqwest::Client::new()
        .post(nginx.url("/deploy/releases?app=web"))
        .bearer_auth("the-token")
        .header("Cookie", "id=session-value")
        .header("X-Auth-Required-Scopes", "api")
        .header("X-Auth-Scopes", "admin")
        .json(&json!({"large": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let check = verify.last();
    assert_eq!(check.uri, "/auth/verify");
    assert_eq!(check.all("x-auth-required-scopes"), ["deploy"]);
    assert_eq!(check.all("authorization"), ["Bearer the-token"]);
    assert!(check.all("cookie").is_empty(), "{check:?}");
    assert!(check.body.is_empty());
    assert!(check.all("content-length").is_empty(), "{check:?}");
    assert_eq!(check.all("x-original-uri"), ["/deploy/releases?app=web"]);
    assert_eq!(check.all("x-original-method"), ["POST"]);
    assert_eq!(check.all("x-forwarded-for"), ["127.0.0.1"]);

    let seen = api.last();
    assert_eq!(seen.all("x-auth-scopes"), ["deploy"]);
    assert_eq!(seen.all("x-auth-user"), ["stand-in"]);
    assert!(seen.all("authorization").is_empty());
    assert_eq!(seen.body.len(), 10_012);
}

#[actix_web::test]
async fn the_servers_403_reaches_the_client_with_its_challenge_and_the_envelope() {
    let challenge = r#"Bearer realm="access-tokens", error="insufficient_scope", scope="deploy""#;
    let verify = Upstream::start(Reply {
        status: 403,
        headers: vec![("WWW-Authenticate", challenge)],
    })
    .await;
    let api = Upstream::api().await;
    let nginx = Nginx::start(&verify.address, &api.address).await;

    let response = reqwest::Client::new()
        .get(nginx.url("/deploy/releases"))
        .bearer_auth("the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(header(response.headers(), "www-authenticate"), challenge);
    assert_eq!(
        response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .count(),
        1
    );
    assert_refused(response, 403, "AccessControlException").await;
    assert_eq!(api.hits(), 0);
}
