//! Workspace governance over real HTTP: the workspace's token policy (who may
//! generate, for how long), enforced alike by the page and the API; tightening it;
//! tokens bound to their workspace and to an active member; the instance switch;
//! changing one's password; and the audit trail of all of it.

mod common;

use access_tokens::domain::password::RULE;
use access_tokens::domain::Role;
use common::html::said_beside;
use common::{
    csrf_token, signed_in, spawn_app_with, workspace, Generating, SignedIn, TestApp, ADMIN, MEMBER,
    PASSWORD, TOKENS,
};
use serde_json::{json, Value};

const SETTINGS: &str = "/v4/workspaceSettings";

async fn create(app: &TestApp, user: &str, body: Value) -> reqwest::Response {
    app.api_client()
        .post(app.url(TOKENS))
        .basic_auth(user, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn patch_settings(app: &TestApp, user: &str, body: Value) -> reqwest::Response {
    app.api_client()
        .patch(app.url(SETTINGS))
        .basic_auth(user, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn exception(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["exception"].clone())
}

/// action, actor, target id, target name, detail
type AuditText = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The audit log's actions, oldest first, and every stored text joined, to look for
/// leaked secrets.
fn audit_trail(app: &TestApp) -> (Vec<String>, String) {
    use access_tokens::db::schema::audit_events::dsl::*;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    let rows: Vec<AuditText> = audit_events
        .order(occurred_at.asc())
        .select((action, actor_name, target_id, target_name, detail))
        .load(&mut *conn)
        .unwrap();
    let text = rows
        .iter()
        .map(|r| format!("{} {:?} {:?} {:?} {:?}", r.0, r.1, r.2, r.3, r.4))
        .collect::<Vec<_>>()
        .join("\n");
    (rows.into_iter().map(|r| r.0).collect(), text)
}

#[actix_web::test]
async fn as_shipped_only_admins_generate_tokens_on_the_api_and_the_page() {
    let app = workspace(Generating::AdminsOnly).await;
    let (status, e) = exception(create(&app, MEMBER, json!({"lifetimeSeconds": 3600})).await).await;
    assert_eq!(status, 403);
    assert_eq!(e["name"], "AccessControlException");
    assert_eq!(
        e["message"],
        "Only workspace admins may generate access tokens in this workspace."
    );
    assert_eq!(
        create(&app, ADMIN, json!({"lifetimeSeconds": 3600}))
            .await
            .status(),
        201
    );

    let browser = signed_in(&app, MEMBER).await;
    let refused = browser
        .submit(
            &app,
            "/preferences/access-tokens",
            &[("lifetime_days", "30"), ("description", "")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Only workspace admins may generate access tokens"));
    assert_eq!(app.token_count(), 1, "nothing was stored for the member");
}

#[actix_web::test]
async fn an_admin_lets_members_generate_and_caps_the_lifetime_for_everyone() {
    let app = workspace(Generating::AdminsOnly).await;
    let saved = patch_settings(
        &app,
        ADMIN,
        json!({"allowUsersToGenerateAccessTokens": true, "maximumLifetimeDays": 30}),
    )
    .await;
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["allowUsersToGenerateAccessTokens"], true);
    assert_eq!(saved["maximumLifetimeDays"], 30);
    assert_eq!(saved["apiAccessTokensEnabled"], true);

    let day = 86_400;
    assert_eq!(
        create(&app, MEMBER, json!({"lifetimeSeconds": 30 * day}))
            .await
            .status(),
        201
    );
    for user in [MEMBER, ADMIN] {
        let (status, e) =
            exception(create(&app, user, json!({"lifetimeSeconds": 30 * day + 1})).await).await;
        assert_eq!(status, 400, "{user}");
        assert_eq!(e["name"], "ValidationFailed");
        assert_eq!(
            e["message"],
            "Lifetime can be at most 30 days in this workspace."
        );
        assert_eq!(e["details"]["field"], "lifetimeSeconds");
        assert_eq!(e["details"]["maximumLifetimeDays"], 30);
        let (status, _) = exception(create(&app, user, json!({"lifetimeSeconds": -1})).await).await;
        assert_eq!(status, 400, "{user}: never expires is longer than 30 days");
    }

    // The page says the same, next to the field.
    let browser = signed_in(&app, MEMBER).await;
    let refused = browser
        .submit(
            &app,
            "/preferences/access-tokens",
            &[("lifetime_days", "31"), ("description", "too long")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Lifetime can be at most 30 days in this workspace."));
    assert!(html.contains(r#"id="lifetime-error""#));
}

#[actix_web::test]
async fn never_expiring_tokens_can_be_ruled_out() {
    let app = workspace(Generating::AdminsOnly).await;
    let saved = patch_settings(&app, ADMIN, json!({"allowNeverExpiringTokens": false})).await;
    assert_eq!(saved.status(), 200);
    let (status, e) = exception(create(&app, ADMIN, json!({"lifetimeSeconds": -1})).await).await;
    assert_eq!(status, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("Tokens that never expire are not allowed in this workspace"),
        "{e}"
    );
    assert_eq!(
        create(&app, ADMIN, json!({"lifetimeSeconds": 86_400}))
            .await
            .status(),
        201
    );
}

#[actix_web::test]
async fn a_maximum_lifetime_turns_never_expiring_tokens_off_and_the_patch_says_so() {
    let app = workspace(Generating::AdminsOnly).await;
    let saved = patch_settings(&app, ADMIN, json!({"maximumLifetimeDays": 30})).await;
    assert_eq!(saved.status(), 200);
    let saved: Value = saved.json().await.unwrap();
    assert_eq!(saved["maximumLifetimeDays"], 30);
    assert_eq!(saved["allowNeverExpiringTokens"], false, "{saved}");
    assert_eq!(
        saved["adjusted"],
        json!([{
            "field": "allowNeverExpiringTokens",
            "value": false,
            "reason": "A maximum lifetime is set, so every token expires."
        }])
    );

    // Asking for it back while the maximum stands is kept off, and said again.
    let again: Value = patch_settings(&app, ADMIN, json!({"allowNeverExpiringTokens": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["allowNeverExpiringTokens"], false);
    assert_eq!(again["adjusted"][0]["field"], "allowNeverExpiringTokens");

    // Nothing to adjust: an empty list; a read has no such field.
    let plain: Value = patch_settings(&app, ADMIN, json!({"maximumLifetimeDays": 60}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plain["adjusted"], json!([]));
    let (_, got) = app.get_as(ADMIN, SETTINGS).await;
    assert!(got.get("adjusted").is_none(), "{got}");
    assert_eq!(got["allowNeverExpiringTokens"], false);

    // Without a maximum it can be turned on again.
    let unlimited: Value = patch_settings(
        &app,
        ADMIN,
        json!({"maximumLifetimeDays": -1, "allowNeverExpiringTokens": true}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(unlimited["allowNeverExpiringTokens"], true);
    assert_eq!(unlimited["adjusted"], json!([]));
}

#[actix_web::test]
async fn the_settings_page_locks_never_expire_while_a_maximum_is_set_and_says_why() {
    let app = workspace(Generating::AdminsOnly).await;
    let browser = signed_in(&app, ADMIN).await;
    let open = app.html(&browser, "/admin/workspace-settings").await;
    assert!(open.contains(
        r#"id="allow-never-expires" name="allow_never_expires" value="on" aria-describedby="allow-never-expires-hint" checked>"#
    ));
    assert!(open.contains(r#"/static/settings.css"#));

    // Without JavaScript the box is still ticked as the maximum is typed: the
    // server keeps it off and says so.
    let saved = browser
        .submit(
            &app,
            "/admin/workspace-settings",
            &[
                ("tokens_enabled", "on"),
                ("max_lifetime_days", "30"),
                ("allow_never_expires", "on"),
                ("allow_legacy_tokens", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let html = app.html(&browser, "/admin/workspace-settings").await;
    assert!(
        html.contains(
            "Workspace settings saved. \u{201c}Allow tokens that never expire\u{201d} was turned off: \
             a maximum lifetime is set, so every token expires."
        ),
        "{html}"
    );
    assert!(html.contains(
        r#"id="allow-never-expires" name="allow_never_expires" value="on" aria-describedby="allow-never-expires-hint" disabled>"#
    ));
    assert!(html.contains(r#"<span id="never-expires-locked">Off while a maximum lifetime is set"#));
    let (_, got) = app.get_as(ADMIN, SETTINGS).await;
    assert_eq!(got["allowNeverExpiringTokens"], false);
    // The page's own script (it follows the maximum as it is typed) is served.
    let script = browser
        .get(app.url("/static/settings.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
}

#[actix_web::test]
async fn tightening_the_policy_counts_the_tokens_that_break_it_and_deletes_them_on_request() {
    let app = workspace(Generating::AdminsOnly).await;
    patch_settings(
        &app,
        ADMIN,
        json!({"allowUsersToGenerateAccessTokens": true}),
    )
    .await;
    let keep: Value = create(&app, ADMIN, json!({"lifetimeSeconds": 86_400}))
        .await
        .json()
        .await
        .unwrap();
    let forever: Value = create(&app, ADMIN, json!({"lifetimeSeconds": -1}))
        .await
        .json()
        .await
        .unwrap();
    let members: Value = create(&app, MEMBER, json!({"lifetimeSeconds": 86_400}))
        .await
        .json()
        .await
        .unwrap();

    let saved: Value = patch_settings(
        &app,
        ADMIN,
        json!({"allowUsersToGenerateAccessTokens": false, "maximumLifetimeDays": 7}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        saved["violatingTokenCount"], 2,
        "the never-expiring token and the member's"
    );
    // Counted, not yet deleted: they still work.
    for t in [&forever, &members] {
        assert_eq!(
            app.bearer_status(t["tokenValue"].as_str().unwrap()).await,
            200
        );
    }

    // The page names the count and offers the deletion.
    let browser = signed_in(&app, ADMIN).await;
    let page = browser
        .get(app.url("/admin/workspace-settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<strong>2</strong> existing tokens break these settings."));
    assert!(html.contains("Delete 2 tokens"));
    let deleted = browser
        .post(app.url("/admin/workspace-settings/delete-violating"))
        .form(&[("csrf_token", csrf_token(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 303);
    let after = app.html(&browser, "/admin/workspace-settings").await;
    assert!(after.contains("Deleted 2 tokens."), "{after}");
    assert!(!after.contains("break these settings"));

    for t in [&forever, &members] {
        assert_eq!(
            app.bearer_status(t["tokenValue"].as_str().unwrap()).await,
            401
        );
    }
    assert_eq!(
        app.bearer_status(keep["tokenValue"].as_str().unwrap())
            .await,
        200
    );
    let (actions, text) = audit_trail(&app);
    assert_eq!(
        actions.iter().filter(|a| *a == "token.deleted").count(),
        2,
        "{actions:?}"
    );
    assert!(text.contains("by admin"));
    for t in [&keep, &forever, &members] {
        let value = t["tokenValue"].as_str().unwrap();
        assert!(!text.contains(value), "no token value in the audit log");
    }
}

#[actix_web::test]
async fn the_settings_page_saves_every_field_and_explains_a_bad_maximum() {
    let app = workspace(Generating::AdminsOnly).await;
    let browser = signed_in(&app, ADMIN).await;
    let html = app.html(&browser, "/admin/workspace-settings").await;
    for label in [
        "API Access Token",
        "Allow users to generate access tokens",
        "Maximum lifetime for user generated access tokens (days)",
        "-1 = never expires",
        "Allow legacy access tokens",
    ] {
        assert!(html.contains(label), "{label}");
    }
    assert!(!html
        .contains(r#"id="members-may-generate" name="members_may_generate" value="on" checked"#));

    let bad = browser
        .submit(
            &app,
            "/admin/workspace-settings",
            &[("tokens_enabled", "on"), ("max_lifetime_days", "0")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("Enter -1 (unlimited) or a whole number of days from 1 to 3650."));

    let saved = browser
        .submit(
            &app,
            "/admin/workspace-settings",
            &[
                ("tokens_enabled", "on"),
                ("members_may_generate", "on"),
                ("max_lifetime_days", "90"),
                ("allow_legacy_tokens", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let got: Value = app.get_as(ADMIN, SETTINGS).await.1;
    assert_eq!(got["apiAccessTokensEnabled"], true);
    assert_eq!(got["allowUsersToGenerateAccessTokens"], true);
    assert_eq!(got["maximumLifetimeDays"], 90);
    assert_eq!(got["allowNeverExpiringTokens"], false, "unticked");
    assert_eq!(got["allowLegacyAccessTokens"], true, "ticked");
    let (actions, text) = audit_trail(&app);
    assert_eq!(actions, ["workspace.settings_changed"]);
    assert!(
        text.contains("Maximum lifetime: unlimited -> 90 days"),
        "{text}"
    );
}

#[actix_web::test]
async fn members_never_reach_the_settings() {
    let app = workspace(Generating::AdminsOnly).await;
    let (status, e) = exception(
        app.api_client()
            .get(app.url(SETTINGS))
            .basic_auth(MEMBER, Some(PASSWORD))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, e["name"].as_str()),
        (403, Some("AccessControlException"))
    );
    let (status, _) = exception(
        patch_settings(
            &app,
            MEMBER,
            json!({"allowUsersToGenerateAccessTokens": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);

    let browser = signed_in(&app, MEMBER).await;
    let page = browser
        .get(app.url("/admin/workspace-settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let home = app.html(&browser, "/preferences/access-tokens").await;
    assert!(
        !home.contains("/admin/workspace-settings"),
        "no admin menu entry"
    );
}

#[actix_web::test]
async fn turning_tokens_off_for_the_workspace_stops_every_token_at_once() {
    let app = workspace(Generating::AdminsOnly).await;
    let token: Value = create(&app, ADMIN, json!({"lifetimeSeconds": 3600}))
        .await
        .json()
        .await
        .unwrap();
    let value = token["tokenValue"].as_str().unwrap();
    assert_eq!(app.bearer_status(value).await, 200);
    patch_settings(&app, ADMIN, json!({"apiAccessTokensEnabled": false})).await;
    assert_eq!(app.bearer_status(value).await, 401);
    let (status, e) = exception(create(&app, ADMIN, json!({"lifetimeSeconds": 3600})).await).await;
    assert_eq!(status, 403);
    assert_eq!(
        e["message"],
        "API access tokens are turned off in this workspace."
    );
    patch_settings(&app, ADMIN, json!({"apiAccessTokensEnabled": true})).await;
    assert_eq!(app.bearer_status(value).await, 200, "and back on");
}

#[actix_web::test]
async fn a_token_acts_only_in_its_workspace_and_only_for_an_active_member() {
    let app = workspace(Generating::AdminsOnly).await;
    let other = app.add_workspace("research", ADMIN);
    // Basic callers pick the workspace with X-Workspace.
    let in_research: Value = app
        .api_client()
        .post(app.url(TOKENS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .header("X-Workspace", "research")
        .json(&json!({"lifetimeSeconds": 3600, "description": "research"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let in_default: Value = create(
        &app,
        ADMIN,
        json!({"lifetimeSeconds": 3600, "description": "default"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let listed: Value = app
        .api_client()
        .get(app.url(TOKENS))
        .bearer_auth(in_research["tokenValue"].as_str().unwrap())
        .header("X-Workspace", "default")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let descriptions: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        ["research"],
        "the token acts in its own workspace only"
    );

    let (status, e) = exception(
        app.api_client()
            .get(app.url(TOKENS))
            .basic_auth(MEMBER, Some(PASSWORD))
            .header("X-Workspace", "research")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, e["name"].as_str()),
        (403, Some("AccessControlException"))
    );
    assert_eq!(
        e["message"],
        "You are not a member of the workspace research."
    );

    // Removed from research: that token stops; the default one keeps working.
    {
        use access_tokens::db::schema::memberships::dsl::*;
        use diesel::prelude::*;
        let mut conn = app.pool.get().unwrap();
        diesel::delete(memberships.filter(workspace_id.eq(other.to_string())))
            .execute(&mut *conn)
            .unwrap();
    }
    // Changed in the database by hand, not through this instance: within a second.
    assert_eq!(
        app.bearer_status_within_a_second(in_research["tokenValue"].as_str().unwrap(), 401)
            .await,
        401
    );
    let default_value = in_default["tokenValue"].as_str().unwrap();
    assert_eq!(app.bearer_status(default_value).await, 200);

    // Deactivated: every token stops within a second, and the rows stay.
    app.set_active(ADMIN, false);
    assert_eq!(
        app.bearer_status_within_a_second(default_value, 401).await,
        401
    );
    assert_eq!(app.token_count(), 2, "nothing deleted");
}

#[actix_web::test]
async fn with_the_instance_switch_off_token_routes_do_not_exist() {
    let app = spawn_app_with(|s| s.api_access_tokens = false).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);
    for (method, path) in [
        (reqwest::Method::GET, TOKENS.to_owned()),
        (reqwest::Method::POST, TOKENS.to_owned()),
        (
            reqwest::Method::DELETE,
            format!("{TOKENS}/9f1c3c43-8d6a-4f6e-9d2b-3f0a6c1b2e4d"),
        ),
    ] {
        let (status, e) = exception(
            app.api_client()
                .request(method.clone(), app.url(&path))
                .basic_auth(ADMIN, Some(PASSWORD))
                .json(&json!({"lifetimeSeconds": 3600}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 404, "{method} {path}");
        assert_eq!(e["name"], "RouteNotFoundException");
        assert_eq!(e["message"], "Route doesn't exist");
    }
    let browser = app.browser_client();
    let signed_in = app.sign_in(&browser, ADMIN, PASSWORD).await;
    assert_eq!(signed_in.headers()["location"], "/preferences/password");
    let tokens_page = browser
        .get(app.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(tokens_page.status(), 404);
    let page = app.html(&browser, "/preferences/password").await;
    assert!(!page.contains("Access Tokens"), "no menu entry for tokens");
}

#[actix_web::test]
async fn changing_ones_password_ends_other_sessions_and_keeps_tokens_working() {
    let app = workspace(Generating::AdminsOnly).await;
    let token: Value = create(&app, ADMIN, json!({"lifetimeSeconds": 3600}))
        .await
        .json()
        .await
        .unwrap();
    let here = app.browser_client();
    let elsewhere = app.browser_client();
    app.sign_in(&here, ADMIN, PASSWORD).await;
    app.sign_in(&elsewhere, ADMIN, PASSWORD).await;
    let form = app.html(&here, "/preferences/password").await;
    let csrf = csrf_token(&form);
    let new_password = "a brand new passphrase";

    let wrong = here
        .post(app.url("/preferences/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", "not it"),
            ("new_password", new_password),
            ("confirm_password", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("The current password is not correct."));

    let changed = here
        .post(app.url("/preferences/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", new_password),
            ("confirm_password", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    let still_here = here
        .get(app.url("/preferences/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(still_here.status(), 200, "this browser stays signed in");
    assert!(still_here
        .text()
        .await
        .unwrap()
        .contains("Your password has been changed."));
    let gone = elsewhere
        .get(app.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 303, "the other browser is signed out");
    assert_eq!(gone.headers()["location"], "/login");
    assert_eq!(
        app.bearer_status(token["tokenValue"].as_str().unwrap())
            .await,
        200,
        "tokens keep working (the seed: changes to passwords do not affect tokens)"
    );
    assert_eq!(
        app.api_client()
            .get(app.url(TOKENS))
            .basic_auth(ADMIN, Some(new_password))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (actions, text) = audit_trail(&app);
    assert_eq!(actions, ["token.created", "user.password_changed"]);
    assert!(!text.contains(new_password) && !text.contains(PASSWORD));
}

#[actix_web::test]
async fn the_page_says_who_may_generate_and_for_how_long_before_anyone_tries() {
    let app = workspace(Generating::AdminsOnly).await;
    let member = signed_in(&app, MEMBER).await;
    let page = app.html(&member, "/preferences/access-tokens").await;
    assert!(
        !page.contains(r#"id="generate-new-token""#),
        "no Generate button"
    );
    // Whom to ask (the workspace's active admins, by name) and for what.
    let ask = "Only workspace admins may generate access tokens in this workspace. \
               Ask a workspace admin (olga) to turn on \u{201c}Allow users to generate access \
               tokens\u{201d} in Workspace Settings.";
    assert!(page.contains(ask), "{page}");
    app.create_users(&[("anna", Role::Admin), ("zoe", Role::Admin)]);
    app.set_active("zoe", false);
    let oauth = app.html(&member, "/preferences/oauth-tokens").await;
    assert!(
        oauth.contains("Ask a workspace admin (anna or olga) to turn on"),
        "{oauth}"
    );
    let form = member
        .get(app.url("/preferences/access-tokens/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);

    patch_settings(
        &app,
        ADMIN,
        json!({"allowUsersToGenerateAccessTokens": true, "maximumLifetimeDays": 30}),
    )
    .await;
    let page = app.html(&member, "/preferences/access-tokens").await;
    assert!(page.contains(r#"id="generate-new-token""#));
    let form = app.html(&member, "/preferences/access-tokens/new").await;
    assert!(form.contains("In this workspace, tokens can live at most 30 days: -1 is not allowed."));
    assert!(
        form.contains(
            r#"name="lifetime_days" type="text" inputmode="numeric" autocomplete="off" value="30""#
        ),
        "the proposed lifetime fits"
    );
    assert!(!form.contains("Set lifetime to -1 to have the token never expire."));
}

/// Change Password with these three fields, refused (422): the page.
async fn refused_change(
    app: &TestApp,
    browser: &SignedIn,
    current: &str,
    new: &str,
    confirm: &str,
) -> String {
    let response = browser
        .submit(
            app,
            "/preferences/password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    response.text().await.unwrap()
}

#[actix_web::test]
async fn change_password_states_the_rule_and_says_each_refusal_beside_its_field() {
    let app = workspace(Generating::AdminsOnly).await;
    let browser = signed_in(&app, MEMBER).await;
    let page = app.html(&browser, "/preferences/password").await;
    assert_eq!(said_beside(&page, "new_password"), [RULE]);

    let weak = refused_change(&app, &browser, PASSWORD, "password1234", "password1234").await;
    let beside = said_beside(&weak, "new_password");
    assert_eq!(beside.len(), 2, "{beside:?}");
    assert_eq!(beside[0], RULE);
    assert!(
        beside[1].starts_with(RULE),
        "the server's answer: {beside:?}"
    );

    let wrong = refused_change(
        &app,
        &browser,
        "not my password",
        "ivan picks this one",
        "ivan picks this one",
    )
    .await;
    assert_eq!(
        said_beside(&wrong, "current_password"),
        ["The current password is not correct."]
    );
    let mismatch = refused_change(
        &app,
        &browser,
        PASSWORD,
        "ivan picks this one",
        "ivan picks another",
    )
    .await;
    assert_eq!(
        said_beside(&mismatch, "confirm_password"),
        ["The new password and its confirmation do not match."]
    );
    assert_eq!(said_beside(&mismatch, "new_password"), [RULE]);
}
