//! The OAuth 2.0 API Tokens pages over real HTTP, as a browser without JavaScript
//! uses them: generating a token and seeing both values once, the list, the
//! Disable and Delete confirmations for one token and for a selection, and
//! Admin > OAuth 2.0 API Tokens. Both databases.

mod common;

use access_tokens::domain::Role;
use common::{
    app_with, csrf_token, generate_on_page, signed_in, GenerateForm, SignedIn, TestApp,
    OAUTH_TOKENS, OAUTH_TOKENS_PAGE as PAGE,
};
use scraper::{Html, Selector};
use serde_json::Value;

const EFFECT: &str =
    "If you Disable or Delete a token, this action only affects the Refresh Token. \
The API is still accessible until the Access Token expires, which can take up to 1 hour.";

fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn text(html: &str, css: &str) -> String {
    texts(html, css)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {css} in the page"))
}

fn value(html: &str, css: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>())
        .unwrap_or_else(|| panic!("no {css} in the page"))
}

fn attr(html: &str, css: &str, name: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(css).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(name))
        .unwrap_or_else(|| panic!("no {css}[{name}] in the page"))
        .to_owned()
}

/// Generates through the page and reads both values from the page it leads to.
async fn generate_and_read(app: &TestApp, client: &SignedIn, name: &str) -> (String, String) {
    let response = generate_on_page(app, client, GenerateForm::oauth(name, "30")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], PAGE);
    let page = app.html(client, PAGE).await;
    (
        value(&page, "#new-access-token"),
        value(&page, "#new-refresh-token"),
    )
}

async fn api_grants(app: &TestApp, user: &str) -> Vec<Value> {
    let body: Value = app.get_as(user, "/v4/oauthTokens").await.1;
    body["data"].as_array().unwrap().clone()
}

/// The ids in the table, in order.
fn row_ids(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("#oauth-tokens-table tbody tr").unwrap();
    doc.select(&sel)
        .map(|r| r.value().attr("data-token-id").unwrap().to_owned())
        .collect()
}

fn row_status(html: &str, id: &str) -> String {
    text(
        html,
        &format!("tr[data-token-id='{id}'] td[data-label='Status']"),
    )
}

