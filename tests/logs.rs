//! The log: with `--log-format json` every line a request writes is one JSON object
//! carrying that request's id, the id the client gets in `X-Request-Id`; database
//! work on the blocking threads logs in its caller's span; and no token value or
//! password is ever written.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use common::process::Server;
use common::TestDatabase;
use serde_json::{json, Value};
use tracing::Instrument;

const ADMIN_LINE: &str = "Created user admin with password ";

/// Sends `request` and returns its status, its `X-Request-Id` and the log lines
/// the server wrote while answering it. Lines are written by the log's own thread,
/// a little after the request that wrote them: the log is let go quiet first (so
/// no line of an earlier request falls in the window), and the window closes once
/// the request's own answer line, its last, is there.
async fn logged(server: &Server, request: reqwest::RequestBuilder) -> (u16, String, Vec<String>) {
    let offset = quiet(server).await;
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("an X-Request-Id header")
        .to_str()
        .unwrap()
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    let answered = |log: &str| {
        log.lines()
            .any(|l| l.contains(&id) && l.contains("duration_us"))
    };
    while !answered(&server.stderr()[offset..]) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Work after the answer (the audit write of a refused token) may add a line.
    let end = quiet(server).await;
    let lines = server.stderr()[offset..end]
        .lines()
        .map(str::to_owned)
        .collect();
    (status, id, lines)
}

/// Waits until the server's log has not grown for 150 ms; returns its length.
async fn quiet(server: &Server) -> usize {
    let mut len = server.stderr().len();
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = server.stderr().len();
        if now == len {
            return len;
        }
        len = now;
    }
}

fn assert_every_line_carries(lines: &[String], id: &str) {
    assert!(!lines.is_empty(), "the request logged nothing");
    for line in lines {
        let object: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        assert_eq!(object["request_id"], id, "{line}");
    }
}

#[actix_web::test]
async fn every_json_line_of_a_request_carries_its_id_and_no_secret_is_logged() {
    let db = TestDatabase::fresh();
    let server = Server::start_logging_json(&db).await;
    let password = server.stdout_line(ADMIN_LINE).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(server.url("/v4/apiAccessTokens"))
        .basic_auth("admin", Some(&password))
        .json(&json!({"lifetimeSeconds": 86400}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["tokenValue"].as_str().unwrap().to_owned();
    // The same token with another secret: refused after a database read, and
    // logged as a WARN.
    let mut parts: Value = serde_json::from_slice(&BASE64.decode(&token).unwrap()).unwrap();
    let secret = parts["secret"].as_str().unwrap().to_owned();
    let other_secret = if secret.starts_with('0') { "1" } else { "0" }.to_owned() + &secret[1..];
    parts["secret"] = Value::String(other_secret.clone());
    let tampered = BASE64.encode(parts.to_string());

    let (status, id, lines) = logged(
        &server,
        client
            .get(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&tampered),
    )
    .await;
    assert_eq!(status, 401);
    assert_every_line_carries(&lines, &id);
    assert!(
        lines.iter().any(|l| l.contains(r#""level":"WARN""#)),
        "{lines:?}"
    );

    let (status, other_id, lines) = logged(
        &server,
        client
            .get(server.url("/v4/apiAccessTokens"))
            .basic_auth("admin", Some("not the password")),
    )
    .await;
    assert_eq!(status, 401);
    assert_ne!(other_id, id, "each request has its own id");
    assert_every_line_carries(&lines, &other_id);

    let (status, _, _) = logged(
        &server,
        client
            .get(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);

    let (_, log) = server.stop();
    for value in [
        token.clone(),
        tampered,
        password.clone(),
        BASE64.encode(format!("admin:{password}")),
        "not the password".to_owned(),
        secret,
        other_secret,
    ] {
        assert!(!log.contains(&value), "{value} is in the log:\n{log}");
    }
}

/// Collects what a subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn database_work_logs_in_the_span_of_the_request_that_asked_for_it() {
    let capture = Capture::default();
    let writer = capture.clone();
    // The process-wide subscriber: the work runs on another thread, which a
    // subscriber set for this thread only would not see.
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only test in this binary that sets a subscriber");
    let db = TestDatabase::fresh();
    let pool = db.open();

    let span = tracing::info_span!("HTTP request", request_id = "the-request-id");
    access_tokens::db::run(&pool, |_conn| {
        tracing::info!("inside the database work");
        Ok(())
    })
    .instrument(span)
    .await
    .unwrap();

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("inside the database work"))
        .unwrap_or_else(|| panic!("the line was not logged:\n{log}"));
    assert!(line.contains("the-request-id"), "{line}");
}

#[actix_web::test]
async fn a_redirect_to_sign_in_and_a_missing_page_are_not_logged_as_warnings_or_errors() {
    let db = TestDatabase::fresh();
    let server = Server::start_logging_json(&db).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, expected) in [
        ("/preferences/access-tokens", 303),
        ("/no/such/page", 404),
        ("/favicon.ico", 200),
    ] {
        let (status, id, lines) = logged(&server, client.get(server.url(path))).await;
        assert_eq!(status, expected, "{path}");
        for line in &lines {
            let object: Value = serde_json::from_str(line).unwrap();
            assert_eq!(object["request_id"], id.as_str(), "{line}");
            let level = object["level"].as_str().unwrap_or_default();
            assert!(
                level != "WARN" && level != "ERROR",
                "{path} logged at {level}: {line}"
            );
        }
    }
}

/// The access log: every request writes one line when it is answered, at INFO,
/// with its route, status and duration, whatever the route (a probe, forward auth,
/// the API, a page, a refusal).
#[actix_web::test]
async fn every_request_writes_one_line_when_answered_with_its_status_and_duration() {
    let db = TestDatabase::fresh();
    let server = Server::start_logging_json(&db).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (path, status, route) in [
        ("/healthz", 200, "/healthz"),
        ("/auth/verify", 401, "/auth/verify"),
        ("/v4/apiAccessTokens", 401, "/v4/apiAccessTokens"),
        ("/login", 200, "/login"),
        (
            "/preferences/access-tokens",
            303,
            "/preferences/access-tokens",
        ),
    ] {
        let (got, id, lines) = logged(&server, client.get(server.url(path))).await;
        assert_eq!(got, status, "{path}");
        let answered: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|l| l["request_id"] == id.as_str() && l["fields"]["duration_us"].is_u64())
            .collect();
        assert_eq!(answered.len(), 1, "{path}: one answer line in {lines:?}");
        let line = &answered[0];
        assert_eq!(line["level"], "INFO", "{line}");
        let span = &line["spans"][0];
        assert_eq!(span["http.route"], route, "{line}");
        assert_eq!(span["http.status_code"], status, "{line}");
        assert_eq!(span["http.method"], "GET", "{line}");
    }
}
