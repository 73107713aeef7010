//! Admin > Access Tokens in a real headless Chromium (see `common/browser.rs`):
//! selecting tokens with their checkboxes and deleting them in bulk, JavaScript on.

mod common;

use access_tokens::domain::Role;
use common::browser::{eventually, row_css, Browser};
use common::{generate, spawn_app, Generate, ADMIN, PASSWORD};

#[actix_web::test]
async fn an_admin_ticks_two_tokens_confirms_the_count_and_they_are_gone() {
    let app = spawn_app().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);
    app.create_user("alice", PASSWORD, Role::Member);
    app.create_user("bob", PASSWORD, Role::Member);
    let first = generate(
        &app,
        Generate::legacy("alice").lifetime_seconds(30 * 86_400),
    )
    .await
    .id;
    let second = generate(&app, Generate::legacy("bob").lifetime_seconds(30 * 86_400))
        .await
        .id;
    let kept = generate(
        &app,
        Generate::legacy("alice").lifetime_seconds(30 * 86_400),
    )
    .await
    .id;
    let b = Browser::start().await;
    b.sign_in(&app, ADMIN).await;

    b.goto(&app.url("/admin/access-tokens")).await;
    assert_eq!(b.text_of("main h1").await, "Access Tokens");
    b.screenshot("admin-access-tokens.png").await;
    let delete_selected = b.find("#delete-selected").await;
    assert!(
        !delete_selected.is_enabled().await.unwrap(),
        "nothing selected yet"
    );
    for id in [&first, &second] {
        b.find(&format!(r#"{} input[name="token_id"]"#, row_css(id)))
            .await
            .click()
            .await
            .expect("ticking a token");
    }
    assert_eq!(delete_selected.text().await.unwrap(), "Delete selected (2)");
    delete_selected
        .click()
        .await
        .expect("clicking Delete selected");
    b.wait_dialog_open("bulk-delete-dialog").await;
    let (_, modal) = b.dialog_state("bulk-delete-dialog").await;
    assert!(modal, "the confirmation is a modal dialog");
    assert_eq!(b.text_of("#bulk-delete-question").await, "Delete 2 tokens?");
    assert_eq!(b.path().await, "/admin/access-tokens");
    let page = b.document().await;
    b.find("#bulk-delete-confirm")
        .await
        .click()
        .await
        .expect("confirming");
    b.wait_new_page(&page).await;

    b.wait_path("/admin/access-tokens").await;
    assert_eq!(b.text_of(".flash").await, "Deleted 2 tokens.");
    b.wait_gone(&row_css(&first)).await;
    b.wait_gone(&row_css(&second)).await;
    b.find(&row_css(&kept)).await;
    let remaining = eventually("the table to show one token", || async {
        let rows = b.find_all("#tokens-table tbody tr").await;
        (rows.len() == 1).then_some(rows.len())
    })
    .await;
    assert_eq!(remaining, 1);
    assert_eq!(app.token_count(), 1);
    b.quit().await;
}
