//! The audit log as stored (`audit_events`): who did what, when, from where.

use diesel::prelude::*;

use crate::db::schema::audit_events;
use crate::db::Conn;

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

/// The workspace's most recent events, `limit` from `offset`.
pub fn list_for_workspace(
    conn: &mut Conn,
    workspace_id: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::workspace_id.eq(workspace_id))
        .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)
}
