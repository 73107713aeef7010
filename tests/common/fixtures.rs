//! What most tests start from and do on the way: the people of a workspace, a
//! browser signed in through the real form, tokens generated through the API or a
//! page, and the few checks every file makes (does this token still work?).

use std::ops::Deref;
use std::sync::Arc;

use access_tokens::auth::password;
use access_tokens::domain::clock::ManualClock;
use access_tokens::domain::{Password, Role, Timestamp, UserId, Username, WorkspaceId};
use access_tokens::models;
use reqwest::header::HeaderMap;
use reqwest::{Client, Response};
use serde_json::{json, Value};

use super::{csrf_token, spawn_app, spawn_app_as_shipped, spawn_app_with, TestApp, PASSWORD};

/// The admin of the default workspace in [`workspace`].
pub const ADMIN: &str = "olga";
/// A member of the default workspace in [`workspace`].
pub const MEMBER: &str = "mike";
/// A member, for the tests that only need someone (and [`BOB`], someone else).
pub const ALICE: &str = "alice";
pub const BOB: &str = "bob";

/// The legacy tokens API.
pub const TOKENS: &str = "/v4/apiAccessTokens";
/// The OAuth 2.0 API tokens API.
pub const OAUTH_TOKENS: &str = "/v4/oauthTokens";
/// Preferences > Access Tokens.
pub const TOKENS_PAGE: &str = "/preferences/access-tokens";
/// Preferences > OAuth 2.0 API Tokens.
pub const OAUTH_TOKENS_PAGE: &str = "/preferences/oauth-tokens";
/// A page every signed-in user may open, whatever the workspace allows them.
pub const PASSWORD_PAGE: &str = "/preferences/password";

// ---------------------------------------------------------------------------
// Servers and the people in them
// ---------------------------------------------------------------------------

/// Who may generate tokens in the default workspace when the server starts.
#[derive(Clone, Copy, Debug)]
pub enum Generating {
    /// As shipped: the governance tests start from here.
    AdminsOnly,
    /// Members too: so that a refusal can only come from what the test changes.
    MembersToo,
}

/// A server with [`ADMIN`] and [`MEMBER`] in the default workspace.
pub async fn workspace(generating: Generating) -> TestApp {
    let app = match generating {
        Generating::AdminsOnly => spawn_app_as_shipped().await,
        Generating::MembersToo => spawn_app().await,
    };
    app.create_users(&[(ADMIN, Role::Admin), (MEMBER, Role::Member)]);
    app
}

/// A server on a clock the test moves, with [`ADMIN`] and [`MEMBER`] (members may
/// generate tokens).
pub async fn workspace_on_clock() -> (TestApp, Arc<ManualClock>) {
    let clock = ManualClock::starting_now();
    let shared = clock.clone();
    let app = spawn_app_with(move |s| s.clock = shared).await;
    app.create_users(&[(ADMIN, Role::Admin), (MEMBER, Role::Member)]);
    (app, clock)
}

/// A server where members may generate tokens, with these people (each with the
/// password [`PASSWORD`]).
pub async fn app_with(users: &[(&str, Role)]) -> TestApp {
    let app = spawn_app().await;
    app.create_users(users);
    app
}

/// A server where members may generate tokens, with these members.
pub async fn app_with_members(names: &[&str]) -> TestApp {
    let app = spawn_app().await;
    for name in names {
        app.create_user(name, PASSWORD, Role::Member);
    }
    app
}

impl TestApp {
    /// Creates each of these people with the password [`PASSWORD`].
    pub fn create_users(&self, users: &[(&str, Role)]) {
        for (name, role) in users {
            self.create_user(name, PASSWORD, *role);
        }
    }

    /// Creates the workspace `name`, with nobody in it yet; its id.
    pub fn create_workspace(&self, name: &str) -> WorkspaceId {
        let mut conn = self.pool.get().unwrap();
        models::workspace::create(&mut conn, name, Timestamp::now())
            .unwrap()
            .unwrap_or_else(|| panic!("a new workspace {name}"))
    }

    /// Creates the workspace `name` with `admin`, an account that exists, as its
    /// admin; its id.
    pub fn add_workspace(&self, name: &str, admin: &str) -> WorkspaceId {
        let ws = self.create_workspace(name);
        self.add_member(ws, admin, Role::Admin);
        ws
    }

    /// Makes the account `user` a member of `ws` with `role`.
    pub fn add_member(&self, ws: WorkspaceId, user: &str, role: Role) {
        let mut conn = self.pool.get().unwrap();
        models::workspace::add_member(&mut conn, ws, self.user_id(user), role, Timestamp::now())
            .unwrap();
    }

