//! API access tokens as stored: digest of the secret, owner, workspace and times.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{api_tokens, memberships, users};
use crate::db::Conn;
use crate::domain::scope::{ScopeName, ScopeSet};
use crate::domain::token_query::{self, SortKey, SortOrder, StatusFilter, TokenQuery};
use crate::domain::{Description, Role, SecretDigest, Timestamp, TokenId, UserId, WorkspaceId};

/// A token as stored, without its secret.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub description: Option<Description>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    /// What the token may do (see `domain::scope`).
    pub scopes: ScopeSet,
}

#[derive(Queryable)]
pub(super) struct TokenRow {
    id: TokenId,
    user_id: UserId,
    workspace_id: WorkspaceId,
    description: Option<String>,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    scopes: String,
}

pub(super) type Columns = (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::workspace_id,
    api_tokens::description,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
    api_tokens::scopes,
);

pub(super) const COLUMNS: Columns = (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::workspace_id,
    api_tokens::description,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
    api_tokens::scopes,
);

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            user_id: r.user_id,
            workspace_id: r.workspace_id,
            description: r.description.map(Description::from_stored),
            created_at: Timestamp::from_millis(r.created_at),
            expires_at: r.expires_at.map(Timestamp::from_millis),
            last_used_at: r.last_used_at.map(Timestamp::from_millis),
            scopes: ScopeSet::from_stored(Some(&r.scopes)),
        }
    }
}

/// What a new token is made of; the digest is of a secret that only the caller saw.
pub struct NewToken<'a> {
    pub id: TokenId,
    pub user_id: UserId,
    pub workspace_id: WorkspaceId,
    pub description: Option<&'a Description>,
    pub digest: &'a SecretDigest,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub scopes: &'a ScopeSet,
}

pub fn insert(conn: &mut Conn, new: NewToken<'_>) -> QueryResult<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(new.id),
            api_tokens::user_id.eq(new.user_id),
            api_tokens::workspace_id.eq(new.workspace_id),
            api_tokens::description.eq(new.description.map(Description::as_str)),
            api_tokens::secret_digest.eq(new.digest.as_bytes()),
            api_tokens::created_at.eq(new.created_at.millis()),
            api_tokens::expires_at.eq(new.expires_at.map(Timestamp::millis)),
            api_tokens::scopes.eq(new.scopes.to_stored()),
        ))
        .execute(conn)?;
    Ok(ApiToken {
        id: new.id,
        user_id: new.user_id,
        workspace_id: new.workspace_id,
        description: new.description.cloned(),
        created_at: new.created_at,
        expires_at: new.expires_at,
        last_used_at: None,
        scopes: new.scopes.clone(),
    })
}

/// A user's tokens in a workspace, newest first.
pub fn list_for_owner(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<Vec<ApiToken>> {
    // The owner's columns are the filter's values: not read back for every row.
    let query = api_tokens::table
        .filter(api_tokens::workspace_id.eq(workspace))
        .filter(api_tokens::user_id.eq(user))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select((
            api_tokens::id,
            api_tokens::description,
            api_tokens::created_at,
            api_tokens::expires_at,
            api_tokens::last_used_at,
            api_tokens::scopes,
        ));
    type Own = (
        TokenId,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
        String,
    );
    let rows: Vec<Own> = crate::db::load(conn, query)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, description, created_at, expires_at, last_used_at, scopes)| {
                ApiToken::from(TokenRow {
                    id,
                    user_id: user,
                    workspace_id: workspace,
                    description,
                    created_at,
                    expires_at,
                    last_used_at,
                    scopes,
                })
            },
        )
        .collect())
}

/// One of a user's tokens; `None` for an unknown id or someone else's token.
pub fn find_for_owner(
    conn: &mut Conn,
    id: TokenId,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .filter(api_tokens::workspace_id.eq(workspace))
        .filter(api_tokens::user_id.eq(user))
        .select(COLUMNS)
        .first::<TokenRow>(conn)
        .optional()
        .map(|r| r.map(ApiToken::from))
}

