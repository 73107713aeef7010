//! Workspace Settings operations the page and the API share: read and change the
//! workspace's token policy (admins only: each operation takes the proof the
//! `WorkspaceAdmin` extractor makes), count the live tokens a policy rules out, and
//! delete them on request.

use std::net::IpAddr;

use crate::auth::authority::ActingAdmin;
use crate::db::{self, DbError, DbPool};
use crate::domain::policy::{Adjustment, TokenPolicy};
use crate::domain::scope::ServiceScopes;
use crate::domain::Timestamp;
use crate::models::audit;
use crate::models::{token, workspace};

/// The workspace's policy and service scopes, and how many of its live tokens
/// break the policy.
#[derive(Debug, Clone)]
pub struct SettingsView {
    pub policy: TokenPolicy,
    pub service_scopes: ServiceScopes,
    pub violating: usize,
}

fn violating_ids(
    conn: &mut db::Conn,
    policy: &TokenPolicy,
    ws: crate::domain::WorkspaceId,
    now: Timestamp,
) -> diesel::QueryResult<Vec<crate::domain::TokenId>> {
    Ok(token::policy_subjects(conn, ws, now)?
        .into_iter()
        .filter(|t| policy.breaks(t.owner_role, t.lifetime_seconds))
        .map(|t| t.id)
        .collect())
}

/// The admin's workspace settings.
pub async fn get(
    pool: &DbPool,
    admin: &ActingAdmin,
    now: Timestamp,
) -> Result<SettingsView, DbError> {
    let ws = admin.workspace_id;
    db::run(pool, move |conn| {
        // As kept: settings stored before they were normalized read as they act.
        let (policy, _) = workspace::policy(conn, ws)?.normalized();
        let violating = violating_ids(conn, &policy, ws, now)?.len();
        let service_scopes = workspace::service_scopes(conn, ws)?;
        Ok(SettingsView {
            policy,
            service_scopes,
            violating,
        })
    })
    .await
}

/// Replaces the workspace's policy with `asked`, normalized so that it cannot
/// contradict itself, and its service scopes with `scopes`; says what normalizing
/// changed and how many live tokens break the new policy. Existing tokens are not
/// touched: the admin decides (see [`delete_violating`]). A service scope taken off
/// the list stops counting on every token at once (the workspace's row changed, so
/// every instance drops what it cached of the workspace).
pub async fn update(
    pool: &DbPool,
    admin: &ActingAdmin,
    address: Option<IpAddr>,
    asked: TokenPolicy,
    scopes: ServiceScopes,
    now: Timestamp,
) -> Result<(SettingsView, Vec<Adjustment>), DbError> {
    let (ws, actor) = (admin.workspace_id, (**admin).clone());
    let (new, adjustments) = asked.normalized();
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let old = workspace::policy(conn, ws)?;
            let old_scopes = workspace::service_scopes(conn, ws)?;
            workspace::set_policy(conn, ws, &new)?;
            workspace::set_service_scopes(conn, ws, &scopes)?;
            let changes = [
                describe_changes(&old, &new),
                describe_scope_changes(&old_scopes, &scopes),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
            if !changes.is_empty() {
                let changes = changes.join("; ");
                audit::record(
                    conn,
                    now,
                    audit::Event::by(&actor, address, audit::Action::SettingsChanged)
                        .detail(changes),
                )?;
            }
            let violating = violating_ids(conn, &new, ws, now)?.len();
            Ok::<_, diesel::result::Error>((
                SettingsView {
                    policy: new,
                    service_scopes: scopes.clone(),
                    violating,
                },
                adjustments.clone(),
            ))
        })?)
    })
    .await
}

