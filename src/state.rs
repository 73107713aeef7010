//! What every request handler can reach: the application state, built once by
//! `startup` and shared by every worker.

use actix_web::web::Bytes;

use crate::auth::access_check::OAuth;
use crate::auth::bearer::TokenChecks;
use crate::auth::throttle::LoginThrottle;
use crate::db::{DbPool, SharedReads};
use crate::domain::trusted_proxies::TrustedProxies;
use crate::domain::SharedClock;
use crate::domain::{UserId, WorkspaceId};
use crate::metrics::Metrics;
use crate::models::session::SessionStanding;
use crate::shutdown::Drain;

/// What every request handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub throttle: LoginThrottle,
    /// What checking a Bearer token needs: the cache of verified tokens and the
    /// change feed that keeps it true, "last used" written behind, the throttle of
    /// addresses presenting invalid tokens, and the limiter of refused-token events
    /// in the audit log.
    pub tokens: TokenChecks,
    /// Proxies whose `X-Forwarded-For` names the client (see `client_address`).
    pub proxies: TrustedProxies,
    /// Where links to this site start (`--public-url`; see `public_url`).
    pub public_url: Option<crate::config::PublicUrl>,
    /// The instance switch for the whole token feature (see `Settings`).
    pub api_access_tokens: bool,
    /// OAuth 2.0 API tokens: the signing keys and revoked access tokens in memory
    /// (with the app's clock, for expiry).
    pub oauth: OAuth,
    /// Where every "now" comes from: the system clock, or one a test moves
    /// (`Settings::clock`). Handlers pass `clock.now()` to the use cases.
    pub clock: SharedClock,
    /// The Prometheus metrics `/metrics` exposes.
    pub metrics: Metrics,
    /// Whether the instance is stopping (then `/readyz` is 503), and what it is
    /// still serving.
    pub drain: Drain,
    /// The hot reads that requests waiting at the same time share.
    pub shared: SharedQueries,
}

/// The reads requests share when they wait together (see [`SharedReads`]): never
/// a cache, so no answer is older than its request. (The Access Tokens page's are
/// the web layer's, `web::tokens::SharedPages`.)
#[derive(Default)]
pub struct SharedQueries {
    /// A person's own tokens in a workspace, as the JSON body of
    /// `GET /v4/apiAccessTokens` (which depends on nothing else).
    pub token_lists: SharedReads<(WorkspaceId, UserId), Bytes>,
    /// A browser session by the digest of its cookie, with its user's standing.
    pub sessions: SharedReads<[u8; 32], Option<SessionStanding>>,
}
