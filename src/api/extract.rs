//! The API's callers as handler arguments: `ApiCaller` and `MintingCaller` (judged
//! by `auth::caller`), with a refusal answered in the v4 JSON envelope.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::caller::{self, CallerError};
use crate::state::AppState;

use super::error::ApiError;

pub use crate::auth::caller::{ApiCaller, Credential, MintingCaller, WORKSPACE_HEADER};

impl From<CallerError> for ApiError {
    fn from(e: CallerError) -> Self {
        match e {
            CallerError::Unauthenticated {
                message,
                token_presented,
            } => ApiError::Unauthenticated {
                message,
                token_presented,
            },
            CallerError::Denied(message) => ApiError::AccessDenied(message),
            CallerError::TokensThrottled { retry_after } => {
                ApiError::TokensThrottled { retry_after }
            }
            CallerError::SignIn(e) => e.into(),
            // A token that cannot be checked is 503 (with the envelope's reasons for
            // a read-only or full database), never a pass and never a 500 that a
            // proxy might treat differently.
            CallerError::CheckFailed(e) => match ApiError::from(e) {
                ApiError::Internal => ApiError::Unavailable,
                other => other,
            },
            CallerError::Keys => ApiError::Internal,
        }
    }
}

/// Taking it as a handler argument makes the route require credentials. actix
/// polls all extractors together and answers with the first error, so a handler
/// that also reads a body takes it as a `Result`.
impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or(ApiError::Internal)?;
            let caller = caller::of_request(&req, state).await?;
            // Every authenticated `/v4` call passes here: the one place a token's
            // scopes are held against the route.
            super::scopes::check(&req, &caller)?;
            Ok(caller)
        })
    }
}

impl FromRequest for MintingCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let caller = ApiCaller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            let state = state.ok_or(ApiError::Internal)?;
            caller::may_mint(&state, &caller).await?;
            Ok(MintingCaller(caller))
        })
    }
}
