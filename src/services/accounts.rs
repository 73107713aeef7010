//! The instance's accounts, for instance admins (pages, API and command line
//! alike): list them, deactivate or reactivate one, grant or take the instance
//! admin role, set another account's password; the last active instance admin rule.
//!
//! Accounts belong to the instance, memberships to a workspace: what is done here
//! reaches every workspace the account is in, so only an instance admin may do it
//! (`auth::authority::InstanceAdmin`). Each change is one transaction with its
//! audit events, which belong to no workspace (`workspace_id` NULL) and show in the
//! instance audit view, not in any workspace's.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::auth::authority::InstanceAdminProof;
use crate::auth::{password, Principal};
use crate::db::{self, Conn, DbError, DbPool};
use crate::domain::{Password, Timestamp, UserId, WorkspaceId};
use crate::models::audit::{self, Action, Event};
use crate::models::membership_invitation::{self, Pending};
use crate::models::session;
use crate::models::user::{self, Account};
use crate::models::workspace::{self, Membership};
use crate::services::people::{self, PeopleError};

/// Why an account operation was refused or failed; the messages are shown as is.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("There is no such account.")]
    NotFound,
    #[error(
        "The instance needs at least one active instance admin: make someone else an \
         instance admin first."
    )]
    LastInstanceAdmin,
    #[error("You cannot deactivate your own account.")]
    Yourself,
    #[error("There is no open invitation of this account to that workspace.")]
    NoInvitation,
    /// A name reserved by an open invitation is not an account yet: changing it
    /// would turn the reservation into one behind the invitee's back.
    #[error(
        "{0} is a name reserved by an open invitation, not an account yet: withdraw the \
         invitation instead."
    )]
    Reserved(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        AccountError::Db(e.into())
    }
}

/// An account with the workspaces it is in.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub id: UserId,
    pub username: String,
    pub active: bool,
    pub instance_admin: bool,
    pub created_at: Timestamp,
    /// By workspace name.
    pub memberships: Vec<Membership>,
    /// Whether the account has a password (a name an invitation reserves has none
    /// until its link is used).
    pub password_set: bool,
    /// The workspaces it is invited to and has not joined yet: by link (a new
    /// name) or as an existing account.
    pub invitations: Vec<Invitation>,
}

/// An open invitation of an account, which an instance admin may withdraw.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
}

impl AccountView {
    /// A reserved name's memberships are its invitations: it has joined nothing.
    fn new(account: Account, memberships: Vec<Membership>, pending: Vec<Invitation>) -> Self {
        let password_set = !account.user.password_hash.is_empty();
        let (memberships, mut invitations) = if password_set {
            (memberships, Vec::new())
        } else {
            let links = memberships
                .into_iter()
                .map(|m| Invitation {
                    workspace_id: m.workspace_id,
                    workspace_name: m.workspace_name,
                })
                .collect();
            (Vec::new(), links)
        };
        invitations.extend(pending);
        invitations.sort_by(|a, b| a.workspace_name.cmp(&b.workspace_name));
        AccountView {
            id: account.user.id,
            active: account.user.is_active(),
            instance_admin: account.user.instance_admin,
            username: account.user.username,
            created_at: account.created_at,
            memberships,
            password_set,
            invitations,
        }
    }
}

fn invitation(p: Pending) -> Invitation {
    Invitation {
        workspace_id: p.workspace_id,
        workspace_name: p.workspace_name,
    }
}

/// What to change on an account; `None` leaves it as it is.
#[derive(Debug, Default)]
pub struct AccountUpdate {
    pub active: Option<bool>,
    pub instance_admin: Option<bool>,
    pub password: Option<Password>,
}

/// Who asks for a change, for the audit log.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// An instance admin, on a page or the API.
    Admin(&'a Principal, Option<IpAddr>),
    /// The operator, on the command line (`access-tokens user instance-admin`).
    CommandLine,
}

/// Every account of the instance, by user name, with its workspaces.
pub async fn list(
    pool: &DbPool,
    _admin: &InstanceAdminProof,
    now: Timestamp,
) -> Result<Vec<AccountView>, AccountError> {
    Ok(db::run(pool, move |conn| {
        let mut by_user: HashMap<UserId, Vec<Membership>> = HashMap::new();
        for (user, m) in workspace::all_memberships(conn)? {
            by_user.entry(user).or_default().push(m);
        }
        let mut pending: HashMap<UserId, Vec<Invitation>> = HashMap::new();
        for p in membership_invitation::open_all(conn, now)? {
            pending.entry(p.user_id).or_default().push(invitation(p));
        }
        Ok(user::list_accounts(conn)?
            .into_iter()
            .map(|a| {
                let ms = by_user.remove(&a.user.id).unwrap_or_default();
                let open = pending.remove(&a.user.id).unwrap_or_default();
                AccountView::new(a, ms, open)
            })
            .collect())
    })
    .await?)
}

/// One account.
pub async fn get(
    pool: &DbPool,
    _admin: &InstanceAdminProof,
    id: UserId,
    now: Timestamp,
) -> Result<AccountView, AccountError> {
    db::run(pool, move |conn| Ok(view(conn, id, now))).await?
}

