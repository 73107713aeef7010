//! The pages' one error type, rendered once as an HTML page (or a redirect to sign in).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::auth::authority::{InstanceAdminError, NotWorkspaceAdmin};
use crate::db::DbError;

/// Change Password, the one page a user whose password must change may see.
pub const PASSWORD_PAGE: &str = "/preferences/password";

/// Every way a page request can fail.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in: a redirect to the sign-in page.
    #[error("sign-in required")]
    SignInRequired,
    /// Signed in with a password an admin set: a redirect to Change Password,
    /// which says why.
    #[error("the password must be changed first")]
    PasswordMustChange,
    /// A form without this session's CSRF token.
    #[error("the form's security token did not match")]
    Csrf,
    /// Signed in, but not allowed here (a member on an admin page, ...).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the database is unavailable")]
    Unavailable,
    #[error("the database is read-only")]
    ReadOnly,
    #[error("the database disk is full")]
    StorageFull,
    #[error("internal error")]
    Internal,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl PageError {
    fn text(&self) -> (&'static str, String) {
        match self {
            PageError::SignInRequired => ("Sign in required", "Please sign in.".into()),
            PageError::PasswordMustChange => (
                "Choose your password",
                "An administrator set your password: choose your own first.".into(),
            ),
            PageError::Csrf => (
                "Form expired",
                "This form has expired or was not sent from this site. Go back, reload the page and try again.".into(),
            ),
            PageError::Forbidden(reason) => ("Access denied", reason.clone()),
            PageError::NotFound => ("Page not found", "There is nothing at this address.".into()),
            PageError::BadRequest(reason) => ("Bad request", reason.clone()),
            PageError::Unavailable => (
                "Temporarily unavailable",
                "The service cannot reach its database right now. Please try again in a few seconds.".into(),
            ),
            PageError::ReadOnly => (
                "Database is read-only",
                "The database is read-only right now, so tokens cannot be generated or deleted. Please try again later, or tell your administrator.".into(),
            ),
            PageError::StorageFull => (
                "Disk is full",
                "The database disk is full, so tokens cannot be generated or deleted right now. Please try again later, or tell your administrator.".into(),
            ),
            PageError::Internal => (
                "Something went wrong",
                "An unexpected error occurred. Please try again.".into(),
            ),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignInRequired | PageError::PasswordMustChange => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Unavailable | PageError::ReadOnly | PageError::StorageFull => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignInRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        if let PageError::PasswordMustChange = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, PASSWORD_PAGE))
                .finish();
        }
        let (title, message) = self.text();
        let body = ErrorPage {
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

impl From<DbError> for PageError {
    fn from(e: DbError) -> Self {
        match e {
            // An operator must act: make the file writable or free space.
            DbError::ReadOnly(_) => {
                tracing::error!(error = %e, "the database cannot store changes");
                PageError::ReadOnly
            }
            DbError::Full(_) => {
                tracing::error!(error = %e, "the database cannot store changes");
                PageError::StorageFull
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                PageError::Unavailable
            }
            e => {
                tracing::error!(error = %e, "database error");
                PageError::Internal
            }
        }
    }
}

/// A member on a workspace admin's page: the page's 403, with why.
impl From<NotWorkspaceAdmin> for PageError {
    fn from(e: NotWorkspaceAdmin) -> Self {
        PageError::Forbidden(e.to_string())
    }
}

/// Anyone but an instance admin on an instance page: the page's 403.
impl From<InstanceAdminError> for PageError {
    fn from(e: InstanceAdminError) -> Self {
        match e {
            InstanceAdminError::Refused(e) => PageError::Forbidden(e.to_string()),
            InstanceAdminError::Db(e) => e.into(),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        PageError::Internal
    }
}

impl From<actix_session::SessionInsertError> for PageError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        tracing::error!(error = %e, "session error");
        PageError::Internal
    }
}
