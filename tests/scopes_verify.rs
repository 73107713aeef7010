//! Scopes outside the route table (issue 14): `/auth/verify` reports a token's
//! scopes in `X-Auth-Scopes` and holds it to every scope in
//! `X-Auth-Required-Scopes` (service scopes only by themselves: `api` implies none);
//! a service scope taken off the workspace's list stops counting at once; the
//! protocol endpoints need no scope; and a token of any scope may revoke itself.
//! Each for a legacy access token and an OAuth access token, on this run's database.

mod common;

use std::time::{Duration, Instant};

use common::api::header_value;
use common::scopes::{
    self, call, create, create_at, define_service_scopes, expect_insufficient_scope,
    expect_scopes_invalid, By, Kind, KINDS,
};
use common::{api_client, s, workspace, Generating, TestApp, ADMIN};
use reqwest::{Method, Response};
use serde_json::Value;

const SCOPES: &str = "x-auth-scopes";
const REQUIRED: &str = "x-auth-required-scopes";

/// [`ADMIN`] in a workspace whose service scopes are `deploy` and `reports:read`.
async fn world() -> TestApp {
    let app = workspace(Generating::MembersToo).await;
    define_service_scopes(&app, ADMIN, &["deploy", "reports:read"], &[]).await;
    app
}

/// `/auth/verify` at `base` with `token` and each of `required` as an
/// `X-Auth-Required-Scopes` header.
async fn verify(base: &str, token: &str, required: &[&str]) -> Response {
    let mut request = api_client()
        .get(format!("{base}/auth/verify"))
        .bearer_auth(token);
    for value in required {
        request = request.header(REQUIRED, *value);
    }
    request.send().await.unwrap()
}

/// Asserts a 204 from `/auth/verify`; its `X-Auth-Scopes`.
async fn accepted(base: &str, token: &str, required: &[&str]) -> String {
    let response = verify(base, token, required).await;
    let status = response.status();
    let scopes = header_value(&response, SCOPES);
    let text = response.text().await.unwrap();
    assert_eq!(status, 204, "{required:?}: {text}");
    scopes.expect("X-Auth-Scopes on every 204")
}

#[actix_web::test]
async fn verify_reports_the_scopes_that_count_and_without_requirements_accepts_any() {
    let app = world().await;
    for kind in KINDS {
        for (scopes, reported) in [
            (&["api"][..], "api"),
            (&["tokens", "read_api"][..], "read_api tokens"),
            (&["reports:read", "deploy"][..], "deploy reports:read"),
            (&["admin"][..], "admin"),
            (&["tokens"][..], "tokens"),
        ] {
            let token = scopes::scoped(&app, ADMIN, kind, scopes).await;
            assert_eq!(
                accepted(&app.address, &token, &[]).await,
                reported,
                "{kind:?}"
            );
        }
    }
}

#[actix_web::test]
async fn verify_requires_every_listed_scope_and_api_implies_no_service_scope() {
    let app = world().await;
    for kind in KINDS {
        let both = scopes::scoped(&app, ADMIN, kind, &["deploy", "reports:read"]).await;
        let deploy = scopes::scoped(&app, ADMIN, kind, &["deploy"]).await;
        let api = scopes::scoped(&app, ADMIN, kind, &["api"]).await;
        let read = scopes::scoped(&app, ADMIN, kind, &["read_api"]).await;
        let base = app.address.as_str();

        // Names separated by spaces or commas, in one header or several.
        for required in [
            &["deploy"][..],
            &["deploy reports:read"],
            &["deploy,reports:read"],
            &["reports:read, deploy"],
            &["deploy", "reports:read"],
        ] {
            accepted(base, &both, required).await;
        }
        // Every one is needed; the challenge names what the location requires.
        let response = verify(base, &deploy, &["deploy reports:read"]).await;
        let body = expect_insufficient_scope(response, "deploy reports:read").await;
        let message = s(&body["exception"]["message"]);
        assert!(message.ends_with("requires: reports:read."), "{message}");
        // `api` covers the built-in scopes, not a service scope.
        for required in ["api", "read_api", "tokens", "admin"] {
            accepted(base, &api, &[required]).await;
        }
        expect_insufficient_scope(verify(base, &api, &["deploy"]).await, "deploy").await;
        // `read_api` covers only itself; a name that cannot exist refuses every token.
        accepted(base, &read, &["read_api"]).await;
        expect_insufficient_scope(verify(base, &read, &["api"]).await, "api").await;
        expect_insufficient_scope(verify(base, &read, &["tokens"]).await, "tokens").await;
        assert_eq!(verify(base, &api, &["Deploy!"]).await.status(), 403);
    }
}

