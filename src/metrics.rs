//! The Prometheus metrics: what is counted and timed, and `GET /metrics`, which
//! exposes them in the OpenMetrics text format.
//!
//! No label ever holds a token, a user name or an id: labels are fixed words and
//! route patterns, so the set of series stays small and nothing secret leaves.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use crate::db::DbPool;

/// The path Prometheus scrapes.
pub const PATH: &str = "/metrics";

/// What prometheus-client's text encoder writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request that matched no route: the raw path would let
/// anyone create series at will.
const UNMATCHED_ROUTE: &str = "unmatched";

/// Which kind of token a verification was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Legacy,
    OAuth,
    /// No token could be read from the request.
    None,
}

impl TokenKind {
    /// Every kind, in declaration order (see [`TokenKind::index`]).
    const ALL: [TokenKind; 3] = [TokenKind::Legacy, TokenKind::OAuth, TokenKind::None];
    const COUNT: usize = Self::ALL.len();

    /// Its place among the kinds, in declaration order.
    fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Legacy => "legacy",
            TokenKind::OAuth => "oauth",
            TokenKind::None => "none",
        }
    }
}

/// How a verification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyResult {
    Valid,
    /// Unknown, wrong, expired, revoked, or its owner may not act.
    Invalid,
    /// An `Authorization` header that is not one Bearer token.
    Malformed,
    /// The address presented too many invalid tokens.
    Throttled,
    /// No `Authorization` header.
    Missing,
    /// The token could not be checked (database away, ...).
    Error,
    /// Valid, but without a scope the proxy required.
    InsufficientScope,
}

impl VerifyResult {
    /// Every result, in declaration order (see [`VerifyResult::index`]).
    const ALL: [VerifyResult; 7] = [
        VerifyResult::Valid,
        VerifyResult::Invalid,
        VerifyResult::Malformed,
        VerifyResult::Throttled,
        VerifyResult::Missing,
        VerifyResult::Error,
        VerifyResult::InsufficientScope,
    ];
    const COUNT: usize = Self::ALL.len();

    /// Its place among the results, in declaration order.
    fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerifyResult::Valid => "valid",
            VerifyResult::Invalid => "invalid",
            VerifyResult::Malformed => "malformed",
            VerifyResult::Throttled => "throttled",
            VerifyResult::Missing => "missing",
            VerifyResult::Error => "error",
            VerifyResult::InsufficientScope => "insufficient_scope",
        }
    }
}

impl EncodeLabelValue for TokenKind {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        fmt::Write::write_str(encoder, self.as_str())
    }
}

impl EncodeLabelValue for VerifyResult {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        fmt::Write::write_str(encoder, self.as_str())
    }
}

/// Where the series of a kind and result is kept in `verification_series`.
fn series_index(kind: TokenKind, result: VerifyResult) -> usize {
    kind.index() * VerifyResult::COUNT + result.index()
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct VerificationLabels {
    result: VerifyResult,
    kind: TokenKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    kind: TokenKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolStateLabel {
    state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of the instance. Cloning shares the same counters, so the token
/// checks can hold one as the request handlers do.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    verifications: Family<VerificationLabels, Counter>,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_entries: Gauge,
    pool_connections: Family<PoolStateLabel, Gauge>,
    pool_max: Gauge,
    request_duration: HistogramFamily<RouteLabel>,
    /// Every verification series, held directly (by [`series_index`]): counting
    /// one neither hashes its labels nor takes the family's lock.
    verification_series: Vec<Option<Counter>>,
    /// The duration series of each token kind, by [`TokenKind::index`].
    verification_timers: [Histogram; TokenKind::COUNT],
    /// Sets the gauges (pool, cache) just before a scrape; given by the app, which
    /// owns what they measure.
    gauges: OnceLock<GaugeSource>,
}

type GaugeSource = Box<dyn Fn(&Metrics) + Send + Sync>;

/// A verification from the cache takes microseconds, one with a database read a
/// few milliseconds: 50 µs doubling up to about 100 ms.
fn verification_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 12))
}

