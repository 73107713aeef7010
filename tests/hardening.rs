//! Issue 11, findings 8 to 11, each reproduced as the attack it was: a form's way
//! back that is not a path on this site, invitation links and log lines built from
//! forwarding headers a client made up, a database file others can read, and
//! passwords anyone could guess.

mod common;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use access_tokens::config::PublicUrl;
use access_tokens::domain::password::RULE;
use access_tokens::domain::Role;
use common::process::{command, free_port, run_with_stdin, Server, BIN};
use common::{
    app_with, csrf_token, generate, location, on_postgres, post_form, signed_in, spawn_app,
    spawn_app_with, Generate, Generated, SignedIn, TestApp, TestDatabase, ADMIN, ALICE, PASSWORD,
};
use serde_json::{json, Value};

/// A password the rule accepts (and no test below guesses).
const STRONG: &str = "violet anchor mosaic 47 drift";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Every OAuth API token of the workspace, by id, with its status.
async fn oauth_statuses(app: &TestApp) -> HashMap<String, String> {
    let body: Value = app.get_as(ADMIN, "/v4/workspaceOAuthTokens").await.1;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tokenId"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Invites `name` through `POST /v4/workspaceMembers` as the admin, with `headers`;
/// the `inviteUrl` answered.
async fn invite_url(app: &TestApp, name: &str, headers: &[(&str, &str)]) -> String {
    let mut request = app
        .api_client()
        .post(app.url("/v4/workspaceMembers"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"username": name}));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["inviteUrl"].as_str().unwrap().to_owned()
}

/// Headers a client sends to pass itself off as coming through a proxy from
/// elsewhere.
const FORGED: [(&str, &str); 5] = [
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "https"),
    ("X-Forwarded-For", "6.6.6.6"),
    ("X-Real-IP", "6.6.6.6"),
    ("Forwarded", "for=6.6.6.6;host=evil.example;proto=https"),
];

// ---------------------------------------------------------------------------
// Finding 8: the way back
// ---------------------------------------------------------------------------

/// Ways back that are not paths on this site, as a form would carry them.
const BAD_BACKS: [&str; 6] = [
    "/admin/access-tokens?\u{1}",
    "/admin/oauth-tokens?a\r\nSet-Cookie: x=y",
    "//evil.example/admin/access-tokens",
    "https://evil.example/admin/oauth-tokens",
    "//\u{e9}vil.example/admin/access-tokens",
    "/admin/access-tokens?\u{85}",
];

#[actix_web::test]
async fn a_bad_way_back_is_refused_with_400_before_any_of_the_six_admin_actions_runs() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;
    let Generated {
        id: token_id,
        value: token_value,
        ..
    } = generate(&app, Generate::legacy(ALICE)).await;
    let grant_id = generate(&app, Generate::oauth(ALICE).name("ci")).await.id;
    let SignedIn {
        client: admin,
        csrf,
    } = signed_in(&app, ADMIN).await;
    let csrf = csrf.as_str();
    let tokens_before = app.token_count();
    let grants_before = oauth_statuses(&app).await;
    assert_eq!(grants_before[&grant_id], "Active");

    for back in BAD_BACKS {
        let actions: [(String, Vec<(&str, &str)>); 6] = [
            (
                format!("/admin/access-tokens/{token_id}/delete"),
                vec![("csrf_token", csrf), ("back", back)],
            ),
            (
                "/admin/access-tokens/delete-selected".to_owned(),
                vec![
                    ("csrf_token", csrf),
                    ("token_id", &token_id),
                    ("confirmed", "yes"),
                    ("back", back),
                ],
            ),
            (
                format!("/admin/oauth-tokens/{grant_id}/disable"),
                vec![("csrf_token", csrf), ("back", back)],
            ),
            (
                format!("/admin/oauth-tokens/{grant_id}/delete"),
                vec![("csrf_token", csrf), ("back", back)],
            ),
            (
                "/admin/oauth-tokens/selected".to_owned(),
                vec![
                    ("csrf_token", csrf),
                    ("action", "disable"),
                    ("token_id", &grant_id),
                    ("confirmed", "yes"),
                    ("back", back),
                ],
            ),
            (
                "/admin/oauth-tokens/selected".to_owned(),
                vec![
                    ("csrf_token", csrf),
                    ("action", "delete"),
                    ("token_id", &grant_id),
                    ("confirmed", "yes"),
                    ("back", back),
                ],
            ),
        ];
        for (path, form) in &actions {
            let response = post_form(&app, &admin, path, form).await;
            assert_eq!(response.status(), 400, "POST {path} with back={back:?}");
            assert!(response.headers().get("location").is_none());
            let page = response.text().await.unwrap();
            assert!(page.contains("path on this site"), "{page}");
        }
    }

    assert_eq!(app.token_count(), tokens_before, "no token deleted");
    assert_eq!(app.bearer_status(&token_value).await, 200);
    assert_eq!(
        oauth_statuses(&app).await,
        grants_before,
        "no OAuth token disabled or deleted"
    );
}

