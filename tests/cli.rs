//! Tests of the real `access-tokens` binary: `user add`, `user passwd` and `serve`,
//! each run with `std::process::Command` in a temporary directory of its own.

use std::path::Path;
use std::process::{Output, Stdio};

use access_tokens::auth::password;
use access_tokens::domain::password::RULE;
use access_tokens::domain::{Password, Role};
use access_tokens::models::{user, workspace};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::json;

mod common;

use common::process::{command, run_with_stdin, Server};
use common::TestDatabase;

const PASSWORD: &str = "correct horse battery staple";
const ADMIN_LINE: &str = "Created user admin with password ";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `user add NAME --password-stdin --database DB [extra...]` with `pass` on stdin.
fn user_add(dir: &Path, db: &TestDatabase, name: &str, pass: &str, extra: &[&str]) -> Output {
    let mut cmd = command(dir);
    cmd.args(["user", "add", name, "--password-stdin", "--database"])
        .arg(db.arg())
        .args(extra);
    run_with_stdin(cmd, &format!("{pass}\n"))
}

/// `user passwd NAME --password-stdin --database DB` with `pass` on stdin.
fn user_passwd(dir: &Path, db: &TestDatabase, name: &str, pass: &str) -> Output {
    let mut cmd = command(dir);
    cmd.args(["user", "passwd", name, "--password-stdin", "--database"])
        .arg(db.arg());
    run_with_stdin(cmd, &format!("{pass}\n"))
}

fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

fn assert_failure(output: &Output) {
    assert!(
        !output.status.success(),
        "expected a failure\nstdout: {}",
        stdout(output)
    );
}

/// A user as stored in the database at `db`, with their role.
fn stored_user(db: &TestDatabase, name: &str) -> Option<(user::User, Role)> {
    let pool = db.open();
    let mut conn = pool.get().unwrap();
    let found = user::find_by_username(&mut conn, name).unwrap()?;
    let (_, role) = workspace::primary_membership(&mut conn, found.id)
        .unwrap()
        .expect("a membership");
    Some((found, role))
}

fn password_works(db: &TestDatabase, name: &str, pass: &str) -> bool {
    let (found, _) = stored_user(db, name).expect("the user");
    password::verify(
        Some(&found.password_hash),
        &Password::offered(pass.to_owned()),
    )
}

/// A temporary working directory and a fresh database on this run's backend (on
/// SQLite a file that does not exist yet).
fn temp_db() -> (tempfile::TempDir, TestDatabase) {
    (tempfile::tempdir().unwrap(), TestDatabase::fresh())
}

// ---------------------------------------------------------------------------
// user add
// ---------------------------------------------------------------------------

#[test]
fn user_add_creates_the_database_and_the_user() {
    let (dir, db) = temp_db();
    let output = user_add(dir.path(), &db, "alice", PASSWORD, &[]);
    assert_success(&output);
    assert!(db.exists());
    assert!(stdout(&output).contains("Created user alice"));
    let (_, role) = stored_user(&db, "alice").expect("alice is stored");
    assert_eq!(role, Role::Member);
    assert!(password_works(&db, "alice", PASSWORD));
    assert!(!password_works(&db, "alice", "wrong"));
}

#[test]
fn user_add_never_prints_the_password() {
    let (dir, db) = temp_db();
    let output = user_add(dir.path(), &db, "alice", PASSWORD, &[]);
    assert_success(&output);
    assert!(!stdout(&output).contains(PASSWORD));
    assert!(!stderr(&output).contains(PASSWORD));
}

#[test]
fn user_add_with_admin_makes_a_workspace_admin() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "root", PASSWORD, &["--admin"]));
    let (_, role) = stored_user(&db, "root").expect("root is stored");
    assert_eq!(role, Role::Admin);
}

#[test]
fn user_add_adds_to_an_existing_database() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "alice", PASSWORD, &[]));
    assert_success(&user_add(dir.path(), &db, "bob", "another password", &[]));
    assert!(password_works(&db, "alice", PASSWORD));
    assert!(password_works(&db, "bob", "another password"));
}

#[test]
fn user_add_honours_the_database_environment_variable() {
    let (dir, db) = temp_db();
    let mut cmd = command(dir.path());
    cmd.args(["user", "add", "alice", "--password-stdin"])
        .env("ACCESS_TOKENS_DATABASE", db.arg());
    let output = run_with_stdin(cmd, &format!("{PASSWORD}\n"));
    assert_success(&output);
    assert!(stored_user(&db, "alice").is_some());
    assert!(
        !dir.path().join("access-tokens.db").exists(),
        "the default database was not used"
    );
}