    /// The default workspace (made if the server has not made it yet).
    pub fn default_workspace(&self) -> WorkspaceId {
        let mut conn = self.pool.get().unwrap();
        models::workspace::ensure_default(&mut conn, Timestamp::now()).unwrap()
    }

    /// Creates `name` (password [`PASSWORD`]) straight in the workspace `ws`, as
    /// `access-tokens user add --workspace` does; its id.
    pub fn create_user_in(&self, name: &str, ws: WorkspaceId, role: Role) -> UserId {
        let mut conn = self.pool.get().unwrap();
        let hash = password::hash(&Password::offered(PASSWORD.to_owned()));
        models::user::create_in(
            &mut conn,
            &Username::parse(name).unwrap(),
            &hash,
            Some(ws),
            role,
            Timestamp::now(),
        )
        .unwrap()
        .id
    }

    /// The id of the workspace `name`, which must exist.
    pub fn workspace_id(&self, name: &str) -> WorkspaceId {
        let mut conn = self.pool.get().unwrap();
        models::workspace::find_by_name(&mut conn, name)
            .unwrap()
            .unwrap_or_else(|| panic!("no workspace {name}"))
    }

    /// Lets the members of `ws` generate tokens, as its admin would.
    pub fn allow_members_to_generate_in(&self, ws: WorkspaceId) {
        let mut conn = self.pool.get().unwrap();
        let mut policy = models::workspace::policy(&mut conn, ws).unwrap();
        policy.members_may_generate = true;
        models::workspace::set_policy(&mut conn, ws, &policy).unwrap();
    }

    /// Deactivates (`false`) or reactivates the account `name` straight in the
    /// database, as the command line and an instance admin do; whether it changed.
    pub fn set_active(&self, name: &str, active: bool) -> bool {
        let mut conn = self.pool.get().unwrap();
        models::user::set_active(&mut conn, self.user_id(name), active, Timestamp::now()).unwrap()
    }

    /// Makes the account `name` an instance admin, or not, straight in the
    /// database; whether it changed.
    pub fn set_instance_admin(&self, name: &str, admin: bool) -> bool {
        let mut conn = self.pool.get().unwrap();
        models::user::set_instance_admin(&mut conn, self.user_id(name), admin).unwrap()
    }

    /// The id of the account `name`, or `None` when there is none.
    pub fn find_user_id(&self, name: &str) -> Option<UserId> {
        let mut conn = self.pool.get().unwrap();
        models::user::find_by_username(&mut conn, name)
            .unwrap()
            .map(|u| u.id)
    }

    /// The id of the account `name`, which must exist.
    pub fn user_id(&self, name: &str) -> UserId {
        self.find_user_id(name)
            .unwrap_or_else(|| panic!("no user {name}"))
    }

    /// The status `GET /v4/apiAccessTokens` answers with `token` as Bearer: 200
    /// while it works.
    pub async fn bearer_status(&self, token: &str) -> u16 {
        self.bearer_status_on(TOKENS, token).await
    }

