//! `/v4/auditEvents` (the workspace's audit log, for its admins) and
//! `/v4/instanceAuditEvents` (the events of no workspace, for instance admins).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::authority::{self, InstanceAdmin, WorkspaceAdmin};
use crate::domain::Timestamp;
use crate::services::audit_log::{
    self, AuditFilter, AuditRow, FilterError, FilterInput, LogScope, MAX_PAGE_SIZE,
};
use crate::state::AppState;

use super::{ApiCaller, ApiError, ErrorEnvelope};

/// The largest `offset` accepted.
const MAX_OFFSET: i64 = 1_000_000_000;
/// How many events a page holds when `limit` is not given.
const DEFAULT_LIMIT: i64 = 50;

/// Filters and paging of the listing; every one is optional.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditEventsQuery {
    /// Only events of this action.
    #[param(inline, value_type = Option<AuditAction>)]
    action: Option<String>,
    /// Only events done by the user of this name (exactly); no control characters.
    #[param(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    actor: Option<String>,
    /// Only events whose target has this id or name (exactly); no control characters.
    #[param(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    target: Option<String>,
    /// Only events at or after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Only events at or before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// How many events to return (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// How many of the newest matching events to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000)]
    offset: Option<String>,
}

/// The actions the audit log records (only its schema is used).
#[derive(ToSchema)]
pub enum AuditAction {
    #[schema(rename = "token.created")]
    TokenCreated,
    #[schema(rename = "token.deleted")]
    TokenDeleted,
    #[schema(rename = "token.refused")]
    TokenRefused,
    #[schema(rename = "workspace.settings_changed")]
    SettingsChanged,
    #[schema(rename = "member.added")]
    MemberAdded,
    #[schema(rename = "member.removed")]
    MemberRemoved,
    #[schema(rename = "member.role_changed")]
    RoleChanged,
    #[schema(rename = "user.deactivated")]
    UserDeactivated,
    #[schema(rename = "user.reactivated")]
    UserReactivated,
    #[schema(rename = "user.password_changed")]
    PasswordChanged,
    #[schema(rename = "oauth_token.created")]
    OAuthTokenCreated,
    #[schema(rename = "oauth_token.disabled")]
    OAuthTokenDisabled,
    #[schema(rename = "oauth_token.deleted")]
    OAuthTokenDeleted,
    #[schema(rename = "oauth_token.access_token_revoked")]
    OAuthAccessTokenRevoked,
    #[schema(rename = "member.invited")]
    MemberInvited,
    #[schema(rename = "member.invitation_withdrawn")]
    InvitationWithdrawn,
    #[schema(rename = "member.invitation_declined")]
    InvitationDeclined,
    #[schema(rename = "member.suspended")]
    MemberSuspended,
    #[schema(rename = "member.restored")]
    MemberRestored,
    #[schema(rename = "user.instance_admin_granted")]
    InstanceAdminGranted,
    #[schema(rename = "user.instance_admin_revoked")]
    InstanceAdminRevoked,
}

/// Who did it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    pub id: String,
    pub username: String,
}

/// One recorded event. Never holds a token value or a password.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: String,
    /// When, in UTC, with milliseconds.
    #[schema(format = DateTime, example = "2019-01-16T00:06:41.743Z")]
    pub occurred_at: String,
    /// `null` when no signed-in user did it (a refused token).
    pub actor: Option<AuditActor>,
    /// `token.created`, `token.deleted`, `token.refused`, `workspace.settings_changed`, ...
    pub action: String,
    /// The token's or user's id acted on.
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    /// What changed, or why a token was refused.
    pub detail: Option<String>,
    /// The client address it came from (the TCP peer).
    pub address: Option<String>,
    /// `null` for an event of no workspace: a change to an account, or a refused
    /// token that belongs to no workspace (garbage or unknown).
    pub workspace_id: Option<String>,
}

/// One page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    pub data: Vec<AuditEvent>,
    /// How many events match the filters in all (not only on this page).
    pub count: i64,
}

