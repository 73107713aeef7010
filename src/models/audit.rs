//! The audit log as stored (`audit_events`): who did what, when, from where.

use diesel::prelude::*;

use crate::db::schema::audit_events;
use crate::db::{Conn, MultiBackend};

/// A row to insert; every text is already free of secrets.
pub struct NewAuditRow<'a> {
    pub id: String,
    pub workspace_id: Option<String>,
    pub occurred_at: i64,
    pub actor_id: Option<String>,
    pub actor_name: Option<&'a str>,
    pub action: &'static str,
    pub target_id: Option<String>,
    pub target_name: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub address: Option<String>,
}

pub fn insert(conn: &mut Conn, row: &NewAuditRow<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(&row.id),
            audit_events::workspace_id.eq(row.workspace_id.as_deref()),
            audit_events::occurred_at.eq(row.occurred_at),
            audit_events::actor_id.eq(row.actor_id.as_deref()),
            audit_events::actor_name.eq(row.actor_name),
            audit_events::action.eq(row.action),
            audit_events::target_id.eq(row.target_id.as_deref()),
            audit_events::target_name.eq(row.target_name),
            audit_events::detail.eq(row.detail),
            audit_events::address.eq(row.address.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored event, newest first in every listing.
#[derive(Debug, Clone, Queryable)]
pub struct AuditRow {
    pub id: String,
    pub workspace_id: Option<String>,
    pub occurred_at: i64,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// Which events a listing shows; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The stored action name (`token.created`, ...).
    pub action: Option<String>,
    /// The actor's user name, exactly.
    pub actor: Option<String>,
    /// The target's id or name, exactly.
    pub target: Option<String>,
    /// Events at or after this time (Unix ms).
    pub from: Option<i64>,
    /// Events before this time (Unix ms, exclusive).
    pub until: Option<i64>,
}

/// Whose events: one workspace's, or those no workspace owns.
#[derive(Debug, Clone, Copy)]
pub enum AuditScope<'a> {
    /// The events of one workspace (its id).
    Workspace(&'a str),
    /// The events of no workspace: changes to accounts, and refused tokens that are
    /// unknown or garbage, so cannot be attributed.
    Instance,
}

fn filtered<'a>(
    scope: AuditScope<'a>,
    filter: &'a AuditFilter,
) -> audit_events::BoxedQuery<'a, MultiBackend> {
    let mut query = audit_events::table.into_boxed();
    query = match scope {
        AuditScope::Workspace(id) => query.filter(audit_events::workspace_id.eq(id)),
        AuditScope::Instance => query.filter(audit_events::workspace_id.is_null()),
    };
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor_name.eq(actor));
    }
    if let Some(target) = &filter.target {
        query = query.filter(
            audit_events::target_id
                .eq(target)
                .or(audit_events::target_name.eq(target)),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::occurred_at.lt(until));
    }
    query
}

/// The events in `scope` that pass `filter`, newest first, `limit` from `offset`.
pub fn list(
    conn: &mut Conn,
    scope: AuditScope<'_>,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<AuditRow>> {
    filtered(scope, filter)
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)
}

/// How many events in `scope` pass `filter`.
pub fn count(conn: &mut Conn, scope: AuditScope<'_>, filter: &AuditFilter) -> QueryResult<i64> {
    filtered(scope, filter).count().get_result(conn)
}
