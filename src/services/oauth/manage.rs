//! Managing OAuth API tokens (grants) after they are made: disable and delete, one or
//! many at once, of the caller's own or (workspace admins) of anyone in the
//! workspace, and the admin's filtered, sorted, paged view of every grant there.
//!
//! Each action is one transaction. Ids outside the scope (unknown, someone else's,
//! another workspace's) are reported back, all alike, and never stop the others.
//! Each grant disabled or deleted gets its own audit event; disabling one already
//! disabled changes nothing and records nothing.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::auth::authority::ActingAdmin;
use crate::auth::Principal;
use crate::db::{self, Conn, DbError, DbPool};
use crate::domain::grant_query::{GrantIds, GrantQuery};
use crate::domain::oauth::GrantId;
use crate::domain::Timestamp;
use crate::models::audit;
use crate::models::oauth::{self as store, GrantScope, OwnedGrant};

use crate::auth::access_check::OAuth;

/// Whose grants an action may reach, always within the caller's workspace.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The caller's own grants: anyone may.
    Own,
    /// Every grant of the workspace, whoever owns it: workspace admins only, so it
    /// holds the proof the `WorkspaceAdmin` extractor made.
    Workspace(&'a ActingAdmin),
}

impl Scope<'_> {
    /// What this scope covers for `caller`.
    pub(super) fn of(self, caller: &Principal) -> GrantScope {
        match self {
            Scope::Own => GrantScope {
                workspace: caller.workspace_id,
                owner: Some(caller.user_id),
            },
            Scope::Workspace(admin) => GrantScope {
                workspace: admin.workspace_id,
                owner: None,
            },
        }
    }
}

/// What a disable or delete did, grant by grant, each list in the order asked.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    /// Disabled or deleted by this request: as they are now (disabled), or as they
    /// were (deleted).
    pub done: Vec<OwnedGrant>,
    /// In scope and already disabled, so left as they were (disable only).
    pub unchanged: Vec<OwnedGrant>,
    /// Not in scope: unknown, someone else's or another workspace's, not told apart.
    pub not_found: Vec<GrantId>,
}

/// One page of the workspace's grants and how many match in all.
#[derive(Debug)]
pub struct GrantPage {
    pub grants: Vec<OwnedGrant>,
    pub total: i64,
    /// The instant the statuses were judged at.
    pub now: Timestamp,
}

impl GrantPage {
    /// No grant, judged at `now`.
    pub fn nothing(now: Timestamp) -> Self {
        GrantPage {
            grants: Vec::new(),
            total: 0,
            now,
        }
    }
}

/// The audit detail of an action on `grant` by `actor`.
fn by_whom(actor: &Principal, grant: &OwnedGrant) -> String {
    if grant.grant.user_id == actor.user_id {
        "by owner".to_owned()
    } else {
        format!("by workspace admin; owner {}", grant.owner_username)
    }
}

/// The audit event of one grant disabled or deleted in a bulk action.
fn record(
    conn: &mut Conn,
    now: Timestamp,
    actor: &Principal,
    address: Option<IpAddr>,
    action: audit::Action,
    g: &OwnedGrant,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        now,
        audit::Event::by(actor, address, action)
            .target(g.grant.id.to_string(), &g.grant.name)
            .detail(by_whom(actor, g)),
    )
}

/// Puts `found` in the order of `ids`; the ids not found go to `not_found`.
fn in_order(ids: &[GrantId], found: Vec<OwnedGrant>) -> (Vec<OwnedGrant>, Vec<GrantId>) {
    let mut by_id: HashMap<GrantId, OwnedGrant> =
        found.into_iter().map(|g| (g.grant.id, g)).collect();
    let mut ordered = Vec::with_capacity(by_id.len());
    let mut not_found = Vec::new();
    for id in ids {
        match by_id.remove(id) {
            Some(g) => ordered.push(g),
            None => not_found.push(*id),
        }
    }
    (ordered, not_found)
}

impl OAuth {
    /// Disables the grants `ids` in `scope`: their refresh tokens stop at once, for
    /// good; access tokens already issued work until they expire (the hour).
    pub async fn disable(
        &self,
        pool: &DbPool,
        caller: &Principal,
        address: Option<IpAddr>,
        scope: Scope<'_>,
        ids: GrantIds,
    ) -> Result<BulkOutcome, DbError> {
        let scope = scope.of(caller);
        self.disable_in(pool, caller, address, scope, ids).await
    }

