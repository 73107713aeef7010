//! Managing OAuth 2.0 API tokens after they are made, over real HTTP: a user's bulk
//! disable and delete of their own, and a workspace admin's view of everyone's
//! (owner, filters, sort, pages) with single and bulk disable and delete, kept to
//! the admin's workspace; members refused, bad bodies refused, the audit log, and
//! the routes gone when the instance has API tokens turned off.

mod common;

use std::sync::Arc;

use access_tokens::domain::clock::ManualClock;
use access_tokens::domain::Role;
use common::{
    generate, s, spawn_app_with, workspace_on_clock, Generate, Generated, TestApp, ADMIN, MEMBER,
    PASSWORD,
};
use serde_json::{json, Value};

const OTHER: &str = "nina";
/// A well-formed id that no grant has.
const UNKNOWN: &str = "bab908f7-dcc2-4962-85bd-c1e96d0cacbd";

/// A server on a clock the test moves, with an admin and two members.
async fn app_with_clock() -> (TestApp, Arc<ManualClock>) {
    let (app, clock) = workspace_on_clock().await;
    app.create_user(OTHER, PASSWORD, Role::Member);
    (app, clock)
}

/// `POST path` with a JSON body as `user`; the status and the body.
async fn post(app: &TestApp, user: &str, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .api_client()
        .post(app.url(path))
        .basic_auth(user, Some(PASSWORD))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A request as `user` (optionally in `workspace`); the status and the body.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    user: &str,
    path: &str,
    workspace: Option<&str>,
) -> (u16, Value) {
    let mut request = app
        .api_client()
        .request(method, app.url(path))
        .basic_auth(user, Some(PASSWORD));
    if let Some(ws) = workspace {
        request = request.header("X-Workspace", ws);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, user: &str, path: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, user, path, None).await
}

/// The admin list as `ADMIN`, asserting a 200.
async fn admin_list(app: &TestApp, query: &str) -> Value {
    let (status, body) = get(app, ADMIN, &format!("/v4/workspaceOAuthTokens{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

/// The token ids of a list, in order.
fn ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokenId"].as_str().unwrap())
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Whether a refresh with `refresh_token` succeeds (200) or is refused
/// (`invalid_grant`); anything else fails the test.
async fn refreshes(app: &TestApp, refresh_token: &str) -> bool {
    let response = app.refresh(refresh_token).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    match status {
        200 => true,
        400 => {
            assert_eq!(body["error"], "invalid_grant");
            false
        }
        other => panic!("refresh answered {other}: {body}"),
    }
}

/// The caller's own tokens: id → status.
async fn own_statuses(app: &TestApp, user: &str) -> Vec<(String, String)> {
    let (status, body) = get(app, user, "/v4/oauthTokens").await;
    assert_eq!(status, 200);
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (s(&t["tokenId"]), s(&t["status"])))
        .collect()
}

/// The audit events of `action` in the default workspace, by target name (the
/// events of one request share their instant): (actor, target id, target name,
/// detail).
async fn audit(app: &TestApp, action: &str) -> Vec<(String, String, String, String)> {
    let (status, body) = get(app, ADMIN, &format!("/v4/auditEvents?action={action}")).await;
    assert_eq!(status, 200, "{body}");
    let mut events: Vec<_> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(&e["actor"]["username"]),
                s(&e["targetId"]),
                s(&e["targetName"]),
                s(&e["detail"]),
            )
        })
        .collect();
    events.sort_by(|a, b| a.2.cmp(&b.2));
    events
}

fn assert_validation_failed(status: u16, body: &Value, field: Option<&str>, what: &str) {
    assert_eq!(status, 400, "{what}: {body}");
    assert_eq!(body["exception"]["name"], "ValidationFailed", "{what}");
    if let Some(field) = field {
        assert_eq!(body["exception"]["details"]["field"], field, "{what}");
    }
}

