//! Preferences > Sessions in a real headless Chromium: reached from the user menu,
//! it marks this browser and signs out another one (a second, reqwest-driven
//! browser), whose next request is then signed out. Needs chromium and
//! chromedriver, as `tests/browser.rs` says.

mod common;

use access_tokens::domain::Role;
use common::browser::Browser;
use common::{spawn_app, PASSWORD};
use fantoccini::Locator;

#[actix_web::test]
async fn the_sessions_page_signs_out_a_lost_browser() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Member);
    let lost = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("Lost Laptop/2.0")
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(app.sign_in(&lost, "alice", PASSWORD).await.status(), 303);

    let b = Browser::start().await;
    b.sign_in(&app, "alice").await;

    b.find("details.user-menu summary")
        .await
        .click()
        .await
        .expect("opening the user menu");
    b.client
        .find(Locator::LinkText("Preferences > Sessions"))
        .await
        .expect("a Sessions entry in the user menu")
        .click()
        .await
        .expect("clicking Preferences > Sessions");
    b.wait_path("/preferences/sessions").await;
    assert_eq!(b.text_of("main h1").await, "Sessions");
    assert_eq!(b.find_all("tr[data-session-id]").await.len(), 2);
    assert_eq!(b.text_of("#this-browser").await, "This browser");

    let other = b.find("tr[data-session-id]:not([data-this-browser])").await;
    assert!(other.text().await.unwrap().contains("Lost Laptop/2.0"));
    other
        .find(Locator::XPath(".//button[normalize-space()='Sign out']"))
        .await
        .expect("a Sign out button on the row")
        .click()
        .await
        .expect("clicking Sign out");
    common::browser::eventually("the lost browser's row is gone", || async {
        (b.find_all("tr[data-session-id]").await.len() == 1).then_some(())
    })
    .await;
    assert!(b
        .text_of("main")
        .await
        .contains("That browser has been signed out."));

    let next = lost
        .get(app.url("/preferences/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 303);
    assert_eq!(next.headers()["location"], "/login");
    b.quit().await;
}
