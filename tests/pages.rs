//! HTTP-level tests of the server-rendered pages (no browser): each test starts its
//! own server over its own SQLite file and drives it with a cookie-keeping client
//! that does not follow redirects, parsing the HTML with `scraper`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use access_tokens::config::SessionKey;
use access_tokens::domain::Role;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{NaiveDateTime, Utc};
use common::{csrf_token, spawn_app, spawn_app_with, TestApp, PASSWORD};
use reqwest::header::HeaderMap;
use reqwest::{Client, Response, StatusCode};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

const ALICE: &str = "alice";
const BOB: &str = "bob";
const PAGE: &str = "/preferences/access-tokens";
const NEW_PAGE: &str = "/preferences/access-tokens/new";
const SESSION_COOKIE: &str = "access_tokens_session";
const COLUMNS: [&str; 6] = [
    "Token ID",
    "Description",
    "Status",
    "Created",
    "Expires",
    "Last used",
];

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A signed-in browser: its cookie-keeping client and its session's CSRF token.
struct Browser {
    client: Client,
    csrf: String,
}

/// A server with the user alice.
async fn app_with_alice() -> TestApp {
    let app = spawn_app().await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    app
}

/// A server with the users alice and bob.
async fn app_with_alice_and_bob() -> TestApp {
    let app = app_with_alice().await;
    app.create_user(BOB, PASSWORD, Role::Member);
    app
}

/// Signs `user` in through the sign-in form and reads the session's CSRF token.
async fn signed_in(app: &TestApp, user: &str) -> Browser {
    let client = app.browser_client();
    let response = app.sign_in(&client, user, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "signing {user} in"
    );
    // The form page does not consume a pending token reveal, unlike the list page.
    let html = get(app, &client, NEW_PAGE).await.text().await.unwrap();
    Browser {
        csrf: csrf_token(&html),
        client,
    }
}

async fn get(app: &TestApp, client: &Client, path: &str) -> Response {
    client.get(app.url(path)).send().await.unwrap()
}

async fn post_form(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

/// GETs a page and parses it; panics unless it answers 200.
async fn page(app: &TestApp, client: &Client, path: &str) -> Html {
    let response = get(app, client, path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    Html::parse_document(&response.text().await.unwrap())
}

fn location(response: &Response) -> &str {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_str()
        .unwrap()
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
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

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// An element's text with whitespace collapsed.
fn text(el: ElementRef) -> String {
    el.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn all<'a>(root: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    root.select(&sel(css)).collect()
}

fn find<'a>(root: ElementRef<'a>, css: &str) -> ElementRef<'a> {
    root.select(&sel(css))
        .next()
        .unwrap_or_else(|| panic!("an element matching {css}"))
}

fn attr<'a>(el: ElementRef<'a>, name: &str) -> &'a str {
    el.value()
        .attr(name)
        .unwrap_or_else(|| panic!("a {name} attribute on <{}>", el.value().name()))
}

/// The first element matching `css` whose text is `wanted`.
fn with_text<'a>(root: ElementRef<'a>, css: &str, wanted: &str) -> ElementRef<'a> {
    all(root, css)
        .into_iter()
        .find(|el| text(*el) == wanted)
        .unwrap_or_else(|| panic!("a {css} with the text {wanted:?}"))
}

/// The control a `<label>` with this text points to through its `for` attribute.
fn labelled<'a>(root: ElementRef<'a>, label: &str) -> ElementRef<'a> {
    let for_id = attr(with_text(root, "label", label), "for");
    find(root, &format!("#{for_id}"))
}

/// Generates a token through the page's form; returns the raw response.
async fn generate(app: &TestApp, browser: &Browser, lifetime: &str, description: &str) -> Response {
    post_form(
        app,
        &browser.client,
        PAGE,
        &[
            ("csrf_token", browser.csrf.as_str()),
            ("lifetime_days", lifetime),
            ("description", description),
        ],
    )
    .await
}