/// Deletes every live token of the workspace that breaks its policy; returns how
/// many. Each deletion is in the audit log, as done by an admin.
pub async fn delete_violating(
    pool: &DbPool,
    admin: &ActingAdmin,
    address: Option<IpAddr>,
    now: Timestamp,
) -> Result<usize, DbError> {
    let (ws, actor) = (admin.workspace_id, (**admin).clone());
    db::run(pool, move |conn| {
        Ok(crate::db::write_transaction(conn, |conn| {
            let policy = workspace::policy(conn, ws)?;
            let ids = violating_ids(conn, &policy, ws, now)?;
            let deleted = token::delete_in_workspace(conn, ws, &ids)?;
            for gone in &deleted {
                audit::record(
                    conn,
                    now,
                    audit::Event::by(&actor, address, audit::Action::TokenDeleted)
                        .target_token(gone.id)
                        .detail(format!(
                            "by admin: breaks the workspace policy; owner {}",
                            gone.owner_username
                        )),
                )?;
            }
            Ok::<_, diesel::result::Error>(deleted.len())
        })?)
    })
    .await
}

/// "Service scopes: deploy -> deploy reports:read", and the same of those members
/// may grant, or `None` when neither changed.
fn describe_scope_changes(old: &ServiceScopes, new: &ServiceScopes) -> Option<String> {
    let (old_all, old_members) = old.to_stored();
    let (new_all, new_members) = new.to_stored();
    let shown = |s: &str| {
        if s.is_empty() {
            "none".to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut changes = Vec::new();
    if old_all != new_all {
        changes.push(format!(
            "Service scopes: {} -> {}",
            shown(&old_all),
            shown(&new_all)
        ));
    }
    if old_members != new_members {
        changes.push(format!(
            "Service scopes members may grant: {} -> {}",
            shown(&old_members),
            shown(&new_members)
        ));
    }
    (!changes.is_empty()).then(|| changes.join("; "))
}

/// "members may generate: on -> off; maximum lifetime: -1 -> 30 days", or `None`
/// when nothing changed.
fn describe_changes(old: &TokenPolicy, new: &TokenPolicy) -> Option<String> {
    let on_off = |b: bool| if b { "on" } else { "off" };
    let days = |p: &TokenPolicy| match p.max_lifetime.as_days() {
        -1 => "unlimited".to_owned(),
        d => format!("{d} days"),
    };
    let mut changes = Vec::new();
    if old.tokens_enabled != new.tokens_enabled {
        changes.push(format!(
            "API Access Token: {} -> {}",
            on_off(old.tokens_enabled),
            on_off(new.tokens_enabled)
        ));
    }
    if old.members_may_generate != new.members_may_generate {
        changes.push(format!(
            "Allow users to generate access tokens: {} -> {}",
            on_off(old.members_may_generate),
            on_off(new.members_may_generate)
        ));
    }
    if old.max_lifetime != new.max_lifetime {
        changes.push(format!("Maximum lifetime: {} -> {}", days(old), days(new)));
    }
    if old.allow_never_expires != new.allow_never_expires {
        changes.push(format!(
            "Never-expiring tokens: {} -> {}",
            on_off(old.allow_never_expires),
            on_off(new.allow_never_expires)
        ));
    }
    if old.allow_legacy_tokens != new.allow_legacy_tokens {
        changes.push(format!(
            "Allow legacy access tokens: {} -> {}",
            on_off(old.allow_legacy_tokens),
            on_off(new.allow_legacy_tokens)
        ));
    }
    (!changes.is_empty()).then(|| changes.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::MaxLifetime;

    #[test]
    fn a_change_is_described_field_by_field() {
        let old = TokenPolicy::default();
        assert_eq!(describe_changes(&old, &old), None);
        let new = TokenPolicy {
            members_may_generate: true,
            max_lifetime: MaxLifetime::Days(30),
            ..old
        };
        assert_eq!(
            describe_changes(&old, &new).unwrap(),
            "Allow users to generate access tokens: off -> on; Maximum lifetime: unlimited -> 30 days"
        );
        let legacy_off = TokenPolicy {
            allow_legacy_tokens: false,
            ..old
        };
        assert_eq!(
            describe_changes(&old, &legacy_off).unwrap(),
            "Allow legacy access tokens: on -> off"
        );
    }
}
