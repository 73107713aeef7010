//! Who may use which admin route, page and API alike (issue 11): every workspace
//! admin route refuses anyone who is not an admin of the workspace they act in,
//! with the same message on the page and the API, whatever else they are; every
//! instance route refuses anyone who is not an active instance admin, whatever
//! their workspace role.

mod common;

use access_tokens::domain::Role;
use common::{app_with, TestApp, PASSWORD};
use serde_json::Value;

/// Instance admin, and only a member of `default`.
const IRIS: &str = "iris";
/// Admin of `default`, not an instance admin.
const OLGA: &str = "olga";
/// Member of `default`.
const MIKE: &str = "mike";
/// Admin of `wsb` only.
const BOB: &str = "bob";

const TOKENS: &str = "Only workspace admins can manage the access tokens of other users.";
const SETTINGS: &str = "Only workspace admins can see or change the Workspace Settings.";
const AUDIT: &str = "Only workspace admins can see the Audit Log.";
const INSTANCE: &str = "Only instance admins can manage accounts and see the instance's events.";

async fn instance() -> TestApp {
    let app = app_with(&[
        (IRIS, Role::Member),
        (OLGA, Role::Admin),
        (MIKE, Role::Member),
    ])
    .await;
    app.set_instance_admin(IRIS, true);
    let wsb = app.create_workspace("wsb");
    app.create_user_in(BOB, wsb, Role::Admin);
    // Iris is also a member of wsb: an instance admin is no workspace admin there.
    app.add_member(wsb, IRIS, Role::Member);
    app
}

/// The workspace admin routes of the API, with what a refusal says.
fn workspace_api_routes() -> Vec<(reqwest::Method, String, &'static str)> {
    let id = uuid::Uuid::new_v4();
    use reqwest::Method as M;
    vec![
        (M::GET, "/v4/workspaceAccessTokens".into(), TOKENS),
        (M::DELETE, format!("/v4/workspaceAccessTokens/{id}"), TOKENS),
        (M::POST, "/v4/workspaceAccessTokens/delete".into(), TOKENS),
        (M::GET, "/v4/workspaceOAuthTokens".into(), TOKENS),
        (
            M::POST,
            format!("/v4/workspaceOAuthTokens/{id}/disable"),
            TOKENS,
        ),
        (M::DELETE, format!("/v4/workspaceOAuthTokens/{id}"), TOKENS),
        (M::POST, "/v4/workspaceOAuthTokens/disable".into(), TOKENS),
        (M::POST, "/v4/workspaceOAuthTokens/delete".into(), TOKENS),
        (M::GET, "/v4/workspaceSettings".into(), SETTINGS),
        (M::PATCH, "/v4/workspaceSettings".into(), SETTINGS),
        (
            M::POST,
            "/v4/workspaceSettings/deleteViolatingTokens".into(),
            SETTINGS,
        ),
        (M::GET, "/v4/auditEvents".into(), AUDIT),
    ]
}

/// The workspace admin pages (GET), with what a refusal says.
const WORKSPACE_PAGES: [(&str, &str); 5] = [
    ("/admin/access-tokens", TOKENS),
    ("/admin/oauth-tokens", TOKENS),
    ("/admin/workspace-settings", SETTINGS),
    ("/admin/audit-log", AUDIT),
    ("/admin/audit-log.csv", AUDIT),
];

const INSTANCE_API: [&str; 2] = ["/v4/accounts", "/v4/instanceAuditEvents"];
const INSTANCE_PAGES: [&str; 3] = [
    "/instance/accounts",
    "/instance/audit-log",
    "/instance/audit-log.csv",
];

async fn call(
    app: &TestApp,
    who: &str,
    workspace: Option<&str>,
    method: reqwest::Method,
    path: &str,
) -> (u16, Value) {
    let mut request = app
        .api_client()
        .request(method.clone(), app.url(path))
        .basic_auth(who, Some(PASSWORD));
    if let Some(ws) = workspace {
        request = request.header("X-Workspace", ws);
    }
    if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
        request = request.json(&serde_json::json!({}));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn page(app: &TestApp, who: &str, path: &str) -> (u16, String) {
    let client = app.browser_client();
    assert_eq!(app.sign_in(&client, who, PASSWORD).await.status(), 303);
    let response = client.get(app.url(path)).send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

#[actix_web::test]
async fn only_admins_of_the_workspace_they_act_in_reach_its_admin_routes_with_one_message_each() {
    let app = instance().await;
    // (who, the workspace they act in): none of them is its admin.
    let refused = [(MIKE, None), (IRIS, None), (IRIS, Some("wsb"))];
    for (who, ws) in refused {
        for (method, path, message) in workspace_api_routes() {
            let (status, body) = call(&app, who, ws, method.clone(), &path).await;
            assert_eq!(status, 403, "{who} in {ws:?}: {method} {path}: {body}");
            assert_eq!(body["exception"]["name"], "AccessControlException");
            assert_eq!(body["exception"]["message"], message, "{method} {path}");
        }
    }
    for (path, message) in WORKSPACE_PAGES {
        for who in [MIKE, IRIS] {
            let (status, html) = page(&app, who, path).await;
            assert_eq!(status, 403, "{who}: {path}");
            assert!(html.contains(message), "{who}: {path}: {html}");
        }
    }
    // Their admins are let through (a 2xx, or a 4xx about the request itself).
    for (admin, ws) in [(OLGA, None), (BOB, Some("wsb"))] {
        for (method, path, _) in workspace_api_routes() {
            let (status, body) = call(&app, admin, ws, method.clone(), &path).await;
            assert!(
                status != 403 && status < 500,
                "{admin}: {method} {path}: {status} {body}"
            );
        }
    }
    for (path, _) in WORKSPACE_PAGES {
        let (status, _) = page(&app, OLGA, path).await;
        assert_eq!(status, 200, "olga: {path}");
    }
}

#[actix_web::test]
async fn only_active_instance_admins_reach_the_instance_routes_whatever_their_workspace_role() {
    let app = instance().await;
    for (who, ws) in [(OLGA, None), (MIKE, None), (BOB, Some("wsb"))] {
        for path in INSTANCE_API {
            let (status, body) = call(&app, who, ws, reqwest::Method::GET, path).await;
            assert_eq!(status, 403, "{who}: {path}: {body}");
            assert_eq!(body["exception"]["name"], "AccessControlException");
            assert_eq!(body["exception"]["message"], INSTANCE);
        }
        for path in INSTANCE_PAGES {
            let (status, html) = page(&app, who, path).await;
            assert_eq!(status, 403, "{who}: {path}");
            // The page escapes the apostrophe.
            assert!(
                html.contains("Only instance admins can manage accounts"),
                "{who}: {path}"
            );
        }
    }
    // Iris, only a member wherever she acts, is an instance admin everywhere.
    for ws in [None, Some("wsb")] {
        for path in INSTANCE_API {
            let (status, body) = call(&app, IRIS, ws, reqwest::Method::GET, path).await;
            assert_eq!(status, 200, "{path} in {ws:?}: {body}");
        }
    }
    for path in INSTANCE_PAGES {
        let (status, _) = page(&app, IRIS, path).await;
        assert_eq!(status, 200, "{path}");
    }

    // The role is read on every request: taken away, it is gone at once.
    app.set_instance_admin(OLGA, true);
    app.set_instance_admin(IRIS, false);
    let (status, _) = call(&app, IRIS, None, reqwest::Method::GET, "/v4/accounts").await;
    assert_eq!(status, 403);
    let (status, _) = call(&app, OLGA, None, reqwest::Method::GET, "/v4/accounts").await;
    assert_eq!(status, 200);
}
