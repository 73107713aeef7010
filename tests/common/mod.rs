//! The test harness: a real server (the same app factory as `serve`) on a free
//! loopback port over a fresh SQLite file, and HTTP clients that keep cookies.
#![allow(dead_code)]

use std::path::PathBuf;

use access_tokens::auth::password;
use access_tokens::config::Settings;
use access_tokens::db::{self, DbPool};
use access_tokens::domain::{Password, Role, Username};
use access_tokens::models;
use access_tokens::startup::Application;
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    pub db_path: PathBuf,
    pub pool: DbPool,
    _dir: tempfile::TempDir,
}

/// Starts the real application on port 0 over a new database file.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("test.db");
    let pool = db::open(&db_path).expect("open database");
    let app = Application::build_with_pool(Settings::for_tests(db_path.clone()), pool.clone())
        .await
        .expect("build app");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db_path,
        pool,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates a user straight in the database, as `access-tokens user add` does.
    pub fn create_user(&self, name: &str, pass: &str, role: Role) {
        let mut conn = self.pool.get().unwrap();
        let hash = password::hash(&Password::parse_new(pass.to_owned()).unwrap());
        models::user::create(&mut conn, &Username::parse(name).unwrap(), &hash, role).unwrap();
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

    /// Signs a browser client in through the real sign-in form.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        user: &str,
        pass: &str,
    ) -> reqwest::Response {
        let page = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_token(&page);
        client
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("username", user),
                ("password", pass),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Runs SQL against the test database (to age a token, inspect a row, ...).
    pub fn execute_sql(&self, sql: &str) {
        use diesel::RunQueryDsl;
        let mut conn = self.pool.get().unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    }
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
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("test.db");
    let pool = db::open(&db_path).expect("open database");
    let mut settings = Settings::for_tests(db_path.clone());
    configure(&mut settings);
    let app = Application::build_with_pool(settings, pool.clone())
        .await
        .expect("build app");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        db_path,
        pool,
        _dir: dir,
    }
}

impl TestApp {
    /// Starts another instance of the application over this app's database file,
    /// as a restart or a second server would, with its own pool and memory; returns
    /// its address (`http://127.0.0.1:PORT`).
    pub async fn spawn_instance(&self, configure: impl FnOnce(&mut Settings)) -> String {
        let pool = db::open(&self.db_path).expect("open database again");
        let mut settings = Settings::for_tests(self.db_path.clone());
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
