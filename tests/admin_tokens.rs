//! Admin > Access Tokens, the page and `/v4/workspaceAccessTokens`: an admin sees,
//! filters, sorts, pages and deletes every token of the workspace; a member cannot.

mod common;

use std::collections::HashMap;

use access_tokens::domain::{Description, Role, Timestamp, TokenId, TokenSecret, WorkspaceId};
use access_tokens::models;
use access_tokens::models::token::NewToken;
use common::html::{all, ids, page, text, token_rows};
use common::{
    app_with, generate, get, location, post_form, signed_in, Generate, Generated, TestApp, ADMIN,
    ALICE, BOB, PASSWORD,
};
use reqwest::{Response, StatusCode};
use scraper::Html;
use serde_json::{json, Value};

const PAGE: &str = "/admin/access-tokens";
const API: &str = "/v4/workspaceAccessTokens";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn first_text(doc: &Html, css: &str) -> String {
    let found = all(doc.root_element(), css);
    text(*found.first().unwrap_or_else(|| panic!("an element {css}")))
}

fn flash(doc: &Html) -> String {
    first_text(doc, ".flash")
}

async fn api_get(app: &TestApp, user: &str, path_and_query: &str) -> Response {
    app.api_client()
        .get(app.url(path_and_query))
        .basic_auth(user, Some(PASSWORD))
        .send()
        .await
        .unwrap()
}

async fn api_json(app: &TestApp, user: &str, path_and_query: &str) -> Value {
    let response = api_get(app, user, path_and_query).await;
    assert_eq!(response.status(), 200, "GET {path_and_query}");
    response.json().await.unwrap()
}

fn data_ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokenId"].as_str().unwrap().to_owned())
        .collect()
}

