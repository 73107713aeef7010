//! Invitations from the invited side: the link an invitation is sent as, the
//! open invitations of an account, accepting or declining one signed in, opening a
//! one-time link and setting the first password with it, and purging what lapsed.
//! (Inviting and withdrawing are the workspace admin's, in `people`.)

use std::net::IpAddr;

use crate::auth::{password, Principal};
use crate::db::{self, DbError, DbPool};
use crate::domain::invite::InviteCode;
use crate::domain::{Password, Timestamp, UserId, WorkspaceId};
use crate::models::audit::{self, Action, Event};
use crate::models::membership_invitation::{self, Pending};
use crate::models::{invite, user, workspace};

use super::people::{member, PeopleError};

/// The link an invitation is sent as: `base` (where people reach this site, see
/// `public_url::base_of`) and the code.
pub fn invite_url(base: &str, code: &InviteCode) -> String {
    format!("{base}/invite/{}", code.expose())
}

/// The open invitations of `who`'s account to workspaces, oldest first.
pub async fn my_invitations(
    pool: &DbPool,
    who: &Principal,
    now: Timestamp,
) -> Result<Vec<Pending>, PeopleError> {
    let user = who.user_id;
    Ok(db::run(pool, move |conn| {
        Ok(membership_invitation::open_for_user(conn, user, now)?)
    })
    .await?)
}

/// Accepts (`accept`) or declines `who`'s open invitation to `workspace`; the
/// caller is the invited account itself, signed in with its own password. On
/// acceptance it joins with the invited role. Returns the invitation.
pub async fn answer_invitation(
    pool: &DbPool,
    who: &Principal,
    address: Option<IpAddr>,
    workspace: WorkspaceId,
    accept: bool,
    now: Timestamp,
) -> Result<Pending, PeopleError> {
    let who = who.clone();
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let pending = membership_invitation::find_open(conn, workspace, who.user_id, now)?
                .ok_or(PeopleError::NoInvitation)?;
            membership_invitation::delete(conn, workspace, who.user_id)?;
            let event = if accept {
                if member(conn, workspace, who.user_id)?.is_none() {
                    workspace::add_member(conn, workspace, who.user_id, pending.role, now)?;
                }
                Event::by(&who, address, Action::MemberAdded).detail(format!(
                    "role {}; invitation accepted",
                    pending.role.as_str()
                ))
            } else {
                Event::by(&who, address, Action::InvitationDeclined)
            };
            audit::record(
                conn,
                now,
                event
                    .in_workspace(workspace)
                    .target_user(who.user_id, &who.username),
            )?;
            Ok(pending)
        }))
    })
    .await?
}

/// Deletes invitations that lapsed, and the placeholder accounts of new names whose
/// link lapsed (their names are free again); returns how many of each.
pub async fn purge_lapsed_invitations(
    pool: &DbPool,
    now: Timestamp,
) -> Result<(usize, usize), DbError> {
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let links = user::delete_lapsed_invitees(conn, None, now)?;
            let others = membership_invitation::purge_lapsed(conn, now)?;
            Ok::<_, diesel::result::Error>((links, others))
        })?)
    })
    .await
}

/// The user name an open invitation is for, to greet them.
pub async fn invitation(
    pool: &DbPool,
    code: &InviteCode,
    now: Timestamp,
) -> Result<String, PeopleError> {
    let (id, presented) = (code.id.to_string(), code.secret.digest());
    db::run(pool, move |conn| {
        let Some(open) = invite::find_open(conn, &id, now)? else {
            return Ok(Err(PeopleError::InvalidInvite));
        };
        if !open.digest.is_some_and(|d| d.matches(&presented)) {
            return Ok(Err(PeopleError::InvalidInvite));
        }
        // A link never sets the password of an account that has one.
        Ok(user::find(conn, open.user_id)?
            .filter(|u| u.password_hash.is_empty())
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
    now: Timestamp,
) -> Result<Accepted, PeopleError> {
    // Checked before the slow hash, so a wrong code costs nothing.
    invitation(pool, code, now).await?;
    let hash = password::off_executor(move || password::hash(&new_password))
        .await
        .map_err(|_| DbError::Cancelled)?;
    let (id, presented) = (code.id.to_string(), code.secret.digest());
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let open = invite::find_open(conn, &id, now)?.ok_or(PeopleError::InvalidInvite)?;
            if !open.digest.is_some_and(|d| d.matches(&presented))
                || !invite::mark_used(conn, &id, now)?
            {
                return Err(PeopleError::InvalidInvite);
            }
            let invited = user::find(conn, open.user_id)?.ok_or(PeopleError::InvalidInvite)?;
            if !invited.password_hash.is_empty() {
                // A link never sets the password of an account that has one.
                return Err(PeopleError::InvalidInvite);
            }
            user::set_password_by_id(conn, open.user_id, &hash, now)?;
            let person = user::find(conn, open.user_id)?.ok_or(PeopleError::InvalidInvite)?;
            audit::record(
                conn,
                now,
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
