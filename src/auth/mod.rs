//! Who is calling: password hashing, sign-in throttling, the browser session, and
//! the extractors that put the caller in a handler's signature.

pub mod access_check;
pub mod authority;
pub mod bearer;
pub mod cache;
pub mod caller;
pub mod changes;
pub mod client_address;
pub mod invalid_tokens;
pub mod keys;
pub mod last_used;
pub mod password;
pub mod public_url;
pub mod refusals;
pub mod revocations;
pub mod session;
pub mod throttle;

use std::net::IpAddr;
use std::time::Duration;

use crate::db::{self, DbError, DbPool};
use crate::domain::{Password, Timestamp, UserId, WorkspaceId};
use crate::models;
use crate::models::audit;
pub use crate::models::session::SessionStanding;
use crate::models::user::User;
pub use crate::models::workspace::Membership;
use throttle::LoginThrottle;

pub use crate::domain::Principal;

/// The principal a signed-in user is, acting in one of their workspaces. (An
/// inherent impl here, as only sign-in makes one from stored rows.)
impl Principal {
    fn new(user: &User, membership: Membership) -> Self {
        Principal {
            user_id: user.id,
            username: user.username.clone(),
            workspace_id: membership.workspace_id,
            workspace_name: membership.workspace_name,
            role: membership.role,
        }
    }
}

/// Why a username and password were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown user or wrong password: deliberately the same.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("too many failed sign-in attempts")]
    Throttled { retry_after: Duration },
    /// The password is right, but the user is not in the workspace they named.
    #[error("You are not a member of the workspace {0}.")]
    NotAMember(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A username and password accepted.
#[derive(Debug)]
pub struct SignedIn {
    pub principal: Principal,
    /// The user's session epoch now, for a session that signs in.
    pub epoch: i64,
    /// An admin set the password: the user must choose their own before anything
    /// but Change Password (pages) and before any API call (Basic).
    pub password_must_change: bool,
}

/// Checks a username and password, off the async executor, throttled per user
/// and per address. An unknown user costs the same time as a wrong password. The
/// attempt is reserved with the throttle before the password is checked (see
/// `throttle`), so racing attempts cannot check more wrong passwords than the
/// limit.
pub async fn sign_in(
    pool: &DbPool,
    throttle: &LoginThrottle,
    username: String,
    password: Password,
    addr: Option<IpAddr>,
    workspace: Option<String>,
) -> Result<SignedIn, SignInError> {
    let reservation = throttle
        .reserve(&username, addr)
        .await
        .map_err(|retry_after| SignInError::Throttled { retry_after })?;
    let lookup = username.clone();
    let found = db::run(pool, move |conn| {
        let Some(user) = models::user::find_by_username(conn, &lookup)? else {
            return Ok(None);
        };
        let must_change = models::user::password_must_change(conn, user.id)?;
        let membership = match &workspace {
            None => models::workspace::memberships_of(conn, user.id)?
                .into_iter()
                .next()
                .ok_or(None),
            Some(name) => match models::workspace::find_by_name(conn, name)? {
                Some(ws) => {
                    models::workspace::membership(conn, user.id, ws)?.ok_or(Some(name.clone()))
                }
                None => Err(Some(name.clone())),
            },
        };
        Ok(Some((user, must_change, membership)))
    })
    .await?;
    let hash = found.as_ref().map(|(u, _, _)| u.password_hash.clone());
    let verified = password::off_executor(move || password::verify(hash.as_deref(), &password))
        .await
        .map_err(|_| DbError::Cancelled)?;
    match found {
        Some((user, must_change, membership)) if verified && user.is_active() => {
            reservation.succeeded();
            match membership {
                Ok(m) => Ok(SignedIn {
                    principal: Principal::new(&user, m),
                    epoch: user.session_epoch,
                    password_must_change: must_change,
                }),
                // Said only to who knows the password.
                Err(Some(name)) => Err(SignInError::NotAMember(name)),
                Err(None) => Err(SignInError::InvalidCredentials),
            }
        }
        _ => {
            reservation.failed();
            Err(SignInError::InvalidCredentials)
        }
    }
}

/// What became of a password change.
#[derive(Debug)]
pub enum PasswordChange<E> {
    /// Changed: the user's new session epoch.
    Changed(i64),
    /// The current password offered is not the user's.
    WrongCurrent,
    /// The current password is right; the new one was refused, for this reason.
    Refused(E),
}

/// Changes `who`'s password if `current` is right, ending their other sessions and
/// recording it in the audit log. `current` is checked first, so a wrong one is
/// told before anything about the new one (`new` is the new password, or why the
/// caller refused it). Access tokens are not touched: they keep working.
pub async fn change_password<E: Send + 'static>(
    pool: &DbPool,
    who: &Principal,
    address: Option<IpAddr>,
    current: Password,
    new: Result<Password, E>,
    now: Timestamp,
) -> Result<PasswordChange<E>, DbError> {
    let user_id = who.user_id;
    let stored = db::run(pool, move |conn| {
        Ok(models::user::find(conn, user_id)?.map(|u| u.password_hash))
    })
    .await?;
    let hash = password::off_executor(move || {
        if !password::verify(stored.as_deref(), &current) {
            return Err(PasswordChange::WrongCurrent);
        }
        new.map(|new| password::hash(&new))
            .map_err(PasswordChange::Refused)
    })
    .await
    .map_err(|_| DbError::Cancelled)?;
    let hash = match hash {
        Ok(hash) => hash,
        Err(refused) => return Ok(refused),
    };
    let who = who.clone();
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let epoch = models::user::change_password(conn, who.user_id, &hash, now)?;
            audit::record(
                conn,
                now,
                audit::Event::by(&who, address, audit::Action::PasswordChanged)
                    .target_user(who.user_id, &who.username),
            )?;
            // No epoch: the user is gone since the check; as a wrong password.
            Ok::<_, diesel::result::Error>(
                epoch.map_or(PasswordChange::WrongCurrent, PasswordChange::Changed),
            )
        })?)
    })
    .await
}

/// The principal of a session's user, acting in the session's workspace `wanted`
/// (or, if they no longer belong to it, the first they joined). `None` when the
/// user is gone, deactivated, in no workspace, or signed in under an older
/// session epoch (their password has changed since). The `bool` says whether they
/// are an instance admin (for the menu; `authority::InstanceAdmin` decides).
pub fn load_session_principal(
    conn: &mut db::Conn,
    user_id: UserId,
    epoch: i64,
    wanted: Option<WorkspaceId>,
) -> Result<Option<(Principal, Vec<Membership>, bool)>, DbError> {
    let Some(user) = models::user::find(conn, user_id)? else {
        return Ok(None);
    };
    if !user.is_active() || user.session_epoch != epoch {
        return Ok(None);
    }
    let memberships = models::workspace::memberships_of(conn, user.id)?;
    let chosen = wanted
        .and_then(|w| memberships.iter().find(|m| m.workspace_id == w))
        .or(memberships.first())
        .cloned();
    Ok(chosen.map(|m| (Principal::new(&user, m), memberships, user.instance_admin)))
}
