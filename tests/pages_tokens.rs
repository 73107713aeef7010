//! Preferences > Access Tokens over real HTTP, as a browser without JavaScript
//! uses it (scraper reads the HTML): the list and its columns, the Generate Token
//! form and dialog, a new token's value shown once, what the form refuses, deleting
//! after a confirmation, CSRF on every form, and another user's tokens kept out.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{NaiveDateTime, Utc};
use common::html::{all, attr, find, labelled, page, text, token_rows, with_text};
use common::{
    app_with_members, generate_on_page, get, header, location, post_form, set_cookies, signed_in,
    someone_elses_csrf, GenerateForm, SignedIn, TestApp, ALICE, BOB, TOKENS_PAGE as PAGE,
};
use reqwest::StatusCode;
use scraper::{ElementRef, Html};
use serde_json::Value;

const NEW_PAGE: &str = "/preferences/access-tokens/new";
const COLUMNS: [&str; 7] = [
    "Token ID",
    "Description",
    "Scopes",
    "Status",
    "Created",
    "Expires",
    "Last used",
];

/// Generates a token through the page and reads its id and value from the page it
/// redirects to.
async fn generate_token(
    app: &TestApp,
    browser: &SignedIn,
    lifetime: &str,
    description: &str,
) -> (String, String) {
    let response =
        generate_on_page(app, browser, GenerateForm::legacy(lifetime, description)).await;
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

/// The rows of the caller's tokens table, as listed now.
async fn listed(app: &TestApp, browser: &SignedIn) -> Vec<HashMap<String, String>> {
    token_rows(&page(app, &browser.client, PAGE).await)
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

// ---------------------------------------------------------------------------
// The Access Tokens page
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_access_tokens_page_has_its_heading_and_a_generate_new_token_button() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let root = doc.root_element();
    assert_eq!(text(find(root, "h1")), "Access Tokens");
    let button = with_text(root, "a, button", "Generate New Token");
    assert_eq!(attr(button, "href"), NEW_PAGE);
}

#[actix_web::test]
async fn with_no_tokens_the_page_says_so_instead_of_showing_a_table() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, PAGE).await;
    let root = doc.root_element();
    let empty = text(find(root, "#no-tokens"));
    assert!(empty.contains("You have no access tokens yet"), "{empty}");
    assert!(all(root, "table").is_empty());
}

#[actix_web::test]
async fn the_tokens_table_has_exactly_the_seven_columns_in_order() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "-1", "deploy bot").await;
    let rows = listed(&app, &browser).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let before = Utc::now().naive_utc() - chrono::Duration::seconds(2);
    generate_token(&app, &browser, "30", "").await;
    let after = Utc::now().naive_utc() + chrono::Duration::seconds(2);
    let row = &listed(&app, &browser).await[0];
    let created = parse_display_time(&row["Created"]);
    assert!(before <= created && created <= after, "created {created}");
    let expires = parse_display_time(&row["Expires"]);
    assert_eq!(expires - created, chrono::Duration::days(30));
}

#[actix_web::test]
async fn a_used_token_shows_when_it_was_last_used() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (_, value) = generate_token(&app, &browser, "30", "").await;
    assert_eq!(app.bearer_status(&value).await, 200);
    // "Last used" is written behind, within a second.
    let start = std::time::Instant::now();
    let row = loop {
        let row = listed(&app, &browser).await.remove(0);
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let past = Utc::now().timestamp_millis() - 60_000;
    app.execute_sql(&format!(
        "UPDATE api_tokens SET expires_at = {past} WHERE id = '{id}'"
    ));
    let row = &listed(&app, &browser).await[0];
    assert_eq!(row["Status"], "Expired");
    assert!(is_display_time(&row["Expires"]), "{}", row["Expires"]);
}

#[actix_web::test]
async fn tokens_are_listed_newest_first() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    for description in ["first", "second", "third"] {
        generate_token(&app, &browser, "30", description).await;
        // Creation times are in milliseconds: make them differ.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let descriptions: Vec<String> = listed(&app, &browser)
        .await
        .iter()
        .map(|r| r["Description"].clone())
        .collect();
    assert_eq!(descriptions, ["third", "second", "first"]);
}

#[actix_web::test]
async fn a_description_is_escaped_on_the_page() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    generate_token(&app, &browser, "30", "<b>bold</b>").await;
    let html = get(&app, &browser.client, PAGE).await.text().await.unwrap();
    assert!(!html.contains("<b>bold</b>"));
    assert_eq!(
        token_rows(&Html::parse_document(&html))[0]["Description"],
        "<b>bold</b>"
    );
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let doc = page(&app, &browser.client, NEW_PAGE).await;
    assert_eq!(text(find(doc.root_element(), "h1")), "Generate Token");
    assert_generate_form(doc.root_element());
}

#[actix_web::test]
async fn the_access_tokens_page_has_the_generate_token_dialog() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate_on_page(&app, &browser, GenerateForm::legacy("30", "ci")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);
    assert_eq!(app.token_count(), 1);
}

