//! `/v4/workspaceSettings`: the workspace's token policy, for its admins.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::ToSchema;

use crate::auth::authority::{Settings, WorkspaceAdmin};
use crate::domain::lifetime::MAX_DAYS;
use crate::domain::policy::{Adjustment, MaxLifetime, TokenPolicy};
use crate::domain::scope::{ScopeName, ServiceScopes, ServiceScopesError};
use crate::services::workspace_settings::{self, SettingsView};
use crate::state::AppState;

use super::responses::BodyRefused;
use super::{ApiCaller, ApiError};

/// The Workspace Settings of the caller's workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceSettings {
    pub workspace_id: String,
    pub workspace_name: String,
    /// "API Access Token": off stops every token of the workspace and all generation.
    pub api_access_tokens_enabled: bool,
    /// "Allow users to generate access tokens": off lets only admins generate.
    pub allow_users_to_generate_access_tokens: bool,
    /// "Maximum lifetime for user generated access tokens (days)"; -1 = unlimited.
    #[schema(minimum = -1, maximum = 3650)]
    pub maximum_lifetime_days: i64,
    /// Whether a lifetime of -1 (never expires) may be chosen.
    pub allow_never_expiring_tokens: bool,
    /// "Allow legacy access tokens": off refuses every legacy access token of the
    /// workspace (401) and their generation (403), admins' included; OAuth 2.0 API
    /// tokens are not affected. Legacy tokens are deprecated: move to OAuth 2.0 API
    /// tokens.
    pub allow_legacy_access_tokens: bool,
    /// The workspace's service scopes: names its admins give to scopes of their own
    /// services, which tokens may carry beside the built-in ones and which only
    /// `/auth/verify` reads (`X-Auth-Required-Scopes`). Sorted.
    #[schema(schema_with = service_scopes_schema)]
    pub service_scopes: Vec<String>,
    /// The service scopes every member may put on a token (a subset of
    /// `serviceScopes`); only admins may put the others. Sorted.
    #[schema(schema_with = member_service_scopes_schema)]
    pub member_service_scopes: Vec<String>,
    /// How many live tokens break these settings (they keep working until deleted).
    pub violating_token_count: usize,
    /// Only in the answer to a change (`PATCH`), where it is always present: the
    /// settings the server kept other than asked so that they cannot contradict
    /// themselves, and why (empty when everything was kept as asked). A maximum
    /// lifetime turns `allowNeverExpiringTokens` off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjusted: Option<Vec<SettingAdjusted>>,
}

/// A setting kept other than asked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingAdjusted {
    /// The field, as named in `WorkspaceSettings`.
    #[schema(example = "allowNeverExpiringTokens")]
    pub field: &'static str,
    /// The value kept (every setting that can be adjusted is a switch).
    pub value: bool,
    /// Why, in a sentence.
    #[schema(example = "A maximum lifetime is set, so every token expires.")]
    pub reason: &'static str,
}

impl From<Adjustment> for SettingAdjusted {
    fn from(adjustment: Adjustment) -> Self {
        match adjustment {
            Adjustment::NeverExpiresTurnedOff => SettingAdjusted {
                field: "allowNeverExpiringTokens",
                value: false,
                reason: "A maximum lifetime is set, so every token expires.",
            },
        }
    }
}

/// A change to some of the settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkspaceSettingsUpdate {
    pub api_access_tokens_enabled: Option<bool>,
    pub allow_users_to_generate_access_tokens: Option<bool>,
    /// -1 (unlimited) or 1 to 3650.
    #[schema(schema_with = maximum_lifetime_days_schema)]
    pub maximum_lifetime_days: Option<i64>,
    pub allow_never_expiring_tokens: Option<bool>,
    /// "Allow legacy access tokens" (see `WorkspaceSettings`).
    pub allow_legacy_access_tokens: Option<bool>,
    /// Replaces the service scopes (see `WorkspaceSettings`). Names: lower-case
    /// letters, digits, `:`, `.`, `-`, `_`, at most 64 characters, not a built-in
    /// scope's; at most 100. A scope taken off stops counting on every token at once,
    /// and is taken off `memberServiceScopes` too.
    #[schema(schema_with = service_scopes_change_schema)]
    pub service_scopes: Option<Vec<String>>,
    /// Replaces the service scopes every member may grant; each must be in
    /// `serviceScopes` (as changed by the same request).
    #[schema(schema_with = member_service_scopes_change_schema)]
    pub member_service_scopes: Option<Vec<String>>,
}