async fn bulk_delete_api(app: &TestApp, user: &str, body: Value) -> Response {
    app.api_client()
        .post(app.url(&format!("{API}/delete")))
        .basic_auth(user, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn assert_error(response: Response, status: u16, name: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["exception"]["name"], name, "{body}");
    body
}

/// Whether the API takes `value` as a Bearer token; an answer other than 200 or
/// 401 fails the test.
async fn token_works(app: &TestApp, value: &str) -> bool {
    match app.bearer_status(value).await {
        200 => true,
        401 => false,
        other => panic!("unexpected {other}"),
    }
}

/// Stores a token straight in the database (no value anyone holds), created
/// `created_days_ago` days ago, expiring `expires_in_days` days from now (`None`:
/// never), last used `used_days_ago` days ago (`None`: never).
fn insert_token(
    app: &TestApp,
    owner: &str,
    workspace: WorkspaceId,
    created_days_ago: i64,
    expires_in_days: Option<i64>,
    used_days_ago: Option<i64>,
) -> String {
    let now = Timestamp::now().millis();
    let mut conn = app.pool.get().unwrap();
    let id = TokenId::new_random();
    let description = Description::parse_optional(&format!("{owner} token")).unwrap();
    models::token::insert(
        &mut conn,
        NewToken {
            id,
            user_id: app.user_id(owner),
            workspace_id: workspace,
            description: description.as_ref(),
            digest: &TokenSecret::generate().digest(),
            created_at: Timestamp::from_millis(now - created_days_ago * DAY_MS),
            expires_at: expires_in_days.map(|d| Timestamp::from_millis(now + d * DAY_MS)),
            scopes: &access_tokens::domain::scope::ScopeSet::default(),
        },
    )
    .unwrap();
    if let Some(days) = used_days_ago {
        models::token::touch(&mut conn, id, Timestamp::from_millis(now - days * DAY_MS)).unwrap();
    }
    id.to_string()
}

/// A token of the admin's workspace in every status of the filters.
struct Statuses {
    active: String,
    expired: String,
    soon: String,
    never: String,
    unused_old: String,
    used_long_ago: String,
    unused_new: String,
}

fn tokens_in_every_status(app: &TestApp) -> Statuses {
    let ws = app.default_workspace();
    Statuses {
        active: insert_token(app, ALICE, ws, 1, Some(30), Some(0)),
        expired: insert_token(app, ALICE, ws, 40, Some(-2), Some(10)),
        soon: insert_token(app, BOB, ws, 2, Some(3), None),
        never: insert_token(app, BOB, ws, 3, None, Some(1)),
        unused_old: insert_token(app, ALICE, ws, 100, Some(200), None),
        used_long_ago: insert_token(app, BOB, ws, 300, Some(100), Some(120)),
        unused_new: insert_token(app, BOB, ws, 10, Some(100), None),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// ---------------------------------------------------------------------------
// Who may
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn an_admin_sees_every_token_of_the_workspace_with_its_owner() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let alice_token = generate(&app, Generate::legacy(ALICE).lifetime_seconds(30 * 86_400))
        .await
        .id;
    let bob_token = generate(&app, Generate::legacy(BOB).lifetime_seconds(30 * 86_400))
        .await
        .id;
    let admin = signed_in(&app, ADMIN).await;

    let doc = page(&app, &admin, PAGE).await;

    assert_eq!(first_text(&doc, "main h1"), "Access Tokens");
    assert_eq!(first_text(&doc, "main .breadcrumb"), "Admin");
    let headings: Vec<String> = all(doc.root_element(), "#tokens-table thead th")
        .into_iter()
        .map(text)
        .collect();
    for column in [
        "Token ID",
        "Owner",
        "Description",
        "Status",
        "Created",
        "Expires",
        "Last used",
    ] {
        assert!(
            headings.iter().any(|h| h.starts_with(column)),
            "{column} in {headings:?}"
        );
    }
    let rows = token_rows(&doc);
    let owners: HashMap<String, String> = rows
        .iter()
        .map(|r| (r["id"].clone(), r["Owner"].clone()))
        .collect();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[&alice_token], ALICE);
    assert_eq!(owners[&bob_token], BOB);
    assert_eq!(first_text(&doc, "#showing"), "Showing 1–2 of 2");
    assert_eq!(
        all(
            doc.root_element(),
            "#tokens-table tbody input[type=checkbox][name=token_id]"
        )
        .len(),
        2
    );
    assert_eq!(all(doc.root_element(), "#select-all").len(), 1);

    let body = api_json(&app, ADMIN, API).await;
    assert_eq!(body["count"], 2);
    let alice_row = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tokenId"] == alice_token.as_str())
        .unwrap();
    assert_eq!(alice_row["owner"]["username"], ALICE);
    assert_eq!(alice_row["owner"]["id"], app.user_id(ALICE).to_string());
    assert!(alice_row["createdAt"].is_string());
}

#[actix_web::test]
async fn the_user_menu_offers_the_admin_page_to_admins_only() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let admin = signed_in(&app, ADMIN).await;
    let member = signed_in(&app, ALICE).await;
    let link = r#"nav[aria-label="User menu"] a[href="/admin/access-tokens"]"#;

    let admin_page = page(&app, &admin, "/preferences/access-tokens").await;
    let member_page = page(&app, &member, "/preferences/access-tokens").await;

    assert_eq!(all(admin_page.root_element(), link).len(), 1);
    assert_eq!(first_text(&admin_page, link), "Admin > Access Tokens");
    assert!(all(member_page.root_element(), link).is_empty());
}

#[actix_web::test]
async fn a_member_is_refused_the_page_and_the_api() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let Generated {
        id: bob_token,
        value: bob_value,
        ..
    } = generate(&app, Generate::legacy(BOB).lifetime_seconds(30 * 86_400)).await;
    let member = signed_in(&app, ALICE).await;

    let list = get(&app, &member.client, PAGE).await;
    let confirm = get(&app, &member.client, &format!("{PAGE}/{bob_token}/delete")).await;
    let delete = member
        .submit(&app, &format!("{PAGE}/{bob_token}/delete"), &[])
        .await;
    let bulk = post_form(
        &app,
        &member,
        &format!("{PAGE}/delete-selected"),
        &[
            ("csrf_token", &member.csrf),
            ("token_id", &bob_token),
            ("confirmed", "yes"),
        ],
    )
    .await;

    for response in [list, confirm, delete, bulk] {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.text().await.unwrap().contains("Access denied"));
    }
    assert_error(
        api_get(&app, ALICE, API).await,
        403,
        "AccessControlException",
    )
    .await;
    let delete = app
        .api_client()
        .delete(app.url(&format!("{API}/{bob_token}")))
        .basic_auth(ALICE, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_error(delete, 403, "AccessControlException").await;
    let bulk = bulk_delete_api(&app, ALICE, json!({"tokenIds": [bob_token]})).await;
    assert_error(bulk, 403, "AccessControlException").await;
    assert!(token_works(&app, &bob_value).await, "bob's token survives");
}