/// Deletes one of a user's tokens; `false` for an unknown id or someone else's token.
pub fn delete_for_owner(
    conn: &mut Conn,
    id: TokenId,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<bool> {
    let n = diesel::delete(
        api_tokens::table
            .find(id)
            .filter(api_tokens::workspace_id.eq(workspace))
            .filter(api_tokens::user_id.eq(user)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes every token of `user` in `workspace` (they leave it); returns their ids.
pub fn delete_all_of_member(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
) -> QueryResult<Vec<TokenId>> {
    let owned = api_tokens::table
        .filter(api_tokens::workspace_id.eq(workspace))
        .filter(api_tokens::user_id.eq(user));
    let ids: Vec<TokenId> = owned.select(api_tokens::id).load(conn)?;
    diesel::delete(owned).execute(conn)?;
    Ok(ids)
}

/// Sets the token's "last used".
pub fn touch(conn: &mut Conn, id: TokenId, at: Timestamp) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(at.millis()))
        .execute(conn)?;
    Ok(())
}

/// Records uses of tokens, in one transaction. A use never moves a token's "last
/// used" backwards: another instance may have recorded a later one.
pub fn touch_many(conn: &mut Conn, uses: &[(TokenId, Timestamp)]) -> QueryResult<()> {
    // Rows locked in one order (by id) on every instance: two instances writing
    // uses of the same tokens then wait for each other, where in any other order
    // PostgreSQL finds a deadlock and aborts one of them.
    let mut uses: Vec<&(TokenId, Timestamp)> = uses.iter().collect();
    uses.sort_unstable_by_key(|(id, _)| *id);
    crate::db::write_transaction(conn, |conn| {
        for (id, at) in &uses {
            diesel::update(
                api_tokens::table.find(id).filter(
                    api_tokens::last_used_at
                        .is_null()
                        .or(api_tokens::last_used_at.lt(at.millis())),
                ),
            )
            .set(api_tokens::last_used_at.eq(at.millis()))
            .execute(conn)?;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// The admin view: every token of a workspace, with its owner
// ---------------------------------------------------------------------------

/// A token with its owner's username, for the admin view.
#[derive(Debug, Clone)]
pub struct OwnedToken {
    pub token: ApiToken,
    pub owner_username: String,
}

/// A token an admin deleted: enough to audit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedToken {
    pub id: TokenId,
    pub owner_id: UserId,
    pub owner_username: String,
}

type Backend = <Conn as diesel::Connection>::Backend;
type Filtered<'a> =
    diesel::dsl::IntoBoxed<'a, diesel::dsl::InnerJoin<api_tokens::table, users::table>, Backend>;

/// The `LIKE` pattern that finds `name` as a whole name in a scopes column padded
/// with a space on each side (`' ' || scopes || ' '`), on SQLite and PostgreSQL
/// alike: `_`, which scope names may hold, is a `LIKE` wildcard, so it is escaped
/// (with `\`, which no scope name holds, nor `%`); names are lower case, so SQLite's
/// case-blind `LIKE` cannot match another.
pub(super) fn scope_pattern(name: &ScopeName) -> String {
    let mut pattern = "% ".to_owned();
    for c in name.as_str().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push_str(" %");
    pattern
}

/// The tokens of `workspace` that `query`'s owner, status and scope select,
/// unsorted.
fn filtered<'a>(workspace: WorkspaceId, query: &'a TokenQuery, now: Timestamp) -> Filtered<'a> {
    let mut q = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::workspace_id.eq(workspace))
        .into_boxed();
    if let Some(owner) = &query.owner {
        q = q.filter(users::username.eq(owner));
    }
    if let Some(scope) = &query.scope {
        let padded = " "
            .into_sql::<Text>()
            .concat(api_tokens::scopes)
            .concat(" ");
        q = q.filter(padded.like(scope_pattern(scope)).escape('\\'));
    }
    let now_ms = now.millis();
    q = match query.status {
        None => q,
        Some(StatusFilter::Active) => q.filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now_ms)),
        ),
        Some(StatusFilter::Expired) => q.filter(api_tokens::expires_at.le(now_ms)),
        Some(StatusFilter::ExpiresSoon) => q
            .filter(api_tokens::expires_at.gt(now_ms))
            .filter(api_tokens::expires_at.le(token_query::soon_limit(now).millis())),
        Some(StatusFilter::NeverExpires) => q.filter(api_tokens::expires_at.is_null()),
        Some(StatusFilter::NotUsed90Days) => {
            let since = token_query::unused_since(now).millis();
            q.filter(
                api_tokens::last_used_at
                    .lt(since)
                    .or(api_tokens::last_used_at
                        .is_null()
                        .and(api_tokens::created_at.lt(since))),
            )
        }
    };
    q
}