    /// `GET path` with `user`'s Basic credentials ([`PASSWORD`]): the status and
    /// the JSON body (`null` when there is none).
    pub async fn get_as(&self, user: &str, path: &str) -> (u16, Value) {
        let response = api_client()
            .get(self.url(path))
            .basic_auth(user, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// See [`bearer_status_within_a_second_at`].
    pub async fn bearer_status_within_a_second(&self, token: &str, expected: u16) -> u16 {
        bearer_status_within_a_second_at(&self.address, token, expected).await
    }

    /// The status `GET {path}` answers with `token` as Bearer.
    pub async fn bearer_status_on(&self, path: &str, token: &str) -> u16 {
        bearer_status_at(&self.address, path, token).await
    }
}

/// The status `GET {base}/v4/apiAccessTokens` gives `token` once a change has
/// reached every instance's cache: asked every 20 ms until it is `expected` or a
/// second (the change feed's bound) has passed.
pub async fn bearer_status_within_a_second_at(base: &str, token: &str, expected: u16) -> u16 {
    let start = std::time::Instant::now();
    loop {
        let status = bearer_status_at(base, TOKENS, token).await;
        if status == expected || start.elapsed() > std::time::Duration::from_secs(1) {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The status `GET {base}{path}` answers with `token` as Bearer.
pub async fn bearer_status_at(base: &str, path: &str, token: &str) -> u16 {
    api_client()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A client without a cookie jar that does not follow redirects, for any instance.
pub fn api_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A JSON string's value; anything else fails the test.
pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("a string: {v}"))
        .to_owned()
}

/// A header that must be there, as text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("a {name} header"))
        .to_str()
        .unwrap()
}

/// A response's `Location`; a response without one fails the test.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

// ---------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------

/// A browser signed in through the real sign-in form: its client (cookies kept,
/// redirects not followed; it stands in for the client where one is wanted) and
/// its session's CSRF token, the same on every form until the session changes.
pub struct SignedIn {
    pub client: Client,
    pub csrf: String,
}

impl Deref for SignedIn {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl SignedIn {
    /// POSTs `fields` to `path` after this session's CSRF token, as a form does.
    pub async fn submit(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("csrf_token", self.csrf.as_str())];
        form.extend_from_slice(fields);
        post_form(app, &self.client, path, &form).await
    }
}

/// Signs `user` in with [`PASSWORD`]; see [`signed_in_with`].
pub async fn signed_in(app: &TestApp, user: &str) -> SignedIn {
    signed_in_with(app, user, PASSWORD).await
}

/// Signs `user` in with `pass` through the sign-in form (asserting the 303) and
/// reads the session's CSRF token from a page that changes nothing: not the
/// Access Tokens list, which would use up a token shown once.
pub async fn signed_in_with(app: &TestApp, user: &str, pass: &str) -> SignedIn {
    let client = app.browser_client();
    let response = app.sign_in(&client, user, pass).await;
    assert_eq!(response.status(), 303, "signing {user} in");
    let csrf = csrf_token(&app.html(&client, PASSWORD_PAGE).await);
    SignedIn { client, csrf }
}

/// GETs `path` with `client` (and its cookies); the response as it is.
pub async fn get(app: &TestApp, client: &Client, path: &str) -> Response {
    client.get(app.url(path)).send().await.unwrap()
}

/// A CSRF token that is valid, but for another (anonymous) session.
pub async fn someone_elses_csrf(app: &TestApp) -> String {
    csrf_token(&app.html(&app.browser_client(), "/login").await)
}

/// Every `Set-Cookie` header, as text.
pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// POSTs a form exactly as given (a test of CSRF leaves the token out, or sends a
/// wrong one).
pub async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

// ---------------------------------------------------------------------------
// Generating tokens
// ---------------------------------------------------------------------------

/// A token to generate through the API with Basic credentials (see [`generate`]):
/// a 1-day legacy access token, or a 30-day OAuth 2.0 API token named "nightly
/// export", changed by the builder methods.
#[derive(Clone, Copy, Debug)]
pub struct Generate<'a> {
    user: &'a str,
    kind: Kind<'a>,
    workspace: Option<&'a str>,
    base: Option<&'a str>,
}

#[derive(Clone, Copy, Debug)]
enum Kind<'a> {
    Legacy { lifetime_seconds: i64 },
    OAuth { name: &'a str, days: i64 },
}

impl<'a> Generate<'a> {
    /// A legacy access token of `user`'s, for a day.
    pub fn legacy(user: &'a str) -> Self {
        Self::new(
            user,
            Kind::Legacy {
                lifetime_seconds: 86_400,
            },
        )
    }

    /// An OAuth 2.0 API token of `user`'s, "nightly export", for 30 days.
    pub fn oauth(user: &'a str) -> Self {
        Self::new(
            user,
            Kind::OAuth {
                name: "nightly export",
                days: 30,
            },
        )
    }

    fn new(user: &'a str, kind: Kind<'a>) -> Self {
        Generate {
            user,
            kind,
            workspace: None,
            base: None,
        }
    }

    /// A legacy token's lifetime.
    pub fn lifetime_seconds(mut self, seconds: i64) -> Self {
        match &mut self.kind {
            Kind::Legacy { lifetime_seconds } => *lifetime_seconds = seconds,
            Kind::OAuth { .. } => panic!("an OAuth token's lifetime is in days"),
        }
        self
    }

    /// An OAuth token's lifetime.
    pub fn days(mut self, lifetime: i64) -> Self {
        match &mut self.kind {
            Kind::OAuth { days, .. } => *days = lifetime,
            Kind::Legacy { .. } => panic!("a legacy token's lifetime is in seconds"),
        }
        self
    }

    /// An OAuth token's name.
    pub fn name(mut self, new: &'a str) -> Self {
        match &mut self.kind {
            Kind::OAuth { name, .. } => *name = new,
            Kind::Legacy { .. } => panic!("a legacy token has no name"),
        }
        self
    }

    /// In this workspace of the user's (`X-Workspace`), not their first.
    pub fn in_workspace(mut self, workspace: &'a str) -> Self {
        self.workspace = Some(workspace);
        self
    }

    /// Through another instance (`http://127.0.0.1:PORT`) over the same database.
    pub fn at(mut self, base: &'a str) -> Self {
        self.base = Some(base);
        self
    }
}

/// A token just generated: its id, the value presented as Bearer (the legacy
/// token's value or the OAuth access token), and the whole 201 body.
#[derive(Debug)]
pub struct Generated {
    pub id: String,
    pub value: String,
    pub body: Value,
}

impl Generated {
    /// An OAuth token's refresh token.
    pub fn refresh(&self) -> String {
        s(&self.body["refreshToken"])
    }
}

/// Generates a token through the API as `what` says; asserts the 201, answered
/// with `Cache-Control: no-store`.
pub async fn generate(app: &TestApp, what: Generate<'_>) -> Generated {
    let base = what.base.unwrap_or(&app.address);
    let (path, body) = match what.kind {
        Kind::Legacy { lifetime_seconds } => (TOKENS, json!({"lifetimeSeconds": lifetime_seconds})),
        Kind::OAuth { name, days } => (OAUTH_TOKENS, json!({"name": name, "lifetimeDays": days})),
    };
    let mut request = api_client()
        .post(format!("{base}{path}"))
        .basic_auth(what.user, Some(PASSWORD))
        .json(&body);
    if let Some(ws) = what.workspace {
        request = request.header("X-Workspace", ws);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let no_store = response.headers().get("cache-control").cloned();
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "generating {what:?}: {text}");
    assert_eq!(
        no_store.as_ref().and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{what:?}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let value = match what.kind {
        Kind::Legacy { .. } => s(&body["tokenValue"]),
        Kind::OAuth { .. } => s(&body["accessToken"]),
    };
    Generated {
        id: s(&body["tokenInfo"]["tokenId"]),
        value,
        body,
    }
}

/// The Generate form of a Preferences page, as typed (invalid values too).
#[derive(Clone, Copy, Debug)]
pub enum GenerateForm<'a> {
    /// Preferences > Access Tokens: a lifetime in days and a description.
    Legacy {
        lifetime_days: &'a str,
        description: &'a str,
    },
    /// Preferences > OAuth 2.0 API Tokens: a name and a lifetime in days.
    OAuth {
        name: &'a str,
        lifetime_days: &'a str,
    },
}

impl<'a> GenerateForm<'a> {
    pub fn legacy(lifetime_days: &'a str, description: &'a str) -> Self {
        GenerateForm::Legacy {
            lifetime_days,
            description,
        }
    }

    pub fn oauth(name: &'a str, lifetime_days: &'a str) -> Self {
        GenerateForm::OAuth {
            name,
            lifetime_days,
        }
    }
}

/// Submits a Generate form as a browser without JavaScript does; the response (a
/// 303 back to the page when it worked).
pub async fn generate_on_page(
    app: &TestApp,
    session: &SignedIn,
    form: GenerateForm<'_>,
) -> Response {
    match form {
        GenerateForm::Legacy {
            lifetime_days,
            description,
        } => {
            session
                .submit(
                    app,
                    TOKENS_PAGE,
                    &[
                        ("lifetime_days", lifetime_days),
                        ("description", description),
                    ],
                )
                .await
        }
        GenerateForm::OAuth {
            name,
            lifetime_days,
        } => {
            session
                .submit(
                    app,
                    OAUTH_TOKENS_PAGE,
                    &[("name", name), ("lifetime_days", lifetime_days)],
                )
                .await
        }
    }
}

// ---------------------------------------------------------------------------
// OAuth
// ---------------------------------------------------------------------------

/// `curl -d grant_type=refresh_token -d refresh_token=... {base}/oauth2/token`
pub async fn refresh_at(base: &str, refresh_token: &str) -> Response {
    api_client()
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap()
}

impl TestApp {
    /// A refresh at this instance; see [`refresh_at`].
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        refresh_at(&self.address, refresh_token).await
    }
}

/// A fresh database with the member `alice` (password [`PASSWORD`]), who may
/// generate tokens, created the way an operator would: for tests that start real
/// server processes on it.
pub fn database_with_alice() -> super::TestDatabase {
    let db = super::TestDatabase::fresh();
    let pool = db.open();
    let mut conn = pool.get().unwrap();
    let hash = password::hash(&Password::offered(PASSWORD.to_owned()));
    models::user::create(
        &mut conn,
        &Username::parse("alice").unwrap(),
        &hash,
        Role::Member,
        Timestamp::now(),
    )
    .unwrap();
    db.allow_members_to_generate();
    db
}
