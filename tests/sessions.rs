//! Signing in and out, and sessions on the server, over real HTTP: the sign-in page
//! and its errors and throttle, where signed-in and signed-out people are sent, the
//! user menu and signing out (with CSRF), the session cookie's attributes, sessions
//! across restarts and instances. Issue 11, findings 6 and 7: a saved cookie is
//! worth nothing after sign-out, on any instance; a password change ends the other
//! sessions and a deactivation all of them; Preferences > Sessions lists and signs
//! out browsers; the cookie carries only an opaque secret, stored as a digest; the
//! sign-in throttle cannot be raced; a password an admin set must be changed first.

mod common;

use access_tokens::config::SessionKey;
use access_tokens::domain::Role;
use access_tokens::models;
use common::html::{attr, find, labelled, page, text, with_text};
use common::{
    api_client, app_with, app_with_members, csrf_token, get, header, location, post_form,
    set_cookies, signed_in, someone_elses_csrf, spawn_app, spawn_app_with, TestApp, ADMIN, ALICE,
    BOB, PASSWORD, TOKENS_PAGE as PAGE,
};
use reqwest::header::{HeaderMap, COOKIE, LOCATION};
use reqwest::{Client, StatusCode};
use scraper::Html;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const NEW_PAGE: &str = "/preferences/access-tokens/new";
const SESSION_COOKIE: &str = "access_tokens_session";
/// A page that needs a signed-in user.
const SIGNED_IN_PAGE: &str = "/preferences/password";

/// A server with alice, a member, and olga, the admin.
async fn app_with_alice() -> TestApp {
    app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await
}