/// `serviceScopes` in the settings. (`schema_with` replaces the doc comment, so
/// each list says what it is here.)
fn service_scopes_schema() -> Schema {
    scope_list_schema(
        "The workspace's service scopes, sorted: names its admins give to scopes of their \
         own services, which tokens may carry beside the built-in ones (`api`, `read_api`, \
         `tokens`, `admin`) and which only `/auth/verify` reads (`X-Auth-Required-Scopes`). \
         `api` does not cover them.",
        false,
    )
}

/// `memberServiceScopes` in the settings.
fn member_service_scopes_schema() -> Schema {
    scope_list_schema(
        "The service scopes every member may put on a token, sorted: a subset of \
         `serviceScopes`; only admins may put the others.",
        false,
    )
}

/// `serviceScopes` in a change.
fn service_scopes_change_schema() -> Schema {
    scope_list_schema(
        "Replaces the service scopes (null or absent: unchanged). Names: lower-case letters, \
         digits, `:`, `.`, `-`, `_`, at most 64 characters, not a built-in scope's (400 \
         otherwise). A scope taken off stops counting on every token at once, and is taken \
         off `memberServiceScopes` too.",
        true,
    )
}

/// `memberServiceScopes` in a change.
fn member_service_scopes_change_schema() -> Schema {
    scope_list_schema(
        "Replaces the service scopes every member may grant (null or absent: unchanged); \
         each must be in `serviceScopes` as changed by the same request (400 otherwise).",
        true,
    )
}

/// A list of scope names, described; `nullable` where null means "unchanged".
fn scope_list_schema(description: &str, nullable: bool) -> Schema {
    let types: &[Type] = if nullable {
        &[Type::Array, Type::Null]
    } else {
        &[Type::Array]
    };
    utoipa::openapi::schema::ArrayBuilder::new()
        .schema_type(SchemaType::from_iter(types.iter().cloned()))
        .items(utoipa::openapi::RefOr::T(super::scopes::name_schema()))
        .max_items(Some(crate::domain::scope::MAX_SERVICE_SCOPES))
        .description(Some(description))
        .examples([serde_json::json!(["deploy", "reports:read"])])
        .build()
        .into()
}

/// `maximumLifetimeDays` in a change: -1, 1 to 3650, or null (unchanged).
fn maximum_lifetime_days_schema() -> Schema {
    let integer = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .description(Some(
                "-1 (unlimited) or 1 to 3650 days; null or absent leaves it as it is.",
            ))
            .item(integer().enum_values(Some([-1])))
            .item(integer().minimum(Some(1)).maximum(Some(MAX_DAYS)))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// How many tokens were deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedCount {
    pub deleted: usize,
}

fn body(caller: &ApiCaller, view: SettingsView) -> WorkspaceSettings {
    WorkspaceSettings {
        workspace_id: caller.principal.workspace_id.to_string(),
        workspace_name: caller.principal.workspace_name.clone(),
        api_access_tokens_enabled: view.policy.tokens_enabled,
        allow_users_to_generate_access_tokens: view.policy.members_may_generate,
        maximum_lifetime_days: view.policy.max_lifetime.as_days(),
        allow_never_expiring_tokens: view.policy.allow_never_expires,
        allow_legacy_access_tokens: view.policy.allow_legacy_tokens,
        service_scopes: view
            .service_scopes
            .all()
            .map(|n| n.as_str().to_owned())
            .collect(),
        member_service_scopes: view
            .service_scopes
            .for_members()
            .map(|n| n.as_str().to_owned())
            .collect(),
        violating_token_count: view.violating,
        adjusted: None,
    }
}

/// Read the workspace's settings (workspace admins only).
#[utoipa::path(
    get,
    path = "/v4/workspaceSettings",
    operation_id = "getWorkspaceSettings",
    tag = "workspaceSettings",
    responses((status = 200, description = "The settings", body = WorkspaceSettings)),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn get(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Settings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let view = workspace_settings::get(&state.pool, &admin, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(body(&caller, view)))
}

