//! People operations the pages and the API share: who is in the workspace, adding
//! someone (with an initial password or a one-time invitation link), inviting an
//! existing account, changing a role, suspending or restoring a membership,
//! removing a member, withdrawing an invitation, and accepting one.
//!
//! A workspace admin acts on memberships of their workspace only, never on an
//! account: suspending stops the member's tokens, grants and pages in this workspace
//! alone; removing deletes their tokens and grants here. A name that exists (or is
//! reserved by an open invitation) is never silently reached: adding it is refused
//! unless the admin invites that account, which joins only when it accepts, signed
//! in as itself. A workspace always keeps at least one active admin.

use std::net::IpAddr;

use crate::auth::authority::ActingAdmin;
use crate::auth::revocations;
use crate::auth::{password, Principal};
use crate::db::{self, Conn, DbError, DbPool};
use crate::domain::invite::{InviteCode, INVITE_DAYS};
use crate::domain::member_status::MemberStatus;
use crate::domain::{Password, Role, Timestamp, UserId, Username, WorkspaceId};
use crate::models::audit::{self, Action, Event};
use crate::models::membership_invitation;
use crate::models::user::CreateUserError;
use crate::models::{invite, oauth, revoked_grant, token, user, workspace};

/// A member as the lists show them, and an open invitation of an account: the
/// handlers name them from here.
pub use crate::models::membership_invitation::Pending;
pub use crate::models::workspace::Member;

/// Why a people operation was refused or failed; the messages are shown as is.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("There is no such person in this workspace.")]
    NotFound,
    #[error("{0} is already a member of this workspace.")]
    AlreadyMember(String),
    /// The name belongs to an account: it is never reached without its consent.
    #[error(
        "{0} already has an account. Invite that account instead: it joins this \
         workspace only when it accepts, signed in as itself."
    )]
    ExistingUser(String),
    /// The name is held by an open invitation (of this or another workspace).
    #[error("The name {0} is reserved by an open invitation.")]
    Reserved(String),
    #[error("{0} is already invited to this workspace.")]
    AlreadyInvited(String),
    #[error("A workspace needs at least one active admin: make someone else an admin first.")]
    LastAdmin,
    #[error("You cannot suspend yourself.")]
    Yourself,
    #[error(
        "This invitation link is not valid: it was used already, has expired or was mistyped."
    )]
    InvalidInvite,
    #[error("There is no open invitation to this workspace for you.")]
    NoInvitation,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl PeopleError {
    /// Whether the refusal is about a name that exists or is reserved.
    pub fn is_existing_user(&self) -> bool {
        matches!(
            self,
            PeopleError::ExistingUser(_) | PeopleError::Reserved(_)
        )
    }
}

impl From<diesel::result::Error> for PeopleError {
    fn from(e: diesel::result::Error) -> Self {
        PeopleError::Db(e.into())
    }
}

/// How a new person gets in.
pub enum Onboarding {
    /// The admin sets an initial password and hands it over.
    Password(Password),
    /// A one-time link lets the person choose their password.
    Invite,
}

/// Someone just added (or an existing account just invited), with the invitation
/// code to show the admin once.
#[derive(Debug)]
pub struct Added {
    pub member: Member,
    pub invite: Option<InviteCode>,
    /// The name had an account: it was invited and joins when it accepts.
    pub existing_user: bool,
}

/// `id`'s membership of `ws`, suspended or not.
pub(super) fn member(
    conn: &mut Conn,
    ws: WorkspaceId,
    id: UserId,
) -> Result<Option<Member>, PeopleError> {
    Ok(workspace::members(conn, ws)?
        .into_iter()
        .find(|m| m.user_id == id))
}

fn find_member(conn: &mut Conn, ws: WorkspaceId, id: UserId) -> Result<Member, PeopleError> {
    member(conn, ws, id)?.ok_or(PeopleError::NotFound)
}

/// Would taking `target` out of the active admins leave the workspace without one?
fn is_last_admin(conn: &mut Conn, ws: WorkspaceId, target: &Member) -> Result<bool, PeopleError> {
    Ok(target.role == Role::Admin
        && target.deactivated_at.is_none()
        && target.suspended_at.is_none()
        && !target.invited
        && workspace::active_admin_count(conn, ws)? <= 1)
}

/// An open invitation of an existing account, shown in the workspace's list.
fn as_member(p: &Pending) -> Member {
    Member {
        user_id: p.user_id,
        username: p.username.clone(),
        role: p.role,
        joined_at: p.created_at,
        deactivated_at: None,
        suspended_at: None,
        invited: true,
    }
}

/// How `m` stands in the workspace.
pub fn status(m: &Member) -> MemberStatus {
    MemberStatus::of(
        m.deactivated_at.is_some(),
        m.suspended_at.is_some(),
        m.invited,
    )
}

/// Everyone in the admin's workspace, with the accounts invited to it (status
/// invited), by name.
pub async fn list(
    pool: &DbPool,
    admin: &ActingAdmin,
    now: Timestamp,
) -> Result<Vec<Member>, PeopleError> {
    let ws = admin.workspace_id;
    Ok(db::run(pool, move |conn| {
        let mut all = workspace::members(conn, ws)?;
        let pending = membership_invitation::open_in_workspace(conn, ws, now)?;
        all.extend(pending.iter().map(as_member));
        all.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(all)
    })
    .await?)
}