#[actix_web::test]
async fn a_token_generated_in_the_page_shows_both_values_once_and_both_work() {
    let app = app_with(&[("mike", Role::Member)]).await;
    let client = signed_in(&app, "mike").await;

    let page = app.html(&client, PAGE).await;
    assert_eq!(text(&page, "main h1"), "OAuth 2.0 API Tokens");
    assert_eq!(text(&page, "#generate-oauth-token"), "Generate");
    assert!(text(&page, "#oauth-effect").contains(EFFECT));
    assert!(text(&page, "#oauth-workspace-note").contains(
        "You can't use an API token from 1 workspace to interact with another workspace."
    ));
    // The dialog asks a Name and a Lifetime in days, 1 to 365, then the scopes a
    // member may put on a token (no "admin").
    let labels = texts(&page, "#generate-oauth-dialog label");
    assert_eq!(
        labels,
        [
            "Name",
            "Lifetime (days)",
            "Full access (api)",
            "Read only (read_api)",
            "Tokens (tokens)"
        ]
    );
    assert!(text(&page, "#oauth-lifetime-hint").contains("Between 1 and 365 days"));

    let response =
        generate_on_page(&app, &client, GenerateForm::oauth("nightly export", "30")).await;
    assert_eq!(response.status(), 303);
    // Only sealed values wait in the database for the page.
    let page = app.html(&client, PAGE).await;
    let access = value(&page, "#new-access-token");
    let refresh_value = value(&page, "#new-refresh-token");
    assert_eq!(access.split('.').count(), 3, "a JWT: {access}");
    assert!(refresh_value.starts_with("art_"), "{refresh_value}");
    let dialog = text(&page, "#oauth-token-created");
    assert!(dialog.contains(
        "Copy both the Access Token and Refresh Token values and keep them in a secure location. \
         You can't retrieve these token values after closing the API token dialog."
    ));
    assert!(
        dialog.contains("Access tokens have a 1 hour lifespan."),
        "{dialog}"
    );
    assert!(
        dialog.contains("lasts for the lifetime you entered: 30 days"),
        "{dialog}"
    );
    assert_eq!(text(&page, "#copy-access-token"), "Copy Access Token");
    assert_eq!(text(&page, "#copy-refresh-token"), "Copy Refresh Token");
    assert_eq!(text(&page, "#close-oauth-token"), "Close");
    assert_eq!(text(&page, "#new-oauth-name"), "nightly export");

    // The row: Name, Scopes, Status, Created, Expires, Last used.
    let ids = row_ids(&page);
    assert_eq!(ids.len(), 1);
    let headings = texts(&page, "#oauth-tokens-table thead th");
    assert_eq!(
        headings,
        [
            "Name",
            "Scopes",
            "Status",
            "Created",
            "Expires",
            "Last used"
        ]
    );
    assert_eq!(row_status(&page, &ids[0]), "Active");
    assert_eq!(
        text(
            &page,
            &format!("tr[data-token-id='{}'] td[data-label='Last used']", ids[0])
        ),
        "Never Used"
    );

    // Shown once: a reload shows neither value, and nothing waits any more.
    let again = app.html(&client, PAGE).await;
    assert!(!again.contains(&access) && !again.contains(&refresh_value));
    assert!(texts(&again, "#oauth-token-created").is_empty());

    // Both values work: the access token as Bearer, the refresh token at /oauth2/token.
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 200);
    let refreshed = app.refresh(&refresh_value).await;
    assert_eq!(refreshed.status(), 200);
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let page = app.html(&client, PAGE).await;
    assert_ne!(
        text(
            &page,
            &format!("tr[data-token-id='{}'] td[data-label='Last used']", ids[0])
        ),
        "Never Used",
        "a refresh is a use"
    );
}

#[actix_web::test]
async fn the_sealed_values_are_not_stored_in_clear() {
    let app = app_with(&[("mike", Role::Member)]).await;
    let client = signed_in(&app, "mike").await;
    assert_eq!(
        generate_on_page(&app, &client, GenerateForm::oauth("ci", "7"))
            .await
            .status(),
        303
    );
    // Before the page is shown, the row holds ciphertext only.
    let sealed = app.query_bytes("SELECT sealed AS value FROM pending_oauth_reveals");
    assert_eq!(sealed.len(), 1);
    let page = app.html(&client, PAGE).await;
    let refresh_value = value(&page, "#new-refresh-token");
    let access = value(&page, "#new-access-token");
    let secret = refresh_value.split('.').nth(1).unwrap();
    let stored = String::from_utf8_lossy(&sealed[0]).into_owned();
    assert!(!stored.contains(secret) && !stored.contains(&access[..40]));
    assert!(app
        .query_bytes("SELECT sealed AS value FROM pending_oauth_reveals")
        .is_empty());
}

#[actix_web::test]
async fn bad_input_is_explained_next_to_the_field() {
    let app = app_with(&[("mike", Role::Member)]).await;
    let client = signed_in(&app, "mike").await;
    for (name, days, css, message) in [
        ("", "30", "#oauth-name-error", "A name is required."),
        (
            "x",
            "366",
            "#oauth-lifetime-error",
            "Lifetime must be 1 to 365 days.",
        ),
        (
            "x",
            "0",
            "#oauth-lifetime-error",
            "Lifetime must be 1 to 365 days.",
        ),
        (
            "x",
            "ten",
            "#oauth-lifetime-error",
            "Lifetime must be 1 to 365 days.",
        ),
        (
            "a\u{7}b",
            "30",
            "#oauth-name-error",
            "Name cannot contain control characters",
        ),
    ] {
        let response = generate_on_page(&app, &client, GenerateForm::oauth(name, days)).await;
        assert_eq!(response.status(), 422, "{name:?} {days:?}");
        let page = response.text().await.unwrap();
        assert!(
            text(&page, css).starts_with(message),
            "{name:?} {days:?}: {page}"
        );
    }
    assert!(api_grants(&app, "mike").await.is_empty());

    // The workspace's maximum applies, and the form says so.
    app.execute_sql("UPDATE workspaces SET max_lifetime_days = 30");
    let page = app.html(&client, PAGE).await;
    assert_eq!(attr(&page, "#oauth-lifetime", "value"), "30");
    assert!(text(&page, "#oauth-lifetime-hint").contains("Between 1 and 30 days"));
    let response = generate_on_page(&app, &client, GenerateForm::oauth("x", "31")).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert_eq!(
        text(&page, "#oauth-lifetime-error"),
        "Lifetime can be at most 30 days in this workspace."
    );
}

