//! The API's one error type and its JSON envelope:
//! `{"exception": {"name": ..., "message": ..., "details": {...}}}`.

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::auth::authority::{InstanceAdminError, NotWorkspaceAdmin};
use crate::auth::bearer::BearerError;
use crate::auth::SignInError;
use crate::db::DbError;
use crate::domain::policy::PolicyViolation;
use crate::services::tokens::CreateError;

/// The challenge sent with every 401 (RFC 6750).
pub const CHALLENGE: &str = r#"Bearer realm="access-tokens""#;
/// The challenge sent when a presented token was refused.
pub const CHALLENGE_INVALID_TOKEN: &str = r#"Bearer realm="access-tokens", error="invalid_token""#;

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400, or 413 / 415 for the body's size or type: `ValidationFailed`.
    #[error("{message}")]
    Validation {
        status: StatusCode,
        message: String,
        details: Value,
    },
    /// 401: no credentials, or wrong ones.
    #[error("{message}")]
    Unauthenticated {
        message: String,
        token_presented: bool,
    },
    /// 429: too many failed sign-ins.
    #[error("Too many failed sign-in attempts. Try again later.")]
    Throttled { retry_after: Duration },
    /// 429: too many invalid access tokens from the caller's address.
    #[error("Too many invalid access tokens from this address. Try again later.")]
    TokensThrottled { retry_after: Duration },
    /// 404 for an object the caller cannot see.
    /// 403 `AccessControlException`: authenticated, but not allowed to do this.
    #[error("{0}")]
    AccessDenied(String),
    /// 403 `AccessControlException` with RFC 6750's `insufficient_scope` challenge:
    /// the token lacks `scope` (one name, or several separated by spaces).
    #[error("{message}")]
    InsufficientScope { scope: String, message: String },
    #[error("{0}")]
    NotFound(String),
    /// 409 `ConflictException`: the request contradicts the current state (already
    /// a member, the last admin, ...).
    #[error("{0}")]
    Conflict(String),
    /// 409 `ConflictException` with `details` (a name that exists: `existingUser`).
    #[error("{message}")]
    ConflictWith { message: String, details: Value },
    /// 404 for a path or method the API does not have.
    #[error("Route doesn't exist")]
    RouteNotFound,
    /// 503: the database cannot answer right now.
    #[error("The service is temporarily unavailable. Try again shortly.")]
    Unavailable,
    /// 503: the database is read-only; reads still work, changes do not.
    #[error(
        "The database is read-only, so nothing can be created or deleted right now. \
         Try again later."
    )]
    ReadOnly,
    /// 503: the database disk is full; reads still work, changes do not.
    #[error(
        "The database disk is full, so nothing can be created or deleted right now. \
         Try again later."
    )]
    StorageFull,
    /// 500: a bug or an unexpected storage failure; details go to the log only.
    #[error("An unexpected error occurred.")]
    Internal,
}

/// The error envelope, as the OpenAPI document describes it.
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub exception: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub name: ErrorName,
    pub message: String,
    /// More about the failure, such as the `field` at fault; may be empty.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// What kind of failure it was; one name per [`ApiError`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum ErrorName {
    /// 400, 413 or 415: the request (its body, a field or the path) is not valid.
    ValidationFailed,
    /// 401: no credentials, or credentials that are not valid.
    UnauthorizedException,
    /// 403: authenticated, but not allowed (a member generating where only admins
    /// may, a workspace the caller is not in, an admin-only route, ...).
    AccessControlException,
    /// 404: no such object of the caller's.
    ObjectNotFoundException,
    /// 409: the request contradicts the current state (already a member, the last
    /// admin of a workspace, ...).
    ConflictException,
    /// 404: no such path or method.
    RouteNotFoundException,
    /// 429: too many failed sign-ins.
    TooManyRequestsException,
    /// 503: the database cannot answer right now, or cannot store changes (read-only,
    /// or its disk is full; `details.reason` says which).
    ServiceUnavailableException,
    /// 500: an unexpected failure.
    InternalServerError,
}

