//! The bulk routes, which act on many tokens at once: their bodies, their answers
//! and the one handler body behind the owner's
//! and the workspace admin's bulk routes for OAuth API tokens.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::grant_query::{GrantIds, GrantIdsError};
use crate::domain::oauth::GrantId;
use crate::domain::token::TokenIdError;
use crate::domain::token_query::MAX_BULK_DELETE;
use crate::domain::TokenId;
use crate::services::oauth::{BulkOutcome, OwnedGrant, Scope};
use crate::state::AppState;

use super::{ApiCaller, ApiError, Object};

/// The largest bulk body: room for [`MAX_BULK_DELETE`] ids (39 bytes each as JSON
/// strings), which the API's usual 16 KiB would not hold.
pub const MAX_BULK_BODY_BYTES: usize = 64 * 1024;

/// A bulk route's body. A `Result`, so that the caller's credentials (and role) are
/// judged before it: actix answers with the first extractor error.
pub type Body<T> = Result<web::Json<Object<T>>, actix_web::Error>;

// The doc comments of the schemas are their descriptions in the OpenAPI document.

/// The body of a bulk delete.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BulkDeleteRequest {
    /// 1 to 1000 Token IDs of the workspace.
    #[schema(min_items = 1, max_items = 1000, value_type = Vec<uuid::Uuid>)]
    pub token_ids: Vec<String>,
}

impl BulkDeleteRequest {
    /// 1 to [`MAX_BULK_DELETE`] well-formed ids, duplicates dropped; a 400 naming
    /// `tokenIds` otherwise.
    pub(super) fn ids(&self) -> Result<Vec<TokenId>, ApiError> {
        let raw = &self.token_ids;
        if raw.is_empty() || raw.len() > MAX_BULK_DELETE {
            return Err(ApiError::invalid_field(
                "tokenIds",
                format!("Give 1 to {MAX_BULK_DELETE} token IDs."),
            ));
        }
        let mut ids = Vec::with_capacity(raw.len());
        for r in raw {
            let id: TokenId = r
                .parse()
                .map_err(|e: TokenIdError| ApiError::invalid_field("tokenIds", e.to_string()))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

/// What a bulk delete did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkDeleteResult {
    /// How many tokens were deleted; ids that are unknown or of another workspace
    /// are not counted.
    pub deleted: usize,
    /// The Token IDs deleted.
    pub token_ids: Vec<String>,
}

/// The body of a bulk disable or delete.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OAuthTokenIdsRequest {
    /// 1 to 1000 token IDs; one given twice counts once.
    #[schema(min_items = 1, max_items = 1000, value_type = Vec<uuid::Uuid>)]
    pub token_ids: Vec<String>,
}

impl OAuthTokenIdsRequest {
    /// The ids, parsed; a 400 naming `tokenIds` otherwise.
    fn ids(&self) -> Result<GrantIds, ApiError> {
        GrantIds::parse(&self.token_ids)
            .map_err(|e: GrantIdsError| ApiError::invalid_field("tokenIds", e.to_string()))
    }
}

/// What a bulk disable did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthBulkDisableResult {
    /// How many tokens this request disabled.
    pub disabled: usize,
    /// The token IDs this request disabled.
    pub token_ids: Vec<String>,
    /// Token IDs that were disabled already: left as they were.
    pub already_disabled: Vec<String>,
    /// Token IDs not found: unknown, or not the caller's to act on.
    pub not_found: Vec<String>,
}

impl From<&BulkOutcome> for OAuthBulkDisableResult {
    fn from(o: &BulkOutcome) -> Self {
        OAuthBulkDisableResult {
            disabled: o.done.len(),
            token_ids: grant_ids(&o.done),
            already_disabled: grant_ids(&o.unchanged),
            not_found: o.not_found.iter().map(GrantId::to_string).collect(),
        }
    }
}

/// What a bulk delete did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthBulkDeleteResult {
    /// How many tokens this request deleted.
    pub deleted: usize,
    /// The token IDs this request deleted.
    pub token_ids: Vec<String>,
    /// Token IDs not found: unknown, or not the caller's to act on.
    pub not_found: Vec<String>,
}

impl From<&BulkOutcome> for OAuthBulkDeleteResult {
    fn from(o: &BulkOutcome) -> Self {
        OAuthBulkDeleteResult {
            deleted: o.done.len(),
            token_ids: grant_ids(&o.done),
            not_found: o.not_found.iter().map(GrantId::to_string).collect(),
        }
    }
}

fn grant_ids(grants: &[OwnedGrant]) -> Vec<String> {
    grants.iter().map(|g| g.grant.id.to_string()).collect()
}

/// What a bulk request does to the OAuth API tokens it names.
#[derive(Clone, Copy)]
pub(super) enum Bulk {
    Disable,
    Delete,
}

/// A bulk disable or delete of OAuth API tokens, for the owner's routes and the
/// admin's alike: reads the ids, acts on those in `scope` in one transaction, and
/// reports the outcome.
pub(super) async fn on_grants(
    caller: &ApiCaller,
    state: &AppState,
    scope: Scope<'_>,
    body: Body<OAuthTokenIdsRequest>,
    action: Bulk,
) -> actix_web::Result<HttpResponse> {
    let ids = body?.into_inner().0.ids()?;
    let (pool, principal, address) = (&state.pool, &caller.principal, caller.address);
    let response = match action {
        Bulk::Disable => {
            let outcome = state.oauth.disable(pool, principal, address, scope, ids);
            let outcome = outcome.await.map_err(ApiError::from)?;
            HttpResponse::Ok().json(OAuthBulkDisableResult::from(&outcome))
        }
        Bulk::Delete => {
            let outcome = state.oauth.delete(pool, principal, address, scope, ids);
            let outcome = outcome.await.map_err(ApiError::from)?;
            HttpResponse::Ok().json(OAuthBulkDeleteResult::from(&outcome))
        }
    };
    Ok(response)
}
