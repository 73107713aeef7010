//! People over real HTTP: admins add someone (with an initial password or a one-time
//! invitation link), make them admin, suspend or remove them; their tokens stop at
//! once (removal deletes them); the last admin stays; members are kept out.

mod common;

use access_tokens::domain::password::RULE;
use access_tokens::models;
use common::html::said_beside;
use common::{
    csrf_token, generate, signed_in, workspace, Generate, Generating, TestApp, ADMIN, MEMBER,
    PASSWORD,
};
use serde_json::{json, Value};

const MEMBERS: &str = "/v4/workspaceMembers";

async fn people_page(app: &TestApp, browser: &reqwest::Client) -> String {
    app.html(browser, "/admin/people").await
}

#[actix_web::test]
async fn an_admin_adds_someone_with_an_initial_password_who_can_then_sign_in() {
    let app = workspace(Generating::AdminsOnly).await;
    let browser = signed_in(&app, ADMIN).await;
    let page = people_page(&app, &browser).await;
    assert!(
        page.contains(&format!(
            "Only with \"Set an initial password\". {RULE} They must choose their own"
        )),
        "the rule beside Initial password"
    );
    let html = people_page(&app, &browser).await;
    assert!(html.contains(MEMBER) && html.contains("Add Person"));
    let added = browser
        .submit(
            &app,
            "/admin/people",
            &[
                ("username", "nina"),
                ("role", "member"),
                ("onboarding", "password"),
                ("password", "nina's first password"),
            ],
        )
        .await;
    assert_eq!(added.status(), 303);
    let html = people_page(&app, &browser).await;
    assert!(html.contains("Added nina. Give them their initial password"));
    assert!(html.contains(r#"data-username="nina""#));

    let nina = app.browser_client();
    let signed_in = app.sign_in(&nina, "nina", "nina's first password").await;
    assert_eq!(signed_in.status(), 303);
    // The admin chose that password: nina must choose her own first (issue 11).
    assert_eq!(signed_in.headers()["location"], "/preferences/password");
}

#[actix_web::test]
async fn a_refused_username_or_initial_password_is_said_beside_its_field() {
    let app = workspace(Generating::AdminsOnly).await;
    let browser = signed_in(&app, ADMIN).await;
    for (username, password, field, expect) in [
        ("nina", "short", "initial-password", "12"),
        (
            "no spaces allowed",
            "nina's first password",
            "new-username",
            "",
        ),
    ] {
        let refused = browser
            .submit(
                &app,
                "/admin/people",
                &[
                    ("username", username),
                    ("role", "member"),
                    ("onboarding", "password"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422, "{username:?}");
        let html = refused.text().await.unwrap();
        let said = said_beside(&html, field);
        // The field's hint, then the server's refusal.
        assert_eq!(said.len(), 2, "{field}: {said:?}");
        assert!(said[1].contains(expect), "{field}: {said:?}");
        assert!(html.contains(&format!(r#"id="{field}""#)));
        assert!(
            html.contains(r#"aria-invalid="true""#),
            "{field} is marked invalid"
        );
    }
    assert!(!people_page(&app, &browser)
        .await
        .contains(r#"data-username="nina""#));
}

#[actix_web::test]
async fn an_invitation_link_sets_a_password_once_and_signs_the_person_in() {
    let app = workspace(Generating::AdminsOnly).await;
    let browser = signed_in(&app, ADMIN).await;
    let invited = browser
        .submit(
            &app,
            "/admin/people",
            &[
                ("username", "ivan"),
                ("role", "admin"),
                ("onboarding", "invite"),
            ],
        )
        .await;
    assert_eq!(
        invited.status(),
        200,
        "the link is shown in this response only"
    );
    let html = invited.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let link = doc
        .select(&scraper::Selector::parse("textarea#invite-url").unwrap())
        .next()
        .expect("the invitation link")
        .text()
        .collect::<String>();
    let path = link
        .trim()
        .strip_prefix(&app.address)
        .expect("an absolute link to this server")
        .to_owned();
    assert!(path.starts_with("/invite/"));
    assert!(html.contains("Invited"), "ivan is listed as invited");
    // Before accepting, ivan cannot sign in with anything.
    assert_eq!(
        app.api_client()
            .get(app.url("/v4/apiAccessTokens"))
            .basic_auth("ivan", Some(""))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let ivan = app.browser_client();
    let form = ivan.get(app.url(&path)).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    assert!(form.contains("Welcome, ivan"));
    assert_eq!(said_beside(&form, "new_password"), [RULE]);
    let weak = ivan
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf_token(&form).as_str()),
            ("new_password", "ivan"),
            ("confirm_password", "ivan"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 422, "refused, the link still unused");
    let weak = weak.text().await.unwrap();
    assert_eq!(
        said_beside(&weak, "new_password"),
        [RULE, RULE],
        "the rule, and the server's answer beside the field"
    );
    let accepted = ivan
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf_token(&form).as_str()),
            ("new_password", "ivan picks this one"),
            ("confirm_password", "ivan picks this one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 303);
    let home = ivan
        .get(app.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200, "signed in by accepting");
    assert!(
        home.text().await.unwrap().contains("/admin/people"),
        "as an admin"
    );

    let again = app
        .browser_client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "the link works once");
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("This invitation link is not valid"));
    let wrong_secret = format!(
        "{}{}",
        &path[..path.len() - 1],
        if path.ends_with('0') { '1' } else { '0' }
    );
    assert_eq!(
        app.browser_client()
            .get(app.url(&wrong_secret))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[actix_web::test]
async fn suspending_or_removing_someone_stops_their_tokens_at_once() {
    let app = workspace(Generating::AdminsOnly).await;
    let admins_token = generate(&app, Generate::legacy(ADMIN).lifetime_seconds(3600))
        .await
        .value;
    // The member gets admin rights for a moment, to hold a token.
    let mike = app.user_id(MEMBER).to_string();
    let promoted = app
        .api_client()
        .patch(app.url(&format!("{MEMBERS}/{mike}")))
        .bearer_auth(&admins_token)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), 200);
    let promoted: Value = promoted.json().await.unwrap();
    assert_eq!(promoted["role"], "admin");
    let mikes_token = generate(&app, Generate::legacy(MEMBER).lifetime_seconds(3600))
        .await
        .value;
    assert_eq!(app.bearer_status(&mikes_token).await, 200);

    let mike_browser = signed_in(&app, MEMBER).await;

    // `"active": false` suspends the membership of this workspace (issue 11).
    let suspended = app
        .api_client()
        .patch(app.url(&format!("{MEMBERS}/{mike}")))
        .bearer_auth(&admins_token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), 200);
    let body: Value = suspended.json().await.unwrap();
    assert_eq!(body["status"], "suspended");
    assert_eq!(app.bearer_status(&mikes_token).await, 401, "token stopped");
    let page = mike_browser
        .get(app.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "session ended");
    assert_eq!(
        app.sign_in(&app.browser_client(), MEMBER, PASSWORD)
            .await
            .status(),
        401
    );

    app.api_client()
        .patch(app.url(&format!("{MEMBERS}/{mike}")))
        .bearer_auth(&admins_token)
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(app.bearer_status(&mikes_token).await, 200, "restored");

    let removed = app
        .api_client()
        .delete(app.url(&format!("{MEMBERS}/{mike}")))
        .bearer_auth(&admins_token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(
        app.bearer_status(&mikes_token).await,
        401,
        "removed: token stopped"
    );
    assert_eq!(
        app.token_count(),
        1,
        "his token here deleted, the admin's kept"
    );
    let listed: Value = app
        .api_client()
        .get(app.url(MEMBERS))
        .bearer_auth(&admins_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["data"][0]["username"], ADMIN);

    let actions: Vec<String> = {
        use access_tokens::db::schema::audit_events::dsl::*;
        use diesel::prelude::*;
        let mut conn = app.pool.get().unwrap();
        audit_events
            .order(occurred_at.asc())
            .select(action)
            .load(&mut *conn)
            .unwrap()
    };
    for expected in [
        "member.role_changed",
        "member.suspended",
        "member.restored",
        "token.deleted",
        "member.removed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}

#[actix_web::test]
async fn the_last_admin_cannot_be_removed_demoted_or_deactivated() {
    let app = workspace(Generating::AdminsOnly).await;
    let olga = app.user_id(ADMIN).to_string();
    let api = app.api_client();
    for (method, body) in [
        (reqwest::Method::PATCH, json!({"role": "member"})),
        (reqwest::Method::DELETE, json!({})),
    ] {
        let response = api
            .request(method.clone(), app.url(&format!("{MEMBERS}/{olga}")))
            .basic_auth(ADMIN, Some(PASSWORD))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 409, "{method}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["exception"]["name"], "ConflictException");
        assert!(body["exception"]["message"]
            .as_str()
            .unwrap()
            .starts_with("A workspace needs at least one active admin"));
    }
    let yourself = api
        .patch(app.url(&format!("{MEMBERS}/{olga}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(yourself.status(), 409);

    // The page says the same, on the page.
    let browser = signed_in(&app, ADMIN).await;
    let html = people_page(&app, &browser).await;
    let refused = browser
        .post(app.url(&format!("/admin/people/{olga}/remove")))
        .form(&[("csrf_token", csrf_token(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("A workspace needs at least one active admin"));

    // With a second admin, the first may step down.
    let mike = app.user_id(MEMBER).to_string();
    api.patch(app.url(&format!("{MEMBERS}/{mike}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    let stepped_down = api
        .patch(app.url(&format!("{MEMBERS}/{olga}")))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stepped_down.status(), 200);
}

#[actix_web::test]
async fn someone_from_another_workspace_joins_with_their_account_once_they_accept() {
    let app = workspace(Generating::AdminsOnly).await;
    app.add_workspace("research", ADMIN);
    // An existing name is refused (issue 11) unless the account is invited...
    let refused = app
        .api_client()
        .post(app.url(MEMBERS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .header("X-Workspace", "research")
        .json(&json!({"username": MEMBER}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["exception"]["details"]["existingUser"], true);
    let added = app
        .api_client()
        .post(app.url(MEMBERS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .header("X-Workspace", "research")
        .json(&json!({"username": MEMBER, "invite": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    assert_eq!(added["existingUser"], true);
    assert_eq!(added["inviteUrl"], Value::Null);
    assert_eq!(added["member"]["role"], "member");
    assert_eq!(added["member"]["status"], "invited");
    // ...and joins when it accepts, signed in as itself.
    let research = {
        let mut conn = app.pool.get().unwrap();
        models::workspace::find_by_name(&mut conn, "research")
            .unwrap()
            .unwrap()
    };
    let accepted = app
        .api_client()
        .post(app.url(&format!("/v4/workspaceInvitations/{research}/accept")))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    // mike now picks the workspace with X-Workspace, with his own password.
    assert_eq!(
        app.api_client()
            .get(app.url("/v4/apiAccessTokens"))
            .basic_auth(MEMBER, Some(PASSWORD))
            .header("X-Workspace", "research")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let again = app
        .api_client()
        .post(app.url(MEMBERS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .header("X-Workspace", "research")
        .json(&json!({"username": MEMBER}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let bad = app
        .api_client()
        .post(app.url(MEMBERS))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"username": "no spaces allowed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["exception"]["details"]["field"], "username");

    // The switcher in the page menu lists both workspaces for mike.
    let browser = signed_in(&app, MEMBER).await;
    let page = app.html(&browser, "/preferences/password").await;
    assert!(page.contains(r#"id="workspace-select""#));
    let doc = scraper::Html::parse_document(&page);
    let research = doc
        .select(&scraper::Selector::parse("#workspace-select option").unwrap())
        .find(|o| o.text().collect::<String>() == "research")
        .and_then(|o| o.value().attr("value"))
        .unwrap()
        .to_owned();
    let switched = browser
        .post(app.url("/workspace"))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
            ("workspace", research.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    let page = app.html(&browser, "/preferences/password").await;
    assert!(page.contains(r#"<strong id="current-workspace">research</strong>"#));
}

#[actix_web::test]
async fn members_never_reach_people() {
    let app = workspace(Generating::AdminsOnly).await;
    let page = {
        let browser = signed_in(&app, MEMBER).await;
        browser.get(app.url("/admin/people")).send().await.unwrap()
    };
    assert_eq!(page.status(), 403);
    let olga = app.user_id(ADMIN).to_string();
    for (method, path) in [
        (reqwest::Method::GET, MEMBERS.to_owned()),
        (reqwest::Method::POST, MEMBERS.to_owned()),
        (reqwest::Method::PATCH, format!("{MEMBERS}/{olga}")),
        (reqwest::Method::DELETE, format!("{MEMBERS}/{olga}")),
    ] {
        let response = app
            .api_client()
            .request(method.clone(), app.url(&path))
            .basic_auth(MEMBER, Some(PASSWORD))
            .json(&json!({"username": "x", "role": "member"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["exception"]["name"], "AccessControlException");
    }
}
