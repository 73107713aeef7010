//! Reads that requests waiting together share (`db::SharedReads`), over real HTTP:
//! however many lists and pages of one person are in flight, an answer never
//! misses a change made before its request was sent — through the API, on another
//! instance, or by hand in the database.

mod common;

use common::api::{create_for_alice, token_id, token_value, with_token};
use common::{app_with_members, signed_in, TestApp, ALICE, TOKENS, TOKENS_PAGE};
use reqwest::Method;
use serde_json::{json, Value};

/// How many requests of the same person are kept in flight around each check.
const CROWD: usize = 24;
const ROUNDS: usize = 12;
/// A change by hand is quick, so it can be checked many times over.
const QUICK_ROUNDS: usize = 60;

/// Lists the token ids `token`'s owner holds, as `base` answers.
async fn listed(app: &TestApp, base: &str, token: &str) -> Vec<Value> {
    let response = app
        .api_client()
        .get(format!("{base}{TOKENS}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

/// `CROWD` clients listing `path` over and over until dropped: the requests a
/// change races with, so that reads of the same key are always running.
struct Crowd {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<actix_web::rt::task::JoinHandle<usize>>,
}

impl Crowd {
    fn start(send: impl Fn() -> reqwest::RequestBuilder) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tasks = (0..CROWD)
            .map(|_| {
                let (stop, request) = (stop.clone(), send());
                actix_web::rt::spawn(async move {
                    let mut answered = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let response = request.try_clone().unwrap().send().await.unwrap();
                        assert_eq!(response.status(), 200);
                        response.bytes().await.unwrap();
                        answered += 1;
                    }
                    answered
                })
            })
            .collect();
        Crowd { stop, tasks }
    }

    /// Stops the crowd; how many requests it had answered.
    async fn stop(self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut answered = 0;
        for t in self.tasks {
            answered += t.await.unwrap();
        }
        answered
    }
}

/// Makes a token with `token` (no password hash: the change is quick, so the
/// crowd's reads are still running around it); its id.
async fn make(app: &TestApp, token: &str) -> String {
    let response = with_token(app, token, Method::POST, TOKENS)
        .json(&json!({"lifetimeSeconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    token_id(&response.json().await.unwrap())
}

#[actix_web::test]
async fn a_list_sent_after_a_token_was_made_shows_it_while_other_lists_are_in_flight() {
    let app = app_with_members(&[ALICE]).await;
    let token = token_value(&create_for_alice(&app, json!({"lifetimeSeconds": 3600})).await);
    let second = app.spawn_instance(|_| {}).await;
    let crowd = Crowd::start(|| with_token(&app, &token, Method::GET, TOKENS));
    for round in 0..ROUNDS {
        let made = make(&app, &token).await;
        // Asked of the instance that made it, then of the other one.
        for base in [app.address.clone(), second.clone()] {
            let ids: Vec<String> = listed(&app, &base, &token)
                .await
                .iter()
                .map(|t| t["tokenId"].as_str().unwrap().to_owned())
                .collect();
            assert!(
                ids.contains(&made),
                "round {round}: {made} missing on {base}"
            );
            assert_eq!(ids.len(), round + 2, "round {round} on {base}");
        }
    }
    assert!(crowd.stop().await > 0);
}

#[actix_web::test]
async fn a_list_sent_after_a_change_by_hand_in_the_database_shows_it() {
    let app = app_with_members(&[ALICE]).await;
    let token = token_value(&create_for_alice(&app, json!({"lifetimeSeconds": 3600})).await);
    let other = token_id(&create_for_alice(&app, json!({"lifetimeSeconds": 3600})).await);
    let crowd = Crowd::start(|| with_token(&app, &token, Method::GET, TOKENS));
    for round in 0..QUICK_ROUNDS {
        let description = format!("changed by hand {round}");
        app.execute_sql(&format!(
            "UPDATE api_tokens SET description = '{description}' WHERE id = '{other}'"
        ));
        let list = listed(&app, &app.address, &token).await;
        let row = list
            .iter()
            .find(|t| t["tokenId"] == other.as_str())
            .unwrap();
        assert_eq!(row["description"], description.as_str(), "round {round}");
    }
    assert!(crowd.stop().await > 0);
}

#[actix_web::test]
async fn a_page_sent_after_a_token_was_deleted_no_longer_shows_it_while_other_pages_load() {
    let app = app_with_members(&[ALICE]).await;
    let browser = signed_in(&app, ALICE).await;
    let token = token_value(&create_for_alice(&app, json!({"lifetimeSeconds": 3600})).await);
    let mut made = Vec::new();
    for _ in 0..ROUNDS {
        made.push(make(&app, &token).await);
    }
    let crowd = Crowd::start(|| browser.client.get(app.url(TOKENS_PAGE)));
    for (round, id) in made.iter().enumerate() {
        let deleted = with_token(&app, &token, Method::DELETE, &format!("{TOKENS}/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204, "round {round}");
        let page = app.html(&browser.client, TOKENS_PAGE).await;
        assert!(
            !page.contains(id.as_str()),
            "round {round}: {id} still shown"
        );
        for later in &made[round + 1..] {
            assert!(
                page.contains(later.as_str()),
                "round {round}: {later} missing"
            );
        }
    }
    assert!(crowd.stop().await > 0);
}
