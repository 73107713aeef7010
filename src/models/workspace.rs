//! Workspaces and who belongs to them with which role.

use diesel::prelude::*;

use crate::db::schema::{memberships, users, workspaces};
use crate::db::{is_unique_violation, Conn};
use crate::domain::policy::{MaxLifetime, TokenPolicy};
use crate::domain::scope::ServiceScopes;
use crate::domain::{Role, Timestamp, UserId, WorkspaceId};

/// The name of the workspace every instance starts with.
pub const DEFAULT_WORKSPACE: &str = "default";

/// Returns the default workspace, creating it on first use.
pub fn ensure_default(conn: &mut Conn, now: Timestamp) -> QueryResult<WorkspaceId> {
    let read = |conn: &mut Conn| {
        workspaces::table
            .filter(workspaces::name.eq(DEFAULT_WORKSPACE))
            .select(workspaces::id)
            .first::<WorkspaceId>(conn)
            .optional()
    };
    if let Some(id) = read(conn)? {
        return Ok(id);
    }
    // A savepoint, so that on PostgreSQL a lost race (another instance creating
    // it at the same moment) does not abort the enclosing transaction.
    let inserted = crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(workspaces::table)
            .values((
                workspaces::id.eq(WorkspaceId::new_random()),
                workspaces::name.eq(DEFAULT_WORKSPACE),
                workspaces::created_at.eq(now.millis()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    read(conn)?.ok_or(diesel::result::Error::NotFound)
}

/// Adds `user` to `workspace` with `role`.
pub fn add_member(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
    role: Role,
    now: Timestamp,
) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::workspace_id.eq(workspace),
            memberships::user_id.eq(user),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(now.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The workspace a user acts in, with their role there: the one they joined first.
pub fn primary_membership(
    conn: &mut Conn,
    user: UserId,
) -> QueryResult<Option<(WorkspaceId, Role)>> {
    let row: Option<(WorkspaceId, String)> = memberships::table
        .filter(memberships::user_id.eq(user))
        .filter(memberships::suspended_at.is_null())
        .order(memberships::created_at.asc())
        .select((memberships::workspace_id, memberships::role))
        .first(conn)
        .optional()?;
    Ok(row.map(|(ws, role)| (ws, Role::parse(&role).unwrap_or(Role::Member))))
}

/// A workspace a user belongs to, with their role there.
#[derive(Debug, Clone)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: Role,
}

/// Every workspace `user` belongs to, the one they joined first first. A suspended
/// membership is no membership: sign-in and sessions never act in it.
pub fn memberships_of(conn: &mut Conn, user: UserId) -> QueryResult<Vec<Membership>> {
    let query = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user))
        .filter(memberships::suspended_at.is_null())
        .order((memberships::created_at.asc(), workspaces::name.asc()))
        .select((workspaces::id, workspaces::name, memberships::role));
    // Every page's signed-in check reads it: on the concrete connection.
    let rows: Vec<(WorkspaceId, String, String)> = crate::db::load(conn, query)?;
    Ok(rows
        .into_iter()
        .map(|(workspace_id, name, role)| Membership {
            workspace_id,
            workspace_name: name,
            role: Role::parse(&role).unwrap_or(Role::Member),
        })
        .collect())
}

/// Every membership of the instance with its user, by workspace name (for
/// Instance > Accounts, which shows each account's workspaces). Suspended ones are
/// left out, as [`memberships_of`] leaves them out.
pub fn all_memberships(conn: &mut Conn) -> QueryResult<Vec<(UserId, Membership)>> {
    let rows: Vec<(UserId, WorkspaceId, String, String)> = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::suspended_at.is_null())
        .order((workspaces::name.asc(), memberships::user_id.asc()))
        .select((
            memberships::user_id,
            workspaces::id,
            workspaces::name,
            memberships::role,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, workspace_id, name, role)| {
            (
                user,
                Membership {
                    workspace_id,
                    workspace_name: name,
                    role: Role::parse(&role).unwrap_or(Role::Member),
                },
            )
        })
        .collect())
}

/// `user`'s membership of `workspace`, if they belong to it and it is not suspended.
pub fn membership(
    conn: &mut Conn,
    user: UserId,
    workspace: WorkspaceId,
) -> QueryResult<Option<Membership>> {
    let row: Option<(WorkspaceId, String, String)> = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user))
        .filter(memberships::workspace_id.eq(workspace))
        .filter(memberships::suspended_at.is_null())
        .select((workspaces::id, workspaces::name, memberships::role))
        .first(conn)
        .optional()?;
    Ok(row.map(|(workspace_id, name, role)| Membership {
        workspace_id,
        workspace_name: name,
        role: Role::parse(&role).unwrap_or(Role::Member),
    }))
}

