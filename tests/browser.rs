//! End-to-end tests in a real headless Chromium driven through WebDriver
//! (chromedriver): the Access Tokens page as a person uses it, JavaScript included.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (or `CHROME_BIN` and
//! `CHROMEDRIVER` pointing at a browser and its driver). Without a driver the tests
//! fail; they never skip.
//!
//! The driver and browser session are in `common/browser.rs`.
//!
//! Each test starts its own server, its own chromedriver on a free port and its own
//! browser profile, so they run in parallel with each other and with other tests.

mod common;

use access_tokens::domain::Role;
use common::browser::{click_button, eventually, row_css, Browser, DESKTOP, PHONE};
use common::{spawn_app, TestApp, PASSWORD};
use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::{json, Value};

const LIFETIME_HINT: &str = "Set lifetime to -1 to have the token never expire.";

// ---------------------------------------------------------------------------
// Steps shared by the tests
// ---------------------------------------------------------------------------

/// A server with one user, and a browser.
async fn setup(user: &str) -> (TestApp, Browser) {
    let app = spawn_app().await;
    app.create_user(user, PASSWORD, Role::Member);
    let browser = Browser::start().await;
    (app, browser)
}

/// Opens the Generate Token dialog with "Generate New Token" and checks its defaults.
async fn open_generate_dialog(b: &Browser) -> Element {
    b.find("#generate-new-token")
        .await
        .click()
        .await
        .expect("clicking Generate New Token");
    b.wait_dialog_open("generate-token-dialog").await;
    assert_eq!(
        b.path().await,
        "/preferences/access-tokens",
        "Generate New Token opens a dialog on the page, not the form page"
    );
    let (open, modal) = b.dialog_state("generate-token-dialog").await;
    assert!(open, "the Generate Token dialog is open");
    assert!(modal, "the Generate Token dialog is modal (showModal)");
    let dialog = b.find("#generate-token-dialog").await;
    assert!(
        dialog.is_displayed().await.unwrap(),
        "the Generate Token dialog is displayed"
    );
    dialog
}

/// Fills in and submits the Generate Token dialog; returns the new token's id and value.
async fn generate_token(b: &Browser, description: &str) -> (String, String) {
    let dialog = open_generate_dialog(b).await;
    b.type_into("#description", description).await;
    click_button(&dialog, "Generate").await;
    let value_field = b.wait_visible("#new-token-value").await;
    let value = value_field.prop("value").await.unwrap().unwrap_or_default();
    let id = b.text_of("#new-token-id").await;
    (id, value)
}

