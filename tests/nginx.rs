//! docs/nginx/access-tokens.conf run by real nginx in front of a recording upstream
//! API: who gets through to the API and with which identity headers, what is
//! refused before it (with which status), and what the check request carries.
//!
//! nginx must be installed (`apt-get install nginx-light`, as `.ci/run` does); the
//! tests fail without it rather than pass untested.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use access_tokens::domain::Role;
use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::process::free_port;
use common::{
    generate, header, spawn_app, spawn_app_with, Generate, Generated, TestApp, ADMIN, MEMBER,
    PASSWORD,
};
use serde_json::{json, Map, Value};

/// The file users copy, as it is in the repository.
const CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/nginx/access-tokens.conf");
/// Its placeholder addresses: the access-tokens server, the API, and nginx's own.
const SERVER_PLACEHOLDER: &str = "server 127.0.0.1:8080;";
const API_PLACEHOLDER: &str = "server 127.0.0.1:9000;";
const LISTEN_PLACEHOLDER: &str = "listen 127.0.0.1:8000;";

// ---------------------------------------------------------------------------
// A recording HTTP server: the protected API, or a stand-in for /auth/verify.

/// One request as the recording server received it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    /// Path and query.
    uri: String,
    /// Lower-case names, in arrival order, repeated names kept.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    /// Every value the request carried under `name`.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the recording server answers to every request.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
}

#[derive(Clone)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Reply,
}

/// A recording server on a free loopback port.
struct Upstream {
    /// `127.0.0.1:PORT`
    address: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    /// The protected API: 200 with a JSON echo of what it received.
    async fn api() -> Upstream {
        Self::start(Reply {
            status: 200,
            headers: vec![],
        })
        .await
    }

    async fn start(reply: Reply) -> Upstream {
        let recorder = Recorder {
            seen: Arc::new(Mutex::new(Vec::new())),
            reply,
        };
        let seen = recorder.seen.clone();
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(web::Data::new(recorder.clone()))
                .default_service(web::to(record))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let address = server.addrs()[0].to_string();
        actix_web::rt::spawn(server.run());
        Upstream { address, seen }
    }

    fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn last(&self) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request")
    }
}

async fn record(req: HttpRequest, body: web::Bytes, rec: web::Data<Recorder>) -> HttpResponse {
    let seen = Seen {
        method: req.method().to_string(),
        uri: req.uri().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
            .collect(),
        body: body.to_vec(),
    };
    let mut headers = Map::new();
    for (name, value) in &seen.headers {
        let values = headers.entry(name.clone()).or_insert_with(|| json!([]));
        values.as_array_mut().unwrap().push(json!(value));
    }
    let echo = json!({
        "method": seen.method,
        "uri": seen.uri,
        "headers": headers,
        "body": String::from_utf8_lossy(&seen.body),
    });
    rec.seen.lock().unwrap().push(seen);
    let status = actix_web::http::StatusCode::from_u16(rec.reply.status).unwrap();
    let mut response = HttpResponse::build(status);
    for header in &rec.reply.headers {
        response.insert_header(*header);
    }
    if status == 204 {
        response.finish()
    } else {
        response.json(echo)
    }
}

/// The one value of `name` among the headers the API echoed; `None` when absent,
/// a failure when repeated.
fn echoed<'a>(echo: &'a Value, name: &str) -> Option<&'a str> {
    let values = echo["headers"][name].as_array()?;
    assert_eq!(values.len(), 1, "{name} sent more than once: {values:?}");
    values[0].as_str()
}

// ---------------------------------------------------------------------------
// Real nginx.

/// nginx on PATH, or where Debian puts it (not on a non-root PATH).
fn nginx_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("nginx"));
    on_path
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|p| p.is_file())
        .expect(
            "nginx is not installed (looked on PATH and at /usr/sbin/nginx): \
             run `apt-get install nginx-light` (.ci/run does)",
        )
}