/// Adds `username` to the admin's workspace with `role`: a new name gets the
/// initial password or an invitation link (which reserves the name at once). A name
/// that exists or is reserved is refused, unless `invite_existing`: then that
/// account is invited and joins when it accepts; its password is never touched.
#[expect(
    clippy::too_many_arguments,
    reason = "who acts, from where and when, and the form's four choices"
)]
pub async fn add(
    pool: &DbPool,
    admin: &ActingAdmin,
    address: Option<IpAddr>,
    username: Username,
    role: Role,
    onboarding: Onboarding,
    invite_existing: bool,
    now: Timestamp,
) -> Result<Added, PeopleError> {
    // Hashing is slow: done before the transaction, off the executor.
    let (hash, how) = match onboarding {
        Onboarding::Password(p) => {
            let hash = password::off_executor(move || password::hash(&p))
                .await
                .map_err(|_| DbError::Cancelled)?;
            (hash, "initial password")
        }
        Onboarding::Invite => (String::new(), "invitation link"),
    };
    let invite_code = hash.is_empty().then(InviteCode::generate);
    let digest = invite_code.as_ref().map(|c| c.secret.digest());
    let invite_id = invite_code.as_ref().map(|c| c.id.to_string());
    let (ws, actor) = (admin.workspace_id, admin.clone());
    let outcome = db::run(pool, move |conn| {
        let result = crate::db::write_transaction(conn, |conn| {
            let expires = now.plus_seconds(INVITE_DAYS * 86_400);
            user::delete_lapsed_invitees(conn, Some(username.as_str()), now)?;
            if let Some(existing) = user::find_by_username(conn, username.as_str())? {
                if member(conn, ws, existing.id)?.is_some() {
                    return Err(PeopleError::AlreadyMember(existing.username));
                }
                if existing.password_hash.is_empty() {
                    return Err(PeopleError::Reserved(existing.username));
                }
                if !invite_existing {
                    return Err(PeopleError::ExistingUser(existing.username));
                }
                let by = actor.user_id;
                if !membership_invitation::insert(conn, ws, existing.id, role, by, now, expires)? {
                    return Err(PeopleError::AlreadyInvited(existing.username));
                }
                audit::record(
                    conn,
                    now,
                    Event::by(&actor, address, Action::MemberInvited)
                        .target_user(existing.id, &existing.username)
                        .detail(format!("role {}; existing account", role.as_str())),
                )?;
                let pending = membership_invitation::find_open(conn, ws, existing.id, now)?
                    .ok_or(PeopleError::NotFound)?;
                return Ok((as_member(&pending), true));
            }
            let created = user::create_in(conn, &username, &hash, Some(ws), role, now).map_err(
                |e| match e {
                    CreateUserError::Duplicate(name) => PeopleError::ExistingUser(name),
                    CreateUserError::Query(e) => e.into(),
                },
            )?;
            if !hash.is_empty() {
                // The admin chose this password: the person chooses their own at
                // the first sign-in.
                user::set_password_must_change(conn, created.id, true)?;
            }
            if let (Some(id), Some(digest)) = (&invite_id, &digest) {
                invite::insert(conn, id, ws, created.id, digest, now, expires)?;
            }
            audit::record(
                conn,
                now,
                Event::by(&actor, address, Action::MemberAdded)
                    .target_user(created.id, username.as_str())
                    .detail(format!("role {}; {how}", role.as_str())),
            )?;
            Ok((find_member(conn, ws, created.id)?, false))
        });
        Ok(result)
    })
    .await?;
    let (member, existing_user) = outcome?;
    Ok(Added {
        member,
        // An existing account needs no link: it accepts signed in as itself.
        invite: if existing_user { None } else { invite_code },
        existing_user,
    })
}

/// Makes a member an admin or an admin a member.
pub async fn set_role(
    pool: &DbPool,
    admin: &ActingAdmin,
    address: Option<IpAddr>,
    target: UserId,
    role: Role,
    now: Timestamp,
) -> Result<Member, PeopleError> {
    let (ws, actor) = (admin.workspace_id, admin.clone());
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let member = find_member(conn, ws, target)?;
            if member.role == role {
                return Ok(member);
            }
            if role == Role::Member && is_last_admin(conn, ws, &member)? {
                return Err(PeopleError::LastAdmin);
            }
            workspace::set_role(conn, ws, target, role)?;
            audit::record(
                conn,
                now,
                Event::by(&actor, address, Action::RoleChanged)
                    .target_user(target, &member.username)
                    .detail(format!("{} -> {}", member.role.as_str(), role.as_str())),
            )?;
            find_member(conn, ws, target)
        }))
    })
    .await?
}

/// What [`remove`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// A member left, with their tokens and grants here deleted.
    Member,
    /// An invitation not yet accepted was withdrawn.
    Invitation,
}

