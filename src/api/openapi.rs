//! The OpenAPI 3 document of the API, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::tokens::{CreateTokenRequest, CreatedToken, TokenInfo, TokenList};
use super::{ApiCaller, ErrorBody, ErrorEnvelope};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "access-tokens API",
        description = "Create, list, read and delete API access tokens. Every route takes \
            `Authorization: Bearer <tokenValue>` or HTTP Basic (username and password; the \
            first token needs it). Basic and Bearer callers act in the user's workspace.",
    ),
    paths(
        super::tokens::create,
        super::tokens::list,
        super::tokens::get,
        super::tokens::delete,
        spec,
    ),
    components(schemas(CreateTokenRequest, CreatedToken, TokenInfo, TokenList, ErrorEnvelope, ErrorBody)),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("basic" = [])),
    tags((name = "apiAccessTokens", description = "API access tokens of the authenticated user")),
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

/// The OpenAPI document of every route of the API, as JSON.
#[utoipa::path(
    get,
    path = "/v4/open-api-spec",
    operation_id = "getOpenApiSpec",
    tag = "meta",
    responses(
        (status = 200, description = "This OpenAPI 3 document", content_type = "application/json", body = Object),
        (status = 401, description = "Missing or invalid credentials", body = ErrorEnvelope),
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
