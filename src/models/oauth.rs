//! OAuth API tokens as stored: grants (one per generated token) and every refresh
//! token issued for them, by digest, with when it was rotated.

use diesel::prelude::*;

use crate::db::schema::{memberships, oauth_grants, oauth_refresh_tokens, users, workspaces};
use crate::db::Conn;
use crate::domain::oauth::GrantId;
use crate::domain::{Role, SecretDigest, Timestamp, UserId, WorkspaceId};

/// A grant as stored.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: GrantId,
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

type GrantRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

type Columns = (
    oauth_grants::id,
    oauth_grants::user_id,
    oauth_grants::workspace_id,
    oauth_grants::name,
    oauth_grants::created_at,
    oauth_grants::expires_at,
    oauth_grants::disabled_at,
    oauth_grants::last_used_at,
);

const COLUMNS: Columns = (
    oauth_grants::id,
    oauth_grants::user_id,
    oauth_grants::workspace_id,
    oauth_grants::name,
    oauth_grants::created_at,
    oauth_grants::expires_at,
    oauth_grants::disabled_at,
    oauth_grants::last_used_at,
);

fn grant(r: GrantRow) -> Grant {
    Grant {
        id: r.0.parse().expect("grant ids are stored as UUIDs"),
        user_id: UserId::parse(&r.1).expect("user ids are stored as UUIDs"),
        workspace_id: WorkspaceId::parse(&r.2).expect("workspace ids are stored as UUIDs"),
        name: r.3,
        created_at: Timestamp::from_millis(r.4),
        expires_at: Timestamp::from_millis(r.5),
        disabled_at: r.6.map(Timestamp::from_millis),
        last_used_at: r.7.map(Timestamp::from_millis),
    }
}

/// Stores a new grant and its first refresh token.
pub fn insert(conn: &mut Conn, new: &Grant, refresh: &SecretDigest) -> QueryResult<()> {
    diesel::insert_into(oauth_grants::table)
        .values((
            oauth_grants::id.eq(new.id.to_string()),
            oauth_grants::user_id.eq(new.user_id.to_string()),
            oauth_grants::workspace_id.eq(new.workspace_id.to_string()),
            oauth_grants::name.eq(&new.name),
            oauth_grants::created_at.eq(new.created_at.millis()),
            oauth_grants::expires_at.eq(new.expires_at.millis()),
        ))
        .execute(conn)?;
    insert_refresh(conn, new.id, refresh, new.created_at)
}

