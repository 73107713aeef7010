//! People operations the pages and the API share: who is in the workspace, adding
//! someone (with an initial password or a one-time invitation link), changing their
//! role, removing them, deactivating them, and accepting an invitation.
//!
//! Removing or deactivating someone stops their tokens at once (a token acts only
//! for an active member of its workspace) without deleting them, so the audit trail
//! stays whole. A workspace always keeps at least one active admin.

use std::net::IpAddr;

use diesel::Connection;

use crate::audit::{self, Action, Event};
use crate::auth::{password, Principal};
use crate::db::{self, Conn, DbError, DbPool};
use crate::domain::invite::{InviteCode, INVITE_DAYS};
use crate::domain::{Password, Role, Timestamp, UserId, Username, WorkspaceId};
use crate::models::user::CreateUserError;
use crate::models::workspace::Member;
use crate::models::{invite, user, workspace};

/// Why a people operation was refused or failed; the messages are shown as is.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("Only workspace admins can manage people.")]
    NotAdmin,
    #[error("There is no such person in this workspace.")]
    NotFound,
    #[error("{0} is already a member of this workspace.")]
    AlreadyMember(String),
    #[error("A workspace needs at least one active admin: make someone else an admin first.")]
    LastAdmin,
    #[error("You cannot deactivate yourself.")]
    Yourself,
    #[error(
        "This invitation link is not valid: it was used already, has expired or was mistyped."
    )]
    InvalidInvite,
    #[error(transparent)]
    Db(#[from] DbError),
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

/// Someone just added, with the invitation code to show the admin once.
#[derive(Debug)]
pub struct Added {
    pub member: Member,
    pub invite: Option<InviteCode>,
    /// They had an account already (in another workspace): only the membership is new.
    pub existing_user: bool,
}

fn require_admin(who: &Principal) -> Result<(), PeopleError> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(PeopleError::NotAdmin)
    }
}

fn find_member(conn: &mut Conn, ws: WorkspaceId, id: UserId) -> Result<Member, PeopleError> {
    workspace::members(conn, ws)?
        .into_iter()
        .find(|m| m.user_id == id)
        .ok_or(PeopleError::NotFound)
}

/// Would taking `target` out of the admins leave the workspace without one?
fn is_last_admin(conn: &mut Conn, ws: WorkspaceId, target: &Member) -> Result<bool, PeopleError> {
    Ok(target.role == Role::Admin
        && target.deactivated_at.is_none()
        && workspace::active_admin_count(conn, ws)? <= 1)
}

/// The link an invitation is sent as, on the host the admin reached this server
/// by (a proxy in front must pass the public host on).
pub fn invite_url(req: &actix_web::HttpRequest, code: &InviteCode) -> String {
    let info = req.connection_info();
    format!(
        "{}://{}/invite/{}",
        info.scheme(),
        info.host(),
        code.expose()
    )
}

/// Everyone in the admin's workspace.
pub async fn list(pool: &DbPool, admin: &Principal) -> Result<Vec<Member>, PeopleError> {
    require_admin(admin)?;
    let ws = admin.workspace_id;
    Ok(db::run(pool, move |conn| Ok(workspace::members(conn, ws)?)).await?)
}

/// Adds `username` to the admin's workspace with `role`: an existing user joins
/// as they are; a new one gets the initial password or an invitation.
pub async fn add(
    pool: &DbPool,
    admin: &Principal,
    address: Option<IpAddr>,
    username: Username,
    role: Role,
    onboarding: Onboarding,
) -> Result<Added, PeopleError> {
    require_admin(admin)?;
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
        let result = conn.transaction(|conn| {
            let (user_id, existing) = match user::find_by_username(conn, username.as_str())? {
                Some(existing) => {
                    if workspace::membership(conn, existing.id, ws)?.is_some() {
                        return Err(PeopleError::AlreadyMember(existing.username));
                    }
                    workspace::add_member(conn, ws, existing.id, role)?;
                    (existing.id, true)
                }
                None => {
                    let created = user::create_in(conn, &username, &hash, Some(ws), role).map_err(
                        |e| match e {
                            CreateUserError::Duplicate(name) => PeopleError::AlreadyMember(name),
                            CreateUserError::Query(e) => e.into(),
                        },
                    )?;
                    if !hash.is_empty() {
                        // The admin chose this password: the person chooses their
                        // own at the first sign-in.
                        user::set_password_must_change(conn, created.id, true)?;
                    }
                    if let (Some(id), Some(digest)) = (&invite_id, &digest) {
                        let expires = Timestamp::now().plus_seconds(INVITE_DAYS * 86_400);
                        invite::insert(conn, id, ws, created.id, digest, expires)?;
                    }
                    (created.id, false)
                }
            };
            let detail = if existing {
                format!("role {}; existing account", role.as_str())
            } else {
                format!("role {}; {how}", role.as_str())
            };
            audit::record(
                conn,
                Event::by(&actor, address, Action::MemberAdded)
                    .target_user(user_id, username.as_str())
                    .detail(detail),
            )?;
            Ok((find_member(conn, ws, user_id)?, existing))
        });
        Ok(result)
    })
    .await?;
    let (member, existing_user) = outcome?;
    Ok(Added {
        member,
        // An existing user needs no invitation: they sign in as before.
        invite: if existing_user { None } else { invite_code },
        existing_user,
    })
}

