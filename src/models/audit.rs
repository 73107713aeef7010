//! The audit log (`audit_events`): what is recorded (token creations and
//! deletions, settings, memberships, passwords), by whom, from where, and how it is
//! stored and read. Never a token value or a password.
//!
//! Events are written in the same transaction as the change they describe, so the
//! log never claims a change that did not happen, nor misses one that did.

use std::net::IpAddr;

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::audit_events;
use crate::db::{Conn, MultiBackend};
use crate::domain::oauth::GrantId;
use crate::domain::{Principal, Timestamp, TokenId, UserId, WorkspaceId};

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

/// What happened. The stored names are stable: filters and exports use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    TokenCreated,
    TokenDeleted,
    TokenRefused,
    SettingsChanged,
    MemberAdded,
    MemberRemoved,
    RoleChanged,
    UserDeactivated,
    UserReactivated,
    PasswordChanged,
    OAuthTokenCreated,
    OAuthTokenDisabled,
    OAuthTokenDeleted,
    OAuthAccessTokenRevoked,
    MemberInvited,
    InvitationWithdrawn,
    InvitationDeclined,
    MemberSuspended,
    MemberRestored,
    InstanceAdminGranted,
    InstanceAdminRevoked,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Action::TokenCreated,
        Action::TokenDeleted,
        Action::TokenRefused,
        Action::SettingsChanged,
        Action::MemberAdded,
        Action::MemberRemoved,
        Action::RoleChanged,
        Action::UserDeactivated,
        Action::UserReactivated,
        Action::PasswordChanged,
        Action::OAuthTokenCreated,
        Action::OAuthTokenDisabled,
        Action::OAuthTokenDeleted,
        Action::OAuthAccessTokenRevoked,
        Action::MemberInvited,
        Action::InvitationWithdrawn,
        Action::InvitationDeclined,
        Action::MemberSuspended,
        Action::MemberRestored,
        Action::InstanceAdminGranted,
        Action::InstanceAdminRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::TokenCreated => "token.created",
            Action::TokenDeleted => "token.deleted",
            Action::TokenRefused => "token.refused",
            Action::SettingsChanged => "workspace.settings_changed",
            Action::MemberAdded => "member.added",
            Action::MemberRemoved => "member.removed",
            Action::RoleChanged => "member.role_changed",
            Action::UserDeactivated => "user.deactivated",
            Action::UserReactivated => "user.reactivated",
            Action::PasswordChanged => "user.password_changed",
            Action::OAuthTokenCreated => "oauth_token.created",
            Action::OAuthTokenDisabled => "oauth_token.disabled",
            Action::OAuthTokenDeleted => "oauth_token.deleted",
            Action::OAuthAccessTokenRevoked => "oauth_token.access_token_revoked",
            Action::MemberInvited => "member.invited",
            Action::InvitationWithdrawn => "member.invitation_withdrawn",
            Action::InvitationDeclined => "member.invitation_declined",
            Action::MemberSuspended => "member.suspended",
            Action::MemberRestored => "member.restored",
            Action::InstanceAdminGranted => "user.instance_admin_granted",
            Action::InstanceAdminRevoked => "user.instance_admin_revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event {
    workspace: Option<WorkspaceId>,
    actor: Option<(UserId, String)>,
    address: Option<IpAddr>,
    action: Action,
    target_id: Option<String>,
    target_name: Option<String>,
    detail: Option<String>,
}

impl Event {
    /// `actor` did `action` in their current workspace, from `address`.
    pub fn by(actor: &Principal, address: Option<IpAddr>, action: Action) -> Self {
        Event {
            workspace: Some(actor.workspace_id),
            actor: Some((actor.user_id, actor.username.clone())),
            address,
            action,
            target_id: None,
            target_name: None,
            detail: None,
        }
    }

    /// `actor` did `action` to an account, which belongs to the instance, not to
    /// a workspace: the event has no workspace and shows in the instance audit view.
    pub fn account(actor: &Principal, address: Option<IpAddr>, action: Action) -> Self {
        Event {
            workspace: None,
            ..Event::by(actor, address, action)
        }
    }

    /// Something no signed-in user did (a refused token), in `workspace` if known.
    pub fn anonymous(
        workspace: Option<WorkspaceId>,
        address: Option<IpAddr>,
        action: Action,
    ) -> Self {
        Event {
            workspace,
            actor: None,
            address,
            action,
            target_id: None,
            target_name: None,
            detail: None,
        }
    }

    /// The token acted on, by id (never its value).
    pub fn target_token(mut self, id: TokenId) -> Self {
        self.target_id = Some(id.to_string());
        self
    }

    /// The OAuth API token (grant) acted on, by id alone: a refused access token
    /// names its grant but not the grant's name.
    pub fn target_grant(mut self, id: GrantId) -> Self {
        self.target_id = Some(id.to_string());
        self
    }

    /// Any other object acted on, by id and name (an OAuth API token, ...).
    pub fn target(mut self, id: String, name: &str) -> Self {
        self.target_id = Some(id);
        self.target_name = Some(name.to_owned());
        self
    }

    /// Recorded in `workspace` rather than the actor's current one (an invitation
    /// accepted, or withdrawn by an instance admin).
    pub fn in_workspace(mut self, workspace: WorkspaceId) -> Self {
        self.workspace = Some(workspace);
        self
    }

    /// The user acted on.
    pub fn target_user(mut self, id: UserId, name: &str) -> Self {
        self.target_id = Some(id.to_string());
        self.target_name = Some(name.to_owned());
        self
    }

    /// A short free text: what changed ("lifetime 30 days, by owner", ...).
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Records `event`, which happened at `now`, on `conn`, inside the caller's
/// transaction.
pub fn record(conn: &mut Conn, now: Timestamp, event: Event) -> diesel::QueryResult<()> {
    insert(
        conn,
        &NewAuditRow {
            id: Uuid::new_v4().to_string(),
            workspace_id: event.workspace.map(|w| w.to_string()),
            occurred_at: now.millis(),
            actor_id: event.actor.as_ref().map(|(id, _)| id.to_string()),
            actor_name: event.actor.as_ref().map(|(_, name)| name.as_str()),
            action: event.action.as_str(),
            target_id: event.target_id,
            target_name: event.target_name.as_deref(),
            detail: event.detail.as_deref(),
            address: event.address.map(|a| a.to_string()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("token.stolen"), None);
    }
}
