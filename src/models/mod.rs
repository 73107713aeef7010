//! Storage: one file per table with its rows and every query on it. SQL lives only here.

pub mod audit;
pub mod auth_change;
pub mod invite;
pub mod membership_invitation;
pub mod oauth;
pub mod reveal;
pub mod revoked_access_token;
pub mod revoked_grant;
pub mod session;
pub mod setting;
pub mod signing_key;
pub mod token;
pub mod token_check;
pub mod user;
pub mod workspace;