fn view(conn: &mut Conn, id: UserId, now: Timestamp) -> Result<AccountView, AccountError> {
    let account = user::find_account(conn, id)?.ok_or(AccountError::NotFound)?;
    let mut memberships = workspace::memberships_of(conn, id)?;
    memberships.sort_by(|a, b| a.workspace_name.cmp(&b.workspace_name));
    let open = membership_invitation::open_for_user(conn, id, now)?;
    let open = open.into_iter().map(invitation).collect();
    Ok(AccountView::new(account, memberships, open))
}

/// Changes an account as `update` says, all or nothing, as an instance admin.
/// Deactivation ends the account's sign-ins everywhere and stops every token of
/// theirs at once (the change feed tells every instance); a new password ends
/// their sessions. Changing nothing records nothing.
pub async fn update(
    pool: &DbPool,
    admin: &InstanceAdminProof,
    address: Option<IpAddr>,
    id: UserId,
    update: AccountUpdate,
    now: Timestamp,
) -> Result<AccountView, AccountError> {
    let AccountUpdate {
        active,
        instance_admin,
        password,
    } = update;
    // Hashing is slow: done before the transaction, off the executor.
    let hash = match password {
        Some(p) => Some(
            password::off_executor(move || password::hash(&p))
                .await
                .map_err(|_| DbError::Cancelled)?,
        ),
        None => None,
    };
    let actor: Principal = (**admin).clone();
    db::run(pool, move |conn| {
        Ok(apply(
            conn,
            Actor::Admin(&actor, address),
            id,
            active,
            instance_admin,
            hash.as_deref(),
            now,
        ))
    })
    .await?
}

/// The one place an account's standing changes (pages, API and command line):
/// in one transaction, refusing to leave the instance without an active instance
/// admin. `hash` is an already-hashed new password.
pub fn apply(
    conn: &mut Conn,
    actor: Actor<'_>,
    id: UserId,
    active: Option<bool>,
    instance_admin: Option<bool>,
    hash: Option<&str>,
    now: Timestamp,
) -> Result<AccountView, AccountError> {
    crate::db::write_transaction(conn, |conn| {
        // A write first: it serialises every change to who the active instance
        // admins are (see the model), so the count below is the truth.
        user::lock_active_instance_admins(conn)?;
        let account = user::find_account(conn, id)?.ok_or(AccountError::NotFound)?;
        if account.user.password_hash.is_empty() {
            return Err(AccountError::Reserved(account.user.username));
        }
        let (was_active, was_admin) = (account.user.is_active(), account.user.instance_admin);
        let (will_active, will_admin) = (
            active.unwrap_or(was_active),
            instance_admin.unwrap_or(was_admin),
        );
        if was_active
            && was_admin
            && !(will_active && will_admin)
            && user::active_instance_admin_count(conn)? <= 1
        {
            return Err(AccountError::LastInstanceAdmin);
        }
        if let Actor::Admin(who, _) = actor {
            if was_active && !will_active && who.user_id == id {
                return Err(AccountError::Yourself);
            }
        }
        let name = account.user.username.clone();
        let event = |action: Action| {
            let event = match actor {
                Actor::Admin(who, address) => Event::account(who, address, action),
                Actor::CommandLine => {
                    Event::anonymous(None, None, action).detail("by the command line")
                }
            };
            event.target_user(id, &name)
        };
        if will_active != was_active {
            user::set_active(conn, id, will_active, now)?;
            let action = if will_active {
                Action::UserReactivated
            } else {
                Action::UserDeactivated
            };
            audit::record(conn, now, event(action))?;
        }
        if will_admin != was_admin {
            user::set_instance_admin(conn, id, will_admin)?;
            let action = if will_admin {
                Action::InstanceAdminGranted
            } else {
                Action::InstanceAdminRevoked
            };
            audit::record(conn, now, event(action))?;
        }
        if let Some(hash) = hash {
            user::set_password_by_id(conn, id, hash, now)?;
            // The account's sessions end; when someone else chose it, its owner must
            // choose their own at the next sign-in (the operator's CLI is trusted).
            session::delete_for_user(conn, id)?;
            if matches!(actor, Actor::Admin(who, _) if who.user_id != id) {
                user::set_password_must_change(conn, id, true)?;
            }
            audit::record(
                conn,
                now,
                event(Action::PasswordChanged).detail("set by an instance admin"),
            )?;
        }
        view(conn, id, now)
    })
}

/// Withdraws the open invitation of account `id` to `workspace`, whichever
/// workspace it is (instance admins may withdraw any): a reserved name is freed
/// and leaves no account behind; an existing account's invitation is dropped. The
/// event is recorded in the invitation's workspace (`people::withdraw_invitation`).
pub async fn withdraw_invitation(
    pool: &DbPool,
    admin: &InstanceAdminProof,
    address: Option<IpAddr>,
    id: UserId,
    workspace: WorkspaceId,
    now: Timestamp,
) -> Result<(), AccountError> {
    match people::withdraw_invitation(pool, admin, address, workspace, id, now).await {
        Ok(()) => Ok(()),
        Err(PeopleError::Db(e)) => Err(AccountError::Db(e)),
        // Withdrawing fails only when there is nothing to withdraw.
        Err(_) => Err(AccountError::NoInvitation),
    }
}
