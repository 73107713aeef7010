//! PostgreSQL going away under a running server, and coming back.
//!
//! The server process reaches PostgreSQL through a TCP relay that the test owns.
//! Stopping the relay is, seen from the server, exactly PostgreSQL stopping: every
//! open connection is closed and new ones are refused. (Stopping the shared server
//! itself would break the other tests running beside this one.) These tests always
//! use PostgreSQL, whichever backend the rest of the run uses.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::Server;
use common::{csrf_token, postgres_base_url, sign_in_at, TestDatabase, PASSWORD};
use reqwest::redirect::Policy;
use serde_json::{json, Value};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// A TCP relay from a loopback port to PostgreSQL that can be stopped and started.
struct Relay {
    listen: SocketAddr,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    fn new(upstream: SocketAddr) -> Self {
        let port = common::process::free_port();
        Relay {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            upstream,
            tasks: Arc::default(),
        }
    }

    /// Accepts connections and relays them, until [`Relay::stop`].
    fn start(&self) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.listen).expect("bind the relay port");
        let listener = socket.listen(64).unwrap();
        let (upstream, tasks) = (self.upstream, self.tasks.clone());
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(relay);
            }
        });
        self.tasks.lock().unwrap().push(acceptor);
    }

    /// Closes the listener and every relayed connection.
    fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// The host and port of the test PostgreSQL server, from its URL.
fn postgres_addr(url: &str) -> SocketAddr {
    let authority = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port
        .parse()
        .expect("the test PostgreSQL URL names host:port")
}

/// Polls `check` every 100 ms until it holds, or panics after `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fresh PostgreSQL database, migrated directly, and a server that reaches it
/// through a started [`Relay`]. Keep the database: dropping it removes it.
async fn server_behind_relay() -> (TestDatabase, Relay, Server) {
    let db = TestDatabase::fresh_postgres();
    drop(db.open());
    let relay = Relay::new(postgres_addr(&postgres_base_url()));
    relay.start();
    let direct = db.arg().into_string().unwrap();
    let relayed = direct.replacen(&relay.upstream.to_string(), &relay.listen.to_string(), 1);
    assert_ne!(relayed, direct, "the URL names the PostgreSQL port");
    let server = Server::start_on(
        db.dir(),
        relayed.as_ref(),
        common::process::free_port(),
        &[],
    )
    .await;
    (db, relay, server)
}

