//! The log: its subscriber (text or JSON lines), the request span every line of a
//! request carries (secrets in a path redacted), the line each answered request
//! writes, and the request id returned to the client in `X-Request-Id`.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::Error;
use tracing::{Event, Level, Span, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::format::{Format, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

mod text;

pub use text::{PlainFields, TextLines};

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

/// Keeps the log's writer thread; dropping it writes what is still queued. Hold it
/// until the process is about to exit.
#[must_use = "the log stops being written when the guard is dropped"]
pub struct LogGuard(#[allow(dead_code)] WorkerGuard);

/// Installs the global subscriber: the level from `RUST_LOG` (default `info`), on
/// standard error, in `format`.
///
/// Lines are formatted where they happen and written by one thread of their own,
/// through a buffer it flushes whenever its queue runs empty: a request never
/// waits on standard error (a slow terminal, a full pipe), and under load many
/// lines go out in one write instead of one system call each. Lossless: when
/// [`QUEUED_LINES`] lines wait, the next one waits for room rather than being
/// dropped.
pub fn init(format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::with_capacity(
            WRITE_BUFFER_BYTES,
            std::io::stderr(),
        ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        // A terminal gets tracing-subscriber's coloured lines; a file or a pipe
        // (what a server writes to) the same text, written by `TextLines`.
        LogFormat::Text if ansi => builder.with_ansi(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(false)
            .fmt_fields(PlainFields)
            .event_format(TextLines)
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
    LogGuard(guard)
}

/// Lines that may wait for the writer thread before a request waits for it: a
/// few milliseconds of a busy server's lines, about 3 MiB at most (a queue of
/// 64k lines filled to 20 MiB under the benchmark's load, a third of the memory
/// target).
const QUEUED_LINES: usize = 8 * 1024;
/// The writer thread's buffer: many lines per write under load.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

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

/// A request's id: a random UUID, in the request span's `request_id` (so in every
/// line of the request) and in the response's `X-Request-Id`, so a client's
/// report of a failure leads to the log lines of that very request.
#[derive(Clone, Copy)]
pub struct RequestId(uuid::Uuid);

/// A request id's text: hyphenated lowercase hex, 36 characters.
pub type RequestIdText = [u8; uuid::fmt::Hyphenated::LENGTH];

impl RequestId {
    /// A new random id (a thread-local generator seeded by the OS: no system
    /// call per request).
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// The id's text, on the stack.
    pub fn text(&self) -> RequestIdText {
        let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
        self.0.hyphenated().encode_lower(&mut text);
        text
    }

    /// The id as a response header's value.
    pub fn header_value(&self) -> HeaderValue {
        HeaderValue::from_bytes(&self.text()).expect("hex digits and hyphens are a header value")
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

/// Paths whose last segment is a secret.
const SECRET_PATHS: [&str; 1] = ["/invite/"];

/// The path and query to log: a secret segment becomes `[redacted]`.
pub fn loggable_target(path_and_query: &str) -> Cow<'_, str> {
    for prefix in SECRET_PATHS {
        if path_and_query.starts_with(prefix) {
            return Cow::Owned(format!("{prefix}[redacted]"));
        }
    }
    Cow::Borrowed(path_and_query)
}

/// The span every line written while handling `request` carries: its id, method,
/// route pattern, target (secrets redacted), client, host and user agent, and its
/// status once answered. The client and host are those the audit log and links
/// see: a `Forwarded` or `X-Forwarded-*` header counts only from a trusted proxy.
///
/// The log formats the fields once, when the span opens, each from a borrowed
/// value; only `http.status_code` is added at the end (see [`answered`]).
pub fn request_span(request: &ServiceRequest, route: Option<&str>, id: &RequestId) -> Span {
    let target = loggable_target(
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(""),
    );
    let id = id.text();
    let id = std::str::from_utf8(&id).unwrap_or_default();
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let client_ip = crate::auth::client_address::of(request.request());
    let host = crate::auth::public_url::host_of(request.request());
    tracing::info_span!(
        "HTTP request",
        http.method = request.method().as_str(),
        http.route = route.unwrap_or(""),
        http.host = host.as_str(),
        http.client_ip = %OrEmpty(client_ip),
        http.user_agent = user_agent,
        http.target = &*target,
        http.status_code = tracing::field::Empty,
        request_id = id,
    )
}

/// Records the status of an answered request in its span (entered) and writes the
/// request's line, with how long the answer took.
pub fn answered<B>(span: &Span, outcome: &Result<ServiceResponse<B>, Error>, took: Duration) {
    let status = match outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    span.record("http.status_code", status.as_u16());
    log_answer(outcome, status.as_u16(), took);
}

/// `Display` of an optional value, nothing for `None`, without a `String` between.
struct OrEmpty<T>(Option<T>);

impl<T: fmt::Display> fmt::Display for OrEmpty<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => value.fmt(f),
            None => Ok(()),
        }
    }
}

/// The one line every request writes when it is answered, in its span (so with
/// its method, route, target, client, status and request id), with how long the
/// answer took: an access log that is on by default, for every route. Its level
/// says how unusual the answer is: ERROR for a 5xx (something is wrong here),
/// INFO for anything else. An answer made from an error says which error: a
/// refusal or a client's mistake (4xx, a 404 for a missing file included), or a
/// redirect (to sign in, to Change Password). Token refusals worth a look (a wrong
/// secret for a known token) get a WARN line of their own where they are judged.
fn log_answer<B>(outcome: &Result<ServiceResponse<B>, Error>, status: u16, took: Duration) {
    let error = match outcome {
        Ok(response) => response.response().error().map(|e| e.as_response_error()),
        Err(error) => Some(error.as_response_error()),
    };
    let duration_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    match (level_of(status), error) {
        (Level::ERROR, Some(error)) => {
            tracing::error!(duration_us, "answered with an error: {error:?}")
        }
        (Level::ERROR, None) => tracing::error!(duration_us, "answered with an error"),
        (_, Some(error)) if status >= 400 => tracing::info!(duration_us, "refused: {error:?}"),
        (_, Some(error)) => tracing::info!(duration_us, "redirected: {error:?}"),
        (_, None) => tracing::info!(duration_us, "answered"),
    }
}

/// The level an answer with this status is logged at.
fn level_of(status: u16) -> Level {
    match status {
        500.. => Level::ERROR,
        _ => Level::INFO,
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
        for ordinary in [200, 204, 303, 400, 401, 403, 404, 422] {
            assert_eq!(level_of(ordinary), tracing::Level::INFO, "{ordinary}");
        }
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
