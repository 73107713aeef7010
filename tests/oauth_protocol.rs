//! The OAuth protocol endpoints over real HTTP: revocation (RFC 7009) of refresh
//! and access tokens, introspection (RFC 7662) of every kind of token, refused
//! access tokens in the audit log, signing-key rotation on a clock the test moves,
//! and several instances on one database.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use access_tokens::auth::keys::{GRACE_SECONDS, ROTATION_DAYS};
use access_tokens::domain::clock::ManualClock;
use access_tokens::domain::{TokenSecret, TokenValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{
    api_client, bearer_status_at, generate, refresh_at, s, workspace_on_clock, Generate, Generated,
    TestApp, ADMIN, MEMBER, OAUTH_TOKENS, PASSWORD,
};
use serde_json::{json, Value};

/// Another instance over `app`'s database, on the same clock.
async fn another_instance(app: &TestApp, clock: &Arc<ManualClock>) -> String {
    let shared = clock.clone();
    app.spawn_instance(move |s| s.clock = shared).await
}

async fn refreshed(base: &str, refresh_token: &str) -> (String, String) {
    let response = refresh_at(base, refresh_token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (s(&body["access_token"]), s(&body["refresh_token"]))
}

/// `POST /oauth2/revoke` with this form.
async fn revoke_at(base: &str, form: &[(&str, &str)]) -> reqwest::Response {
    api_client()
        .post(format!("{base}/oauth2/revoke"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Revokes `token` and asserts RFC 7009's answer: 200, empty, not cached.
async fn revoke_ok(base: &str, form: &[(&str, &str)]) {
    let response = revoke_at(base, form).await;
    let shown = format!("{form:?}");
    assert_eq!(response.status(), 200, "{shown}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.text().await.unwrap(), "", "{shown}");
}

/// Asserts an RFC 6749 §5.2 error with `status`; returns its `error`.
async fn oauth_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body["error_description"].is_string(), "{body}");
    body["error"].as_str().unwrap().to_owned()
}

/// `POST /oauth2/introspect` as `user` (Basic), for `token`; the 200 body.
async fn introspect_as(app: &TestApp, user: &str, workspace: Option<&str>, token: &str) -> Value {
    let mut request = app
        .api_client()
        .post(app.url("/oauth2/introspect"))
        .basic_auth(user, Some(PASSWORD))
        .form(&[("token", token)]);
    if let Some(ws) = workspace {
        request = request.header("X-Workspace", ws);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn introspect(app: &TestApp, token: &str) -> Value {
    introspect_as(app, MEMBER, None, token).await
}

/// The status of the grant `id` of `user`, as listed.
async fn grant_status(app: &TestApp, user: &str, id: &str) -> String {
    let body: Value = app.get_as(user, "/v4/oauthTokens").await.1;
    let grant = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["tokenId"] == id)
        .expect("the grant is listed");
    s(&grant["status"])
}

/// (action, workspace, target id, detail) of a stored audit event.
type Event = (String, Option<String>, Option<String>, String);

/// Every stored audit event, and the whole rows as text, to look for token
/// values in.
fn audit_events(app: &TestApp) -> (Vec<Event>, String) {
    use access_tokens::db::schema::audit_events::dsl::*;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = audit_events
        .order(occurred_at.asc())
        .select((
            action,
            workspace_id,
            target_id,
            detail,
            target_name,
            actor_name,
            address,
        ))
        .load(&mut *conn)
        .unwrap();
    let text = format!("{rows:?}");
    let events = rows
        .into_iter()
        .map(|r| (r.0, r.1, r.2, r.3.unwrap_or_default()))
        .collect();
    (events, text)
}

/// Refusals are written off the request path: waits until one with `detail` is
/// stored, or a few seconds have passed.
async fn wait_for_refusal(app: &TestApp, detail: &str) -> Option<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = audit_events(app)
            .0
            .into_iter()
            .find(|e| e.0 == "token.refused" && e.3 == detail);
        if found.is_some() || Instant::now() > deadline {
            return found;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `kid` in an access token's header.
fn kid(access_token: &str) -> String {
    let header = access_token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    s(&header["kid"])
}

/// The same token with its header's `kid` replaced (so its signature is no longer
/// checked by any key we have).
fn with_kid(access_token: &str, new_kid: &str) -> String {
    let parts: Vec<&str> = access_token.split('.').collect();
    let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": new_kid});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    format!("{header}.{}.{}", parts[1], parts[2])
}

/// The same token with one claim changed: the signature no longer matches.
fn tampered(access_token: &str) -> String {
    let parts: Vec<&str> = access_token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["rol"] = json!("admin");
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

async fn jwks_kids(base: &str) -> BTreeSet<String> {
    let jwks: Value = api_client()
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| s(&k["kid"]))
        .collect()
}

// ---------------------------------------------------------------------------
// Revocation (RFC 7009)
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn revoking_a_refresh_token_disables_its_grant_and_leaves_the_access_token_for_its_hour() {
    let (app, _clock) = workspace_on_clock().await;
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let refresh = made.refresh();
    let Generated {
        id: grant,
        value: access,
        ..
    } = made;

    revoke_ok(
        &app.address,
        &[("token", &refresh), ("token_type_hint", "refresh_token")],
    )
    .await;

    assert_eq!(grant_status(&app, MEMBER, &grant).await, "Disabled");
    let error = oauth_error(refresh_at(&app.address, &refresh).await, 400).await;
    assert_eq!(error, "invalid_grant");
    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &access).await,
        200,
        "as the seed says of Disable: the access token works until it expires"
    );

    // Again: nothing more happens, and the answer is the same.
    revoke_ok(&app.address, &[("token", &refresh)]).await;
    let (events, text) = audit_events(&app);
    let disabled: Vec<_> = events
        .iter()
        .filter(|e| e.0 == "oauth_token.disabled")
        .collect();
    assert_eq!(disabled.len(), 1, "{events:?}");
    assert_eq!(disabled[0].2.as_deref(), Some(grant.as_str()));
    assert_eq!(disabled[0].3, "revoked by the client (RFC 7009)");
    assert!(!text.contains(&refresh[41..]));
}

#[actix_web::test]
async fn only_a_refresh_token_the_grant_issued_revokes_it_and_a_rotated_one_counts() {
    let (app, _clock) = workspace_on_clock().await;
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let first = made.refresh();
    let grant = made.id;

    // The grant's id with a secret it never issued does nothing.
    let guessed = format!("art_{grant}.{}", "ab".repeat(32));
    revoke_ok(&app.address, &[("token", &guessed)]).await;
    assert_eq!(grant_status(&app, MEMBER, &grant).await, "Active");

    // An old refresh token, rotated since, still proves the client had the grant.
    let (_, second) = refreshed(&app.address, &first).await;
    revoke_ok(&app.address, &[("token", &first)]).await;
    assert_eq!(grant_status(&app, MEMBER, &grant).await, "Disabled");
    let error = oauth_error(refresh_at(&app.address, &second).await, 400).await;
    assert_eq!(error, "invalid_grant");
}

#[actix_web::test]
async fn revoking_an_access_token_stops_it_at_once_and_leaves_the_refresh_token() {
    let (app, _clock) = workspace_on_clock().await;
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let refresh = made.refresh();
    let Generated {
        id: grant,
        value: access,
        ..
    } = made;
    let other_access = generate(&app, Generate::oauth(MEMBER)).await.value;
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 200);

    revoke_ok(
        &app.address,
        &[("token", &access), ("token_type_hint", "access_token")],
    )
    .await;

    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 401);
    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &other_access).await,
        200,
        "only that access token"
    );
    assert_eq!(grant_status(&app, MEMBER, &grant).await, "Active");
    let (new_access, _) = refreshed(&app.address, &refresh).await;
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &new_access).await, 200);

    let (events, text) = audit_events(&app);
    let revoked = events
        .iter()
        .find(|e| e.0 == "oauth_token.access_token_revoked")
        .expect("the revocation is in the audit log");
    assert_eq!(revoked.1, Some(app.workspace_id("default").to_string()));
    assert_eq!(revoked.2.as_deref(), Some(grant.as_str()));
    assert!(revoked.3.ends_with("revoked by the client (RFC 7009)"));
    let refused = wait_for_refusal(&app, "access token revoked")
        .await
        .expect("the refused use is in the audit log");
    assert_eq!(refused.2.as_deref(), Some(grant.as_str()));
    let (_, text_after) = audit_events(&app);
    for t in [&text, &text_after] {
        assert!(!t.contains(&access), "no token value in the audit log");
        assert!(!t.contains(access.split('.').nth(2).unwrap()));
    }
}

