//! access-tokens: create, list, use and delete API access tokens, in a web page and
//! a v4 JSON API.
//!
//! Where things live:
//! - [`domain`]: pure types and rules (token format, lifetime, description, names).
//! - [`models`]: storage, one file per table; SQL lives only there. [`db`]: the pool.
//! - [`auth`]: passwords, sign-in throttling, the session, token verification.
//! - [`web`]: the HTML pages; [`api`]: the v4 JSON API and its OpenAPI document.
//! - [`oauth`]: OAuth 2.0 API tokens (grants, refresh, signed access tokens, keys).
//! - [`forward_auth`]: `/auth/verify`, the token check reverse proxies call.
//! - [`metrics`]: Prometheus metrics and `/metrics`; [`telemetry`]: logs and the
//!   request id.
//! - [`client_address`] and [`public_url`]: who a request comes from, and where
//!   links to this site start (forwarding headers only from a trusted proxy).
//! - [`startup`]: the app factory and the bound server; [`cli`]: the command line.

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
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
