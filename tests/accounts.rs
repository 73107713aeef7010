//! Accounts belong to the instance (issue 11): only instance admins may deactivate,
//! reactivate, set another account's password and see every account, on
//! Instance > Accounts and `/v4/accounts` alike; the last active instance admin
//! stays one (page, API, command line); who the instance admins are after an
//! upgrade and on first start; the events of no workspace in the instance's view.

mod common;

use std::process::Output;

use access_tokens::db::Conn;
use access_tokens::domain::password::RULE;
use access_tokens::domain::Role;
use access_tokens::models;
use common::html::said_beside;
use common::process::{command, run_with_stdin, Server};
use common::{
    csrf_token, generate, location, signed_in, spawn_app, Generate, TestApp, TestDatabase, PASSWORD,
};
use serde_json::{json, Value};

/// An instance admin who is also an admin of `default`.
const ROOT: &str = "root";
/// An admin of `default` who is not an instance admin (today's "admin").
const OLGA: &str = "olga";
/// The admin of another workspace, `wsb`.
const BOB: &str = "bob";
/// A member of `default`.
const MIKE: &str = "mike";
/// The account acted on: a member of `default`, with a token.
const CAROL: &str = "carol";

const ACCOUNTS: &str = "/v4/accounts";
const NEW_PASSWORD: &str = "a brand new passphrase for carol";

fn conn(app: &TestApp) -> impl std::ops::DerefMut<Target = Conn> + '_ {
    app.pool.get().unwrap()
}

fn make_instance_admin(app: &TestApp, name: &str) {
    assert!(app.set_instance_admin(name, true));
}

fn is_active(app: &TestApp, name: &str) -> bool {
    models::user::find_by_username(&mut conn(app), name)
        .unwrap()
        .unwrap()
        .is_active()
}

fn is_instance_admin(app: &TestApp, name: &str) -> bool {
    models::user::find_by_username(&mut conn(app), name)
        .unwrap()
        .unwrap()
        .instance_admin
}

/// root (instance admin, admin of default), olga (admin of default), mike and
/// carol (members of default), and bob, admin of the workspace `wsb` only.
async fn instance() -> TestApp {
    let app = spawn_app().await;
    app.create_user(ROOT, PASSWORD, Role::Admin);
    app.create_user(OLGA, PASSWORD, Role::Admin);
    app.create_user(MIKE, PASSWORD, Role::Member);
    app.create_user(CAROL, PASSWORD, Role::Member);
    make_instance_admin(&app, ROOT);
    let wsb = app.create_workspace("wsb");
    app.create_user_in(BOB, wsb, Role::Admin);
    app
}

