//! Rolling restarts behind real nginx: two real `serve` processes on one database
//! (PostgreSQL in the PostgreSQL run, one SQLite file otherwise) in one upstream
//! with `keepalive 16`, eight clients creating tokens through nginx and using them
//! through its `auth_request`, and each instance in turn stopped with SIGTERM and
//! started again on its port: no request fails, and every token whose creation was
//! answered is stored, with its use. Also what one instance does on SIGTERM:
//! `/readyz` 503 at once, still serving with `Connection: close`, the request in
//! flight finished, the log, exit 0; and a second signal stops it at once.
//!
//! nginx must be installed (`apt-get install nginx-light`, as `.ci/run` does).

mod common;
#[path = "nginx/harness.rs"]
#[expect(
    dead_code,
    reason = "tests/nginx.rs's helpers for one server go unused here"
)]
mod harness;
#[path = "rolling_restart/wire.rs"]
mod wire;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::process::{free_port, Server};
use common::{database_with_alice, TestDatabase, PASSWORD};
use futures_util::future::join_all;
use harness::{Nginx, Upstream, CONF};
use serde_json::{json, Value};

/// A short drain, so the test is quick, and nginx giving up idle connections
/// before it ends, as docs/nginx/access-tokens.conf does (4 s against the default
/// drain of 5 s).
const DRAIN_SECONDS: &str = "2";
const NGINX_IDLE: &str = "keepalive_timeout 1s;";
/// How long nginx keeps away from an instance that refused a connection (its
/// default is 10 s); the restart waits this long after `/readyz`, as
/// docs/OPERATIONS.md says, so that the other instance is back in nginx's
/// rotation before the next one stops.
const FAIL_TIMEOUT: Duration = Duration::from_secs(2);
const CLIENTS: usize = 8;

/// The access-tokens API itself through nginx, as docs/OPERATIONS.md proxies it
/// (without the retries on 502 and 503 it adds there, which could hide a failure).
const API_LOCATION: &str = r#"
    location /v4/ {
        auth_request off;
        proxy_pass http://access_tokens;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_next_upstream error timeout;
    }
"#;

/// What every instance is started with: a short drain, and logs at `info` (the
/// tests' default `trace` would slow the servers down under load).
fn env() -> [(&'static str, &'static str); 2] {
    [
        ("ACCESS_TOKENS_SHUTDOWN_DRAIN_SECONDS", DRAIN_SECONDS),
        ("RUST_LOG", "info"),
    ]
}

/// What one client did.
#[derive(Default)]
struct Outcome {
    /// Tokens whose creation was answered 201.
    created: Vec<String>,
    verified: usize,
    failures: Vec<String>,
}

/// One client until `running` is cleared: create a token with its own token
/// (through the API location), then use the new one on the protected API (through
/// `auth_request`), expecting 201 and 200 every time.
async fn client(
    n: usize,
    nginx: &Nginx,
    own: &str,
    running: &AtomicBool,
    done: &AtomicUsize,
) -> Outcome {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut outcome = Outcome::default();
    while running.load(Ordering::SeqCst) {
        let created = http
            .post(nginx.url("/v4/apiAccessTokens"))
            .bearer_auth(own)
            .json(&json!({"lifetimeSeconds": 3600, "description": format!("client {n}")}))
            .send()
            .await;
        done.fetch_add(1, Ordering::SeqCst);
        let created: Value = match created {
            Ok(r) if r.status() == 201 => match r.json().await {
                Ok(body) => body,
                Err(e) => {
                    outcome.failures.push(format!("create: 201 cut short: {e}"));
                    continue;
                }
            },
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                outcome.failures.push(format!("create: {status} {body}"));
                continue;
            }
            Err(e) => {
                outcome.failures.push(format!("create: {e}"));
                continue;
            }
        };
        outcome
            .created
            .push(created["tokenInfo"]["tokenId"].as_str().unwrap().to_owned());
        let value = created["tokenValue"].as_str().unwrap();
        let checked = http
            .get(nginx.url(&format!("/orders/{n}")))
            .bearer_auth(value)
            .send()
            .await;
        done.fetch_add(1, Ordering::SeqCst);
        match checked {
            Ok(r) if r.status() == 200 => outcome.verified += 1,
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                outcome.failures.push(format!("verify: {status} {body}"));
            }
            Err(e) => outcome.failures.push(format!("verify: {e}")),
        }
    }
    outcome
}

