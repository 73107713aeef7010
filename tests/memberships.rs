//! Memberships belong to a workspace (issue 11, findings 1 to 3): a workspace admin
//! suspends, restores and removes memberships of their own workspace only, never an
//! account; adding a name never silently reaches someone else's account; an
//! invitation reserves its name until it is accepted, withdrawn or lapses, and never
//! sets the password of an account that has one. Over real HTTP, on the pages and
//! the API alike.

mod common;

use access_tokens::domain::Role;
use access_tokens::models;
use common::process::command;
use common::{
    bearer_status_at, bearer_status_within_a_second_at, csrf_token, generate, signed_in, spawn_app,
    Generate, TestApp, PASSWORD, TOKENS,
};
use serde_json::{json, Value};

const MEMBERS: &str = "/v4/workspaceMembers";
const WSB: &str = "wsb";

/// The instance as the findings set it up: `admin` (the first admin of `default`),
/// `carol` (a member of `default`), and `bob`, a member of `default` made the admin
/// of `wsb` with the real command line (`access-tokens workspace add wsb --admin
/// bob`).
async fn instance() -> TestApp {
    let app = spawn_app().await;
    app.create_user("admin", PASSWORD, Role::Admin);
    app.create_user("carol", PASSWORD, Role::Member);
    app.create_user("bob", PASSWORD, Role::Member);
    let dir = tempfile::tempdir().unwrap();
    let made = command(dir.path())
        .args(["workspace", "add", WSB, "--admin", "bob", "--database"])
        .arg(app.db.arg())
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    // Members of wsb may make tokens, as in default.
    app.allow_members_to_generate_in(app.workspace_id(WSB));
    app
}

/// A request as `user` (Basic) acting in `workspace` (`None`: their first).
fn as_user(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    user: &str,
    workspace: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = app
        .api_client()
        .request(method, app.url(path))
        .basic_auth(user, Some(PASSWORD));
    if let Some(ws) = workspace {
        request = request.header("X-Workspace", ws);
    }
    request
}

