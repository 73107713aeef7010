//! The OAuth 2.0 API Tokens pages in a real headless Chromium (see
//! `common/browser.rs`), JavaScript on: generating a token in the dialog and
//! reading both values once, using them, Disable from a row's ⋮ menu, bulk Delete
//! with the checkboxes, and an admin disabling everyone's tokens at once.

mod common;

use access_tokens::domain::Role;
use common::browser::{click_button, eventually, row_css, Browser, DESKTOP, PHONE};
use common::{generate, spawn_app, Generate, OAUTH_TOKENS_PAGE as PAGE, PASSWORD};
use fantoccini::Locator;
use serde_json::Value;

async fn status_of(b: &Browser, id: &str) -> String {
    b.text_of(&format!(r#"{} td[data-label="Status"]"#, row_css(id)))
        .await
}

/// Confirms the open OAuth confirmation dialog and waits for the page it leads to.
async fn confirm(b: &Browser) {
    let page = b.document().await;
    b.find("#oauth-confirm-submit")
        .await
        .click()
        .await
        .expect("confirming");
    b.wait_new_page(&page).await;
}

#[actix_web::test]
async fn a_person_generates_copies_disables_and_deletes_oauth_tokens() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Member);
    let b = Browser::start().await;
    b.sign_in(&app, "alice").await;

    // The user menu leads to the page.
    let link = b
        .find(r#".user-menu a[href="/preferences/oauth-tokens"]"#)
        .await;
    assert_eq!(
        link.prop("textContent").await.unwrap().unwrap_or_default(),
        "Preferences > OAuth 2.0 API Tokens"
    );
    b.goto(&app.url(PAGE)).await;
    assert_eq!(b.text_of("main h1").await, "OAuth 2.0 API Tokens");
    assert!(b
        .text_of("#oauth-effect")
        .await
        .contains("this action only affects the Refresh Token"));

    // Generate opens a modal dialog asking a Name and a Lifetime.
    b.find("#generate-oauth-token")
        .await
        .click()
        .await
        .expect("clicking Generate");
    b.wait_dialog_open("generate-oauth-dialog").await;
    let (_, modal) = b.dialog_state("generate-oauth-dialog").await;
    assert!(modal, "the Generate dialog is modal");
    assert_eq!(b.path().await, PAGE);
    assert_eq!(b.value_of("#oauth-lifetime").await, "90");
    b.type_into("#oauth-name", "nightly export").await;
    let lifetime = b.find("#oauth-lifetime").await;
    lifetime.clear().await.unwrap();
    lifetime.send_keys("30").await.unwrap();
    let dialog = b.find("#generate-oauth-dialog").await;
    click_button(&dialog, "Generate").await;

    // Both values, once, each with its copy button.
    let access_field = b.wait_visible("#new-access-token").await;
    let (open, modal) = b.dialog_state("oauth-token-created").await;
    assert!(
        open && modal,
        "the new token's values are in a modal dialog"
    );
    let access = access_field
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let refresh = b.value_of("#new-refresh-token").await;
    assert_eq!(access.split('.').count(), 3, "an access token (JWT)");
    assert!(refresh.starts_with("art_"), "a refresh token");
    let dialog_text = b.text_of("#oauth-token-created").await;
    assert!(dialog_text.contains("Access tokens have a 1 hour lifespan."));
    assert!(dialog_text.contains("It lasts for the lifetime you entered: 30 days"));
    b.screenshot("oauth-tokens-created.png").await;
    for (button, status) in [
        ("#copy-access-token", "#copy-access-status"),
        ("#copy-refresh-token", "#copy-refresh-status"),
    ] {
        b.find(button).await.click().await.expect("copying");
        // Headless Chromium may or may not grant the clipboard; either message is fine.
        eventually("the copy status to say something", || async {
            let text = b.text_of(status).await;
            (!text.trim().is_empty()).then_some(text)
        })
        .await;
    }
    b.find("#close-oauth-token")
        .await
        .click()
        .await
        .expect("closing");
    eventually("the dialog to close", || async {
        (!b.dialog_state("oauth-token-created").await.0).then_some(())
    })
    .await;

    // Both work; a reload shows neither.
    let used = app
        .api_client()
        .get(app.url("/v4/oauthTokens"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);
    let body: Value = used.json().await.unwrap();
    let first = body["data"][0]["tokenId"].as_str().unwrap().to_owned();
    b.client.refresh().await.unwrap();
    b.wait_visible(&row_css(&first)).await;
    assert!(b.find_all("#new-access-token").await.is_empty());
    b.set_window_size(PHONE).await;
    b.screenshot("oauth-tokens-list-phone.png").await;
    b.set_window_size(DESKTOP).await;

    // Disable from the ⋮ menu: a dialog says it cannot be undone.
    let menu = b.find(&format!("{} details.menu", row_css(&first))).await;
    menu.find(Locator::Css("summary"))
        .await
        .unwrap()
        .click()
        .await
        .expect("opening the ⋮ menu");
    let disable = eventually("Disable to be displayed", || async {
        let link = menu.find(Locator::LinkText("Disable")).await.ok()?;
        link.is_displayed().await.ok()?.then_some(link)
    })
    .await;
    // A person must see the item, not only WebDriver (which scrolls to reach it).
    b.on_screen(&disable)
        .await
        .unwrap_or_else(|why| panic!("the opened ⋮ menu's Disable cannot be seen: {why}"));
    disable.click().await.expect("clicking Disable");
    b.wait_dialog_open("oauth-confirm-dialog").await;
    assert_eq!(b.path().await, PAGE, "Disable asks in a dialog");
    assert_eq!(
        b.text_of("#oauth-confirm-question").await,
        "Disable the token \u{201c}nightly export\u{201d}?"
    );
    assert!(b
        .text_of("#oauth-confirm-disable-warning")
        .await
        .contains("this cannot be undone"));
    b.screenshot("oauth-tokens-disable-dialog.png").await;
    confirm(&b).await;
    assert_eq!(
        b.text_of(".flash").await,
        "Token \u{201c}nightly export\u{201d} disabled."
    );
    assert_eq!(status_of(&b, &first).await, "Disabled");
    assert_eq!(
        app.refresh(&refresh).await.status().as_u16(),
        400,
        "refresh stops at once"
    );
    let still = app
        .api_client()
        .get(app.url("/v4/oauthTokens"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        200,
        "the access token works until it expires"
    );

    // Two more, then tick two of the three and Delete them.
    let second = generate(&app, Generate::oauth("alice").name("ci")).await.id;
    let third = generate(&app, Generate::oauth("alice").name("backup"))
        .await
        .id;
    b.client.refresh().await.unwrap();
    b.wait_visible(&row_css(&third)).await;
    let delete = b.find("#delete-selected").await;
    assert!(!delete.is_enabled().await.unwrap(), "nothing selected yet");
    for id in [&first, &third] {
        b.find(&format!(r#"{} input[name="token_id"]"#, row_css(id)))
            .await
            .click()
            .await
            .expect("ticking a token");
    }
    assert_eq!(b.text_of("#selected-count").await, "2 selected");
    delete.click().await.expect("clicking Delete");
    b.wait_dialog_open("oauth-confirm-dialog").await;
    assert_eq!(
        b.text_of("#oauth-confirm-question").await,
        "Delete 2 tokens?"
    );
    confirm(&b).await;
    assert_eq!(b.text_of(".flash").await, "Deleted 2 tokens.");
    b.wait_gone(&row_css(&first)).await;
    b.wait_gone(&row_css(&third)).await;
    assert_eq!(status_of(&b, &second).await, "Active");
    b.quit().await;
}

#[actix_web::test]
async fn an_admin_filters_by_owner_and_disables_their_tokens_at_once() {
    let app = spawn_app().await;
    app.create_user("root", PASSWORD, Role::Admin);
    app.create_user("alice", PASSWORD, Role::Member);
    app.create_user("bob", PASSWORD, Role::Member);
    let a1 = generate(&app, Generate::oauth("alice").name("one"))
        .await
        .id;
    let a2 = generate(&app, Generate::oauth("alice").name("two"))
        .await
        .id;
    let b1 = generate(&app, Generate::oauth("bob").name("bobs")).await.id;
    let b = Browser::start().await;
    b.sign_in(&app, "root").await;

    b.goto(&app.url("/admin/oauth-tokens")).await;
    assert_eq!(b.text_of("main h1").await, "OAuth 2.0 API Tokens");
    assert_eq!(
        b.text_of(&format!(r#"{} td[data-label="Owner"]"#, row_css(&b1)))
            .await,
        "bob"
    );
    b.type_into("#filter-owner", "alice").await;
    let page = b.document().await;
    click_button(&b.find("#token-filters").await, "Apply").await;
    b.wait_new_page(&page).await;
    b.wait_gone(&row_css(&b1)).await;
    b.screenshot("admin-oauth-tokens.png").await;

    b.find("#select-all")
        .await
        .click()
        .await
        .expect("selecting all");
    b.find("#disable-selected")
        .await
        .click()
        .await
        .expect("clicking Disable");
    b.wait_dialog_open("oauth-confirm-dialog").await;
    assert_eq!(
        b.text_of("#oauth-confirm-question").await,
        "Disable 2 tokens?"
    );
    confirm(&b).await;
    assert_eq!(b.text_of(".flash").await, "Disabled 2 tokens.");
    assert!(b.path().await.starts_with("/admin/oauth-tokens"));
    assert_eq!(status_of(&b, &a1).await, "Disabled");
    assert_eq!(status_of(&b, &a2).await, "Disabled");

    // Bob's token is untouched.
    b.goto(&app.url("/admin/oauth-tokens")).await;
    assert_eq!(status_of(&b, &b1).await, "Active");
    b.quit().await;
}