#[test]
fn user_add_refuses_a_name_that_is_taken() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "alice", PASSWORD, &[]));
    let output = user_add(dir.path(), &db, "alice", "another password", &[]);
    assert_failure(&output);
    let err = stderr(&output);
    assert!(
        err.contains("alice") && err.contains("already exists"),
        "{err}"
    );
    // The first password stands.
    assert!(password_works(&db, "alice", PASSWORD));
}

#[test]
fn user_add_refuses_an_empty_password() {
    let (dir, db) = temp_db();
    let output = user_add(dir.path(), &db, "alice", "", &[]);
    assert_failure(&output);
    let err = stderr(&output);
    assert!(err.contains(RULE), "{err}");
    assert!(db
        .exists()
        .then(|| stored_user(&db, "alice"))
        .flatten()
        .is_none());
}

#[test]
fn user_add_refuses_nothing_at_all_on_standard_input() {
    let (dir, db) = temp_db();
    let mut cmd = command(dir.path());
    cmd.args(["user", "add", "alice", "--password-stdin", "--database"])
        .arg(db.arg());
    let output = run_with_stdin(cmd, "");
    assert_failure(&output);
    assert!(stderr(&output).contains(RULE));
}

#[test]
fn user_add_requires_password_stdin() {
    let (dir, db) = temp_db();
    let output = command(dir.path())
        .args(["user", "add", "alice", "--database"])
        .arg(db.arg())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_failure(&output);
    assert!(
        stderr(&output).contains("--password-stdin"),
        "{}",
        stderr(&output)
    );
    assert!(db
        .exists()
        .then(|| stored_user(&db, "alice"))
        .flatten()
        .is_none());
}

// ---------------------------------------------------------------------------
// user passwd
// ---------------------------------------------------------------------------

#[test]
fn user_passwd_changes_the_password() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "alice", PASSWORD, &[]));
    let output = user_passwd(dir.path(), &db, "alice", "a new password");
    assert_success(&output);
    assert!(password_works(&db, "alice", "a new password"));
    assert!(!password_works(&db, "alice", PASSWORD));
    assert!(!stdout(&output).contains("a new password"));
}

#[test]
fn user_passwd_for_an_unknown_user_fails() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "alice", PASSWORD, &[]));
    let output = user_passwd(dir.path(), &db, "bob", "a new password");
    assert_failure(&output);
    let err = stderr(&output);
    assert!(err.contains("no user named bob"), "{err}");
}

#[test]
fn user_passwd_refuses_an_empty_password() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "alice", PASSWORD, &[]));
    let output = user_passwd(dir.path(), &db, "alice", "");
    assert_failure(&output);
    assert!(stderr(&output).contains(RULE));
    assert!(password_works(&db, "alice", PASSWORD));
}

// ---------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------

#[actix_web::test]
async fn serve_on_an_empty_database_prints_a_working_admin_password() {
    let (dir, db) = temp_db();
    let server = Server::start(dir.path(), &db).await;
    let password = server.stdout_line(ADMIN_LINE).await;
    assert_eq!(password.len(), 24, "{password:?}");

    let response = reqwest::Client::new()
        .post(format!("{}/v4/apiAccessTokens", server.address))
        .basic_auth("admin", Some(&password))
        .json(&json!({"lifetimeSeconds": 86400}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    server.stop();
    let (_, role) = stored_user(&db, "admin").expect("admin is stored");
    assert_eq!(role, Role::Admin);
}

#[actix_web::test]
async fn serve_never_logs_the_admin_password() {
    let (dir, db) = temp_db();
    let server = Server::start(dir.path(), &db).await;
    let password = server.stdout_line(ADMIN_LINE).await;
    // A request with it, so the log has something to say about it.
    reqwest::Client::new()
        .post(format!("{}/v4/apiAccessTokens", server.address))
        .basic_auth("admin", Some(&password))
        .json(&json!({"lifetimeSeconds": 86400}))
        .send()
        .await
        .unwrap();
    let (_, log) = server.stop();
    assert!(!log.is_empty(), "the server logs to stderr");
    assert!(!log.contains(&password), "the password is in the log");
    let basic = BASE64.encode(format!("admin:{password}"));
    assert!(
        !log.contains(&basic),
        "the Basic credentials are in the log"
    );
}

#[actix_web::test]
async fn serve_prints_the_admin_password_only_on_first_start() {
    let (dir, db) = temp_db();
    let first = Server::start(dir.path(), &db).await;
    first.stdout_line(ADMIN_LINE).await;
    first.stop();

    let second = Server::start(dir.path(), &db).await;
    let (out, _) = second.stop();
    assert!(!out.contains("Created user"), "{out}");
}

#[actix_web::test]
async fn serve_does_not_create_an_admin_when_users_exist() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "alice", PASSWORD, &[]));
    let server = Server::start(dir.path(), &db).await;
    let (out, _) = server.stop();
    assert!(!out.contains("Created user"), "{out}");
    assert!(stored_user(&db, "admin").is_none());
}

