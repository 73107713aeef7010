//! Workspaces and who belongs to them with which role.

use diesel::prelude::*;

use crate::db::schema::{memberships, workspaces};
use crate::db::{is_unique_violation, Conn};
use crate::domain::{Role, Timestamp, UserId, WorkspaceId};

/// The name of the workspace every instance starts with.
pub const DEFAULT_WORKSPACE: &str = "default";

/// Returns the default workspace, creating it on first use.
pub fn ensure_default(conn: &mut Conn) -> QueryResult<WorkspaceId> {
    let read = |conn: &mut Conn| {
        workspaces::table
            .filter(workspaces::name.eq(DEFAULT_WORKSPACE))
            .select(workspaces::id)
            .first::<String>(conn)
            .optional()
    };
    if let Some(id) = read(conn)? {
        return Ok(parse_id(&id));
    }
    // A savepoint, so that on PostgreSQL a lost race (another instance creating
    // it at the same moment) does not abort the enclosing transaction.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(workspaces::table)
            .values((
                workspaces::id.eq(WorkspaceId::new_random().to_string()),
                workspaces::name.eq(DEFAULT_WORKSPACE),
                workspaces::created_at.eq(Timestamp::now().millis()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    let id = read(conn)?.ok_or(diesel::result::Error::NotFound)?;
    Ok(parse_id(&id))
}

/// Adds `user` to `workspace` with `role`.
pub fn add_member(
    conn: &mut Conn,
    workspace: WorkspaceId,
    user: UserId,
    role: Role,
) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::workspace_id.eq(workspace.to_string()),
            memberships::user_id.eq(user.to_string()),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(Timestamp::now().millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The workspace a user acts in, with their role there: the one they joined first.
pub fn primary_membership(
    conn: &mut Conn,
    user: UserId,
) -> QueryResult<Option<(WorkspaceId, Role)>> {
    let row: Option<(String, String)> = memberships::table
        .filter(memberships::user_id.eq(user.to_string()))
        .order(memberships::created_at.asc())
        .select((memberships::workspace_id, memberships::role))
        .first(conn)
        .optional()?;
    Ok(row.map(|(ws, role)| (parse_id(&ws), Role::parse(&role).unwrap_or(Role::Member))))
}

fn parse_id(s: &str) -> WorkspaceId {
    // Ids are written only by this module, always as UUIDs.
    WorkspaceId::parse(s).expect("workspace ids are stored as UUIDs")
}