    /// Deletes the grants `ids` in `scope` with their refresh tokens, which stop at
    /// once; access tokens already issued work until they expire (the hour).
    pub async fn delete(
        &self,
        pool: &DbPool,
        caller: &Principal,
        address: Option<IpAddr>,
        scope: Scope<'_>,
        ids: GrantIds,
    ) -> Result<BulkOutcome, DbError> {
        let scope = scope.of(caller);
        self.delete_in(pool, caller, address, scope, ids).await
    }

    /// [`OAuth::disable`] in a scope already allowed.
    pub(super) async fn disable_in(
        &self,
        pool: &DbPool,
        caller: &Principal,
        address: Option<IpAddr>,
        scope: GrantScope,
        ids: GrantIds,
    ) -> Result<BulkOutcome, DbError> {
        let actor = caller.clone();
        self.locked(pool, scope, ids, move |conn, found, not_found, now| {
            let (unchanged, mut done): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|g| g.grant.disabled_at.is_some());
            let to_disable: Vec<GrantId> = done.iter().map(|g| g.grant.id).collect();
            store::disable_ids(conn, &to_disable, now)?;
            for g in &mut done {
                g.grant.disabled_at = Some(now);
                record(
                    conn,
                    now,
                    &actor,
                    address,
                    audit::Action::OAuthTokenDisabled,
                    g,
                )?;
            }
            Ok(BulkOutcome {
                done,
                unchanged,
                not_found,
            })
        })
        .await
    }

    /// [`OAuth::delete`] in a scope already allowed.
    pub(super) async fn delete_in(
        &self,
        pool: &DbPool,
        caller: &Principal,
        address: Option<IpAddr>,
        scope: GrantScope,
        ids: GrantIds,
    ) -> Result<BulkOutcome, DbError> {
        let actor = caller.clone();
        self.locked(pool, scope, ids, move |conn, done, not_found, now| {
            let to_delete: Vec<GrantId> = done.iter().map(|g| g.grant.id).collect();
            store::delete_ids(conn, &to_delete)?;
            for g in &done {
                record(
                    conn,
                    now,
                    &actor,
                    address,
                    audit::Action::OAuthTokenDeleted,
                    g,
                )?;
            }
            Ok(BulkOutcome {
                done,
                unchanged: Vec::new(),
                not_found,
            })
        })
        .await
    }

    /// Runs `act` in one write transaction on the grants of `ids` in `scope`, locked
    /// and found in the order asked, with those not found, at the clock's now.
    async fn locked<F>(
        &self,
        pool: &DbPool,
        scope: GrantScope,
        ids: GrantIds,
        act: F,
    ) -> Result<BulkOutcome, DbError>
    where
        F: Fn(
                &mut Conn,
                Vec<OwnedGrant>,
                Vec<GrantId>,
                Timestamp,
            ) -> diesel::QueryResult<BulkOutcome>
            + Send
            + 'static,
    {
        let now = self.clock.now();
        db::run(pool, move |conn| {
            Ok(crate::db::write_transaction(conn, |conn| {
                let ids = ids.as_slice();
                store::lock_in_scope(conn, scope, ids)?;
                let (found, not_found) = in_order(ids, store::find_in_scope(conn, scope, ids)?);
                act(conn, found, not_found, now)
            })?)
        })
        .await
    }

    /// Those of `ids` in `scope`, with their owners, in the order asked (for a
    /// confirmation that names what an action will touch).
    pub async fn find(
        &self,
        pool: &DbPool,
        caller: &Principal,
        scope: Scope<'_>,
        ids: GrantIds,
    ) -> Result<Vec<OwnedGrant>, DbError> {
        let scope = scope.of(caller);
        db::run(pool, move |conn| {
            let found = store::find_in_scope(conn, scope, ids.as_slice())?;
            Ok(in_order(ids.as_slice(), found).0)
        })
        .await
    }

    /// The grants of the caller's workspace that `query` asks for (admins only).
    pub async fn list_workspace(
        &self,
        pool: &DbPool,
        caller: &ActingAdmin,
        query: GrantQuery,
    ) -> Result<GrantPage, DbError> {
        let (ws, now) = (caller.workspace_id, self.clock.now());
        let (grants, total) = db::run(pool, move |conn| {
            Ok(store::list_in_workspace(conn, ws, &query, now)?)
        })
        .await?;
        Ok(GrantPage { grants, total, now })
    }
}