async fn api(
    app: &TestApp,
    who: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .api_client()
        .request(method, app.url(path))
        .basic_auth(who, Some(PASSWORD));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn patch_account(app: &TestApp, who: &str, target: &str, body: Value) -> (u16, Value) {
    let path = format!("{ACCOUNTS}/{}", app.user_id(target));
    api(app, who, reqwest::Method::PATCH, &path, Some(body)).await
}

async fn sign_in_status(app: &TestApp, user: &str, pass: &str) -> u16 {
    let client = app.browser_client();
    app.sign_in(&client, user, pass).await.status().as_u16()
}

async fn basic_status(app: &TestApp, user: &str, pass: &str) -> u16 {
    app.api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .basic_auth(user, Some(pass))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// POSTs a page form with the page's CSRF token.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = app.html(client, page).await;
    let csrf = csrf_token(&html);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn assert_access_denied(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 403, "{what}: {body}");
    assert_eq!(
        body["exception"]["name"], "AccessControlException",
        "{what}: {body}"
    );
}

// ---------------------------------------------------------------------------
// Only instance admins
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn only_an_instance_admin_may_list_read_deactivate_reactivate_or_set_a_password_through_the_api(
) {
    let app = instance().await;
    let carol = app.user_id(CAROL);
    let one = format!("{ACCOUNTS}/{carol}");
    for who in [OLGA, BOB, MIKE] {
        let (status, body) = api(&app, who, reqwest::Method::GET, ACCOUNTS, None).await;
        assert_access_denied(status, &body, &format!("{who} lists accounts"));
        let (status, body) = api(&app, who, reqwest::Method::GET, &one, None).await;
        assert_access_denied(status, &body, &format!("{who} reads an account"));
        for change in [
            json!({"active": false}),
            json!({"active": true}),
            json!({"password": NEW_PASSWORD}),
            json!({"instanceAdmin": true}),
        ] {
            let (status, body) = patch_account(&app, who, CAROL, change.clone()).await;
            assert_access_denied(status, &body, &format!("{who} PATCHes {change}"));
        }
    }
    assert!(is_active(&app, CAROL));
    assert!(!is_instance_admin(&app, BOB));
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 200);

    let (status, body) = api(&app, ROOT, reqwest::Method::GET, ACCOUNTS, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 5);
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [BOB, CAROL, MIKE, OLGA, ROOT],
        "every account, by name"
    );
    let bob = &body["data"][0];
    assert_eq!(bob["active"], true);
    assert_eq!(bob["instanceAdmin"], false);
    assert_eq!(bob["workspaces"][0]["name"], "wsb");
    assert_eq!(bob["workspaces"][0]["role"], "admin");
    assert!(bob["createdAt"].as_str().unwrap().ends_with('Z'));
    let (status, body) = api(&app, ROOT, reqwest::Method::GET, &one, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["username"], CAROL);
    assert_eq!(
        body["workspaces"],
        json!([{"id": body["workspaces"][0]["id"], "name": "default", "role": "member"}])
    );
}