// ---------------------------------------------------------------------------
// Filters, sorting, paging
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_api_filters_by_owner_and_by_each_status() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let s = tokens_in_every_status(&app);
    let everyone = [
        &s.active,
        &s.expired,
        &s.soon,
        &s.never,
        &s.unused_old,
        &s.used_long_ago,
        &s.unused_new,
    ];
    let cases: [(&str, Vec<&String>); 7] = [
        ("", everyone.to_vec()),
        ("owner=alice", vec![&s.active, &s.expired, &s.unused_old]),
        (
            "status=active",
            vec![
                &s.active,
                &s.soon,
                &s.never,
                &s.unused_old,
                &s.used_long_ago,
                &s.unused_new,
            ],
        ),
        ("status=expired", vec![&s.expired]),
        ("status=expiresSoon", vec![&s.soon]),
        ("status=neverExpires", vec![&s.never]),
        (
            "status=notUsed90Days",
            vec![&s.unused_old, &s.used_long_ago],
        ),
    ];
    for (query, expected) in cases {
        let body = api_json(&app, ADMIN, &format!("{API}?{query}")).await;
        let expected = sorted(expected.into_iter().cloned().collect());
        assert_eq!(sorted(data_ids(&body)), expected, "{query}");
        assert_eq!(body["count"], expected.len(), "{query}");
    }
    let both = api_json(
        &app,
        ADMIN,
        &format!("{API}?owner=bob&status=notUsed90Days"),
    )
    .await;
    assert_eq!(data_ids(&both), vec![s.used_long_ago.clone()]);
    let nobody = api_json(&app, ADMIN, &format!("{API}?owner=nobody")).await;
    assert_eq!(nobody["count"], 0);
}

#[actix_web::test]
async fn the_page_filters_and_marks_tokens_that_expire_soon() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let s = tokens_in_every_status(&app);
    let admin = signed_in(&app, ADMIN).await;

    let soon = token_rows(&page(&app, &admin, &format!("{PAGE}?status=expiresSoon")).await);
    let unused = token_rows(
        &page(
            &app,
            &admin,
            &format!("{PAGE}?status=notUsed90Days&owner=alice"),
        )
        .await,
    );
    let never = page(&app, &admin, &format!("{PAGE}?status=neverExpires")).await;
    let everything = token_rows(&page(&app, &admin, PAGE).await);

    assert_eq!(ids(&soon), vec![s.soon.clone()]);
    assert_eq!(soon[0]["Status"], "Active Expires soon");
    assert_eq!(ids(&unused), vec![s.unused_old.clone()]);
    assert_eq!(token_rows(&never)[0]["Expires"], "Never");
    let selected = all(never.root_element(), "#filter-status option[selected]");
    assert_eq!(selected[0].value().attr("value"), Some("neverExpires"));
    let status_of = |id: &str| everything.iter().find(|r| r["id"] == id).unwrap()["Status"].clone();
    assert_eq!(status_of(&s.active), "Active");
    assert_eq!(status_of(&s.expired), "Expired");
    assert_eq!(status_of(&s.soon), "Active Expires soon");
    let none = page(&app, &admin, &format!("{PAGE}?owner=nobody")).await;
    assert!(first_text(&none, "#no-tokens").contains("No access tokens match"));
    let bad = get(&app, &admin.client, &format!("{PAGE}?status=bogus")).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn the_users_own_page_marks_a_token_that_expires_within_a_week() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let ws = app.default_workspace();
    let soon = insert_token(&app, ALICE, ws, 0, Some(6), None);
    let later = insert_token(&app, ALICE, ws, 0, Some(8), None);
    let alice = signed_in(&app, ALICE).await;

    let rows = token_rows(&page(&app, &alice, "/preferences/access-tokens").await);

    let status_of = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap()["Status"].clone();
    assert_eq!(status_of(&soon), "Active Expires soon");
    assert_eq!(status_of(&later), "Active");
}

