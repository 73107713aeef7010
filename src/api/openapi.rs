//! The OpenAPI 3 document of the API, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required, Response};
use utoipa::{Modify, OpenApi};

use super::accounts::{
    Account, AccountInvitation, AccountList, AccountWorkspace, UpdateAccountRequest,
};
use super::admin_tokens::{TokenOwner, WorkspaceTokenInfo, WorkspaceTokenList};
use super::audit_events::{AuditActor, AuditEvent, AuditEventList};
use super::bulk::{
    BulkDeleteRequest, BulkDeleteResult, OAuthBulkDeleteResult, OAuthBulkDisableResult,
    OAuthTokenIdsRequest,
};
use super::oauth_tokens::{
    CreateOAuthTokenRequest, CreatedOAuthToken, OAuthTokenInfo, OAuthTokenList,
};
use super::people::{
    AddMemberRequest, AddedMember, UpdateMemberRequest, WorkspaceInvitation,
    WorkspaceInvitationList, WorkspaceMember, WorkspaceMemberList,
};
use super::responses::envelope_response;
use super::tokens::{CreateTokenRequest, CreatedToken, TokenInfo, TokenList};
use super::workspace_oauth_tokens::{WorkspaceOAuthTokenInfo, WorkspaceOAuthTokenList};
use super::workspace_settings::{
    DeletedCount, SettingAdjusted, WorkspaceSettings, WorkspaceSettingsUpdate,
};
use super::WORKSPACE_HEADER;
use super::{ApiCaller, ErrorBody, ErrorEnvelope, ErrorName, CHALLENGE};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "access-tokens API",
        description = "Create, list, read and delete API access tokens; workspace admins also \
            manage every token, the people and the token policy of their workspace. Every \
            route takes `Authorization: Bearer <tokenValue>` or HTTP Basic (username and \
            password; the first token needs it). A token acts as its owner in the workspace \
            it was created in. A Basic call acts in the first workspace the user joined, or \
            in the one its `X-Workspace` header names.",
    ),
    paths(
        super::tokens::create,
        super::tokens::list,
        super::tokens::get,
        super::tokens::delete,
        super::people::list,
        super::people::add,
        super::people::update,
        super::people::remove,
        super::people::my_invitations,
        super::people::accept,
        super::people::decline,
        super::workspace_settings::get,
        super::workspace_settings::update,
        super::workspace_settings::delete_violating,
        super::admin_tokens::list,
        super::admin_tokens::delete,
        super::admin_tokens::delete_many,
        super::audit_events::list,
        super::audit_events::list_instance,
        super::accounts::list,
        super::accounts::get,
        super::accounts::update,
        super::accounts::withdraw_invitation,
        super::oauth_tokens::create,
        super::oauth_tokens::list,
        super::oauth_tokens::disable,
        super::oauth_tokens::delete,
        super::oauth_tokens::disable_many,
        super::oauth_tokens::delete_many,
        super::workspace_oauth_tokens::list,
        super::workspace_oauth_tokens::disable,
        super::workspace_oauth_tokens::delete,
        super::workspace_oauth_tokens::disable_many,
        super::workspace_oauth_tokens::delete_many,
        spec,
    ),
    components(schemas(
        CreateTokenRequest,
        CreatedToken,
        TokenInfo,
        TokenList,
        WorkspaceMember,
        WorkspaceMemberList,
        AddMemberRequest,
        AddedMember,
        UpdateMemberRequest,
        WorkspaceInvitation,
        WorkspaceInvitationList,
        WorkspaceSettings,
        SettingAdjusted,
        WorkspaceSettingsUpdate,
        DeletedCount,
        WorkspaceTokenInfo,
        WorkspaceTokenList,
        TokenOwner,
        BulkDeleteRequest,
        BulkDeleteResult,
        AuditEventList,
        AuditEvent,
        AuditActor,
        Account,
        AccountList,
        AccountWorkspace,
        AccountInvitation,
        UpdateAccountRequest,
        CreateOAuthTokenRequest,
        CreatedOAuthToken,
        OAuthTokenInfo,
        OAuthTokenList,
        OAuthTokenIdsRequest,
        OAuthBulkDisableResult,
        OAuthBulkDeleteResult,
        WorkspaceOAuthTokenInfo,
        WorkspaceOAuthTokenList,
        ErrorEnvelope,
        ErrorBody,
        ErrorName
    )),
    modifiers(&SecuritySchemes, &CommonResponses),
    security(("bearer" = []), ("basic" = [])),
    tags(
        (name = "apiAccessTokens", description = "API access tokens of the authenticated user"),
        (name = "workspaceMembers", description = "The people of the workspace (workspace admins only)"),
        (name = "workspaceSettings", description = "The workspace's token policy (workspace admins only)"),
        (name = "workspaceAccessTokens", description = "Every access token of the workspace, for its admins"),
        (name = "auditEvents", description = "The workspace's audit log (workspace admins only), and the events of no workspace (instance admins only)"),
        (name = "accounts", description = "Every account of the instance (instance admins only)"),
        (name = "oauthTokens", description = "OAuth 2.0 API tokens of the authenticated user: an access token (a signed JWT, one hour) and a refresh token, exchanged at POST /oauth2/token"),
        (name = "workspaceOAuthTokens", description = "Every OAuth 2.0 API token of the workspace, for its admins"),
    ),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The answers every route can give, whatever it does: 401 (credentials), 403 (a
/// Basic-auth call naming a workspace the user is not in, a route the caller's
/// role may not use, or a token without the scope the route needs), 429 (Basic sign-ins throttled, or an address held back after
/// too many invalid tokens) and 503 (database unavailable). They are declared once under
/// `components/responses` and referenced from every operation, so the handlers'
/// annotations list only what is particular to them.
struct CommonResponses;

/// `(status, component name, response)` of each common answer.
fn common_responses() -> [(&'static str, &'static str, Response); 4] {
    let retry_after = |description: &str| {
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some(description))
            .build()
    };
    [
        (
            "401",
            "Unauthorized",
            envelope_response("Missing or invalid credentials")
                .header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::String))
                        .description(Some(format!(
                            "`{CHALLENGE}`, plus `, error=\"invalid_token\"` when a token \
                             was presented"
                        )))
                        .build(),
                )
                .build(),
        ),
        (
            "403",
            "Forbidden",
            envelope_response(
                "AccessControlException: authenticated, but not allowed (the workspace's \
                 policy, a workspace named in X-Workspace that the user is not in, an \
                 admin-only route, an OAuth access token whose grant is stopped asking \
                 to create a token or an account, scopes the caller may not put on a new \
                 token, or a token without the scope the route needs: then `details` is \
                 `{\"error\": \"insufficient_scope\", \"requiredScopes\": [...]}`)",
            )
            .header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(format!(
                        "Only when the token lacks the scope the route needs (RFC 6750 \
                         section 3.1): `{CHALLENGE}, error=\"insufficient_scope\", \
                         scope=\"<the narrowest scope that opens it>\"`"
                    )))
                    .build(),
            )
            .build(),
        ),
        (
            "429",
            "TooManyRequests",
            envelope_response(
                "Too many failed Basic sign-ins for this user name or address, or too many \
                 invalid access tokens from this address",
            )
            .header(
                "Retry-After",
                retry_after("Seconds until the next attempt is allowed"),
            )
            .build(),
        ),
        (
            "503",
            "ServiceUnavailable",
            envelope_response(
                "The database cannot answer right now, or cannot store changes because it \
                 is read-only or its disk is full (`details.reason`: `databaseReadOnly` or \
                 `diskFull`); retry after `Retry-After`",
            )
            .header(
                "Retry-After",
                retry_after("Seconds to wait before retrying"),
            )
            .build(),
        ),
    ]
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let common = common_responses();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                add_common_responses(operation, &common);
                add_workspace_header(operation);
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, response) in common {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }
    }
}

/// Every route takes the optional `X-Workspace` header (see [`WORKSPACE_HEADER`]).
fn add_workspace_header(operation: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name(WORKSPACE_HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "With Basic credentials: the name of the workspace the call acts in (default: \
             the first workspace the user joined; 403 AccessControlException when the user \
             is not a member of it). Ignored with a Bearer token, which always acts in the \
             workspace it was created in.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(parameter);
}

fn add_common_responses(operation: &mut Operation, common: &[(&str, &str, Response)]) {
    for (status, name, _) in common {
        operation.responses.responses.insert(
            (*status).to_owned(),
            RefOr::Ref(Ref::from_response_name(*name)),
        );
    }
}

/// The OpenAPI document of every route of the API, as JSON.
#[utoipa::path(
    get,
    path = "/v4/open-api-spec",
    operation_id = "getOpenApiSpec",
    tag = "meta",
    responses(
        (status = 200, description = "This OpenAPI 3 document", content_type = "application/json", body = Object),
    ),
    security(("bearer" = []), ("basic" = []))
)]
pub async fn spec(_caller: ApiCaller) -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The document as a value (also used by tests).
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