#[actix_web::test]
async fn non_ascii_in_a_way_back_is_percent_encoded_in_location() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;
    let token_id = generate(&app, Generate::legacy(ALICE)).await.id;
    let grant_id = generate(&app, Generate::oauth(ALICE).name("ci")).await.id;
    let SignedIn {
        client: admin,
        csrf,
    } = signed_in(&app, ADMIN).await;

    let deleted = post_form(
        &app,
        &admin,
        &format!("/admin/access-tokens/{token_id}/delete"),
        &[
            ("csrf_token", &csrf),
            ("back", "/admin/access-tokens?owner=j\u{f6}rg m"),
        ],
    )
    .await;
    let disabled = post_form(
        &app,
        &admin,
        &format!("/admin/oauth-tokens/{grant_id}/disable"),
        &[
            ("csrf_token", &csrf),
            ("back", "/admin/oauth-tokens?name=caf\u{e9}"),
        ],
    )
    .await;

    assert_eq!(deleted.status(), 303);
    assert_eq!(
        location(&deleted),
        "/admin/access-tokens?owner=j%C3%B6rg%20m"
    );
    assert_eq!(disabled.status(), 303);
    assert_eq!(location(&disabled), "/admin/oauth-tokens?name=caf%C3%A9");
}

// ---------------------------------------------------------------------------
// Finding 9: links
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn an_invitation_link_ignores_forwarding_headers_from_an_untrusted_client() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;

    let from_api = invite_url(&app, "newhire", &FORGED).await;
    let SignedIn {
        client: admin,
        csrf,
    } = signed_in(&app, ADMIN).await;
    let mut request = admin.post(app.url("/admin/people")).form(&[
        ("csrf_token", csrf.as_str()),
        ("username", "otherhire"),
        ("role", "member"),
        ("onboarding", "invite"),
    ]);
    for (k, v) in FORGED {
        request = request.header(k, v);
    }
    let page = request.send().await.unwrap().text().await.unwrap();

    let own = format!("http://127.0.0.1:{}/invite/", app.port);
    assert!(from_api.starts_with(&own), "{from_api}");
    assert!(page.contains(&own), "the People page shows a link to {own}");
    assert!(!page.contains("evil.example"));
}

#[actix_web::test]
async fn with_a_public_url_invitation_links_start_with_it_whatever_the_request_says() {
    let app = spawn_app_with(|s| {
        s.public_url = Some(PublicUrl::parse("https://tokens.example.com/").unwrap());
    })
    .await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);

    let plain = invite_url(&app, "newhire", &[]).await;
    let forged = invite_url(&app, "otherhire", &FORGED).await;

    assert!(
        plain.starts_with("https://tokens.example.com/invite/"),
        "{plain}"
    );
    assert!(
        forged.starts_with("https://tokens.example.com/invite/"),
        "{forged}"
    );
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_host_it_forwards_is_used() {
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin);

    let url = invite_url(
        &app,
        "newhire",
        &[
            ("X-Forwarded-Host", "tokens.example.com"),
            ("X-Forwarded-Proto", "https"),
        ],
    )
    .await;

    assert!(
        url.starts_with("https://tokens.example.com/invite/"),
        "{url}"
    );
}