#[actix_web::test]
async fn a_user_disables_many_of_their_own_tokens_at_once_and_no_one_elses() {
    let (app, clock) = app_with_clock().await;
    let a = generate(&app, Generate::oauth(MEMBER).name("a")).await;
    let b = generate(&app, Generate::oauth(MEMBER).name("b")).await;
    let c = generate(&app, Generate::oauth(MEMBER).name("c")).await;
    let hers = generate(&app, Generate::oauth(OTHER).name("hers")).await;

    let (status, body) = post(
        &app,
        MEMBER,
        "/v4/oauthTokens/disable",
        &json!({"tokenIds": [a.id, b.id, hers.id, UNKNOWN, a.id]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disabled"], 2);
    assert_eq!(strings(&body["tokenIds"]), [&a.id, &b.id]);
    assert_eq!(body["alreadyDisabled"], json!([]));
    assert_eq!(strings(&body["notFound"]), [hers.id.as_str(), UNKNOWN]);

    // Again, with one more: the disabled ones are left as they were.
    let (status, body) = post(
        &app,
        MEMBER,
        "/v4/oauthTokens/disable",
        &json!({"tokenIds": [a.id, c.id]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["disabled"], 1);
    assert_eq!(strings(&body["tokenIds"]), [&c.id]);
    assert_eq!(strings(&body["alreadyDisabled"]), [&a.id]);

    // An admin's own-token route reaches only the admin's own tokens too.
    let (status, body) = post(
        &app,
        ADMIN,
        "/v4/oauthTokens/disable",
        &json!({"tokenIds": [hers.id]}),
    )
    .await;
    assert_eq!((status, body["disabled"].clone()), (200, json!(0)));
    assert_eq!(strings(&body["notFound"]), [&hers.id]);

    for made in [&a, &b, &c] {
        assert!(!refreshes(&app, &made.refresh()).await);
        assert_eq!(app.bearer_status(&made.value).await, 200, "until expiry");
    }
    assert!(refreshes(&app, &hers.refresh()).await, "hers untouched");
    assert!(own_statuses(&app, MEMBER)
        .await
        .iter()
        .all(|(_, status)| status == "Disabled"));
    assert_eq!(own_statuses(&app, OTHER).await[0].1, "Active");

    // One event per token disabled, none for the repeat.
    let events = audit(&app, "oauth_token.disabled").await;
    let expected: Vec<_> = [(&a, "a"), (&b, "b"), (&c, "c")]
        .iter()
        .map(|(m, name)| {
            (
                MEMBER.to_owned(),
                m.id.clone(),
                (*name).to_owned(),
                "by owner".to_owned(),
            )
        })
        .collect();
    assert_eq!(events, expected);

    clock.advance(3600);
    assert_eq!(app.bearer_status(&a.value).await, 401);
}

#[actix_web::test]
async fn a_user_deletes_many_of_their_own_tokens_at_once_and_no_one_elses() {
    let (app, _clock) = app_with_clock().await;
    let a = generate(&app, Generate::oauth(MEMBER).name("a")).await;
    let b = generate(&app, Generate::oauth(MEMBER).name("b")).await;
    let keep = generate(&app, Generate::oauth(MEMBER).name("keep")).await;
    let hers = generate(&app, Generate::oauth(OTHER).name("hers")).await;

    let (status, body) = post(
        &app,
        MEMBER,
        "/v4/oauthTokens/delete",
        &json!({"tokenIds": [b.id, hers.id, a.id, UNKNOWN]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], 2);
    assert_eq!(strings(&body["tokenIds"]), [&b.id, &a.id]);
    assert_eq!(strings(&body["notFound"]), [hers.id.as_str(), UNKNOWN]);

    let mine = own_statuses(&app, MEMBER).await;
    assert_eq!(mine, [(keep.id.clone(), "Active".to_owned())]);
    assert_eq!(own_statuses(&app, OTHER).await.len(), 1);
    for gone in [&a, &b] {
        assert!(!refreshes(&app, &gone.refresh()).await);
        assert_eq!(app.bearer_status(&gone.value).await, 200, "until expiry");
    }
    assert!(refreshes(&app, &keep.refresh()).await);
    assert!(refreshes(&app, &hers.refresh()).await);

    let (status, body) = post(
        &app,
        MEMBER,
        "/v4/oauthTokens/delete",
        &json!({"tokenIds": [a.id]}),
    )
    .await;
    assert_eq!((status, body["deleted"].clone()), (200, json!(0)));
    assert_eq!(strings(&body["notFound"]), [&a.id]);

    let by_owner = |m: &Generated, name: &str| {
        (
            MEMBER.to_owned(),
            m.id.clone(),
            name.to_owned(),
            "by owner".to_owned(),
        )
    };
    assert_eq!(
        audit(&app, "oauth_token.deleted").await,
        [by_owner(&a, "a"), by_owner(&b, "b")]
    );
}

#[actix_web::test]
async fn the_admin_list_shows_every_owner_and_filters_sorts_and_pages() {
    let (app, clock) = app_with_clock().await;
    app.add_workspace("beta", ADMIN);
    let m1 = generate(&app, Generate::oauth(MEMBER).name("Alpha export")).await;
    clock.advance(10);
    let n1 = generate(&app, Generate::oauth(OTHER).name("beta sync").days(1)).await;
    clock.advance(10);
    let o1 = generate(&app, Generate::oauth(ADMIN).name("Gamma").days(10)).await;
    clock.advance(10);
    let m2 = generate(&app, Generate::oauth(MEMBER).name("nightly EXPORT").days(5)).await;
    let elsewhere = generate(
        &app,
        Generate::oauth(ADMIN)
            .name("beta export")
            .in_workspace("beta"),
    )
    .await;
    clock.advance(10);
    assert!(refreshes(&app, &m1.refresh()).await);
    clock.advance(10);
    assert!(refreshes(&app, &o1.refresh()).await);
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        MEMBER,
        &format!("/v4/oauthTokens/{}/disable", m2.id),
        None,
    )
    .await;
    assert_eq!(status, 200);
    clock.advance(2 * 86_400);

    // Every token of this workspace, newest first, each with its owner.
    let all = admin_list(&app, "").await;
    assert_eq!(all["count"], 4);
    assert_eq!(ids(&all), [&m2.id, &o1.id, &n1.id, &m1.id]);
    assert!(!ids(&all).contains(&elsewhere.id.as_str()));
    let first = &all["data"][0];
    assert_eq!(first["owner"]["username"], MEMBER);
    assert!(first["owner"]["id"].is_string());
    assert_eq!(first["name"], "nightly EXPORT");
    assert_eq!(first["status"], "Disabled");
    assert!(first["disabledAt"].is_string());
    assert_eq!(all["data"][1]["owner"]["username"], ADMIN);
    assert!(all["data"][1]["lastUsed"].is_string());
    assert_eq!(all["data"][2]["status"], "Expired");

    let filtered = [
        ("?status=active", vec![&o1.id, &m1.id]),
        ("?status=disabled", vec![&m2.id]),
        ("?status=expired", vec![&n1.id]),
        ("?owner=mike", vec![&m2.id, &m1.id]),
        ("?owner=nobody", vec![]),
        ("?owner=mike&status=active", vec![&m1.id]),
        ("?name=export", vec![&m2.id, &m1.id]),
        ("?name=EXPO", vec![&m2.id, &m1.id]),
        // `%` and `_` are literal text, not patterns.
        ("?name=%25", vec![]),
        ("?name=a_p", vec![]),
        ("?sort=owner", vec![&m2.id, &m1.id, &n1.id, &o1.id]),
        (
            "?sort=owner&order=desc",
            vec![&o1.id, &n1.id, &m2.id, &m1.id],
        ),
        (
            "?sort=created&order=asc",
            vec![&m1.id, &n1.id, &o1.id, &m2.id],
        ),
        (
            "?sort=expires&order=asc",
            vec![&n1.id, &m2.id, &o1.id, &m1.id],
        ),
        ("?sort=expires", vec![&m1.id, &o1.id, &m2.id, &n1.id]),
        (
            "?sort=created&order=asc&limit=2&offset=1",
            vec![&n1.id, &o1.id],
        ),
        ("?limit=2&offset=4", vec![]),
    ];
    for (query, expected) in filtered {
        let list = admin_list(&app, query).await;
        assert_eq!(ids(&list), expected, "{query}");
        if query.contains("limit") {
            assert_eq!(list["count"], 4, "{query}: count is every match");
        } else {
            assert_eq!(list["count"], expected.len(), "{query}");
        }
    }
    // Last used: never-refreshed tokens count as used longest ago.
    let by_use = admin_list(&app, "?sort=lastUsed").await;
    assert_eq!(ids(&by_use)[..2], [&o1.id, &m1.id]);
    let by_use = admin_list(&app, "?sort=lastUsed&order=asc").await;
    assert_eq!(ids(&by_use)[2..], [&m1.id, &o1.id]);

    // The other workspace's admin view holds only its own.
    let (status, beta) = call(
        &app,
        reqwest::Method::GET,
        ADMIN,
        "/v4/workspaceOAuthTokens",
        Some("beta"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&beta), [&elsewhere.id]);

    for (query, field) in [
        ("?status=Active", "status"),
        ("?status=expiresSoon", "status"),
        ("?status=", "status"),
        ("?sort=name", "sort"),
        ("?order=up", "order"),
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?offset=-1", "offset"),
        ("?limit=ten", "limit"),
        ("?owner=mi%00ke", "owner"),
        ("?name=a%0Ab", "name"),
    ] {
        let (status, body) = get(&app, ADMIN, &format!("/v4/workspaceOAuthTokens{query}")).await;
        assert_validation_failed(status, &body, Some(field), query);
    }
    let long = "x".repeat(256);
    let (status, body) = get(
        &app,
        ADMIN,
        &format!("/v4/workspaceOAuthTokens?name={long}"),
    )
    .await;
    assert_validation_failed(status, &body, Some("name"), "a long name");
}

#[actix_web::test]
async fn an_admin_disables_and_deletes_other_users_tokens_one_at_a_time() {
    let (app, clock) = app_with_clock().await;
    let m1 = generate(&app, Generate::oauth(MEMBER).name("first")).await;
    let m2 = generate(&app, Generate::oauth(MEMBER).name("second")).await;
    let own = generate(&app, Generate::oauth(ADMIN).name("mine")).await;
    let disable = |id: &str| format!("/v4/workspaceOAuthTokens/{id}/disable");

    let (status, body) = call(&app, reqwest::Method::POST, ADMIN, &disable(&m1.id), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tokenId"], m1.id);
    assert_eq!(body["status"], "Disabled");
    assert_eq!(body["owner"]["username"], MEMBER);
    // Twice is not an error, and not recorded twice.
    let (status, again) = call(&app, reqwest::Method::POST, ADMIN, &disable(&m1.id), None).await;
    assert_eq!((status, &again["disabledAt"]), (200, &body["disabledAt"]));
    let (status, _) = call(&app, reqwest::Method::POST, ADMIN, &disable(&own.id), None).await;
    assert_eq!(status, 200);

    let path = format!("/v4/workspaceOAuthTokens/{}", m2.id);
    let (status, _) = call(&app, reqwest::Method::DELETE, ADMIN, &path, None).await;
    assert_eq!(status, 204);
    let (status, body) = call(&app, reqwest::Method::DELETE, ADMIN, &path, None).await;
    assert_eq!(status, 404);
    assert_eq!(body["exception"]["name"], "ObjectNotFoundException");
    let (status, body) = call(&app, reqwest::Method::POST, ADMIN, &disable(&m2.id), None).await;
    assert_eq!(
        (status, &body["exception"]["name"]),
        (404, &json!("ObjectNotFoundException"))
    );

    assert_eq!(
        own_statuses(&app, MEMBER).await,
        [(m1.id.clone(), "Disabled".to_owned())]
    );
    for made in [&m1, &m2] {
        assert!(!refreshes(&app, &made.refresh()).await);
        assert_eq!(app.bearer_status(&made.value).await, 200, "until expiry");
    }
    clock.advance(3600);
    assert_eq!(app.bearer_status(&m1.value).await, 401);

    assert_eq!(
        audit(&app, "oauth_token.disabled").await,
        [
            (
                ADMIN.to_owned(),
                m1.id.clone(),
                "first".to_owned(),
                "by workspace admin; owner mike".to_owned()
            ),
            (
                ADMIN.to_owned(),
                own.id.clone(),
                "mine".to_owned(),
                "by owner".to_owned()
            ),
        ]
    );
    assert_eq!(
        audit(&app, "oauth_token.deleted").await,
        [(
            ADMIN.to_owned(),
            m2.id.clone(),
            "second".to_owned(),
            "by workspace admin; owner mike".to_owned()
        )]
    );

    for path in [
        "/v4/workspaceOAuthTokens/not-a-uuid/disable".to_owned(),
        "/v4/workspaceOAuthTokens/not-a-uuid".to_owned(),
    ] {
        let method = if path.ends_with("disable") {
            reqwest::Method::POST
        } else {
            reqwest::Method::DELETE
        };
        let (status, body) = call(&app, method, ADMIN, &path, None).await;
        assert_validation_failed(status, &body, Some("tokenId"), &path);
    }
}

#[actix_web::test]
async fn an_admin_disables_and_deletes_many_across_the_workspace_but_not_beyond() {
    let (app, _clock) = app_with_clock().await;
    app.add_workspace("beta", ADMIN);
    let m1 = generate(&app, Generate::oauth(MEMBER).name("m1")).await;
    let n1 = generate(&app, Generate::oauth(OTHER).name("n1")).await;
    let own = generate(&app, Generate::oauth(ADMIN).name("own")).await;
    let elsewhere = generate(
        &app,
        Generate::oauth(ADMIN)
            .name("elsewhere")
            .in_workspace("beta"),
    )
    .await;

    let (status, body) = post(
        &app,
        ADMIN,
        "/v4/workspaceOAuthTokens/disable",
        &json!({"tokenIds": [m1.id, n1.id, elsewhere.id]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disabled"], 2);
    assert_eq!(strings(&body["tokenIds"]), [&m1.id, &n1.id]);
    assert_eq!(strings(&body["notFound"]), [&elsewhere.id]);
    assert!(!refreshes(&app, &m1.refresh()).await);
    assert!(!refreshes(&app, &n1.refresh()).await);

    let (status, body) = post(
        &app,
        ADMIN,
        "/v4/workspaceOAuthTokens/delete",
        &json!({"tokenIds": [m1.id, own.id, elsewhere.id, UNKNOWN]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], 2);
    assert_eq!(strings(&body["tokenIds"]), [&m1.id, &own.id]);
    assert_eq!(strings(&body["notFound"]), [elsewhere.id.as_str(), UNKNOWN]);
    assert_eq!(ids(&admin_list(&app, "").await), [&n1.id]);

    // The other workspace's token was never touched.
    assert!(refreshes(&app, &elsewhere.refresh()).await);
    let (_, beta) = call(
        &app,
        reqwest::Method::GET,
        ADMIN,
        "/v4/workspaceOAuthTokens",
        Some("beta"),
    )
    .await;
    assert_eq!(beta["data"][0]["status"], "Active");

    let by_admin = |m: &Generated, name: &str, detail: &str| {
        (
            ADMIN.to_owned(),
            m.id.clone(),
            name.to_owned(),
            detail.to_owned(),
        )
    };
    assert_eq!(
        audit(&app, "oauth_token.disabled").await,
        [
            by_admin(&m1, "m1", "by workspace admin; owner mike"),
            by_admin(&n1, "n1", "by workspace admin; owner nina")
        ]
    );
    assert_eq!(
        audit(&app, "oauth_token.deleted").await,
        [
            by_admin(&m1, "m1", "by workspace admin; owner mike"),
            by_admin(&own, "own", "by owner")
        ]
    );
}

#[actix_web::test]
async fn a_member_gets_403_on_every_admin_route_and_nothing_changes() {
    let (app, _clock) = app_with_clock().await;
    let hers = generate(&app, Generate::oauth(OTHER).name("hers")).await;
    let ids_body = json!({"tokenIds": [hers.id]});
    let not_even_a_body = json!([1]);
    let routes = [
        (reqwest::Method::GET, "/v4/workspaceOAuthTokens".to_owned()),
        (
            reqwest::Method::POST,
            format!("/v4/workspaceOAuthTokens/{}/disable", hers.id),
        ),
        (
            reqwest::Method::DELETE,
            format!("/v4/workspaceOAuthTokens/{}", hers.id),
        ),
    ];
    for (method, path) in routes {
        let (status, body) = call(&app, method, MEMBER, &path, None).await;
        assert_eq!(status, 403, "{path}");
        assert_eq!(body["exception"]["name"], "AccessControlException");
    }
    for path in [
        "/v4/workspaceOAuthTokens/disable",
        "/v4/workspaceOAuthTokens/delete",
    ] {
        for body in [&ids_body, &not_even_a_body] {
            let (status, answer) = post(&app, MEMBER, path, body).await;
            assert_eq!(status, 403, "{path} {body}: the role before the body");
            assert_eq!(answer["exception"]["name"], "AccessControlException");
        }
    }
    assert!(refreshes(&app, &hers.refresh()).await);
    assert!(audit(&app, "oauth_token.disabled").await.is_empty());
    assert!(audit(&app, "oauth_token.deleted").await.is_empty());
}

#[actix_web::test]
async fn bad_bulk_bodies_get_400_validation_failed() {
    let (app, _clock) = app_with_clock().await;
    let made = generate(&app, Generate::oauth(ADMIN).name("kept")).await;
    let too_many: Vec<String> = (0..1001).map(|_| UNKNOWN.to_owned()).collect();
    let cases = [
        (json!(["tokenIds"]), None),
        (json!("tokenIds"), None),
        (json!({}), None),
        (json!({"tokenIds": made.id}), None),
        (json!({"tokenIds": [made.id], "force": true}), None),
        (json!({"tokenIds": []}), Some("tokenIds")),
        (json!({"tokenIds": too_many}), Some("tokenIds")),
        (
            json!({"tokenIds": [made.id, "not-a-uuid"]}),
            Some("tokenIds"),
        ),
        (
            json!({"tokenIds": [format!("{{{}}}", made.id)]}),
            Some("tokenIds"),
        ),
        (
            json!({"tokenIds": [made.id.replace('-', "")]}),
            Some("tokenIds"),
        ),
    ];
    for path in [
        "/v4/oauthTokens/disable",
        "/v4/oauthTokens/delete",
        "/v4/workspaceOAuthTokens/disable",
        "/v4/workspaceOAuthTokens/delete",
    ] {
        for (body, field) in &cases {
            let (status, answer) = post(&app, ADMIN, path, body).await;
            let shown: String = body.to_string().chars().take(80).collect();
            assert_validation_failed(status, &answer, *field, &format!("{path} {shown}"));
        }
        let response = app
            .api_client()
            .post(app.url(path))
            .basic_auth(ADMIN, Some(PASSWORD))
            .header("content-type", "text/plain")
            .body(json!({"tokenIds": [made.id]}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{path}");
        let huge = json!({"tokenIds": ["x".repeat(70 * 1024)]});
        let (status, _) = post(&app, ADMIN, path, &huge).await;
        assert_eq!(status, 413, "{path}");
    }
    assert!(refreshes(&app, &made.refresh()).await, "nothing was done");

    // The most a request takes, spread over several queries: every one reported.
    let thousand: Vec<String> = (0..1000)
        .map(|i| format!("bab908f7-dcc2-4962-85bd-{i:012}"))
        .collect();
    let (status, body) = post(
        &app,
        ADMIN,
        "/v4/workspaceOAuthTokens/delete",
        &json!({"tokenIds": thousand}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["notFound"].as_array().unwrap().len(), 1000);
}

#[actix_web::test]
async fn literal_paths_are_not_taken_for_token_ids() {
    let (app, _clock) = app_with_clock().await;
    for (method, path) in [
        (reqwest::Method::DELETE, "/v4/oauthTokens/disable"),
        (reqwest::Method::GET, "/v4/oauthTokens/delete"),
        (reqwest::Method::DELETE, "/v4/workspaceOAuthTokens/delete"),
        (reqwest::Method::GET, "/v4/workspaceOAuthTokens/disable"),
        (reqwest::Method::PATCH, "/v4/workspaceOAuthTokens"),
    ] {
        let (status, body) = call(&app, method, ADMIN, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(
            body["exception"]["name"], "RouteNotFoundException",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn with_api_tokens_off_the_routes_do_not_exist() {
    let app = spawn_app_with(|s| s.api_access_tokens = false).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);
    for (method, path) in [
        (reqwest::Method::POST, "/v4/oauthTokens/disable".to_owned()),
        (reqwest::Method::POST, "/v4/oauthTokens/delete".to_owned()),
        (reqwest::Method::GET, "/v4/workspaceOAuthTokens".to_owned()),
        (
            reqwest::Method::POST,
            "/v4/workspaceOAuthTokens/disable".to_owned(),
        ),
        (
            reqwest::Method::POST,
            "/v4/workspaceOAuthTokens/delete".to_owned(),
        ),
        (
            reqwest::Method::POST,
            format!("/v4/workspaceOAuthTokens/{UNKNOWN}/disable"),
        ),
        (
            reqwest::Method::DELETE,
            format!("/v4/workspaceOAuthTokens/{UNKNOWN}"),
        ),
    ] {
        let response = app
            .api_client()
            .request(method, app.url(&path))
            .basic_auth(ADMIN, Some(PASSWORD))
            .json(&json!({"tokenIds": [UNKNOWN]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["exception"]["name"], "RouteNotFoundException",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn every_route_needs_credentials_and_is_in_the_open_api_document() {
    let (app, _clock) = app_with_clock().await;
    let (status, spec) = get(&app, ADMIN, "/v4/open-api-spec").await;
    assert_eq!(status, 200);
    let id = format!("/v4/workspaceOAuthTokens/{UNKNOWN}");
    for (method, path, template, statuses) in [
        (
            reqwest::Method::POST,
            "/v4/oauthTokens/disable".to_owned(),
            "/v4/oauthTokens/disable",
            &["200", "400", "413", "415"][..],
        ),
        (
            reqwest::Method::POST,
            "/v4/oauthTokens/delete".to_owned(),
            "/v4/oauthTokens/delete",
            &["200", "400", "413", "415"],
        ),
        (
            reqwest::Method::GET,
            "/v4/workspaceOAuthTokens".to_owned(),
            "/v4/workspaceOAuthTokens",
            &["200", "400"],
        ),
        (
            reqwest::Method::POST,
            "/v4/workspaceOAuthTokens/disable".to_owned(),
            "/v4/workspaceOAuthTokens/disable",
            &["200", "400", "413", "415"],
        ),
        (
            reqwest::Method::POST,
            "/v4/workspaceOAuthTokens/delete".to_owned(),
            "/v4/workspaceOAuthTokens/delete",
            &["200", "400", "413", "415"],
        ),
        (
            reqwest::Method::POST,
            format!("{id}/disable"),
            "/v4/workspaceOAuthTokens/{tokenId}/disable",
            &["200", "400", "404"],
        ),
        (
            reqwest::Method::DELETE,
            id.clone(),
            "/v4/workspaceOAuthTokens/{tokenId}",
            &["204", "400", "404"],
        ),
    ] {
        let operation = &spec["paths"][template][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {template} is documented");
        for status in statuses.iter().chain(&["401", "403"]) {
            assert!(
                operation["responses"][status].is_object(),
                "{method} {template} documents {status}"
            );
        }
        let response = app
            .api_client()
            .request(method.clone(), app.url(&path))
            .json(&json!({"tokenIds": [UNKNOWN]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
    }
}