#[actix_web::test]
async fn revocation_answers_200_for_any_token_and_400_for_a_malformed_request() {
    let (app, clock) = workspace_on_clock().await;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    let forged = tampered(&access);
    for token in [
        "garbage",
        "art_bab908f7-dcc2-4962-85bd-c1e96d0cacbd.0000000000000000000000000000000000000000000000000000000000000000",
        "a.b.c",
        forged.as_str(),
    ] {
        revoke_ok(&app.address, &[("token", token)]).await;
        revoke_ok(
            &app.address,
            &[("token", token), ("token_type_hint", "id_token")],
        )
        .await;
    }
    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &access).await,
        200,
        "the forgery revoked nothing"
    );

    // Expired: nothing left to revoke, and still a 200.
    let expiring = generate(&app, Generate::oauth(MEMBER)).await.value;
    clock.advance(3600);
    revoke_ok(&app.address, &[("token", &expiring)]).await;

    // A legacy access token is deleted: it has no disabled state. A wrong secret
    // for its id deletes nothing.
    let created = app
        .create_token(MEMBER, PASSWORD, json!({"lifetimeSeconds": 86400}))
        .await;
    let legacy = s(&created["tokenValue"]);
    let legacy_id = s(&created["tokenInfo"]["tokenId"]);
    let other = app.token_value(MEMBER, PASSWORD).await;
    // The same token id with a secret of our own making.
    let (id, _) = TokenValue::parse(&legacy).unwrap();
    let forged = TokenValue::encode(id, &TokenSecret::generate())
        .expose()
        .to_owned();
    revoke_ok(&app.address, &[("token", &forged)]).await;
    let listed = |bearer: String| {
        let client = app.api_client();
        let url = app.url("/v4/apiAccessTokens");
        async move {
            client
                .get(url)
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        listed(legacy.clone()).await,
        200,
        "a forgery deletes nothing"
    );
    revoke_ok(&app.address, &[("token", &legacy)]).await;
    assert_eq!(listed(legacy.clone()).await, 401, "revoked: gone at once");
    assert_eq!(
        listed(other.clone()).await,
        200,
        "the owner's other token stays"
    );
    revoke_ok(&app.address, &[("token", &legacy)]).await;
    let (events, _) = audit_events(&app);
    let deletions: Vec<&Event> = events.iter().filter(|e| e.0 == "token.deleted").collect();
    assert_eq!(deletions.len(), 1, "{deletions:?}");
    assert_eq!(deletions[0].2.as_deref(), Some(legacy_id.as_str()));
    assert!(deletions[0]
        .3
        .starts_with("revoked by the client (RFC 7009)"));

    for form in [
        vec![],
        vec![("token_type_hint", "access_token")],
        vec![("token", "")],
        vec![("token", "a"), ("token", "b")],
        vec![
            ("token", "a"),
            ("token_type_hint", "access_token"),
            ("token_type_hint", "refresh_token"),
        ],
    ] {
        let shown = format!("{form:?}");
        let error = oauth_error(revoke_at(&app.address, &form).await, 400).await;
        assert_eq!(error, "invalid_request", "{shown}");
    }
    let json_body = app
        .api_client()
        .post(app.url("/oauth2/revoke"))
        .json(&json!({"token": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(json_body, 400).await, "invalid_request");
}

// ---------------------------------------------------------------------------
// Introspection (RFC 7662)
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn introspection_describes_each_kind_of_active_token() {
    let (app, _clock) = workspace_on_clock().await;
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let refresh = made.refresh();
    let Generated {
        id: grant,
        value: access,
        ..
    } = made;
    let legacy = app
        .create_token(MEMBER, PASSWORD, json!({"lifetimeSeconds": 86400}))
        .await;
    let default_ws = app.workspace_id("default").to_string();
    let mike = app.user_id(MEMBER).to_string();

    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let body = introspect(&app, &access).await;
    assert_eq!(
        body,
        json!({
            "active": true, "token_type": "Bearer", "token_use": "access_token",
            "sub": mike, "username": MEMBER, "exp": claims["exp"], "iat": claims["iat"],
            "iss": "access-tokens", "jti": claims["jti"],
            "workspace_id": default_ws, "workspace_name": "default", "token_id": grant,
            "scope": "api",
        })
    );

    let body = introspect(&app, &refresh).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_use"], "refresh_token");
    assert!(
        body.get("token_type").is_none(),
        "a refresh token has no token type"
    );
    assert_eq!(body["token_id"], grant.as_str());
    assert_eq!(body["scope"], "api", "the grant's scopes");
    assert_eq!(body["username"], MEMBER);
    assert_eq!(body["workspace_id"], default_ws.as_str());
    assert_eq!(
        body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(),
        30 * 86_400,
        "{body}"
    );
    // Introspection is not a use: the refresh token still refreshes.
    let (_, next) = refreshed(&app.address, &refresh).await;

    let value = s(&legacy["tokenValue"]);
    let id = s(&legacy["tokenInfo"]["tokenId"]);
    let body = introspect(&app, &value).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["token_use"], "legacy_access_token");
    assert_eq!(body["token_id"], id.as_str());
    assert_eq!(body["scope"], "api");
    assert_eq!(body["sub"], mike.as_str());
    assert_eq!(
        body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(),
        86_400
    );
    assert!(body.get("iss").is_none() && body.get("jti").is_none());
    let info: Value = app
        .get_as(MEMBER, &format!("/v4/apiAccessTokens/{id}"))
        .await
        .1;
    assert!(
        info["lastUsed"].is_null(),
        "introspection records no use: {info}"
    );

    // Any API caller may introspect: here with an OAuth access token as Bearer.
    let (caller, _) = refreshed(&app.address, &next).await;
    let response = app
        .api_client()
        .post(app.url("/oauth2/introspect"))
        .bearer_auth(&caller)
        .form(&[
            ("token", value.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["active"], true);
}

#[actix_web::test]
async fn introspection_answers_only_active_false_for_tokens_that_do_not_work() {
    let (app, clock) = workspace_on_clock().await;
    let inactive = json!({"active": false});

    // A rotated refresh token is inactive, and asking does not count as a reuse.
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let first = made.refresh();
    let grant = made.id;
    let (_, second) = refreshed(&app.address, &first).await;
    assert_eq!(introspect(&app, &first).await, inactive);
    assert_eq!(grant_status(&app, MEMBER, &grant).await, "Active");
    let (_, third) = refreshed(&app.address, &second).await;

    // A revoked access token; a disabled grant's refresh token.
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let refresh = made.refresh();
    let access = made.value;
    revoke_ok(&app.address, &[("token", &access)]).await;
    revoke_ok(&app.address, &[("token", &refresh)]).await;
    assert_eq!(introspect(&app, &access).await, inactive);
    assert_eq!(introspect(&app, &refresh).await, inactive);

    // A deleted legacy token, garbage, a forgery.
    let legacy = app
        .create_token(MEMBER, PASSWORD, json!({"lifetimeSeconds": 86400}))
        .await;
    let value = s(&legacy["tokenValue"]);
    let deleted = app
        .api_client()
        .delete(app.url(&format!(
            "/v4/apiAccessTokens/{}",
            s(&legacy["tokenInfo"]["tokenId"])
        )))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let live = generate(&app, Generate::oauth(MEMBER)).await.value;
    for token in [value.clone(), "garbage".into(), tampered(&live)] {
        assert_eq!(introspect(&app, &token).await, inactive, "{token}");
    }

    // An expired access token; the refresh token outliving it is still active.
    clock.advance(3600);
    assert_eq!(introspect(&app, &live).await, inactive);
    assert_eq!(introspect(&app, &third).await["active"], true);

    // Introspection reported none of these as refused uses.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let (events, _) = audit_events(&app);
    assert!(!events.iter().any(|e| e.0 == "token.refused"), "{events:?}");
}

#[actix_web::test]
async fn introspection_sees_only_the_callers_workspace() {
    let (app, _clock) = workspace_on_clock().await;
    app.add_workspace("beta", ADMIN);
    let made = generate(&app, Generate::oauth(ADMIN).in_workspace("beta")).await;
    let refresh = made.refresh();
    let access = made.value;
    let legacy = {
        let response = app
            .api_client()
            .post(app.url("/v4/apiAccessTokens"))
            .basic_auth(ADMIN, Some(PASSWORD))
            .header("X-Workspace", "beta")
            .json(&json!({"lifetimeSeconds": 86400}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        s(&response.json::<Value>().await.unwrap()["tokenValue"])
    };

    for token in [&access, &refresh, &legacy] {
        assert_eq!(
            introspect_as(&app, MEMBER, None, token).await,
            json!({"active": false}),
            "another workspace's token"
        );
        assert_eq!(
            introspect_as(&app, ADMIN, None, token).await,
            json!({"active": false}),
            "the caller acts in default"
        );
        let seen = introspect_as(&app, ADMIN, Some("beta"), token).await;
        assert_eq!(seen["active"], true);
        assert_eq!(seen["workspace_name"], "beta");
    }
}

#[actix_web::test]
async fn introspection_needs_a_callers_credentials() {
    let (app, _clock) = workspace_on_clock().await;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    let post = || {
        app.api_client()
            .post(app.url("/oauth2/introspect"))
            .form(&[("token", access.as_str())])
    };

    let cases = [
        (
            post(),
            r#"Bearer realm="access-tokens", Basic realm="access-tokens""#,
        ),
        (
            post().basic_auth(MEMBER, Some("wrong password")),
            r#"Bearer realm="access-tokens", Basic realm="access-tokens""#,
        ),
        (
            post().bearer_auth(tampered(&access)),
            r#"Bearer realm="access-tokens", error="invalid_token""#,
        ),
        (
            post().bearer_auth("not-a-token"),
            r#"Bearer realm="access-tokens", error="invalid_token""#,
        ),
    ];
    for (request, challenge) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], challenge);
        assert_eq!(oauth_error(response, 401).await, "invalid_client");
    }

    // A workspace the caller is not in.
    let response = post()
        .basic_auth(MEMBER, Some(PASSWORD))
        .header("X-Workspace", "nowhere")
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 403).await, "access_denied");

    // Credentials first, then the form.
    let response = app
        .api_client()
        .post(app.url("/oauth2/introspect"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .form(&[("token", "a"), ("token", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 400).await, "invalid_request");
    let response = app
        .api_client()
        .post(app.url("/oauth2/introspect"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .form(&[("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(response, 400).await, "invalid_request");
}

// ---------------------------------------------------------------------------
// Refused access tokens in the audit log
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_refused_expired_access_token_is_in_the_audit_log_without_its_value() {
    let (app, clock) = workspace_on_clock().await;
    let Generated {
        id: grant,
        value: access,
        ..
    } = generate(&app, Generate::oauth(MEMBER)).await;

    clock.advance(3600);
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 401);

    let refused = wait_for_refusal(&app, "access token expired")
        .await
        .expect("the refusal is recorded");
    assert_eq!(refused.1, Some(app.workspace_id("default").to_string()));
    assert_eq!(refused.2.as_deref(), Some(grant.as_str()));
    let (_, text) = audit_events(&app);
    for part in access.split('.') {
        assert!(!text.contains(part), "no part of the token in the log");
    }
}

#[actix_web::test]
async fn a_forged_access_token_is_recorded_as_such_and_names_nothing() {
    let (app, _clock) = workspace_on_clock().await;
    let Generated {
        id: grant,
        value: access,
        ..
    } = generate(&app, Generate::oauth(MEMBER)).await;

    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &tampered(&access)).await,
        401
    );

    let refused = wait_for_refusal(&app, "access token signature invalid")
        .await
        .expect("the refusal is recorded");
    assert_eq!(refused.1, None, "a forgery's claims are not trusted");
    assert_eq!(refused.2, None);
    assert!(!refused.3.contains(&grant));
}

#[actix_web::test]
async fn an_access_token_of_an_unknown_key_is_recorded_as_such() {
    let (app, _clock) = workspace_on_clock().await;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;

    let foreign = with_kid(&access, "a-key-this-server-never-had");
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &foreign).await, 401);

    let refused = wait_for_refusal(&app, "access token signed by an unknown key")
        .await
        .expect("the refusal is recorded");
    assert_eq!((refused.1, refused.2), (None, None));
}

// ---------------------------------------------------------------------------
// Signing keys and several instances
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn signing_keys_rotate_and_the_old_key_verifies_through_its_grace_period() {
    let (app, clock) = workspace_on_clock().await;
    let first_kid = {
        let kids = jwks_kids(&app.address).await;
        assert_eq!(kids.len(), 1, "one key, made at first start");
        kids.into_iter().next().unwrap()
    };

    // Ten minutes before the key is due for rotation, an access token is issued...
    clock.advance(ROTATION_DAYS * 86_400 - 600);
    let made = generate(&app, Generate::oauth(MEMBER)).await;
    let old_refresh = made.refresh();
    let old = made.value;
    assert_eq!(kid(&old), first_kid);

    // ... and twenty minutes later, a restarted instance finds the key due.
    clock.advance(1200);
    let restarted = another_instance(&app, &clock).await;
    let kids = jwks_kids(&restarted).await;
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert!(kids.contains(&first_kid));
    let new = generate(&app, Generate::oauth(MEMBER).at(&restarted))
        .await
        .value;
    let second_kid = kid(&new);
    assert_ne!(second_kid, first_kid, "new tokens carry the new key");
    assert_eq!(
        bearer_status_at(&restarted, OAUTH_TOKENS, &old).await,
        200,
        "the retired key still verifies within its grace period"
    );

    // The first instance loaded its keys before the new one existed: meeting it,
    // it reloads, accepts the token, and signs with the new key from then on.
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &new).await, 200);
    assert_eq!(jwks_kids(&app.address).await, kids);
    let (refreshed_there, _) = refreshed(&app.address, &old_refresh).await;
    assert_eq!(kid(&refreshed_there), second_kid);

    // After the grace period the old key is gone.
    clock.advance(GRACE_SECONDS);
    assert_eq!(bearer_status_at(&restarted, OAUTH_TOKENS, &old).await, 401);
    let later = another_instance(&app, &clock).await;
    assert_eq!(jwks_kids(&later).await, BTreeSet::from([second_kid]));
}

#[actix_web::test]
async fn a_revocation_on_one_instance_reaches_the_others_within_about_a_second() {
    let (app, clock) = workspace_on_clock().await;
    let other = another_instance(&app, &clock).await;
    let access = generate(&app, Generate::oauth(MEMBER)).await.value;
    assert_eq!(bearer_status_at(&other, OAUTH_TOKENS, &access).await, 200);

    revoke_ok(&app.address, &[("token", &access)]).await;
    let revoked_at = Instant::now();
    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &access).await,
        401,
        "at once where revoked"
    );

    let mut status = bearer_status_at(&other, OAUTH_TOKENS, &access).await;
    while status == 200 && revoked_at.elapsed() < Duration::from_secs(5) {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        status = bearer_status_at(&other, OAUTH_TOKENS, &access).await;
    }
    assert_eq!(status, 401);
    let took = revoked_at.elapsed();
    // A poll a second, plus the time of the query on a busy machine.
    assert!(took < Duration::from_secs(3), "took {took:?}");

    // An instance started later knows it from the start.
    let later = another_instance(&app, &clock).await;
    assert_eq!(bearer_status_at(&later, OAUTH_TOKENS, &access).await, 401);
}
