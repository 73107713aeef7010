//! The workspace setting "Allow legacy access tokens" over real HTTP: on by default;
//! turned off by an admin (API or page), the workspace's legacy access tokens are
//! refused at once and none can be generated, by anyone, while OAuth 2.0 API tokens
//! go on working; turned back on, the kept tokens work again. And the deprecation
//! notice on the Access Tokens page.

mod common;

use std::time::{Duration, Instant};

use access_tokens::domain::clock::Clock;
use common::{
    bearer_status_at, csrf_token, generate, s, signed_in, workspace, workspace_on_clock, Generate,
    Generating, TestApp, ADMIN, MEMBER, PASSWORD, TOKENS, TOKENS_PAGE as PAGE,
};
use serde_json::{json, Value};

const SETTINGS: &str = "/v4/workspaceSettings";
const SETTINGS_PAGE: &str = "/admin/workspace-settings";
const TURNED_OFF: &str =
    "Legacy access tokens are turned off in this workspace. Use OAuth 2.0 API tokens instead.";
const REFUSAL_DETAIL: &str = "legacy access tokens are turned off in the workspace";

async fn settings(app: &TestApp) -> Value {
    let response = app
        .api_client()
        .get(app.url(SETTINGS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn patch_settings(app: &TestApp, body: Value) -> reqwest::Response {
    app.api_client()
        .patch(app.url(SETTINGS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn set_legacy(app: &TestApp, allowed: bool) {
    let response = patch_settings(app, json!({"allowLegacyAccessTokens": allowed})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["allowLegacyAccessTokens"], allowed);
}

async fn create(app: &TestApp, user: &str) -> reqwest::Response {
    app.api_client()
        .post(app.url(TOKENS))
        .basic_auth(user, Some(PASSWORD))
        .json(&json!({"lifetimeSeconds": 3600}))
        .send()
        .await
        .unwrap()
}

/// The token id inside a token value.
fn token_id(value: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let parsed: Value = serde_json::from_slice(&engine.decode(value).unwrap()).unwrap();
    parsed["tokenId"].as_str().unwrap().to_owned()
}

/// The workspace's audit events with `action`, newest first, read by its admin.
async fn audit_events(app: &TestApp, action: &str) -> Vec<Value> {
    let response = app
        .api_client()
        .get(app.url(&format!("/v4/auditEvents?action={action}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

/// Refusals are written off the request path: wait until one is stored.
async fn wait_for_refusal(app: &TestApp) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = audit_events(app, "token.refused").await;
        if !found.is_empty() || Instant::now() > deadline {
            return found;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Posts the Workspace Settings form as a browser would: every other setting as
/// shipped (with members allowed to generate), and legacy tokens ticked or not.
async fn save_settings_page(app: &TestApp, admin: &reqwest::Client, allow_legacy: bool) {
    let html = app.html(admin, SETTINGS_PAGE).await;
    let csrf = csrf_token(&html);
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("tokens_enabled", "on"),
        ("members_may_generate", "on"),
        ("max_lifetime_days", "-1"),
        ("allow_never_expires", "on"),
    ];
    if allow_legacy {
        form.push(("allow_legacy_tokens", "on"));
    }
    let saved = admin
        .post(app.url(SETTINGS_PAGE))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
}

#[actix_web::test]
async fn legacy_tokens_are_allowed_by_default_on_the_api_and_the_page() {
    let app = workspace(Generating::MembersToo).await;
    assert_eq!(settings(&app).await["allowLegacyAccessTokens"], true);

    let admin = signed_in(&app, ADMIN).await;
    let html = app.html(&admin, SETTINGS_PAGE).await;
    assert!(
        html.contains("> Allow legacy access tokens</label>"),
        "{html}"
    );
    assert!(html.contains(
        r#"id="allow-legacy-tokens" name="allow_legacy_tokens" value="on" aria-describedby="allow-legacy-tokens-hint" checked"#
    ));
    assert!(html.contains("the legacy access tokens of this workspace stop working at once"));
    assert!(html.contains("OAuth 2.0 API tokens are not affected."));

    assert_eq!(create(&app, MEMBER).await.status(), 201);
}

#[actix_web::test]
async fn turned_off_a_legacy_token_is_refused_at_once_and_works_again_when_turned_back_on() {
    let app = workspace(Generating::MembersToo).await;
    let token = app.token_value(MEMBER, PASSWORD).await;
    assert_eq!(app.bearer_status(&token).await, 200);

    set_legacy(&app, false).await;
    let refused = app
        .api_client()
        .get(app.url(TOKENS))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Bearer realm="access-tokens", error="invalid_token""#,
        "the same answer as any invalid token"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["exception"]["name"], "UnauthorizedException");
    assert_eq!(
        body["exception"]["message"],
        "The access token is invalid, expired or deleted."
    );
    assert_eq!(app.token_count(), 1, "the token is kept");

    set_legacy(&app, true).await;
    assert_eq!(app.bearer_status(&token).await, 200);
}

#[actix_web::test]
async fn turned_off_nobody_generates_a_legacy_token_by_api_not_even_an_admin() {
    let app = workspace(Generating::MembersToo).await;
    set_legacy(&app, false).await;
    for user in [MEMBER, ADMIN] {
        let response = create(&app, user).await;
        assert_eq!(response.status(), 403, "{user}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["exception"]["name"], "AccessControlException");
        assert_eq!(body["exception"]["message"], TURNED_OFF);
    }
    assert_eq!(app.token_count(), 0);

    set_legacy(&app, true).await;
    assert_eq!(create(&app, MEMBER).await.status(), 201);
}

#[actix_web::test]
async fn an_admin_turns_it_off_and_on_again_on_the_settings_page() {
    let app = workspace(Generating::MembersToo).await;
    let token = app.token_value(MEMBER, PASSWORD).await;
    let admin = signed_in(&app, ADMIN).await;

    save_settings_page(&app, &admin, false).await;
    assert_eq!(settings(&app).await["allowLegacyAccessTokens"], false);
    let html = app.html(&admin, SETTINGS_PAGE).await;
    assert!(html.contains(
        r#"id="allow-legacy-tokens" name="allow_legacy_tokens" value="on" aria-describedby="allow-legacy-tokens-hint">"#
    ), "unticked");
    assert_eq!(app.bearer_status(&token).await, 401);

    save_settings_page(&app, &admin, true).await;
    assert_eq!(settings(&app).await["allowLegacyAccessTokens"], true);
    assert_eq!(app.bearer_status(&token).await, 200);
}

#[actix_web::test]
async fn turned_off_the_page_offers_no_generate_says_why_and_still_lists_and_deletes() {
    let app = workspace(Generating::MembersToo).await;
    let kept = token_id(&app.token_value(MEMBER, PASSWORD).await);
    let doomed = token_id(&app.token_value(MEMBER, PASSWORD).await);
    set_legacy(&app, false).await;

    let member = signed_in(&app, MEMBER).await;
    let page = app.html(&member, PAGE).await;
    assert!(!page.contains(r#"id="generate-new-token""#), "no Generate");
    assert!(!page.contains(r#"id="generate-token-dialog""#));
    assert!(page.contains(&format!(
        r#"<p class="notice" id="generation-refused" role="status">{TURNED_OFF}</p>"#
    )));
    assert!(
        !page.contains("Ask a workspace admin if you need one."),
        "no admin can help: the way forward is OAuth"
    );
    let row = |id: &str| format!(r#"<tr data-token-id="{id}">"#);
    assert!(
        page.contains(&row(&kept)) && page.contains(&row(&doomed)),
        "still listed"
    );

    let form = member
        .get(app.url(&format!("{PAGE}/new")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);
    assert!(form.text().await.unwrap().contains(TURNED_OFF));
    let generated = member
        .submit(&app, PAGE, &[("lifetime_days", "30"), ("description", "")])
        .await;
    assert_eq!(generated.status(), 403);
    assert!(generated.text().await.unwrap().contains(TURNED_OFF));
    assert_eq!(app.token_count(), 2);

    let deleted = member
        .post(app.url(&format!("{PAGE}/{doomed}/delete")))
        .form(&[("csrf_token", csrf_token(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 303);
    let page = app.html(&member, PAGE).await;
    assert!(page.contains(&row(&kept)) && !page.contains(&row(&doomed)));

    // Admin > Access Tokens lists them too, and deletes them.
    let admin = signed_in(&app, ADMIN).await;
    let listed = app.html(&admin, "/admin/access-tokens").await;
    assert!(listed.contains(&kept));
    let removed = app
        .api_client()
        .delete(app.url(&format!("/v4/workspaceAccessTokens/{kept}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(app.token_count(), 0);
}

#[actix_web::test]
async fn the_access_tokens_page_always_says_legacy_tokens_are_deprecated() {
    let app = workspace(Generating::MembersToo).await;
    let member = signed_in(&app, MEMBER).await;
    for allowed in [true, false] {
        set_legacy(&app, allowed).await;
        let page = app.html(&member, PAGE).await;
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse("#legacy-deprecated").unwrap();
        let notice = doc.select(&sel).next().expect("the deprecation notice");
        let text = notice.text().collect::<String>();
        assert!(
            text.contains("legacy access tokens, and they are deprecated"),
            "{text}"
        );
        let link = scraper::Selector::parse("a").unwrap();
        let link = notice.select(&link).next().expect("a link");
        assert_eq!(link.value().attr("href"), Some("/preferences/oauth-tokens"));
        assert_eq!(link.text().collect::<String>(), "OAuth 2.0 API tokens");
        assert_eq!(
            page.contains(r#"id="generate-new-token""#),
            allowed,
            "Generate only while allowed"
        );
    }
}

#[actix_web::test]
async fn oauth_tokens_keep_working_while_legacy_tokens_are_off() {
    let app = workspace(Generating::MembersToo).await;
    set_legacy(&app, false).await;

    // Generated, used as Bearer, and refreshed, all with legacy tokens off.
    let created = generate(&app, Generate::oauth(MEMBER)).await;
    assert_eq!(app.bearer_status(&created.value).await, 200);

    let refreshed = app.refresh(&created.refresh()).await;
    assert_eq!(refreshed.status(), 200);
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(
        app.bearer_status(body["access_token"].as_str().unwrap())
            .await,
        200
    );
}

#[actix_web::test]
async fn the_audit_log_records_the_change_and_a_refused_legacy_token() {
    let app = workspace(Generating::MembersToo).await;
    let token = app.token_value(MEMBER, PASSWORD).await;
    set_legacy(&app, false).await;
    assert_eq!(app.bearer_status(&token).await, 401);

    let changes = audit_events(&app, "workspace.settings_changed").await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        changes[0]["detail"],
        "Allow legacy access tokens: on -> off"
    );
    assert_eq!(changes[0]["actor"]["username"], ADMIN);

    let refused = wait_for_refusal(&app).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["targetId"], token_id(&token).as_str());
    assert_eq!(refused[0]["detail"], REFUSAL_DETAIL);
    assert!(!format!("{refused:?}").contains(&token), "never the value");

    // Saving again without a change records nothing more.
    set_legacy(&app, false).await;
    assert_eq!(
        audit_events(&app, "workspace.settings_changed").await.len(),
        1
    );
}

#[actix_web::test]
async fn patch_is_partial_and_refuses_a_non_boolean() {
    let app = workspace(Generating::MembersToo).await;
    let before = settings(&app).await;

    set_legacy(&app, false).await;
    let after = settings(&app).await;
    for field in [
        "apiAccessTokensEnabled",
        "allowUsersToGenerateAccessTokens",
        "maximumLifetimeDays",
        "allowNeverExpiringTokens",
    ] {
        assert_eq!(after[field], before[field], "{field} unchanged");
    }
    let other = patch_settings(&app, json!({"maximumLifetimeDays": 30})).await;
    assert_eq!(other.status(), 200);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["allowLegacyAccessTokens"], false, "left as it was");

    for bad in [json!("no"), json!(0), json!({})] {
        let response = patch_settings(&app, json!({"allowLegacyAccessTokens": bad})).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["exception"]["name"], "ValidationFailed", "{bad}");
    }
    assert_eq!(settings(&app).await["allowLegacyAccessTokens"], false);
}

#[actix_web::test]
async fn the_open_api_spec_describes_the_setting() {
    let app = workspace(Generating::MembersToo).await;
    let spec: Value = app.get_as(ADMIN, "/v4/open-api-spec").await.1;
    let schemas = &spec["components"]["schemas"];
    let read = &schemas["WorkspaceSettings"];
    assert_eq!(
        read["properties"]["allowLegacyAccessTokens"]["type"],
        "boolean"
    );
    assert!(read["required"]
        .as_array()
        .unwrap()
        .contains(&json!("allowLegacyAccessTokens")));
    let change = &schemas["WorkspaceSettingsUpdate"]["properties"]["allowLegacyAccessTokens"];
    assert!(change.is_object(), "{change}");
    assert!(spec["paths"][TOKENS]["post"]["responses"]["403"].is_object());
}

/// One clock for every "now": a legacy token is made on the app's clock (its times
/// are that clock's) and expires when that clock passes its lifetime, at once and
/// with no waiting, whether the check is served from the cache or the database.
#[actix_web::test]
async fn a_legacy_token_expires_when_the_apps_clock_passes_its_lifetime() {
    let (app, clock) = workspace_on_clock().await;
    let created = generate(&app, Generate::legacy(MEMBER).lifetime_seconds(3600)).await;
    let millis = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(&s(&created.body["tokenInfo"][field]))
            .unwrap()
            .timestamp_millis()
    };
    assert_eq!(
        millis("createdAt"),
        clock.now().millis(),
        "made at the app's time"
    );
    assert_eq!(millis("expiredAt"), clock.now().plus_seconds(3600).millis());
    let value = created.value;
    assert_eq!(app.bearer_status(&value).await, 200);

    clock.advance(3599);
    assert_eq!(app.bearer_status(&value).await, 200, "a second left");
    clock.advance(1);
    assert_eq!(
        app.bearer_status(&value).await,
        401,
        "expired on the app's clock, from the cache"
    );

    // The same judgement from the database: a server that never saw the token.
    let shared = clock.clone();
    let other = app.spawn_instance(move |s| s.clock = shared).await;
    assert_eq!(
        bearer_status_at(&other, TOKENS, &value).await,
        401,
        "and from the database"
    );
}
