//! Who is calling: password hashing, sign-in throttling, the browser session, and
//! the extractors that put the caller in a handler's signature.

pub mod bearer;
pub mod password;
pub mod session;
pub mod throttle;

use std::net::IpAddr;
use std::time::Duration;

use crate::db::{self, DbError, DbPool};
use crate::domain::{Password, Role, UserId, WorkspaceId};
use crate::models;

pub use session::TypedSession;
pub use throttle::LoginThrottle;

/// A signed-in user and the workspace they act in.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub username: String,
    pub workspace_id: WorkspaceId,
    pub role: Role,
}

/// Why a username and password were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown user or wrong password: deliberately the same.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("too many failed sign-in attempts")]
    Throttled { retry_after: Duration },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Checks a username and password, off the async executor, throttled per user
/// and per address. An unknown user costs the same time as a wrong password.
pub async fn sign_in(
    pool: &DbPool,
    throttle: &LoginThrottle,
    username: String,
    password: Password,
    addr: Option<IpAddr>,
) -> Result<Principal, SignInError> {
    if let Err(retry_after) = throttle.check(&username, addr) {
        return Err(SignInError::Throttled { retry_after });
    }
    let lookup = username.clone();
    let found = db::run(pool, move |conn| {
        let Some(user) = models::user::find_by_username(conn, &lookup)? else {
            return Ok(None);
        };
        let membership = models::workspace::primary_membership(conn, user.id)?;
        Ok(Some((user, membership)))
    })
    .await?;
    let hash = found.as_ref().map(|(u, _)| u.password_hash.clone());
    let verified = actix_web::web::block(move || password::verify(hash.as_deref(), &password))
        .await
        .map_err(|_| DbError::Cancelled)?;
    match found {
        Some((user, Some((workspace_id, role)))) if verified => {
            throttle.record_success(&username);
            Ok(Principal {
                user_id: user.id,
                username: user.username,
                workspace_id,
                role,
            })
        }
        _ => {
            throttle.record_failure(&username, addr);
            Err(SignInError::InvalidCredentials)
        }
    }
}

/// Loads the principal for a user id kept in a session or found through a token.
pub fn load_principal(conn: &mut db::Conn, user_id: UserId) -> Result<Option<Principal>, DbError> {
    let Some(user) = models::user::find(conn, user_id)? else {
        return Ok(None);
    };
    let Some((workspace_id, role)) = models::workspace::primary_membership(conn, user.id)? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user_id: user.id,
        username: user.username,
        workspace_id,
        role,
    }))
}
