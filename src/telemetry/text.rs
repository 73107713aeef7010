//! The text log's lines: tracing-subscriber's own layout without colours, written
//! for less (each field copied, not formatted; the time's date and second once a
//! second). docs/PERFORMANCE.md says what each change saved.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The fields of a text line as tracing-subscriber's default writes them
/// (`name=value`, separated by spaces, the message bare, a `&str` quoted), for
/// less: each name is copied, not formatted, and numbers skip the formatting
/// machinery. (The default goes through an ANSI styling layer even with colours
/// off; formatting the request span's fields that way was a fifth of what a
/// request to `/healthz` cost, docs/PERFORMANCE.md.)
pub struct PlainFields;

impl<'w> FormatFields<'w> for PlainFields {
    /// Formats into a buffer of the thread's, then copies the text into `writer`
    /// in one piece: a span's fields are kept in a `String` of their own, which
    /// would otherwise grow (be reallocated and copied) five times over for the
    /// request span.
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        FIELDS.with(|buffer| match buffer.try_borrow_mut() {
            Ok(mut buffer) => {
                buffer.clear();
                // Straight into the `String`, not through `Writer`'s `dyn Write`:
                // each piece is a `push_str` the compiler can inline.
                plain_fields(&mut *buffer, fields)?;
                writer.write_str(&buffer)
            }
            // A value whose formatting logs (the buffer is in use further up).
            Err(_) => plain_fields(writer, fields),
        })
    }
}

fn plain_fields<W: fmt::Write, R: RecordFields>(writer: W, fields: R) -> fmt::Result {
    let mut visitor = PlainVisitor {
        writer,
        first: true,
        result: Ok(()),
    };
    fields.record(&mut visitor);
    visitor.result
}

thread_local! {
    /// Where [`PlainFields`] formats, reused line after line.
    static FIELDS: RefCell<String> = const { RefCell::new(String::new()) };
}

struct PlainVisitor<W> {
    writer: W,
    first: bool,
    result: fmt::Result,
}

impl<W: fmt::Write> PlainVisitor<W> {
    /// Writes the separator and `name=` (nothing for the message), then the value.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                self.writer.write_char(' ')?;
            }
            if field.name() != "message" {
                self.writer.write_str(field.name())?;
                self.writer.write_char('=')?;
            }
            value(&mut self.writer)
        })();
    }
}

impl<W: fmt::Write> Visit for PlainVisitor<W> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |w| write!(w, "{value:?}"));
    }

    /// A string is quoted (as tracing-subscriber writes it), but for the request
    /// span's fields (`http.*`, `request_id`), which are written bare, as they
    /// always were (they used to be recorded through `Display`, which costs
    /// several times as much).
    fn record_str(&mut self, field: &Field, value: &str) {
        let name = field.name();
        if name.starts_with("http.") || name == "request_id" {
            self.field(field, |w| w.write_str(value));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }
}

/// A text line as tracing-subscriber's default (`Full`) format writes it without
/// colours: `2026-12-06T23:52:00.123456Z  INFO span{fields}: target: fields`. The
/// time's date and second are formatted once a second per thread, not per line.
pub struct TextLines;

impl<S, N> FormatEvent<S, N> for TextLines
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
        write_time(&mut writer, SystemTime::now())?;
        let meta = event.metadata();
        writer.write_str(level_text(*meta.level()))?;
        writer.write_char(' ')?;
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                writer.write_str(span.metadata().name())?;
                seen = true;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        writer.write_char('{')?;
                        writer.write_str(fields)?;
                        writer.write_char('}')?;
                    }
                }
                writer.write_char(':')?;
            }
            if seen {
                writer.write_char(' ')?;
            }
        }
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

/// The level as tracing-subscriber writes it: five characters, right-aligned.
fn level_text(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        _ => "ERROR",
    }
}

