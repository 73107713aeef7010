//! The audit log: what is recorded (token creations and deletions, settings,
//! memberships, passwords), by whom, from where. Never a token value or a password.
//!
//! Events are written in the same transaction as the change they describe, so the
//! log never claims a change that did not happen, nor misses one that did.

use std::net::IpAddr;

use uuid::Uuid;

use crate::auth::Principal;
use crate::db::Conn;
use crate::domain::oauth::GrantId;
use crate::domain::{Timestamp, TokenId, UserId, WorkspaceId};
use crate::models::audit::{self, NewAuditRow};

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
}

impl Action {
    pub const ALL: [Action; 19] = [
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

/// Records `event` on `conn`, inside the caller's transaction.
pub fn record(conn: &mut Conn, event: Event) -> diesel::QueryResult<()> {
    audit::insert(
        conn,
        &NewAuditRow {
            id: Uuid::new_v4().to_string(),
            workspace_id: event.workspace.map(|w| w.to_string()),
            occurred_at: Timestamp::now().millis(),
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
