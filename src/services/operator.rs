//! The operator's use cases, run from the command line: the first admin of a new
//! database, adding an account, setting a password, adding and listing workspaces.
//! (Granting instance admin goes through `accounts::apply`, as on the page.)

use crate::db::{self, Conn};
use crate::domain::{Role, Timestamp, Username, WorkspaceName};
use crate::models::user::{self, CreateUserError};
use crate::models::{session, workspace};

/// Why an operator's command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("no user named {0}")]
    NoSuchUser(String),
    #[error("no workspace named {0}")]
    NoSuchWorkspace(String),
    #[error("a workspace named {0} already exists")]
    WorkspaceExists(String),
    #[error(transparent)]
    CreateUser(#[from] CreateUserError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// On a database with no users, creates `admin` with the password hash `hash`
/// makes (only then: hashing costs): an instance admin and an admin of the default
/// workspace. `false` when there are users already, or another instance starting
/// on the same database won the race.
pub fn create_first_admin(
    conn: &mut Conn,
    hash: impl FnOnce() -> String,
    now: Timestamp,
) -> Result<bool, OperatorError> {
    if user::count(conn)? > 0 {
        return Ok(false);
    }
    let name = Username::parse("admin").expect("a valid user name");
    let hash = hash();
    let created = db::write_transaction(conn, |conn| {
        let admin = user::create(conn, &name, &hash, Role::Admin, now)?;
        user::set_instance_admin(conn, admin.id, true)?;
        Ok::<_, CreateUserError>(())
    });
    match created {
        Ok(()) => Ok(true),
        Err(CreateUserError::Duplicate(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A new account with the password `hash`, a member (or admin) of `workspace` (the
/// default one when `None`), and an instance admin if asked.
pub struct NewAccount<'a> {
    pub name: &'a Username,
    pub hash: &'a str,
    pub workspace: Option<&'a str>,
    pub role: Role,
    pub instance_admin: bool,
}

/// Adds the account, in one transaction.
pub fn add_account(
    conn: &mut Conn,
    new: NewAccount<'_>,
    now: Timestamp,
) -> Result<(), OperatorError> {
    let workspace = match new.workspace {
        None => None,
        Some(w) => Some(
            workspace::find_by_name(conn, w)?
                .ok_or_else(|| OperatorError::NoSuchWorkspace(w.to_owned()))?,
        ),
    };
    db::write_transaction(conn, |conn| {
        let created = user::create_in(conn, new.name, new.hash, workspace, new.role, now)?;
        if new.instance_admin {
            user::set_instance_admin(conn, created.id, true)?;
        }
        Ok::<_, OperatorError>(())
    })
}

/// Sets the password of `name` and signs them out everywhere. The new epoch already
/// ends their sessions; deleting the rows makes it plain on Preferences > Sessions.
/// The operator's password does not have to be changed at the next sign-in.
pub fn set_password(
    conn: &mut Conn,
    name: &str,
    hash: &str,
    now: Timestamp,
) -> Result<(), OperatorError> {
    if !user::set_password_hash(conn, name, hash, now)? {
        return Err(OperatorError::NoSuchUser(name.to_owned()));
    }
    if let Some(u) = user::find_by_username(conn, name)? {
        session::delete_for_user(conn, u.id)?;
    }
    Ok(())
}

/// The id of the account named `name`.
pub fn account_id(conn: &mut Conn, name: &str) -> Result<crate::domain::UserId, OperatorError> {
    Ok(user::find_by_username(conn, name)?
        .ok_or_else(|| OperatorError::NoSuchUser(name.to_owned()))?
        .id)
}

/// Creates the workspace `name` with the account `admin` as its admin.
pub fn add_workspace(
    conn: &mut Conn,
    name: &WorkspaceName,
    admin: &str,
    now: Timestamp,
) -> Result<(), OperatorError> {
    let admin = account_id(conn, admin)?;
    workspace::ensure_default(conn, now)?;
    let ws = workspace::create(conn, name.as_str(), now)?
        .ok_or_else(|| OperatorError::WorkspaceExists(name.to_string()))?;
    workspace::add_member(conn, ws, admin, Role::Admin, now)?;
    Ok(())
}

/// Every workspace's name and number of members.
pub fn workspaces(conn: &mut Conn) -> Result<Vec<(String, i64)>, OperatorError> {
    Ok(workspace::list_with_member_counts(conn)?)
}