/// One page of `workspace`'s tokens as `query` asks, and how many match in all.
/// Ties are broken by id, so paging is stable. Nulls sort the same on every backend:
/// "never expires" as the latest expiry, "never used" as the oldest use.
pub fn list_in_workspace(
    conn: &mut Conn,
    workspace: WorkspaceId,
    query: &TokenQuery,
    now: Timestamp,
) -> QueryResult<(Vec<OwnedToken>, i64)> {
    let total: i64 = filtered(workspace, query, now).count().get_result(conn)?;
    let q = filtered(workspace, query, now);
    let asc = query.order == SortOrder::Asc;
    let q = match (query.sort, asc) {
        (SortKey::Created, true) => q.order(api_tokens::created_at.asc()),
        (SortKey::Created, false) => q.order(api_tokens::created_at.desc()),
        (SortKey::Owner, true) => q
            .order(users::username.asc())
            .then_order_by(api_tokens::created_at.desc()),
        (SortKey::Owner, false) => q
            .order(users::username.desc())
            .then_order_by(api_tokens::created_at.desc()),
        (SortKey::Expires, true) => q
            .order(api_tokens::expires_at.is_null().asc())
            .then_order_by(api_tokens::expires_at.asc()),
        (SortKey::Expires, false) => q
            .order(api_tokens::expires_at.is_null().desc())
            .then_order_by(api_tokens::expires_at.desc()),
        (SortKey::LastUsed, true) => q
            .order(api_tokens::last_used_at.is_null().desc())
            .then_order_by(api_tokens::last_used_at.asc()),
        (SortKey::LastUsed, false) => q
            .order(api_tokens::last_used_at.is_null().asc())
            .then_order_by(api_tokens::last_used_at.desc()),
    };
    let q = if asc {
        q.then_order_by(api_tokens::id.asc())
    } else {
        q.then_order_by(api_tokens::id.desc())
    };
    let rows = q
        .select((COLUMNS, users::username))
        .limit(query.limit)
        .offset(query.offset)
        .load::<(TokenRow, String)>(conn)?;
    let tokens = rows
        .into_iter()
        .map(|(row, owner_username)| OwnedToken {
            token: row.into(),
            owner_username,
        })
        .collect();
    Ok((tokens, total))
}

/// Deletes those of `ids` that belong to `workspace`, whoever owns them; returns
/// what was deleted. Ids of other workspaces, or unknown, are left out.
pub fn delete_in_workspace(
    conn: &mut Conn,
    workspace: WorkspaceId,
    ids: &[TokenId],
) -> QueryResult<Vec<DeletedToken>> {
    crate::db::write_transaction(conn, |conn| {
        let mut found: Vec<(TokenId, UserId, String)> = Vec::new();
        // Bounded IN lists: SQLite's variable limit, PostgreSQL's plan size.
        for chunk in ids.chunks(500) {
            let part: Vec<(TokenId, UserId, String)> = api_tokens::table
                .inner_join(users::table)
                .filter(api_tokens::workspace_id.eq(workspace))
                .filter(api_tokens::id.eq_any(chunk))
                .select((api_tokens::id, users::id, users::username))
                .load(conn)?;
            let part_ids: Vec<TokenId> = part.iter().map(|(id, _, _)| *id).collect();
            diesel::delete(
                api_tokens::table
                    .filter(api_tokens::workspace_id.eq(workspace))
                    .filter(api_tokens::id.eq_any(part_ids)),
            )
            .execute(conn)?;
            found.extend(part);
        }
        Ok(found
            .into_iter()
            .map(|(id, owner_id, owner_username)| DeletedToken {
                id,
                owner_id,
                owner_username,
            })
            .collect())
    })
}

/// Those of `ids` that are tokens of `workspace`, with their owners, newest first.
pub fn find_in_workspace(
    conn: &mut Conn,
    workspace: WorkspaceId,
    ids: &[TokenId],
) -> QueryResult<Vec<OwnedToken>> {
    let rows = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::workspace_id.eq(workspace))
        .filter(api_tokens::id.eq_any(ids))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select((COLUMNS, users::username))
        .load::<(TokenRow, String)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, owner_username)| OwnedToken {
            token: row.into(),
            owner_username,
        })
        .collect())
}

/// A live token of a workspace as the workspace policy sees it: whose (with their
/// role there), and for how long it was made.
pub struct PolicySubject {
    pub id: TokenId,
    pub owner_id: UserId,
    pub owner_role: Role,
    /// `None`: never expires.
    pub lifetime_seconds: Option<i64>,
}

/// Every unexpired token of `workspace` whose owner is still a member there.
pub fn policy_subjects(
    conn: &mut Conn,
    workspace: WorkspaceId,
    now: Timestamp,
) -> QueryResult<Vec<PolicySubject>> {
    let rows: Vec<(TokenId, UserId, String, i64, Option<i64>)> = api_tokens::table
        .inner_join(
            memberships::table.on(memberships::workspace_id
                .eq(api_tokens::workspace_id)
                .and(memberships::user_id.eq(api_tokens::user_id))),
        )
        .filter(api_tokens::workspace_id.eq(workspace))
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now.millis())),
        )
        .select((
            api_tokens::id,
            api_tokens::user_id,
            memberships::role,
            api_tokens::created_at,
            api_tokens::expires_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, owner_id, role, created, expires)| PolicySubject {
            id,
            owner_id,
            owner_role: Role::parse(&role).unwrap_or(Role::Member),
            // Lifetimes are whole seconds; round up any millisecond residue.
            lifetime_seconds: expires.map(|e| (e - created + 999) / 1000),
        })
        .collect())
}