/// A request takes from under a millisecond (a cached token) to a few hundred
/// (argon2 at sign-in), more when the database struggles.
fn request_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let verifications = Family::<VerificationLabels, Counter>::default();
        registry.register(
            "access_tokens_verifications",
            "Bearer token verifications at /auth/verify, by result and token kind",
            verifications.clone(),
        );
        let verification_duration: HistogramFamily<KindLabel> =
            Family::new_with_constructor(verification_histogram);
        registry.register_with_unit(
            "access_tokens_verification_duration",
            "Time to answer /auth/verify, by token kind",
            Unit::Seconds,
            verification_duration.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "access_tokens_token_cache_hits",
            "Token checks answered from the cache of verified tokens",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "access_tokens_token_cache_misses",
            "Token checks that read the database",
            cache_misses.clone(),
        );
        let cache_entries = Gauge::default();
        registry.register(
            "access_tokens_token_cache_entries",
            "Verified tokens in this instance's cache (approximate)",
            cache_entries.clone(),
        );
        let pool_connections = Family::<PoolStateLabel, Gauge>::default();
        registry.register(
            "access_tokens_db_pool_connections",
            "Open database connections of the pool, idle or in use",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "access_tokens_db_pool_max_connections",
            "The most connections the pool opens",
            pool_max.clone(),
        );
        let request_duration: HistogramFamily<RouteLabel> =
            Family::new_with_constructor(request_histogram);
        registry.register_with_unit(
            "access_tokens_http_request_duration",
            "Time to answer an HTTP request, by route pattern",
            Unit::Seconds,
            request_duration.clone(),
        );
        // Every series a verification can produce exists from the start, at 0, so
        // that `rate()` and alerts see the first event as an increase.
        let verification_timers = TokenKind::ALL
            .map(|kind| verification_duration.get_or_create_owned(&KindLabel { kind }));
        let mut verification_series = vec![None; TokenKind::COUNT * VerifyResult::COUNT];
        let mut create = |kind: TokenKind, result: VerifyResult| {
            verification_series[series_index(kind, result)] =
                Some(verifications.get_or_create_owned(&VerificationLabels { result, kind }));
        };
        for result in [VerifyResult::Missing, VerifyResult::Malformed] {
            create(TokenKind::None, result);
        }
        for kind in [TokenKind::Legacy, TokenKind::OAuth] {
            for result in [
                VerifyResult::Valid,
                VerifyResult::Invalid,
                VerifyResult::Throttled,
                VerifyResult::Error,
                VerifyResult::InsufficientScope,
            ] {
                create(kind, result);
            }
        }
        Metrics(Arc::new(Inner {
            registry,
            verifications,
            cache_hits,
            cache_misses,
            cache_entries,
            pool_connections,
            pool_max,
            request_duration,
            verification_series,
            verification_timers,
            gauges: OnceLock::new(),
        }))
    }

    /// What sets the gauges before each scrape (the first one given stays).
    pub fn read_gauges_with(&self, source: impl Fn(&Metrics) + Send + Sync + 'static) {
        let _ = self.0.gauges.set(Box::new(source));
    }

    /// Counts one verification and observes how long it took.
    pub fn verification(&self, kind: TokenKind, result: VerifyResult, elapsed: Duration) {
        match &self.0.verification_series[series_index(kind, result)] {
            Some(series) => {
                series.inc();
            }
            None => {
                self.0
                    .verifications
                    .get_or_create(&VerificationLabels { result, kind })
                    .inc();
            }
        }
        self.0.verification_timers[kind.index()].observe(elapsed.as_secs_f64());
    }

    /// A token check answered from the cache of verified tokens.
    pub fn cache_hit(&self) {
        self.0.cache_hits.inc();
    }

    /// A token check that had to read the database.
    pub fn cache_miss(&self) {
        self.0.cache_misses.inc();
    }

    /// How many verified tokens the cache holds now.
    pub fn set_cache_entries(&self, entries: u64) {
        self.0
            .cache_entries
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
    }

    /// The pool's connections as they are now.
    pub fn set_pool(&self, pool: &DbPool) {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        let open = i64::from(state.connections);
        let gauge = |state| {
            self.0
                .pool_connections
                .get_or_create(&PoolStateLabel { state })
        };
        gauge("idle").set(idle);
        gauge("in_use").set(open - idle);
        self.0.pool_max.set(i64::from(pool.max_size()));
    }

    /// The series that times requests of `route` (`None`: unmatched), to keep
    /// and observe without finding it again.
    pub fn request_timer(&self, route: Option<&str>) -> Histogram {
        let route = route.unwrap_or(UNMATCHED_ROUTE).to_owned();
        self.0
            .request_duration
            .get_or_create_owned(&RouteLabel { route })
    }

    /// Everything, in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.0.registry)?;
        Ok(text)
    }
}