/// Change some of the workspace's settings (workspace admins only). Tokens that
/// break the new settings are counted, not deleted. The settings are normalized so
/// that they cannot contradict themselves (a maximum lifetime turns
/// `allowNeverExpiringTokens` off); `adjusted` says what was kept other than asked.
#[utoipa::path(
    patch,
    path = "/v4/workspaceSettings",
    operation_id = "updateWorkspaceSettings",
    tag = "workspaceSettings",
    request_body = WorkspaceSettingsUpdate,
    responses(
        (status = 200, description = "The settings as saved, with `adjusted`", body = WorkspaceSettings),
        BodyRefused,
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn update(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Settings>,
    state: web::Data<AppState>,
    // A `Result`, so that credentials and role are judged before the body.
    change: Result<web::Json<super::Object<WorkspaceSettingsUpdate>>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    let now = state.clock.now();
    let current = workspace_settings::get(&state.pool, &admin, now)
        .await
        .map_err(ApiError::from)?;
    let change = change?.into_inner().0;
    let scopes = merged_scopes(&change, &current.service_scopes)?;
    let policy = merged(change, current.policy)?;
    let (view, adjustments) =
        workspace_settings::update(&state.pool, &admin, caller.address, policy, scopes, now)
            .await
            .map_err(ApiError::from)?;
    let saved = WorkspaceSettings {
        adjusted: Some(adjustments.into_iter().map(Into::into).collect()),
        ..body(&caller, view)
    };
    Ok(HttpResponse::Ok().json(saved))
}

/// The service scopes `change` asks for. A new `serviceScopes` without
/// `memberServiceScopes` keeps the members' list, less the names it drops.
fn merged_scopes(
    change: &WorkspaceSettingsUpdate,
    current: &ServiceScopes,
) -> Result<ServiceScopes, ApiError> {
    let names = |it: &mut dyn Iterator<Item = &ScopeName>| -> Vec<String> {
        it.map(|n| n.as_str().to_owned()).collect()
    };
    let all = change
        .service_scopes
        .clone()
        .unwrap_or_else(|| names(&mut current.all()));
    let members = match &change.member_service_scopes {
        Some(members) => members.clone(),
        None => names(&mut current.for_members())
            .into_iter()
            .filter(|m| all.contains(m))
            .collect(),
    };
    ServiceScopes::parse(&all, &members).map_err(|e| {
        let field = match e {
            ServiceScopesError::MemberNotDefined(_) => "memberServiceScopes",
            _ if change.service_scopes.is_none() => "memberServiceScopes",
            _ => "serviceScopes",
        };
        ApiError::invalid_field(field, e.to_string())
    })
}

/// The policy `change` asks for: each field given replaces the `current` one.
fn merged(change: WorkspaceSettingsUpdate, p: TokenPolicy) -> Result<TokenPolicy, ApiError> {
    let max_lifetime = match change.maximum_lifetime_days {
        None => p.max_lifetime,
        Some(days) => MaxLifetime::from_days(days).ok_or_else(|| {
            ApiError::invalid_field(
                "maximumLifetimeDays",
                format!("maximumLifetimeDays must be -1 (unlimited) or 1 to {MAX_DAYS}."),
            )
        })?,
    };
    Ok(TokenPolicy {
        tokens_enabled: change.api_access_tokens_enabled.unwrap_or(p.tokens_enabled),
        members_may_generate: change
            .allow_users_to_generate_access_tokens
            .unwrap_or(p.members_may_generate),
        max_lifetime,
        allow_never_expires: change
            .allow_never_expiring_tokens
            .unwrap_or(p.allow_never_expires),
        allow_legacy_tokens: change
            .allow_legacy_access_tokens
            .unwrap_or(p.allow_legacy_tokens),
    })
}

/// Delete every live token of the workspace that breaks its settings (workspace
/// admins only).
#[utoipa::path(
    post,
    path = "/v4/workspaceSettings/deleteViolatingTokens",
    operation_id = "deleteViolatingTokens",
    tag = "workspaceSettings",
    responses((status = 200, description = "How many tokens were deleted", body = DeletedCount)),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn delete_violating(
    WorkspaceAdmin { caller, admin, .. }: WorkspaceAdmin<ApiCaller, Settings>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let deleted = workspace_settings::delete_violating(
        &state.pool,
        &admin,
        caller.address,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(DeletedCount { deleted }))
}
