//! The audit log over real HTTP: refused token uses recorded (never the value) and
//! rate-limited; "Admin > Audit Log", `/v4/auditEvents` and the CSV export, with
//! their filters and paging; members kept out.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use access_tokens::auth::Principal;
use access_tokens::domain::Role;
use access_tokens::models;
use access_tokens::models::audit::{self, Action, Event};
use base64::Engine;
use common::{signed_in, workspace, Generating, TestApp, ADMIN, MEMBER, PASSWORD, TOKENS};
use serde_json::{json, Value};

const EVENTS: &str = "/v4/auditEvents";
const PAGE: &str = "/admin/audit-log";
const CSV: &str = "/admin/audit-log.csv";

/// (action, workspace, target id, detail, address) of every stored event.
type Stored = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn stored_events(app: &TestApp) -> Vec<Stored> {
    use access_tokens::db::schema::audit_events::dsl::*;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    audit_events
        .order(occurred_at.asc())
        .select((action, workspace_id, target_id, detail, address))
        .load(&mut *conn)
        .unwrap()
}

fn refusals(app: &TestApp) -> Vec<Stored> {
    stored_events(app)
        .into_iter()
        .filter(|e| e.0 == "token.refused")
        .collect()
}

/// Refusals are written off the request path: wait until `n` of them are stored.
async fn wait_for_refusals(app: &TestApp, n: usize) -> Vec<Stored> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = refusals(app);
        if found.len() >= n || Instant::now() > deadline {
            return found;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The same token id with another secret.
fn with_wrong_secret(value: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut parsed: Value = serde_json::from_slice(&engine.decode(value).unwrap()).unwrap();
    parsed["secret"] = json!("ab".repeat(32));
    engine.encode(serde_json::to_string(&parsed).unwrap())
}

async fn events_json(app: &TestApp, user: &str, query: &str) -> (u16, Value) {
    let response = app
        .api_client()
        .get(app.url(&format!("{EVENTS}{query}")))
        .basic_auth(user, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn actions(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

/// The `href` of the element `selector` selects.
fn href(html: &str, selector: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("href"))
        .map(str::to_owned)
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

/// The admin's principal in the default workspace, to record events directly.
fn admin_principal(app: &TestApp) -> Principal {
    let mut conn = app.pool.get().unwrap();
    let user = models::user::find_by_username(&mut conn, ADMIN)
        .unwrap()
        .unwrap();
    let ws = models::workspace::ensure_default(&mut conn, access_tokens::domain::Timestamp::now())
        .unwrap();
    Principal {
        user_id: user.id,
        username: user.username,
        workspace_id: ws,
        workspace_name: "default".into(),
        role: Role::Admin,
    }
}

fn record_many(app: &TestApp, n: usize) {
    let who = admin_principal(app);
    let mut conn = app.pool.get().unwrap();
    let from: Option<IpAddr> = Some([192, 0, 2, 7].into());
    for i in 0..n {
        audit::record(
            &mut conn,
            access_tokens::domain::Timestamp::now(),
            Event::by(&who, from, Action::SettingsChanged).detail(format!("change {i}")),
        )
        .unwrap();
    }
}

#[actix_web::test]
async fn refused_tokens_are_recorded_with_the_address_and_never_the_value() {
    let app = workspace(Generating::AdminsOnly).await;
    let good = app.token_value(ADMIN, PASSWORD).await;
    let wrong = with_wrong_secret(&good);
    let garbage = "not-a-token-value-at-all";

    assert_eq!(app.bearer_status(garbage).await, 401);
    assert_eq!(app.bearer_status(&wrong).await, 401);
    assert_eq!(app.bearer_status(&good).await, 200);

    let mut refused = wait_for_refusals(&app, 2).await;
    assert_eq!(refused.len(), 2, "{refused:?}");
    // Written off the request path: the two may land in either order.
    refused.sort_by_key(|r| r.3.as_deref() != Some("malformed token"));
    let (_, ws, target, detail, address) = &refused[0];
    assert_eq!(ws, &None, "garbage belongs to no workspace");
    assert_eq!(target, &None);
    assert_eq!(detail.as_deref(), Some("malformed token"));
    assert_eq!(address.as_deref(), Some("127.0.0.1"));
    let (_, ws, target, detail, address) = &refused[1];
    assert!(ws.is_some(), "a known token's workspace is recorded");
    let id = {
        let engine = base64::engine::general_purpose::STANDARD;
        let parsed: Value = serde_json::from_slice(&engine.decode(&good).unwrap()).unwrap();
        parsed["tokenId"].as_str().unwrap().to_owned()
    };
    assert_eq!(target.as_deref(), Some(id.as_str()));
    assert_eq!(detail.as_deref(), Some("wrong secret"));
    assert_eq!(address.as_deref(), Some("127.0.0.1"));

    let everything = format!("{:?}", stored_events(&app));
    for secret in [garbage, wrong.as_str(), good.as_str(), &"ab".repeat(32)] {
        assert!(!everything.contains(secret), "no token value in the log");
    }
}

#[actix_web::test]
async fn an_expired_token_and_an_unknown_one_say_so() {
    let app = workspace(Generating::AdminsOnly).await;
    let expired = app.token_value(ADMIN, PASSWORD).await;
    app.execute_sql("UPDATE api_tokens SET expires_at = 1");
    let unknown = {
        let engine = base64::engine::general_purpose::STANDARD;
        let body = json!({"tokenId": uuid::Uuid::new_v4().to_string(), "secret": "cd".repeat(32)});
        engine.encode(body.to_string())
    };

    assert_eq!(app.bearer_status(&expired).await, 401);
    assert_eq!(app.bearer_status(&unknown).await, 401);

    let refused = wait_for_refusals(&app, 2).await;
    let details: Vec<_> = refused.iter().map(|r| r.3.clone().unwrap()).collect();
    assert!(details.contains(&"expired".to_owned()), "{details:?}");
    assert!(details.contains(&"unknown token".to_owned()), "{details:?}");
    let unknown_row = refused
        .iter()
        .find(|r| r.3.as_deref() == Some("unknown token"))
        .unwrap();
    assert_eq!(unknown_row.1, None, "an unknown token has no workspace");
}

#[actix_web::test]
async fn a_flood_of_refusals_is_answered_fast_and_recorded_only_a_few_times() {
    let app = workspace(Generating::AdminsOnly).await;
    let client = app.api_client();

    let started = Instant::now();
    let mut refused = 0;
    for _ in 0..200 {
        let status = client
            .get(app.url(TOKENS))
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap()
            .status();
        // After a burst of refusals the address is held back (429); either way,
        // fast.
        assert!(status == 401 || status == 429, "{status}");
        refused += usize::from(status == 401);
    }
    assert!(refused > 50, "the burst is answered 401 first: {refused}");
    let took = started.elapsed();

    assert!(took < Duration::from_secs(20), "200 refusals took {took:?}");
    // Let any write still in flight land.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let refused = wait_for_refusals(&app, 1).await;
    assert!(
        (1..=3).contains(&refused.len()),
        "{} events for 200 refusals",
        refused.len()
    );
}

#[actix_web::test]
async fn creations_deletions_and_settings_changes_show_on_the_page_the_json_and_the_csv() {
    let app = workspace(Generating::AdminsOnly).await;
    let created = app
        .create_token(ADMIN, PASSWORD, json!({"lifetimeSeconds": 3600}))
        .await;
    let id = created["tokenInfo"]["tokenId"].as_str().unwrap().to_owned();
    let deleted = app
        .api_client()
        .delete(app.url(&format!("{TOKENS}/{id}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let patched = app
        .api_client()
        .patch(app.url("/v4/workspaceSettings"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"maximumLifetimeDays": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    // JSON: newest first, with who, what, when and from where.
    let (status, body) = events_json(&app, ADMIN, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 3);
    assert_eq!(
        actions(&body),
        [
            "workspace.settings_changed",
            "token.deleted",
            "token.created"
        ]
    );
    let deletion = &body["data"][1];
    assert_eq!(deletion["actor"]["username"], ADMIN);
    assert_eq!(deletion["targetId"], id.as_str());
    assert_eq!(deletion["address"], "127.0.0.1");
    assert!(deletion["occurredAt"].as_str().unwrap().ends_with('Z'));
    assert!(deletion["workspaceId"].is_string());
    let (_, only_deleted) = events_json(&app, ADMIN, "?action=token.deleted").await;
    assert_eq!(only_deleted["count"], 1);
    let (_, by_target) = events_json(&app, ADMIN, &format!("?target={id}")).await;
    assert_eq!(
        actions(&by_target),
        ["token.deleted", "token.created"],
        "filtered by target"
    );
    let (_, by_nobody) = events_json(&app, ADMIN, "?actor=mike").await;
    assert_eq!(by_nobody["count"], 0);
    let (_, future) = events_json(&app, ADMIN, "?from=2999-01-01T00:00:00Z").await;
    assert_eq!(future["count"], 0);
    let (_, past) = events_json(
        &app,
        ADMIN,
        "?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(past["count"], 3);

    // The page.
    let browser = signed_in(&app, ADMIN).await;
    let page = get(&browser, &app, PAGE).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Audit Log</h1>"));
    for label in ["Token created", "Token deleted", "Settings changed"] {
        assert!(html.contains(label), "{label}");
    }
    assert!(html.contains("Showing 1–3 of 3"));
    assert!(html.contains(r#"href="/admin/audit-log">Admin &gt; Audit Log</a>"#));
    let filtered = get(
        &browser,
        &app,
        &format!("{PAGE}?action=token.created&user={ADMIN}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(filtered.contains("Showing 1–1 of 1"));
    assert_eq!(
        href(&filtered, "#export-csv").as_deref(),
        Some("/admin/audit-log.csv?action=token.created&user=olga"),
        "the export keeps the filters"
    );

    // The CSV, with the same filters.
    let csv = get(&browser, &app, &format!("{CSV}?action=token.created")).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        csv.headers()["content-disposition"].to_str().unwrap(),
        r#"attachment; filename="audit-log.csv""#
    );
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[1], "occurred_at");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][3], ADMIN);
    assert_eq!(&rows[0][4], "token.created");
    assert_eq!(&rows[0][5], id.as_str());
}

#[actix_web::test]
async fn the_page_and_the_json_are_paged() {
    let app = workspace(Generating::AdminsOnly).await;
    record_many(&app, 120);

    let (_, last) = events_json(&app, ADMIN, "?limit=50&offset=100").await;
    assert_eq!(last["count"], 120);
    assert_eq!(last["data"].as_array().unwrap().len(), 20);
    let (_, first) = events_json(&app, ADMIN, "").await;
    assert_eq!(first["data"].as_array().unwrap().len(), 50, "50 by default");
    assert_eq!(first["data"][0]["address"], "192.0.2.7");

    let browser = signed_in(&app, ADMIN).await;
    let one = get(&browser, &app, PAGE).await.text().await.unwrap();
    assert!(one.contains("Showing 1–50 of 120"));
    assert!(one.contains(r#"href="/admin/audit-log?page=2""#));
    assert!(!one.contains(r#"id="prev-page""#));
    let three = get(&browser, &app, &format!("{PAGE}?page=3"))
        .await
        .text()
        .await
        .unwrap();
    assert!(three.contains("Showing 101–120 of 120"));
    assert!(three.contains(r#"href="/admin/audit-log?page=2""#));
    assert!(!three.contains(r#"id="next-page""#));
    let doc = scraper::Html::parse_document(&three);
    let rows = scraper::Selector::parse("#audit-table tbody tr").unwrap();
    assert_eq!(doc.select(&rows).count(), 20);

    let csv = get(&browser, &app, CSV).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 121, "every event, and the header");
}

#[actix_web::test]
async fn bad_filters_are_a_400_naming_the_field() {
    let app = workspace(Generating::AdminsOnly).await;
    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?offset=-1", "offset"),
        ("?limit=ten", "limit"),
        ("?action=token.stolen", "action"),
        ("?from=yesterday", "from"),
        ("?to=2026-11-23", "to"),
        ("?colour=red", "query"),
        ("?actor=a%00b", "actor"),
        ("?target=a%01b", "target"),
    ] {
        let (status, body) = events_json(&app, ADMIN, query).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["exception"]["name"], "ValidationFailed", "{query}");
        assert_eq!(body["exception"]["details"]["field"], field, "{query}");
    }
    let browser = signed_in(&app, ADMIN).await;
    let page = get(&browser, &app, &format!("{PAGE}?from=not-a-date")).await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains(r#"id="filter-error""#));
}

#[actix_web::test]
async fn members_never_see_the_audit_log() {
    let app = workspace(Generating::AdminsOnly).await;
    let (status, body) = events_json(&app, MEMBER, "").await;
    assert_eq!(status, 403);
    assert_eq!(body["exception"]["name"], "AccessControlException");
    let (status, _) = events_json(&app, MEMBER, "?limit=zero").await;
    assert_eq!(status, 403, "the role is judged before the query");

    let browser = signed_in(&app, MEMBER).await;
    for path in [PAGE, CSV] {
        let response = get(&browser, &app, path).await;
        assert_eq!(response.status(), 403, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Only workspace admins can see the Audit Log."));
    }
    let home = get(&browser, &app, "/preferences/password")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !home.contains("Admin &gt; Audit Log"),
        "no menu entry for members"
    );
    let anonymous = get(&app.browser_client(), &app, PAGE).await;
    assert_eq!(anonymous.status(), 303, "sign in first");
}

#[actix_web::test]
async fn the_csv_quotes_cells_and_defuses_spreadsheet_formulas() {
    let app = workspace(Generating::AdminsOnly).await;
    let who = admin_principal(&app);
    {
        let mut conn = app.pool.get().unwrap();
        audit::record(
            &mut conn,
            access_tokens::domain::Timestamp::now(),
            Event::by(&who, None, Action::RoleChanged)
                .target_user(who.user_id, "@evil")
                .detail(r#"=HYPERLINK("http://x.example","click"), then "more""#),
        )
        .unwrap();
    }

    let browser = signed_in(&app, ADMIN).await;
    let text = get(&browser, &app, CSV).await.text().await.unwrap();

    assert!(text.contains(r#""'=HYPERLINK(""http://x.example"",""click""), then ""more""""#));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[6], "'@evil");
    assert_eq!(
        &row[7],
        r#"'=HYPERLINK("http://x.example","click"), then "more""#
    );
}

/// Events of no workspace belong to the instance: the admins of `default` no longer
/// see them in its log (issue 11); instance admins do, in the instance's view.
#[actix_web::test]
async fn refusals_of_no_workspace_are_shown_to_instance_admins_only() {
    let app = workspace(Generating::AdminsOnly).await;
    app.add_workspace("research", ADMIN);
    assert_eq!(app.bearer_status("garbage").await, 401);
    wait_for_refusals(&app, 1).await;

    let (_, in_default) = events_json(&app, ADMIN, "?action=token.refused").await;
    assert_eq!(in_default["count"], 0, "{in_default}");
    let in_research: Value = app
        .api_client()
        .get(app.url(EVENTS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .header("X-Workspace", "research")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(in_research["count"], 0);
    let instance = |app: &TestApp| {
        app.api_client()
            .get(app.url("/v4/instanceAuditEvents?action=token.refused"))
            .basic_auth(ADMIN, Some(PASSWORD))
            .send()
    };
    assert_eq!(instance(&app).await.unwrap().status(), 403);

    app.set_instance_admin(ADMIN, true);
    let response = instance(&app).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(body["data"][0]["workspaceId"], Value::Null);
    assert_eq!(body["data"][0]["actor"], Value::Null);
    assert_eq!(body["data"][0]["detail"], "malformed token");
    let (_, in_default) = events_json(&app, ADMIN, "?action=token.refused").await;
    assert_eq!(in_default["count"], 0, "still not in a workspace's log");
}

#[actix_web::test]
async fn the_open_api_spec_describes_the_audit_events_route() {
    let app = workspace(Generating::AdminsOnly).await;
    let spec: Value = app.get_as(ADMIN, "/v4/open-api-spec").await.1;
    let operation = &spec["paths"][EVENTS]["get"];
    assert_eq!(operation["tags"][0], "auditEvents");
    for status in ["200", "400", "401", "403", "503"] {
        assert!(operation["responses"][status].is_object(), "{status}");
    }
    let params: Vec<&str> = operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in ["action", "actor", "target", "from", "to", "limit", "offset"] {
        assert!(params.contains(&name), "{name}");
    }
}

#[actix_web::test]
async fn a_tokens_lifetime_reads_in_days_on_the_page_and_in_the_csv() {
    let app = workspace(Generating::AdminsOnly).await;
    for lifetime in [90 * 86_400, -1] {
        app.create_token(ADMIN, PASSWORD, json!({"lifetimeSeconds": lifetime}))
            .await;
    }
    // An event an earlier version recorded, in seconds.
    {
        let who = admin_principal(&app);
        let mut conn = app.pool.get().unwrap();
        audit::record(
            &mut conn,
            access_tokens::domain::Timestamp::now(),
            Event::by(&who, None, Action::TokenCreated).detail("lifetime 2592000 seconds"),
        )
        .unwrap();
    }

    let browser = signed_in(&app, ADMIN).await;
    let html = get(&browser, &app, PAGE).await.text().await.unwrap();
    let csv = get(&browser, &app, CSV).await.text().await.unwrap();
    for shown in [&html, &csv] {
        for said in [
            "lifetime 90 days; scopes api",
            "never expires; scopes api",
            "lifetime 30 days",
        ] {
            assert!(shown.contains(said), "{said} in {shown}");
        }
        assert!(!shown.contains(" seconds"), "{shown}");
    }
    // The JSON keeps what was stored: since scopes, with the token's scopes.
    let (_, body) = events_json(&app, ADMIN, "?action=token.created").await;
    let mut details: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    details.sort_unstable();
    assert_eq!(
        details,
        [
            "lifetime 2592000 seconds",
            "lifetime 90 days; scopes api",
            "never expires; scopes api"
        ]
    );
}
