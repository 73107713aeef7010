//! Load: 64 concurrent clients creating, listing, using and deleting tokens against
//! a real server process for `LOAD_SECONDS` (30 by default), on this run's backend.
//! Zero 5xx, no "database is locked", and the final count of tokens is exactly the
//! creations minus the deletions.
//!
//! Ignored by default (it takes its full duration); CI runs it with a short one:
//! `LOAD_SECONDS=5 cargo test --test load -- --ignored --nocapture`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::process::Server;
use common::{TestDatabase, PASSWORD};
use serde_json::{json, Value};

const CLIENTS: usize = 64;
const USERS: usize = 8;

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    created: AtomicU64,
    deleted: AtomicU64,
    server_errors: AtomicU64,
    other_failures: AtomicU64,
}

fn seconds() -> u64 {
    std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

/// One client's loop: create a token, list, use the new token, delete every other
/// one it created.
async fn client_loop(
    client: reqwest::Client,
    server: &Server,
    master: String,
    until: Instant,
    counts: &Counts,
) {
    let mut round = 0u64;
    while Instant::now() < until {
        round += 1;
        let check = |status: reqwest::StatusCode, expected: u16| {
            counts.requests.fetch_add(1, Ordering::Relaxed);
            if status.is_server_error() {
                counts.server_errors.fetch_add(1, Ordering::Relaxed);
            } else if status.as_u16() != expected {
                counts.other_failures.fetch_add(1, Ordering::Relaxed);
            }
            status.as_u16() == expected
        };
        let created = client
            .post(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&master)
            .json(&json!({"lifetimeSeconds": 3600, "description": "load"}))
            .send()
            .await
            .expect("the server answers");
        if !check(created.status(), 201) {
            continue;
        }
        counts.created.fetch_add(1, Ordering::Relaxed);
        let body: Value = created.json().await.unwrap();
        let value = body["tokenValue"].as_str().unwrap().to_owned();
        let id = body["tokenInfo"]["tokenId"].as_str().unwrap().to_owned();

        let listed = client
            .get(server.url("/v4/apiAccessTokens"))
            .bearer_auth(&master)
            .send()
            .await
            .expect("the server answers");
        check(listed.status(), 200);

        let used = client
            .get(server.url(&format!("/v4/apiAccessTokens/{id}")))
            .bearer_auth(&value)
            .send()
            .await
            .expect("the server answers");
        check(used.status(), 200);

        if round % 2 == 0 {
            let deleted = client
                .delete(server.url(&format!("/v4/apiAccessTokens/{id}")))
                .bearer_auth(&value)
                .send()
                .await
                .expect("the server answers");
            if check(deleted.status(), 204) {
                counts.deleted.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[actix_web::test]
#[ignore = "a load test: run with --ignored (LOAD_SECONDS sets its length)"]
async fn sixty_four_clients_lose_nothing_and_see_no_server_error() {
    let db = TestDatabase::fresh();
    let server = Server::start(db.dir(), &db).await;
    let pool = db.open();
    db.allow_members_to_generate();
    let mut masters = Vec::new();
    for u in 0..USERS {
        let name = format!("load{u}");
        {
            let mut conn = pool.get().unwrap();
            let hash = access_tokens::auth::password::hash(
                &access_tokens::domain::Password::offered(PASSWORD.to_owned()),
            );
            access_tokens::models::user::create(
                &mut conn,
                &access_tokens::domain::Username::parse(&name).unwrap(),
                &hash,
                access_tokens::domain::Role::Member,
                access_tokens::domain::Timestamp::now(),
            )
            .unwrap();
        }
        let created: Value = reqwest::Client::new()
            .post(server.url("/v4/apiAccessTokens"))
            .basic_auth(&name, Some(PASSWORD))
            .json(&json!({"lifetimeSeconds": -1, "description": "master"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        masters.push(created["tokenValue"].as_str().unwrap().to_owned());
    }
    let count_tokens = || {
        use access_tokens::db::schema::api_tokens;
        use diesel::{QueryDsl, RunQueryDsl};
        let mut conn = pool.get().unwrap();
        api_tokens::table
            .count()
            .get_result::<i64>(&mut conn)
            .unwrap()
    };
    let before = count_tokens();

    let counts = Counts::default();
    let duration = Duration::from_secs(seconds());
    let until = Instant::now() + duration;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let loops = (0..CLIENTS).map(|i| {
        client_loop(
            client.clone(),
            &server,
            masters[i % USERS].clone(),
            until,
            &counts,
        )
    });
    futures_util::future::join_all(loops).await;

    let after = count_tokens();
    let (created, deleted) = (
        counts.created.load(Ordering::Relaxed),
        counts.deleted.load(Ordering::Relaxed),
    );
    let requests = counts.requests.load(Ordering::Relaxed);
    let backend = if db.sqlite_path().is_some() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!(
        "{backend}: {CLIENTS} clients for {duration:?}: {requests} requests ({:.0}/s), \
         {created} created, {deleted} deleted, {} server errors, {} other failures; \
         tokens {before} -> {after}",
        requests as f64 / duration.as_secs_f64(),
        counts.server_errors.load(Ordering::Relaxed),
        counts.other_failures.load(Ordering::Relaxed),
    );
    let (_, log) = server.stop();
    assert_eq!(counts.server_errors.load(Ordering::Relaxed), 0, "no 5xx");
    assert_eq!(
        counts.other_failures.load(Ordering::Relaxed),
        0,
        "every request got its expected status"
    );
    assert!(created > 0, "the load created tokens");
    assert_eq!(
        after - before,
        (created - deleted) as i64,
        "the tokens stored are exactly the creations minus the deletions"
    );
    assert!(
        !log.to_lowercase().contains("database is locked"),
        "no \"database is locked\" in the log"
    );
}