// ---------------------------------------------------------------------------
// workspace add / list, user add --workspace
// ---------------------------------------------------------------------------

#[test]
fn workspace_add_makes_an_existing_user_its_admin_and_user_add_joins_it() {
    let (dir, db) = temp_db();
    assert_success(&user_add(dir.path(), &db, "ada", PASSWORD, &[]));
    let mut cmd = command(dir.path());
    cmd.args([
        "workspace",
        "add",
        "research",
        "--admin",
        "ada",
        "--database",
    ])
    .arg(db.arg());
    let created = cmd.output().unwrap();
    assert_success(&created);
    assert!(stdout(&created).contains("Created the workspace research with ada as its admin."));

    assert_success(&user_add(
        dir.path(),
        &db,
        "rick",
        PASSWORD,
        &["--workspace", "research"],
    ));
    let unknown = user_add(dir.path(), &db, "sam", PASSWORD, &["--workspace", "nope"]);
    assert_failure(&unknown);
    assert!(stderr(&unknown).contains("no workspace named nope"));

    let mut again = command(dir.path());
    again
        .args([
            "workspace",
            "add",
            "research",
            "--admin",
            "ada",
            "--database",
        ])
        .arg(db.arg());
    let again = again.output().unwrap();
    assert_failure(&again);
    assert!(stderr(&again).contains("a workspace named research already exists"));
    let mut bad = command(dir.path());
    bad.args([
        "workspace",
        "add",
        "two words",
        "--admin",
        "ada",
        "--database",
    ])
    .arg(db.arg());
    assert_failure(&bad.output().unwrap());

    let mut list = command(dir.path());
    list.args(["workspace", "list", "--database"]).arg(db.arg());
    let listed = list.output().unwrap();
    assert_success(&listed);
    assert_eq!(
        stdout(&listed),
        "default\t1 member\nresearch\t2 members\n",
        "ada in both, rick in research"
    );

    let pool = db.open();
    let mut conn = pool.get().unwrap();
    let rick = access_tokens::models::user::find_by_username(&mut conn, "rick")
        .unwrap()
        .unwrap();
    let memberships = access_tokens::models::workspace::memberships_of(&mut conn, rick.id).unwrap();
    let names: Vec<&str> = memberships
        .iter()
        .map(|m| m.workspace_name.as_str())
        .collect();
    assert_eq!(names, ["research"]);
}

#[test]
fn serve_help_names_everything_disabling_api_access_tokens_turns_off() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert_success(&output);
    let help = stdout(&output)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let about = help
        .split("--disable-api-access-tokens")
        .nth(1)
        .and_then(|rest| rest.split(" --").next())
        .expect("the switch is in the help");
    for named in [
        "/v4/apiAccessTokens",
        "/v4/oauthTokens",
        "/v4/workspaceAccessTokens",
        "/v4/workspaceOAuthTokens",
        "/oauth2/token",
        "/oauth2/revoke",
        "/oauth2/introspect",
        "/.well-known/jwks.json",
        "/auth/verify",
        "OAuth 2.0 API Tokens",
    ] {
        assert!(about.contains(named), "{named} in: {about}");
    }
}

#[test]
fn serve_refuses_a_drain_or_timeout_that_is_not_a_number_of_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |args: &[&str], env: Option<(&str, &str)>| {
        let mut cmd = command(dir.path());
        cmd.arg("serve").args(args).arg("--database");
        cmd.arg(dir.path().join("db.sqlite"));
        if let Some((name, value)) = env {
            cmd.env(name, value);
        }
        let output = cmd.output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "a usage error: {args:?} {env:?}"
        );
        stderr(&output)
    };
    // `=`, so that clap reads "-1" as the flag's value rather than as a flag.
    for bad in ["-1", "five", "1.5", "3601", ""] {
        for flag in ["--shutdown-drain-seconds", "--shutdown-timeout-seconds"] {
            let message = refused(&[&format!("{flag}={bad}")], None);
            assert!(message.contains(flag), "{message}");
        }
    }
    let message = refused(&[], Some(("ACCESS_TOKENS_SHUTDOWN_DRAIN_SECONDS", "-5")));
    assert!(message.contains("--shutdown-drain-seconds"), "{message}");
    assert!(
        !dir.path().join("db.sqlite").exists(),
        "refused before opening"
    );
}
