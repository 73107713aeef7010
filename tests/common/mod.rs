//! The test harness: a real server (the same app factory as `serve`) on a free
//! loopback port over a fresh database, and HTTP clients that keep cookies.
//!
//! The backend is SQLite (a new file per test) unless
//! `ACCESS_TOKENS_TEST_BACKEND=postgres`: then each test gets a schema of its own in
//! the PostgreSQL database at `ACCESS_TOKENS_TEST_POSTGRES_URL` (by default
//! `postgres://postgres@127.0.0.1:5432/test`), so tests still run in parallel.
//!
//! The people, sign-ins and tokens most tests start from are in `fixtures`
//! (re-exported here), v4 API calls and error envelopes in `api`, page reading in
//! `html`, WebDriver in `browser`, real processes in `process`.
// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

pub mod api;
pub mod browser;
pub mod dialog_checks;
pub mod fixtures;
pub mod html;
pub mod layout_checks;
pub mod page_checks;
pub mod process;
pub mod scopes;

// Not every test file uses a fixture (a browser test may use none).
#[allow(unused_imports)]
pub use fixtures::*;

use std::ffi::OsString;
use std::path::Path;

use access_tokens::auth::password;
use access_tokens::config::Settings;
use access_tokens::db::{self, DatabaseUrl, DbPool};
use access_tokens::domain::{Password, Role, Username};
use access_tokens::models;
use access_tokens::startup::Application;
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

/// The PostgreSQL database the tests use unless told otherwise. Without TLS: the
/// tests run servers inside the test process, and a connection still busy on one of
/// their threads when the process exits races OpenSSL's exit-time cleanup (a crash
/// after every test passed). TLS has a test of its own, against a real `serve`
/// process (`tests/faults.rs`).
pub const DEFAULT_TEST_POSTGRES_URL: &str =
    "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";

/// True when this run's tests are on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("ACCESS_TOKENS_TEST_BACKEND").is_ok_and(|b| b.eq_ignore_ascii_case("postgres"))
}

/// The PostgreSQL server's URL for this run.
pub fn postgres_base_url() -> String {
    std::env::var("ACCESS_TOKENS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES_URL.to_owned())
}

/// A database of a test's own: a SQLite file in a temporary folder, or a new
/// schema in the test PostgreSQL database (dropped again at the end).
pub struct TestDatabase {
    pub url: DatabaseUrl,
    schema: Option<String>,
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A new, empty database on this run's backend (not yet migrated).
    pub fn fresh() -> Self {
        if on_postgres() {
            Self::fresh_postgres()
        } else {
            Self::fresh_sqlite()
        }
    }

    /// A new SQLite file (not yet created) in a temporary folder, whatever this
    /// run's backend, for tests that are about the SQLite file itself.
    pub fn fresh_sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDatabase {
            url: DatabaseUrl::Sqlite(dir.path().join("test.db")),
            schema: None,
            dir,
        }
    }

    /// A new, empty schema in the test PostgreSQL database, whatever this run's
    /// backend, for tests that are about PostgreSQL itself.
    pub fn fresh_postgres() -> Self {
        use diesel::{Connection, RunQueryDsl};
        let dir = tempfile::tempdir().expect("temp dir");
        let base = postgres_base_url();
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = diesel::PgConnection::establish(&base)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {base}: {e}"));
        diesel::sql_query(format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .expect("create a schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        TestDatabase {
            url: DatabaseUrl::Postgres(url),
            schema: Some(schema),
            dir,
        }
    }

    /// The SQLite file, when the backend is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => Some(path),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// A folder that lives as long as the database, for a test's other files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What to pass as `--database` or `ACCESS_TOKENS_DATABASE`.
    pub fn arg(&self) -> OsString {
        match &self.url {
            DatabaseUrl::Sqlite(path) => path.clone().into_os_string(),
            DatabaseUrl::Postgres(url) => url.into(),
        }
    }

    /// Whether anything has created the database yet: the SQLite file exists, or
    /// the PostgreSQL schema has tables (migrations ran).
    pub fn exists(&self) -> bool {
        match (&self.url, &self.schema) {
            (DatabaseUrl::Sqlite(path), _) => path.exists(),
            (DatabaseUrl::Postgres(_), Some(schema)) => {
                use diesel::{Connection, QueryDsl, RunQueryDsl};
                diesel::table! {
                    information_schema.tables (table_name) {
                        table_schema -> Text,
                        table_name -> Text,
                    }
                }
                use diesel::ExpressionMethods;
                let mut conn = diesel::PgConnection::establish(&postgres_base_url()).unwrap();
                let n: i64 = tables::table
                    .filter(tables::table_schema.eq(schema))
                    .count()
                    .get_result(&mut conn)
                    .unwrap();
                n > 0
            }
            (DatabaseUrl::Postgres(_), None) => unreachable!("a test schema has a name"),
        }
    }

    /// Opens (and migrates) the database.
    pub fn open(&self) -> DbPool {
        db::open(&self.url).expect("open database")
    }

    /// Turns on "Allow users to generate access tokens" in the default workspace,
    /// as its admin would: the token tests are about tokens, and most of them act
    /// as a member. The governance tests leave the default (off) in place.
    pub fn allow_members_to_generate(&self) {
        let pool = self.open();
        let mut conn = pool.get().unwrap();
        let ws =
            models::workspace::ensure_default(&mut conn, access_tokens::domain::Timestamp::now())
                .unwrap();
        let mut policy = models::workspace::policy(&mut conn, ws).unwrap();
        policy.members_may_generate = true;
        models::workspace::set_policy(&mut conn, ws, &policy).unwrap();
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            // Best effort: a server still holding a lock must not hang the test.
            if let Ok(mut conn) = diesel::PgConnection::establish(&postgres_base_url()) {
                let _ = conn.batch_execute(&format!(
                    "SET lock_timeout = '2s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
                ));
            }
        }
    }
}

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    pub pool: DbPool,
    pub db: TestDatabase,
}

