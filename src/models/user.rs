//! Users: who can sign in, with their argon2id password hash.

use diesel::prelude::*;

use crate::db::schema::{invites, users};
use crate::db::{is_unique_violation, Conn};
use crate::domain::{Role, Timestamp, UserId, Username, WorkspaceId};

use super::workspace;

/// A user as stored.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    /// Set when an admin deactivated the user: no sign-in, no token works.
    pub deactivated_at: Option<Timestamp>,
    /// Sessions signed in under an older epoch have ended (password changed).
    pub session_epoch: i64,
    /// May manage every account of the instance (see `crate::services::accounts`).
    pub instance_admin: bool,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

#[derive(Queryable)]
struct UserRow {
    id: UserId,
    username: String,
    password_hash: String,
    deactivated_at: Option<i64>,
    session_epoch: i64,
    instance_admin: bool,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            password_hash: r.password_hash,
            deactivated_at: r.deactivated_at.map(Timestamp::from_millis),
            session_epoch: r.session_epoch,
            instance_admin: r.instance_admin,
        }
    }
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user named {0} already exists")]
    Duplicate(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

type Columns = (
    users::id,
    users::username,
    users::password_hash,
    users::deactivated_at,
    users::session_epoch,
    users::instance_admin,
);

const COLUMNS: Columns = (
    users::id,
    users::username,
    users::password_hash,
    users::deactivated_at,
    users::session_epoch,
    users::instance_admin,
);

pub fn find_by_username(conn: &mut Conn, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(COLUMNS)
        .first::<UserRow>(conn)
        .optional()
        .map(|r| r.map(User::from))
}

pub fn find(conn: &mut Conn, id: UserId) -> QueryResult<Option<User>> {
    let query = users::table.find(id).select(COLUMNS);
    crate::db::first::<_, UserRow>(conn, query).map(|r| r.map(User::from))
}

pub fn count(conn: &mut Conn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Creates a user with an already-hashed password and makes them a member of the
/// default workspace with `role`, all or nothing.
pub fn create(
    conn: &mut Conn,
    username: &Username,
    password_hash: &str,
    role: Role,
    now: Timestamp,
) -> Result<User, CreateUserError> {
    create_in(conn, username, password_hash, None, role, now)
}

/// As [`create`], in `workspace` (`None`: the default one). An empty hash is a user
/// who cannot sign in until they set a password (an invitation).
pub fn create_in(
    conn: &mut Conn,
    username: &Username,
    password_hash: &str,
    workspace: Option<WorkspaceId>,
    role: Role,
    now: Timestamp,
) -> Result<User, CreateUserError> {
    crate::db::write_transaction(conn, |conn| {
        // A name held by an invitation that lapsed is free again.
        delete_lapsed_invitees(conn, Some(username.as_str()), now)?;
        let id = UserId::new_random();
        diesel::insert_into(users::table)
            .values((
                users::id.eq(id),
                users::username.eq(username.as_str()),
                users::password_hash.eq(password_hash),
                users::created_at.eq(now.millis()),
            ))
            .execute(conn)
            .map_err(|e| {
                if is_unique_violation(&e) {
                    CreateUserError::Duplicate(username.to_string())
                } else {
                    e.into()
                }
            })?;
        let ws = match workspace {
            Some(ws) => ws,
            None => workspace::ensure_default(conn, now)?,
        };
        workspace::add_member(conn, ws, id, role, now)?;
        Ok(User {
            id,
            username: username.to_string(),
            password_hash: password_hash.to_owned(),
            deactivated_at: None,
            session_epoch: 0,
            instance_admin: false,
        })
    })
}

/// Replaces a user's password hash and ends their sessions and open invitation
/// links; `false` when there is no such user.
pub fn set_password_hash(
    conn: &mut Conn,
    username: &str,
    hash: &str,
    now: Timestamp,
) -> QueryResult<bool> {
    let Some(id) = users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first::<UserId>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    crate::db::write_transaction(conn, |conn| set_password_by_id(conn, id, hash, now))
}

/// Every path that sets a password comes through here or [`change_password`]: a
/// password set another way ends the account's open invitation links, so a link
/// kept by whoever invited can never take over the account afterwards.
fn end_invitation_links(conn: &mut Conn, id: UserId, now: Timestamp) -> QueryResult<()> {
    diesel::update(
        invites::table
            .filter(invites::user_id.eq(id))
            .filter(invites::used_at.is_null()),
    )
    .set(invites::used_at.eq(now.millis()))
    .execute(conn)?;
    Ok(())
}

/// Deletes the accounts that exist only as an invitation's placeholder (no
/// password, no open invitation link left): a lapsed invitation leaves no account
/// behind and frees its name. `only`: just the account of that name.
pub fn delete_lapsed_invitees(
    conn: &mut Conn,
    only: Option<&str>,
    now: Timestamp,
) -> QueryResult<usize> {
    let open_link = invites::table
        .filter(invites::user_id.eq(users::id))
        .filter(invites::used_at.is_null())
        .filter(invites::expires_at.gt(now.millis()));
    let mut lapsed = users::table
        .filter(users::password_hash.eq(""))
        .filter(diesel::dsl::not(diesel::dsl::exists(open_link)))
        .select(users::id)
        .into_boxed();
    if let Some(name) = only {
        lapsed = lapsed.filter(users::username.eq(name));
    }
    let ids: Vec<UserId> = lapsed.load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    delete_placeholders(conn, &ids)
}

/// Deletes placeholder accounts with their membership and invitation links (by
/// hand as well as by ON DELETE CASCADE, whatever a backend enforces).
fn delete_placeholders(conn: &mut Conn, ids: &[UserId]) -> QueryResult<usize> {
    use crate::db::schema::memberships;
    diesel::delete(invites::table.filter(invites::user_id.eq_any(ids))).execute(conn)?;
    diesel::delete(memberships::table.filter(memberships::user_id.eq_any(ids))).execute(conn)?;
    diesel::delete(
        users::table
            .filter(users::id.eq_any(ids))
            .filter(users::password_hash.eq("")),
    )
    .execute(conn)
}

/// Deletes the placeholder account of an invitation not yet accepted (no
/// password); `false` when `id` is not one.
pub fn delete_invitee(conn: &mut Conn, id: UserId) -> QueryResult<bool> {
    let placeholder = users::table
        .find(id)
        .filter(users::password_hash.eq(""))
        .select(users::id)
        .first::<UserId>(conn)
        .optional()?;
    match placeholder {
        Some(id) => Ok(delete_placeholders(conn, &[id])? == 1),
        None => Ok(false),
    }
}

/// Replaces a user's password hash with one they chose themselves (so an admin's
/// "must change" is lifted) and ends their other sessions (a new epoch); returns
/// the new epoch, `None` when there is no such user.
pub fn change_password(
    conn: &mut Conn,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> QueryResult<Option<i64>> {
    crate::db::write_transaction(conn, |conn| {
        let n = diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::session_epoch.eq(users::session_epoch + 1),
                users::password_must_change.eq(false),
            ))
            .execute(conn)?;
        if n != 1 {
            return Ok(None);
        }
        end_invitation_links(conn, id, now)?;
        users::table
            .find(id)
            .select(users::session_epoch)
            .first::<i64>(conn)
            .map(Some)
    })
}

/// Deactivates (`active` false) or reactivates a user; `false` when there is no
/// such user. Deactivation also deletes every session of the user, so their
/// signed-in pages end at once whichever path deactivates them.
pub fn set_active(conn: &mut Conn, id: UserId, active: bool, now: Timestamp) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let at = (!active).then(|| now.millis());
        let n = diesel::update(users::table.find(id))
            .set(users::deactivated_at.eq(at))
            .execute(conn)?;
        if n == 1 && !active {
            super::session::delete_for_user(conn, id)?;
        }
        Ok(n == 1)
    })
}

