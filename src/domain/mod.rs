//! Pure domain types and rules: token format, lifetime, description, names and time. No I/O.

pub mod clock;
pub mod description;
pub mod grant_query;
pub mod ids;
pub mod invite;
pub mod lifetime;
pub mod member_status;
pub mod oauth;
pub mod password;
pub mod policy;
pub mod principal;
pub mod refusal;
pub mod scope;
pub mod scope_request;
pub mod standing;
pub mod time;
pub mod token;
pub mod token_query;
pub mod trusted_proxies;
pub mod username;
pub mod workspace_name;

pub use clock::{Clock, SharedClock};
pub use description::Description;
pub use ids::{Role, UserId, WorkspaceId};
pub use lifetime::Lifetime;
pub use password::Password;
pub use principal::Principal;
pub use time::Timestamp;
pub use token::{SecretDigest, TokenId, TokenSecret, TokenStatus, TokenValue};
pub use username::Username;
pub use workspace_name::WorkspaceName;
