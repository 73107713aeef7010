//! The log: its subscriber (text or JSON lines), the request span every line of a
//! request carries (tracing-actix-web's fields with secrets in a path redacted),
//! and the request id returned to the client in `X-Request-Id`.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::{Event, Span, Subscriber};
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::fmt::format::{Format, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// The response header that tells the client its request's id, the `request_id`
/// of every log line written while handling it.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; a request's lines name its span and its fields.
    #[default]
    Text,
    /// One JSON object a line, with `request_id` at the top level.
    Json,
}

/// Installs the global subscriber: the level from `RUST_LOG` (default `info`), on
/// standard error, in `format`.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines(
                tracing_subscriber::fmt::format()
                    .json()
                    .with_current_span(false)
                    .with_span_list(true),
            ))
            .try_init(),
    };
}

/// The JSON line of tracing-subscriber, with the `request_id` of the request span
/// it was written in copied to the top level, where log stores index it without
/// digging through the list of spans.
struct JsonLines(Format<Json>);

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let request_id = ctx.event_scope().and_then(|scope| {
            scope.from_root().find_map(|span| {
                let extensions = span.extensions();
                let fields = extensions.get::<FormattedFields<N>>()?;
                request_id_in(&fields.fields)
            })
        });
        match (request_id, line.strip_prefix('{')) {
            (Some(id), Some(rest)) => {
                let id = serde_json::Value::String(id);
                write!(writer, "{{\"request_id\":{id},{rest}")
            }
            _ => writer.write_str(&line),
        }
    }
}

/// The `request_id` among a span's fields, as the JSON formatter recorded them.
fn request_id_in(fields: &str) -> Option<String> {
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(fields).ok()?;
    match fields.get("request_id")? {
        serde_json::Value::String(id) if !id.is_empty() => Some(id.clone()),
        _ => None,
    }
}

/// Middleware: answers with the request id in `X-Request-Id`, so a client's report
/// of a failure leads to the log lines of that very request.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let mut response = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

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

/// [`DefaultRootSpanBuilder`]'s span, but for the target (secrets redacted) and the
/// client and host (never from a forwarding header of an untrusted peer).
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
        // The client and host as the audit log and links see them: a `Forwarded`
        // or `X-Forwarded-*` header counts only from a trusted proxy.
        let client_ip = crate::auth::client_address::of(request.request())
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let host = crate::auth::public_url::host_of(request.request());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.host = %host,
            http.client_ip = %client_ip,
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
        log_error_answer(outcome);
    }
}

/// One line for a request answered by an error, at the level of how unusual it is:
/// ERROR for a 5xx (something is wrong here), INFO for a 4xx (a refusal or a
/// client's mistake: ordinary, a 404 for a missing file included), DEBUG for a
/// redirect (to sign in, to Change Password). Token refusals worth a look (a
/// wrong secret for a known token) are logged at WARN where they are judged.
fn log_error_answer<B>(outcome: &Result<ServiceResponse<B>, Error>) {
    let (error, status) = match outcome {
        Ok(response) => match response.response().error() {
            Some(error) => (error.as_response_error(), response.status()),
            None => return,
        },
        Err(error) => {
            let error = error.as_response_error();
            (error, error.status_code())
        }
    };
    let status = status.as_u16();
    let level = level_of(status);
    if level == tracing::Level::ERROR {
        tracing::error!(status, "answered with an error: {error:?}");
    } else if level == tracing::Level::INFO {
        tracing::info!(status, "refused: {error:?}");
    } else {
        tracing::debug!(status, "redirected: {error:?}");
    }
}

/// The level an error answer with this status is logged at.
fn level_of(status: u16) -> tracing::Level {
    match status {
        500.. => tracing::Level::ERROR,
        400..=499 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
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

    #[test]
    fn only_a_server_error_is_logged_as_an_error() {
        assert_eq!(level_of(500), tracing::Level::ERROR);
        assert_eq!(level_of(503), tracing::Level::ERROR);
        for ordinary in [400, 401, 403, 404, 422] {
            assert_eq!(level_of(ordinary), tracing::Level::INFO, "{ordinary}");
        }
        assert_eq!(level_of(303), tracing::Level::DEBUG);
    }

    #[test]
    fn the_request_id_is_read_from_the_span_fields() {
        assert_eq!(
            request_id_in(r#"{"http.method":"GET","request_id":"a-b"}"#).as_deref(),
            Some("a-b")
        );
        assert_eq!(request_id_in(r#"{"request_id":""}"#), None);
        assert_eq!(request_id_in("not json"), None);
    }
}