/// Sets the first password of an invited user (or replaces one), ending any
/// session and every open invitation link; `false` when there is no such user.
pub fn set_password_by_id(
    conn: &mut Conn,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> QueryResult<bool> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::session_epoch.eq(users::session_epoch + 1),
        ))
        .execute(conn)?;
    if n == 1 {
        end_invitation_links(conn, id, now)?;
    }
    Ok(n == 1)
}

/// Grants (`true`) or takes the instance admin role; `false` when there is no such
/// user. Not in the change feed: no token or session depends on it, and
/// `auth::authority::InstanceAdmin` reads it on every request.
pub fn set_instance_admin(conn: &mut Conn, id: UserId, instance_admin: bool) -> QueryResult<bool> {
    let n = diesel::update(users::table.find(id))
        .set(users::instance_admin.eq(instance_admin))
        .execute(conn)?;
    Ok(n == 1)
}

/// Serialises changes to who the active instance admins are: a write that changes
/// nothing on their rows, so it must come first in the transaction. On SQLite the
/// transaction then holds the write lock; on PostgreSQL it holds those rows' locks,
/// so two transactions that would each take away one of the last two admins run one
/// after the other, and the second counts what the first left.
pub fn lock_active_instance_admins(conn: &mut Conn) -> QueryResult<()> {
    diesel::update(
        users::table
            .filter(users::instance_admin.eq(true))
            .filter(users::deactivated_at.is_null()),
    )
    .set(users::instance_admin.eq(users::instance_admin))
    .execute(conn)?;
    Ok(())
}

/// How many accounts are instance admins and active.
pub fn active_instance_admin_count(conn: &mut Conn) -> QueryResult<i64> {
    users::table
        .filter(users::instance_admin.eq(true))
        .filter(users::deactivated_at.is_null())
        .count()
        .get_result(conn)
}

/// An account as Instance > Accounts lists it.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub created_at: Timestamp,
}

/// Every account, by user name.
pub fn list_accounts(conn: &mut Conn) -> QueryResult<Vec<Account>> {
    let rows: Vec<(UserRow, i64)> = users::table
        .select((COLUMNS, users::created_at))
        .order(users::username.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, created)| Account {
            user: r.into(),
            created_at: Timestamp::from_millis(created),
        })
        .collect())
}

/// One account, by id.
pub fn find_account(conn: &mut Conn, id: UserId) -> QueryResult<Option<Account>> {
    users::table
        .find(id)
        .select((COLUMNS, users::created_at))
        .first::<(UserRow, i64)>(conn)
        .optional()
        .map(|r| {
            r.map(|(r, created)| Account {
                user: r.into(),
                created_at: Timestamp::from_millis(created),
            })
        })
}

/// Whether an admin set the user's password, so they must choose their own at
/// their next sign-in.
pub fn password_must_change(conn: &mut Conn, id: UserId) -> QueryResult<bool> {
    users::table
        .find(id)
        .select(users::password_must_change)
        .first(conn)
}

/// Marks (or unmarks) the user's password as set by an admin: the admin paths
/// that choose someone else's password call this with `true`.
pub fn set_password_must_change(conn: &mut Conn, id: UserId, must: bool) -> QueryResult<bool> {
    let n = diesel::update(users::table.find(id))
        .set(users::password_must_change.eq(must))
        .execute(conn)?;
    Ok(n == 1)
}