/// Generates a token through the page and reads its id and value from the page it
/// redirects to.
async fn generate_token(
    app: &TestApp,
    browser: &Browser,
    lifetime: &str,
    description: &str,
) -> (String, String) {
    let response = generate(app, browser, lifetime, description).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "generating a token"
    );
    let doc = page(app, &browser.client, PAGE).await;
    let root = doc.root_element();
    (
        text(find(root, "#new-token-id")),
        text(find(root, "#new-token-value")),
    )
}

/// The rows of the tokens table, each as `data-label -> cell text` plus "id".
fn rows(doc: &Html) -> Vec<HashMap<String, String>> {
    all(doc.root_element(), "#tokens-table tbody tr")
        .into_iter()
        .map(|tr| {
            let mut row: HashMap<String, String> = all(tr, "td[data-label]")
                .into_iter()
                .map(|td| (attr(td, "data-label").to_owned(), text(td)))
                .collect();
            row.insert("id".into(), attr(tr, "data-token-id").to_owned());
            row
        })
        .collect()
}

async fn token_rows(app: &TestApp, browser: &Browser) -> Vec<HashMap<String, String>> {
    rows(&page(app, &browser.client, PAGE).await)
}

/// Whether a page time reads `YYYY-MM-DD HH:MM:SS`.
fn is_display_time(s: &str) -> bool {
    let shape = s.len() == 19
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        });
    shape && NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok()
}

fn parse_display_time(s: &str) -> NaiveDateTime {
    assert!(is_display_time(s), "{s:?} is not YYYY-MM-DD HH:MM:SS");
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// The token list through the API with a Bearer token; returns the status.
async fn api_status_with_token(app: &TestApp, token: &str) -> StatusCode {
    app.api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// A CSRF token that is valid, but for another (anonymous) session.
async fn someone_elses_csrf(app: &TestApp) -> String {
    let html = get(app, &app.browser_client(), "/login")
        .await
        .text()
        .await
        .unwrap();
    csrf_token(&html)
}

/// Posts the sign-in form with a password; returns the response.
async fn attempt_sign_in(app: &TestApp, client: &Client, user: &str, pass: &str) -> Response {
    app.sign_in(client, user, pass).await
}

// ---------------------------------------------------------------------------
// Sign in
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
    let app = app_with_alice().await;
    let response = attempt_sign_in(&app, &app.browser_client(), ALICE, "wrong").await;
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
    let app = app_with_alice().await;
    let wrong = attempt_sign_in(&app, &app.browser_client(), ALICE, "wrong").await;
    let unknown = attempt_sign_in(&app, &app.browser_client(), "mallory", PASSWORD).await;
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
    let app = app_with_alice().await;
    let client = app.browser_client();
    let response = app.sign_in(&client, ALICE, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
    let doc = page(&app, &client, PAGE).await;
    assert!(text(find(doc.root_element(), ".user-menu summary")).contains(ALICE));
}

#[actix_web::test]
async fn after_five_failed_sign_ins_even_the_right_password_is_throttled() {
    let app = app_with_alice().await;
    let client = app.browser_client();
    for attempt in 1..=5 {
        let response = attempt_sign_in(&app, &client, ALICE, "wrong").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let response = attempt_sign_in(&app, &client, ALICE, PASSWORD).await;
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
    let app = app_with_alice_and_bob().await;
    for _ in 0..5 {
        attempt_sign_in(&app, &app.browser_client(), ALICE, "wrong").await;
    }
    let response = attempt_sign_in(&app, &app.browser_client(), BOB, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------
// Redirects
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
    let app = app_with_alice().await;
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
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = get(&app, &browser.client, "/login").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
}

// ---------------------------------------------------------------------------
// User menu and sign out
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_user_menu_links_to_the_access_tokens_page() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let menu = find(doc.root_element(), ".user-menu");
    let link = with_text(menu, "a", "Preferences > Access Tokens");
    assert_eq!(attr(link, "href"), PAGE);
}

#[actix_web::test]
async fn the_user_menu_has_a_sign_out_form_with_the_csrf_token() {
    let app = app_with_alice().await;
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
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = post_form(
        &app,
        &browser.client,
        "/logout",
        &[("csrf_token", &browser.csrf)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");

    let response = get(&app, &browser.client, PAGE).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
}

// ---------------------------------------------------------------------------
// The Access Tokens page
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_access_tokens_page_has_its_heading_and_a_generate_new_token_button() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let root = doc.root_element();
    assert_eq!(text(find(root, "h1")), "Access Tokens");
    let button = with_text(root, "a, button", "Generate New Token");
    assert_eq!(attr(button, "href"), NEW_PAGE);
}

#[actix_web::test]
async fn with_no_tokens_the_page_says_so_instead_of_showing_a_table() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let root = doc.root_element();
    let empty = text(find(root, "#no-tokens"));
    assert!(empty.contains("You have no access tokens yet"), "{empty}");
    assert!(all(root, "table").is_empty());
}

#[actix_web::test]
async fn the_tokens_table_has_exactly_the_six_columns_in_order() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    generate_token(&app, &browser, "30", "").await;
    let doc = page(&app, &browser.client, PAGE).await;
    let headings: Vec<String> = all(doc.root_element(), "#tokens-table thead th")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(headings, COLUMNS);
    assert!(all(doc.root_element(), "#no-tokens").is_empty());
}

#[actix_web::test]
async fn a_new_never_expiring_token_shows_active_never_and_never_used() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "-1", "deploy bot").await;
    let rows = token_rows(&app, &browser).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["id"], id);
    assert_eq!(row["Token ID"], id);
    assert_eq!(row["Description"], "deploy bot");
    assert_eq!(row["Status"], "Active");
    assert_eq!(row["Expires"], "Never");
    assert_eq!(row["Last used"], "Never Used");
}