/// A browser-like client (cookies kept, redirects not followed) with its own
/// user agent.
fn browser(user_agent: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs `client` in as `user` and returns the session cookie it was given, as
/// `name=value`.
async fn cookie_of_sign_in(app: &TestApp, client: &Client, user: &str, pass: &str) -> String {
    let response = app.sign_in(client, user, pass).await;
    assert_eq!(response.status(), 303, "signed in as {user}");
    let set_cookie = session_set_cookie(response.headers());
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The session cookie's `Set-Cookie` header in a response.
fn session_set_cookie(headers: &HeaderMap) -> String {
    set_cookies(headers)
        .into_iter()
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .expect("a session Set-Cookie header")
}

/// The attributes after `name=value` in a `Set-Cookie` header, lowercased.
fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// GETs `path` at `base` with nothing but `cookie`.
async fn get_with_cookie(base: &str, path: &str, cookie: &str) -> reqwest::Response {
    api_client()
        .get(format!("{base}{path}"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// The status of a signed-in page fetched with nothing but `cookie`, at `base`.
async fn with_cookie(base: &str, cookie: &str) -> (StatusCode, String) {
    let response = get_with_cookie(base, SIGNED_IN_PAGE, cookie).await;
    let location = response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

async fn status_of(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), location)
}

fn signed_out() -> (StatusCode, String) {
    (StatusCode::SEE_OTHER, "/login".to_owned())
}

fn open() -> (StatusCode, String) {
    (StatusCode::OK, String::new())
}

fn sessions_of(app: &TestApp, name: &str) -> Vec<models::session::SessionRow> {
    let id = app.user_id(name);
    let mut conn = app.pool.get().unwrap();
    models::session::list_for_user(&mut conn, id).unwrap()
}

async fn post_with_csrf(
    app: &TestApp,
    client: &Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

async fn change_password(app: &TestApp, client: &Client, current: &str, new: &str) {
    let html = app.html(client, SIGNED_IN_PAGE).await;
    let response = post_with_csrf(
        app,
        client,
        SIGNED_IN_PAGE,
        &csrf_token(&html),
        &[
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", new),
        ],
    )
    .await;
    assert_eq!(response.status(), 303, "password changed");
}

#[actix_web::test]
async fn a_cookie_saved_before_sign_out_no_longer_opens_signed_in_pages_on_any_instance() {
    let app = app_with_alice().await;
    let second = app.spawn_instance(|_| {}).await;
    let alice = browser("alice's browser");
    let saved = cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    assert_eq!(with_cookie(&app.address, &saved).await, open());
    assert_eq!(with_cookie(&second, &saved).await, open(), "any instance");

    let html = app.html(&alice, SIGNED_IN_PAGE).await;
    let out = post_with_csrf(&app, &alice, "/logout", &csrf_token(&html), &[]).await;
    assert_eq!(out.status(), 303);

    assert_eq!(with_cookie(&app.address, &saved).await, signed_out());
    assert_eq!(with_cookie(&second, &saved).await, signed_out());
    assert!(sessions_of(&app, ALICE).is_empty(), "the row is gone");
}

#[actix_web::test]
async fn a_password_change_ends_the_other_sessions_but_not_the_one_that_changed_it() {
    let app = app_with_alice().await;
    let (here, there) = (browser("here"), browser("there"));
    cookie_of_sign_in(&app, &here, ALICE, PASSWORD).await;
    let elsewhere = cookie_of_sign_in(&app, &there, ALICE, PASSWORD).await;
    assert_eq!(sessions_of(&app, ALICE).len(), 2);

    change_password(&app, &here, PASSWORD, "a brand new passphrase, long").await;

    assert_eq!(status_of(&app, &here, SIGNED_IN_PAGE).await, open());
    assert_eq!(status_of(&app, &there, SIGNED_IN_PAGE).await, signed_out());
    assert_eq!(with_cookie(&app.address, &elsewhere).await, signed_out());
    assert_eq!(sessions_of(&app, ALICE).len(), 1, "only this browser's row");
}

/// Deactivation of an account is an instance administrator's (issue 11); it goes
/// through `models::user::set_active`, as the command line and the instance-admin
/// path do.
#[actix_web::test]
async fn deactivating_an_account_ends_all_its_sessions() {
    let app = app_with_alice().await;
    let (one, two) = (browser("one"), browser("two"));
    let saved = cookie_of_sign_in(&app, &one, ALICE, PASSWORD).await;
    cookie_of_sign_in(&app, &two, ALICE, PASSWORD).await;
    assert_eq!(sessions_of(&app, ALICE).len(), 2);

    assert!(app.set_active(ALICE, false));

    assert!(sessions_of(&app, ALICE).is_empty(), "every row is gone");
    assert_eq!(status_of(&app, &one, SIGNED_IN_PAGE).await, signed_out());
    assert_eq!(status_of(&app, &two, SIGNED_IN_PAGE).await, signed_out());
    assert_eq!(with_cookie(&app.address, &saved).await, signed_out());
}

#[actix_web::test]
async fn the_sessions_page_lists_browsers_and_signs_another_one_out() {
    let app = app_with_alice().await;
    let (mine, lost) = (browser("Mine/1.0"), browser("Lost Laptop/2.0"));
    cookie_of_sign_in(&app, &mine, ALICE, PASSWORD).await;
    cookie_of_sign_in(&app, &lost, ALICE, PASSWORD).await;

    let html = app.html(&mine, "/preferences/sessions").await;
    assert!(
        html.contains("Mine/1.0") && html.contains("Lost Laptop/2.0"),
        "{html}"
    );
    assert!(html.contains("127.0.0.1"), "the address is shown");
    let doc = scraper::Html::parse_document(&html);
    let rows = scraper::Selector::parse("tr[data-session-id]").unwrap();
    let rows: Vec<_> = doc.select(&rows).collect();
    assert_eq!(rows.len(), 2);
    let this: Vec<_> = rows
        .iter()
        .filter(|r| r.value().attr("data-this-browser").is_some())
        .collect();
    assert_eq!(this.len(), 1, "this browser is marked");
    assert!(this[0].text().collect::<String>().contains("Mine/1.0"));
    let other = rows
        .iter()
        .find(|r| r.value().attr("data-this-browser").is_none())
        .unwrap()
        .value()
        .attr("data-session-id")
        .unwrap()
        .to_owned();

    // Without the CSRF token, nothing happens.
    let forged = post_with_csrf(
        &app,
        &mine,
        &format!("/preferences/sessions/{other}/sign-out"),
        "forged",
        &[],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(status_of(&app, &lost, SIGNED_IN_PAGE).await, open());

    let out = post_with_csrf(
        &app,
        &mine,
        &format!("/preferences/sessions/{other}/sign-out"),
        &csrf_token(&html),
        &[],
    )
    .await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()[LOCATION], "/preferences/sessions");
    let html = app.html(&mine, "/preferences/sessions").await;
    assert!(html.contains("That browser has been signed out."), "{html}");
    assert!(!html.contains("Lost Laptop/2.0"));
    assert_eq!(status_of(&app, &lost, SIGNED_IN_PAGE).await, signed_out());
    assert_eq!(status_of(&app, &mine, SIGNED_IN_PAGE).await, open());
}

#[actix_web::test]
async fn sign_out_all_other_sessions_keeps_only_this_browser() {
    let app = app_with_alice().await;
    let mine = browser("mine");
    let others = [browser("a"), browser("b")];
    cookie_of_sign_in(&app, &mine, ALICE, PASSWORD).await;
    for other in &others {
        cookie_of_sign_in(&app, other, ALICE, PASSWORD).await;
    }
    let html = app.html(&mine, "/preferences/sessions").await;
    let out = post_with_csrf(
        &app,
        &mine,
        "/preferences/sessions/sign-out-others",
        &csrf_token(&html),
        &[],
    )
    .await;
    assert_eq!(out.status(), 303);
    let html = app.html(&mine, "/preferences/sessions").await;
    assert!(
        html.contains("2 other sessions have been signed out."),
        "{html}"
    );
    for other in &others {
        assert_eq!(status_of(&app, other, SIGNED_IN_PAGE).await, signed_out());
    }
    assert_eq!(status_of(&app, &mine, SIGNED_IN_PAGE).await, open());
}

#[actix_web::test]
async fn someone_cannot_sign_out_another_users_session() {
    let app = app_with_alice().await;
    let (alice, olga) = (browser("alice"), browser("olga"));
    cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    cookie_of_sign_in(&app, &olga, ADMIN, PASSWORD).await;
    let alices = sessions_of(&app, ALICE)[0].id.clone();
    let html = app.html(&olga, "/preferences/sessions").await;
    let out = post_with_csrf(
        &app,
        &olga,
        &format!("/preferences/sessions/{alices}/sign-out"),
        &csrf_token(&html),
        &[],
    )
    .await;
    assert_eq!(out.status(), 404);
    assert_eq!(status_of(&app, &alice, SIGNED_IN_PAGE).await, open());
}

#[actix_web::test]
async fn last_seen_is_written_at_most_once_a_minute() {
    let app = app_with_alice().await;
    let alice = browser("alice");
    cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    let now = sessions_of(&app, ALICE)[0].last_seen_at.millis();

    let thirty_seconds_ago = now - 30_000;
    app.execute_sql(&format!(
        "UPDATE sessions SET last_seen_at = {thirty_seconds_ago}"
    ));
    assert_eq!(status_of(&app, &alice, SIGNED_IN_PAGE).await, open());
    assert_eq!(
        sessions_of(&app, ALICE)[0].last_seen_at.millis(),
        thirty_seconds_ago,
        "not rewritten within a minute"
    );

    let two_minutes_ago = now - 120_000;
    app.execute_sql(&format!(
        "UPDATE sessions SET last_seen_at = {two_minutes_ago}"
    ));
    assert_eq!(status_of(&app, &alice, SIGNED_IN_PAGE).await, open());
    assert!(
        sessions_of(&app, ALICE)[0].last_seen_at.millis() >= now,
        "written again after a minute"
    );
}

#[actix_web::test]
async fn a_session_unused_for_the_idle_limit_or_older_than_twelve_hours_has_ended() {
    let app = app_with_alice().await;
    let alice = browser("alice");
    cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    let now = sessions_of(&app, ALICE)[0].created_at.millis();
    let three_hours_ago = now - 3 * 3_600_000;
    app.execute_sql(&format!(
        "UPDATE sessions SET last_seen_at = {three_hours_ago}"
    ));
    assert_eq!(status_of(&app, &alice, SIGNED_IN_PAGE).await, signed_out());

    cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    let thirteen_hours_ago = now - 13 * 3_600_000;
    app.execute_sql(&format!(
        "UPDATE sessions SET created_at = {thirteen_hours_ago}"
    ));
    assert_eq!(status_of(&app, &alice, SIGNED_IN_PAGE).await, signed_out());
}

#[actix_web::test]
async fn the_cookie_holds_only_an_opaque_secret_and_the_database_only_its_digest() {
    let app = app_with_alice().await;
    let alice = browser("alice");
    let cookie = cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    let value = cookie.split_once('=').unwrap().1;
    // An encrypted 32-byte secret: no room for a user id, a workspace or a time.
    assert!(value.len() <= 120, "short: {} characters", value.len());
    let id = app.user_id(ALICE).to_string();
    assert!(!value.contains(&id) && !value.contains(ALICE));

    let digests = app.query_bytes("SELECT secret_digest AS value FROM sessions");
    assert_eq!(digests.len(), 1);
    let stored = &digests[0];
    assert_eq!(stored.len(), 32, "a SHA-256");
    assert_ne!(stored.as_slice(), value.as_bytes());
    assert_ne!(
        stored.as_slice(),
        Sha256::digest(value.as_bytes()).as_slice()
    );

    // The stored digest and public id cannot be turned into a cookie.
    let forged = format!("{SESSION_COOKIE}={}", hex_encode(stored));
    assert_eq!(with_cookie(&app.address, &forged).await, signed_out());
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` Basic-auth calls at once; their statuses.
async fn basic_at_once(app: &TestApp, user: &str, pass: &str, n: usize) -> Vec<u16> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let request = app
            .api_client()
            .get(app.url("/v4/apiAccessTokens"))
            .basic_auth(user, Some(pass));
        tasks.push(tokio::spawn(async move {
            request.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[actix_web::test]
async fn forty_concurrent_wrong_basic_passwords_for_one_user_check_only_five() {
    let app = app_with_alice().await;
    let statuses = basic_at_once(&app, ALICE, "not the password", 40).await;
    assert_eq!(count(&statuses, 401), 5, "checked: {statuses:?}");
    assert_eq!(count(&statuses, 429), 35, "refused: {statuses:?}");
    // And the right password is refused now too, for the window.
    assert_eq!(basic_at_once(&app, ALICE, PASSWORD, 1).await, [429]);
}

#[actix_web::test]
async fn forty_concurrent_correct_basic_calls_are_all_answered() {
    let app = app_with_alice().await;
    let statuses = basic_at_once(&app, ALICE, PASSWORD, 40).await;
    assert_eq!(count(&statuses, 200), 40, "{statuses:?}");
}

#[actix_web::test]
async fn forty_concurrent_wrong_sign_ins_on_the_page_check_only_five() {
    let app = app_with_alice().await;
    let client = browser("attacker");
    let html = app.html(&client, "/login").await;
    let csrf = csrf_token(&html);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let request = client.post(app.url("/login")).form(&[
            ("csrf_token", csrf.as_str()),
            ("username", ALICE),
            ("password", "not the password"),
        ]);
        tasks.push(tokio::spawn(async move {
            request.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(count(&statuses, 401), 5, "checked: {statuses:?}");
    assert_eq!(count(&statuses, 429), 35, "refused: {statuses:?}");
}

#[actix_web::test]
async fn a_password_set_by_an_admin_must_be_changed_at_the_first_sign_in() {
    let app = app_with_alice().await;
    let initial = "the admin's initial password";
    let added = app
        .api_client()
        .post(app.url("/v4/workspaceMembers"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"username": "newbie", "role": "member", "password": initial}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);

    // The API refuses the admin's password until it has been changed.
    let basic = app
        .api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .basic_auth("newbie", Some(initial))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 403);
    let body: Value = basic.json().await.unwrap();
    assert_eq!(
        body["exception"]["name"], "AccessControlException",
        "{body}"
    );
    assert!(
        body["exception"]["message"]
            .as_str()
            .unwrap()
            .contains("change it first"),
        "{body}"
    );

    // The page signs them in, straight to Change Password, and every other page
    // leads there, saying why.
    let newbie = browser("newbie");
    let response = app.sign_in(&newbie, "newbie", initial).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], SIGNED_IN_PAGE);
    for page in [
        "/preferences/access-tokens",
        "/preferences/oauth-tokens",
        "/preferences/sessions",
    ] {
        let (status, location) = status_of(&app, &newbie, page).await;
        assert_eq!(status, 303, "{page}");
        assert_eq!(location, SIGNED_IN_PAGE, "{page}");
    }
    let html = app.html(&newbie, SIGNED_IN_PAGE).await;
    assert!(html.contains(r#"id="password-must-change""#), "{html}");
    assert!(html.contains("An administrator set your password"));

    let own = "newbie's very own passphrase";
    change_password(&app, &newbie, initial, own).await;
    assert_eq!(
        status_of(&app, &newbie, "/preferences/access-tokens").await,
        open()
    );
    let html = app.html(&newbie, SIGNED_IN_PAGE).await;
    assert!(!html.contains(r#"id="password-must-change""#));
    assert_eq!(basic_at_once(&app, "newbie", own, 1).await, [200]);
}

#[actix_web::test]
async fn users_the_operator_creates_are_not_asked_to_change_their_password() {
    let app = app_with_alice().await;
    let alice = browser("alice");
    let response = app.sign_in(&alice, ALICE, PASSWORD).await;
    assert_eq!(response.headers()[LOCATION], "/preferences/access-tokens");
    assert_eq!(basic_at_once(&app, ALICE, PASSWORD, 1).await, [200]);
}

#[actix_web::test]
async fn a_password_changed_with_the_cli_ends_every_session_of_the_user() {
    let app = app_with_alice().await;
    let alice = browser("alice");
    let saved = cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_access-tokens"))
        .args(["user", "passwd", ALICE, "--password-stdin", "--database"])
        .arg(app.db.arg())
        .current_dir(app.db.dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"the operator's new passphrase\n").unwrap();
    }
    assert!(child.wait().unwrap().success());

    assert!(sessions_of(&app, ALICE).is_empty(), "the rows are gone");
    assert_eq!(with_cookie(&app.address, &saved).await, signed_out());
}

#[actix_web::test]
async fn the_key_that_reveals_a_new_token_stays_out_of_the_database_in_its_own_cookie() {
    let app = app_with_alice().await;
    let alice = browser("alice");
    let session_only = cookie_of_sign_in(&app, &alice, ALICE, PASSWORD).await;
    let page = "/preferences/access-tokens";
    let html = app.html(&alice, page).await;
    let generated = post_with_csrf(
        &app,
        &alice,
        page,
        &csrf_token(&html),
        &[("lifetime_days", "30"), ("description", "revealed once")],
    )
    .await;
    assert_eq!(generated.status(), 303);
    assert!(
        generated
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("access_tokens_state=")),
        "the ticket travels in the state cookie"
    );

    // The session alone (all the database knows of this browser) shows nothing.
    let without_ticket = get_with_cookie(&app.address, page, &session_only).await;
    assert_eq!(without_ticket.status(), 200);
    assert!(!without_ticket
        .text()
        .await
        .unwrap()
        .contains(r#"id="new-token-value""#));

    // The browser, with its state cookie, is shown the value once.
    let html = app.html(&alice, page).await;
    assert!(html.contains(r#"id="new-token-value""#), "{html}");
    let html = app.html(&alice, page).await;
    assert!(!html.contains(r#"id="new-token-value""#), "once only");
}

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_sign_in_page_has_labelled_username_and_password_fields_and_a_sign_in_button() {
    let app = spawn_app().await;
    let doc = page(&app, &app.browser_client(), "/login").await;
    let root = doc.root_element();

    let username = labelled(root, "Username");
    assert_eq!(username.value().name(), "input");
    assert_eq!(attr(username, "name"), "username");
    let password = labelled(root, "Password");
    assert_eq!(password.value().name(), "input");
    assert_eq!(attr(password, "name"), "password");
    assert_eq!(attr(password, "type"), "password");

    let button = with_text(root, "button", "Sign in");
    assert_eq!(attr(button, "type"), "submit");
}

#[actix_web::test]
async fn a_wrong_password_shows_an_inline_error_and_keeps_the_username() {
    let app = app_with_members(&[ALICE]).await;
    let response = app.sign_in(&app.browser_client(), ALICE, "wrong").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let doc = Html::parse_document(&response.text().await.unwrap());
    let root = doc.root_element();
    assert_eq!(
        text(find(root, "#login-error")),
        "Invalid username or password."
    );
    assert_eq!(attr(find(root, "input#username"), "value"), ALICE);
    // The password is never sent back.
    assert_eq!(find(root, "input#password").value().attr("value"), None);
}

#[actix_web::test]
async fn an_unknown_user_gets_the_same_error_and_status_as_a_wrong_password() {
    let app = app_with_members(&[ALICE]).await;
    let wrong = app.sign_in(&app.browser_client(), ALICE, "wrong").await;
    let unknown = app
        .sign_in(&app.browser_client(), "mallory", PASSWORD)
        .await;
    assert_eq!(wrong.status(), unknown.status());
    let message = |html: String| {
        text(find(
            Html::parse_document(&html).root_element(),
            "#login-error",
        ))
    };
    let wrong_message = message(wrong.text().await.unwrap());
    let unknown_body = unknown.text().await.unwrap();
    assert_eq!(wrong_message, message(unknown_body.clone()));
    let doc = Html::parse_document(&unknown_body);
    assert_eq!(
        attr(find(doc.root_element(), "input#username"), "value"),
        "mallory"
    );
}

#[actix_web::test]
async fn signing_in_redirects_to_the_access_tokens_page() {
    let app = app_with_members(&[ALICE]).await;
    let client = app.browser_client();
    let response = app.sign_in(&client, ALICE, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
    let doc = page(&app, &client, PAGE).await;
    assert!(text(find(doc.root_element(), ".user-menu summary")).contains(ALICE));
}

#[actix_web::test]
async fn after_five_failed_sign_ins_even_the_right_password_is_throttled() {
    let app = app_with_members(&[ALICE]).await;
    let client = app.browser_client();
    for attempt in 1..=5 {
        let response = app.sign_in(&client, ALICE, "wrong").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let response = app.sign_in(&client, ALICE, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = header(response.headers(), "retry-after").parse().unwrap();
    assert!(retry_after > 0);
    let doc = Html::parse_document(&response.text().await.unwrap());
    let message = text(find(doc.root_element(), "#login-error"));
    assert!(
        message.contains("Too many failed sign-in attempts") && message.contains("minute"),
        "{message}"
    );
    assert_eq!(
        attr(find(doc.root_element(), "input#username"), "value"),
        ALICE
    );
    // And it did not sign in.
    let response = get(&app, &client, PAGE).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
}

#[actix_web::test]
async fn a_throttled_user_does_not_lock_out_another_user() {
    let app = app_with_members(&[ALICE, BOB]).await;
    for _ in 0..5 {
        app.sign_in(&app.browser_client(), ALICE, "wrong").await;
    }
    let response = app.sign_in(&app.browser_client(), BOB, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn signing_in_without_the_forms_csrf_token_is_refused() {
    let app = app_with_members(&[ALICE]).await;
    let client = app.browser_client();
    get(&app, &client, "/login").await;
    let response = post_form(
        &app,
        &client,
        "/login",
        &[("username", ALICE), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &client, PAGE).await, signed_out());
}

// ---------------------------------------------------------------------------
// Where signed-in and signed-out people are sent
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_start_page_redirects_to_sign_in_when_signed_out() {
    let app = spawn_app().await;
    let response = get(&app, &app.browser_client(), "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
}

#[actix_web::test]
async fn the_start_page_redirects_to_the_access_tokens_page_when_signed_in() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = get(&app, &browser.client, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
}

#[actix_web::test]
async fn the_access_tokens_pages_redirect_to_sign_in_when_signed_out() {
    let app = spawn_app().await;
    let client = app.browser_client();
    for path in [PAGE, NEW_PAGE] {
        let response = get(&app, &client, path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login", "{path}");
    }
}

#[actix_web::test]
async fn the_sign_in_page_redirects_to_the_access_tokens_page_when_signed_in() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = get(&app, &browser.client, "/login").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
}

// ---------------------------------------------------------------------------
// The user menu and signing out
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_user_menu_links_to_the_access_tokens_page() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let menu = find(doc.root_element(), ".user-menu");
    let link = with_text(menu, "a", "Preferences > Access Tokens");
    assert_eq!(attr(link, "href"), PAGE);
}

#[actix_web::test]
async fn the_user_menu_has_a_sign_out_form_with_the_csrf_token() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let menu = find(doc.root_element(), ".user-menu");
    let form = find(menu, r#"form[action="/logout"]"#);
    assert_eq!(attr(form, "method").to_ascii_lowercase(), "post");
    assert_eq!(
        attr(find(form, r#"input[name="csrf_token"]"#), "value"),
        browser.csrf
    );
    let button = with_text(form, "button", "Sign out");
    assert_eq!(attr(button, "type"), "submit");
}

#[actix_web::test]
async fn signing_out_ends_the_session() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = browser.submit(&app, "/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");

    let response = get(&app, &browser.client, PAGE).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
}

#[actix_web::test]
async fn signing_out_without_a_csrf_token_is_refused_and_keeps_the_session() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = post_form(&app, &browser.client, "/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &browser.client, PAGE).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn signing_out_with_a_wrong_csrf_token_is_refused_and_keeps_the_session() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let wrong = someone_elses_csrf(&app).await;
    let response = post_form(&app, &browser.client, "/logout", &[("csrf_token", &wrong)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &browser.client, PAGE).await.status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------------------
// The session cookie, and sessions across restarts and instances
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_session_cookie_is_http_only_and_same_site_lax_but_not_secure_by_default() {
    let app = app_with_members(&[ALICE]).await;
    let response = app.sign_in(&app.browser_client(), ALICE, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let attributes = cookie_attributes(&session_set_cookie(response.headers()));
    assert!(attributes.contains(&"httponly".into()), "{attributes:?}");
    assert!(
        attributes.contains(&"samesite=lax".into()),
        "{attributes:?}"
    );
    assert!(!attributes.contains(&"secure".into()), "{attributes:?}");
}

#[actix_web::test]
async fn the_session_cookie_is_secure_when_configured() {
    let app = spawn_app_with(|s| s.secure_cookie = true).await;
    let response = get(&app, &app.browser_client(), "/login").await;
    let attributes = cookie_attributes(&session_set_cookie(response.headers()));
    assert!(attributes.contains(&"secure".into()), "{attributes:?}");
    assert!(attributes.contains(&"httponly".into()), "{attributes:?}");
}

#[actix_web::test]
async fn a_restart_keeps_people_signed_in() {
    let app = app_with_members(&[ALICE]).await;
    let cookie = cookie_of_sign_in(&app, &app.browser_client(), ALICE, PASSWORD).await;
    assert_eq!(
        get_with_cookie(&app.address, PAGE, &cookie).await.status(),
        StatusCode::OK
    );

    let restarted = app.spawn_instance(|_| {}).await;
    let response = get_with_cookie(&restarted, PAGE, &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(ALICE));
}

#[actix_web::test]
async fn with_a_configured_session_key_sessions_carry_across_instances() {
    let key = || Some(SessionKey::parse("x".repeat(40)).unwrap());
    let app = spawn_app_with(|s| s.session_key = key()).await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    let cookie = cookie_of_sign_in(&app, &app.browser_client(), ALICE, PASSWORD).await;

    let second = app.spawn_instance(|s| s.session_key = key()).await;
    let response = get_with_cookie(&second, PAGE, &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn an_instance_with_another_session_key_does_not_accept_the_cookie() {
    let app =
        spawn_app_with(|s| s.session_key = Some(SessionKey::parse("x".repeat(40)).unwrap())).await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    let cookie = cookie_of_sign_in(&app, &app.browser_client(), ALICE, PASSWORD).await;

    let other = app
        .spawn_instance(|s| s.session_key = Some(SessionKey::parse("y".repeat(40)).unwrap()))
        .await;
    let response = get_with_cookie(&other, PAGE, &cookie).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
}
