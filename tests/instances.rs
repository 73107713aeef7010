//! Several real `serve` processes on one database (PostgreSQL in the PostgreSQL
//! run, one SQLite file otherwise), and a server killed with SIGKILL in the middle
//! of a burst of writes.

mod common;

use std::time::Duration;

use common::process::{free_port, Server};
use common::{csrf_token, database_with_alice, sign_in_at, TestDatabase, PASSWORD};
use futures_util::stream::{self, StreamExt};
use reqwest::redirect::Policy;
use serde_json::{json, Value};

const SESSION_KEY: &str = "a-session-key-shared-by-every-instance-0123456789";

async fn create_token(client: &reqwest::Client, server: &Server) -> reqwest::Response {
    client
        .post(server.url("/v4/apiAccessTokens"))
        .basic_auth("alice", Some(PASSWORD))
        .json(&json!({"lifetimeSeconds": 3600, "description": "burst-master"}))
        .send()
        .await
        .unwrap()
}

async fn get_with_token(server: &Server, token: &str, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The sealed values waiting to be shown, as stored.
fn pending_reveals(db: &TestDatabase) -> Vec<Vec<u8>> {
    use access_tokens::db::schema::pending_reveals::dsl::*;
    use diesel::prelude::*;
    let pool = db.open();
    let mut conn = pool.get().unwrap();
    pending_reveals.select(sealed).load(&mut *conn).unwrap()
}

/// The one-time value on an Access Tokens page, if the page shows one.
fn shown_token_value(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("textarea#new-token-value").unwrap();
    doc.select(&selector)
        .next()
        .map(|t| t.text().collect::<String>().trim().to_owned())
}

#[actix_web::test]
async fn two_instances_share_sessions_and_tokens_through_the_database_alone() {
    let db = database_with_alice();
    let env = [("ACCESS_TOKENS_SESSION_KEY", SESSION_KEY)];
    let a = Server::start_with(db.dir(), &db, &env).await;
    let b = Server::start_with(db.dir(), &db, &env).await;

    // Signed in through A, the same browser keeps working through B.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let signed_in = sign_in_at(&browser, &a.address, "alice", PASSWORD).await;
    assert_eq!(signed_in.status(), 303, "signing in through A");
    let page = browser
        .get(b.url("/preferences/access-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the session from A is valid on B");
    let page = page.text().await.unwrap();
    assert!(page.contains("Access Tokens"));

    // Generated through A, the new value is shown once by B, which the redirect
    // reached, and by no instance after that.
    let generated = browser
        .post(a.url("/preferences/access-tokens"))
        .form(&[
            ("csrf_token", csrf_token(&page).as_str()),
            ("lifetime_days", "30"),
            ("description", "made on A"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(generated.status(), 303, "generating through A");
    let location = generated.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        !location.contains('?'),
        "nothing travels in the URL: {location}"
    );
    let sealed = pending_reveals(&db);
    assert_eq!(sealed.len(), 1, "one sealed value waits in the database");
    let shown = browser
        .get(b.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = shown_token_value(&shown).expect("B shows the value generated on A");
    assert!(
        !sealed[0]
            .windows(value.len())
            .any(|w| w == value.as_bytes()),
        "the database never held the value in clear"
    );
    assert!(
        pending_reveals(&db).is_empty(),
        "showing it deletes the row"
    );
    assert_eq!(
        get_with_token(&a, &value, "/v4/apiAccessTokens")
            .await
            .status(),
        200,
        "the value B showed works on A"
    );
    for server in [&b, &a] {
        let again = browser
            .get(server.url("/preferences/access-tokens"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(shown_token_value(&again), None, "shown once only");
        assert!(again.contains("made on A"));
    }

    // A token created through A works on B.
    let created: Value = create_token(&reqwest::Client::new(), &a)
        .await
        .json()
        .await
        .unwrap();
    let token = created["tokenValue"].as_str().unwrap();
    let id = created["tokenInfo"]["tokenId"].as_str().unwrap();
    let on_b = get_with_token(&b, token, "/v4/apiAccessTokens").await;
    assert_eq!(on_b.status(), 200, "a token created through A works on B");
    let listed: Value = on_b.json().await.unwrap();
    assert_eq!(listed["data"][0]["tokenId"], id);

    // Deleted through B, it is refused by A within a second (A has it cached, and
    // hears of the deletion from the change feed).
    assert_eq!(
        get_with_token(&a, token, "/v4/apiAccessTokens")
            .await
            .status(),
        200
    );
    let deleted = reqwest::Client::new()
        .delete(b.url(&format!("/v4/apiAccessTokens/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204, "deleting through B");
    let start = std::time::Instant::now();
    let on_a = loop {
        let on_a = get_with_token(&a, token, "/v4/apiAccessTokens").await;
        if on_a.status() != 200 || start.elapsed() > std::time::Duration::from_secs(1) {
            break on_a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(on_a.status(), 401, "A refuses the token B deleted");
    assert!(on_a.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
}

#[actix_web::test]
async fn instances_starting_at_once_migrate_the_same_database_without_a_fight() {
    // A fresh database: both instances find the migrations pending at once.
    let db = TestDatabase::fresh();
    let (a, b) = tokio::join!(Server::start(db.dir(), &db), Server::start(db.dir(), &db));
    for server in [&a, &b] {
        let ready = reqwest::get(server.url("/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200, "{} is ready", server.address);
    }
    // Exactly one of them created the first admin.
    let printed = [a.stdout(), b.stdout()]
        .iter()
        .filter(|out| out.contains("Created user admin with password "))
        .count();
    assert_eq!(printed, 1, "one instance creates the admin");
}

#[actix_web::test]
async fn a_server_killed_mid_burst_loses_no_acknowledged_token_and_shows_nothing_half_written() {
    let db = database_with_alice();
    let port = free_port();
    let mut server = Server::start_on(db.dir(), &db.arg(), port, &[]).await;

    // 32 clients keep creating tokens (with a token, as scripts do); the server is
    // killed under them.
    let master: Value = create_token(&reqwest::Client::new(), &server)
        .await
        .json()
        .await
        .unwrap();
    let master = master["tokenValue"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acked = std::sync::atomic::AtomicUsize::new(0);
    let burst = {
        let (client, server, master, acked) = (&client, &server, &master, &acked);
        stream::iter(0..2000)
            .map(move |_| async move {
                match client
                    .post(server.url("/v4/apiAccessTokens"))
                    .bearer_auth(master)
                    .json(&json!({"lifetimeSeconds": 3600, "description": "burst"}))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => {
                        let body = r.json::<Value>().await.ok();
                        if body.is_some() {
                            acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        body
                    }
                    Ok(r) => {
                        assert!(
                            !r.status().is_server_error(),
                            "a {} during the burst",
                            r.status()
                        );
                        None
                    }
                    Err(_) => None, // the connection died with the server
                }
            })
            .buffer_unordered(32)
            .collect::<Vec<_>>()
    };
    // SIGKILL once some creations have been acknowledged, while the rest are in
    // flight: no shutdown, no flush.
    let pid = server.child.id().to_string();
    let killer = async {
        let waiting = std::time::Instant::now();
        while acked.load(std::sync::atomic::Ordering::SeqCst) < 50 {
            assert!(
                waiting.elapsed() < Duration::from_secs(30),
                "50 creations were not acknowledged within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let status = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -9 {pid}");
    };
    let (results, ()) = tokio::join!(burst, killer);
    server.kill(); // reaps the process
    let acknowledged: Vec<Value> = results.into_iter().flatten().collect();
    assert!(!acknowledged.is_empty(), "some creations were acknowledged");
    assert!(
        acknowledged.len() < 2000,
        "the kill came before the burst ended ({} acknowledged)",
        acknowledged.len()
    );

    // Restarted on the same database and port.
    let server = Server::start_on(db.dir(), &db.arg(), port, &[]).await;
    let listed: Value = reqwest::Client::new()
        .get(server.url("/v4/apiAccessTokens"))
        .basic_auth("alice", Some(PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = listed["data"].as_array().unwrap();
    // Every acknowledged creation is there and works.
    for created in &acknowledged {
        let id = created["tokenInfo"]["tokenId"].as_str().unwrap();
        assert!(
            rows.iter().any(|r| r["tokenId"] == id),
            "acknowledged token {id} is listed after the restart"
        );
        let token = created["tokenValue"].as_str().unwrap();
        let one = get_with_token(&server, token, &format!("/v4/apiAccessTokens/{id}")).await;
        assert_eq!(one.status(), 200, "acknowledged token {id} works");
    }
    // Nothing half-written: every stored token is whole.
    for row in rows {
        assert!(
            row["description"] == "burst" || row["description"] == "burst-master",
            "{row}"
        );
        assert!(
            row["tokenId"].as_str().is_some_and(|s| s.len() == 36),
            "{row}"
        );
        assert!(
            row["createdAt"].is_string() && row["expiredAt"].is_string(),
            "{row}"
        );
    }
    assert!(rows.len() >= acknowledged.len());
}