/// Makes a member an admin or an admin a member.
pub async fn set_role(
    pool: &DbPool,
    admin: &Principal,
    address: Option<IpAddr>,
    target: UserId,
    role: Role,
) -> Result<Member, PeopleError> {
    require_admin(admin)?;
    let (ws, actor) = (admin.workspace_id, admin.clone());
    db::run(pool, move |conn| {
        Ok(conn.transaction(|conn| {
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
                Event::by(&actor, address, Action::RoleChanged)
                    .target_user(target, &member.username)
                    .detail(format!("{} -> {}", member.role.as_str(), role.as_str())),
            )?;
            find_member(conn, ws, target)
        }))
    })
    .await?
}

/// Takes someone out of the admin's workspace. Their tokens there stop working at
/// once and stay stored; their account and other workspaces are untouched.
pub async fn remove(
    pool: &DbPool,
    admin: &Principal,
    address: Option<IpAddr>,
    target: UserId,
) -> Result<(), PeopleError> {
    require_admin(admin)?;
    let (ws, actor) = (admin.workspace_id, admin.clone());
    db::run(pool, move |conn| {
        Ok(conn.transaction(|conn| {
            let member = find_member(conn, ws, target)?;
            if is_last_admin(conn, ws, &member)? {
                return Err(PeopleError::LastAdmin);
            }
            workspace::remove_member(conn, ws, target)?;
            audit::record(
                conn,
                Event::by(&actor, address, Action::MemberRemoved)
                    .target_user(target, &member.username)
                    .detail(format!("was {}", member.role.as_str())),
            )?;
            Ok(())
        }))
    })
    .await?
}

/// Deactivates (or reactivates) a member of the admin's workspace. Deactivation is
/// of the account: they cannot sign in anywhere, their sessions end and every token
/// of theirs stops at once; nothing is deleted.
pub async fn set_active(
    pool: &DbPool,
    admin: &Principal,
    address: Option<IpAddr>,
    target: UserId,
    active: bool,
) -> Result<Member, PeopleError> {
    require_admin(admin)?;
    if !active && target == admin.user_id {
        return Err(PeopleError::Yourself);
    }
    let (ws, actor) = (admin.workspace_id, admin.clone());
    db::run(pool, move |conn| {
        Ok(conn.transaction(|conn| {
            let member = find_member(conn, ws, target)?;
            if member.deactivated_at.is_none() == active {
                return Ok(member);
            }
            if !active && is_last_admin(conn, ws, &member)? {
                return Err(PeopleError::LastAdmin);
            }
            user::set_active(conn, target, active)?;
            if !active {
                // Signed-in pages end with the account, at once.
                crate::models::session::delete_for_user(conn, target)?;
            }
            let action = if active {
                Action::UserReactivated
            } else {
                Action::UserDeactivated
            };
            audit::record(
                conn,
                Event::by(&actor, address, action).target_user(target, &member.username),
            )?;
            find_member(conn, ws, target)
        }))
    })
    .await?
}

/// The user name an open invitation is for, to greet them.
pub async fn invitation(pool: &DbPool, code: &InviteCode) -> Result<String, PeopleError> {
    let (id, presented) = (code.id.to_string(), code.secret.digest());
    db::run(pool, move |conn| {
        let Some(open) = invite::find_open(conn, &id, Timestamp::now())? else {
            return Ok(Err(PeopleError::InvalidInvite));
        };
        if !open.digest.is_some_and(|d| d.matches(&presented)) {
            return Ok(Err(PeopleError::InvalidInvite));
        }
        Ok(user::find(conn, open.user_id)?
            .map(|u| u.username)
            .ok_or(PeopleError::InvalidInvite))
    })
    .await?
}

/// What accepting an invitation signs in as.
pub struct Accepted {
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub session_epoch: i64,
}

/// Sets the invited person's password and uses the invitation up.
pub async fn accept_invitation(
    pool: &DbPool,
    code: &InviteCode,
    new_password: Password,
    address: Option<IpAddr>,
) -> Result<Accepted, PeopleError> {
    // Checked before the slow hash, so a wrong code costs nothing.
    invitation(pool, code).await?;
    let hash = password::off_executor(move || password::hash(&new_password))
        .await
        .map_err(|_| DbError::Cancelled)?;
    let (id, presented) = (code.id.to_string(), code.secret.digest());
    db::run(pool, move |conn| {
        Ok(conn.transaction(|conn| {
            let now = Timestamp::now();
            let open = invite::find_open(conn, &id, now)?.ok_or(PeopleError::InvalidInvite)?;
            if !open.digest.is_some_and(|d| d.matches(&presented))
                || !invite::mark_used(conn, &id, now)?
            {
                return Err(PeopleError::InvalidInvite);
            }
            user::set_password_by_id(conn, open.user_id, &hash)?;
            let person = user::find(conn, open.user_id)?.ok_or(PeopleError::InvalidInvite)?;
            audit::record(
                conn,
                Event::anonymous(Some(open.workspace_id), address, Action::PasswordChanged)
                    .target_user(person.id, &person.username)
                    .detail("invitation accepted"),
            )?;
            Ok(Accepted {
                user_id: person.id,
                workspace_id: open.workspace_id,
                session_epoch: person.session_epoch,
            })
        }))
    })
    .await?
}