/// Takes someone out of the admin's workspace: their legacy tokens and OAuth grants
/// here are deleted (each audit-logged), so adding them again starts clean; their
/// account and other workspaces are untouched. For someone invited and not yet
/// joined, withdraws the invitation.
pub async fn remove(
    pool: &DbPool,
    admin: &ActingAdmin,
    address: Option<IpAddr>,
    target: UserId,
    now: Timestamp,
) -> Result<Removed, PeopleError> {
    let (ws, actor) = (admin.workspace_id, admin.clone());
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let Some(member) = member(conn, ws, target)? else {
                withdraw_in(conn, &actor, address, ws, target, now)?;
                return Ok(Removed::Invitation);
            };
            if member.invited {
                withdraw_in(conn, &actor, address, ws, target, now)?;
                return Ok(Removed::Invitation);
            }
            if is_last_admin(conn, ws, &member)? {
                return Err(PeopleError::LastAdmin);
            }
            let owner = format!("member removed; owner {}", member.username);
            for id in token::delete_all_of_member(conn, ws, target)? {
                audit::record(
                    conn,
                    now,
                    Event::by(&actor, address, Action::TokenDeleted)
                        .target_token(id)
                        .detail(owner.clone()),
                )?;
            }
            let grants = oauth::list_for_owner(conn, ws, target)?;
            let ids: Vec<_> = grants.iter().map(|g| g.id).collect();
            oauth::delete_ids(conn, &ids)?;
            // Their access tokens are refused while they are not a member; revoking
            // them with the grant keeps them refused if they are added again within
            // the hour, so that adding them again really starts clean.
            for g in &grants {
                revoked_grant::insert(conn, &revocations::of_grant(g.id, ws, now))?;
            }
            for g in &grants {
                audit::record(
                    conn,
                    now,
                    Event::by(&actor, address, Action::OAuthTokenDeleted)
                        .target(g.id.to_string(), &g.name)
                        .detail(owner.clone()),
                )?;
            }
            workspace::remove_member(conn, ws, target)?;
            audit::record(
                conn,
                now,
                Event::by(&actor, address, Action::MemberRemoved)
                    .target_user(target, &member.username)
                    .detail(format!("was {}", member.role.as_str())),
            )?;
            Ok(Removed::Member)
        }))
    })
    .await?
}

/// Withdraws the open invitation of `target` to `workspace`: an existing account's
/// invitation is deleted; a new name's placeholder (no password) is deleted with its
/// link and membership, so the name is free and no account is left behind.
///
/// No authority check here: the workspace admin's path is [`remove`]; an instance
/// admin's path checks its own extractor, then calls this for any workspace.
pub async fn withdraw_invitation(
    pool: &DbPool,
    actor: &Principal,
    address: Option<IpAddr>,
    workspace: WorkspaceId,
    target: UserId,
    now: Timestamp,
) -> Result<(), PeopleError> {
    let actor = actor.clone();
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            withdraw_in(conn, &actor, address, workspace, target, now)
        }))
    })
    .await?
}

fn withdraw_in(
    conn: &mut Conn,
    actor: &Principal,
    address: Option<IpAddr>,
    ws: WorkspaceId,
    target: UserId,
    now: Timestamp,
) -> Result<(), PeopleError> {
    let (name, what) = match member(conn, ws, target)? {
        Some(m) if m.invited && user::delete_invitee(conn, target)? => {
            (m.username, "invitation link; name freed")
        }
        Some(_) => return Err(PeopleError::NotFound),
        None => {
            let pending = membership_invitation::find_open(conn, ws, target, now)?
                .ok_or(PeopleError::NotFound)?;
            membership_invitation::delete(conn, ws, target)?;
            (pending.username, "existing account")
        }
    };
    audit::record(
        conn,
        now,
        Event::by(actor, address, Action::InvitationWithdrawn)
            .in_workspace(ws)
            .target_user(target, &name)
            .detail(what),
    )?;
    Ok(())
}

/// Suspends (`suspended`) or restores a membership of the admin's workspace. A
/// suspended member's tokens, grants and pages stop here at once, and nowhere else;
/// the account is untouched and nothing is deleted.
pub async fn set_suspended(
    pool: &DbPool,
    admin: &ActingAdmin,
    address: Option<IpAddr>,
    target: UserId,
    suspended: bool,
    now: Timestamp,
) -> Result<Member, PeopleError> {
    if suspended && target == admin.user_id {
        return Err(PeopleError::Yourself);
    }
    let (ws, actor) = (admin.workspace_id, admin.clone());
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let member = find_member(conn, ws, target)?;
            if member.suspended_at.is_some() == suspended {
                return Ok(member);
            }
            if suspended && is_last_admin(conn, ws, &member)? {
                return Err(PeopleError::LastAdmin);
            }
            workspace::set_suspended(conn, ws, target, suspended, now)?;
            let action = if suspended {
                Action::MemberSuspended
            } else {
                Action::MemberRestored
            };
            audit::record(
                conn,
                now,
                Event::by(&actor, address, action).target_user(target, &member.username),
            )?;
            find_member(conn, ws, target)
        }))
    })
    .await?
}