#[actix_web::test]
async fn only_an_instance_admin_may_open_instance_accounts_or_act_on_the_page() {
    let app = instance().await;
    let carol = app.user_id(CAROL);
    for who in [OLGA, BOB, MIKE] {
        let client = signed_in(&app, who).await;
        let menu = app.html(&client, "/preferences/password").await;
        assert!(
            !menu.contains("/instance/accounts"),
            "{who} sees no Instance menu"
        );
        let page = client
            .get(app.url("/instance/accounts"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 403, "{who} opens Instance > Accounts");
        for (path, fields) in [
            (format!("/instance/accounts/{carol}/deactivate"), vec![]),
            (
                format!("/instance/accounts/{carol}/password"),
                vec![
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
            ),
            (
                format!("/instance/accounts/{carol}/grant-instance-admin"),
                vec![],
            ),
        ] {
            let response = post_form(&app, &client, "/preferences/password", &path, &fields).await;
            assert_eq!(response.status(), 403, "{who} POSTs {path}");
        }
        let audit = client
            .get(app.url("/instance/audit-log"))
            .send()
            .await
            .unwrap();
        assert_eq!(audit.status(), 403, "{who} opens Instance > Audit Log");
    }
    assert!(is_active(&app, CAROL));
    assert!(!is_instance_admin(&app, CAROL));
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 200);
}

// ---------------------------------------------------------------------------
// What deactivation does, and undoes
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_deactivated_account_cannot_sign_in_or_use_any_token_and_a_reactivated_one_can_again() {
    let app = instance().await;
    let token = app.token_value(CAROL, PASSWORD).await;
    let access = generate(&app, Generate::oauth(CAROL).name("nightly"))
        .await
        .value;
    let carols_browser = signed_in(&app, CAROL).await;
    assert_eq!(app.bearer_status(&token).await, 200);
    assert_eq!(app.bearer_status(&access).await, 200);

    let (status, body) = patch_account(&app, ROOT, CAROL, json!({"active": false})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(
        app.bearer_status(&token).await,
        401,
        "the token stops at once"
    );
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 401);
    assert_eq!(sign_in_status(&app, CAROL, PASSWORD).await, 401);
    let page = carols_browser
        .get(app.url("/preferences/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "the open session ends");
    assert_eq!(location(&page), "/login");

    let (status, body) = patch_account(&app, ROOT, CAROL, json!({"active": true})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    assert_eq!(
        app.bearer_status(&token).await,
        200,
        "the token works again"
    );
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 200);
    assert_eq!(sign_in_status(&app, CAROL, PASSWORD).await, 303);
}

#[actix_web::test]
async fn an_instance_admin_deactivates_and_reactivates_on_the_page_asked_first_without_javascript()
{
    let app = instance().await;
    let carol = app.user_id(CAROL);
    let root = signed_in(&app, ROOT).await;
    let menu = app.html(&root, "/preferences/password").await;
    assert!(menu.contains(r#"href="/instance/accounts""#));
    assert!(menu.contains(r#"href="/instance/audit-log""#));

    let list = app.html(&root, "/instance/accounts").await;
    let doc = scraper::Html::parse_document(&list);
    let row = scraper::Selector::parse(&format!(r#"tr[data-username="{CAROL}"]"#)).unwrap();
    let row = doc.select(&row).next().expect("carol's row");
    let text = row.text().collect::<String>();
    assert!(
        text.contains("Active") && text.contains("default (member)"),
        "{text}"
    );
    let ask = format!("/instance/accounts/{carol}/deactivate");
    assert!(row.html().contains(&ask), "a link to ask first");

    // Asking changes nothing.
    let confirm = app.html(&root, &ask).await;
    assert!(confirm.contains(CAROL) && confirm.contains("stops working at once"));
    assert!(is_active(&app, CAROL));
    let done = post_form(&app, &root, &ask, &ask, &[]).await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/instance/accounts");
    assert!(!is_active(&app, CAROL));
    let list = app.html(&root, "/instance/accounts").await;
    assert!(list.contains("carol has been deactivated."), "the flash");
    assert_eq!(sign_in_status(&app, CAROL, PASSWORD).await, 401);

    let again = format!("/instance/accounts/{carol}/reactivate");
    let done = post_form(&app, &root, &again, &again, &[]).await;
    assert_eq!(done.status(), 303);
    assert!(is_active(&app, CAROL));
    assert_eq!(sign_in_status(&app, CAROL, PASSWORD).await, 303);

    // Without the form's CSRF token nothing happens.
    let forged = root
        .post(app.url(&ask))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(is_active(&app, CAROL));
}

#[actix_web::test]
async fn an_instance_admin_sets_another_accounts_password_on_the_page_and_the_api() {
    let app = instance().await;
    let carol = app.user_id(CAROL);
    let carols_browser = signed_in(&app, CAROL).await;
    let root = signed_in(&app, ROOT).await;
    let form = format!("/instance/accounts/{carol}/password");

    let mismatch = post_form(
        &app,
        &root,
        &form,
        &form,
        &[
            ("new_password", NEW_PASSWORD),
            ("confirm_password", "other"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), 422);
    let mismatch = mismatch.text().await.unwrap();
    assert_eq!(said_beside(&mismatch, "new_password"), [RULE]);
    assert_eq!(
        said_beside(&mismatch, "confirm_password"),
        ["The new password and its confirmation do not match."]
    );
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 200);

    let done = post_form(
        &app,
        &root,
        &form,
        &form,
        &[
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 401);
    // Someone else chose it: it opens only Change Password until carol picks her own.
    assert_eq!(basic_status(&app, CAROL, NEW_PASSWORD).await, 403);
    let page = carols_browser
        .get(app.url("/preferences/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "her sessions end");

    let (status, body) = patch_account(&app, ROOT, CAROL, json!({"password": PASSWORD})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 403);
    for weak in ["", "abc", "carolcarol123"] {
        let (status, body) = patch_account(&app, ROOT, CAROL, json!({"password": weak})).await;
        assert_eq!(status, 400, "{weak:?}: {body}");
        assert_eq!(body["exception"]["details"]["field"], "password");
    }
    assert_eq!(basic_status(&app, CAROL, PASSWORD).await, 403, "unchanged");
    let (status, body) = patch_account(&app, ROOT, CAROL, json!({})).await;
    assert_eq!(status, 400, "{body}");
}

#[actix_web::test]
async fn unknown_and_malformed_account_ids_are_404_and_400() {
    let app = instance().await;
    let unknown = format!("{ACCOUNTS}/{}", uuid::Uuid::new_v4());
    let (status, body) = api(&app, ROOT, reqwest::Method::GET, &unknown, None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["exception"]["name"], "ObjectNotFoundException");
    let (status, body) = api(
        &app,
        ROOT,
        reqwest::Method::PATCH,
        &unknown,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = api(&app, ROOT, reqwest::Method::GET, "/v4/accounts/nope", None).await;
    assert_eq!(status, 400, "{body}");
    let root = signed_in(&app, ROOT).await;
    let page = root
        .get(app.url(&format!(
            "/instance/accounts/{}/deactivate",
            uuid::Uuid::new_v4()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
}

// ---------------------------------------------------------------------------
// The last active instance admin
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_last_active_instance_admin_cannot_be_deactivated_or_demoted_through_the_api() {
    let app = instance().await;
    for change in [
        json!({"active": false}),
        json!({"instanceAdmin": false}),
        json!({"active": false, "instanceAdmin": false}),
    ] {
        let (status, body) = patch_account(&app, ROOT, ROOT, change.clone()).await;
        assert_eq!(status, 409, "{change}: {body}");
        assert_eq!(body["exception"]["name"], "ConflictException");
        assert!(body["exception"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one active instance admin"));
    }
    assert!(is_active(&app, ROOT) && is_instance_admin(&app, ROOT));

    // With a second one, either may step down, but not both.
    let (status, body) = patch_account(&app, ROOT, OLGA, json!({"instanceAdmin": true})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["instanceAdmin"], true);
    let (status, body) = patch_account(&app, OLGA, ROOT, json!({"instanceAdmin": false})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = patch_account(&app, OLGA, OLGA, json!({"instanceAdmin": false})).await;
    assert_eq!(status, 409, "{body}");
    // A deactivated instance admin does not count.
    let (status, _) = patch_account(&app, OLGA, ROOT, json!({"instanceAdmin": true})).await;
    assert_eq!(status, 200);
    let (status, _) = patch_account(&app, OLGA, ROOT, json!({"active": false})).await;
    assert_eq!(status, 200);
    let (status, body) = patch_account(&app, OLGA, OLGA, json!({"instanceAdmin": false})).await;
    assert_eq!(
        status, 409,
        "root is deactivated, so olga is the last: {body}"
    );
    assert!(is_instance_admin(&app, OLGA));
}

#[actix_web::test]
async fn two_instance_admins_demoting_each_other_at_once_leave_one() {
    let app = instance().await;
    make_instance_admin(&app, OLGA);
    for round in 0..5 {
        let (a, b) = futures_util::future::join(
            patch_account(&app, ROOT, OLGA, json!({"instanceAdmin": false})),
            patch_account(&app, OLGA, ROOT, json!({"instanceAdmin": false})),
        )
        .await;
        let ok = [a.0, b.0].iter().filter(|s| **s == 200).count();
        assert_eq!(ok, 1, "round {round}: {a:?} {b:?}");
        assert!(
            is_instance_admin(&app, ROOT) != is_instance_admin(&app, OLGA),
            "exactly one is left"
        );
        // Both again for the next round.
        make_instance_admin(&app, ROOT);
        make_instance_admin(&app, OLGA);
    }
}

#[actix_web::test]
async fn the_last_active_instance_admin_cannot_be_demoted_on_the_page() {
    let app = instance().await;
    let root_id = app.user_id(ROOT);
    let root = signed_in(&app, ROOT).await;
    let revoke = format!("/instance/accounts/{root_id}/revoke-instance-admin");
    let done = post_form(&app, &root, &revoke, &revoke, &[]).await;
    assert_eq!(done.status(), 303);
    assert!(is_instance_admin(&app, ROOT));
    let list = app.html(&root, "/instance/accounts").await;
    assert!(
        list.contains("at least one active instance admin"),
        "the flash says why"
    );
    let deactivate = format!("/instance/accounts/{root_id}/deactivate");
    let done = post_form(&app, &root, &deactivate, &deactivate, &[]).await;
    assert_eq!(done.status(), 303);
    assert!(is_active(&app, ROOT));
}

fn cli(dir: &std::path::Path, db: &TestDatabase, args: &[&str], input: &str) -> Output {
    let mut cmd = command(dir);
    cmd.args(args).arg("--database").arg(db.arg());
    run_with_stdin(cmd, input)
}

fn stored(db: &TestDatabase, name: &str) -> models::user::User {
    let pool = db.open();
    let mut conn = pool.get().unwrap();
    models::user::find_by_username(&mut conn, name)
        .unwrap()
        .unwrap()
}

#[test]
fn the_command_line_grants_and_takes_the_role_but_never_from_the_last_active_instance_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::fresh();
    let pass = format!("{PASSWORD}\n");
    let added = cli(
        dir.path(),
        &db,
        &["user", "add", ROOT, "--instance-admin", "--password-stdin"],
        &pass,
    );
    assert!(added.status.success(), "{added:?}");
    assert!(String::from_utf8_lossy(&added.stdout).contains("instance admin"));
    assert!(stored(&db, ROOT).instance_admin);
    let added = cli(
        dir.path(),
        &db,
        &["user", "add", OLGA, "--admin", "--password-stdin"],
        &pass,
    );
    assert!(added.status.success(), "{added:?}");
    assert!(
        !stored(&db, OLGA).instance_admin,
        "--admin is of default only"
    );

    let refused = cli(
        dir.path(),
        &db,
        &["user", "instance-admin", ROOT, "--revoke"],
        "",
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("at least one active instance admin"));
    assert!(stored(&db, ROOT).instance_admin);

    let granted = cli(
        dir.path(),
        &db,
        &["user", "instance-admin", OLGA, "--grant"],
        "",
    );
    assert!(granted.status.success(), "{granted:?}");
    assert!(stored(&db, OLGA).instance_admin);
    let revoked = cli(
        dir.path(),
        &db,
        &["user", "instance-admin", ROOT, "--revoke"],
        "",
    );
    assert!(revoked.status.success(), "{revoked:?}");
    assert!(!stored(&db, ROOT).instance_admin);

    let neither = cli(dir.path(), &db, &["user", "instance-admin", OLGA], "");
    assert!(!neither.status.success(), "--grant or --revoke is required");
    let unknown = cli(
        dir.path(),
        &db,
        &["user", "instance-admin", "nobody", "--grant"],
        "",
    );
    assert!(!unknown.status.success());
}

// ---------------------------------------------------------------------------
// Who the instance admins are: first start, upgrade
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_account_created_on_the_first_serve_is_an_instance_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::fresh();
    let server = Server::start(dir.path(), &db).await;
    let password = server
        .stdout_line("Created user admin with password ")
        .await;
    let response = reqwest::Client::new()
        .get(format!("{}{ACCOUNTS}", server.address))
        .basic_auth("admin", Some(&password))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"][0]["username"], "admin");
    assert_eq!(body["data"][0]["instanceAdmin"], true);
    server.stop();
}

/// The migration runs on a database of the previous schema: reverted back to just
/// before it, with accounts in it, then migrated again.
#[actix_web::test]
async fn the_upgrade_makes_the_admins_of_default_and_no_one_else_instance_admins() {
    use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
    const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
    const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
    // Diesel's version of the folder `2026-12-06-000001_instance_admins`.
    const MINE: &str = "20261206000001";

    let app = instance().await;
    {
        let mut c = conn(&app);
        // Undo the later migrations, then this one (which drops the column).
        loop {
            let reverted = match &mut *c {
                Conn::Sqlite(c) => c.revert_last_migration(SQLITE).unwrap().to_string(),
                Conn::Postgres(c) => c.revert_last_migration(POSTGRES).unwrap().to_string(),
            };
            if reverted.replace('-', "").starts_with(MINE) {
                break;
            }
        }
        match &mut *c {
            Conn::Sqlite(c) => {
                c.run_pending_migrations(SQLITE).unwrap();
            }
            Conn::Postgres(c) => {
                c.run_pending_migrations(POSTGRES).unwrap();
            }
        }
    }
    assert!(is_instance_admin(&app, ROOT), "an admin of default");
    assert!(is_instance_admin(&app, OLGA), "an admin of default");
    assert!(!is_instance_admin(&app, MIKE), "a member of default");
    assert!(
        !is_instance_admin(&app, BOB),
        "an admin of another workspace"
    );
    let (status, _) = api(&app, OLGA, reqwest::Method::GET, ACCOUNTS, None).await;
    assert_eq!(status, 200);
}

// ---------------------------------------------------------------------------
// The instance's events
// ---------------------------------------------------------------------------

async fn instance_events(app: &TestApp, who: &str, query: &str) -> (u16, Value) {
    let path = format!("/v4/instanceAuditEvents{query}");
    api(app, who, reqwest::Method::GET, &path, None).await
}

#[actix_web::test]
async fn account_events_show_in_the_instance_view_and_not_to_the_admins_of_default() {
    let app = instance().await;
    patch_account(&app, ROOT, CAROL, json!({"active": false})).await;
    patch_account(&app, ROOT, CAROL, json!({"active": true})).await;
    patch_account(&app, ROOT, CAROL, json!({"password": NEW_PASSWORD})).await;
    patch_account(&app, ROOT, OLGA, json!({"instanceAdmin": true})).await;
    patch_account(&app, ROOT, OLGA, json!({"instanceAdmin": false})).await;

    let (status, body) = instance_events(&app, ROOT, "").await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.instance_admin_revoked",
            "user.instance_admin_granted",
            "user.password_changed",
            "user.reactivated",
            "user.deactivated",
        ]
    );
    for event in body["data"].as_array().unwrap() {
        assert_eq!(event["workspaceId"], Value::Null, "{event}");
        assert_eq!(event["actor"]["username"], ROOT);
    }
    assert_eq!(body["data"][4]["targetName"], CAROL);

    // Not in any workspace's log, whoever looks.
    for who in [ROOT, OLGA] {
        let (status, body) = api(&app, who, reqwest::Method::GET, "/v4/auditEvents", None).await;
        assert_eq!(status, 200);
        assert!(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| !e["action"].as_str().unwrap().starts_with("user.")),
            "{who}: {body}"
        );
    }
    for who in [OLGA, BOB, MIKE] {
        let (status, body) = instance_events(&app, who, "").await;
        assert_access_denied(status, &body, who);
    }

    // The page and its CSV.
    let root = signed_in(&app, ROOT).await;
    let page = app.html(&root, "/instance/audit-log").await;
    assert!(page.contains(r#"data-action="user.deactivated""#) && page.contains(CAROL));
    let olga = signed_in(&app, OLGA).await;
    let theirs = app.html(&olga, "/admin/audit-log").await;
    assert!(
        theirs.contains("audit-filters"),
        "olga sees her workspace's log"
    );
    assert!(
        !theirs.contains(r#"data-action="user."#),
        "but no account event"
    );
    let csv = root
        .get(app.url("/instance/audit-log.csv?action=user.deactivated"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("user.deactivated"));
}

#[actix_web::test]
async fn refusals_of_unknown_tokens_show_in_the_instance_view_only() {
    let app = instance().await;
    assert_eq!(app.bearer_status("garbage").await, 401);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let body = loop {
        let (_, body) = instance_events(&app, ROOT, "?action=token.refused").await;
        if body["count"] == 1 || std::time::Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(body["count"], 1, "{body}");
    assert_eq!(body["data"][0]["detail"], "malformed token");
    let (_, theirs) = api(
        &app,
        OLGA,
        reqwest::Method::GET,
        "/v4/auditEvents?action=token.refused",
        None,
    )
    .await;
    assert_eq!(theirs["count"], 0, "default's admins no longer see it");
}

#[actix_web::test]
async fn the_open_api_document_describes_the_accounts_routes() {
    let app = instance().await;
    let (status, spec) = api(&app, MIKE, reqwest::Method::GET, "/v4/open-api-spec", None).await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/v4/accounts", "get"),
        ("/v4/accounts/{userId}", "get"),
        ("/v4/accounts/{userId}", "patch"),
        ("/v4/instanceAuditEvents", "get"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path}");
    }
    assert!(
        spec["components"]["schemas"]["UpdateAccountRequest"]["properties"]["instanceAdmin"]
            .is_object()
    );
}

// ---------------------------------------------------------------------------
// Invitations: instance admins may withdraw any
// ---------------------------------------------------------------------------

async fn invite(app: &TestApp, by: &str, body: Value) -> Value {
    let response = app
        .api_client()
        .post(app.url("/v4/workspaceMembers"))
        .basic_auth(by, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{by} invites {body}");
    response.json().await.unwrap()
}

#[actix_web::test]
async fn an_instance_admin_withdraws_an_invitation_of_any_workspace_and_no_one_else_may() {
    let app = instance().await;
    let added = invite(&app, BOB, json!({"username": "newhire"})).await;
    let link = added["inviteUrl"].as_str().unwrap().to_owned();
    invite(&app, BOB, json!({"username": CAROL, "invite": true})).await;
    let wsb = {
        let mut c = conn(&app);
        models::workspace::find_by_name(&mut c, "wsb")
            .unwrap()
            .unwrap()
    };
    let newhire = app.user_id("newhire");

    let (status, body) = api(&app, ROOT, reqwest::Method::GET, ACCOUNTS, None).await;
    assert_eq!(status, 200);
    let account = |name: &str| {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["username"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(account("newhire")["passwordSet"], false);
    assert_eq!(account("newhire")["workspaces"], json!([]));
    assert_eq!(account("newhire")["invitations"][0]["workspaceName"], "wsb");
    assert_eq!(account(CAROL)["invitations"][0]["workspaceName"], "wsb");
    assert_eq!(account(CAROL)["workspaces"][0]["name"], "default");

    // A reserved name is not an account yet: no one may set its password, make it
    // an instance admin or deactivate it (that would take the name from the invitee).
    for change in [
        json!({"password": "violet anchor mosaic drift 42"}),
        json!({"instanceAdmin": true}),
        json!({"active": false}),
    ] {
        let (status, body) = patch_account(&app, ROOT, "newhire", change.clone()).await;
        assert_eq!(status, 409, "{change}: {body}");
        assert_eq!(body["exception"]["name"], "ConflictException");
    }
    let reserved = models::user::find_by_username(&mut conn(&app), "newhire")
        .unwrap()
        .unwrap();
    assert!(reserved.password_hash.is_empty() && !reserved.instance_admin);
    let opened = app.api_client().get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 200, "the link still works");

    // Nobody else, not even the admin of default.
    let path = format!("{ACCOUNTS}/{newhire}/invitations/{wsb}");
    let (status, body) = api(&app, OLGA, reqwest::Method::DELETE, &path, None).await;
    assert_access_denied(status, &body, "olga withdraws");

    let (status, body) = api(&app, ROOT, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204, "{body}");
    assert!(
        models::user::find_by_username(&mut conn(&app), "newhire")
            .unwrap()
            .is_none(),
        "the reserved name is free, no account left behind"
    );
    let opened = app.api_client().get(&link).send().await.unwrap();
    assert_ne!(opened.status(), 200, "the link no longer works");
    let (status, body) = api(&app, ROOT, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 404, "{body}");

    // On the page, asked first, for an existing account.
    let carol = app.user_id(CAROL);
    let root = signed_in(&app, ROOT).await;
    let list = app.html(&root, "/instance/accounts").await;
    let ask = format!("/instance/accounts/{carol}/invitations/{wsb}/withdraw");
    assert!(list.contains(&ask), "a link to ask first");
    let done = post_form(&app, &root, &ask, &ask, &[]).await;
    assert_eq!(done.status(), 303);
    let (_, body) = api(
        &app,
        ROOT,
        reqwest::Method::GET,
        &format!("{ACCOUNTS}/{carol}"),
        None,
    )
    .await;
    assert_eq!(body["invitations"], json!([]));
    assert!(is_active(&app, CAROL), "her account is untouched");
}
