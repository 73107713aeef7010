//! A token with everything checking it needs (owner, membership, workspace), in one read.

use diesel::prelude::*;

use crate::db::schema::{api_tokens, memberships, users};
use crate::db::Conn;
use crate::domain::scope::ServiceScopes;
use crate::domain::{Role, SecretDigest, TokenId};

use super::token::{ApiToken, TokenRow, COLUMNS};

/// Everything checking a presented token needs, in one read: the token with its
/// digest, its owner (name, deactivation), the owner's role in the token's
/// workspace (`None`: not a member there) and that workspace (name, tokens on/off,
/// legacy tokens allowed or not).
pub struct TokenForVerification {
    pub token: ApiToken,
    pub digest: Option<SecretDigest>,
    pub owner_name: String,
    pub owner_active: bool,
    pub owner_role: Option<Role>,
    pub workspace_name: String,
    pub tokens_enabled: bool,
    /// The workspace's "Allow legacy access tokens".
    pub legacy_tokens_allowed: bool,
    /// The service scopes the workspace defines now.
    pub service_scopes: ServiceScopes,
}

type VerificationRow = (
    TokenRow,
    Vec<u8>,
    String,
    Option<i64>,
    Option<String>,
    String,
    bool,
    bool,
    String,
    String,
);

pub fn find_for_verification(
    conn: &mut Conn,
    id: TokenId,
) -> QueryResult<Option<TokenForVerification>> {
    use crate::db::schema::workspaces;
    api_tokens::table
        .find(id)
        .inner_join(users::table)
        .inner_join(workspaces::table)
        .left_join(
            // A suspended membership is no membership: the token stops there.
            memberships::table.on(memberships::workspace_id
                .eq(api_tokens::workspace_id)
                .and(memberships::user_id.eq(api_tokens::user_id))
                .and(memberships::suspended_at.is_null())),
        )
        .select((
            COLUMNS,
            api_tokens::secret_digest,
            users::username,
            users::deactivated_at,
            memberships::role.nullable(),
            workspaces::name,
            workspaces::tokens_enabled,
            workspaces::allow_legacy_tokens,
            workspaces::service_scopes,
            workspaces::member_service_scopes,
        ))
        .first::<VerificationRow>(conn)
        .optional()
        .map(|r| {
            r.map(
                |(
                    row,
                    digest,
                    owner_name,
                    deactivated,
                    role,
                    workspace_name,
                    tokens_enabled,
                    legacy_tokens_allowed,
                    service_all,
                    service_members,
                )| TokenForVerification {
                    token: row.into(),
                    digest: SecretDigest::from_stored(&digest),
                    owner_name,
                    owner_active: deactivated.is_none(),
                    owner_role: role.as_deref().and_then(Role::parse),
                    workspace_name,
                    tokens_enabled,
                    legacy_tokens_allowed,
                    service_scopes: ServiceScopes::from_stored(&service_all, &service_members),
                },
            )
        })
}
