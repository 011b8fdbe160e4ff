//! The log line format: the bytes of tracing-subscriber's default ("full", no colours) format,
//! `2026-12-08T03:50:07.575681Z  INFO moray::api: request method="device_create" status=200`,
//! written without its generic machinery. Every request logs one line, and the default
//! formatter cost about a tenth of a read's instructions (a calendar computation per line,
//! `Debug` through `core::fmt` for every field, colour styles even when colours are off).

use std::cell::RefCell;
use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The format of every line moray logs when standard error is not a terminal.
pub struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        write_timestamp(SystemTime::now(), &mut writer)?;
        let metadata = event.metadata();
        writer.write_str(level_label(metadata.level()))?;
        // Spans in scope, outermost first, as `name{fields}:` (moray opens none; a library may).
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                seen = true;
                writer.write_str(span.name())?;
                if let Some(fields) = span.extensions().get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(writer, "{{{fields}}}")?;
                }
                writer.write_char(':')?;
            }
            if seen {
                writer.write_char(' ')?;
            }
        }
        writer.write_str(metadata.target())?;
        writer.write_str(": ")?;
        let mut fields = Fields {
            out: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// The level as the default format pads it, with the spaces around it.
fn level_label(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => " TRACE ",
        Level::DEBUG => " DEBUG ",
        Level::INFO => "  INFO ",
        Level::WARN => "  WARN ",
        Level::ERROR => " ERROR ",
    }
}

thread_local! {
    /// The second last formatted on this thread and its `YYYY-MM-DDTHH:MM:SS` text: the
    /// calendar is computed once a second, not once a line.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-12-08T03:50:07.575681Z` (UTC, microseconds), as the default format writes it.
fn write_timestamp(now: SystemTime, out: &mut impl Write) -> fmt::Result {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != seconds {
            let at = i64::try_from(seconds)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            text.clear();
            write!(
                text,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            )?;
            *cached = seconds;
        }
        out.write_str(text)
    })?;
    let mut fraction = *b".000000Z";
    let mut micros = since_epoch.subsec_micros();
    for digit in fraction[1..7].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    out.write_str(std::str::from_utf8(&fraction).unwrap_or(".000000Z"))
}

/// Writes an event's fields as the default format does: the message as is, then ` name=value`,
/// strings quoted and escaped as by `Debug`.
struct Fields<'w, 'a> {
    out: &'w mut Writer<'a>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    /// Starts a field; false for fields the default format leaves out (and after an error).
    fn begin(&mut self, field: &Field) -> bool {
        let name = field.name();
        if self.result.is_err() || name.starts_with("log.") {
            return false;
        }
        let separator = if self.first { "" } else { " " };
        self.first = false;
        self.result = if name == "message" {
            self.out.write_str(separator)
        } else {
            let name = name.strip_prefix("r#").unwrap_or(name);
            self.out
                .write_str(separator)
                .and_then(|()| self.out.write_str(name))
                .and_then(|()| self.out.write_char('='))
        };
        self.result.is_ok()
    }
}

/// Printable ASCII other than `"` and `\`: what `Debug` writes unchanged.
fn debug_is_verbatim(text: &str) -> bool {
    text.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let is_message = field.name() == "message";
        if self.begin(field) {
            let out = &mut *self.out;
            self.result = if is_message {
                out.write_str(value)
            } else if debug_is_verbatim(value) {
                out.write_char('"')
                    .and_then(|()| out.write_str(value))
                    .and_then(|()| out.write_char('"'))
            } else {
                write!(out, "{value:?}")
            };
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.begin(field) {
            self.result = write!(self.out, "{value}");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.begin(field) {
            self.result = write!(self.out, "{value}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.begin(field) {
            self.result = self.out.write_str(if value { "true" } else { "false" });
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.begin(field) {
            self.result = write!(self.out, "{value:?}");
        }
    }

    /// An error, then its chain of sources as `name.sources=[a, b]`.
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let name = field.name().strip_prefix("r#").unwrap_or(field.name());
        match value.source() {
            Some(source) => {
                let sources = Sources(source);
                self.record_debug(field, &format_args!("{value} {name}.sources={sources}"))
            }
            None => self.record_debug(field, &format_args!("{value}")),
        }
    }
}

/// An error's sources, `[first, second, …]`.
struct Sources<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut current = Some(self.0);
        while let Some(error) = current {
            list.entry(&format_args!("{error}"));
            current = error.source();
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    #[derive(Debug)]
    struct Chained(io::Error);

    impl fmt::Display for Chained {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("write failed")
        }
    }

    impl std::error::Error for Chained {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    fn emit_every_kind() {
        tracing::info!(target: "moray::api", method = "device_create", caller = "-", outcome = "ok",
            status = 200u16, latency_us = 6058u64, "request");
        tracing::warn!(target: "moray::storage", error = %"disk \"full\"", "checkpoint failed");
        tracing::error!(retries = -3i64, fatal = true, quoted = "tab\there é", "plain message");
        tracing::info!(r#type = "raw", "log.target" = "skipped", "with raw name");
        let span = tracing::info_span!("outer", id = 7);
        let _entered = span.enter();
        tracing::info!("inside a span");
        let bare = tracing::debug_span!("bare");
        let _bare = bare.enter();
        tracing::error!(kind = ?Some(3), "nested");
        let chained = Chained(io::Error::other("disk gone"));
        tracing::error!(error = &chained as &(dyn std::error::Error + 'static), "with sources");
    }

    /// The lines of `emit_every_kind` with `format` (or the default one), timestamps cut off.
    fn lines(custom: bool) -> Vec<String> {
        let out = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .with_max_level(Level::TRACE);
        if custom {
            tracing::subscriber::with_default(builder.event_format(LineFormat).finish(), emit_every_kind);
        } else {
            tracing::subscriber::with_default(builder.finish(), emit_every_kind);
        }
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|line| line[27..].to_owned()).collect()
    }

    #[test]
    fn lines_match_the_default_format_byte_for_byte() {
        let ours = lines(true);
        assert_eq!(ours.len(), 7, "{ours:#?}");
        assert_eq!(ours, lines(false));
        assert!(
            ours[6].ends_with("error=write failed error.sources=[disk gone]"),
            "{}",
            ours[6]
        );
        assert_eq!(
            ours[0],
            "  INFO moray::api: request method=\"device_create\" caller=\"-\" outcome=\"ok\" status=200 latency_us=6058"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let mut text = String::new();
        let at = UNIX_EPOCH + std::time::Duration::from_micros(1_796_700_607_000_042);
        write_timestamp(at, &mut text).unwrap();
        assert_eq!(text, "2026-12-08T03:30:07.000042Z");
        // The cached second is replaced when the second changes.
        let mut later = String::new();
        write_timestamp(at + std::time::Duration::from_secs(86_400), &mut later).unwrap();
        assert_eq!(later, "2026-12-09T03:30:07.000042Z");
    }
}