#[actix_web::test]
async fn times_are_shown_as_year_month_day_hours_minutes_seconds() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let before = Utc::now().naive_utc() - chrono::Duration::seconds(2);
    generate_token(&app, &browser, "30", "").await;
    let after = Utc::now().naive_utc() + chrono::Duration::seconds(2);
    let row = &token_rows(&app, &browser).await[0];
    let created = parse_display_time(&row["Created"]);
    assert!(before <= created && created <= after, "created {created}");
    let expires = parse_display_time(&row["Expires"]);
    assert_eq!(expires - created, chrono::Duration::days(30));
}

#[actix_web::test]
async fn a_used_token_shows_when_it_was_last_used() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (_, value) = generate_token(&app, &browser, "30", "").await;
    assert_eq!(api_status_with_token(&app, &value).await, StatusCode::OK);
    // "Last used" is written behind, within a second.
    let start = std::time::Instant::now();
    let row = loop {
        let row = token_rows(&app, &browser).await.remove(0);
        if row["Last used"] != "Never Used" || start.elapsed().as_millis() > 1500 {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let last_used = parse_display_time(&row["Last used"]);
    assert!(last_used >= parse_display_time(&row["Created"]));
}

#[actix_web::test]
async fn a_token_past_its_expiry_shows_expired() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let past = Utc::now().timestamp_millis() - 60_000;
    app.execute_sql(&format!(
        "UPDATE api_tokens SET expires_at = {past} WHERE id = '{id}'"
    ));
    let row = &token_rows(&app, &browser).await[0];
    assert_eq!(row["Status"], "Expired");
    assert!(is_display_time(&row["Expires"]), "{}", row["Expires"]);
}

#[actix_web::test]
async fn tokens_are_listed_newest_first() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    for description in ["first", "second", "third"] {
        generate_token(&app, &browser, "30", description).await;
        // Creation times are in milliseconds: make them differ.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let descriptions: Vec<String> = token_rows(&app, &browser)
        .await
        .iter()
        .map(|r| r["Description"].clone())
        .collect();
    assert_eq!(descriptions, ["third", "second", "first"]);
}

// ---------------------------------------------------------------------------
// The Generate Token form
// ---------------------------------------------------------------------------

