//! Scopes × routes (issue 14): every `/v4` operation against a token of each
//! built-in scope (`api`, `read_api`, `tokens`, `admin`) and one holding only a
//! service scope (`deploy`), for a legacy access token and an OAuth access token.
//!
//! A cell is `OK` (allowed: the scope check lets the call through, and for this
//! owner, a workspace admin and an instance admin, nothing else refuses it with 401
//! or 403 either; the handler answers 2xx or 4xx as the request deserves), `ROLE`
//! or `PASSWORD_ONLY` (let through by the scope check, then refused by the route's
//! own rule with a 403 of its own: no `insufficient_scope`), or `X_<scope>`: 403 `AccessControlException` with
//! `WWW-Authenticate: Bearer realm="access-tokens", error="insufficient_scope",
//! scope="<scope>"` and `details` `{"error": "insufficient_scope", "requiredScopes":
//! ["<scope>"]}`, naming the narrowest scope that opens the route.
//!
//! The owner's own tokens need `tokens` (`read_api` for a GET), the workspace-admin
//! routes `admin` (`read_api` for a GET), anything else `api` (`read_api` for a
//! GET); `api` opens everything, the OpenAPI document needs no scope. A second table
//! holds a member's tokens against the admin routes: past the scope check, the role
//! check refuses them with its own 403 (`ROLE`), never an `insufficient_scope`.
//!
//! Paths name ids nothing has, so that an allowed call changes nothing the next
//! row depends on (404), and bodies are small: a new token asks for `tokens`, which
//! every token that may create one covers.

mod common;

use common::scopes::{self, check_insufficient_scope, define_service_scopes, Kind, KINDS};
use common::{api, workspace, Generating, TestApp, ADMIN, MEMBER};
use reqwest::Method;
use serde_json::{json, Value};

/// What a token of one scope gets from one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// Let through: neither 401 nor 403.
    Ok,
    /// 403 `insufficient_scope` naming this scope.
    Needs(&'static str),
    /// Let through by the scope check, then refused by the route's own rule (403
    /// `AccessControlException`, no `insufficient_scope`).
    Refused,
}

const OK: Cell = Cell::Ok;
/// [`Cell::Refused`]: the role check, for a member on an admin route.
const ROLE: Cell = Cell::Refused;
/// [`Cell::Refused`]: an invitation is answered with the password only, never with
/// a token, whatever its scopes.
const PASSWORD_ONLY: Cell = Cell::Refused;
const X_TOKENS: Cell = Cell::Needs("tokens");
const X_ADMIN: Cell = Cell::Needs("admin");
const X_READ_API: Cell = Cell::Needs("read_api");
const X_API: Cell = Cell::Needs("api");

/// A body to send.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    /// `{}`: a change of nothing, or an incomplete request (400 when allowed).
    Empty,
    /// A new legacy token asking for `tokens`.
    Legacy,
    /// A new OAuth API token asking for `tokens`.
    Grant,
    /// A bulk action on one id nothing has.
    Ids,
}

/// An id nothing has, for every `{param}` of a path.
const NOBODY: &str = "3f1c0f9e-8a0e-4c43-9d8b-3b1f0a7c2e11";

impl Body {
    fn json(self) -> Option<Value> {
        match self {
            Body::None => None,
            Body::Empty => Some(json!({})),
            Body::Legacy => Some(json!({"lifetimeSeconds": 3600, "scopes": ["tokens"]})),
            Body::Grant => Some(json!({"name": "table", "lifetimeDays": 1, "scopes": ["tokens"]})),
            Body::Ids => Some(json!({"tokenIds": [NOBODY]})),
        }
    }
}

/// One operation and what each column's token gets from it.
struct Row<const N: usize> {
    method: &'static str,
    path: &'static str,
    body: Body,
    cells: [Cell; N],
}

const fn row<const N: usize>(
    method: &'static str,
    path: &'static str,
    body: Body,
    cells: [Cell; N],
) -> Row<N> {
    Row {
        method,
        path,
        body,
        cells,
    }
}

use Body::{Empty, Grant, Ids, Legacy, None as NoBody};

/// The columns of [`ADMIN_TABLE`]: each token's scopes.
const ADMIN_COLUMNS: [&str; 5] = ["api", "read_api", "tokens", "admin", "deploy"];

