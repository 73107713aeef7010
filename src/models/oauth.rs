//! OAuth API tokens as stored: grants (one per generated token) and every refresh
//! token issued for them, by digest, with when it was rotated; grants in a scope
//! for bulk actions, and the admin's filtered, sorted, paged view.

use diesel::prelude::*;

use crate::db::schema::{memberships, oauth_grants, oauth_refresh_tokens, users, workspaces};
use crate::db::Conn;
use crate::domain::grant_query::GrantQuery;
use crate::domain::oauth::{GrantId, GrantStatus};
use crate::domain::scope::ScopeSet;
use crate::domain::token_query::{SortKey, SortOrder};
use crate::domain::{Role, SecretDigest, Timestamp, UserId, WorkspaceId};

use super::token::scope_pattern;

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
    /// What its access tokens may do (see `domain::scope`).
    pub scopes: ScopeSet,
}

type GrantRow = (
    GrantId,
    UserId,
    WorkspaceId,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    String,
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
    oauth_grants::scopes,
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
    oauth_grants::scopes,
);

fn grant(r: GrantRow) -> Grant {
    Grant {
        id: r.0,
        user_id: r.1,
        workspace_id: r.2,
        name: r.3,
        created_at: Timestamp::from_millis(r.4),
        expires_at: Timestamp::from_millis(r.5),
        disabled_at: r.6.map(Timestamp::from_millis),
        last_used_at: r.7.map(Timestamp::from_millis),
        scopes: ScopeSet::from_stored(Some(&r.8)),
    }
}