#[actix_web::test]
async fn tokens_sort_by_created_expires_last_used_and_owner() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let ws = app.default_workspace();
    // (owner, created days ago, expires in days, used days ago)
    let a = insert_token(&app, BOB, ws, 3, Some(10), Some(2));
    let b = insert_token(&app, ALICE, ws, 2, None, None);
    let c = insert_token(&app, BOB, ws, 1, Some(5), Some(1));
    let admin = signed_in(&app, ADMIN).await;
    let order = |q: &'static str| {
        let app = &app;
        async move { data_ids(&api_json(app, ADMIN, &format!("{API}?{q}")).await) }
    };

    assert_eq!(order("").await, [c.as_str(), b.as_str(), a.as_str()]);
    assert_eq!(
        order("sort=created&order=asc").await,
        [a.as_str(), b.as_str(), c.as_str()]
    );
    assert_eq!(
        order("sort=expires&order=asc").await,
        [c.as_str(), a.as_str(), b.as_str()]
    );
    assert_eq!(
        order("sort=expires&order=desc").await,
        [b.as_str(), a.as_str(), c.as_str()]
    );
    assert_eq!(
        order("sort=lastUsed&order=desc").await,
        [c.as_str(), a.as_str(), b.as_str()]
    );
    assert_eq!(
        order("sort=lastUsed&order=asc").await,
        [b.as_str(), a.as_str(), c.as_str()]
    );
    assert_eq!(order("sort=owner").await[0], b);
    assert_eq!(order("sort=owner&order=desc").await[2], b);

    let doc = page(&app, &admin, &format!("{PAGE}?sort=expires&order=asc")).await;
    assert_eq!(ids(&token_rows(&doc)), [c.as_str(), a.as_str(), b.as_str()]);
    let heading = all(doc.root_element(), r#"th[aria-sort="ascending"] a"#);
    assert_eq!(text(heading[0]), "Expires");
    assert!(heading[0]
        .value()
        .attr("href")
        .unwrap()
        .contains("sort=expires&order=desc"));
    let bad = api_get(&app, ADMIN, &format!("{API}?sort=id")).await;
    let body = assert_error(bad, 400, "ValidationFailed").await;
    assert_eq!(body["exception"]["details"]["field"], "sort");
    // A NUL in a text filter is refused up front (PostgreSQL refuses it in text).
    let bad = api_get(&app, ADMIN, &format!("{API}?owner=a%00b")).await;
    let body = assert_error(bad, 400, "ValidationFailed").await;
    assert_eq!(body["exception"]["details"]["field"], "owner");
}

#[actix_web::test]
async fn a_hundred_and_twenty_tokens_come_in_pages_of_fifty() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let ws = app.default_workspace();
    for i in 0..120 {
        let owner = if i % 2 == 0 { ALICE } else { BOB };
        insert_token(&app, owner, ws, i, Some(365), None);
    }
    let admin = signed_in(&app, ADMIN).await;

    let first = page(&app, &admin, PAGE).await;
    let third = page(&app, &admin, &format!("{PAGE}?page=3")).await;

    assert_eq!(token_rows(&first).len(), 50);
    assert_eq!(first_text(&first, "#showing"), "Showing 1–50 of 120");
    assert!(all(first.root_element(), "#prev-page").is_empty());
    let next = all(first.root_element(), "#next-page")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let second = page(&app, &admin, &next).await;
    assert_eq!(first_text(&second, "#showing"), "Showing 51–100 of 120");
    assert_eq!(token_rows(&third).len(), 20);
    assert_eq!(first_text(&third, "#showing"), "Showing 101–120 of 120");
    assert!(all(third.root_element(), "#next-page").is_empty());
    assert_eq!(all(third.root_element(), "#prev-page").len(), 1);
    let mut seen: Vec<String> = [first, second, third]
        .iter()
        .flat_map(|d| ids(&token_rows(d)))
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 120, "every token once over the three pages");

    let api_page = api_json(&app, ADMIN, &format!("{API}?owner=bob&limit=25&offset=50")).await;
    assert_eq!(api_page["count"], 60);
    assert_eq!(api_page["data"].as_array().unwrap().len(), 10);
    let too_many = api_get(&app, ADMIN, &format!("{API}?limit=501")).await;
    let body = assert_error(too_many, 400, "ValidationFailed").await;
    assert_eq!(body["exception"]["details"]["field"], "limit");
}