impl From<FilterError> for ApiError {
    fn from(e: FilterError) -> Self {
        ApiError::invalid_field(e.field, e.message)
    }
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> Self {
        let actor = match (r.actor_id, r.actor_name) {
            (Some(id), Some(username)) => Some(AuditActor { id, username }),
            _ => None,
        };
        AuditEvent {
            id: r.id,
            occurred_at: Timestamp::from_millis(r.occurred_at).to_iso8601(),
            actor,
            action: r.action,
            target_id: r.target_id,
            target_name: r.target_name,
            detail: r.detail,
            address: r.address,
            workspace_id: r.workspace_id,
        }
    }
}

/// A whole number in `min..=max` from the query string, or a 400 naming `field`.
fn number(
    value: Option<&str>,
    field: &'static str,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, ApiError> {
    let Some(value) = value else {
        return Ok(default);
    };
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ApiError::invalid_field(
                field,
                format!("{field} must be a whole number from {min} to {max}."),
            )
        })
}

/// The query's filters; in the API, `from` and `to` are ISO-8601 times only.
fn filters(q: &AuditEventsQuery) -> Result<AuditFilter, ApiError> {
    for (field, value) in [("from", &q.from), ("to", &q.to)] {
        if value
            .as_deref()
            .is_some_and(|v| !audit_log::is_date_time(v))
        {
            return Err(ApiError::invalid_field(
                field,
                format!("{field} must be an ISO-8601 time such as 2026-11-23T10:00:00Z."),
            ));
        }
    }
    if q.action.as_deref() == Some("") {
        return Err(ApiError::invalid_field(
            "action",
            "action must not be empty.",
        ));
    }
    Ok(audit_log::parse_filter(&FilterInput {
        action: q.action.as_deref().unwrap_or(""),
        actor: q.actor.as_deref().unwrap_or(""),
        target: q.target.as_deref().unwrap_or(""),
        from: q.from.as_deref().unwrap_or(""),
        to: q.to.as_deref().unwrap_or(""),
    })?)
}

/// The audit log of the caller's workspace, newest first (workspace admins only).
/// Events of no workspace are in `/v4/instanceAuditEvents`.
#[utoipa::path(
    get,
    path = "/v4/auditEvents",
    operation_id = "listAuditEvents",
    tag = "auditEvents",
    params(AuditEventsQuery),
    responses(
        (status = 200, description = "The matching events, newest first", body = AuditEventList),
        (status = 400, description = "A query parameter is not valid (`details.field` says which)", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list(
    admin: WorkspaceAdmin<ApiCaller, authority::AuditLog>,
    state: web::Data<AppState>,
    // A `Result`, so that credentials and role are judged before the query string.
    query: Result<web::Query<AuditEventsQuery>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    list_in(&state, LogScope::Workspace(&admin.admin), query).await
}

/// The events of no workspace, newest first (instance admins only): changes to
/// accounts (deactivated, reactivated, instance admin granted or revoked, password
/// set) and refused tokens that are unknown or malformed.
#[utoipa::path(
    get,
    path = "/v4/instanceAuditEvents",
    operation_id = "listInstanceAuditEvents",
    tag = "auditEvents",
    params(AuditEventsQuery),
    responses(
        (status = 200, description = "The matching events, newest first", body = AuditEventList),
        (status = 400, description = "A query parameter is not valid (`details.field` says which)", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn list_instance(
    admin: InstanceAdmin<ApiCaller>,
    state: web::Data<AppState>,
    query: Result<web::Query<AuditEventsQuery>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    list_in(&state, LogScope::Instance(&admin.admin), query).await
}

async fn list_in(
    state: &AppState,
    scope: LogScope<'_>,
    query: Result<web::Query<AuditEventsQuery>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let q = query
        .map_err(|e| ApiError::invalid_field("query", format!("Invalid query string: {e}")))?
        .into_inner();
    let filter = filters(&q)?;
    let limit = number(q.limit.as_deref(), "limit", 1, MAX_PAGE_SIZE, DEFAULT_LIMIT)?;
    let offset = number(q.offset.as_deref(), "offset", 0, MAX_OFFSET, 0)?;
    let page = audit_log::list(&state.pool, scope, filter, limit, offset).await?;
    Ok(HttpResponse::Ok().json(AuditEventList {
        data: page.rows.into_iter().map(AuditEvent::from).collect(),
        count: page.total,
    }))
}