#[actix_web::test]
async fn a_service_scope_taken_off_the_list_stops_counting_at_once_on_every_instance() {
    let app = world().await;
    let second = app.spawn_instance(|_| {}).await;
    let instances = [app.address.clone(), second];
    let mut tokens = Vec::new();
    for kind in KINDS {
        let token = scopes::scoped(&app, ADMIN, kind, &["deploy", "tokens"]).await;
        for base in &instances {
            assert_eq!(accepted(base, &token, &["deploy"]).await, "deploy tokens");
        }
        tokens.push((kind, token));
    }

    define_service_scopes(&app, ADMIN, &["reports:read"], &[]).await;

    for (kind, token) in &tokens {
        // Here at once.
        let response = verify(&instances[0], token, &["deploy"]).await;
        expect_insufficient_scope(response, "deploy").await;
        assert_eq!(accepted(&instances[0], token, &[]).await, "tokens");
        // Nor can it be put on a new token: the workspace no longer has the name.
        let response = create_at(&instances[0], By::Token(token), *kind, Some(&["deploy"])).await;
        expect_scopes_invalid(response).await;
        // There within the change feed's second.
        let start = Instant::now();
        loop {
            let status = verify(&instances[1], token, &["deploy"]).await.status();
            if status == 403 {
                break;
            }
            assert_eq!(status, 204);
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "{kind:?}: still counts"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(accepted(&instances[1], token, &[]).await, "tokens");
    }
}

#[actix_web::test]
async fn introspection_revocation_the_jwks_and_the_document_need_no_scope() {
    let app = world().await;
    let legacy = scopes::scoped(&app, ADMIN, Kind::Legacy, &["deploy"]).await;
    let oauth = scopes::scoped(&app, ADMIN, Kind::OAuth, &["deploy"]).await;
    let admin = scopes::scoped(&app, ADMIN, Kind::OAuth, &["admin"]).await;

    for caller in [&legacy, &oauth] {
        let response = api_client()
            .post(app.url("/oauth2/introspect"))
            .bearer_auth(caller)
            .form(&[("token", admin.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (&body["active"], &body["scope"]),
            (&Value::Bool(true), &"admin".into())
        );
        let spec = call(&app.address, caller, Method::GET, common::api::SPEC, None).await;
        assert_eq!(spec.status(), 200);
    }
    let jwks = api_client()
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);

    let revoked = api_client()
        .post(app.url("/oauth2/revoke"))
        .form(&[("token", oauth.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(verify(&app.address, &oauth, &[]).await.status(), 401);
}

#[actix_web::test]
async fn a_token_of_any_scope_deletes_itself_but_no_other_token() {
    let app = world().await;
    for scope in ["read_api", "deploy", "admin"] {
        // A legacy token.
        let other = create(&app, By::Password(ADMIN), Kind::Legacy, None).await;
        let other = s(&other["tokenInfo"]["tokenId"]);
        let mine = create(&app, By::Password(ADMIN), Kind::Legacy, Some(&[scope])).await;
        let (id, value) = (s(&mine["tokenInfo"]["tokenId"]), s(&mine["tokenValue"]));
        let path = |id: &str| format!("{}/{id}", Kind::Legacy.path());

        let refused = call(&app.address, &value, Method::DELETE, &path(&other), None).await;
        expect_insufficient_scope(refused, "tokens").await;
        let deleted = call(&app.address, &value, Method::DELETE, &path(&id), None).await;
        assert!(
            deleted.status().is_success(),
            "{scope}: {}",
            deleted.status()
        );
        assert_eq!(
            verify(&app.address, &value, &[]).await.status(),
            401,
            "{scope}"
        );

        // An OAuth API token: disabled, then deleted, by its own access token.
        let other = create(&app, By::Password(ADMIN), Kind::OAuth, None).await;
        let other = s(&other["tokenInfo"]["tokenId"]);
        let mine = create(&app, By::Password(ADMIN), Kind::OAuth, Some(&[scope])).await;
        let (grant, access) = (s(&mine["tokenInfo"]["tokenId"]), s(&mine["accessToken"]));
        let path = |id: &str| format!("{}/{id}", Kind::OAuth.path());

        for (method, target) in [
            (Method::POST, format!("{}/disable", path(&other))),
            (Method::DELETE, path(&other)),
        ] {
            let refused = call(&app.address, &access, method, &target, None).await;
            expect_insufficient_scope(refused, "tokens").await;
        }
        let disabled = call(
            &app.address,
            &access,
            Method::POST,
            &format!("{}/disable", path(&grant)),
            None,
        )
        .await;
        assert!(
            disabled.status().is_success(),
            "{scope}: {}",
            disabled.status()
        );
        let deleted = call(&app.address, &access, Method::DELETE, &path(&grant), None).await;
        assert!(
            deleted.status().is_success(),
            "{scope}: {}",
            deleted.status()
        );
        let (_, listed) = app.get_as(ADMIN, Kind::OAuth.path()).await;
        let ids: Vec<&str> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|g| g["tokenId"].as_str())
            .collect();
        assert!(
            ids.contains(&other.as_str()) && !ids.contains(&grant.as_str()),
            "{ids:?}"
        );
    }
}
