//! No way up through scopes (issue 14): a token creates only tokens whose scopes it
//! covers, a member grants neither `admin` nor an admin-only service scope, unknown
//! names are 400 and ungrantable ones 403 (each naming them), a refresh narrows only
//! the new access token (never the grant, never wider: `invalid_scope`), and an
//! `admin` token stops working within a second on every instance when its owner is
//! demoted. Each for a legacy access token and an OAuth API token, on this run's
//! database.

mod common;

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::api::{expect_error, header_value};
use common::scopes::{
    self, call, create, create_at, define_service_scopes, expect_insufficient_scope,
    expect_not_grantable, expect_scopes_invalid, By, Kind, KINDS,
};
use common::{api_client, s, workspace, Generating, TestApp, ADMIN, MEMBER, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// A second admin, so that [`ADMIN`] can be demoted (a workspace keeps one admin).
const ANN: &str = "ann";

/// [`ADMIN`], [`ANN`] (admins) and [`MEMBER`]; `deploy` is a service scope only
/// admins grant, `reports:read` one members grant too.
async fn world() -> TestApp {
    let app = workspace(Generating::MembersToo).await;
    app.create_user(ANN, PASSWORD, access_tokens::domain::Role::Admin);
    define_service_scopes(&app, ADMIN, &["deploy", "reports:read"], &["reports:read"]).await;
    app
}

/// `POST /oauth2/token` with a refresh token and, if given, a `scope`.
async fn refresh(base: &str, refresh_token: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let response = api_client()
        .post(format!("{base}/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The claims of an access token (a JWT), read without checking anything.
fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// What `/oauth2/introspect` says of `token`, asked with `admin`'s password.
async fn introspect(app: &TestApp, token: &str) -> Value {
    let response = api_client()
        .post(app.url("/oauth2/introspect"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[actix_web::test]
async fn a_narrower_token_cannot_mint_a_wider_one() {
    let app = world().await;
    for kind in KINDS {
        let tokens = scopes::scoped(&app, ADMIN, kind, &["tokens"]).await;
        let read = scopes::scoped(&app, ADMIN, kind, &["read_api"]).await;
        let admin = scopes::scoped(&app, ADMIN, kind, &["admin"]).await;
        let api = scopes::scoped(&app, ADMIN, kind, &["api"]).await;
        let base = app.address.as_str();

        // `tokens` mints `tokens`, nothing wider; absent scopes mean `api`.
        create(&app, By::Token(&tokens), kind, Some(&["tokens"])).await;
        for (asked, named) in [
            (None, &["api"][..]),
            (Some(&["api"][..]), &["api"][..]),
            (Some(&["read_api"][..]), &["read_api"][..]),
            (
                Some(&["read_api", "tokens", "admin"][..]),
                &["admin", "read_api"][..],
            ),
        ] {
            let response = create_at(base, By::Token(&tokens), kind, asked).await;
            expect_not_grantable(response, named).await;
        }
        // `read_api` and `admin` cannot create at all, whatever they ask.
        for (token, asked) in [(&read, &["read_api"]), (&admin, &["admin"])] {
            let response = create_at(base, By::Token(token), kind, Some(asked)).await;
            expect_insufficient_scope(response, "tokens").await;
        }
        // `api` covers every built-in scope of an admin's, but no service scope.
        let created = create(
            &app,
            By::Token(&api),
            kind,
            Some(&["admin", "read_api", "tokens"]),
        )
        .await;
        assert_eq!(
            created["tokenInfo"]["scopes"],
            json!(["admin", "read_api", "tokens"])
        );
        let response = create_at(base, By::Token(&api), kind, Some(&["deploy", "api"])).await;
        expect_not_grantable(response, &["deploy"]).await;
        // Only a token holding the service scope passes it on (with `tokens`).
        let deployer = scopes::scoped(&app, ADMIN, kind, &["deploy", "tokens"]).await;
        let created = create(&app, By::Token(&deployer), kind, Some(&["deploy"])).await;
        assert_eq!(created["tokenInfo"]["scopes"], json!(["deploy"]));
    }
}

#[actix_web::test]
async fn a_member_grants_neither_admin_nor_an_admin_only_service_scope() {
    let app = world().await;
    for kind in KINDS {
        for (asked, named) in [
            (&["admin"][..], &["admin"][..]),
            (&["deploy"][..], &["deploy"][..]),
            (&["api", "deploy", "admin"][..], &["admin", "deploy"][..]),
        ] {
            let response = create_at(&app.address, By::Password(MEMBER), kind, Some(asked)).await;
            expect_not_grantable(response, named).await;
        }
        let created = create(&app, By::Password(MEMBER), kind, Some(&["reports:read"])).await;
        assert_eq!(created["tokenInfo"]["scopes"], json!(["reports:read"]));
        // An admin grants both; a member's `api` token does not lift them.
        create(&app, By::Password(ADMIN), kind, Some(&["admin", "deploy"])).await;
        let members_api = scopes::scoped(&app, MEMBER, kind, &["api"]).await;
        let response = create_at(
            &app.address,
            By::Token(&members_api),
            kind,
            Some(&["admin"]),
        )
        .await;
        expect_not_grantable(response, &["admin"]).await;
    }
}

#[actix_web::test]
async fn unknown_scope_names_are_400_naming_them_and_an_empty_list_is_400() {
    let app = world().await;
    for kind in KINDS {
        for by in [By::Password(ADMIN), By::Password(MEMBER)] {
            let response = create_at(
                &app.address,
                by,
                kind,
                Some(&["read_api", "write_api", "Deploy", "nope"]),
            )
            .await;
            let body = expect_scopes_invalid(response).await;
            let unknown = json!(["write_api", "Deploy", "nope"]);
            assert_eq!(body["exception"]["details"]["unknownScopes"], unknown);
            let message = s(&body["exception"]["message"]);
            assert!(message.contains("write_api, Deploy, nope"), "{message}");

            let response = create_at(&app.address, by, kind, Some(&[])).await;
            expect_scopes_invalid(response).await;
        }
    }
    assert_eq!(app.token_count(), 0, "no legacy token was created");
    for user in [ADMIN, MEMBER] {
        let (_, grants) = app.get_as(user, Kind::OAuth.path()).await;
        assert_eq!(grants["data"], json!([]), "nor an OAuth API token");
    }
}

#[actix_web::test]
async fn absent_scopes_are_full_access_and_info_lists_the_scopes_sorted_everywhere() {
    let app = world().await;
    for kind in KINDS {
        let full = create(&app, By::Password(MEMBER), kind, None).await;
        let some = create(
            &app,
            By::Password(MEMBER),
            kind,
            Some(&["tokens", "reports:read", "read_api", "tokens"]),
        )
        .await;
        let sorted = json!(["read_api", "reports:read", "tokens"]);
        assert_eq!(full["tokenInfo"]["scopes"], json!(["api"]));
        assert_eq!(some["tokenInfo"]["scopes"], sorted);
        let id = s(&some["tokenInfo"]["tokenId"]);

        let (_, own) = app.get_as(MEMBER, kind.path()).await;
        let admins = match kind {
            Kind::Legacy => "/v4/workspaceAccessTokens",
            Kind::OAuth => "/v4/workspaceOAuthTokens",
        };
        let (_, all) = app.get_as(ADMIN, admins).await;
        for list in [&own, &all] {
            let listed = list["data"].as_array().unwrap();
            let found = listed.iter().find(|t| t["tokenId"] == id.as_str()).unwrap();
            assert_eq!(found["scopes"], sorted, "{list}");
        }
        if kind == Kind::Legacy {
            let (_, one) = app.get_as(MEMBER, &format!("{}/{id}", kind.path())).await;
            assert_eq!(one["scopes"], sorted);
        } else {
            assert_eq!(
                claims(&kind.bearer(&some))["scope"],
                "read_api reports:read tokens"
            );
            assert_eq!(claims(&kind.bearer(&full))["scope"], "api");
        }
    }
}

#[actix_web::test]
async fn a_token_creates_a_longer_lived_one_within_the_workspaces_maximum() {
    let app = world().await;
    let response = api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"maximumLifetimeDays": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let short = create(&app, By::Password(MEMBER), Kind::Legacy, Some(&["tokens"])).await;
    let short = s(&short["tokenValue"]);
    let longer = |seconds: i64| json!({"lifetimeSeconds": seconds, "scopes": ["tokens"]});

    let month = call(
        &app.address,
        &short,
        Method::POST,
        Kind::Legacy.path(),
        Some(&longer(30 * 86_400)),
    )
    .await;
    let too_long = call(
        &app.address,
        &short,
        Method::POST,
        Kind::Legacy.path(),
        Some(&longer(90 * 86_400)),
    )
    .await;

    assert_eq!(month.status(), 201, "a day's token makes a month's");
    assert_eq!(too_long.status(), 400, "but not past the maximum");
}

#[actix_web::test]
async fn a_refresh_narrows_only_the_new_access_token_and_never_widens() {
    let app = world().await;
    let made = create(
        &app,
        By::Password(ADMIN),
        Kind::OAuth,
        Some(&["read_api", "tokens"]),
    )
    .await;
    let grant = s(&made["tokenInfo"]["tokenId"]);
    let first = s(&made["refreshToken"]);
    assert_eq!(claims(&s(&made["accessToken"]))["scope"], "read_api tokens");

    // Narrower: the new access token has what was asked, the grant keeps its own.
    let (status, narrowed) = refresh(&app.address, &first, Some("read_api")).await;
    assert_eq!(status, 200, "{narrowed}");
    assert_eq!(narrowed["scope"], "read_api");
    let access = s(&narrowed["access_token"]);
    assert_eq!(claims(&access)["scope"], "read_api");
    assert_eq!(introspect(&app, &access).await["scope"], "read_api");
    let second = s(&narrowed["refresh_token"]);
    assert_eq!(introspect(&app, &second).await["scope"], "read_api tokens");
    let read = call(&app.address, &access, Method::GET, "/v4/oauthTokens", None).await;
    assert_eq!(read.status(), 200);
    let listed: Value = read.json().await.unwrap();
    let listed = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["tokenId"] == grant.as_str())
        .cloned();
    assert_eq!(
        listed.unwrap()["scopes"],
        json!(["read_api", "tokens"]),
        "the grant unchanged"
    );
    let body = Kind::OAuth.body(Some(&["tokens"]));
    let write = call(
        &app.address,
        &access,
        Method::POST,
        "/v4/oauthTokens",
        Some(&body),
    )
    .await;
    expect_insufficient_scope(write, "tokens").await;

    // Wider, or a name that cannot exist: invalid_scope, and nothing rotates.
    for wider in [
        "api",
        "read_api tokens admin",
        "deploy",
        "Read_API",
        "tokens,read_api",
    ] {
        let (status, error) = refresh(&app.address, &second, Some(wider)).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_scope")),
            "{wider}: {error}"
        );
    }

    // Without `scope`, the grant's scopes come back.
    let (status, again) = refresh(&app.address, &second, None).await;
    assert_eq!(status, 200, "the refresh token still works: {again}");
    assert_eq!(again["scope"], "read_api tokens");
    assert_eq!(
        claims(&s(&again["access_token"]))["scope"],
        "read_api tokens"
    );
    // Narrowing to all of the grant's scopes, in any order, is allowed too.
    let (status, same) = refresh(
        &app.address,
        &s(&again["refresh_token"]),
        Some("tokens read_api"),
    )
    .await;
    assert_eq!(
        (status, same["scope"].as_str()),
        (200, Some("read_api tokens"))
    );
}

/// `GET path` at `base` with `token` every 20 ms until the answer is `expected`,
/// at most a second; the last status.
async fn status_within_a_second(base: &str, token: &str, path: &str, expected: u16) -> u16 {
    let start = Instant::now();
    loop {
        let status = call(base, token, Method::GET, path, None)
            .await
            .status()
            .as_u16();
        if status == expected || start.elapsed() > Duration::from_secs(1) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `PATCH /v4/workspaceMembers/{user}` with `role`, by [`ANN`] at `base`.
async fn set_role(app: &TestApp, base: &str, user: &str, role: &str) {
    let response = api_client()
        .patch(format!("{base}/v4/workspaceMembers/{}", app.user_id(user)))
        .basic_auth(ANN, Some(PASSWORD))
        .json(&json!({"role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{role}");
}

#[actix_web::test]
async fn an_admin_token_dies_with_its_owners_demotion_within_a_second_on_every_instance() {
    let app = world().await;
    let second = app.spawn_instance(|_| {}).await;
    let instances = [app.address.clone(), second];
    const SETTINGS: &str = "/v4/workspaceSettings";
    let mut admin_tokens = Vec::new();
    let mut api_tokens = Vec::new();
    for kind in KINDS {
        admin_tokens.push(scopes::scoped(&app, ADMIN, kind, &["admin"]).await);
        api_tokens.push(scopes::scoped(&app, ADMIN, kind, &["api"]).await);
    }
    // Every instance has checked them (their caches are warm).
    for base in &instances {
        for token in &admin_tokens {
            assert_eq!(
                status_within_a_second(base, token, SETTINGS, 200).await,
                200
            );
        }
    }

    set_role(&app, &instances[0], ADMIN, "member").await;

    for base in &instances {
        for token in &admin_tokens {
            let status = status_within_a_second(base, token, SETTINGS, 403).await;
            assert_eq!(status, 403, "{base}: refused within a second");
            let response = call(base, token, Method::GET, SETTINGS, None).await;
            let body = expect_insufficient_scope(response, "admin").await;
            assert!(
                s(&body["exception"]["message"]).contains("()"),
                "nothing counts: {body}"
            );
        }
    }
    // An `api` token still passes the scope check; the role check refuses it.
    for token in &api_tokens {
        let response = call(&instances[1], token, Method::GET, SETTINGS, None).await;
        let challenge = header_value(&response, "www-authenticate");
        let body = expect_error(response, 403, "AccessControlException").await;
        assert_eq!(
            (challenge, &body["exception"]["details"]),
            (None, &json!({}))
        );
    }
    // Nor may the demoted owner put `admin` on a token any more.
    for kind in KINDS {
        let response = create_at(&instances[1], By::Password(ADMIN), kind, Some(&["admin"])).await;
        expect_not_grantable(response, &["admin"]).await;
    }

    // Made an admin again, the same tokens work again.
    set_role(&app, &instances[1], ADMIN, "admin").await;
    for base in &instances {
        for token in &admin_tokens {
            assert_eq!(
                status_within_a_second(base, token, SETTINGS, 200).await,
                200,
                "{base}"
            );
        }
    }
}