async fn last_used(b: &Browser, id: &str) -> String {
    b.text_of(&format!(r#"{} td[data-label="Last used"]"#, row_css(id)))
        .await
}

/// Opens the row's ⋮ menu; returns its “Delete Token...” item once displayed.
async fn open_row_menu(b: &Browser, id: &str) -> Element {
    let menu = b.find(&format!("{} details.menu", row_css(id))).await;
    let summary = menu
        .find(Locator::Css("summary"))
        .await
        .expect("a ⋮ button");
    assert_eq!(summary.text().await.unwrap(), "⋮");
    summary.click().await.expect("opening the ⋮ menu");
    eventually("“Delete Token...” to be displayed", || async {
        let link = menu.find(Locator::LinkText("Delete Token...")).await.ok()?;
        link.is_displayed().await.ok()?.then_some(link)
    })
    .await
}

/// `YYYY-MM-DD HH:MM:SS`, as the page shows times.
fn is_display_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

async fn api_list(app: &TestApp, bearer: &str) -> reqwest::Response {
    app.api_client()
        .get(app.url("/v4/apiAccessTokens"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("calling the API")
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

/// The issue's scenario: sign in, generate a token in the dialog, read it from the
/// page, use it against the API, see "Last used" change, delete it through the
/// context menu, see the API refuse it.
#[actix_web::test]
async fn a_token_generated_in_the_browser_works_until_deleted_from_its_menu() {
    let (app, b) = setup("alice").await;

    // 1. Sign in: the empty Access Tokens page.
    b.sign_in(&app, "alice").await;
    assert!(
        b.find("#no-tokens").await.is_displayed().await.unwrap(),
        "a new user sees the empty-list message"
    );
    assert!(b.find_all("#tokens-table").await.is_empty());

    // 2. "Generate New Token" opens the native dialog with the defaults.
    let dialog = open_generate_dialog(&b).await;
    assert_eq!(b.value_of("#lifetime-days").await, "365");
    let hint = b.find("#generate-token-dialog #lifetime-hint").await;
    assert!(
        hint.is_displayed().await.unwrap(),
        "the lifetime hint is visible"
    );
    assert_eq!(hint.text().await.unwrap(), LIFETIME_HINT);
    b.type_into("#description", "CI deploy key").await;
    click_button(&dialog, "Generate").await;

    // 3. The My Token dialog shows the value once, with its id and a copy button.
    let value_field = b.wait_visible("#new-token-value").await;
    assert_eq!(b.path().await, "/preferences/access-tokens");
    let (open, _) = b.dialog_state("my-token").await;
    assert!(open, "the My Token dialog is open");
    let value = value_field.prop("value").await.unwrap().unwrap_or_default();
    let id = b.text_of("#new-token-id").await;
    assert!(!value.trim().is_empty(), "the token value is shown");
    assert!(!id.is_empty(), "the Token ID is shown");
    assert!(
        value_field.prop("readOnly").await.unwrap().as_deref() == Some("true"),
        "the value field is read-only"
    );
    let row = row_css(&id);
    b.find(&row).await;
    assert_eq!(last_used(&b, &id).await, "Never Used");
    assert_eq!(
        b.text_of(&format!(r#"{row} td[data-label="Description"]"#))
            .await,
        "CI deploy key"
    );
    let copy = b.find("#copy-token").await;
    assert_eq!(copy.text().await.unwrap(), "Copy Token to clipboard");
    b.screenshot("access-tokens-my-token-dialog.png").await;
    copy.click()
        .await
        .expect("clicking Copy Token to clipboard");
    // Headless Chromium may or may not grant the clipboard; either message is fine.
    let status = eventually("#copy-status to say something", || async {
        let text = b.text_of("#copy-status").await;
        (!text.trim().is_empty()).then_some(text)
    })
    .await;
    eprintln!("copy status: {status}");

    // 4. The value works against the API.
    let response = api_list(&app, &value).await;
    assert_eq!(
        response.status(),
        200,
        "the new token is accepted by the API"
    );
    let body: Value = response.json().await.unwrap();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .expect("a data array")
        .iter()
        .filter_map(|t| t["tokenId"].as_str())
        .collect();
    assert!(
        ids.contains(&id.as_str()),
        "the API lists the token {id}: {body}"
    );

    // 5. Reloaded, the page no longer shows the value, and "Last used" is set
    //    ("last used" is written behind, within a second).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    b.client.refresh().await.expect("reloading the page");
    b.wait_visible(&row).await;
    assert!(
        b.find_all("#new-token-value").await.is_empty(),
        "the token value is not shown again after a reload"
    );
    assert!(b.find_all("#my-token").await.is_empty());
    let used = last_used(&b, &id).await;
    assert_ne!(used, "Never Used", "the API use shows in Last used");
    assert!(is_display_timestamp(&used), "Last used is a time: {used:?}");
    b.set_window_size(PHONE).await;
    b.screenshot("access-tokens-list-phone.png").await;
    b.set_window_size(DESKTOP).await;

    // 6. Delete it through the row's ⋮ menu and the confirmation dialog.
    let delete_link = open_row_menu(&b, &id).await;
    // A person must be able to see the item, not only WebDriver (which scrolls
    // inner containers to reach it). Checked softly so the rest of the scenario runs.
    let mut problems = Vec::new();
    if let Err(why) = b.on_screen(&delete_link).await {
        b.screenshot("access-tokens-row-menu-open.png").await;
        problems.push(format!(
            "desktop: the opened ⋮ menu's “Delete Token...” cannot be seen: {why}"
        ));
    }
    delete_link.click().await.expect("clicking Delete Token...");
    b.wait_dialog_open("delete-token-dialog").await;
    assert_eq!(
        b.path().await,
        "/preferences/access-tokens",
        "Delete Token... asks in a dialog, not on a page of its own"
    );
    let confirm = b.find("#delete-token-dialog").await;
    assert!(confirm.is_displayed().await.unwrap());
    let confirm_text = confirm.text().await.unwrap();
    assert!(
        confirm_text.contains("Deleting a token cannot be undone."),
        "the warning is shown: {confirm_text:?}"
    );
    assert_eq!(
        b.text_of("#delete-token-id").await,
        id,
        "the dialog names the token"
    );
    click_button(&confirm, "Delete").await;
    b.wait_gone(&row).await;
    let flash = b.wait_visible(".flash").await.text().await.unwrap();
    assert!(
        flash.contains("deleted"),
        "a flash says the token was deleted: {flash:?}"
    );
    assert!(flash.contains(&id), "the flash names the token: {flash:?}");
    assert!(b.find("#no-tokens").await.is_displayed().await.unwrap());

    // 7. The API refuses the deleted token.
    let response = api_list(&app, &value).await;
    assert_eq!(response.status(), 401, "a deleted token is refused");

    b.quit().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Invalid lifetimes are refused with a message next to the field, keeping what was
/// typed, and no token is created.
#[actix_web::test]
async fn an_invalid_lifetime_is_explained_next_to_the_field() {
    let (app, b) = setup("bob").await;
    b.sign_in(&app, "bob").await;
    let dialog = open_generate_dialog(&b).await;
    b.type_into("#description", "nightly backup").await;

    let cases = [
        ("0", "positive number"),
        ("abc", "whole number"),
        ("3651", "at most 3650 days"),
    ];
    let mut form_scope = dialog;
    for (typed, expected) in cases {
        b.type_into("#lifetime-days", typed).await;
        let page = b.document().await;
        click_button(&form_scope, "Generate").await;
        b.wait_new_page(&page).await;
        let error = b.wait_visible("#lifetime-error").await;
        let message = error.text().await.unwrap();
        assert!(
            message.contains(expected),
            "for {typed:?} the error says {expected:?}: {message:?}"
        );
        assert_eq!(
            error.attr("class").await.unwrap().as_deref(),
            Some("field-error"),
            "the message is a field error"
        );
        // Next to the field: in the same field group, and tied to the input.
        let beside = b
            .js(
                "const input = document.getElementById('lifetime-days');
                 const error = document.getElementById('lifetime-error');
                 return input.closest('.field') === error.closest('.field')
                     && (input.getAttribute('aria-describedby') || '').split(' ').includes('lifetime-error')
                     && input.getAttribute('aria-invalid') === 'true';",
                vec![],
            )
            .await;
        assert_eq!(
            beside,
            json!(true),
            "the error for {typed:?} is attached to the field"
        );
        assert_eq!(
            b.value_of("#lifetime-days").await,
            typed,
            "what was typed is kept"
        );
        assert_eq!(b.value_of("#description").await, "nightly backup");
        assert!(
            b.find_all("#new-token-value").await.is_empty(),
            "no token for {typed:?}"
        );
        form_scope = b.find("form.token-form").await;
    }

    // Nothing was created.
    b.goto(&app.url("/preferences/access-tokens")).await;
    assert!(b.find("#no-tokens").await.is_displayed().await.unwrap());
    b.quit().await;
}

/// Back, forward and reload after generating never show the value again.
#[actix_web::test]
async fn history_navigation_does_not_show_the_token_value_again() {
    let (app, b) = setup("carol").await;
    b.sign_in(&app, "carol").await;
    let (id, value) = generate_token(&b, "one-off").await;
    assert!(!value.is_empty());

    let rows = "#tokens-table tbody tr[data-token-id]";
    let (br, id, value) = (&b, id.as_str(), value.as_str());
    let check = |step: &'static str| async move {
        {
            br.wait_visible(&row_css(id)).await;
            assert_eq!(
                br.path().await,
                "/preferences/access-tokens",
                "after {step}"
            );
            assert!(
                br.find_all("#new-token-value").await.is_empty(),
                "the token value is shown again after {step}"
            );
            let source = br.client.source().await.unwrap();
            assert!(
                !source.contains(value),
                "the value is in the page after {step}"
            );
            assert_eq!(
                br.find_all(rows).await.len(),
                1,
                "exactly one token row after {step}"
            );
        }
    };

    b.client.back().await.expect("going back");
    check("going back").await;
    b.client.forward().await.expect("going forward");
    check("going forward").await;
    b.client.refresh().await.expect("reloading");
    check("reloading").await;
    b.quit().await;
}

/// At phone width each token is a card: its ⋮ button sits at the card's top right
/// and its menu and the confirmation open on screen, so deleting works there too.
#[actix_web::test]
async fn at_phone_width_the_row_menu_and_delete_dialog_are_on_screen() {
    let (app, b) = setup("dave").await;
    b.sign_in(&app, "dave").await;
    let (id, _) = generate_token(&b, "phone").await;
    b.client.refresh().await.expect("reloading");
    b.set_window_size(PHONE).await;
    let row = row_css(&id);
    b.wait_visible(&row).await;
    let mut problems = Vec::new();

    let summary = b.find(&format!("{row} details.menu summary")).await;
    let (card_x, _, card_w, _) = b.find(&row).await.rectangle().await.unwrap();
    let (x, _, w, _) = summary.rectangle().await.unwrap();
    if x + w / 2.0 < card_x + card_w / 2.0 {
        problems.push(format!(
            "the ⋮ button is at the left of the card (x {x:.0} to {:.0} of a card from {card_x:.0} \
             to {:.0}), over the “Token ID” label, not at its top right",
            x + w,
            card_x + card_w
        ));
    }

    let delete_link = open_row_menu(&b, &id).await;
    if let Err(why) = b.on_screen(&delete_link).await {
        problems.push(format!(
            "the opened ⋮ menu's “Delete Token...” is not on screen: {why}"
        ));
    }
    b.screenshot("access-tokens-row-menu-phone.png").await;
    delete_link.click().await.expect("clicking Delete Token...");
    b.wait_dialog_open("delete-token-dialog").await;
    let confirm = b.find("#delete-token-dialog").await;
    if let Err(why) = b.on_screen(&confirm).await {
        problems.push(format!("the Delete Token dialog is not on screen: {why}"));
    }
    click_button(&confirm, "Delete").await;
    b.wait_gone(&row).await;
    b.wait_visible("#no-tokens").await;

    b.quit().await;
    assert!(
        problems.is_empty(),
        "at {}x{}:\n{}",
        PHONE.0,
        PHONE.1,
        problems.join("\n")
    );
}