// ---------------------------------------------------------------------------
// Deleting
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn an_admin_deletes_a_members_token_from_its_row_menu_and_it_stops_working() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let Generated { id, value, .. } =
        generate(&app, Generate::legacy(ALICE).lifetime_seconds(30 * 86_400)).await;
    let admin = signed_in(&app, ADMIN).await;
    assert!(token_works(&app, &value).await);

    let confirm = page(&app, &admin, &format!("{PAGE}/{id}/delete")).await;
    let response = post_form(
        &app,
        &admin,
        &format!("{PAGE}/{id}/delete"),
        &[
            ("csrf_token", &admin.csrf),
            ("back", "/admin/access-tokens?owner=alice"),
        ],
    )
    .await;

    assert_eq!(first_text(&confirm, "main h1"), "Delete 1 token?");
    assert_eq!(token_rows(&confirm)[0]["Owner"], ALICE);
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/access-tokens?owner=alice");
    let after = page(&app, &admin, PAGE).await;
    assert_eq!(flash(&after), format!("Token {id} deleted."));
    assert!(token_rows(&after).is_empty());
    assert!(!token_works(&app, &value).await, "refused at once");
    let again = admin
        .submit(&app, &format!("{PAGE}/{id}/delete"), &[])
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn bulk_delete_asks_naming_the_count_then_deletes_the_selected_tokens() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let mut tokens = Vec::new();
    for owner in [ALICE, BOB, ALICE, BOB] {
        tokens.push(generate(&app, Generate::legacy(owner).lifetime_seconds(30 * 86_400)).await);
    }
    let admin = signed_in(&app, ADMIN).await;
    let selected = &tokens[..3];
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &admin.csrf), ("back", PAGE)];
    form.extend(selected.iter().map(|t| ("token_id", t.id.as_str())));

    let asked = post_form(&app, &admin, &format!("{PAGE}/delete-selected"), &form).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let confirm = Html::parse_document(&asked.text().await.unwrap());
    assert_eq!(first_text(&confirm, "main h1"), "Delete 3 tokens?");
    assert_eq!(
        first_text(&confirm, "#confirm-delete-form button"),
        "Delete 3 tokens"
    );
    assert_eq!(
        app.token_count(),
        4,
        "nothing deleted before the confirmation"
    );

    form.push(("confirmed", "yes"));
    let done = post_form(&app, &admin, &format!("{PAGE}/delete-selected"), &form).await;

    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), PAGE);
    let after = page(&app, &admin, PAGE).await;
    assert_eq!(flash(&after), "Deleted 3 tokens.");
    assert_eq!(ids(&token_rows(&after)), vec![tokens[3].id.clone()]);
    for made in selected {
        assert!(
            !token_works(&app, &made.value).await,
            "a deleted token is refused"
        );
    }
    assert!(
        token_works(&app, &tokens[3].value).await,
        "the unselected token works"
    );
}

