mod common;

use access_tokens::domain::Role;
use common::{spawn_app, PASSWORD};

#[actix_web::test]
async fn a_user_signs_in_and_sees_the_access_tokens_page() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Member);
    let client = app.browser_client();
    let response = app.sign_in(&client, "alice", PASSWORD).await;
    assert_eq!(response.status(), 303);
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
