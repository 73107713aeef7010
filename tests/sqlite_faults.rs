//! A SQLite file that turns read-only, or a disk that fills up: under a running
//! server the API answers a clear 503 and the pages a friendly one, reads keep
//! working, nothing is half-written, and the server recovers by itself once the
//! file can be written or space is freed. At start, a file that cannot be written
//! stops `serve` with one clear line.
//!
//! The tests run the real binary and need root, as CI has: `chattr +i` (the
//! immutable attribute) is what stops root from writing a file, since `chmod` does
//! not, and a small tmpfs is a disk that fills up. Where either is not allowed they
//! fail, saying why, rather than pass without testing anything. These tests always
//! use SQLite, whichever backend the rest of the run uses.

mod common;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::process::{self, Server};
use common::{csrf_token, sign_in_at, TestDatabase};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use serde_json::{json, Value};

/// Makes files or folders immutable (`chattr +i`) until dropped, so that not even
/// root can write them.
struct Immutable {
    paths: Vec<PathBuf>,
}

impl Immutable {
    fn set(paths: &[&Path]) -> Self {
        let mut guard = Immutable { paths: Vec::new() };
        for path in paths {
            chattr("+i", path);
            guard.paths.push(path.to_path_buf());
        }
        guard
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        // Also on a failed test: the temporary folder can only be removed after.
        for path in &self.paths {
            let _ = Command::new("chattr").arg("-i").arg(path).status();
        }
    }
}

