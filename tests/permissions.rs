//! The permission matrix, table-driven: {member, admin, another workspace's admin,
//! deactivated user} × {own token, another member's token, another workspace's
//! token} × {page, API}. In every cell the actor tries to see and delete the token
//! by the way their role offers (a member through their own Access Tokens, an admin
//! through Admin > Access Tokens), and the test checks the answer and whether the
//! token is still there.
//!
//! The world: workspace `default` with admin `ada`, members `max` and `mia`, and
//! `dan` (a member, deactivated after he made a token and signed in); workspace
//! `beta` with admin `bea` and member `ben`. The three tokens are fixed: "own" is
//! the actor's, "another member's" is mia's (in `default`), "another workspace's"
//! is ben's (in `beta`).

mod common;

use access_tokens::domain::Role;
use common::{csrf_token, signed_in, spawn_app_as_shipped, TestApp, PASSWORD};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Actor {
    Member,
    Admin,
    OtherWorkspaceAdmin,
    Deactivated,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Own,
    AnotherMembers,
    AnotherWorkspaces,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Surface {
    Page,
    Api,
}

/// What must happen in a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Listed to the actor and deleted.
    Deleted,
    /// Not listed; the delete is "not found" and the token stays.
    NotFound,
    /// The actor cannot act at all (signed out / 401); the token stays.
    Refused,
}

fn expected(actor: Actor, target: Target) -> Expect {
    use Actor::*;
    use Target::*;
    match (actor, target) {
        (Deactivated, _) => Expect::Refused,
        (_, Own) => Expect::Deleted,
        (Admin, AnotherMembers) => Expect::Deleted,
        (OtherWorkspaceAdmin, AnotherWorkspaces) => Expect::Deleted,
        (Member, _) | (Admin, AnotherWorkspaces) | (OtherWorkspaceAdmin, AnotherMembers) => {
            Expect::NotFound
        }
    }
}

fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Actor::Member => "max",
        Actor::Admin => "ada",
        Actor::OtherWorkspaceAdmin => "bea",
        Actor::Deactivated => "dan",
    }
}

struct World {
    app: TestApp,
    /// token id and value per owner name
    tokens: std::collections::HashMap<&'static str, (String, String)>,
    /// A session of dan's from before he was deactivated.
    dans_browser: reqwest::Client,
}

async fn world() -> World {
    let app = spawn_app_as_shipped().await;
    app.create_user("ada", PASSWORD, Role::Admin);
    app.create_user("max", PASSWORD, Role::Member);
    app.create_user("mia", PASSWORD, Role::Member);
    app.create_user("dan", PASSWORD, Role::Member);
    let beta = app.create_workspace("beta");
    for (name, role) in [("bea", Role::Admin), ("ben", Role::Member)] {
        app.create_user_in(name, beta, role);
    }
    for ws in [app.default_workspace(), beta] {
        app.allow_members_to_generate_in(ws);
    }
    let mut tokens = std::collections::HashMap::new();
    for name in ["ada", "max", "mia", "dan", "bea", "ben"] {
        let body = app
            .create_token(name, PASSWORD, json!({"lifetimeSeconds": 86_400}))
            .await;
        tokens.insert(
            name,
            (
                body["tokenInfo"]["tokenId"].as_str().unwrap().to_owned(),
                body["tokenValue"].as_str().unwrap().to_owned(),
            ),
        );
    }
    let dans_browser = signed_in(&app, "dan").await.client;
    app.set_active("dan", false);
    World {
        app,
        tokens,
        dans_browser,
    }
}

fn owner(actor: Actor, target: Target) -> &'static str {
    match target {
        Target::Own => actor_name(actor),
        Target::AnotherMembers => "mia",
        Target::AnotherWorkspaces => "ben",
    }
}

fn token_exists(app: &TestApp, id: &str) -> bool {
    use access_tokens::db::schema::api_tokens;
    use diesel::prelude::*;
    let mut conn = app.pool.get().unwrap();
    api_tokens::table
        .find(id)
        .count()
        .get_result::<i64>(&mut *conn)
        .unwrap()
        == 1
}

fn is_admin(actor: Actor) -> bool {
    matches!(actor, Actor::Admin | Actor::OtherWorkspaceAdmin)
}

