//! The request span every log line of a request carries: tracing-actix-web's
//! fields, with secrets that travel in a path (invitation links) redacted.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Paths whose last segment is a secret.
const SECRET_PATHS: [&str; 1] = ["/invite/"];

/// The path and query to log: a secret segment becomes `[redacted]`.
pub fn loggable_target(path_and_query: &str) -> String {
    for prefix in SECRET_PATHS {
        if path_and_query.starts_with(prefix) {
            return format!("{prefix}[redacted]");
        }
    }
    path_and_query.to_owned()
}

/// [`DefaultRootSpanBuilder`]'s span, but for the target.
pub struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = loggable_target(
            request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or(""),
        );
        let route = request.match_pattern().unwrap_or_default();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let info = request.connection_info();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.host = %info.host(),
            http.client_ip = %info.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_code_never_reaches_the_log() {
        assert_eq!(loggable_target("/invite/abc.def?x=1"), "/invite/[redacted]");
        assert_eq!(
            loggable_target("/v4/apiAccessTokens?a=b"),
            "/v4/apiAccessTokens?a=b"
        );
    }
}