#[actix_web::test]
async fn the_api_deletes_one_or_many_tokens_of_the_workspace() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let Generated {
        id: one,
        value: one_value,
        ..
    } = generate(&app, Generate::legacy(ALICE).lifetime_seconds(30 * 86_400)).await;
    let Generated {
        id: two,
        value: two_value,
        ..
    } = generate(&app, Generate::legacy(BOB).lifetime_seconds(30 * 86_400)).await;
    let three = generate(&app, Generate::legacy(BOB).lifetime_seconds(30 * 86_400))
        .await
        .id;

    let deleted = app
        .api_client()
        .delete(app.url(&format!("{API}/{one}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let bulk = bulk_delete_api(&app, ADMIN, json!({"tokenIds": [two, three, two, one]})).await;

    assert_eq!(deleted.status(), 204);
    assert_eq!(bulk.status(), 200);
    let body: Value = bulk.json().await.unwrap();
    assert_eq!(body["deleted"], 2, "{body}");
    assert_eq!(
        sorted(serde_json::from_value(body["tokenIds"].clone()).unwrap()),
        sorted(vec![two, three])
    );
    assert!(!token_works(&app, &one_value).await);
    assert!(!token_works(&app, &two_value).await);
    assert_eq!(app.token_count(), 0);
}

#[actix_web::test]
async fn the_api_refuses_bad_bulk_requests_with_the_field_at_fault() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let too_many: Vec<String> = (0..1001)
        .map(|_| TokenId::new_random().to_string())
        .collect();
    let cases = [
        json!({"tokenIds": []}),
        json!({"tokenIds": ["nope"]}),
        json!({"tokenIds": too_many}),
    ];
    for body in cases {
        let response = bulk_delete_api(&app, ADMIN, body).await;
        let error = assert_error(response, 400, "ValidationFailed").await;
        assert_eq!(error["exception"]["details"]["field"], "tokenIds");
    }
    let malformed = app
        .api_client()
        .delete(app.url(&format!("{API}/nope")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let error = assert_error(malformed, 400, "ValidationFailed").await;
    assert_eq!(error["exception"]["details"]["field"], "tokenId");
}

#[actix_web::test]
async fn a_token_of_another_workspace_cannot_be_deleted() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let other = app.create_workspace("elsewhere");
    app.add_member(other, ALICE, Role::Member);
    let foreign = insert_token(&app, ALICE, other, 0, Some(30), None);
    let ours = generate(&app, Generate::legacy(BOB).lifetime_seconds(30 * 86_400))
        .await
        .id;
    let admin = signed_in(&app, ADMIN).await;

    let listed = token_rows(&page(&app, &admin, PAGE).await);
    let one = admin
        .submit(&app, &format!("{PAGE}/{foreign}/delete"), &[])
        .await;
    let asked = post_form(
        &app,
        &admin,
        &format!("{PAGE}/delete-selected"),
        &[
            ("csrf_token", &admin.csrf),
            ("token_id", &foreign),
            ("token_id", &ours),
        ],
    )
    .await;
    let api_one = app
        .api_client()
        .delete(app.url(&format!("{API}/{foreign}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let api_bulk = bulk_delete_api(&app, ADMIN, json!({"tokenIds": [foreign]})).await;

    assert_eq!(
        ids(&listed),
        vec![ours.clone()],
        "only this workspace's tokens"
    );
    assert_eq!(one.status(), StatusCode::NOT_FOUND);
    let confirm = Html::parse_document(&asked.text().await.unwrap());
    assert_eq!(first_text(&confirm, "main h1"), "Delete 1 token?");
    assert_eq!(ids(&token_rows(&confirm)), vec![ours]);
    assert_error(api_one, 404, "ObjectNotFoundException").await;
    let body: Value = api_bulk.json().await.unwrap();
    assert_eq!(body["deleted"], 0);
    assert_eq!(
        app.token_count(),
        2,
        "the other workspace's token is still there"
    );
}

#[actix_web::test]
async fn a_delete_without_the_sessions_csrf_token_is_refused() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;
    let Generated { id, value, .. } =
        generate(&app, Generate::legacy(ALICE).lifetime_seconds(30 * 86_400)).await;
    let admin = signed_in(&app, ADMIN).await;

    let one = post_form(
        &app,
        &admin,
        &format!("{PAGE}/{id}/delete"),
        &[("csrf_token", "forged")],
    )
    .await;
    let bulk = post_form(
        &app,
        &admin,
        &format!("{PAGE}/delete-selected"),
        &[("token_id", id.as_str()), ("confirmed", "yes")],
    )
    .await;

    assert_eq!(one.status(), StatusCode::FORBIDDEN);
    assert_eq!(bulk.status(), StatusCode::FORBIDDEN);
    assert!(token_works(&app, &value).await);
}

#[actix_web::test]
async fn the_open_api_document_lists_the_admin_routes() {
    let app = app_with(&[
        (ADMIN, Role::Admin),
        (ALICE, Role::Member),
        (BOB, Role::Member),
    ])
    .await;

    let spec = api_json(&app, ADMIN, "/v4/open-api-spec").await;

    let paths = &spec["paths"];
    assert!(paths[API]["get"].is_object());
    assert!(paths[format!("{API}/{{tokenId}}")]["delete"].is_object());
    assert!(paths[format!("{API}/delete")]["post"].is_object());
    assert!(paths[API]["get"]["responses"]["403"].is_object());
    assert!(spec["components"]["schemas"]["WorkspaceTokenList"].is_object());
}
