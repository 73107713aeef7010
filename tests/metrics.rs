//! `/metrics`: the OpenMetrics text Prometheus scrapes, counters that move as
//! `/auth/verify` answers, the pool's gauges, route patterns as labels, and no
//! token, user name or id anywhere in it.

mod common;

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use common::{app_with_members, generate, spawn_app, spawn_app_with, Generate, TestApp, PASSWORD};

const MEMBER: &str = "mirela";

/// The body of `/metrics`, after checking its status and type.
async fn scrape(app: &TestApp) -> String {
    let response = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

/// The value of the sample `name` with exactly `labels`; 0 when there is none yet
/// (a labelled counter appears at its first increment).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let (series_name, found) = match series.split_once('{') {
            Some((n, rest)) => (n, parse_labels(rest.trim_end_matches('}'))),
            None => (series, BTreeMap::new()),
        };
        if series_name == name && found == wanted {
            return value.parse().unwrap();
        }
    }
    0.0
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    text.split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), v.trim_matches('"').to_owned())
        })
        .collect()
}

fn verifications(text: &str, result: &str, kind: &str) -> f64 {
    sample(
        text,
        "access_tokens_verifications_total",
        &[("result", result), ("kind", kind)],
    )
}

async fn verify(app: &TestApp, authorization: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(app.url("/auth/verify"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn metrics_lists_every_metric_with_the_pool_as_it_is() {
    let app = spawn_app().await;
    // Request durations appear per route once a route has been asked for.
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let text = scrape(&app).await;
    for (name, kind) in [
        ("access_tokens_verifications", "counter"),
        ("access_tokens_verification_duration_seconds", "histogram"),
        ("access_tokens_token_cache_hits", "counter"),
        ("access_tokens_token_cache_misses", "counter"),
        ("access_tokens_token_cache_entries", "gauge"),
        ("access_tokens_db_pool_connections", "gauge"),
        ("access_tokens_db_pool_max_connections", "gauge"),
        ("access_tokens_http_request_duration_seconds", "histogram"),
    ] {
        let declared = format!("# TYPE {name} {kind}");
        assert!(text.lines().any(|l| l == declared), "{declared} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"), "{text}");

    let max = sample(&text, "access_tokens_db_pool_max_connections", &[]);
    let expected_max = if common::on_postgres() { 16.0 } else { 8.0 };
    assert_eq!(max, expected_max);
    let idle = sample(
        &text,
        "access_tokens_db_pool_connections",
        &[("state", "idle")],
    );
    let in_use = sample(
        &text,
        "access_tokens_db_pool_connections",
        &[("state", "in_use")],
    );
    // The pool keeps one connection at least; nothing else runs at this instant
    // but a background read or two.
    assert!(idle + in_use >= 1.0, "{text}");
    assert!(idle + in_use <= max, "{text}");
    assert!(text.contains(r#"access_tokens_db_pool_connections{state="in_use"}"#));
    // Counters that have not moved yet are there at 0.
    assert!(
        text.lines()
            .any(|l| l == r#"access_tokens_verifications_total{result="valid",kind="oauth"} 0"#),
        "{text}"
    );
}

#[actix_web::test]
async fn verifications_are_counted_by_result_and_kind_and_timed() {
    let app = app_with_members(&[MEMBER]).await;
    let legacy = generate(&app, Generate::legacy(MEMBER)).await;
    let oauth = generate(&app, Generate::oauth(MEMBER).name("metrics")).await;
    let (token, access) = (&legacy.value, &oauth.value);
    let before = scrape(&app).await;

    assert_eq!(verify(&app, Some(&format!("Bearer {token}"))).await, 204);
    assert_eq!(verify(&app, Some(&format!("Bearer {token}"))).await, 204);
    assert_eq!(verify(&app, Some(&format!("Bearer {access}"))).await, 204);
    assert_eq!(verify(&app, None).await, 401);
    assert_eq!(verify(&app, Some("Basic bWU6cGFzcw==")).await, 401);
    assert_eq!(verify(&app, Some("Bearer garbage")).await, 401);
    assert_eq!(verify(&app, Some("Bearer not.a.jwt")).await, 401);
    let after = scrape(&app).await;

    let moved =
        |result, kind| verifications(&after, result, kind) - verifications(&before, result, kind);
    assert_eq!(moved("valid", "legacy"), 2.0, "{after}");
    assert_eq!(moved("valid", "oauth"), 1.0, "{after}");
    assert_eq!(moved("missing", "none"), 1.0, "{after}");
    assert_eq!(moved("malformed", "none"), 1.0, "{after}");
    assert_eq!(moved("invalid", "legacy"), 1.0, "{after}");
    assert_eq!(moved("invalid", "oauth"), 1.0, "{after}");
    assert_eq!(moved("error", "legacy"), 0.0, "{after}");

    let timed = |text: &str, kind| {
        sample(
            text,
            "access_tokens_verification_duration_seconds_count",
            &[("kind", kind)],
        )
    };
    assert_eq!(timed(&after, "legacy") - timed(&before, "legacy"), 3.0);
    assert_eq!(timed(&after, "oauth") - timed(&before, "oauth"), 2.0);
    assert_eq!(timed(&after, "none") - timed(&before, "none"), 2.0);

    // The first check of each token read the database and the repeat did not: a
    // legacy token and the OAuth token's subject (its standing).
    let counter = |text: &str, name| sample(text, name, &[]);
    let hits = counter(&after, "access_tokens_token_cache_hits_total")
        - counter(&before, "access_tokens_token_cache_hits_total");
    let misses = counter(&after, "access_tokens_token_cache_misses_total")
        - counter(&before, "access_tokens_token_cache_misses_total");
    assert_eq!(hits, 1.0, "{after}");
    assert_eq!(misses, 2.0, "{after}");

    // Nothing that names a token or a person is in the text.
    let user_id = app.user_id(MEMBER).to_string();
    for secret in [
        token.as_str(),
        access.as_str(),
        legacy.id.as_str(),
        oauth.id.as_str(),
        MEMBER,
        user_id.as_str(),
        "garbage",
    ] {
        assert!(!after.contains(secret), "{secret} is in /metrics");
    }
}

#[actix_web::test]
async fn an_address_held_back_is_counted_as_throttled() {
    let app = spawn_app_with(|s| {
        s.invalid_token_burst = NonZeroU32::new(1).unwrap();
        s.invalid_token_rate = NonZeroU32::new(1).unwrap();
    })
    .await;
    // The first refusal is the burst; the second spends more than the allowance
    // (it is still answered 401); then the address is held back.
    assert_eq!(verify(&app, Some("Bearer garbage")).await, 401);
    assert_eq!(verify(&app, Some("Bearer garbage")).await, 401);
    assert_eq!(verify(&app, Some("Bearer garbage")).await, 429);
    let text = scrape(&app).await;
    assert_eq!(verifications(&text, "invalid", "legacy"), 2.0, "{text}");
    assert_eq!(verifications(&text, "throttled", "legacy"), 1.0, "{text}");
}

#[actix_web::test]
async fn requests_are_timed_under_their_route_pattern_never_their_path() {
    let app = app_with_members(&[MEMBER]).await;
    let token = app.token_value(MEMBER, PASSWORD).await;
    let id = uuid::Uuid::new_v4().to_string();
    let response = app
        .api_client()
        .get(app.url(&format!("/v4/apiAccessTokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let response = reqwest::get(app.url(&format!("/no/such/{id}")))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    let text = scrape(&app).await;
    let count = |route| {
        sample(
            &text,
            "access_tokens_http_request_duration_seconds_count",
            &[("route", route)],
        )
    };
    assert_eq!(count("/v4/apiAccessTokens/{tokenId}"), 1.0, "{text}");
    assert_eq!(count("unmatched"), 1.0, "{text}");
    assert!(!text.contains(&id), "a raw path is a label:\n{text}");
}