/// The workspace named `name`, if any.
pub fn find_by_name(conn: &mut Conn, name: &str) -> QueryResult<Option<WorkspaceId>> {
    workspaces::table
        .filter(workspaces::name.eq(name))
        .select(workspaces::id)
        .first(conn)
        .optional()
}

/// Creates a workspace; `None` when the name is taken.
pub fn create(conn: &mut Conn, name: &str, now: Timestamp) -> QueryResult<Option<WorkspaceId>> {
    let id = WorkspaceId::new_random();
    let inserted = crate::db::write_transaction(conn, |conn| {
        diesel::insert_into(workspaces::table)
            .values((
                workspaces::id.eq(id),
                workspaces::name.eq(name),
                workspaces::created_at.eq(now.millis()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(Some(id)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The workspace's token policy (its Workspace Settings).
pub fn policy(conn: &mut Conn, workspace: WorkspaceId) -> QueryResult<TokenPolicy> {
    let query = workspaces::table.find(workspace).select((
        workspaces::tokens_enabled,
        workspaces::members_may_generate,
        workspaces::max_lifetime_days,
        workspaces::allow_never_expires,
        workspaces::allow_legacy_tokens,
    ));
    let row: (bool, bool, i64, bool, bool) =
        crate::db::first(conn, query)?.ok_or(diesel::result::Error::NotFound)?;
    let (tokens_enabled, members_may_generate, max_days, allow_never_expires, allow_legacy) = row;
    Ok(TokenPolicy {
        tokens_enabled,
        members_may_generate,
        // Only `set_policy` writes it, from a parsed `MaxLifetime`.
        max_lifetime: MaxLifetime::from_days(max_days).unwrap_or(MaxLifetime::Unlimited),
        allow_never_expires,
        allow_legacy_tokens: allow_legacy,
    })
}

/// Stores the workspace's token policy.
pub fn set_policy(
    conn: &mut Conn,
    workspace: WorkspaceId,
    policy: &TokenPolicy,
) -> QueryResult<()> {
    diesel::update(workspaces::table.find(workspace))
        .set((
            workspaces::tokens_enabled.eq(policy.tokens_enabled),
            workspaces::members_may_generate.eq(policy.members_may_generate),
            workspaces::max_lifetime_days.eq(policy.max_lifetime.as_days()),
            workspaces::allow_never_expires.eq(policy.allow_never_expires),
            workspaces::allow_legacy_tokens.eq(policy.allow_legacy_tokens),
        ))
        .execute(conn)?;
    Ok(())
}

/// A member of a workspace as the People page shows them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub joined_at: Timestamp,
    pub deactivated_at: Option<Timestamp>,
    /// Suspended in this workspace by one of its admins (the account is untouched).
    pub suspended_at: Option<Timestamp>,
    /// Invited and not yet signed up: no password set.
    pub invited: bool,
}

/// Everyone in `workspace`, by name.
pub fn members(conn: &mut Conn, workspace: WorkspaceId) -> QueryResult<Vec<Member>> {
    type Row = (
        UserId,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        String,
    );
    let rows: Vec<Row> = memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(workspace))
        .order(users::username.asc())
        .select((
            users::id,
            users::username,
            memberships::role,
            memberships::created_at,
            users::deactivated_at,
            memberships::suspended_at,
            users::password_hash,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, username, role, joined, deactivated, suspended, hash)| Member {
                user_id: id,
                username,
                role: Role::parse(&role).unwrap_or(Role::Member),
                joined_at: Timestamp::from_millis(joined),
                deactivated_at: deactivated.map(Timestamp::from_millis),
                suspended_at: suspended.map(Timestamp::from_millis),
                invited: hash.is_empty(),
            },
        )
        .collect())
}

/// Changes a member's role; `false` when they are not a member.
pub fn set_role(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
    role: Role,
) -> QueryResult<bool> {
    let n = diesel::update(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace))
            .filter(memberships::user_id.eq(user)),
    )
    .set(memberships::role.eq(role.as_str()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes a member (their tokens stay, refused); `false` when not a member.
pub fn remove_member(conn: &mut Conn, workspace: WorkspaceId, user: UserId) -> QueryResult<bool> {
    let n = diesel::delete(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace))
            .filter(memberships::user_id.eq(user)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Suspends (`true`) or restores a membership; `false` when not a member.
pub fn set_suspended(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
    suspended: bool,
    at: Timestamp,
) -> QueryResult<bool> {
    let n = diesel::update(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace))
            .filter(memberships::user_id.eq(user)),
    )
    .set(memberships::suspended_at.eq(suspended.then(|| at.millis())))
    .execute(conn)?;
    Ok(n == 1)
}

/// How many active admins `workspace` has (see [`active_admin_names`]); a workspace
/// has a handful, so counting their names costs nothing.
pub fn active_admin_count(conn: &mut Conn, workspace: WorkspaceId) -> QueryResult<i64> {
    Ok(active_admin_names(conn, workspace)?.len() as i64)
}

/// The user names of `workspace`'s active admins, by name: account active,
/// membership not suspended, invitation accepted. Whom a member may ask to change
/// the workspace's settings, and what the last-admin rule counts.
pub fn active_admin_names(conn: &mut Conn, workspace: WorkspaceId) -> QueryResult<Vec<String>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(workspace))
        .filter(memberships::role.eq(Role::Admin.as_str()))
        .filter(users::deactivated_at.is_null())
        .filter(memberships::suspended_at.is_null())
        // An invitation not yet accepted (no password) cannot stand in as an admin.
        .filter(users::password_hash.ne(""))
        .order(users::username.asc())
        .select(users::username)
        .load(conn)
}

/// Every workspace by name, with how many members it has.
pub fn list_with_member_counts(conn: &mut Conn) -> QueryResult<Vec<(String, i64)>> {
    let names: Vec<(WorkspaceId, String)> = workspaces::table
        .order(workspaces::name.asc())
        .select((workspaces::id, workspaces::name))
        .load(conn)?;
    names
        .into_iter()
        .map(|(id, name)| {
            let n = memberships::table
                .filter(memberships::workspace_id.eq(id))
                .count()
                .get_result::<i64>(conn)?;
            Ok((name, n))
        })
        .collect()
}

/// How a user stands in a workspace, as a token acting there needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub username: String,
    pub workspace_name: String,
    pub role: Role,
    pub active: bool,
    pub tokens_enabled: bool,
    /// The service scopes the workspace defines now.
    pub service_scopes: ServiceScopes,
}

/// `user`'s standing in `workspace`, in one read; `None` when they are not a member,
/// their membership is suspended (or either is gone).
pub fn standing(
    conn: &mut Conn,
    user: UserId,
    workspace: WorkspaceId,
) -> QueryResult<Option<Standing>> {
    let row = memberships::table
        .inner_join(users::table)
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user))
        .filter(memberships::workspace_id.eq(workspace))
        .filter(memberships::suspended_at.is_null())
        .select((
            users::username,
            users::deactivated_at,
            memberships::role,
            workspaces::name,
            workspaces::tokens_enabled,
            workspaces::service_scopes,
            workspaces::member_service_scopes,
        ))
        .first::<(String, Option<i64>, String, String, bool, String, String)>(conn)
        .optional()?;
    Ok(row.and_then(
        |(username, deactivated, role, workspace_name, tokens_enabled, all, members)| {
            Some(Standing {
                username,
                workspace_name,
                role: Role::parse(&role)?,
                active: deactivated.is_none(),
                tokens_enabled,
                service_scopes: ServiceScopes::from_stored(&all, &members),
            })
        },
    ))
}

/// The service scopes `workspace` defines (see `domain::scope`).
pub fn service_scopes(conn: &mut Conn, workspace: WorkspaceId) -> QueryResult<ServiceScopes> {
    let query = workspaces::table.find(workspace).select((
        workspaces::service_scopes,
        workspaces::member_service_scopes,
    ));
    let (all, members): (String, String) =
        crate::db::first(conn, query)?.ok_or(diesel::result::Error::NotFound)?;
    Ok(ServiceScopes::from_stored(&all, &members))
}

/// Stores the service scopes of `workspace`.
pub fn set_service_scopes(
    conn: &mut Conn,
    workspace: WorkspaceId,
    scopes: &ServiceScopes,
) -> QueryResult<()> {
    let (all, members) = scopes.to_stored();
    diesel::update(workspaces::table.find(workspace))
        .set((
            workspaces::service_scopes.eq(all),
            workspaces::member_service_scopes.eq(members),
        ))
        .execute(conn)?;
    Ok(())
}