/// Starts the real application on port 0 over a new database in which members may
/// generate tokens (see [`TestDatabase::allow_members_to_generate`]).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the real application over a new database with the workspace defaults as
/// shipped: only admins generate tokens.
pub async fn spawn_app_as_shipped() -> TestApp {
    spawn(|_| {}, false).await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates a user straight in the database, as `access-tokens user add` does.
    pub fn create_user(&self, name: &str, pass: &str, role: Role) {
        let mut conn = self.pool.get().unwrap();
        let hash = password::hash(&Password::offered(pass.to_owned()));
        models::user::create(
            &mut conn,
            &Username::parse(name).unwrap(),
            &hash,
            role,
            access_tokens::domain::Timestamp::now(),
        )
        .unwrap();
    }

    /// A client without a cookie jar that does not follow redirects (for the API).
    pub fn api_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Creates a token with Basic credentials; returns the whole 201 body.
    pub async fn create_token(&self, user: &str, pass: &str, body: Value) -> Value {
        let response = self
            .api_client()
            .post(self.url("/v4/apiAccessTokens"))
            .basic_auth(user, Some(pass))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "creating a token");
        response.json().await.unwrap()
    }

    /// Creates a 1-day token for `user` and returns its value.
    pub async fn token_value(&self, user: &str, pass: &str) -> String {
        let body = self
            .create_token(user, pass, json!({"lifetimeSeconds": 86400}))
            .await;
        body["tokenValue"].as_str().unwrap().to_owned()
    }

    /// A page's HTML, fetched with `client` (and its cookies).
    pub async fn html(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Signs a browser client in through the real sign-in form.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        user: &str,
        pass: &str,
    ) -> reqwest::Response {
        sign_in_at(client, &self.address, user, pass).await
    }

    /// The first column of every row `sql` selects, as bytes (to inspect what is
    /// stored, such as a sealed value). The column must be named `value`.
    pub fn query_bytes(&self, sql: &str) -> Vec<Vec<u8>> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Binary)]
            value: Vec<u8>,
        }
        let mut conn = self.pool.get().unwrap();
        diesel::sql_query(sql)
            .load::<Row>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|r| r.value)
            .collect()
    }

    /// Runs SQL against the test database (to age a token, inspect a row, ...).
    pub fn execute_sql(&self, sql: &str) {
        use diesel::RunQueryDsl;
        let mut conn = self.pool.get().unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
}

/// Signs a browser client in through the sign-in form of the server at `base`
/// (`http://127.0.0.1:PORT`, a test server or a real process); the answer to the
/// form (a 303 when it worked).
pub async fn sign_in_at(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    pass: &str,
) -> reqwest::Response {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_token(&page);
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", user),
            ("password", pass),
        ])
        .send()
        .await
        .unwrap()
}

/// The CSRF token in a page's first form.
pub fn csrf_token(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("a csrf_token field")
        .to_owned()
}

/// Starts the real application on port 0 over a new database file, with the test
/// settings adjusted by `configure` (a fixed session key, Secure cookies, ...).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(configure, true).await
}

async fn spawn(configure: impl FnOnce(&mut Settings), members_generate: bool) -> TestApp {
    let db = TestDatabase::fresh();
    let pool = db.open();
    if members_generate {
        db.allow_members_to_generate();
    }
    let mut settings = Settings::for_tests(db.url.clone());
    configure(&mut settings);
    let app = Application::build_with_pool(settings, pool.clone())
        .await
        .expect("build app");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        pool,
        db,
    }
}

impl TestApp {
    /// Starts another instance of the application over this app's database,
    /// as a restart or a second server would, with its own pool and memory; returns
    /// its address (`http://127.0.0.1:PORT`).
    pub async fn spawn_instance(&self, configure: impl FnOnce(&mut Settings)) -> String {
        let pool = self.db.open();
        let mut settings = Settings::for_tests(self.db.url.clone());
        configure(&mut settings);
        let app = Application::build_with_pool(settings, pool)
            .await
            .expect("build second instance");
        let port = app.port();
        actix_web::rt::spawn(app.run_until_stopped());
        format!("http://127.0.0.1:{port}")
    }

    /// How many access tokens the database holds, over all users.
    pub fn token_count(&self) -> i64 {
        use access_tokens::db::schema::api_tokens;
        use diesel::{QueryDsl, RunQueryDsl};
        let mut conn = self.pool.get().unwrap();
        api_tokens::table.count().get_result(&mut conn).unwrap()
    }
}
