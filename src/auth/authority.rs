//! Who may act at which level, decided in one place: the `InstanceAdmin` and
//! `WorkspaceAdmin` extractors, used by the pages and the API alike.
//!
//! A handler that takes `WorkspaceAdmin<CurrentUser, Tokens>` (a page) or
//! `WorkspaceAdmin<ApiCaller, Tokens>` (the API) runs only for an admin of the
//! workspace the caller acts in; one that takes `InstanceAdmin<_>` only for an
//! active instance admin. Each refusal is one error type, mapped once to the page's
//! 403 and once to the API's 403 `AccessControlException`. The use cases take the
//! proof ([`ActingAdmin`], [`InstanceAdminProof`]) that only this module makes, so
//! none of them can be called for someone the extractor did not let through.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::db::{self, DbError};
use crate::domain::Principal;
use crate::domain::Role;
use crate::models;
use crate::state::AppState;

/// Whoever calls a page (`web::CurrentUser`) or the API (`api::ApiCaller`).
pub trait Caller: FromRequest + 'static {
    /// The signed-in user or API caller, and the workspace they act in.
    fn principal(&self) -> &Principal;
}

/// What a workspace admin manages on a route, which says why anyone else is
/// refused (today's messages, one per area).
pub trait Area: 'static {
    const REFUSAL: &'static str;
}

/// Admin > Access Tokens and Admin > OAuth 2.0 API Tokens, and their API.
pub struct Tokens;
impl Area for Tokens {
    const REFUSAL: &'static str =
        "Only workspace admins can manage the access tokens of other users.";
}

/// Admin > Workspace Settings and `/v4/workspaceSettings`.
pub struct Settings;
impl Area for Settings {
    const REFUSAL: &'static str = "Only workspace admins can see or change the Workspace Settings.";
}

/// Admin > Audit Log and `/v4/auditEvents`.
pub struct AuditLog;
impl Area for AuditLog {
    const REFUSAL: &'static str = "Only workspace admins can see the Audit Log.";
}

/// Admin > People and `/v4/workspaceMembers`.
pub struct People;
impl Area for People {
    const REFUSAL: &'static str = "Only workspace admins can manage people.";
}

/// The caller is not an admin of the workspace they act in.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{0}")]
pub struct NotWorkspaceAdmin(pub &'static str);

/// The caller is not an (active) instance admin.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("Only instance admins can manage accounts and see the instance's events.")]
pub struct NotInstanceAdmin;

/// A principal proven to be an admin of the workspace it acts in. Only
/// [`WorkspaceAdmin`] (or [`ActingAdmin::check`]) makes one.
#[derive(Debug, Clone)]
pub struct ActingAdmin(Principal);

impl ActingAdmin {
    /// The proof for `principal`, if its role in its workspace is admin. For the
    /// callers that are not requests (tests, the command line); handlers take the
    /// extractor.
    pub fn check(principal: &Principal) -> Option<Self> {
        (principal.role == Role::Admin).then(|| ActingAdmin(principal.clone()))
    }
}

impl Deref for ActingAdmin {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The caller of a page or the API, an admin of the workspace they act in, about
/// the area `A`.
pub struct WorkspaceAdmin<C, A> {
    pub caller: C,
    pub admin: ActingAdmin,
    area: PhantomData<A>,
}

impl<C, A> Deref for WorkspaceAdmin<C, A> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.caller
    }
}

impl<C, A> FromRequest for WorkspaceAdmin<C, A>
where
    C: Caller,
    C::Error: From<NotWorkspaceAdmin>,
    C::Future: 'static,
    A: Area,
{
    type Error = C::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = C::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            let admin =
                ActingAdmin::check(caller.principal()).ok_or(NotWorkspaceAdmin(A::REFUSAL))?;
            Ok(WorkspaceAdmin {
                caller,
                admin,
                area: PhantomData,
            })
        })
    }
}

/// A principal proven to be an active instance admin when the request began.
#[derive(Debug, Clone)]
pub struct InstanceAdminProof(Principal);

impl Deref for InstanceAdminProof {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The caller of a page or the API, an active instance admin. Read from
/// `users.instance_admin` on every request (not kept in the session or a token's
/// cached standing), so taking the role away takes effect at once.
pub struct InstanceAdmin<C> {
    pub caller: C,
    pub admin: InstanceAdminProof,
}

impl<C> Deref for InstanceAdmin<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.caller
    }
}

/// Whether `principal`'s account is an active instance admin now.
pub async fn is_instance_admin(pool: &db::DbPool, principal: &Principal) -> Result<bool, DbError> {
    let id = principal.user_id;
    db::run(pool, move |conn| {
        Ok(models::user::find(conn, id)?.is_some_and(|u| u.instance_admin && u.is_active()))
    })
    .await
}

/// Why [`InstanceAdmin`] refused: not one, or the database could not say.
#[derive(Debug, thiserror::Error)]
pub enum InstanceAdminError {
    #[error(transparent)]
    Refused(#[from] NotInstanceAdmin),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl<C> FromRequest for InstanceAdmin<C>
where
    C: Caller,
    C::Error: From<InstanceAdminError>,
    C::Future: 'static,
{
    type Error = C::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = C::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let caller = caller.await?;
            let state = state.ok_or(InstanceAdminError::Db(DbError::Cancelled))?;
            let principal = caller.principal().clone();
            if !is_instance_admin(&state.pool, &principal)
                .await
                .map_err(InstanceAdminError::from)?
            {
                return Err(InstanceAdminError::Refused(NotInstanceAdmin).into());
            }
            Ok(InstanceAdmin {
                caller,
                admin: InstanceAdminProof(principal),
            })
        })
    }
}
