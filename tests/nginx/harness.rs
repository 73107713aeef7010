//! The stage for tests/nginx.rs: a recording HTTP server (the protected API, or a
//! stand-in for /auth/verify), real nginx running docs/nginx/access-tokens.conf, and
//! the three together with a real access-tokens server.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use access_tokens::domain::Role;
use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Map, Value};

use crate::common::process::free_port;
use crate::common::{header, spawn_app, TestApp, ADMIN, MEMBER};

/// The file users copy, as it is in the repository.
pub(crate) const CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/nginx/access-tokens.conf");
/// Its placeholder addresses: the access-tokens server, the API, and nginx's own.
const SERVER_PLACEHOLDER: &str = "server 127.0.0.1:8080;";
const API_PLACEHOLDER: &str = "server 127.0.0.1:9000;";
const LISTEN_PLACEHOLDER: &str = "listen 127.0.0.1:8000;";

// ---------------------------------------------------------------------------
// A recording HTTP server: the protected API, or a stand-in for /auth/verify.

/// One request as the recording server received it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// Path and query.
    pub(crate) uri: String,
    /// Lower-case names, in arrival order, repeated names kept.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Seen {
    /// Every value the request carried under `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the recording server answers to every request.
#[derive(Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, &'static str)>,
}

#[derive(Clone)]
struct Recorder {
    seen: Arc<Mutex<Vec<Seen>>>,
    reply: Reply,
}

/// A recording server on a free loopback port.
pub(crate) struct Upstream {
    /// `127.0.0.1:PORT`
    pub(crate) address: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    /// The protected API: 200 with a JSON echo of what it received.
    pub(crate) async fn api() -> Upstream {
        Self::start(Reply {
            status: 200,
            headers: vec![],
        })
        .await
    }

    pub(crate) async fn start(reply: Reply) -> Upstream {
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

    pub(crate) fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    pub(crate) fn last(&self) -> Seen {
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
pub(crate) fn echoed<'a>(echo: &'a Value, name: &str) -> Option<&'a str> {
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
pub(crate) struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`
    pub(crate) base: String,
}

impl Nginx {
    /// nginx running the documented file, with its placeholders replaced by the
    /// access-tokens server at `server` and the API at `api` (both `HOST:PORT`).
    pub(crate) async fn start(server: &str, api: &str) -> Nginx {
        Self::start_documented(&std::fs::read_to_string(CONF).unwrap(), &[server], api, "").await
    }

    /// nginx running `conf`, the documented file (or a variant of it), with every
    /// instance of `servers` in the access-tokens upstream, the API at `api`, and
    /// `extra` (more locations) in its `server` block.
    pub(crate) async fn start_documented(
        conf: &str,
        servers: &[&str],
        api: &str,
        extra: &str,
    ) -> Nginx {
        for placeholder in [SERVER_PLACEHOLDER, API_PLACEHOLDER, LISTEN_PLACEHOLDER] {
            assert_eq!(
                conf.matches(placeholder).count(),
                1,
                "{CONF} should hold `{placeholder}` once"
            );
        }
        let upstream: Vec<String> = servers.iter().map(|s| format!("server {s};")).collect();
        // The port was free a moment ago; another process may take it first.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let conf = conf
                .replace(SERVER_PLACEHOLDER, &upstream.join("\n    "))
                .replace(API_PLACEHOLDER, &format!("server {api};"))
                .replace(
                    LISTEN_PLACEHOLDER,
                    &format!("listen 127.0.0.1:{port};\n{extra}"),
                );
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

    pub(crate) fn url(&self, path: &str) -> String {
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

/// The access-tokens server (with the member and the admin of `common`), the
/// recording API, and nginx in front of both.
pub(crate) struct Stack {
    pub(crate) app: TestApp,
    pub(crate) api: Upstream,
    pub(crate) nginx: Nginx,
}

/// The stack around `app`, a server already running.
pub(crate) async fn stack_over(app: TestApp) -> Stack {
    app.create_users(&[(MEMBER, Role::Member), (ADMIN, Role::Admin)]);
    let api = Upstream::api().await;
    let nginx = Nginx::start(&format!("127.0.0.1:{}", app.port), &api.address).await;
    Stack { app, api, nginx }
}

/// The stack around a server as the tests start it.
pub(crate) async fn stack() -> Stack {
    stack_over(spawn_app().await).await
}

/// GET `path` through nginx, with `token` as Bearer when given.
pub(crate) async fn get(stack: &Stack, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = stack.app.api_client().get(stack.nginx.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Asserts a refusal by nginx: the status, the JSON envelope's name, and no store.
pub(crate) async fn assert_refused(response: reqwest::Response, status: u16, name: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(header(response.headers(), "cache-control"), "no-store");
    assert!(header(response.headers(), "content-type").starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["exception"]["name"], name, "{body}");
}