fn chattr(flag: &str, path: &Path) {
    let out = Command::new("chattr")
        .arg(flag)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run chattr (Debian package e2fsprogs): {e}"));
    assert!(
        out.status.success(),
        "chattr {flag} {} failed: {}. These tests need root (CAP_LINUX_IMMUTABLE) and a \
         file system with the immutable attribute, such as ext4.",
        path.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// A tmpfs of a few megabytes mounted at a folder until dropped: a disk that fills up.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        assert!(
            out.status.success(),
            "cannot mount a tmpfs at {}: {}. This test needs root (CAP_SYS_ADMIN).",
            at.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs {
            at: at.to_path_buf(),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.at)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// `test.db` → `test.db-wal`.
fn companion(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The first admin of a fresh server: a signed-in browser, an API client and a token.
struct Admin {
    password: String,
    browser: Client,
    api: Client,
    token: String,
}

impl Admin {
    async fn sign_in(server: &Server) -> Admin {
        let password = server
            .stdout_line("Created user admin with password ")
            .await;
        let browser = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap();
        let signed_in = sign_in_at(&browser, &server.address, "admin", &password).await;
        assert_eq!(signed_in.status(), 303, "signed in");
        let api = Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap();
        let created = api
            .post(server.url("/v4/apiAccessTokens"))
            .basic_auth("admin", Some(&password))
            .json(&json!({"lifetimeSeconds": 3600}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "the first token, with the password");
        let body: Value = created.json().await.unwrap();
        Admin {
            password,
            browser,
            api,
            token: body["tokenValue"].as_str().unwrap().to_owned(),
        }
    }

    /// `POST /v4/apiAccessTokens` with the admin's token.
    async fn create(&self, server: &Server) -> Response {
        self.api
            .post(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&self.token)
            .json(&json!({"lifetimeSeconds": 3600, "description": "fault test"}))
            .send()
            .await
            .unwrap()
    }

    /// `n` creations at once, so that the server uses several pooled connections.
    async fn create_at_once(&self, server: &Server, n: usize) -> Vec<Response> {
        let mut tasks = Vec::new();
        for _ in 0..n {
            let request = self
                .api
                .post(server.url("/v4/apiAccessTokens"))
                .bearer_auth(&self.token)
                .json(&json!({"lifetimeSeconds": 3600}));
            tasks.push(tokio::spawn(async move { request.send().await.unwrap() }));
        }
        let mut responses = Vec::new();
        for task in tasks {
            responses.push(task.await.unwrap());
        }
        responses
    }

    /// The ids of the admin's tokens, listed with the password (no token involved).
    async fn listed_ids(&self, server: &Server) -> Vec<String> {
        let response = self
            .api
            .get(server.url("/v4/apiAccessTokens"))
            .basic_auth("admin", Some(&self.password))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "listing is a read and works");
        let body: Value = response.json().await.unwrap();
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tokenId"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Whether `token` is accepted: `GET /v4/apiAccessTokens` with it answers 200.
    async fn token_works(&self, server: &Server, token: &str) -> bool {
        let response = self
            .api
            .get(server.url("/v4/apiAccessTokens"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        response.status() == 200
    }

    /// The Generate Token form, sent from the signed-in browser.
    async fn generate_on_the_page(&self, server: &Server) -> Response {
        let page = self
            .browser
            .get(server.url("/preferences/access-tokens"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "the page is a read and works");
        let csrf = csrf_token(&page.text().await.unwrap());
        self.browser
            .post(server.url("/preferences/access-tokens"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("lifetime_days", "30"),
                ("description", "from the page"),
            ])
            .send()
            .await
            .unwrap()
    }
}

/// A created token's id and value, from a 201 answer.
async fn created(response: Response) -> (String, String) {
    assert_eq!(response.status(), 201, "created");
    let body: Value = response.json().await.unwrap();
    (
        body["tokenInfo"]["tokenId"].as_str().unwrap().to_owned(),
        body["tokenValue"].as_str().unwrap().to_owned(),
    )
}

/// Checks a 503 for a database that cannot store changes: the envelope, the headers,
/// a message with `says` in it and `details.reason`.
async fn assert_cannot_store(response: Response, says: &str, reason: &str) {
    assert_eq!(response.status(), 503, "a 503, not a 500");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["retry-after"], "60");
    let body: Value = response.json().await.unwrap();
    let exception = &body["exception"];
    assert_eq!(exception["name"], "ServiceUnavailableException", "{body}");
    assert!(
        exception["message"].as_str().unwrap().contains(says),
        "the message says {says:?}: {body}"
    );
    assert_eq!(exception["details"], json!({ "reason": reason }), "{body}");
}

/// Checks that the page answer is the friendly 503 page saying `says`.
async fn assert_friendly_page(response: Response, says: &str) {
    assert_eq!(response.status(), 503, "a 503 page, not a 500");
    let html = response.text().await.unwrap();
    assert!(html.contains("<html"), "a whole page: {html}");
    assert!(html.contains(says), "the page says {says:?}: {html}");
    assert!(html.contains("try again later"), "and what to do: {html}");
}

/// Checks the server's log: it names the cause, shows no panic and no secret.
fn assert_log(log: &str, causes: &[&str], secrets: &[&str]) {
    for cause in causes {
        assert!(log.contains(cause), "the log says {cause:?}: {log}");
    }
    assert!(!log.contains("panicked"), "no panic: {log}");
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "a token value or password in the log"
        );
    }
}

#[actix_web::test]
async fn a_file_made_read_only_under_a_running_server_gives_clear_503s_and_recovers() {
    let db = TestDatabase::fresh_sqlite();
    let path = db.sqlite_path().unwrap().to_owned();
    let server = Server::start(db.dir(), &db).await;
    let admin = Admin::sign_in(&server).await;
    let (before, _) = created(admin.create(&server).await).await;

    // The file and its write-ahead log become immutable. Not the -shm: SQLite
    // maps it into memory, and writing a mapping of an immutable file kills the
    // process with SIGBUS, whatever the program.
    let wal = companion(&path, "-wal");
    assert!(wal.exists(), "the database is in WAL mode");
    // The admin's session was last seen two minutes ago, so the next page writes
    // "last seen": that write fails below, and must not fail the page.
    {
        use diesel::RunQueryDsl;
        let pool = db.open();
        let mut conn = pool.get().unwrap();
        diesel::sql_query("UPDATE sessions SET last_seen_at = last_seen_at - 120000")
            .execute(&mut conn)
            .unwrap();
    }
    let read_only = Immutable::set(&[&path, &wal]);

    // Several at once: connections opened before (their writes fail with EPERM,
    // which SQLite reports as an I/O error) and new ones (which SQLite opens
    // read-only). Every one gets the same clear answer, at once.
    let started = Instant::now();
    for response in admin.create_at_once(&server, 6).await {
        assert_cannot_store(response, "The database is read-only", "databaseReadOnly").await;
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "answered in {took:?}");
    let delete = admin
        .api
        .delete(server.url(&format!("/v4/apiAccessTokens/{before}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_cannot_store(delete, "The database is read-only", "databaseReadOnly").await;

    // Reading still works, with the password and with a token (whose use cannot
    // be recorded now).
    assert!(admin.listed_ids(&server).await.contains(&before));
    assert!(admin.token_works(&server, &admin.token).await);
    assert_eq!(
        reqwest::get(server.url("/readyz")).await.unwrap().status(),
        200,
        "ready: the database answers reads"
    );
    let sessions = admin
        .browser
        .get(server.url("/preferences/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sessions.status(),
        200,
        "a page is a read: a failed \"last seen\" write does not fail it"
    );
    let page = admin.generate_on_the_page(&server).await;
    assert_friendly_page(page, "The database is read-only").await;

    // Writable again: the server recovers without a restart and without another
    // failed request, although it opened connections while the file was read-only.
    drop(read_only);
    let mut new = Vec::new();
    for response in admin.create_at_once(&server, 6).await {
        new.push(created(response).await);
    }
    let listed = admin.listed_ids(&server).await;
    for (id, value) in &new {
        assert!(listed.contains(id), "token {id} is listed");
        assert!(admin.token_works(&server, value).await, "token {id} works");
    }
    // The admin's first token, `before` and the new ones: nothing refused was stored.
    assert_eq!(listed.len(), 2 + new.len(), "{listed:?}");
    let page = admin.generate_on_the_page(&server).await;
    assert_eq!(page.status(), 303, "the page generates tokens again");

    let (_, log) = server.stop();
    let mut secrets = vec![admin.password.as_str(), admin.token.as_str()];
    secrets.extend(new.iter().map(|(_, value)| value.as_str()));
    assert_log(
        &log,
        &[
            "the database is read-only",
            "Operation not permitted",
            "the session's last use could not be recorded",
        ],
        &secrets,
    );
}

/// Runs `serve` over `database` and waits (at most 10 s) for it to exit; returns its
/// exit status and standard error.
fn serve_until_it_exits(dir: &Path, database: OsString) -> (ExitStatus, String) {
    let mut child = process::command(dir)
        .args(["serve", "--bind"])
        .arg(format!("127.0.0.1:{}", process::free_port()))
        .arg("--database")
        .arg(database)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not exit within 10 s on a database it cannot write");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

/// A migrated database, closed again: the file alone, no `-wal` or `-shm` beside it.
fn closed_database() -> TestDatabase {
    let db = TestDatabase::fresh_sqlite();
    drop(db.open());
    let path = db.sqlite_path().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while companion(path, "-wal").exists() || companion(path, "-shm").exists() {
        assert!(
            Instant::now() < deadline,
            "SQLite did not remove the -wal and -shm files on close"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    db
}

/// Checks that `serve` failed with exactly one line that starts with `error:` and
/// says every one of `says`.
fn assert_one_clear_line(status: ExitStatus, stderr: &str, says: &[&str]) {
    assert_eq!(status.code(), Some(1), "exits with 1: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for text in says {
        assert!(lines[0].contains(text), "the error says {text:?}: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
}

#[test]
fn serve_refuses_to_start_on_a_file_it_cannot_write() {
    let db = closed_database();
    let path = db.sqlite_path().unwrap().to_owned();
    let _read_only = Immutable::set(&[&path]);

    let (status, stderr) = serve_until_it_exits(db.dir(), db.arg());

    let shown = path.display().to_string();
    assert_one_clear_line(
        status,
        &stderr,
        &[
            &format!("cannot open the database {shown}: it is read-only"),
            &format!("{shown} cannot be written: Operation not permitted"),
        ],
    );
}

#[test]
fn serve_refuses_to_start_in_a_folder_it_cannot_write() {
    // The file can be written, but SQLite must create test.db-wal beside it.
    let db = closed_database();
    let path = db.sqlite_path().unwrap().to_owned();
    let _read_only = Immutable::set(&[db.dir()]);

    let (status, stderr) = serve_until_it_exits(db.dir(), db.arg());

    assert_one_clear_line(
        status,
        &stderr,
        &[
            &format!("cannot open the database {}", path.display()),
            &format!("the folder {} cannot be written", db.dir().display()),
            "Operation not permitted",
        ],
    );
}

#[actix_web::test]
async fn a_full_disk_gives_clear_503s_loses_nothing_and_recovers_once_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&dir.path().join("disk"), "2m");
    let path = disk.at.join("test.db");
    let server = Server::start_on(dir.path(), path.as_os_str(), process::free_port(), &[]).await;
    let admin = Admin::sign_in(&server).await;
    let mut stored = vec![created(admin.create(&server).await).await];

    // Fill the disk to the last byte.
    let filler = disk.at.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let full = loop {
        if let Err(e) = file.write_all(&chunk) {
            break e;
        }
    };
    assert_eq!(full.raw_os_error(), Some(28), "ENOSPC: {full}");
    drop(file);

    // Creating tokens fails within a few, with a clear answer; the ones answered
    // 201 before that were really stored.
    let refused = loop {
        let response = admin.create(&server).await;
        if response.status() != 201 {
            break response;
        }
        stored.push(created(response).await);
        assert!(
            stored.len() < 20,
            "tokens were still created on a full disk"
        );
    };
    assert_cannot_store(refused, "The database disk is full", "diskFull").await;
    let page = admin.generate_on_the_page(&server).await;
    assert_friendly_page(page, "The database disk is full").await;
    let listed = admin.listed_ids(&server).await;
    for (id, value) in &stored {
        assert!(listed.contains(id), "token {id} answered 201 and is listed");
        assert!(admin.token_works(&server, value).await, "token {id} works");
    }

    // Space is freed: creating works again at once, without a restart.
    std::fs::remove_file(&filler).unwrap();
    stored.push(created(admin.create(&server).await).await);
    let listed = admin.listed_ids(&server).await;
    for (id, value) in &stored {
        assert!(listed.contains(id), "token {id} is listed");
        assert!(admin.token_works(&server, value).await, "token {id} works");
    }
    // The admin's first token and the stored ones: nothing refused was stored.
    assert_eq!(listed.len(), 1 + stored.len(), "{listed:?}");

    let (_, log) = server.stop();
    let mut secrets = vec![admin.password.as_str(), admin.token.as_str()];
    secrets.extend(stored.iter().map(|(_, value)| value.as_str()));
    assert_log(
        &log,
        &[
            "the database or its disk is full",
            "database or disk is full",
        ],
        &secrets,
    );
}