/// A running nginx, stopped when dropped.
struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`
    base: String,
}

impl Nginx {
    /// nginx running the documented file, with its placeholders replaced by the
    /// access-tokens server at `server` and the API at `api` (both `HOST:PORT`).
    async fn start(server: &str, api: &str) -> Nginx {
        let conf = std::fs::read_to_string(CONF).unwrap();
        for placeholder in [SERVER_PLACEHOLDER, API_PLACEHOLDER, LISTEN_PLACEHOLDER] {
            assert_eq!(
                conf.matches(placeholder).count(),
                1,
                "{CONF} should hold `{placeholder}` once"
            );
        }
        // The port was free a moment ago; another process may take it first.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let conf = conf
                .replace(SERVER_PLACEHOLDER, &format!("server {server};"))
                .replace(API_PLACEHOLDER, &format!("server {api};"))
                .replace(LISTEN_PLACEHOLDER, &format!("listen 127.0.0.1:{port};"));
            match Self::run(&conf, port).await {
                Ok(nginx) => return nginx,
                Err(e) => last_error = e,
            }
        }
        panic!("nginx did not start:\n{last_error}");
    }

    async fn run(conf: &str, port: u16) -> Result<Nginx, String> {
        let dir = tempfile::tempdir().unwrap();
        // As root, nginx's workers run as `nobody` and must reach the temp paths.
        set_mode(dir.path(), 0o755);
        let d = dir.path().display();
        std::fs::write(dir.path().join("access-tokens.conf"), conf).unwrap();
        let main = format!(
            "worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/access-tokens.conf;
}}
"
        );
        let main_path = dir.path().join("nginx.conf");
        std::fs::write(&main_path, main).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&main_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                return Err(format!("nginx exited with {status}\n{}", nginx.error_log()));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(nginx);
            }
            if Instant::now() > deadline {
                return Err(format!("nginx not listening\n{}", nginx.error_log()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("nginx error log:\n{}", self.error_log());
        }
        // SIGTERM, so the master stops its workers too (SIGKILL would orphan them).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// The access-tokens server, the API and nginx together.

struct Stack {
    app: TestApp,
    api: Upstream,
    nginx: Nginx,
}

async fn stack_over(app: TestApp) -> Stack {
    app.create_users(&[(MEMBER, Role::Member), (ADMIN, Role::Admin)]);
    let api = Upstream::api().await;
    let nginx = Nginx::start(&format!("127.0.0.1:{}", app.port), &api.address).await;
    Stack { app, api, nginx }
}

async fn stack() -> Stack {
    stack_over(spawn_app().await).await
}

/// GET `path` through nginx, with `token` as Bearer when given.
async fn get(stack: &Stack, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = stack.app.api_client().get(stack.nginx.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Asserts a refusal by nginx: the status, the JSON envelope's name, and no store.
async fn assert_refused(response: reqwest::Response, status: u16, name: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(header(response.headers(), "cache-control"), "no-store");
    assert!(header(response.headers(), "content-type").starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["exception"]["name"], name, "{body}");
}

// ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_valid_legacy_token_reaches_the_api_with_who_it_is() {
    let stack = stack().await;
    let Generated { id, value, .. } = generate(&stack.app, Generate::legacy(MEMBER)).await;

    let response = get(&stack, "/reports/42?format=csv", Some(&value)).await;
    assert_eq!(response.status(), 200);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echo["uri"], "/reports/42?format=csv");
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    let member_id = stack.app.user_id(MEMBER).to_string();
    assert_eq!(echoed(&echo, "x-auth-user-id"), Some(member_id.as_str()));
    assert_eq!(echoed(&echo, "x-auth-workspace"), Some("default"));
    assert!(echoed(&echo, "x-auth-workspace-id").is_some_and(|w| w.len() == 36));
    assert_eq!(echoed(&echo, "x-auth-token-id"), Some(id.as_str()));
    assert_eq!(echoed(&echo, "x-auth-token-type"), Some("legacy"));
    assert_eq!(echoed(&echo, "x-auth-role"), Some("member"));
    // The token itself stays with the proxy.
    assert_eq!(echoed(&echo, "authorization"), None);

    // A request with a body: the body goes to the API (only), and the method too.
    let posted = stack
        .app
        .api_client()
        .post(stack.nginx.url("/reports"))
        .bearer_auth(&value)
        .json(&json!({"name": "weekly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let echo: Value = posted.json().await.unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], r#"{"name":"weekly"}"#);
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    assert_eq!(stack.api.hits(), 2);
}

#[actix_web::test]
async fn an_oauth_access_token_reaches_the_api_with_its_grant() {
    let stack = stack().await;
    let created = stack
        .app
        .api_client()
        .post(stack.app.url("/v4/oauthTokens"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"name": "behind nginx", "lifetimeDays": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let access = created["accessToken"].as_str().unwrap();
    let grant = created["tokenInfo"]["tokenId"].as_str().unwrap();

    let response = get(&stack, "/", Some(access)).await;
    assert_eq!(response.status(), 200);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echoed(&echo, "x-auth-user"), Some(ADMIN));
    assert_eq!(echoed(&echo, "x-auth-token-type"), Some("oauth"));
    assert_eq!(echoed(&echo, "x-auth-token-id"), Some(grant));
    assert_eq!(echoed(&echo, "x-auth-role"), Some("admin"));
}

#[actix_web::test]
async fn requests_without_a_valid_token_are_refused_before_the_api() {
    let stack = stack().await;

    let missing = get(&stack, "/reports", None).await;
    assert_eq!(
        header(missing.headers(), "www-authenticate"),
        r#"Bearer realm="access-tokens""#
    );
    assert_refused(missing, 401, "UnauthorizedException").await;

    // Garbage, a JWT-looking string, and a well-formed legacy token that does not
    // exist.
    let unknown = STANDARD
        .encode(json!({"tokenId": uuid::Uuid::new_v4(), "secret": "ab".repeat(32)}).to_string());
    for token in ["not-a-token", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", &unknown] {
        let refused = get(&stack, "/reports", Some(token)).await;
        assert!(
            header(refused.headers(), "www-authenticate").contains(r#"error="invalid_token""#),
            "{token}"
        );
        assert_refused(refused, 401, "UnauthorizedException").await;
    }

    // Basic credentials are not a Bearer token.
    let basic = stack
        .app
        .api_client()
        .get(stack.nginx.url("/reports"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(header(basic.headers(), "www-authenticate").contains(r#"error="invalid_request""#));
    assert_refused(basic, 401, "UnauthorizedException").await;

    // The check's own location is not reachable from outside.
    let value = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let direct = get(&stack, "/_access_tokens/verify", Some(&value)).await;
    assert_eq!(direct.status(), 404);

    assert_eq!(stack.api.hits(), 0);
}

#[actix_web::test]
async fn identity_headers_a_client_forges_never_reach_the_api() {
    let stack = stack().await;
    let Generated { id, value, .. } = generate(&stack.app, Generate::legacy(MEMBER)).await;
    let forged = [
        ("X-Auth-User", ADMIN),
        ("x-auth-role", "admin"),
        ("X-AUTH-TOKEN-ID", "00000000-0000-0000-0000-000000000000"),
        ("X-Auth-Token-Type", "oauth"),
        ("X-Auth-Workspace", "finance"),
    ];

    let mut request = stack.app.api_client().get(stack.nginx.url("/"));
    for (name, value) in forged {
        request = request.header(name, value);
    }
    let without_token = request.send().await.unwrap();
    assert_refused(without_token, 401, "UnauthorizedException").await;
    assert_eq!(stack.api.hits(), 0);

    let mut request = stack
        .app
        .api_client()
        .get(stack.nginx.url("/"))
        .bearer_auth(&value);
    for (name, value) in forged {
        request = request.header(name, value);
    }
    let with_token = request.send().await.unwrap();
    assert_eq!(with_token.status(), 200);
    let echo: Value = with_token.json().await.unwrap();
    // `echoed` also fails if the forged value arrived beside the real one.
    assert_eq!(echoed(&echo, "x-auth-user"), Some(MEMBER));
    assert_eq!(echoed(&echo, "x-auth-role"), Some("member"));
    assert_eq!(echoed(&echo, "x-auth-token-id"), Some(id.as_str()));
    assert_eq!(echoed(&echo, "x-auth-token-type"), Some("legacy"));
    assert_eq!(echoed(&echo, "x-auth-workspace"), Some("default"));
}

#[actix_web::test]
async fn a_signed_in_browsers_session_cookie_alone_does_not_pass() {
    let stack = stack().await;
    let browser = stack.app.browser_client();
    let signed_in = stack.app.sign_in(&browser, MEMBER, PASSWORD).await;
    assert_eq!(signed_in.status(), 303);

    let response = browser
        .get(stack.nginx.url("/reports"))
        .send()
        .await
        .unwrap();
    assert_refused(response, 401, "UnauthorizedException").await;
    assert_eq!(stack.api.hits(), 0);

    // The browser did send its cookie to nginx (cookies are per host, not per
    // port): with a token as well, the API sees it.
    let value = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let with_token = browser
        .get(stack.nginx.url("/reports"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    let echo: Value = with_token.json().await.unwrap();
    assert!(echoed(&echo, "cookie").is_some_and(|c| c.contains('=')));
}

#[actix_web::test]
async fn a_deleted_token_is_refused_on_its_very_next_request() {
    let stack = stack().await;
    let Generated { id, value, .. } = generate(&stack.app, Generate::legacy(MEMBER)).await;
    let other = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    assert_eq!(get(&stack, "/", Some(&value)).await.status(), 200);
    assert_eq!(get(&stack, "/", Some(&other)).await.status(), 200);

    let deleted = stack
        .app
        .api_client()
        .delete(stack.app.url(&format!("/v4/apiAccessTokens/{id}")))
        .basic_auth(MEMBER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // No wait.
    let refused = get(&stack, "/", Some(&value)).await;
    assert!(header(refused.headers(), "www-authenticate").contains(r#"error="invalid_token""#));
    assert_refused(refused, 401, "UnauthorizedException").await;
    assert_eq!(get(&stack, "/", Some(&other)).await.status(), 200);
    assert_eq!(stack.api.hits(), 3);
}

#[actix_web::test]
async fn too_many_invalid_tokens_are_answered_429_with_retry_after() {
    let stack = stack_over(
        spawn_app_with(|s| {
            s.invalid_token_burst = std::num::NonZeroU32::new(3).unwrap();
            s.invalid_token_rate = std::num::NonZeroU32::new(1).unwrap();
            // nginx, on this host: its X-Forwarded-For names the client.
            s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await,
    )
    .await;
    let cached = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    let never_seen = generate(&stack.app, Generate::legacy(MEMBER)).await.value;
    assert_eq!(get(&stack, "/", Some(&cached)).await.status(), 200);

    let mut statuses = Vec::new();
    for i in 0..8 {
        let response = get(&stack, "/", Some(&format!("garbage-{i}"))).await;
        let status = response.status().as_u16();
        statuses.push(status);
        if status == 429 {
            let wait: u64 = header(response.headers(), "retry-after").parse().unwrap();
            assert!((1..=2).contains(&wait), "Retry-After: {wait}");
            assert_refused(response, 429, "TooManyRequestsException").await;
        }
    }
    // The burst, one more refusal that spends the allowance, then held back.
    assert_eq!(&statuses[..4], &[401; 4], "{statuses:?}");
    assert!(statuses[4..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(stack.api.hits(), 1);

    // A token the server verified before still passes.
    assert_eq!(get(&stack, "/", Some(&cached)).await.status(), 200);
    // The noisy client is held back for tokens the server has not verified yet...
    assert_eq!(get(&stack, "/", Some(&never_seen)).await.status(), 429);
    // ...but another client of the same nginx is not: with nginx trusted
    // (--trusted-proxy), the server counts the client nginx names in
    // X-Forwarded-For, not nginx's own address.
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
        .get(stack.nginx.url("/"))
        .bearer_auth(&never_seen)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200);
}

#[actix_web::test]
async fn a_server_that_cannot_answer_makes_it_503_and_its_503_keeps_retry_after() {
    let api = Upstream::api().await;

    // Nothing listens where the access-tokens server should be.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let nginx = Nginx::start(&nowhere, &api.address).await;
    let response = reqwest::Client::new()
        .get(nginx.url("/"))
        .bearer_auth("any-token")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("retry-after").is_none());
    assert_refused(response, 503, "ServiceUnavailableException").await;
    drop(nginx);

    // A server whose database is down answers 503 with Retry-After (a stand-in
    // here, so the database stays up for the other tests).
    let down = Upstream::start(Reply {
        status: 503,
        headers: vec![("Retry-After", "5")],
    })
    .await;
    let nginx = Nginx::start(&down.address, &api.address).await;
    let response = reqwest::Client::new()
        .get(nginx.url("/"))
        .bearer_auth("any-token")
        .send()
        .await
        .unwrap();
    assert_eq!(header(response.headers(), "retry-after"), "5");
    assert_refused(response, 503, "ServiceUnavailableException").await;

    assert_eq!(down.hits(), 1);
    assert_eq!(api.hits(), 0);
}

#[actix_web::test]
async fn the_check_carries_the_token_and_the_original_request_but_no_cookie_or_body() {
    // A stand-in for /auth/verify that records what it is asked and says yes.
    let verify = Upstream::start(Reply {
        status: 204,
        headers: vec![("X-Auth-User", "stand-in")],
    })
    .await;
    let api = Upstream::api().await;
    let nginx = Nginx::start(&verify.address, &api.address).await;

    let response = reqwest::Client::new()
        .post(nginx.url("/reports?format=csv"))
        .bearer_auth("the-token")
        .header("Cookie", "id=session-value")
        .header("X-Forwarded-For", "203.0.113.9")
        .json(&json!({"large": "x".repeat(10_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let check = verify.last();
    assert_eq!(check.uri, "/auth/verify");
    assert_eq!(check.all("authorization"), ["Bearer the-token"]);
    assert!(check.all("cookie").is_empty(), "{check:?}");
    assert!(check.body.is_empty());
    assert!(check.all("content-length").is_empty(), "{check:?}");
    assert_eq!(check.all("x-original-uri"), ["/reports?format=csv"]);
    assert_eq!(check.all("x-original-method"), ["POST"]);
    assert_eq!(check.all("x-real-ip"), ["127.0.0.1"]);
    assert_eq!(check.all("x-forwarded-for"), ["203.0.113.9, 127.0.0.1"]);

    let seen = api.last();
    assert_eq!(seen.all("x-auth-user"), ["stand-in"]);
    assert_eq!(seen.body.len(), 10_012);
    // Headers the stand-in did not send are not made up, nor taken from the client.
    assert!(seen.all("x-auth-role").is_empty());
}