/// `GET /metrics`, without authentication, like `/healthz`: it must not be
/// reachable from outside (see docs/OPERATIONS.md). The gauges are read now.
pub(crate) async fn scrape(metrics: web::Data<Metrics>) -> HttpResponse {
    if let Some(read_gauges) = metrics.0.gauges.get() {
        read_gauges(&metrics);
    }
    match metrics.encode() {
        Ok(text) => HttpResponse::Ok().content_type(CONTENT_TYPE).body(text),
        Err(e) => {
            tracing::error!(error = %e, "the metrics could not be encoded");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The route pattern a request matched, found once for the log, the metrics and
/// the scope check (finding it walks the route table).
#[derive(Clone)]
struct MatchedRoute(Option<Rc<str>>);

/// The route patterns of one app (one worker's), as requests find them.
///
/// Finding a pattern walks the route table, trying each dynamic pattern's regex
/// in turn. A path that matched a pattern without parameters (`/healthz`,
/// `/auth/verify`, `/preferences/access-tokens`) is that pattern, and always
/// will be in this app, so it is kept: there are only as many such paths as
/// static routes, and the walk is left to paths with ids in them.
/// Each pattern's timer is kept too, so that timing a request neither copies its
/// pattern nor hashes it into the family's map under its lock.
#[derive(Default)]
pub struct RouteNames {
    static_paths: RefCell<HashMap<Box<str>, NotedRoute>>,
    /// The timer of each pattern met (`None`: no route matched).
    timers: RefCell<HashMap<Option<Rc<str>>, Histogram>>,
}

/// The route pattern a request matched (`None` if it matched none), and the
/// series that times the requests of that pattern.
#[derive(Clone)]
pub struct NotedRoute {
    pub pattern: Option<Rc<str>>,
    pub timer: Histogram,
}

impl RouteNames {
    /// Finds the route pattern `req` matches and keeps it with the request.
    pub fn note(&self, req: &HttpRequest, metrics: &Metrics) -> NotedRoute {
        let path = req.path();
        let known = self.static_paths.borrow().get(path).cloned();
        let noted = known.unwrap_or_else(|| {
            let pattern = req.match_pattern().map(Rc::<str>::from);
            let timer = self
                .timers
                .borrow_mut()
                .entry(pattern.clone())
                .or_insert_with(|| metrics.request_timer(pattern.as_deref()))
                .clone();
            let noted = NotedRoute { pattern, timer };
            if noted.pattern.as_deref() == Some(path) {
                self.static_paths
                    .borrow_mut()
                    .insert(path.into(), noted.clone());
            }
            noted
        });
        req.extensions_mut()
            .insert(MatchedRoute(noted.pattern.clone()));
        noted
    }
}

/// The route pattern `req` matched (`/v4/apiAccessTokens/{tokenId}`), if any.
pub fn route_of(req: &HttpRequest) -> Option<Rc<str>> {
    if let Some(MatchedRoute(route)) = req.extensions().get::<MatchedRoute>() {
        return route.clone();
    }
    req.match_pattern().map(Rc::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_result_has_a_place_of_its_own() {
        for (place, kind) in TokenKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), place, "{kind:?}");
        }
        for (place, result) in VerifyResult::ALL.into_iter().enumerate() {
            assert_eq!(result.index(), place, "{result:?}");
        }
        let mut places: Vec<usize> = TokenKind::ALL
            .iter()
            .flat_map(|&k| VerifyResult::ALL.iter().map(move |&r| series_index(k, r)))
            .collect();
        places.sort_unstable();
        places.dedup();
        assert_eq!(
            places,
            (0..TokenKind::COUNT * VerifyResult::COUNT).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_names_and_labels_are_the_documented_ones() {
        let metrics = Metrics::new();
        metrics.verification(
            TokenKind::Legacy,
            VerifyResult::Valid,
            Duration::from_micros(120),
        );
        metrics.cache_hit();
        metrics.request_timer(None).observe(0.003);
        let text = metrics.encode().unwrap();
        for line in [
            r#"access_tokens_verifications_total{result="valid",kind="legacy"} 1"#,
            r#"access_tokens_verification_duration_seconds_count{kind="legacy"} 1"#,
            "access_tokens_token_cache_hits_total 1",
            "access_tokens_token_cache_misses_total 0",
            r#"access_tokens_http_request_duration_seconds_count{route="unmatched"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