#[test]
fn serve_refuses_a_public_url_that_is_not_an_absolute_http_url() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args(["serve", "--public-url", "tokens.example.com", "--database"])
        .arg(dir.path().join("db.sqlite"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--public-url"));
}

// ---------------------------------------------------------------------------
// Finding 10: log lines
// ---------------------------------------------------------------------------

/// The JSON log lines of the requests to `target` written after `offset`, once the
/// answer's line (a request's last) is there. Lines are written by the log's own
/// thread a little after their request: the start-up probe's `/healthz` line can
/// land after `offset` too, and must not stand in for the request's own.
async fn lines_of(server: &Server, offset: usize, target: &str) -> String {
    let needle = format!(r#""http.target":"{target}""#);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let lines: Vec<String> = server.stderr()[offset..]
            .lines()
            .filter(|l| l.contains(&needle))
            .map(str::to_owned)
            .collect();
        if lines.iter().any(|l| l.contains("duration_us")) || Instant::now() >= deadline {
            return lines.join("\n");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_log_line_names_the_real_client_and_host_not_the_forwarded_ones() {
    let db = TestDatabase::fresh();
    let server = Server::start_logging_json(&db).await;
    let offset = server.stderr().len();

    let mut request = reqwest::Client::new()
        .get(server.url("/v4/apiAccessTokens"))
        .basic_auth("admin", Some("not the password"));
    for (k, v) in FORGED {
        request = request.header(k, v);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
    let log = lines_of(&server, offset, "/v4/apiAccessTokens").await;

    assert!(
        log.contains(r#""http.client_ip":"127.0.0.1""#),
        "the TCP peer is the client:\n{log}"
    );
    assert!(
        log.contains(&format!(r#""http.host":"127.0.0.1:{}""#, server.port)),
        "the host the request named:\n{log}"
    );
    assert!(!log.contains("6.6.6.6"), "{log}");
    assert!(!log.contains("evil.example"), "{log}");
}

#[actix_web::test]
async fn behind_a_trusted_proxy_a_log_line_names_the_client_and_host_it_forwards() {
    let db = TestDatabase::fresh();
    let server = Server::start_with(
        db.dir(),
        &db,
        &[
            ("ACCESS_TOKENS_LOG_FORMAT", "json"),
            ("ACCESS_TOKENS_TRUSTED_PROXIES", "127.0.0.1"),
            ("RUST_LOG", "info"),
        ],
    )
    .await;
    let offset = server.stderr().len();

    let response = reqwest::Client::new()
        .get(server.url("/v4/apiAccessTokens"))
        .basic_auth("admin", Some("not the password"))
        .header("X-Forwarded-For", "203.0.113.9")
        .header("X-Forwarded-Host", "tokens.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let log = lines_of(&server, offset, "/v4/apiAccessTokens").await;

    assert!(log.contains(r#""http.client_ip":"203.0.113.9""#), "{log}");
    assert!(log.contains(r#""http.host":"tokens.example.com""#), "{log}");
}

// ---------------------------------------------------------------------------
// Finding 11: private files
// ---------------------------------------------------------------------------

/// A `serve` started by `sh` under `umask 022`; killed when dropped.
struct Umasked(Child);

impl Drop for Umasked {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[actix_web::test]
async fn the_sqlite_file_and_its_wal_and_shm_are_private_under_umask_022() {
    if on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tokens.db");
    let port = free_port();
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 022 && exec "$0" serve --bind "$1" --database "$2""#)
        .arg(BIN)
        .arg(format!("127.0.0.1:{port}"))
        .arg(&db)
        .current_dir(dir.path())
        .env_remove("ACCESS_TOKENS_DATABASE")
        .env_remove("ACCESS_TOKENS_SESSION_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Umasked(child);
    let files = ["tokens.db", "tokens.db-wal", "tokens.db-shm"].map(|f| dir.path().join(f));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready && files.iter().all(|f| f.exists()) {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A file made by this process under the same umask, to show the umask is 022.
    let witness = dir.path().join("witness");
    Command::new("sh")
        .arg("-c")
        .arg(r#"umask 022 && : > "$0""#)
        .arg(&witness)
        .status()
        .unwrap();
    assert_eq!(mode(&witness), 0o644);
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[actix_web::test]
async fn serve_warns_at_start_when_the_database_file_is_readable_by_others() {
    if on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tokens.db");
    std::fs::write(&db, b"").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();

    let server = Server::start_on(
        dir.path(),
        db.as_os_str(),
        free_port(),
        &[("RUST_LOG", "warn")],
    )
    .await;
    let (_, log) = server.stop();

    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("can be read or written by other users"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning:\n{log}");
    assert!(warnings[0].contains("tokens.db"), "{}", warnings[0]);
    assert!(warnings[0].contains("0644"), "{}", warnings[0]);
    assert_eq!(mode(&db), 0o644, "the operator's file is left as it is");
}

// ---------------------------------------------------------------------------
// Finding 11: passwords
// ---------------------------------------------------------------------------

fn cli_user(dir: &Path, db: &TestDatabase, args: &[&str], pass: &str) -> Output {
    let mut cmd = command(dir);
    cmd.arg("user")
        .args(args)
        .args(["--password-stdin", "--database"])
        .arg(db.arg());
    run_with_stdin(cmd, &format!("{pass}\n"))
}

#[test]
fn user_add_and_user_passwd_refuse_a_guessable_password_with_exit_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::fresh();

    let abc = cli_user(dir.path(), &db, &["add", "bob"], "abc");
    let named = cli_user(dir.path(), &db, &["add", "bob"], "bob-bob-bob-bob");
    let added = cli_user(dir.path(), &db, &["add", "bob"], STRONG);
    let weak_passwd = cli_user(dir.path(), &db, &["passwd", "bob"], "password1234");
    let passwd = cli_user(
        dir.path(),
        &db,
        &["passwd", "bob"],
        "another violet anchor 9",
    );

    for refused in [&abc, &named, &weak_passwd] {
        assert_eq!(refused.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(RULE), "{stderr}");
    }
    assert!(added.status.success(), "{added:?}");
    assert!(passwd.status.success(), "{passwd:?}");
}

#[actix_web::test]
async fn change_password_refuses_a_weak_new_password_on_the_page() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;
    let SignedIn {
        client: alice,
        csrf,
    } = signed_in(&app, ALICE).await;

    let response = post_form(
        &app,
        &alice,
        "/preferences/password",
        &[
            ("csrf_token", &csrf),
            ("current_password", PASSWORD),
            ("new_password", "a"),
            ("confirm_password", "a"),
        ],
    )
    .await;

    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains(&askama_escaped(RULE)), "{page}");
    assert_eq!(
        app.sign_in(&app.browser_client(), ALICE, PASSWORD)
            .await
            .status(),
        303,
        "the old password still works"
    );
}

#[actix_web::test]
async fn change_password_checks_the_current_password_first() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;
    let SignedIn {
        client: alice,
        csrf,
    } = signed_in(&app, ALICE).await;

    let mut answers = Vec::new();
    for (new, confirm) in [(STRONG, "something else entirely"), ("a", "a")] {
        let response = post_form(
            &app,
            &alice,
            "/preferences/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "not my password"),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await;
        answers.push((response.status().as_u16(), response.text().await.unwrap()));
    }

    for (status, page) in answers {
        assert_eq!(status, 422);
        assert!(
            page.contains("The current password is not correct."),
            "{page}"
        );
        assert!(!page.contains("do not match"));
        // The rule is stated beside the field, but whether this password meets it
        // is not said to who does not know the current one.
        assert_eq!(
            common::html::said_beside(&page, "new_password"),
            [RULE],
            "only the rule, no verdict"
        );
        assert!(!page.contains(r#"id="new-password-error""#));
    }
}

#[actix_web::test]
async fn an_initial_password_on_the_people_page_and_the_api_follows_the_rule() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;
    let SignedIn {
        client: admin,
        csrf,
    } = signed_in(&app, ADMIN).await;

    let page = post_form(
        &app,
        &admin,
        "/admin/people",
        &[
            ("csrf_token", &csrf),
            ("username", "bob"),
            ("role", "member"),
            ("onboarding", "password"),
            ("password", "abc"),
        ],
    )
    .await;
    let api = app
        .api_client()
        .post(app.url("/v4/workspaceMembers"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"username": "carol", "password": "carol-carol-1"}))
        .send()
        .await
        .unwrap();
    let strong = app
        .api_client()
        .post(app.url("/v4/workspaceMembers"))
        .basic_auth(ADMIN, Some(PASSWORD))
        .json(&json!({"username": "dave", "password": STRONG}))
        .send()
        .await
        .unwrap();

    assert_eq!(page.status(), 422);
    assert!(page.text().await.unwrap().contains(&askama_escaped(RULE)));
    assert_eq!(api.status(), 400);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["exception"]["name"], "ValidationFailed", "{body}");
    assert_eq!(body["exception"]["details"]["field"], "password");
    let message = body["exception"]["message"].as_str().unwrap();
    assert!(message.starts_with(RULE), "{body}");
    assert_eq!(strong.status(), 201);
    let mut conn = app.pool.get().unwrap();
    for refused in ["bob", "carol"] {
        let found = access_tokens::models::user::find_by_username(&mut conn, refused).unwrap();
        assert!(found.is_none(), "{refused} was not created");
    }
}

#[actix_web::test]
async fn an_invitation_cannot_be_accepted_with_a_weak_password() {
    let app = app_with(&[(ADMIN, Role::Admin), (ALICE, Role::Member)]).await;
    let link = invite_url(&app, "ivan", &[]).await;
    let path = link.strip_prefix(&app.address).unwrap().to_owned();
    let browser = app.browser_client();
    let csrf = csrf_token(&app.html(&browser, &path).await);

    let weak = post_form(
        &app,
        &browser,
        &path,
        &[
            ("csrf_token", &csrf),
            ("new_password", "ivan12345678"),
            ("confirm_password", "ivan12345678"),
        ],
    )
    .await;
    let weak_status = weak.status();
    let weak_page = weak.text().await.unwrap();
    let strong = post_form(
        &app,
        &browser,
        &path,
        &[
            ("csrf_token", &csrf),
            ("new_password", STRONG),
            ("confirm_password", STRONG),
        ],
    )
    .await;

    assert_eq!(weak_status, 422);
    assert!(weak_page.contains(&askama_escaped(RULE)), "{weak_page}");
    assert_eq!(strong.status(), 303, "the link still works");
}

#[actix_web::test]
async fn a_short_password_set_before_the_rule_still_signs_in() {
    let app = spawn_app().await;
    app.create_user("old", "abc", Role::Member);

    let response = app.sign_in(&app.browser_client(), "old", "abc").await;

    assert_eq!(response.status(), 303);
}

/// `text` as askama writes it into HTML.
fn askama_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
