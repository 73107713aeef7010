mod common;

use common::{app_with_members, signed_in, ALICE};

#[actix_web::test]
async fn a_user_signs_in_and_sees_the_access_tokens_page() {
    let app = app_with_members(&[ALICE]).await;
    let client = signed_in(&app, ALICE).await;
    let page = client
        .get(app.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<h1>Access Tokens</h1>"));
}
