//! access-tokens: create, list, use and delete API access tokens, in a web page and
//! a v4 JSON API, and check them for other services.
//!
//! Where things live (dependencies go one way: `web` and `api` → `services` and
//! `auth` → `models` → `db` → `domain`; see docs/DESIGN.md, checked by
//! `.ci/layout-check`):
//! - [`domain`]: pure types and rules (token format, lifetime, policy, standing,
//!   `Principal`, the clock); no I/O.
//! - [`db`]: the pool, the one connection type over SQLite and PostgreSQL,
//!   migrations, the schema. [`models`]: storage, one file per table; SQL lives
//!   only there.
//! - [`auth`]: who is calling: passwords, sessions, throttles, Bearer checks and
//!   their cache, the API caller, admin extractors, the client address and the
//!   public URL.
//! - [`services`]: the use cases, one transaction each with its audit event.
//! - [`web`]: the HTML pages; [`api`]: the v4 JSON API, the OAuth endpoints,
//!   forward auth (`/auth/verify`) and the OpenAPI document.
//! - [`routes`]: the whole route table; [`state`]: what every handler can reach;
//!   [`startup`]: the app factory, middleware, background loops and the bound
//!   server. [`shutdown`]: what SIGTERM does (drain, then stop) and the drain
//!   state requests see.
//! - [`metrics`]: Prometheus metrics and `/metrics`; [`telemetry`]: logs and the
//!   request id; [`config`]: settings; [`cli`]: the command line.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod metrics;
pub mod models;
pub mod routes;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