impl ApiError {
    /// A 400 about one field of the request.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            details: json!({ "field": field }),
        }
    }

    fn name(&self) -> ErrorName {
        match self {
            ApiError::Validation { .. } => ErrorName::ValidationFailed,
            ApiError::Unauthenticated { .. } => ErrorName::UnauthorizedException,
            ApiError::Throttled { .. } | ApiError::TokensThrottled { .. } => {
                ErrorName::TooManyRequestsException
            }
            ApiError::AccessDenied(_) | ApiError::InsufficientScope { .. } => {
                ErrorName::AccessControlException
            }
            ApiError::NotFound(_) => ErrorName::ObjectNotFoundException,
            ApiError::Conflict(_) | ApiError::ConflictWith { .. } => ErrorName::ConflictException,
            ApiError::RouteNotFound => ErrorName::RouteNotFoundException,
            ApiError::Unavailable | ApiError::ReadOnly | ApiError::StorageFull => {
                ErrorName::ServiceUnavailableException
            }
            ApiError::Internal => ErrorName::InternalServerError,
        }
    }

    fn details(&self) -> Value {
        match self {
            ApiError::Validation { details, .. } | ApiError::ConflictWith { details, .. } => {
                details.clone()
            }
            ApiError::Throttled { retry_after } | ApiError::TokensThrottled { retry_after } => {
                json!({ "retryAfterSeconds": retry_after.as_secs().max(1) })
            }
            ApiError::InsufficientScope { scope, .. } => json!({
                "error": "insufficient_scope",
                "requiredScopes": scope.split(' ').collect::<Vec<_>>(),
            }),
            ApiError::ReadOnly => json!({ "reason": "databaseReadOnly" }),
            ApiError::StorageFull => json!({ "reason": "diskFull" }),
            _ => json!({}),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { status, .. } => *status,
            ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Throttled { .. } | ApiError::TokensThrottled { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::AccessDenied(_) | ApiError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::ConflictWith { .. } => StatusCode::CONFLICT,
            ApiError::Unavailable | ApiError::ReadOnly | ApiError::StorageFull => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            ApiError::Unauthenticated {
                token_presented, ..
            } => {
                let challenge = if *token_presented {
                    CHALLENGE_INVALID_TOKEN
                } else {
                    CHALLENGE
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            ApiError::Throttled { retry_after } | ApiError::TokensThrottled { retry_after } => {
                response.insert_header((
                    header::RETRY_AFTER,
                    retry_after.as_secs().max(1).to_string(),
                ));
            }
            ApiError::InsufficientScope { scope, .. } => {
                // Scope names are ASCII by their rule; the value is always valid.
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        r#"Bearer realm="access-tokens", error="insufficient_scope", scope="{scope}""#
                    ),
                ));
            }
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            // Someone has to free space or make the file writable: retry less often.
            ApiError::ReadOnly | ApiError::StorageFull => {
                response.insert_header((header::RETRY_AFTER, "60"));
            }
            _ => {}
        }
        response.json(ErrorEnvelope {
            exception: ErrorBody {
                name: self.name(),
                message: self.to_string(),
                details: self.details(),
            },
        })
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            // An operator must act: make the file writable or free space.
            DbError::ReadOnly(_) => {
                tracing::error!(error = %e, "the database cannot store changes");
                ApiError::ReadOnly
            }
            DbError::Full(_) => {
                tracing::error!(error = %e, "the database cannot store changes");
                ApiError::StorageFull
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            e => {
                tracing::error!(error = %e, "database error");
                ApiError::Internal
            }
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::InvalidCredentials => ApiError::Unauthenticated {
                message: "Invalid username or password.".into(),
                token_presented: false,
            },
            SignInError::Throttled { retry_after } => ApiError::Throttled { retry_after },
            e @ SignInError::NotAMember(_) => ApiError::AccessDenied(e.to_string()),
            SignInError::Db(e) => e.into(),
        }
    }
}

impl From<BearerError> for ApiError {
    fn from(e: BearerError) -> Self {
        match e {
            BearerError::Invalid => ApiError::Unauthenticated {
                message: "The access token is invalid, expired or deleted.".into(),
                token_presented: true,
            },
            BearerError::Throttled(retry_after) => ApiError::TokensThrottled { retry_after },
            BearerError::Db(e) => e.into(),
        }
    }
}

/// A member on a workspace admin's route: 403 `AccessControlException`.
impl From<NotWorkspaceAdmin> for ApiError {
    fn from(e: NotWorkspaceAdmin) -> Self {
        ApiError::AccessDenied(e.to_string())
    }
}

/// Anyone but an instance admin on an instance route: 403 `AccessControlException`.
impl From<InstanceAdminError> for ApiError {
    fn from(e: InstanceAdminError) -> Self {
        match e {
            InstanceAdminError::Refused(e) => ApiError::AccessDenied(e.to_string()),
            InstanceAdminError::Db(e) => e.into(),
        }
    }
}

impl From<PolicyViolation> for ApiError {
    fn from(v: PolicyViolation) -> Self {
        if v.is_access_denied() {
            ApiError::AccessDenied(v.to_string())
        } else {
            let max = match v {
                PolicyViolation::LongerThanMaximum { max_days } => Some(max_days),
                PolicyViolation::NeverExpiresNotAllowed { max_days } => max_days,
                _ => None,
            };
            ApiError::Validation {
                status: StatusCode::BAD_REQUEST,
                message: v.to_string(),
                details: json!({
                    "field": "lifetimeSeconds",
                    "maximumLifetimeDays": max,
                    "maximumLifetimeSeconds": max.map(|d| d * 86_400),
                }),
            }
        }
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::Policy(v) => v.into(),
            CreateError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_are_sent_as_their_plain_names() {
        for (name, wire) in [
            (ErrorName::ValidationFailed, "ValidationFailed"),
            (ErrorName::UnauthorizedException, "UnauthorizedException"),
            (
                ErrorName::ObjectNotFoundException,
                "ObjectNotFoundException",
            ),
            (ErrorName::RouteNotFoundException, "RouteNotFoundException"),
            (
                ErrorName::TooManyRequestsException,
                "TooManyRequestsException",
            ),
            (
                ErrorName::ServiceUnavailableException,
                "ServiceUnavailableException",
            ),
            (ErrorName::InternalServerError, "InternalServerError"),
        ] {
            assert_eq!(serde_json::to_value(name).unwrap(), json!(wire));
        }
    }
}