#[actix_web::test]
async fn the_page_after_generating_shows_the_token_value_once_uncached() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    generate_on_page(&app, &browser, GenerateForm::legacy("30", "ci")).await;
    let response = get(&app, &browser.client, PAGE).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "cache-control"), "no-store");
    let doc = Html::parse_document(&response.text().await.unwrap());
    let root = doc.root_element();

    let value = text(find(root, "#new-token-value"));
    assert!(!value.is_empty());
    let id = text(find(root, "#new-token-id"));
    let row = &token_rows(&doc)[0];
    assert_eq!(row["id"], id);
    let copy = with_text(root, "button", "Copy Token to clipboard");
    assert_eq!(attr(copy, "type"), "button");
    let warning = text(find(root, "#my-token .warning"));
    assert!(warning.contains("cannot be shown again"), "{warning}");
}

#[actix_web::test]
async fn the_shown_value_decodes_to_the_shown_token_id() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (_, value) = generate_token(&app, &browser, "30", "").await;
    assert_eq!(app.bearer_status(&value).await, 200);
}

#[actix_web::test]
async fn reloading_the_page_does_not_show_the_value_again() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &browser, "30", "").await;
    let html = get(&app, &browser.client, PAGE).await.text().await.unwrap();
    assert!(!html.contains(&value));
    let doc = Html::parse_document(&html);
    assert!(all(doc.root_element(), "#new-token-value").is_empty());
    assert!(all(doc.root_element(), "#my-token").is_empty());
    assert_eq!(token_rows(&doc)[0]["id"], id);
}

#[actix_web::test]
async fn the_token_value_is_in_neither_the_redirect_nor_a_cookie() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let post = generate_on_page(&app, &browser, GenerateForm::legacy("30", "")).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    generate_token(&app, &browser, "30", "").await;
    let rows = listed(&app, &browser).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(app.token_count(), 1);
}

// ---------------------------------------------------------------------------
// Invalid input to the Generate Token form
// ---------------------------------------------------------------------------

/// Posts the form with these values and checks it is refused: a 4xx, no token, the
/// message in the field's `.field-error`, the typed values kept.
async fn assert_refused(lifetime: &str, description: &str, field_id: &str, expect: &str) {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response =
        generate_on_page(&app, &browser, GenerateForm::legacy(lifetime, description)).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate_on_page(&app, &browser, GenerateForm::legacy("-1", "")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(listed(&app, &browser).await[0]["Expires"], "Never");
}

#[actix_web::test]
async fn a_lifetime_of_ten_years_is_accepted() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let response = generate_on_page(
        &app,
        &browser,
        GenerateForm::legacy("3650", &"d".repeat(255)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let row = &listed(&app, &browser).await[0];
    let lifetime = parse_display_time(&row["Expires"]) - parse_display_time(&row["Created"]);
    assert_eq!(lifetime, chrono::Duration::days(3650));
}

// ---------------------------------------------------------------------------
// Deleting a token
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn each_row_has_a_menu_with_a_delete_token_link() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let response = browser
        .submit(&app, &format!("{PAGE}/{id}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), PAGE);

    let doc = page(&app, &browser.client, PAGE).await;
    let flash = text(find(doc.root_element(), ".flash"));
    assert!(flash.contains(&id) && flash.contains("deleted"), "{flash}");
    assert!(token_rows(&doc).is_empty());
    assert_eq!(app.token_count(), 0);
}

#[actix_web::test]
async fn a_deleted_token_no_longer_works_on_the_api() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &browser, "30", "").await;
    assert_eq!(app.bearer_status(&value).await, 200);
    browser
        .submit(&app, &format!("{PAGE}/{id}/delete"), &[])
        .await;
    assert_eq!(app.bearer_status(&value).await, 401);
}

#[actix_web::test]
async fn a_user_does_not_see_another_users_tokens() {
    let app = app_with_members(&[ALICE, BOB]).await;
    let alice = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &alice, "30", "alice's").await;
    let bob = signed_in(&app, BOB).await;
    let html = get(&app, &bob.client, PAGE).await.text().await.unwrap();
    assert!(!html.contains(&id));
    assert!(token_rows(&Html::parse_document(&html)).is_empty());
}

#[actix_web::test]
async fn a_user_gets_404_for_the_confirmation_of_another_users_token() {
    let app = app_with_members(&[ALICE, BOB]).await;
    let alice = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &alice, "30", "").await;
    let bob = signed_in(&app, BOB).await;
    let response = get(&app, &bob.client, &format!("{PAGE}/{id}/delete")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_user_cannot_delete_another_users_token() {
    let app = app_with_members(&[ALICE, BOB]).await;
    let alice = signed_in(&app, ALICE).await;
    let (id, value) = generate_token(&app, &alice, "30", "").await;
    let bob = signed_in(&app, BOB).await;
    let response = bob.submit(&app, &format!("{PAGE}/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.token_count(), 1);
    assert_eq!(listed(&app, &alice).await[0]["id"], id);
    assert_eq!(app.bearer_status(&value).await, 200);
}

#[actix_web::test]
async fn the_confirmation_of_an_unknown_or_malformed_token_id_is_404() {
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
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
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let (id, _) = generate_token(&app, &browser, "30", "").await;
    let response = post_form(&app, &browser.client, &format!("{PAGE}/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.token_count(), 1);
}

#[actix_web::test]
async fn deleting_with_a_wrong_csrf_token_is_refused_and_keeps_the_token() {
    let app = app_with_members(&[ALICE]).await;
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