/// Lists and deletes through the API; returns (listed, delete status).
async fn through_api(w: &World, actor: Actor, id: &str) -> (bool, u16) {
    let name = actor_name(actor);
    let (list, delete) = if is_admin(actor) {
        (
            "/v4/workspaceAccessTokens",
            format!("/v4/workspaceAccessTokens/{id}"),
        )
    } else {
        ("/v4/apiAccessTokens", format!("/v4/apiAccessTokens/{id}"))
    };
    let api = w.app.api_client();
    // Dan presents his token: his password would count as failed sign-ins, and
    // after five the throttle (429) would answer instead of the refusal.
    let auth = |request: reqwest::RequestBuilder| {
        if actor == Actor::Deactivated {
            request.bearer_auth(&w.tokens["dan"].1)
        } else {
            request.basic_auth(name, Some(PASSWORD))
        }
    };
    let listed = auth(api.get(w.app.url(list))).send().await.unwrap();
    let listed = if listed.status() == 200 {
        let body: Value = listed.json().await.unwrap();
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tokenId"] == id)
    } else {
        assert_eq!(listed.status(), 401, "{actor:?} listing");
        false
    };
    let status = auth(api.delete(w.app.url(&delete)))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    if !is_admin(actor) && actor != Actor::Deactivated {
        // A member never reaches the admin routes.
        let admin_route = auth(api.delete(w.app.url(&format!("/v4/workspaceAccessTokens/{id}"))))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(admin_route, 403, "{actor:?} on the admin route");
    }
    (listed, status)
}

/// Lists and deletes through the pages; returns (listed, delete status).
async fn through_page(w: &World, actor: Actor, id: &str) -> (bool, u16) {
    let browser = if actor == Actor::Deactivated {
        w.dans_browser.clone()
    } else {
        let b = w.app.browser_client();
        w.app.sign_in(&b, actor_name(actor), PASSWORD).await;
        b
    };
    let (list, delete) = if is_admin(actor) {
        (
            "/admin/access-tokens",
            format!("/admin/access-tokens/{id}/delete"),
        )
    } else {
        (
            "/preferences/access-tokens",
            format!("/preferences/access-tokens/{id}/delete"),
        )
    };
    let page = browser.get(w.app.url(list)).send().await.unwrap();
    if page.status() == 303 {
        // Signed out: no form to take a CSRF token from; the attempt is refused.
        assert_eq!(page.headers()["location"], "/login");
        let status = browser
            .post(w.app.url(&delete))
            .form(&[("csrf_token", "none")])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        return (false, status);
    }
    let html = page.text().await.unwrap();
    let listed = html.contains(id);
    let csrf = csrf_token(&html);
    let status = browser
        .post(w.app.url(&delete))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    if !is_admin(actor) {
        let admin_page = browser
            .get(w.app.url("/admin/access-tokens"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(admin_page, 403, "{actor:?} on the admin page");
    }
    (listed, status)
}

#[actix_web::test]
async fn every_cell_of_the_permission_matrix() {
    let actors = [
        Actor::Member,
        Actor::Admin,
        Actor::OtherWorkspaceAdmin,
        Actor::Deactivated,
    ];
    let targets = [
        Target::Own,
        Target::AnotherMembers,
        Target::AnotherWorkspaces,
    ];
    let mut cells = 0;
    for surface in [Surface::Api, Surface::Page] {
        for actor in actors {
            // A fresh world per actor and surface: every cell starts with all tokens.
            let w = world().await;
            for target in targets {
                let (id, value) = w.tokens[owner(actor, target)].clone();
                let (listed, status) = match surface {
                    Surface::Api => through_api(&w, actor, &id).await,
                    Surface::Page => through_page(&w, actor, &id).await,
                };
                let cell = format!("{surface:?} × {actor:?} × {target:?}");
                let expect = expected(actor, target);
                let (want_listed, want_status, want_kept) = match (surface, expect) {
                    (Surface::Api, Expect::Deleted) => (true, 204, false),
                    (Surface::Api, Expect::NotFound) => (false, 404, true),
                    (Surface::Api, Expect::Refused) => (false, 401, true),
                    (Surface::Page, Expect::Deleted) => (true, 303, false),
                    (Surface::Page, Expect::NotFound) => (false, 404, true),
                    (Surface::Page, Expect::Refused) => (false, 303, true),
                };
                assert_eq!(listed, want_listed, "{cell}: listed");
                assert_eq!(status, want_status, "{cell}: delete answer");
                assert_eq!(token_exists(&w.app, &id), want_kept, "{cell}: token kept");
                if want_kept && actor != Actor::Deactivated && target != Target::Own {
                    // Still working for its owner, unless its owner is dan.
                    let works = w
                        .app
                        .api_client()
                        .get(w.app.url("/v4/apiAccessTokens"))
                        .bearer_auth(&value)
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert_eq!(works, 200, "{cell}: the owner's token still works");
                }
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 24);
}