/// Stores a new grant and its first refresh token.
pub fn insert(conn: &mut Conn, new: &Grant, refresh: &SecretDigest) -> QueryResult<()> {
    diesel::insert_into(oauth_grants::table)
        .values((
            oauth_grants::id.eq(new.id),
            oauth_grants::user_id.eq(new.user_id),
            oauth_grants::workspace_id.eq(new.workspace_id),
            oauth_grants::name.eq(&new.name),
            oauth_grants::created_at.eq(new.created_at.millis()),
            oauth_grants::expires_at.eq(new.expires_at.millis()),
            oauth_grants::scopes.eq(new.scopes.to_stored()),
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
            oauth_refresh_tokens::grant_id.eq(grant),
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
            .filter(oauth_refresh_tokens::grant_id.eq(grant))
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
        .filter(oauth_refresh_tokens::grant_id.eq(grant))
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// Whether `digest` is the current (not rotated) refresh token of `grant`.
pub fn is_current(conn: &mut Conn, grant: GrantId, digest: &SecretDigest) -> QueryResult<bool> {
    let n: i64 = oauth_refresh_tokens::table
        .find(digest.as_bytes())
        .filter(oauth_refresh_tokens::grant_id.eq(grant))
        .filter(oauth_refresh_tokens::rotated_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// When the refresh token `digest` of `grant` was issued, if it is the current
/// one (not rotated); `None` otherwise.
pub fn current_issued_at(
    conn: &mut Conn,
    grant: GrantId,
    digest: &SecretDigest,
) -> QueryResult<Option<Timestamp>> {
    oauth_refresh_tokens::table
        .find(digest.as_bytes())
        .filter(oauth_refresh_tokens::grant_id.eq(grant))
        .filter(oauth_refresh_tokens::rotated_at.is_null())
        .select(oauth_refresh_tokens::issued_at)
        .first::<i64>(conn)
        .optional()
        .map(|at| at.map(Timestamp::from_millis))
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
        .find(id)
        .inner_join(users::table)
        .inner_join(workspaces::table)
        .left_join(
            // A suspended membership is no membership: the token stops there.
            memberships::table.on(memberships::workspace_id
                .eq(oauth_grants::workspace_id)
                .and(memberships::user_id.eq(oauth_grants::user_id))
                .and(memberships::suspended_at.is_null())),
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
    diesel::update(oauth_grants::table.find(id))
        .set(oauth_grants::last_used_at.eq(at.millis()))
        .execute(conn)?;
    Ok(())
}

/// Disables a grant unless it already is; `true` when this call did it.
pub fn disable(conn: &mut Conn, id: GrantId, at: Timestamp) -> QueryResult<bool> {
    let n = diesel::update(
        oauth_grants::table
            .find(id)
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
        .filter(oauth_grants::workspace_id.eq(workspace))
        .filter(oauth_grants::user_id.eq(user))
        .order((oauth_grants::created_at.desc(), oauth_grants::id.desc()))
        .select(COLUMNS)
        .load::<GrantRow>(conn)
        .map(|rows| rows.into_iter().map(grant).collect())
}

/// A grant by id, whoever owns it.
pub fn find(conn: &mut Conn, id: GrantId) -> QueryResult<Option<Grant>> {
    oauth_grants::table
        .find(id)
        .select(COLUMNS)
        .first::<GrantRow>(conn)
        .optional()
        .map(|r| r.map(grant))
}

/// Deletes a grant (and its refresh tokens); `false` when there was none.
pub fn delete(conn: &mut Conn, id: GrantId) -> QueryResult<bool> {
    // Refresh tokens first: foreign keys are not enforced everywhere alike.
    diesel::delete(oauth_refresh_tokens::table.filter(oauth_refresh_tokens::grant_id.eq(id)))
        .execute(conn)?;
    let n = diesel::delete(oauth_grants::table.find(id)).execute(conn)?;
    Ok(n == 1)
}

// ---------------------------------------------------------------------------
// Bulk actions and the admin view: grants in a scope, with their owners
// ---------------------------------------------------------------------------

/// Bound IN lists: SQLite's variable limit, PostgreSQL's plan size.
const CHUNK: usize = 500;

/// A grant with its owner's username.
#[derive(Debug, Clone)]
pub struct OwnedGrant {
    pub grant: Grant,
    pub owner_username: String,
}

/// Which grants a bulk action may reach: every grant of a workspace, or only one
/// user's there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantScope {
    pub workspace: WorkspaceId,
    /// `None`: whoever owns them.
    pub owner: Option<UserId>,
}

type Backend = <Conn as diesel::Connection>::Backend;
type Joined<'a> =
    diesel::dsl::IntoBoxed<'a, diesel::dsl::InnerJoin<oauth_grants::table, users::table>, Backend>;

fn owned((row, owner_username): (GrantRow, String)) -> OwnedGrant {
    OwnedGrant {
        grant: grant(row),
        owner_username,
    }
}

/// The grants of `scope`, with their owners, unfiltered otherwise.
fn in_scope<'a>(scope: GrantScope) -> Joined<'a> {
    let mut q = oauth_grants::table
        .inner_join(users::table)
        .filter(oauth_grants::workspace_id.eq(scope.workspace))
        .into_boxed();
    if let Some(owner) = scope.owner {
        q = q.filter(oauth_grants::user_id.eq(owner));
    }
    q
}

/// Locks those of `ids` that are in `scope` with a write that changes nothing, so
/// that what the same transaction reads of them next stays true until it commits:
/// on SQLite the transaction holds the write lock from this first statement (no
/// read lock to upgrade later), on PostgreSQL it holds those rows' locks (a racing
/// disable or delete waits, then finds them as this one left them).
pub fn lock_in_scope(conn: &mut Conn, scope: GrantScope, ids: &[GrantId]) -> QueryResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let target = oauth_grants::table
            .filter(oauth_grants::workspace_id.eq(scope.workspace))
            .filter(oauth_grants::id.eq_any(chunk));
        let same = oauth_grants::disabled_at.eq(oauth_grants::disabled_at);
        match scope.owner {
            Some(owner) => diesel::update(target.filter(oauth_grants::user_id.eq(owner)))
                .set(same)
                .execute(conn)?,
            None => diesel::update(target).set(same).execute(conn)?,
        };
    }
    Ok(())
}

/// Those of `ids` that are in `scope`, with their owners, in no particular order.
pub fn find_in_scope(
    conn: &mut Conn,
    scope: GrantScope,
    ids: &[GrantId],
) -> QueryResult<Vec<OwnedGrant>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows = in_scope(scope)
            .filter(oauth_grants::id.eq_any(chunk))
            .select((COLUMNS, users::username))
            .load::<(GrantRow, String)>(conn)?;
        found.extend(rows.into_iter().map(owned));
    }
    Ok(found)
}

/// Disables those of `ids` not disabled yet; returns how many it disabled.
pub fn disable_ids(conn: &mut Conn, ids: &[GrantId], at: Timestamp) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in ids.chunks(CHUNK) {
        n += diesel::update(
            oauth_grants::table
                .filter(oauth_grants::id.eq_any(chunk))
                .filter(oauth_grants::disabled_at.is_null()),
        )
        .set(oauth_grants::disabled_at.eq(at.millis()))
        .execute(conn)?;
    }
    Ok(n)
}

/// Deletes the grants `ids` and their refresh tokens; returns how many grants.
pub fn delete_ids(conn: &mut Conn, ids: &[GrantId]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in ids.chunks(CHUNK) {
        // Refresh tokens first: foreign keys are not enforced everywhere alike.
        diesel::delete(
            oauth_refresh_tokens::table.filter(oauth_refresh_tokens::grant_id.eq_any(chunk)),
        )
        .execute(conn)?;
        n += diesel::delete(oauth_grants::table.filter(oauth_grants::id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(n)
}

diesel::define_sql_function! {
    /// SQL `lower(text)`: Unicode-aware on PostgreSQL, ASCII letters only on SQLite.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `text` as a LIKE pattern that matches it anywhere, its own `%`, `_` and `\`
/// taken literally (with `ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The grants of `workspace` that `query`'s owner, status, name and scope select,
/// unsorted.
fn filtered<'a>(workspace: WorkspaceId, query: &'a GrantQuery, now: Timestamp) -> Joined<'a> {
    let mut q = in_scope(GrantScope {
        workspace,
        owner: None,
    });
    if let Some(owner) = &query.owner {
        q = q.filter(users::username.eq(owner));
    }
    if let Some(name) = &query.name {
        q = q.filter(
            lower(oauth_grants::name)
                .like(lower(contains_pattern(name)))
                .escape('\\'),
        );
    }
    if let Some(scope) = &query.scope {
        let padded = " ".into_sql::<diesel::sql_types::Text>();
        let padded = padded.concat(oauth_grants::scopes).concat(" ");
        q = q.filter(padded.like(scope_pattern(scope)).escape('\\'));
    }
    // As GrantStatus::at: disabled wins over expired.
    let now_ms = now.millis();
    q = match query.status {
        None => q,
        Some(GrantStatus::Active) => q
            .filter(oauth_grants::disabled_at.is_null())
            .filter(oauth_grants::expires_at.gt(now_ms)),
        Some(GrantStatus::Disabled) => q.filter(oauth_grants::disabled_at.is_not_null()),
        Some(GrantStatus::Expired) => q
            .filter(oauth_grants::disabled_at.is_null())
            .filter(oauth_grants::expires_at.le(now_ms)),
    };
    q
}

/// One page of `workspace`'s grants as `query` asks, and how many match in all.
/// Sorted as the legacy admin view sorts: ties by id, so paging is stable; a grant
/// never refreshed counts as used longest ago.
pub fn list_in_workspace(
    conn: &mut Conn,
    workspace: WorkspaceId,
    query: &GrantQuery,
    now: Timestamp,
) -> QueryResult<(Vec<OwnedGrant>, i64)> {
    let total: i64 = filtered(workspace, query, now).count().get_result(conn)?;
    let q = filtered(workspace, query, now);
    let asc = query.order == SortOrder::Asc;
    let q = match (query.sort, asc) {
        (SortKey::Created, true) => q.order(oauth_grants::created_at.asc()),
        (SortKey::Created, false) => q.order(oauth_grants::created_at.desc()),
        (SortKey::Owner, true) => q
            .order(users::username.asc())
            .then_order_by(oauth_grants::created_at.desc()),
        (SortKey::Owner, false) => q
            .order(users::username.desc())
            .then_order_by(oauth_grants::created_at.desc()),
        (SortKey::Expires, true) => q.order(oauth_grants::expires_at.asc()),
        (SortKey::Expires, false) => q.order(oauth_grants::expires_at.desc()),
        (SortKey::LastUsed, true) => q
            .order(oauth_grants::last_used_at.is_null().desc())
            .then_order_by(oauth_grants::last_used_at.asc()),
        (SortKey::LastUsed, false) => q
            .order(oauth_grants::last_used_at.is_null().asc())
            .then_order_by(oauth_grants::last_used_at.desc()),
    };
    let q = if asc {
        q.then_order_by(oauth_grants::id.asc())
    } else {
        q.then_order_by(oauth_grants::id.desc())
    };
    let rows = q
        .select((COLUMNS, users::username))
        .limit(query.limit)
        .offset(query.offset)
        .load::<(GrantRow, String)>(conn)?;
    Ok((rows.into_iter().map(owned).collect(), total))
}