#[actix_web::test]
async fn disable_from_the_menu_asks_first_and_stops_only_the_refresh_token() {
    let app = app_with(&[("mike", Role::Member)]).await;
    let client = signed_in(&app, "mike").await;
    let (access, refresh_value) = generate_and_read(&app, &client, "deploy").await;
    let page = app.html(&client, PAGE).await;
    let id = row_ids(&page)[0].clone();
    let menu = texts(&page, &format!("tr[data-token-id='{id}'] .menu-items a"));
    assert_eq!(menu, ["Disable", "Delete"]);

    // Without JavaScript, the menu's Disable is a confirmation page.
    let confirm = app.html(&client, &format!("{PAGE}/{id}/disable")).await;
    assert_eq!(text(&confirm, "main h1"), "Disable Token");
    assert_eq!(
        text(&confirm, "#oauth-confirm-question"),
        "Disable the token \u{201c}deploy\u{201d}?"
    );
    assert!(text(&confirm, "#oauth-confirm-warning").contains("cannot be undone"));

    let response = client
        .submit(&app, &format!("{PAGE}/{id}/disable"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let page = app.html(&client, PAGE).await;
    assert_eq!(row_status(&page, &id), "Disabled");
    assert_eq!(
        text(&page, ".flash"),
        "Token \u{201c}deploy\u{201d} disabled."
    );
    // Disabled for good: no Disable in its menu any more.
    let menu = texts(&page, &format!("tr[data-token-id='{id}'] .menu-items a"));
    assert_eq!(menu, ["Delete"]);

    // The refresh token stops at once; the access token works until it expires.
    let refused = app.refresh(&refresh_value).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 200);

    // Delete from the menu removes it from the table; the access token still works.
    let confirm = app.html(&client, &format!("{PAGE}/{id}/delete")).await;
    assert_eq!(text(&confirm, "main h1"), "Delete Token");
    let response = client
        .submit(&app, &format!("{PAGE}/{id}/delete"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let page = app.html(&client, PAGE).await;
    assert!(row_ids(&page).is_empty());
    assert_eq!(app.bearer_status_on(OAUTH_TOKENS, &access).await, 200);
}

#[actix_web::test]
async fn checkboxes_disable_or_delete_several_tokens_after_one_confirmation() {
    let app = app_with(&[("mike", Role::Member), ("nina", Role::Member)]).await;
    let client = signed_in(&app, "mike").await;
    let mut refresh_values = Vec::new();
    for name in ["one", "two", "three"] {
        refresh_values.push(generate_and_read(&app, &client, name).await.1);
    }
    let nina = signed_in(&app, "nina").await;
    generate_and_read(&app, &nina, "hers").await;
    let hers = row_ids(&app.html(&nina, PAGE).await)[0].clone();

    let page = app.html(&client, PAGE).await;
    let ids = row_ids(&page); // newest first: three, two, one
    assert_eq!(ids.len(), 3);
    assert_eq!(
        texts(&page, "#oauth-bulk-form button[name=action]"),
        ["Disable", "Delete"]
    );

    // Disable two: asked first, on a page that names the count.
    let selection = [
        ("action", "disable"),
        ("token_id", ids[0].as_str()),
        ("token_id", ids[1].as_str()),
    ];
    let confirm = client
        .submit(&app, &format!("{PAGE}/selected"), &selection)
        .await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert_eq!(
        text(&confirm, "#oauth-confirm-question"),
        "Disable 2 tokens?"
    );
    assert!(text(&confirm, "#oauth-confirm-warning").contains("cannot be undone"));
    assert_eq!(row_ids(&confirm).len(), 2);
    assert_eq!(
        row_status(&app.html(&client, PAGE).await, &ids[0]),
        "Active",
        "not yet"
    );

    let mut confirmed = selection.to_vec();
    confirmed.push(("confirmed", "yes"));
    let response = client
        .submit(&app, &format!("{PAGE}/selected"), &confirmed)
        .await;
    assert_eq!(response.status(), 303);
    let page = app.html(&client, PAGE).await;
    assert_eq!(text(&page, ".flash"), "Disabled 2 tokens.");
    assert_eq!(row_status(&page, &ids[0]), "Disabled");
    assert_eq!(row_status(&page, &ids[1]), "Disabled");
    assert_eq!(row_status(&page, &ids[2]), "Active");
    assert_eq!(app.refresh(&refresh_values[2]).await.status(), 400);
    assert_eq!(app.refresh(&refresh_values[0]).await.status(), 200);

    // Delete two, one of them someone else's: only the caller's own goes.
    let delete = [
        ("action", "delete"),
        ("confirmed", "yes"),
        ("token_id", ids[0].as_str()),
        ("token_id", ids[2].as_str()),
        ("token_id", hers.as_str()),
    ];
    let response = client
        .submit(&app, &format!("{PAGE}/selected"), &delete)
        .await;
    assert_eq!(response.status(), 303);
    let page = app.html(&client, PAGE).await;
    assert_eq!(text(&page, ".flash"), "Deleted 2 tokens.");
    assert_eq!(row_ids(&page), [ids[1].clone()]);
    assert_eq!(row_ids(&app.html(&nina, PAGE).await), [hers]);

    // Nothing selected, or a malformed id: a clear answer, nothing changed.
    let response = client
        .submit(&app, &format!("{PAGE}/selected"), &[("action", "delete")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        text(&app.html(&client, PAGE).await, ".flash"),
        "Select at least one token first."
    );
    let response = client
        .submit(
            &app,
            &format!("{PAGE}/selected"),
            &[("action", "delete"), ("token_id", "not-an-id")],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(api_grants(&app, "mike").await.len(), 1);
}

#[actix_web::test]
async fn forms_without_the_csrf_token_and_other_users_tokens_are_refused() {
    let app = app_with(&[("mike", Role::Member), ("nina", Role::Member)]).await;
    let mike = signed_in(&app, "mike").await;
    generate_and_read(&app, &mike, "mine").await;
    let id = row_ids(&app.html(&mike, PAGE).await)[0].clone();

    let response = mike
        .post(app.url(&format!("{PAGE}/{id}/disable")))
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let nina = signed_in(&app, "nina").await;
    let response = nina
        .get(app.url(&format!("{PAGE}/{id}/disable")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = nina.submit(&app, &format!("{PAGE}/{id}/delete"), &[]).await;
    assert_eq!(response.status(), 404);
    let response = nina
        .get(app.url(&format!("{PAGE}/{id}/explode")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(api_grants(&app, "mike").await[0]["status"], "Active");

    // Signed out: the page asks to sign in.
    let anonymous = app.browser_client();
    let response = anonymous.get(app.url(PAGE)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

const ADMIN_PAGE: &str = "/admin/oauth-tokens";

#[actix_web::test]
async fn an_admin_sees_everyones_tokens_filters_them_and_disables_or_deletes_them() {
    let app = app_with(&[
        ("root", Role::Admin),
        ("mike", Role::Member),
        ("nina", Role::Member),
    ])
    .await;
    let mike = signed_in(&app, "mike").await;
    let (mike_access, mike_refresh) = generate_and_read(&app, &mike, "mike's export").await;
    let nina = signed_in(&app, "nina").await;
    let (_, nina_refresh) = generate_and_read(&app, &nina, "nina's deploy").await;
    generate_and_read(&app, &nina, "nina's backup").await;

    // Members may not see it.
    let response = mike.get(app.url(ADMIN_PAGE)).send().await.unwrap();
    assert_eq!(response.status(), 403);

    let root = signed_in(&app, "root").await;
    let page = app.html(&root, ADMIN_PAGE).await;
    assert_eq!(text(&page, "main h1"), "OAuth 2.0 API Tokens");
    assert!(text(&page, "#oauth-effect").contains(EFFECT));
    assert_eq!(
        texts(&page, "#oauth-tokens-table thead th"),
        [
            "Name",
            "Owner",
            "Scopes",
            "Status",
            "Created",
            "Expires",
            "Last used"
        ]
    );
    assert_eq!(row_ids(&page).len(), 3);
    assert_eq!(text(&page, "#showing"), "Showing 1–3 of 3");
    let mut owners = texts(&page, "td[data-label='Owner']");
    owners.sort();
    assert_eq!(owners, ["mike", "nina", "nina"]);

    // Filters: owner, name, status.
    let page = app.html(&root, &format!("{ADMIN_PAGE}?owner=nina")).await;
    assert_eq!(row_ids(&page).len(), 2);
    let page = app.html(&root, &format!("{ADMIN_PAGE}?name=export")).await;
    assert_eq!(texts(&page, "td[data-label='Name']"), ["mike's export"]);
    let mike_id = row_ids(&page)[0].clone();

    // One token from its menu, as a page of its own without JavaScript.
    let confirm = app
        .html(&root, &format!("{ADMIN_PAGE}/{mike_id}/disable"))
        .await;
    assert_eq!(
        text(&confirm, "#oauth-confirm-question"),
        "Disable the token \u{201c}mike's export\u{201d}?"
    );
    assert!(text(&confirm, "#oauth-confirm-warning").contains("cannot be undone"));
    let response = root
        .submit(
            &app,
            &format!("{ADMIN_PAGE}/{mike_id}/disable"),
            &[("back", "/admin/oauth-tokens?name=export")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/oauth-tokens?name=export"
    );
    let page = app
        .html(&root, &format!("{ADMIN_PAGE}?status=disabled"))
        .await;
    assert_eq!(row_ids(&page), [mike_id.as_str()]);
    assert_eq!(
        text(&page, ".flash"),
        "mike's token \u{201c}mike's export\u{201d} disabled."
    );
    assert_eq!(app.refresh(&mike_refresh).await.status(), 400);
    assert_eq!(
        app.bearer_status_on(OAUTH_TOKENS, &mike_access).await,
        200,
        "within the hour"
    );

    // Nina's two at once, asked first.
    let nina_ids = row_ids(&app.html(&root, &format!("{ADMIN_PAGE}?owner=nina")).await);
    let csrf = csrf_token(&app.html(&root, ADMIN_PAGE).await);
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("action", "delete"),
        ("back", "/admin/oauth-tokens?owner=nina"),
    ];
    form.extend(nina_ids.iter().map(|id| ("token_id", id.as_str())));
    let response = root
        .post(app.url(&format!("{ADMIN_PAGE}/selected")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let confirm = response.text().await.unwrap();
    assert_eq!(
        text(&confirm, "#oauth-confirm-question"),
        "Delete 2 tokens?"
    );
    assert_eq!(texts(&confirm, "td[data-label='Owner']"), ["nina", "nina"]);
    form.push(("confirmed", "yes"));
    let response = root
        .post(app.url(&format!("{ADMIN_PAGE}/selected")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/oauth-tokens?owner=nina"
    );
    let page = app.html(&root, ADMIN_PAGE).await;
    assert_eq!(text(&page, ".flash"), "Deleted 2 tokens.");
    assert_eq!(row_ids(&page), [mike_id]);
    assert_eq!(app.refresh(&nina_refresh).await.status(), 400);

    // An outside address to go back to is refused before anything is done (issue 11).
    let response = root
        .submit(
            &app,
            &format!("{ADMIN_PAGE}/selected"),
            &[("action", "delete"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}