/// Checks the fields, hint and buttons of a Generate Token form inside `root`.
fn assert_generate_form(root: ElementRef) {
    let forms = all(root, &format!(r#"form[action="{PAGE}"]"#));
    assert_eq!(forms.len(), 1, "one Generate Token form");
    let form = forms[0];
    assert_eq!(attr(form, "method").to_ascii_lowercase(), "post");
    assert!(!attr(find(form, r#"input[name="csrf_token"]"#), "value").is_empty());

    let lifetime = labelled(form, "Lifetime (days)");
    assert_eq!(attr(lifetime, "name"), "lifetime_days");
    assert_eq!(attr(lifetime, "value"), "365");
    let hint = with_text(
        form,
        ".hint",
        "Set lifetime to -1 to have the token never expire.",
    );
    assert!(
        attr(lifetime, "aria-describedby").contains(attr(hint, "id")),
        "the hint describes the lifetime field"
    );

    let description = labelled(form, "Description (optional)");
    assert_eq!(attr(description, "name"), "description");
    assert_eq!(description.value().attr("value").unwrap_or(""), "");

    let cancel = with_text(form, "a, button", "Cancel");
    if cancel.value().name() == "a" {
        assert_eq!(attr(cancel, "href"), PAGE);
    }
    let generate = with_text(form, "button", "Generate");
    assert_eq!(attr(generate, "type"), "submit");
    assert!(all(form, ".field-error").is_empty());
}

#[actix_web::test]
async fn the_generate_token_page_has_the_form_with_a_365_day_default() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, NEW_PAGE).await;
    assert_eq!(text(find(doc.root_element(), "h1")), "Generate Token");
    assert_generate_form(doc.root_element());
}

#[actix_web::test]
async fn the_access_tokens_page_has_the_generate_token_dialog() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let root = doc.root_element();
    let dialog = find(root, "dialog#generate-token-dialog");
    assert_eq!(text(find(dialog, "h2")), "Generate Token");
    assert_generate_form(dialog);
    // The button that opens it names it.
    let opener = with_text(root, "a, button", "Generate New Token");
    assert_eq!(
        opener.value().attr("data-open-dialog"),
        Some("generate-token-dialog")
    );
}

// ---------------------------------------------------------------------------
// Generating a token and seeing its value once
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn generating_a_token_redirects_to_the_access_tokens_page() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate(&app, &browser, "30", "ci").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
    assert_eq!(app.token_count(), 1);
}

#[actix_web::test]
async fn the_page_after_generating_shows_the_token_value_once_uncached() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    generate(&app, &browser, "30", "ci").await;
    let response = get(&app, &browser.client, PAGE).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "cache-control"), "no-store");
    let doc = Html::parse_document(&response.text().await.unwrap());
    let root = doc.root_element();

    let value = text(find(root, "#new-token-value"));
    assert!(!value.is_empty());
    let id = text(find(root, "#new-token-id"));
    let row = &rows(&doc)[0];
    assert_eq!(row["id"], id);
    let copy = with_text(root, "button", "Copy Token to clipboard");
    assert_eq!(attr(copy, "type"), "button");
    let warning = text(find(root, "#my-token .warning"));
    assert!(warning.contains("cannot be shown again"), "{warning}");
}

#[actix_web::test]
async fn the_shown_value_decodes_to_the_shown_token_id() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &browser, "30", "").await;
    let json: Value =
        serde_json::from_slice(&BASE64.decode(&value).expect("base64")).expect("JSON");
    assert_eq!(json["tokenId"], id.as_str());
    let secret = json["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 64);
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
}

#[actix_web::test]
async fn the_generated_token_works_on_the_api() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (_, value) = generate_token(&app, &browser, "30", "").await;
    assert_eq!(api_status_with_token(&app, &value).await, StatusCode::OK);
}

#[actix_web::test]
async fn reloading_the_page_does_not_show_the_value_again() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &browser, "30", "").await;
    let html = get(&app, &browser.client, PAGE).await.text().await.unwrap();
    assert!(!html.contains(&value));
    let doc = Html::parse_document(&html);
    assert!(all(doc.root_element(), "#new-token-value").is_empty());
    assert!(all(doc.root_element(), "#my-token").is_empty());
    assert_eq!(rows(&doc)[0]["id"], id);
}