thread_local! {
    /// The second last written by this thread, and its text up to the seconds.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-12-06T23:52:00.123456Z ` (UTC, microseconds, a space after), as
/// tracing-subscriber's `SystemTime` writes it.
fn write_time(writer: &mut Writer<'_>, now: SystemTime) -> fmt::Result {
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let seconds = since_epoch.as_secs();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != seconds {
            text.clear();
            let at = i64::try_from(seconds)
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .unwrap_or_default();
            write!(text, "{}", at.format("%Y-%m-%dT%H:%M:%S"))?;
            *second = seconds;
        }
        writer.write_str(text)
    })?;
    let micros = since_epoch.subsec_micros();
    let mut digits = *b".000000Z ";
    let mut rest = micros;
    for digit in digits[1..7].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    // Only ASCII digits and punctuation were written.
    writer.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the tests read back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// What every kind of line writes: the request span's fields, a later status,
    /// quoted and bare strings, numbers, an error and a line outside any span.
    fn write_lines() {
        let span = tracing::info_span!(
            "HTTP request",
            http.method = "GET",
            http.route = "/v4/apiAccessTokens/{tokenId}",
            http.client_ip = %"127.0.0.1",
            http.user_agent = "curl/8 \"quoted\"",
            http.status_code = tracing::field::Empty,
            request_id = "0b4a6c4e-8d1f-4a55-9d57-3f0c7d1e2a3b",
        );
        let _entered = span.enter();
        span.record("http.status_code", 404u16);
        tracing::warn!(
            signal = "SIGTERM",
            in_flight = 3usize,
            delta = -2i64,
            "draining: {}",
            "now"
        );
        tracing::info!(duration_us = 17u64, "refused: {:?}", "NotFound");
        let inner = tracing::info_span!("inner", ok = true);
        inner.in_scope(|| tracing::error!(error = %"disk full", "answered with an error"));
        drop(_entered);
        tracing::info!("outside any span");
    }

    /// Each line, without its time (the first 28 characters).
    fn without_times(text: &str) -> Vec<String> {
        text.lines().map(|l| l[28..].to_owned()).collect()
    }

    #[test]
    fn text_lines_are_written_as_tracing_subscribers_own_format_writes_them() {
        let ours = Captured::default();
        let theirs = Captured::default();
        let writer = ours.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .fmt_fields(PlainFields)
            .event_format(TextLines)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, write_lines);
        let writer = theirs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, write_lines);

        let (ours, theirs) = (ours.text(), theirs.text());
        assert_eq!(ours.lines().count(), 4, "{ours}");
        // tracing-subscriber quotes the request span's strings; this log writes
        // them bare, as it did when they were recorded through `Display`.
        let bare = |line: &str| {
            line.replace("http.method=\"GET\"", "http.method=GET")
                .replace(
                    "http.route=\"/v4/apiAccessTokens/{tokenId}\"",
                    "http.route=/v4/apiAccessTokens/{tokenId}",
                )
                .replace(
                    "http.user_agent=\"curl/8 \\\"quoted\\\"\"",
                    "http.user_agent=curl/8 \"quoted\"",
                )
                .replace(
                    "request_id=\"0b4a6c4e-8d1f-4a55-9d57-3f0c7d1e2a3b\"",
                    "request_id=0b4a6c4e-8d1f-4a55-9d57-3f0c7d1e2a3b",
                )
        };
        let expected: Vec<String> = without_times(&theirs).iter().map(|l| bare(l)).collect();
        assert_eq!(without_times(&ours), expected);
        assert!(
            ours.lines().next().unwrap().contains(
                "HTTP request{http.method=GET http.route=/v4/apiAccessTokens/{tokenId} \
                 http.client_ip=127.0.0.1 http.user_agent=curl/8 \"quoted\" \
                 request_id=0b4a6c4e-8d1f-4a55-9d57-3f0c7d1e2a3b http.status_code=404}: "
            ),
            "{ours}"
        );
        assert!(ours.contains(r#" WARN HTTP request{"#), "{ours}");
        assert!(
            ours.contains(r#"draining: now signal="SIGTERM" in_flight=3 delta=-2"#),
            "{ours}"
        );
    }

    #[test]
    fn the_time_is_written_as_tracing_subscribers_system_time() {
        for (seconds, micros) in [(0, 0), (1_796_601_600, 5), (1_796_688_000 - 1, 999_999)] {
            let at = SystemTime::UNIX_EPOCH + Duration::new(seconds, micros * 1_000 + 999);
            let mut text = String::new();
            write_time(&mut Writer::new(&mut text), at).unwrap();
            let expected = chrono::DateTime::<chrono::Utc>::from(at)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ ")
                .to_string();
            assert_eq!(text, expected);
        }
        // The second is cached per thread: a later one is written anew.
        let mut text = String::new();
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_601_601);
        write_time(&mut Writer::new(&mut text), later).unwrap();
        assert_eq!(text, "2026-12-07T00:00:01.000000Z ");
    }
}
