//! The browser session: a typed wrapper over the signed, encrypted session cookie,
//! holding the signed-in user, the CSRF token, a flash message and a reveal ticket.

use std::future::{ready, Ready};

use actix_session::{Session, SessionExt, SessionInsertError};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::domain::{Timestamp, UserId, WorkspaceId};

const USER_ID: &str = "uid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const REVEAL: &str = "reveal";
const OAUTH_REVEAL: &str = "oauth_reveal";
const SIGNED_IN_AT: &str = "since";
const EPOCH: &str = "epoch";
const WORKSPACE: &str = "ws";

/// How long a sign-in lasts, however active the session: the cookie is
/// self-contained, so this bounds what a stolen cookie is worth.
pub const MAX_SESSION_AGE: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);

/// The session with typed accessors; every key it uses is named here.
pub struct TypedSession(Session);

impl TypedSession {
    /// The signed-in user, if any and if the sign-in is not older than
    /// [`MAX_SESSION_AGE`].
    pub fn user_id(&self) -> Option<UserId> {
        let since = self.0.get::<i64>(SIGNED_IN_AT).ok().flatten()?;
        // A little clock skew between instances gives a negative age: accepted.
        let age_ms = Timestamp::now().millis().saturating_sub(since).max(0);
        if age_ms as u128 >= MAX_SESSION_AGE.as_millis() {
            return None;
        }
        self.0
            .get::<String>(USER_ID)
            .ok()
            .flatten()
            .and_then(|s| UserId::parse(&s))
    }

    /// Starts a signed-in session: a fresh session id (no fixation) and a fresh
    /// CSRF token. `epoch` is the user's session epoch now: when their password
    /// changes, it moves on and this session ends.
    pub fn sign_in(
        &self,
        user: UserId,
        epoch: i64,
        workspace: WorkspaceId,
    ) -> Result<(), SessionInsertError> {
        // clear, not purge: a purged session cannot be renewed.
        self.0.clear();
        self.0.renew();
        self.0.insert(USER_ID, user.to_string())?;
        self.0.insert(SIGNED_IN_AT, Timestamp::now().millis())?;
        self.0.insert(EPOCH, epoch)?;
        self.0.insert(WORKSPACE, workspace.to_string())?;
        self.0.insert(CSRF, random_hex())
    }

    /// The user's session epoch when this session signed in (0 for sessions from
    /// before epochs existed).
    pub fn epoch(&self) -> i64 {
        self.0.get::<i64>(EPOCH).ok().flatten().unwrap_or(0)
    }

    /// Keeps this session signed in across a password change it made itself.
    pub fn set_epoch(&self, epoch: i64) -> Result<(), SessionInsertError> {
        self.0.insert(EPOCH, epoch)
    }

    /// The workspace the pages act in, as last switched to.
    pub fn workspace(&self) -> Option<WorkspaceId> {
        self.0
            .get::<String>(WORKSPACE)
            .ok()
            .flatten()
            .and_then(|s| WorkspaceId::parse(&s))
    }

    pub fn set_workspace(&self, workspace: WorkspaceId) -> Result<(), SessionInsertError> {
        self.0.insert(WORKSPACE, workspace.to_string())
    }

    /// Ends the session and clears its cookie.
    pub fn sign_out(&self) {
        self.0.purge();
    }

    /// The session's CSRF token, created on first use.
    pub fn csrf_token(&self) -> Result<String, SessionInsertError> {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF) {
            return Ok(token);
        }
        let token = random_hex();
        self.0.insert(CSRF, &token)?;
        Ok(token)
    }

    /// Whether a submitted form carried this session's CSRF token.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        match self.0.get::<String>(CSRF) {
            Ok(Some(expected)) => {
                expected.len() == submitted.len()
                    && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
            }
            _ => false,
        }
    }

    /// A one-line message to show on the next page.
    pub fn set_flash(&self, message: &str) -> Result<(), SessionInsertError> {
        self.0.insert(FLASH, message)
    }

    pub fn take_flash(&self) -> Option<String> {
        self.0.remove_as::<String>(FLASH).and_then(Result::ok)
    }

    /// The ticket under which a new token's value waits, sealed, to be shown once
    /// (see `crate::reveal`). Only the ticket is in the cookie, never the value.
    pub fn set_reveal_ticket(&self, ticket: &str) -> Result<(), SessionInsertError> {
        self.0.insert(REVEAL, ticket)
    }

    pub fn take_reveal_ticket(&self) -> Option<String> {
        self.0.remove_as::<String>(REVEAL).and_then(Result::ok)
    }

    /// The same for a new OAuth API token's two values; kept apart so that neither
    /// page consumes the other's ticket.
    pub fn set_oauth_reveal_ticket(&self, ticket: &str) -> Result<(), SessionInsertError> {
        self.0.insert(OAUTH_REVEAL, ticket)
    }

    pub fn take_oauth_reveal_ticket(&self) -> Option<String> {
        self.0
            .remove_as::<String>(OAUTH_REVEAL)
            .and_then(Result::ok)
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(TypedSession(req.get_session())))
    }
}

/// 32 random bytes as hex.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