#[actix_web::test]
async fn the_token_value_is_in_neither_the_redirect_nor_a_cookie() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let post = generate(&app, &browser, "30", "").await;
    let redirect = location(&post).to_owned();
    let mut cookies = set_cookies(post.headers());
    let shown = get(&app, &browser.client, PAGE).await;
    cookies.extend(set_cookies(shown.headers()));
    let doc = Html::parse_document(&shown.text().await.unwrap());
    let value = text(find(doc.root_element(), "#new-token-value"));
    let secret = serde_json::from_slice::<Value>(&BASE64.decode(&value).unwrap()).unwrap()
        ["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    assert!(!redirect.contains(&value) && !redirect.contains(&secret));
    for cookie in cookies {
        assert!(!cookie.contains(&value), "{cookie}");
        assert!(!cookie.contains(&secret), "{cookie}");
    }
}

#[actix_web::test]
async fn reloading_after_generating_does_not_create_another_token() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    generate_token(&app, &browser, "30", "").await;
    let rows = token_rows(&app, &browser).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(app.token_count(), 1);
}

// ---------------------------------------------------------------------------
// Invalid input to the Generate Token form
// ---------------------------------------------------------------------------

/// Posts the form with these values and checks it is refused: a 4xx, no token, the
/// message in the field's `.field-error`, the typed values kept.
async fn assert_refused(lifetime: &str, description: &str, field_id: &str, expect: &str) {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate(&app, &browser, lifetime, description).await;
    assert!(
        response.status().is_client_error(),
        "lifetime {lifetime:?}: status {}",
        response.status()
    );
    assert_eq!(
        app.token_count(),
        0,
        "lifetime {lifetime:?}: no token created"
    );
    let doc = Html::parse_document(&response.text().await.unwrap());
    let root = doc.root_element();

    let field = all(root, ".field")
        .into_iter()
        .find(|f| !all(*f, &format!("#{field_id}")).is_empty())
        .expect("the invalid field");
    let message = text(find(field, ".field-error"));
    assert!(
        message.contains(expect),
        "{message:?} should contain {expect:?}"
    );
    let input = find(field, &format!("#{field_id}"));
    assert_eq!(input.value().attr("aria-invalid"), Some("true"));
    let error_id = attr(find(field, ".field-error"), "id");
    assert!(attr(input, "aria-describedby").contains(error_id));
    assert_eq!(
        all(root, ".field-error").len(),
        1,
        "only the invalid field has an error"
    );

    assert_eq!(attr(find(root, "#lifetime-days"), "value"), lifetime);
    assert_eq!(
        find(root, "#description")
            .value()
            .attr("value")
            .unwrap_or(""),
        description
    );
}

#[actix_web::test]
async fn a_lifetime_of_zero_is_refused() {
    assert_refused("0", "zero", "lifetime-days", "-1").await;
}

#[actix_web::test]
async fn a_lifetime_of_minus_two_is_refused() {
    assert_refused("-2", "minus two", "lifetime-days", "-1").await;
}

#[actix_web::test]
async fn a_lifetime_that_is_not_a_number_is_refused() {
    assert_refused("abc", "letters", "lifetime-days", "whole number").await;
}

#[actix_web::test]
async fn an_empty_lifetime_is_refused() {
    assert_refused("", "empty", "lifetime-days", "whole number").await;
}

#[actix_web::test]
async fn a_lifetime_over_ten_years_is_refused() {
    assert_refused("3651", "too long", "lifetime-days", "3650").await;
}

#[actix_web::test]
async fn a_description_of_256_characters_is_refused() {
    assert_refused("30", &"d".repeat(256), "description", "255").await;
}

#[actix_web::test]
async fn a_lifetime_of_minus_one_is_accepted() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate(&app, &browser, "-1", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(token_rows(&app, &browser).await[0]["Expires"], "Never");
}

#[actix_web::test]
async fn a_lifetime_of_ten_years_is_accepted() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate(&app, &browser, "3650", &"d".repeat(255)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let row = &token_rows(&app, &browser).await[0];
    let lifetime = parse_display_time(&row["Expires"]) - parse_display_time(&row["Created"]);
    assert_eq!(lifetime, chrono::Duration::days(3650));
}

