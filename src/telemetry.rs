//! The log: its subscriber (text or JSON lines), the request span every line of a
//! request carries (secrets in a path redacted), the line each answered request
//! writes, and the request id returned to the client in `X-Request-Id`.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::Error;
use tracing::{Event, Level, Span, Subscriber};
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{Format, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

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
/// lines go out in one write instead of one system call each. After each write
/// the thread rests for [`BATCH_PAUSE`] (see [`Paced`]). Lossless: when
/// [`QUEUED_LINES`] lines wait, the next one waits for room rather than being
/// dropped.
pub fn init(format: LogFormat) -> LogGuard {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(Paced(std::io::BufWriter::with_capacity(
            WRITE_BUFFER_BYTES,
            std::io::stderr(),
        )));
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| "info".to_owned());
    // Levels by target (`info`, `access_tokens=debug,warn`) are judged by
    // `Targets`, once per call site. `EnvFilter` takes a lock shared by every
    // thread on each span's creation, entry, exit and close, to track spans for
    // directives that name one (`[HTTP request]=debug`): four times per request,
    // about 2% of `/auth/verify` (docs/PERFORMANCE.md). It is used only for such
    // directives, which `Targets` does not read.
    match directives.parse::<Targets>() {
        Ok(targets) => install(targets, format, ansi, writer),
        Err(_) => install(
            EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info")),
            format,
            ansi,
            writer,
        ),
    }
    LogGuard(guard)
}

/// The global subscriber: `filter`, then lines in `format` through `writer`.
fn install<F>(filter: F, format: LogFormat, ansi: bool, writer: NonBlocking)
where
    F: Layer<Registry> + Send + Sync + 'static,
{
    let lines = tracing_subscriber::fmt::layer().with_writer(writer);
    let subscriber = tracing_subscriber::registry().with(filter);
    let _ = match format {
        // A terminal gets tracing-subscriber's coloured lines; a file or a pipe
        // (what a server writes to) the same text, written by `TextLines`.
        LogFormat::Text if ansi => subscriber.with(lines.with_ansi(true)).try_init(),
        LogFormat::Text => subscriber
            .with(
                lines
                    .with_ansi(false)
                    .fmt_fields(PlainFields)
                    .event_format(TextLines),
            )
            .try_init(),
        LogFormat::Json => subscriber
            .with(
                lines.fmt_fields(JsonFields::new()).event_format(JsonLines(
                    tracing_subscriber::fmt::format()
                        .json()
                        .with_current_span(false)
                        .with_span_list(true),
                )),
            )
            .try_init(),
    };
}

/// Lines that may wait for the writer thread before a request waits for it: a
/// few milliseconds of a busy server's lines, about 3 MiB at most (a queue of
/// 64k lines filled to 20 MiB under the benchmark's load, a third of the memory
/// target).
const QUEUED_LINES: usize = 8 * 1024;
/// The writer thread's buffer: many lines per write under load.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;
/// How long the writer thread rests after each write: the most a line waits
/// behind the one before it.
const BATCH_PAUSE: Duration = Duration::from_millis(2);

/// The log writer thread's output: after each flush (tracing-appender's worker
/// flushes whenever its queue runs empty) the thread sleeps for [`BATCH_PAUSE`] before it
/// looks at the queue again.
///
/// Without the pause, a busy server's lines arrive one at a time, each just after
/// the thread has emptied the queue: the thread spins, yields, parks, and the next
/// request's line has to wake it (a futex call on the request's thread and a
/// context switch on a CPU that was answering requests), about once every ten
/// requests under the benchmark's load, with a `write` for every handful of lines
/// (docs/PERFORMANCE.md, seventh round). Resting instead, the thread finds a
/// batch waiting when it comes back, and the lines that came meanwhile cost their
/// requests a place in the queue only. A lone line (an idle server) is still
/// written at once: the pause comes after a write, never before.
struct Paced<W>(W);

impl<W: std::io::Write> std::io::Write for Paced<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.0.flush();
        std::thread::sleep(BATCH_PAUSE);
        flushed
    }
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
    let client_ip = crate::auth::client_address::of(request.request()).map(IpText::new);
    let client_ip = client_ip.as_ref().map_or("", IpText::as_str);
    let host = crate::auth::public_url::host_of(request.request());
    tracing::info_span!(
        "HTTP request",
        http.method = request.method().as_str(),
        http.route = route.unwrap_or(""),
        http.host = &*host,
        http.client_ip = client_ip,
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

/// An address's text on the stack, as `Display` writes it: an IPv4 address
/// digit by digit (`core::fmt` cost a thousand instructions a request, for the
/// span's `http.client_ip`), an IPv6 address through `Display`.
struct IpText {
    text: [u8; IpText::MAX],
    len: usize,
}

impl IpText {
    /// `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`, the longest `Display`
    /// writes.
    const MAX: usize = 45;

    fn new(ip: IpAddr) -> Self {
        let mut this = Self {
            text: [0; Self::MAX],
            len: 0,
        };
        match ip {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        this.push(b'.');
                    }
                    if octet >= 100 {
                        this.push(b'0' + octet / 100);
                    }
                    if octet >= 10 {
                        this.push(b'0' + octet / 10 % 10);
                    }
                    this.push(b'0' + octet % 10);
                }
            }
            IpAddr::V6(v6) => {
                let mut cursor = std::io::Cursor::new(&mut this.text[..]);
                // 45 bytes hold every IPv6 address's text.
                if std::io::Write::write_fmt(&mut cursor, format_args!("{v6}")).is_ok() {
                    this.len = usize::try_from(cursor.position()).unwrap_or(0);
                }
            }
        }
        this
    }

    fn push(&mut self, byte: u8) {
        self.text[self.len] = byte;
        self.len += 1;
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text[..self.len]).unwrap_or_default()
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
    fn an_address_is_written_as_display_writes_it() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.100.255",
            "203.0.113.9",
            "::1",
            "2001:db8::8a2e:370:7334",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:255.255.255.255",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(IpText::new(ip).as_str(), ip.to_string());
        }
        for octets in (0..=255u8).map(|n| [n, n, 255 - n, n / 7]) {
            let ip = IpAddr::from(octets);
            assert_eq!(IpText::new(ip).as_str(), ip.to_string());
        }
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