/// Waits for `/readyz` to answer 200, as a load balancer or an operator would
/// before stopping the next instance.
async fn wait_until_ready(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = reqwest::get(server.url("/readyz")).await;
        if ready.is_ok_and(|r| r.status() == 200) {
            return;
        }
        assert!(Instant::now() < deadline, "/readyz never answered 200");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// After SIGTERM: a clean exit (0) with the drain in the log, and no warning.
async fn stopped(server: &mut Server) {
    let status = server.exit_within(Duration::from_secs(20)).await;
    let log = server.stderr();
    assert!(
        status.success(),
        "exit status {status} after SIGTERM\n{log}"
    );
    for line in [
        "draining:",
        "drain period over",
        "shutdown: stopped unfinished=0",
    ] {
        assert!(log.contains(line), "{line:?} in the log:\n{log}");
    }
    assert!(!log.contains(" WARN ") && !log.contains(" ERROR "), "{log}");
}

/// Each instance in turn: SIGTERM, wait for its exit, start it again on its port,
/// wait for `/readyz`. Requests must have gone on while each one was away.
async fn restart_each(servers: &mut [Server; 2], db: &TestDatabase, done: &AtomicUsize) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    for server in servers.iter_mut() {
        let before = done.load(Ordering::SeqCst);
        server.terminate();
        stopped(server).await;
        *server = Server::start_on(db.dir(), &db.arg(), server.port, &env()).await;
        wait_until_ready(server).await;
        assert!(
            done.load(Ordering::SeqCst) > before + 20,
            "the clients kept going while an instance restarted"
        );
        // Both serve again before the next one stops.
        tokio::time::sleep(FAIL_TIMEOUT + Duration::from_secs(1)).await;
    }
}

/// Every token with whether its use was recorded, as stored.
fn stored_uses(db: &TestDatabase) -> std::collections::HashMap<String, Option<i64>> {
    use access_tokens::db::schema::api_tokens::dsl::*;
    use diesel::prelude::*;
    let pool = db.open();
    let mut conn = pool.get().unwrap();
    api_tokens
        .select((id, last_used_at))
        .load::<(String, Option<i64>)>(&mut *conn)
        .unwrap()
        .into_iter()
        .collect()
}

#[actix_web::test]
async fn a_rolling_restart_behind_nginx_fails_no_request_and_loses_nothing() {
    let db = database_with_alice();
    let ports = [free_port(), free_port()];
    let mut servers = [
        Server::start_on(db.dir(), &db.arg(), ports[0], &env()).await,
        Server::start_on(db.dir(), &db.arg(), ports[1], &env()).await,
    ];
    let api = Upstream::api().await;
    let conf = std::fs::read_to_string(CONF).unwrap();
    assert!(conf.contains("keepalive 16;") && conf.contains("keepalive_timeout 4s;"));
    let conf = conf.replace("keepalive_timeout 4s;", NGINX_IDLE);
    let upstream = ports.map(|p| format!("127.0.0.1:{p} fail_timeout={}s", FAIL_TIMEOUT.as_secs()));
    let upstream: Vec<&str> = upstream.iter().map(String::as_str).collect();
    let nginx = Nginx::start_documented(&conf, &upstream, &api.address, API_LOCATION).await;

    // Each client's own token, made with the password through nginx.
    let http = reqwest::Client::new();
    let mut own = Vec::new();
    for n in 0..CLIENTS {
        let made = http
            .post(nginx.url("/v4/apiAccessTokens"))
            .basic_auth("alice", Some(PASSWORD))
            .json(&json!({"lifetimeSeconds": 3600, "description": format!("client {n}'s own")}))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), 201);
        let made: Value = made.json().await.unwrap();
        own.push(made["tokenValue"].as_str().unwrap().to_owned());
    }

    let running = AtomicBool::new(true);
    let done = AtomicUsize::new(0);
    let started = Instant::now();
    let clients = join_all(
        own.iter()
            .enumerate()
            .map(|(n, token)| client(n, &nginx, token, &running, &done)),
    );
    let roll = async {
        restart_each(&mut servers, &db, &done).await;
        running.store(false, Ordering::SeqCst);
    };
    let (outcomes, ()) = tokio::join!(clients, roll);

    let failures: Vec<&String> = outcomes.iter().flat_map(|o| &o.failures).collect();
    let created: Vec<&String> = outcomes.iter().flat_map(|o| &o.created).collect();
    let verified: usize = outcomes.iter().map(|o| o.verified).sum();
    eprintln!(
        "{} requests in {:?}: {} tokens created, {verified} verified, {} failed",
        done.load(Ordering::SeqCst),
        started.elapsed(),
        created.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "failed requests: {failures:#?}");
    assert!(created.len() >= 100, "only {} creations", created.len());
    assert_eq!(verified, created.len());

    // Both stopped the same way; then everything acknowledged is stored, and the
    // uses noted in memory were written, those of the last second too.
    for server in &mut servers {
        server.terminate();
    }
    for server in &mut servers {
        stopped(server).await;
    }
    let stored = stored_uses(&db);
    for id in created {
        match stored.get(id) {
            None => panic!("token {id} was acknowledged but is not stored"),
            Some(None) => panic!("token {id} was used but its use is not recorded"),
            Some(Some(_)) => {}
        }
    }
}