async fn add(app: &TestApp, user: &str, ws: Option<&str>, body: Value) -> (u16, Value) {
    let response = as_user(app, reqwest::Method::POST, MEMBERS, user, ws)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn patch(app: &TestApp, user: &str, ws: Option<&str>, id: &str, body: Value) -> u16 {
    as_user(
        app,
        reqwest::Method::PATCH,
        &format!("{MEMBERS}/{id}"),
        user,
        ws,
    )
    .json(&body)
    .send()
    .await
    .unwrap()
    .status()
    .as_u16()
}

async fn delete(app: &TestApp, user: &str, ws: Option<&str>, id: &str) -> u16 {
    as_user(
        app,
        reqwest::Method::DELETE,
        &format!("{MEMBERS}/{id}"),
        user,
        ws,
    )
    .send()
    .await
    .unwrap()
    .status()
    .as_u16()
}

async fn members(app: &TestApp, admin: &str, ws: Option<&str>) -> Value {
    as_user(app, reqwest::Method::GET, MEMBERS, admin, ws)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn status_of(list: &Value, name: &str) -> Option<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["username"] == name)
        .map(|m| m["status"].as_str().unwrap().to_owned())
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    let response = app.refresh(refresh_token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn basic_status(app: &TestApp, user: &str, ws: Option<&str>) -> u16 {
    as_user(app, reqwest::Method::GET, "/v4/apiAccessTokens", user, ws)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn audit_actions(app: &TestApp) -> Vec<(String, Option<String>)> {
    use access_tokens::db::schema::audit_events::dsl::*;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    audit_events
        .order(occurred_at.asc())
        .select((action, workspace_id))
        .load(&mut *conn)
        .unwrap()
}

fn count_sql(app: &TestApp, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(sql).load::<Row>(&mut conn).unwrap()[0].n
}

/// The invitation link's path in an "add" answer.
fn invite_path(app: &TestApp, added: &Value) -> String {
    added["inviteUrl"]
        .as_str()
        .expect("an invitation link")
        .strip_prefix(&app.address)
        .expect("a link to this server")
        .to_owned()
}

/// Opens an invitation link and sets the password; the status of the answer.
async fn accept_link(app: &TestApp, path: &str, new_password: &str) -> u16 {
    let browser = app.browser_client();
    let form = browser.get(app.url(path)).send().await.unwrap();
    if form.status() != 200 {
        return form.status().as_u16();
    }
    let form = form.text().await.unwrap();
    browser
        .post(app.url(path))
        .form(&[
            ("csrf_token", csrf_token(&form).as_str()),
            ("new_password", new_password),
            ("confirm_password", new_password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn accept_by_api(app: &TestApp, user: &str, ws: &str) -> u16 {
    as_user(
        app,
        reqwest::Method::POST,
        &format!("/v4/workspaceInvitations/{ws}/accept"),
        user,
        None,
    )
    .send()
    .await
    .unwrap()
    .status()
    .as_u16()
}

// ---------------------------------------------------------------------------
// Finding 1
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_workspace_admin_cannot_lock_the_instance_admin_out_of_the_instance() {
    let app = instance().await;
    let admin_id = app.user_id("admin").to_string();
    let admins_token = generate(&app, Generate::legacy("admin")).await.value;

    // Adding the name no longer reaches the account...
    let (status, body) = add(&app, "bob", Some(WSB), json!({"username": "admin"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["exception"]["name"], "ConflictException");
    assert_eq!(body["exception"]["details"]["existingUser"], true);
    // ...and so neither can deactivating it from wsb.
    assert_eq!(
        patch(&app, "bob", Some(WSB), &admin_id, json!({"active": false})).await,
        404
    );
    assert_eq!(basic_status(&app, "admin", None).await, 200);
    assert_eq!(app.bearer_status(&admins_token).await, 200);
    let list = members(&app, "admin", None).await;
    assert_eq!(status_of(&list, "admin").as_deref(), Some("active"));

    // Even once the admin accepted to join wsb, bob suspends only wsb's membership.
    let (status, body) = add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "admin", "invite": true}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["existingUser"], true);
    assert_eq!(body["member"]["status"], "invited");
    assert_eq!(body["inviteUrl"], Value::Null);
    let ws = app.workspace_id(WSB).to_string();
    assert_eq!(accept_by_api(&app, "admin", &ws).await, 200);
    assert_eq!(
        patch(&app, "bob", Some(WSB), &admin_id, json!({"active": false})).await,
        200
    );
    assert_eq!(basic_status(&app, "admin", Some(WSB)).await, 403);
    assert_eq!(
        basic_status(&app, "admin", None).await,
        200,
        "default untouched"
    );
    assert_eq!(
        app.bearer_status_within_a_second(&admins_token, 200).await,
        200
    );
    let browser = app.browser_client();
    assert_eq!(
        app.sign_in(&browser, "admin", PASSWORD).await.status(),
        303,
        "the admin still signs in"
    );
    let list = members(&app, "admin", None).await;
    assert_eq!(status_of(&list, "admin").as_deref(), Some("active"));
}

// ---------------------------------------------------------------------------
// Finding 2
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_deactivated_account_cannot_be_brought_back_from_another_workspace() {
    let app = instance().await;
    let carols_token = generate(&app, Generate::legacy("carol")).await.value;
    let carol = app.user_id("carol").to_string();
    // Deactivated by the instance's authority (the account-level path).
    app.set_active("carol", false);
    assert_eq!(
        app.bearer_status_within_a_second(&carols_token, 401).await,
        401
    );

    let (status, body) = add(&app, "bob", Some(WSB), json!({"username": "carol"})).await;
    assert_eq!(status, 409);
    assert_eq!(body["exception"]["details"]["existingUser"], true);
    assert_eq!(
        patch(&app, "bob", Some(WSB), &carol, json!({"active": true})).await,
        404
    );
    // Invited, she could join only by accepting, signed in: a deactivated account
    // cannot.
    let (status, _) = add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "carol", "invite": true}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        accept_by_api(&app, "carol", &app.workspace_id(WSB).to_string()).await,
        401
    );
    assert_eq!(
        patch(&app, "bob", Some(WSB), &carol, json!({"active": true})).await,
        404,
        "an invitation is no membership to restore"
    );
    assert_eq!(app.bearer_status(&carols_token).await, 401);
    assert_eq!(
        app.sign_in(&app.browser_client(), "carol", PASSWORD)
            .await
            .status(),
        401
    );
}

// ---------------------------------------------------------------------------
// Finding 3
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn an_invitation_kept_by_its_inviter_cannot_take_over_an_account_added_later() {
    let app = instance().await;
    let (status, invited) = add(&app, "bob", Some(WSB), json!({"username": "newhire"})).await;
    assert_eq!(status, 201);
    let link = invite_path(&app, &invited);

    // The default admin adds newhire as an admin with an initial password: refused,
    // the name is reserved, nothing silently ignored.
    let (status, body) = add(
        &app,
        "admin",
        None,
        json!({"username": "newhire", "role": "admin", "password": "an initial secret phrase"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["exception"]["details"]["existingUser"], true);
    assert_eq!(body["exception"]["details"]["reserved"], true);
    let (status, _) = add(
        &app,
        "admin",
        None,
        json!({"username": "newhire", "role": "admin", "invite": true}),
    )
    .await;
    assert_eq!(status, 409, "a reservation is no account to invite");

    // bob uses the link: newhire is in wsb alone, never an admin of default.
    assert_eq!(accept_link(&app, &link, "bob chose this one").await, 303);
    let as_newhire = app
        .api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .basic_auth("newhire", Some("bob chose this one"))
        .header("X-Workspace", "default")
        .send()
        .await
        .unwrap();
    assert_eq!(as_newhire.status(), 403, "not a member of default");
    let list = members(&app, "admin", None).await;
    assert_eq!(status_of(&list, "newhire"), None);
}

#[actix_web::test]
async fn setting_a_password_ends_the_accounts_open_invitation_links() {
    let app = instance().await;
    let (_, invited) = add(&app, "bob", Some(WSB), json!({"username": "newhire"})).await;
    let link = invite_path(&app, &invited);
    // `user passwd newhire` (the command line) sets a password: the link is over.
    let dir = tempfile::tempdir().unwrap();
    let mut passwd = command(dir.path());
    passwd
        .args([
            "user",
            "passwd",
            "newhire",
            "--password-stdin",
            "--database",
        ])
        .arg(app.db.arg())
        .stdin(std::process::Stdio::piped());
    let mut child = passwd.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "the operator set this").unwrap();
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(accept_link(&app, &link, "bob chose this one").await, 400);
    assert_eq!(
        app.api_client()
            .get(app.url("/v4/apiAccessTokens"))
            .basic_auth("newhire", Some("the operator set this"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the password set stays"
    );

    // The same through the storage function the Change Password page uses.
    let (_, invited) = add(&app, "bob", Some(WSB), json!({"username": "second"})).await;
    let link = invite_path(&app, &invited);
    {
        use access_tokens::auth::password;
        use access_tokens::domain::Password;
        let mut conn = app.pool.get().unwrap();
        let id = app.user_id("second");
        let hash = password::hash(&Password::offered("changed on the page".into()));
        models::user::change_password(
            &mut conn,
            id,
            &hash,
            access_tokens::domain::Timestamp::now(),
        )
        .unwrap();
    }
    assert_eq!(accept_link(&app, &link, "bob chose this one").await, 400);
}

// ---------------------------------------------------------------------------
// Suspension and removal
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_suspended_member_stops_in_that_workspace_only_and_works_again_on_restore() {
    let app = instance().await;
    // dave: in default (as user add does) and invited to wsb, which he accepts.
    app.create_user("dave", PASSWORD, Role::Member);
    let dave = app.user_id("dave").to_string();
    let ws = app.workspace_id(WSB).to_string();
    let (status, _) = add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "dave", "invite": true}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(accept_by_api(&app, "dave", &ws).await, 200);
    let here = generate(&app, Generate::legacy("dave").in_workspace(WSB))
        .await
        .value;
    let elsewhere = generate(&app, Generate::legacy("dave").in_workspace("default"))
        .await
        .value;
    let made = generate(&app, Generate::oauth("dave").in_workspace(WSB)).await;
    let refresh_token = made.refresh();
    let access = made.value;
    let browser = signed_in(&app, "dave").await;
    let switched = browser
        .submit(&app, "/workspace", &[("workspace", &ws)])
        .await;
    assert_eq!(switched.status(), 303);
    let page = app.html(&browser, "/preferences/password").await;
    assert!(page.contains(r#"<strong id="current-workspace">wsb</strong>"#));
    // A second instance over the same database, its cache warm with dave's tokens.
    let second = app.spawn_instance(|_| {}).await;
    for token in [&here, &elsewhere, &access] {
        assert_eq!(app.bearer_status(token).await, 200);
        assert_eq!(bearer_status_at(&second, TOKENS, token).await, 200);
    }

    assert_eq!(
        patch(&app, "bob", Some(WSB), &dave, json!({"active": false})).await,
        200
    );
    let list = members(&app, "bob", Some(WSB)).await;
    assert_eq!(status_of(&list, "dave").as_deref(), Some("suspended"));
    assert_eq!(app.bearer_status_within_a_second(&here, 401).await, 401);
    assert_eq!(app.bearer_status_within_a_second(&access, 401).await, 401);
    for token in [&here, &access] {
        assert_eq!(
            bearer_status_within_a_second_at(&second, token, 401).await,
            401,
            "on the other instance too"
        );
    }
    assert_eq!(bearer_status_at(&second, TOKENS, &elsewhere).await, 200);
    let (status, body) = refresh(&app, &refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(basic_status(&app, "dave", Some(WSB)).await, 403);
    let page = app.html(&browser, "/preferences/password").await;
    assert!(
        !page.contains(r#"<strong id="current-workspace">wsb</strong>"#),
        "the pages no longer act in wsb"
    );
    assert!(!page.contains(">wsb</option>"), "nor offer it");
    // Nowhere else.
    assert_eq!(app.bearer_status(&elsewhere).await, 200);
    assert_eq!(basic_status(&app, "dave", Some("default")).await, 200);
    let list = members(&app, "admin", None).await;
    assert_eq!(status_of(&list, "dave").as_deref(), Some("active"));

    assert_eq!(
        patch(&app, "bob", Some(WSB), &dave, json!({"active": true})).await,
        200
    );
    assert_eq!(app.bearer_status_within_a_second(&here, 200).await, 200);
    assert_eq!(app.bearer_status_within_a_second(&access, 200).await, 200);
    assert_eq!(
        bearer_status_within_a_second_at(&second, &here, 200).await,
        200
    );
    let (status, _) = refresh(&app, &refresh_token).await;
    assert_eq!(status, 200, "the refresh token was kept while suspended");
    let actions: Vec<String> = audit_actions(&app).into_iter().map(|a| a.0).collect();
    assert!(actions.contains(&"member.suspended".to_owned()));
    assert!(actions.contains(&"member.restored".to_owned()));
}

#[actix_web::test]
async fn removing_a_member_deletes_their_tokens_and_grants_there_and_adding_again_starts_clean() {
    let app = instance().await;
    let erin = app
        .create_user_in("erin", app.workspace_id(WSB), Role::Member)
        .to_string();
    let ws = app.workspace_id(WSB).to_string();
    let token = generate(&app, Generate::legacy("erin").in_workspace(WSB))
        .await
        .value;
    let made = generate(&app, Generate::oauth("erin").in_workspace(WSB)).await;
    let refresh_token = made.refresh();
    let access = made.value;
    assert_eq!(app.bearer_status(&token).await, 200);
    // erin is in default too, with a token there that must stay.
    let (status, _) = add(
        &app,
        "admin",
        None,
        json!({"username": "erin", "invite": true}),
    )
    .await;
    assert_eq!(status, 201);
    let default_id = {
        let mut conn = app.pool.get().unwrap();
        models::workspace::find_by_name(&mut conn, "default")
            .unwrap()
            .unwrap()
            .to_string()
    };
    assert_eq!(accept_by_api(&app, "erin", &default_id).await, 200);
    let kept = generate(&app, Generate::legacy("erin").in_workspace("default"))
        .await
        .value;

    assert_eq!(delete(&app, "bob", Some(WSB), &erin).await, 204);
    let in_wsb = |table: &str| {
        count_sql(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE user_id = '{erin}' AND workspace_id = '{ws}'"
            ),
        )
    };
    assert_eq!(in_wsb("api_tokens"), 0, "legacy tokens deleted");
    assert_eq!(in_wsb("oauth_grants"), 0, "grants deleted");
    assert_eq!(app.bearer_status_within_a_second(&token, 401).await, 401);
    assert_eq!(app.bearer_status_within_a_second(&access, 401).await, 401);
    assert_eq!(refresh(&app, &refresh_token).await.0, 400);
    assert_eq!(app.bearer_status(&kept).await, 200, "default untouched");
    let wsb_events: Vec<String> = audit_actions(&app)
        .into_iter()
        .filter(|(_, w)| w.as_deref() == Some(ws.as_str()))
        .map(|(a, _)| a)
        .collect();
    for expected in ["token.deleted", "oauth_token.deleted", "member.removed"] {
        assert!(
            wsb_events.iter().any(|a| a == expected),
            "{expected} in {wsb_events:?}"
        );
    }

    // Added again, erin starts clean.
    let (status, _) = add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "erin", "invite": true}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(accept_by_api(&app, "erin", &ws).await, 200);
    let listed: Value = as_user(
        &app,
        reqwest::Method::GET,
        "/v4/apiAccessTokens",
        "erin",
        Some(WSB),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(listed["count"], 0);
    assert_eq!(app.bearer_status(&token).await, 401);
    // The access token of a grant deleted with the membership is still within its
    // hour, and erin is a member again: it must not come back to life (the grant's
    // revocation reaches every instance's memory within a second).
    assert_eq!(app.bearer_status_within_a_second(&access, 401).await, 401);
}

#[actix_web::test]
async fn the_last_admin_holds_against_suspend_demote_and_remove() {
    let app = instance().await;
    let bob = app.user_id("bob").to_string();
    let frank = app
        .create_user_in("frank", app.workspace_id(WSB), Role::Admin)
        .to_string();
    // frank suspended: he no longer counts as an active admin.
    assert_eq!(
        patch(&app, "bob", Some(WSB), &frank, json!({"active": false})).await,
        200
    );
    // bob cannot suspend himself, and frank (suspended) cannot act.
    assert_eq!(
        patch(&app, "bob", Some(WSB), &bob, json!({"active": false})).await,
        409
    );
    assert_eq!(
        patch(&app, "bob", Some(WSB), &bob, json!({"role": "member"})).await,
        409
    );
    assert_eq!(delete(&app, "bob", Some(WSB), &bob).await, 409);
    assert_eq!(
        patch(&app, "frank", Some(WSB), &bob, json!({"active": false})).await,
        403
    );
    // Restored, frank is an admin again and bob may step down.
    assert_eq!(
        patch(&app, "bob", Some(WSB), &frank, json!({"active": true})).await,
        200
    );
    assert_eq!(
        patch(&app, "bob", Some(WSB), &bob, json!({"role": "member"})).await,
        200
    );
    // An invited admin who has not accepted never counts as one.
    let (status, invited) = add(
        &app,
        "frank",
        Some(WSB),
        json!({"username": "iris", "role": "admin"}),
    )
    .await;
    assert_eq!(status, 201, "{invited}");
    assert_eq!(
        patch(&app, "frank", Some(WSB), &frank, json!({"role": "member"})).await,
        409
    );
}

// ---------------------------------------------------------------------------
// Adding, inviting, reserving
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_people_page_says_a_name_exists_and_offers_to_invite_that_account() {
    let app = instance().await;
    let browser = signed_in(&app, "bob").await;
    let ws = app.workspace_id(WSB).to_string();
    browser
        .submit(&app, "/workspace", &[("workspace", &ws)])
        .await;
    let refused = browser
        .submit(
            &app,
            "/admin/people",
            &[
                ("username", "carol"),
                ("role", "member"),
                ("onboarding", "password"),
                ("password", "an initial secret phrase"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 409);
    let html = refused.text().await.unwrap();
    assert!(html.contains("carol already has an account"), "{html}");
    assert!(html.contains(r#"id="invite-existing-form""#));
    let invited = browser
        .submit(
            &app,
            "/admin/people",
            &[
                ("username", "carol"),
                ("role", "member"),
                ("invite", "true"),
            ],
        )
        .await;
    assert_eq!(invited.status(), 303);
    let html = app.html(&browser, "/admin/people").await;
    assert!(html.contains("Invited carol"), "the flash");
    assert!(html.contains("Withdraw invitation"));

    // carol accepts on her Preferences page, signed in as herself, with CSRF.
    let carol = signed_in(&app, "carol").await;
    let html = app.html(&carol, "/preferences/invitations").await;
    assert!(html.contains(r#"data-workspace="wsb""#), "{html}");
    let no_csrf = carol
        .post(app.url(&format!("/preferences/invitations/{ws}/accept")))
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_ne!(no_csrf.status(), 303);
    let accepted = carol
        .post(app.url(&format!("/preferences/invitations/{ws}/accept")))
        .form(&[("csrf_token", csrf_token(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    assert_eq!(basic_status(&app, "carol", Some(WSB)).await, 200);
    let list = members(&app, "bob", Some(WSB)).await;
    assert_eq!(status_of(&list, "carol").as_deref(), Some("active"));
    // Her password was never touched.
    assert_eq!(basic_status(&app, "carol", None).await, 200);
}

#[actix_web::test]
async fn an_invitation_is_answered_by_the_account_itself_with_its_password_only() {
    let app = instance().await;
    let ws = app.workspace_id(WSB).to_string();
    let carols_token = generate(&app, Generate::legacy("carol")).await.value;
    add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "carol", "invite": true}),
    )
    .await;
    let (status, _) = add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "carol", "invite": true}),
    )
    .await;
    assert_eq!(status, 409, "already invited");
    let (status, body) = add(
        &app,
        "bob",
        Some(WSB),
        json!({"username": "carol", "invite": true, "password": "set by bob, never"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let listed: Value = as_user(
        &app,
        reqwest::Method::GET,
        "/v4/workspaceInvitations",
        "carol",
        None,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["data"][0]["workspaceName"], WSB);
    // bob cannot accept for her; her token cannot either.
    assert_eq!(accept_by_api(&app, "bob", &ws).await, 404);
    let by_token = app
        .api_client()
        .post(app.url(&format!("/v4/workspaceInvitations/{ws}/accept")))
        .bearer_auth(&carols_token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 403);
    assert_eq!(basic_status(&app, "carol", Some(WSB)).await, 403);
    // She declines: nothing joined, the invitation is gone.
    let declined = as_user(
        &app,
        reqwest::Method::POST,
        &format!("/v4/workspaceInvitations/{ws}/decline"),
        "carol",
        None,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(declined.status(), 200);
    assert_eq!(accept_by_api(&app, "carol", &ws).await, 404);
    assert_eq!(basic_status(&app, "carol", Some(WSB)).await, 403);
}

#[actix_web::test]
async fn an_invitation_reserves_its_name_until_withdrawn_and_leaves_no_account() {
    let app = instance().await;
    let (status, _) = add(&app, "bob", Some(WSB), json!({"username": "newhire"})).await;
    assert_eq!(status, 201);
    let (status, body) = add(&app, "admin", None, json!({"username": "newhire"})).await;
    assert_eq!(status, 409);
    assert_eq!(body["exception"]["details"]["existingUser"], true);
    // The command line refuses it too.
    let dir = tempfile::tempdir().unwrap();
    let cli_add = |dir: &std::path::Path| {
        let mut cmd = command(dir);
        cmd.args(["user", "add", "newhire", "--password-stdin", "--database"])
            .arg(app.db.arg())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{PASSWORD}").unwrap();
        }
        child.wait_with_output().unwrap()
    };
    assert!(!cli_add(dir.path()).status.success());

    // Withdrawn (bob's Remove on the invited row), the name is free, no account left.
    let placeholder = app.user_id("newhire").to_string();
    assert_eq!(delete(&app, "bob", Some(WSB), &placeholder).await, 204);
    assert_eq!(app.find_user_id("newhire"), None);
    let list = members(&app, "bob", Some(WSB)).await;
    assert_eq!(status_of(&list, "newhire"), None);
    assert!(audit_actions(&app)
        .iter()
        .any(|(a, _)| a == "member.invitation_withdrawn"));
    assert!(cli_add(dir.path()).status.success(), "free for the CLI");
}

#[actix_web::test]
async fn an_expired_invitation_frees_its_name_with_no_account_left() {
    let app = instance().await;
    let (_, first) = add(&app, "bob", Some(WSB), json!({"username": "newhire"})).await;
    let link = invite_path(&app, &first);
    add(&app, "bob", Some(WSB), json!({"username": "later"})).await;
    app.execute_sql("UPDATE invites SET expires_at = 1");
    // The name is free for anyone at once; the lapsed link is worth nothing.
    let (status, body) = add(
        &app,
        "admin",
        None,
        json!({"username": "newhire", "password": "the admin's choice"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["existingUser"], false);
    assert_eq!(accept_link(&app, &link, "bob chose this one").await, 400);
    let list = members(&app, "bob", Some(WSB)).await;
    assert_eq!(status_of(&list, "newhire"), None, "not bob's");
    // And the periodic purge leaves no placeholder behind.
    assert!(app.find_user_id("later").is_some());
    access_tokens::services::invitations::purge_lapsed_invitations(
        &app.pool,
        access_tokens::domain::Timestamp::now(),
    )
    .await
    .unwrap();
    assert_eq!(app.find_user_id("later"), None);
}

// ---------------------------------------------------------------------------
// Who may do what to a membership: every actor, every action, page and API
// ---------------------------------------------------------------------------

const ACTIONS: [&str; 7] = [
    "add", "invite", "role", "suspend", "restore", "remove", "withdraw",
];

/// The targets of one round of the matrix, in wsb: a member (for role, suspend,
/// remove), a suspended member (restore), an open invitation (withdraw), an account
/// of default (invite) and a new name (add).
struct Targets {
    member: String,
    suspended: String,
    invited: String,
    outsider: String,
    new_name: String,
}

async fn targets(app: &TestApp, suffix: &str) -> Targets {
    let member = app
        .create_user_in(
            &format!("member-{suffix}"),
            app.workspace_id(WSB),
            Role::Member,
        )
        .to_string();
    let suspended = app
        .create_user_in(
            &format!("suspended-{suffix}"),
            app.workspace_id(WSB),
            Role::Member,
        )
        .to_string();
    assert_eq!(
        patch(app, "bob", Some(WSB), &suspended, json!({"active": false})).await,
        200
    );
    let invited_name = format!("invited-{suffix}");
    let (status, _) = add(app, "bob", Some(WSB), json!({"username": invited_name})).await;
    assert_eq!(status, 201);
    let outsider = format!("outsider-{suffix}");
    app.create_user(&outsider, PASSWORD, Role::Member);
    Targets {
        member,
        suspended,
        invited: app.user_id(&invited_name).to_string(),
        outsider,
        new_name: format!("new-{suffix}"),
    }
}

/// wsb's members and invitations with their role and status, to see that a refusal
/// changed nothing.
async fn wsb_state(app: &TestApp) -> Vec<(String, String, String)> {
    let list = members(app, "bob", Some(WSB)).await;
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
                m["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn api_action(
    app: &TestApp,
    actor: &str,
    ws: Option<&str>,
    action: &str,
    t: &Targets,
) -> u16 {
    match action {
        "add" => add(app, actor, ws, json!({"username": t.new_name})).await.0,
        "invite" => {
            add(
                app,
                actor,
                ws,
                json!({"username": t.outsider, "invite": true}),
            )
            .await
            .0
        }
        "role" => patch(app, actor, ws, &t.member, json!({"role": "admin"})).await,
        "suspend" => patch(app, actor, ws, &t.member, json!({"active": false})).await,
        "restore" => patch(app, actor, ws, &t.suspended, json!({"active": true})).await,
        "remove" => delete(app, actor, ws, &t.member).await,
        "withdraw" => delete(app, actor, ws, &t.invited).await,
        other => unreachable!("{other}"),
    }
}

async fn page_action(app: &TestApp, browser: &reqwest::Client, action: &str, t: &Targets) -> u16 {
    // A signed-out browser has no CSRF token to send: any value will do.
    let html = app.html(browser, "/preferences/password").await;
    let csrf = if html.contains("csrf_token") {
        csrf_token(&html)
    } else {
        "none".to_owned()
    };
    let (path, form): (String, Vec<(&str, String)>) = match action {
        "add" => (
            "/admin/people".into(),
            vec![
                ("username", t.new_name.clone()),
                ("role", "member".into()),
                ("onboarding", "invite".into()),
            ],
        ),
        "invite" => (
            "/admin/people".into(),
            vec![
                ("username", t.outsider.clone()),
                ("role", "member".into()),
                ("invite", "true".into()),
            ],
        ),
        "role" => (
            format!("/admin/people/{}/role", t.member),
            vec![("role", "admin".into())],
        ),
        "suspend" => (
            format!("/admin/people/{}/active", t.member),
            vec![("active", "false".into())],
        ),
        "restore" => (
            format!("/admin/people/{}/active", t.suspended),
            vec![("active", "true".into())],
        ),
        "remove" => (format!("/admin/people/{}/remove", t.member), vec![]),
        "withdraw" => (format!("/admin/people/{}/remove", t.invited), vec![]),
        other => unreachable!("{other}"),
    };
    let mut fields = vec![("csrf_token", csrf)];
    fields.extend(form);
    let response = browser
        .post(app.url(&path))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    // The add answer shows the link (200); everything else goes back with a flash.
    if action == "add" && status == 200 {
        return 303;
    }
    status
}

/// A browser signed in as `user`, switched to wsb if they can; `false` when the
/// sign-in itself is refused.
async fn browser_in_wsb(app: &TestApp, user: &str) -> (reqwest::Client, bool) {
    let browser = app.browser_client();
    let signed_in = app.sign_in(&browser, user, PASSWORD).await.status() == 303;
    if signed_in {
        let page = app.html(&browser, "/preferences/password").await;
        browser
            .post(app.url("/workspace"))
            .form(&[
                ("csrf_token", csrf_token(&page).as_str()),
                ("workspace", &app.workspace_id(WSB).to_string()),
            ])
            .send()
            .await
            .unwrap();
    }
    (browser, signed_in)
}

#[actix_web::test]
async fn only_the_admin_of_this_workspace_manages_its_memberships_on_the_page_and_the_api() {
    let app = instance().await;
    // The actors besides bob (wsb's admin) and admin (default's admin, not in wsb).
    app.create_user_in("mia", app.workspace_id(WSB), Role::Member)
        .to_string();
    let sam = app
        .create_user_in("sam", app.workspace_id(WSB), Role::Admin)
        .to_string();
    let gus = app
        .create_user_in("gus", app.workspace_id(WSB), Role::Admin)
        .to_string();
    assert_eq!(
        patch(&app, "bob", Some(WSB), &sam, json!({"active": false})).await,
        200
    );
    {
        let mut conn = app.pool.get().unwrap();
        let id = access_tokens::domain::UserId::parse(&gus).unwrap();
        models::user::set_active(
            &mut conn,
            id,
            false,
            access_tokens::domain::Timestamp::now(),
        )
        .unwrap();
    }
    let api_targets = targets(&app, "a").await;
    let page_targets = targets(&app, "p").await;

    // API: (actor, X-Workspace, expected status for every action).
    let refused_on_api: [(&str, Option<&str>, u16); 5] = [
        ("mia", Some(WSB), 403),   // a member
        ("admin", Some(WSB), 403), // another workspace's admin, naming wsb
        ("sam", Some(WSB), 403),   // a suspended admin of wsb
        ("gus", Some(WSB), 401),   // a deactivated account
        ("admin", None, 404),      // another workspace's admin, in their own
    ];
    let before = wsb_state(&app).await;
    for (actor, ws, expected) in refused_on_api {
        for action in ACTIONS {
            // Adding or inviting in one's own workspace is not an action on wsb.
            if ws.is_none() && (action == "add" || action == "invite") {
                continue;
            }
            let mut status = api_action(&app, actor, ws, action, &api_targets).await;
            if actor == "gus" && status == 429 {
                // Refused Basic attempts count: after five, the throttle answers.
                status = 401;
            }
            assert_eq!(status, expected, "API {action} by {actor} in {ws:?}");
        }
    }
    // Pages: a member acts in wsb (403); default's admin cannot switch to wsb and
    // finds nothing of wsb's in their own (404); the suspended and the deactivated
    // cannot sign in at all (back to the sign-in page).
    for (actor, expected) in [("mia", 403), ("admin", 404), ("sam", 303), ("gus", 303)] {
        let (browser, signed_in) = browser_in_wsb(&app, actor).await;
        assert_eq!(signed_in, actor == "mia" || actor == "admin", "{actor}");
        for action in ACTIONS {
            if actor == "admin" && (action == "add" || action == "invite") {
                let page = app.html(&browser, "/preferences/password").await;
                assert!(page.contains(r#"<strong id="current-workspace">default</strong>"#));
                continue;
            }
            let status = page_action(&app, &browser, action, &page_targets).await;
            assert_eq!(status, expected, "page {action} by {actor}");
        }
    }
    assert_eq!(wsb_state(&app).await, before, "no refusal changed anything");

    // bob, wsb's admin, may do every one of them, on the API and on the page.
    let expected_api = [201, 201, 200, 200, 200, 204, 204];
    for (action, expected) in ACTIONS.into_iter().zip(expected_api) {
        let status = api_action(&app, "bob", Some(WSB), action, &api_targets).await;
        assert_eq!(status, expected, "API {action} by bob");
    }
    let (browser, _) = browser_in_wsb(&app, "bob").await;
    for action in ACTIONS {
        let status = page_action(&app, &browser, action, &page_targets).await;
        assert_eq!(status, 303, "page {action} by bob");
    }
    let after: Vec<(String, String, String)> = wsb_state(&app).await;
    let find = |name: &str| after.iter().find(|m| m.0 == name).cloned();
    for s in ["a", "p"] {
        assert_eq!(find(&format!("member-{s}")), None, "removed");
        assert_eq!(
            find(&format!("suspended-{s}")).map(|m| m.2),
            Some("active".into()),
            "restored"
        );
        assert_eq!(find(&format!("invited-{s}")), None, "withdrawn");
        assert_eq!(
            find(&format!("outsider-{s}")).map(|m| m.2),
            Some("invited".into())
        );
        assert_eq!(
            find(&format!("new-{s}")).map(|m| m.2),
            Some("invited".into())
        );
    }
}