/// Records a newly issued refresh token of `grant`.
pub fn insert_refresh(
    conn: &mut Conn,
    grant: GrantId,
    digest: &SecretDigest,
    at: Timestamp,
) -> QueryResult<()> {
    diesel::insert_into(oauth_refresh_tokens::table)
        .values((
            oauth_refresh_tokens::digest.eq(digest.as_bytes()),
            oauth_refresh_tokens::grant_id.eq(grant.to_string()),
            oauth_refresh_tokens::issued_at.eq(at.millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the refresh token `digest` of `grant` rotated, if it is still current.
/// `true` when this call rotated it: exactly one of two racing refreshes wins. A
/// write first, so that on SQLite the transaction holds the write lock from its
/// first statement (no read lock to upgrade).
pub fn rotate(
    conn: &mut Conn,
    grant: GrantId,
    digest: &SecretDigest,
    at: Timestamp,
) -> QueryResult<bool> {
    let n = diesel::update(
        oauth_refresh_tokens::table
            .find(digest.as_bytes())
            .filter(oauth_refresh_tokens::grant_id.eq(grant.to_string()))
            .filter(oauth_refresh_tokens::rotated_at.is_null()),
    )
    .set(oauth_refresh_tokens::rotated_at.eq(at.millis()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether `digest` is a refresh token `grant` issued before (rotated since).
pub fn was_issued(conn: &mut Conn, grant: GrantId, digest: &SecretDigest) -> QueryResult<bool> {
    let n: i64 = oauth_refresh_tokens::table
        .find(digest.as_bytes())
        .filter(oauth_refresh_tokens::grant_id.eq(grant.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// Whether `digest` is the current (not rotated) refresh token of `grant`.
pub fn is_current(conn: &mut Conn, grant: GrantId, digest: &SecretDigest) -> QueryResult<bool> {
    let n: i64 = oauth_refresh_tokens::table
        .find(digest.as_bytes())
        .filter(oauth_refresh_tokens::grant_id.eq(grant.to_string()))
        .filter(oauth_refresh_tokens::rotated_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// A grant with what refreshing needs to know about its owner and workspace.
pub struct GrantForRefresh {
    pub grant: Grant,
    pub owner_name: String,
    pub owner_active: bool,
    /// `None`: no longer a member of the grant's workspace.
    pub owner_role: Option<Role>,
    pub workspace_name: String,
    pub tokens_enabled: bool,
}

type RefreshRow = (GrantRow, String, Option<i64>, Option<String>, String, bool);

/// The grant, its owner, their membership and the workspace, in one read.
pub fn find_for_refresh(conn: &mut Conn, id: GrantId) -> QueryResult<Option<GrantForRefresh>> {
    oauth_grants::table
        .find(id.to_string())
        .inner_join(users::table)
        .inner_join(workspaces::table)
        .left_join(
            memberships::table.on(memberships::workspace_id
                .eq(oauth_grants::workspace_id)
                .and(memberships::user_id.eq(oauth_grants::user_id))),
        )
        .select((
            COLUMNS,
            users::username,
            users::deactivated_at,
            memberships::role.nullable(),
            workspaces::name,
            workspaces::tokens_enabled,
        ))
        .first::<RefreshRow>(conn)
        .optional()
        .map(|r| {
            r.map(
                |(row, owner_name, deactivated, role, workspace_name, on)| GrantForRefresh {
                    grant: grant(row),
                    owner_name,
                    owner_active: deactivated.is_none(),
                    owner_role: role.as_deref().and_then(Role::parse),
                    workspace_name,
                    tokens_enabled: on,
                },
            )
        })
}

/// Records a use of the grant (a refresh).
pub fn touch(conn: &mut Conn, id: GrantId, at: Timestamp) -> QueryResult<()> {
    diesel::update(oauth_grants::table.find(id.to_string()))
        .set(oauth_grants::last_used_at.eq(at.millis()))
        .execute(conn)?;
    Ok(())
}

/// Disables a grant unless it already is; `true` when this call did it.
pub fn disable(conn: &mut Conn, id: GrantId, at: Timestamp) -> QueryResult<bool> {
    let n = diesel::update(
        oauth_grants::table
            .find(id.to_string())
            .filter(oauth_grants::disabled_at.is_null()),
    )
    .set(oauth_grants::disabled_at.eq(at.millis()))
    .execute(conn)?;
    Ok(n == 1)
}

/// A user's grants in a workspace, newest first.
pub fn list_for_owner(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<Vec<Grant>> {
    oauth_grants::table
        .filter(oauth_grants::workspace_id.eq(workspace.to_string()))
        .filter(oauth_grants::user_id.eq(user.to_string()))
        .order((oauth_grants::created_at.desc(), oauth_grants::id.desc()))
        .select(COLUMNS)
        .load::<GrantRow>(conn)
        .map(|rows| rows.into_iter().map(grant).collect())
}

/// One of a user's grants; `None` for an unknown id or someone else's.
pub fn find_for_owner(
    conn: &mut Conn,
    id: GrantId,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<Option<Grant>> {
    oauth_grants::table
        .find(id.to_string())
        .filter(oauth_grants::workspace_id.eq(workspace.to_string()))
        .filter(oauth_grants::user_id.eq(user.to_string()))
        .select(COLUMNS)
        .first::<GrantRow>(conn)
        .optional()
        .map(|r| r.map(grant))
}

/// A grant by id, whoever owns it.
pub fn find(conn: &mut Conn, id: GrantId) -> QueryResult<Option<Grant>> {
    oauth_grants::table
        .find(id.to_string())
        .select(COLUMNS)
        .first::<GrantRow>(conn)
        .optional()
        .map(|r| r.map(grant))
}

/// Deletes a grant (and its refresh tokens); `false` when there was none.
pub fn delete(conn: &mut Conn, id: GrantId) -> QueryResult<bool> {
    // Refresh tokens first: foreign keys are not enforced everywhere alike.
    diesel::delete(
        oauth_refresh_tokens::table.filter(oauth_refresh_tokens::grant_id.eq(id.to_string())),
    )
    .execute(conn)?;
    let n = diesel::delete(oauth_grants::table.find(id.to_string())).execute(conn)?;
    Ok(n == 1)
}