/// A token of the first admin's, made through the API with its password; its value.
async fn admin_token(
    api: &reqwest::Client,
    server: &Server,
    password: &str,
    body: Value,
) -> String {
    let created: Value = api
        .post(server.url("/v4/apiAccessTokens"))
        .basic_auth("admin", Some(password))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["tokenValue"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn with_postgresql_down_the_server_answers_503_and_recovers_by_itself() {
    let (_db, relay, server) = server_behind_relay().await;

    // A signed-in browser (the first admin) and a working token.
    let password = server
        .stdout_line("Created user admin with password ")
        .await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let signed_in = sign_in_at(&browser, &server.address, "admin", &password).await;
    assert_eq!(signed_in.status(), 303);
    let api = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let token = admin_token(&api, &server, &password, json!({"lifetimeSeconds": 3600})).await;
    let list = || {
        api.get(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&token)
    };
    assert_eq!(list().send().await.unwrap().status(), 200);

    // PostgreSQL goes away.
    relay.stop();
    let started = Instant::now();
    let response = list().send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), 503, "the API says unavailable");
    assert!(
        took < Duration::from_secs(5),
        "answered in {took:?}, not hung"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["exception"]["name"], "ServiceUnavailableException",
        "{body}"
    );

    let page = browser
        .get(server.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 503, "the page says unavailable");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<html"),
        "a friendly page, not a bare error: {html}"
    );
    assert!(
        html.to_lowercase().contains("try again"),
        "the page says to try again: {html}"
    );

    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503, "/readyz says not ready");
    let live = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(live.status(), 200, "/healthz stays up");

    // PostgreSQL is back: the server recovers without a restart.
    relay.start();
    let recovered = within(Duration::from_secs(15), "recovery", || async {
        list().send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    eprintln!("recovered {recovered:?} after PostgreSQL came back");
    assert_eq!(
        reqwest::get(server.url("/readyz")).await.unwrap().status(),
        200
    );
    let page = browser
        .get(server.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the page works again");

    let (_, log) = server.stop();
    assert!(!log.contains(&token), "the token value is never logged");
    assert!(!log.contains("panicked"), "no panic: {log}");
    relay.stop();
}

/// A restart of PostgreSQL closes every connection the pool holds. No `SELECT 1`
/// checks each checkout any more: the first query on a closed connection fails,
/// and the work runs again on a fresh one, so no request sees the restart.
#[actix_web::test]
async fn connections_postgresql_closed_are_replaced_without_failing_a_request() {
    let (_db, relay, server) = server_behind_relay().await;
    let password = server
        .stdout_line("Created user admin with password ")
        .await;
    let api = reqwest::Client::new();
    let body = json!({"lifetimeSeconds": 3600, "description": "before the restart"});
    let token = admin_token(&api, &server, &password, body).await;
    let list = || async {
        api.get(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
    };
    // Several requests at once, so the pool holds several idle connections.
    let warm = futures_util::future::join_all((0..8).map(|_| list())).await;
    assert!(warm.iter().all(|r| r.status() == 200));

    // PostgreSQL "restarts": every open connection is closed; new ones work.
    relay.stop();
    // The aborted tasks drop the listener and the connections at their next poll.
    tokio::time::sleep(Duration::from_millis(200)).await;
    relay.start();
    for round in 0..3 {
        let answers = futures_util::future::join_all((0..8).map(|_| list())).await;
        for answer in answers {
            assert_eq!(
                answer.status(),
                200,
                "round {round}: a request saw the restart"
            );
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["count"], 1, "{body}");
        }
    }
    // A write too: the token made after the restart is there.
    let made = api
        .post(server.url("/v4/apiAccessTokens"))
        .bearer_auth(&token)
        .json(&json!({"lifetimeSeconds": 3600, "description": "after the restart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let body: Value = list().await.json().await.unwrap();
    assert_eq!(body["count"], 2, "{body}");

    let (_, log) = server.stop();
    assert!(
        log.contains("a database connection was lost; retrying on another"),
        "the lost connections were noticed: {log}"
    );
    assert!(!log.contains("panicked"), "no panic: {log}");
    relay.stop();
}

#[actix_web::test]
async fn the_login_page_is_refused_politely_too_when_postgresql_is_down() {
    // Sign-in needs the database: with it gone the form answers 503, not 500.
    let (_db, relay, server) = server_behind_relay().await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let login = browser.get(server.url("/login")).send().await.unwrap();
    let csrf = csrf_token(&login.text().await.unwrap());

    relay.stop();
    let response = browser
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let basic = reqwest::Client::new()
        .get(server.url("/v4/apiAccessTokens"))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 503, "Basic auth needs the database too");
    relay.stop();
}

#[actix_web::test]
async fn a_server_with_sslmode_require_talks_to_postgresql_over_tls() {
    let db = TestDatabase::fresh_postgres();
    let plain = db.arg().into_string().unwrap();
    let tls = plain.replacen("sslmode=disable", "sslmode=require", 1);
    let tls = if tls.contains("sslmode=require") {
        tls
    } else {
        format!("{tls}&sslmode=require")
    };
    let server = Server::start_on(db.dir(), tls.as_ref(), common::process::free_port(), &[]).await;
    let password = server
        .stdout_line("Created user admin with password ")
        .await;
    let created = reqwest::Client::new()
        .post(server.url("/v4/apiAccessTokens"))
        .basic_auth("admin", Some(&password))
        .json(&json!({"lifetimeSeconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "the server works over TLS");

    // Every connection the server holds to this database is encrypted: this test's
    // own connection below is the only plain one.
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        encrypted: i64,
    }
    let mut conn = diesel::PgConnection::establish(&postgres_base_url()).unwrap();
    let counts: Counts = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE s.ssl) AS encrypted \
         FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
         WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
    )
    .get_result(&mut conn)
    .unwrap();
    assert!(counts.encrypted >= 1, "the server's connections use TLS");
    drop(server);
}
