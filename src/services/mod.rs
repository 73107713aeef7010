//! The use cases: each runs in one transaction with its audit event, and knows
//! nothing of HTTP (a caller passes what it needs, such as the site's base URL).

pub mod accounts;
pub mod admin_tokens;
pub mod audit_log;
pub mod invitations;
pub mod oauth;
pub mod operator;
pub mod people;
pub mod reveal;
pub mod sessions;
pub mod tokens;
pub mod workspace_settings;