#[actix_web::test]
async fn sigterm_drains_then_finishes_what_is_in_flight_and_exits_0() {
    let db = TestDatabase::fresh();
    let env = [
        ("ACCESS_TOKENS_SHUTDOWN_DRAIN_SECONDS", "2"),
        ("RUST_LOG", "info"),
    ];
    let mut server = Server::start_on(db.dir(), &db.arg(), free_port(), &env).await;
    let password = server
        .stdout_line("Created user admin with password ")
        .await;
    let address = format!("127.0.0.1:{}", server.port);
    // A kept-alive connection from before the signal, and a request in flight:
    // its headers sent, its body not yet.
    let mut kept = wire::Connection::open(&address);
    assert_eq!(kept.get("/healthz").status, 200);
    let body = r#"{"lifetimeSeconds": 3600, "description": "in flight"}"#;
    let mut in_flight = wire::Connection::open(&address);
    in_flight.post_half("/v4/apiAccessTokens", ("admin", &password), body);

    server.terminate();
    let signalled = Instant::now();
    let not_ready = wire::poll_until(Duration::from_millis(500), || {
        let answer = wire::Connection::open(&address).get("/readyz");
        (answer.status == 503).then_some(answer)
    });
    assert_eq!(not_ready.body, "not ready: shutting down");
    assert!(not_ready.closes(), "{not_ready:?}");
    // Still serving, on the old connection and on new ones, each then closed.
    let answer = kept.get("/healthz");
    assert_eq!(answer.status, 200);
    assert!(answer.closes(), "{answer:?}");
    assert!(
        kept.closed_by_server(),
        "the server closed the kept-alive connection"
    );
    assert_eq!(wire::Connection::open(&address).get("/healthz").status, 200);
    assert!(
        signalled.elapsed() < Duration::from_secs(2),
        "all within the drain"
    );

    // The drain over: new connections refused, the request in flight still served.
    wire::poll_until(Duration::from_secs(4), || {
        std::net::TcpStream::connect(&address)
            .is_err()
            .then_some(())
    });
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "not before the drain ended"
    );
    let created = in_flight.finish(body);
    assert_eq!(created.status, 201, "{created:?}");
    assert!(created.closes(), "{created:?}");

    let status = server.exit_within(Duration::from_secs(10)).await;
    let log = server.stderr();
    assert!(status.success(), "exit status {status}\n{log}");
    let line = |start: &str| {
        log.lines()
            .find(|l| l.contains(start))
            .unwrap_or_else(|| panic!("{start:?} in the log:\n{log}"))
            .to_owned()
    };
    let draining = line("draining:");
    assert!(draining.contains("signal=\"SIGTERM\"") && draining.contains("drain_seconds=2"));
    let over = line("drain period over");
    assert!(
        over.contains("in_flight=1") && over.contains("timeout_seconds=30"),
        "{over}"
    );
    assert!(line("shutdown: stopped").contains("unfinished=0"), "{log}");
}

#[actix_web::test]
async fn a_second_signal_stops_at_once() {
    let db = TestDatabase::fresh();
    let env = [
        ("ACCESS_TOKENS_SHUTDOWN_DRAIN_SECONDS", "60"),
        ("RUST_LOG", "info"),
    ];
    let mut server = Server::start_on(db.dir(), &db.arg(), free_port(), &env).await;
    let address = format!("127.0.0.1:{}", server.port);

    server.terminate();
    wire::poll_until(Duration::from_millis(500), || {
        (wire::Connection::open(&address).get("/readyz").status == 503).then_some(())
    });
    let second = Instant::now();
    server.terminate();
    let status = server.exit_within(Duration::from_secs(5)).await;
    assert!(status.success(), "exit status {status}");
    assert!(
        second.elapsed() < Duration::from_secs(2),
        "{:?}",
        second.elapsed()
    );
    assert!(server
        .stderr()
        .contains("a second signal: stopping at once"));
}