// ---------------------------------------------------------------------------
// Deleting a token
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn each_row_has_a_menu_with_a_delete_token_link() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let doc = page(&app, &browser.client, PAGE).await;
    let row = find(doc.root_element(), &format!(r#"tr[data-token-id="{id}"]"#));
    let menu = find(row, "details");
    assert_eq!(text(find(menu, "summary")), "⋮");
    let link = with_text(menu, "a", "Delete Token...");
    assert_eq!(attr(link, "href"), format!("{PAGE}/{id}/delete"));
}

#[actix_web::test]
async fn the_delete_confirmation_warns_it_cannot_be_undone() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let path = format!("{PAGE}/{id}/delete");
    let doc = page(&app, &browser.client, &path).await;
    let root = doc.root_element();
    assert!(text(root).contains("Deleting a token cannot be undone."));
    assert!(text(find(root, "main")).contains(&id));
    let form = find(root, &format!(r#"main form[action="{path}"]"#));
    assert_eq!(attr(form, "method").to_ascii_lowercase(), "post");
    let button = with_text(form, "button", "Delete");
    assert_eq!(attr(button, "type"), "submit");
}

#[actix_web::test]
async fn deleting_a_token_removes_it_and_says_so() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let response = post_form(
        &app,
        &browser.client,
        &format!("{PAGE}/{id}/delete"),
        &[("csrf_token", &browser.csrf)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);

    let doc = page(&app, &browser.client, PAGE).await;
    let flash = text(find(doc.root_element(), ".flash"));
    assert!(flash.contains(&id) && flash.contains("deleted"), "{flash}");
    assert!(rows(&doc).is_empty());
    assert_eq!(app.token_count(), 0);
}

#[actix_web::test]
async fn a_deleted_token_no_longer_works_on_the_api() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &browser, "30", "").await;
    assert_eq!(api_status_with_token(&app, &value).await, StatusCode::OK);
    post_form(
        &app,
        &browser.client,
        &format!("{PAGE}/{id}/delete"),
        &[("csrf_token", &browser.csrf)],
    )
    .await;
    assert_eq!(
        api_status_with_token(&app, &value).await,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn a_user_does_not_see_another_users_tokens() {
    let app = app_with_alice_and_bob().await;
    let alice = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &alice, "30", "alice's").await;
    let bob = signed_in(&app, BOB).await;
    let html = get(&app, &bob.client, PAGE).await.text().await.unwrap();
    assert!(!html.contains(&id));
    assert!(rows(&Html::parse_document(&html)).is_empty());
}

#[actix_web::test]
async fn a_user_gets_404_for_the_confirmation_of_another_users_token() {
    let app = app_with_alice_and_bob().await;
    let alice = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &alice, "30", "").await;
    let bob = signed_in(&app, BOB).await;
    let response = get(&app, &bob.client, &format!("{PAGE}/{id}/delete")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_user_cannot_delete_another_users_token() {
    let app = app_with_alice_and_bob().await;
    let alice = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &alice, "30", "").await;
    let bob = signed_in(&app, BOB).await;
    let response = post_form(
        &app,
        &bob.client,
        &format!("{PAGE}/{id}/delete"),
        &[("csrf_token", &bob.csrf)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.token_count(), 1);
    assert_eq!(token_rows(&app, &alice).await[0]["id"], id);
    assert_eq!(api_status_with_token(&app, &value).await, StatusCode::OK);
}

#[actix_web::test]
async fn the_confirmation_of_an_unknown_or_malformed_token_id_is_404() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    for id in ["bab908f7-dcc2-4962-85bd-c1e96d0cacbd", "not-a-uuid"] {
        let response = get(&app, &browser.client, &format!("{PAGE}/{id}/delete")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
    }
}

// ---------------------------------------------------------------------------
// CSRF
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn generating_without_a_csrf_token_is_refused_and_creates_nothing() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let response = post_form(
        &app,
        &browser.client,
        PAGE,
        &[("lifetime_days", "30"), ("description", "forged")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.token_count(), 0);
}

#[actix_web::test]
async fn generating_with_a_wrong_csrf_token_is_refused_and_creates_nothing() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let wrong = someone_elses_csrf(&app).await;
    assert_ne!(wrong, browser.csrf);
    let response = post_form(
        &app,
        &browser.client,
        PAGE,
        &[
            ("csrf_token", wrong.as_str()),
            ("lifetime_days", "30"),
            ("description", "forged"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.token_count(), 0);
}

#[actix_web::test]
async fn deleting_without_a_csrf_token_is_refused_and_keeps_the_token() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let response = post_form(&app, &browser.client, &format!("{PAGE}/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.token_count(), 1);
}

#[actix_web::test]
async fn deleting_with_a_wrong_csrf_token_is_refused_and_keeps_the_token() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let wrong = someone_elses_csrf(&app).await;
    let response = post_form(
        &app,
        &browser.client,
        &format!("{PAGE}/{id}/delete"),
        &[("csrf_token", &wrong)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.token_count(), 1);
}

#[actix_web::test]
async fn signing_out_without_a_csrf_token_is_refused_and_keeps_the_session() {
    let app = app_with_alice().await;
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
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    let wrong = someone_elses_csrf(&app).await;
    let response = post_form(&app, &browser.client, "/logout", &[("csrf_token", &wrong)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &browser.client, PAGE).await.status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn signing_in_without_the_forms_csrf_token_is_refused() {
    let app = app_with_alice().await;
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
    assert_eq!(location_of_page(&app, &client).await, Some("/login".into()));
}

/// Where the Access Tokens page sends this client: `None` when it is shown.
async fn location_of_page(app: &TestApp, client: &Client) -> Option<String> {
    let response = get(app, client, PAGE).await;
    if response.status() == StatusCode::OK {
        return None;
    }
    Some(location(&response).to_owned())
}

// ---------------------------------------------------------------------------
// Session cookie and security headers
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_session_cookie_is_http_only_and_same_site_lax_but_not_secure_by_default() {
    let app = app_with_alice().await;
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

/// The pages a signed-in user can reach, with a token row, a just-shown value
/// and the error page among them; each as (path, headers, body).
async fn every_page(app: &TestApp) -> Vec<(String, HeaderMap, String)> {
    let anonymous = app.browser_client();
    let browser = signed_in(app, ALICE).await;
    let mut pages = Vec::new();
    let fetch = |path: String, response: Response| async move {
        let headers = response.headers().clone();
        (path, headers, response.text().await.unwrap())
    };
    pages.push(fetch("/login".into(), get(app, &anonymous, "/login").await).await);
    let failed = attempt_sign_in(app, &app.browser_client(), ALICE, "wrong").await;
    pages.push(fetch("/login (failed)".into(), failed).await);
    generate(app, &browser, "30", "<b>bold</b>").await;
    let id = {
        let (path, headers, body) = fetch(PAGE.into(), get(app, &browser.client, PAGE).await).await;
        let id = text(find(
            Html::parse_document(&body).root_element(),
            "#new-token-id",
        ));
        pages.push((format!("{path} (new token)"), headers, body));
        id
    };
    pages.push(fetch(PAGE.into(), get(app, &browser.client, PAGE).await).await);
    pages.push(fetch(NEW_PAGE.into(), get(app, &browser.client, NEW_PAGE).await).await);
    let invalid = generate(app, &browser, "abc", "").await;
    pages.push(fetch("generate (invalid)".into(), invalid).await);
    let delete = format!("{PAGE}/{id}/delete");
    pages.push(fetch(delete.clone(), get(app, &browser.client, &delete).await).await);
    pages.push(
        fetch(
            "/nowhere".into(),
            get(app, &browser.client, "/nowhere").await,
        )
        .await,
    );
    pages
}

#[actix_web::test]
async fn pages_send_a_strict_content_security_policy_and_framing_and_sniffing_headers() {
    let app = app_with_alice().await;
    for (path, headers, _) in every_page(&app).await {
        let csp = header(&headers, "content-security-policy");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(header(&headers, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(&headers, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert!(
            header(&headers, "content-type").starts_with("text/html"),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn pages_have_no_inline_script_style_or_event_handler_attributes() {
    let app = app_with_alice().await;
    for (path, _, body) in every_page(&app).await {
        let doc = Html::parse_document(&body);
        for script in all(doc.root_element(), "script") {
            assert!(
                script.text().collect::<String>().trim().is_empty(),
                "{path}: inline script"
            );
            assert!(
                script.value().attr("src").is_some(),
                "{path}: script without src"
            );
        }
        assert!(
            all(doc.root_element(), "style").is_empty(),
            "{path}: <style>"
        );
        for el in all(doc.root_element(), "*") {
            for (name, _) in el.value().attrs() {
                let name = name.to_ascii_lowercase();
                assert!(
                    name != "style" && !name.starts_with("on"),
                    "{path}: <{} {name}=...>",
                    el.value().name()
                );
            }
        }
    }
}

#[actix_web::test]
async fn a_description_is_escaped_on_the_page() {
    let app = app_with_alice().await;
    let browser = signed_in(&app, ALICE).await;
    generate_token(&app, &browser, "30", "<b>bold</b>").await;
    let html = get(&app, &browser.client, PAGE).await.text().await.unwrap();
    assert!(!html.contains("<b>bold</b>"));
    assert_eq!(
        rows(&Html::parse_document(&html))[0]["Description"],
        "<b>bold</b>"
    );
}

#[actix_web::test]
async fn the_stylesheet_is_served_as_css() {
    let app = spawn_app().await;
    let response = get(&app, &app.api_client(), "/static/app.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(response.headers(), "content-type").starts_with("text/css"));
    assert_eq!(
        header(response.headers(), "x-content-type-options"),
        "nosniff"
    );
    assert!(!response.text().await.unwrap().is_empty());
}

#[actix_web::test]
async fn the_script_is_served_as_javascript() {
    let app = spawn_app().await;
    let response = get(&app, &app.api_client(), "/static/app.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = header(response.headers(), "content-type");
    assert!(
        content_type.starts_with("text/javascript")
            || content_type.starts_with("application/javascript"),
        "{content_type}"
    );
    assert!(!response.text().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// Sessions across restarts
// ---------------------------------------------------------------------------

/// Signs alice in on `app` and returns `name=value` of her session cookie.
async fn session_cookie(app: &TestApp) -> String {
    let response = app.sign_in(&app.browser_client(), ALICE, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set_cookie = session_set_cookie(response.headers());
    set_cookie.split(';').next().unwrap().to_owned()
}

/// GETs the Access Tokens page at `address` with only this cookie.
async fn page_with_cookie(address: &str, cookie: &str) -> Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{address}{PAGE}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_restart_keeps_people_signed_in() {
    let app = app_with_alice().await;
    let cookie = session_cookie(&app).await;
    assert_eq!(
        page_with_cookie(&app.address, &cookie).await.status(),
        StatusCode::OK
    );

    let restarted = app.spawn_instance(|_| {}).await;
    let response = page_with_cookie(&restarted, &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(ALICE));
}

#[actix_web::test]
async fn with_a_configured_session_key_sessions_carry_across_instances() {
    let key = || Some(SessionKey::parse("x".repeat(40)).unwrap());
    let app = spawn_app_with(|s| s.session_key = key()).await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    let cookie = session_cookie(&app).await;

    let second = app.spawn_instance(|s| s.session_key = key()).await;
    let response = page_with_cookie(&second, &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn an_instance_with_another_session_key_does_not_accept_the_cookie() {
    let app =
        spawn_app_with(|s| s.session_key = Some(SessionKey::parse("x".repeat(40)).unwrap())).await;
    app.create_user(ALICE, PASSWORD, Role::Member);
    let cookie = session_cookie(&app).await;

    let other = app
        .spawn_instance(|s| s.session_key = Some(SessionKey::parse("y".repeat(40)).unwrap()))
        .await;
    let response = page_with_cookie(&other, &cookie).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
}

// ---------------------------------------------------------------------------
// Not found
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn an_unknown_page_is_a_404_html_page() {
    let app = spawn_app().await;
    let response = get(&app, &app.browser_client(), "/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(header(response.headers(), "content-type").starts_with("text/html"));
    let doc = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(text(find(doc.root_element(), "h1")), "Page not found");
}

#[actix_web::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let response = get(&app, &app.api_client(), "/v4/no/such/thing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(header(response.headers(), "content-type").contains("json"));
    let body: Value = response.json().await.expect("a JSON body");
    assert!(body.is_object());
}
