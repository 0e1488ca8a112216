//! Logging under systemd: when stderr goes to the journal (`JOURNAL_STREAM` is set), each line
//! starts with its syslog priority as sd-daemon(3) describes (`<3>` error, `<4>` warning, `<6>`
//! info, `<7>` debug), which journald strips and stores as the entry's priority (so
//! `journalctl -p warning` and syslog forwarding see real severities), and carries no
//! timestamp, journald's own being exact.

use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Whether stderr goes to the journal.
#[must_use]
pub fn under_journald() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some()
}

/// The sd-daemon(3) prefix for `level`.
#[must_use]
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// An event format with the priority prefix before what `F` writes.
pub struct PriorityPrefix<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for PriorityPrefix<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "<{}>", priority(*event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}
