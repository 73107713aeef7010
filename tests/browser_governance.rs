//! Workspace Settings and People in a real headless Chromium (see
//! `common/browser.rs`), JavaScript on: an admin reaches the pages from the user
//! menu, changes the policy, invites someone who then sets their password through
//! the link, and removes a member after the confirmation.

mod common;

use access_tokens::domain::Role;
use common::browser::{eventually, Browser};
use common::{spawn_app_as_shipped, ADMIN, MEMBER, PASSWORD};
use fantoccini::Locator;
use serde_json::{json, Value};

/// Opens the user menu and follows one of its links.
async fn menu(b: &Browser, label: &str) {
    b.find("details.user-menu > summary")
        .await
        .click()
        .await
        .expect("opening the user menu");
    let page = b.document().await;
    b.client
        .find(Locator::LinkText(label))
        .await
        .unwrap_or_else(|_| panic!("a menu entry {label:?}"))
        .click()
        .await
        .expect("following the menu entry");
    b.wait_new_page(&page).await;
}

async fn click_and_wait(b: &Browser, css: &str) {
    let page = b.document().await;
    b.find(css).await.click().await.expect("clicking");
    b.wait_new_page(&page).await;
}

#[actix_web::test]
async fn an_admin_lets_members_generate_from_the_workspace_settings_page() {
    let app = spawn_app_as_shipped().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);
    app.create_user(MEMBER, PASSWORD, Role::Member);
    let b = Browser::start().await;
    b.sign_in(&app, ADMIN).await;
    menu(&b, "Admin > Workspace Settings").await;
    b.wait_path("/admin/workspace-settings").await;
    assert_eq!(b.text_of("main h1").await, "Workspace Settings");
    let allow = b.find("#members-may-generate").await;
    assert!(!allow.is_selected().await.unwrap(), "off as shipped");
    allow.click().await.expect("ticking Allow users");
    let max = b.find("#max-lifetime-days").await;
    max.clear().await.unwrap();
    max.send_keys("30").await.unwrap();
    // A maximum rules out never-expiring tokens: the box follows as it is typed.
    let never = b.find("#allow-never-expires").await;
    assert!(
        !never.is_enabled().await.unwrap(),
        "disabled with a maximum"
    );
    assert!(!never.is_selected().await.unwrap());
    assert!(b
        .text_of("#allow-never-expires-hint")
        .await
        .starts_with("Off while a maximum lifetime is set"));
    click_and_wait(&b, "#save-settings").await;
    b.wait_path("/admin/workspace-settings").await;
    assert_eq!(b.text_of(".flash").await, "Workspace settings saved.");
    assert!(b
        .find("#members-may-generate")
        .await
        .is_selected()
        .await
        .unwrap());
    assert_eq!(b.value_of("#max-lifetime-days").await, "30");
    b.screenshot("workspace-settings.png").await;

    let member_try = |days: i64| {
        app.api_client()
            .post(app.url("/v4/apiAccessTokens"))
            .basic_auth(MEMBER, Some(PASSWORD))
            .json(&json!({"lifetimeSeconds": days * 86_400}))
            .send()
    };
    assert_eq!(member_try(30).await.unwrap().status(), 201);
    let over: Value = member_try(31).await.unwrap().json().await.unwrap();
    assert_eq!(
        over["exception"]["message"],
        "Lifetime can be at most 30 days in this workspace."
    );
    b.quit().await;
}

#[actix_web::test]
async fn an_admin_invites_someone_who_sets_a_password_and_removes_a_member() {
    let app = spawn_app_as_shipped().await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);
    app.create_user(MEMBER, PASSWORD, Role::Member);
    let b = Browser::start().await;
    b.sign_in(&app, ADMIN).await;
    menu(&b, "Admin > People").await;
    b.wait_path("/admin/people").await;

    b.type_into("#new-username", "ivan").await;
    b.find("#onboarding-invite").await.click().await.unwrap();
    click_and_wait(&b, "#add-person-submit").await;
    b.wait_visible("#invite-link").await;
    let link = b.value_of("#invite-url").await;
    assert!(link.starts_with(&app.url("/invite/")), "{link}");
    b.screenshot("people-invited.png").await;

    // mike leaves, after the confirmation.
    let row = r#"tr[data-username="mike"]"#;
    let page = b.document().await;
    b.find(&format!(
        r#"{row} form[action$="/remove"] button[type="submit"]"#
    ))
    .await
    .click()
    .await
    .expect("clicking Remove from workspace");
    let question = eventually("the confirmation", || async {
        b.client.get_alert_text().await.ok()
    })
    .await;
    assert!(
        question.starts_with("Remove mike from this workspace?"),
        "{question}"
    );
    b.client.accept_alert().await.expect("confirming");
    b.wait_new_page(&page).await;
    b.wait_gone(row).await;
    assert!(b
        .text_of(".flash")
        .await
        .starts_with("Removed from the workspace"));

    // The audit log shows both changes, newest first.
    menu(&b, "Admin > Audit Log").await;
    b.wait_path("/admin/audit-log").await;
    assert_eq!(b.text_of("main h1").await, "Audit Log");
    let rows = b.find_all("main table tbody tr").await;
    assert!(rows.len() >= 2, "{} rows", rows.len());
    let newest = rows[0].text().await.unwrap();
    assert!(
        newest.contains("mike") && newest.contains("olga"),
        "{newest}"
    );
    b.screenshot("audit-log.png").await;

    // ivan follows the link (in this browser: it signs him in instead).
    b.goto(&link).await;
    assert_eq!(b.text_of("main h1").await, "Welcome, ivan");
    b.type_into("#new_password", "ivan's own passphrase").await;
    b.type_into("#confirm_password", "ivan's own passphrase")
        .await;
    click_and_wait(&b, "main form button[type=submit]").await;
    b.wait_path("/preferences/access-tokens").await;
    assert_eq!(b.text_of(".user-name").await, "ivan");
    b.quit().await;
}
