//! The log, on standard error: text lines (`--log-format text`) or one JSON
//! object a line (`json`), each with its time, level and message. What is
//! logged never holds a ticket, a password or a PGT: user names are
//! escaped, tickets are named by kind, and secrets never reach a message.

use crate::config::LogFormat;

/// Installs the log's writer for the whole process.
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO);
    // A second call (tests) keeps the first writer.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