/// An admin's tokens (the owner is a workspace admin and an instance admin).
#[rustfmt::skip]
const ADMIN_TABLE: &[Row<5>] = &[
    //  method    path                                               body     api            read_api  tokens      admin       deploy
    row("GET",    "/v4/apiAccessTokens",                             NoBody, [OK,            OK,       OK,         X_TOKENS,   X_TOKENS]),
    row("POST",   "/v4/apiAccessTokens",                             Legacy, [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("GET",    "/v4/apiAccessTokens/{tokenId}",                   NoBody, [OK,            OK,       OK,         X_TOKENS,   X_TOKENS]),
    row("DELETE", "/v4/apiAccessTokens/{tokenId}",                   NoBody, [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("GET",    "/v4/oauthTokens",                                 NoBody, [OK,            OK,       OK,         X_TOKENS,   X_TOKENS]),
    row("POST",   "/v4/oauthTokens",                                 Grant,  [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("POST",   "/v4/oauthTokens/delete",                          Ids,    [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("POST",   "/v4/oauthTokens/disable",                         Ids,    [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("DELETE", "/v4/oauthTokens/{tokenId}",                       NoBody, [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("POST",   "/v4/oauthTokens/{tokenId}/disable",               NoBody, [OK,            X_TOKENS, OK,         X_TOKENS,   X_TOKENS]),
    row("GET",    "/v4/workspaceAccessTokens",                       NoBody, [OK,            OK,       X_ADMIN,    OK,         X_ADMIN]),
    row("POST",   "/v4/workspaceAccessTokens/delete",                Ids,    [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("DELETE", "/v4/workspaceAccessTokens/{tokenId}",             NoBody, [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("GET",    "/v4/workspaceOAuthTokens",                        NoBody, [OK,            OK,       X_ADMIN,    OK,         X_ADMIN]),
    row("POST",   "/v4/workspaceOAuthTokens/delete",                 Ids,    [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("POST",   "/v4/workspaceOAuthTokens/disable",                Ids,    [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("DELETE", "/v4/workspaceOAuthTokens/{tokenId}",              NoBody, [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("POST",   "/v4/workspaceOAuthTokens/{tokenId}/disable",      NoBody, [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("GET",    "/v4/workspaceSettings",                           NoBody, [OK,            OK,       X_ADMIN,    OK,         X_ADMIN]),
    row("PATCH",  "/v4/workspaceSettings",                           Empty,  [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("POST",   "/v4/workspaceSettings/deleteViolatingTokens",     NoBody, [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("GET",    "/v4/workspaceMembers",                            NoBody, [OK,            OK,       X_ADMIN,    OK,         X_ADMIN]),
    row("POST",   "/v4/workspaceMembers",                            Empty,  [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("PATCH",  "/v4/workspaceMembers/{userId}",                   Empty,  [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("DELETE", "/v4/workspaceMembers/{userId}",                   NoBody, [OK,            X_ADMIN,  X_ADMIN,    OK,         X_ADMIN]),
    row("GET",    "/v4/auditEvents",                                 NoBody, [OK,            OK,       X_ADMIN,    OK,         X_ADMIN]),
    row("GET",    "/v4/workspaceInvitations",                        NoBody, [OK,            OK,       X_READ_API, X_READ_API, X_READ_API]),
    row("POST",   "/v4/workspaceInvitations/{workspaceId}/accept",   NoBody, [PASSWORD_ONLY, X_API,    X_API,      X_API,      X_API]),
    row("POST",   "/v4/workspaceInvitations/{workspaceId}/decline",  NoBody, [PASSWORD_ONLY, X_API,    X_API,      X_API,      X_API]),
    row("GET",    "/v4/instanceAuditEvents",                         NoBody, [OK,            OK,       X_READ_API, X_READ_API, X_READ_API]),
    row("GET",    "/v4/accounts",                                    NoBody, [OK,            OK,       X_READ_API, X_READ_API, X_READ_API]),
    row("GET",    "/v4/accounts/{userId}",                           NoBody, [OK,            OK,       X_READ_API, X_READ_API, X_READ_API]),
    row("PATCH",  "/v4/accounts/{userId}",                           Empty,  [OK,            X_API,    X_API,      X_API,      X_API]),
    row("DELETE", "/v4/accounts/{userId}/invitations/{workspaceId}", NoBody, [OK,            X_API,    X_API,      X_API,      X_API]),
    row("GET",    "/v4/open-api-spec",                               NoBody, [OK,            OK,       OK,         OK,         OK]),
];

/// The columns of [`MEMBER_TABLE`]: a member may not put `admin` on a token.
const MEMBER_COLUMNS: [&str; 4] = ["api", "read_api", "tokens", "deploy"];

/// A member's tokens against the workspace-admin routes.
#[rustfmt::skip]
const MEMBER_TABLE: &[Row<4>] = &[
    //  method    path                                           body     api   read_api tokens   deploy
    row("GET",    "/v4/workspaceAccessTokens",                   NoBody, [ROLE, ROLE,    X_ADMIN, X_ADMIN]),
    row("POST",   "/v4/workspaceAccessTokens/delete",            Ids,    [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("DELETE", "/v4/workspaceAccessTokens/{tokenId}",         NoBody, [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("GET",    "/v4/workspaceOAuthTokens",                    NoBody, [ROLE, ROLE,    X_ADMIN, X_ADMIN]),
    row("POST",   "/v4/workspaceOAuthTokens/delete",             Ids,    [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("POST",   "/v4/workspaceOAuthTokens/disable",            Ids,    [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("DELETE", "/v4/workspaceOAuthTokens/{tokenId}",          NoBody, [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("POST",   "/v4/workspaceOAuthTokens/{tokenId}/disable",  NoBody, [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("GET",    "/v4/workspaceSettings",                       NoBody, [ROLE, ROLE,    X_ADMIN, X_ADMIN]),
    row("PATCH",  "/v4/workspaceSettings",                       Empty,  [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("POST",   "/v4/workspaceSettings/deleteViolatingTokens", NoBody, [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("GET",    "/v4/workspaceMembers",                        NoBody, [ROLE, ROLE,    X_ADMIN, X_ADMIN]),
    row("POST",   "/v4/workspaceMembers",                        Empty,  [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("PATCH",  "/v4/workspaceMembers/{userId}",               Empty,  [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("DELETE", "/v4/workspaceMembers/{userId}",               NoBody, [ROLE, X_ADMIN, X_ADMIN, X_ADMIN]),
    row("GET",    "/v4/auditEvents",                             NoBody, [ROLE, ROLE,    X_ADMIN, X_ADMIN]),
];

/// A workspace where the admin ([`ADMIN`]) is an instance admin too and `deploy`
/// is a service scope every member may grant.
async fn world() -> TestApp {
    let app = workspace(Generating::MembersToo).await;
    assert!(app.set_instance_admin(ADMIN, true));
    define_service_scopes(&app, ADMIN, &["deploy"], &["deploy"]).await;
    app
}

/// `path` with every `{param}` replaced by an id nothing has.
fn concrete(path: &str) -> String {
    ["{tokenId}", "{userId}", "{workspaceId}"]
        .iter()
        .fold(path.to_owned(), |p, param| p.replace(param, NOBODY))
}

/// What is wrong with the answer to one cell, if anything.
async fn judge(response: reqwest::Response, cell: Cell) -> Result<(), String> {
    match cell {
        Cell::Needs(scope) => check_insufficient_scope(response, scope).await.map(drop),
        Cell::Ok | Cell::Refused => {
            let status = response.status().as_u16();
            let challenge = api::header_value(&response, "www-authenticate");
            let text = response.text().await.unwrap();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let name = body["exception"]["name"].as_str().unwrap_or_default();
            if name == "RouteNotFoundException" {
                return Err(format!("no such route (a wrong row?): {text}"));
            }
            if challenge.is_some_and(|c| c.contains("insufficient_scope"))
                || body["exception"]["details"]["error"] == "insufficient_scope"
            {
                return Err(format!("refused for its scopes: {status} {text}"));
            }
            match (cell, status) {
                (Cell::Ok, 401 | 403) => Err(format!("refused: {status} {text}")),
                (Cell::Refused, 403) if name == "AccessControlException" => Ok(()),
                (Cell::Refused, _) => Err(format!("not the route's own 403: {status} {text}")),
                _ => Ok(()),
            }
        }
    }
}

/// Runs `table` with one token per column (`columns`, the scopes of each) of
/// `owner`'s, of `kind`; fails with every cell that did not hold.
async fn check_table<const N: usize>(
    app: &TestApp,
    owner: &str,
    kind: Kind,
    columns: [&str; N],
    table: &[Row<N>],
) {
    let mut tokens = Vec::new();
    for scope in columns {
        tokens.push(scopes::scoped(app, owner, kind, &[scope]).await);
    }
    let mut wrong = Vec::new();
    for row in table {
        let method = Method::from_bytes(row.method.as_bytes()).unwrap();
        let path = concrete(row.path);
        for (column, (token, cell)) in columns.iter().zip(tokens.iter().zip(row.cells)) {
            let body = row.body.json();
            let response =
                scopes::call(&app.address, token, method.clone(), &path, body.as_ref()).await;
            if let Err(why) = judge(response, cell).await {
                wrong.push(format!(
                    "{} {} with {column} ({kind:?}), expected {cell:?}: {why}",
                    row.method, row.path
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cells did not hold:\n{}",
        wrong.len(),
        table.len() * N,
        wrong.join("\n")
    );
}

#[actix_web::test]
async fn the_table_has_a_row_for_every_operation_of_the_api_and_no_other() {
    let app = world().await;

    let (status, spec) = app.get_as(ADMIN, api::SPEC).await;

    assert_eq!(status, 200);
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    documented.sort();
    let mut tabled: Vec<String> = ADMIN_TABLE
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    tabled.sort();
    assert_eq!(tabled, documented);
    // The member table is the admin routes, as the admin table has them.
    for member_row in MEMBER_TABLE {
        let admin_row = ADMIN_TABLE
            .iter()
            .find(|r| (r.method, r.path) == (member_row.method, member_row.path))
            .unwrap_or_else(|| {
                panic!(
                    "{} {} in the admin table",
                    member_row.method, member_row.path
                )
            });
        assert_eq!(
            admin_row.cells[3], OK,
            "{} is an admin route",
            admin_row.path
        );
    }
    let admin_routes = ADMIN_TABLE.iter().filter(|r| r.cells[2] == X_ADMIN).count();
    assert_eq!(MEMBER_TABLE.len(), admin_routes, "every admin route");
}

#[actix_web::test]
async fn an_admins_legacy_tokens_of_each_scope_reach_exactly_their_routes() {
    let app = world().await;
    check_table(&app, ADMIN, Kind::Legacy, ADMIN_COLUMNS, ADMIN_TABLE).await;
}

#[actix_web::test]
async fn an_admins_oauth_access_tokens_of_each_scope_reach_exactly_their_routes() {
    let app = world().await;
    check_table(&app, ADMIN, Kind::OAuth, ADMIN_COLUMNS, ADMIN_TABLE).await;
}

#[actix_web::test]
async fn a_members_tokens_of_each_scope_meet_the_admin_routes_scope_first_then_role() {
    let app = world().await;
    for kind in KINDS {
        check_table(&app, MEMBER, kind, MEMBER_COLUMNS, MEMBER_TABLE).await;
    }
}

#[actix_web::test]
async fn a_token_with_several_scopes_reaches_what_any_of_them_opens() {
    let app = world().await;
    for kind in KINDS {
        let token = scopes::scoped(&app, ADMIN, kind, &["read_api", "tokens"]).await;
        let base = app.address.as_str();

        let created = scopes::call(
            base,
            &token,
            Method::POST,
            kind.path(),
            Some(&kind.body(Some(&["tokens"]))),
        )
        .await;
        let settings = scopes::call(base, &token, Method::GET, "/v4/workspaceSettings", None).await;
        let changed = scopes::call(
            base,
            &token,
            Method::PATCH,
            "/v4/workspaceSettings",
            Some(&json!({})),
        )
        .await;

        assert_eq!(created.status(), 201, "{kind:?}: tokens opens creating");
        assert_eq!(settings.status(), 200, "{kind:?}: read_api opens every GET");
        scopes::expect_insufficient_scope(changed, "admin").await;
    }
}
