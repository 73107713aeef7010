//! Who acts: a user in one workspace, with their role there.

use super::ids::{Role, UserId, WorkspaceId};

/// A signed-in user and the workspace they act in, with their role there.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub username: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: Role,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
