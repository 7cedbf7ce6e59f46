//! The edge every acilab container binary shares (agent, sql-api, web, dashboard):
//!
//! - [`json_logging`]: one JSON object per line on stderr, the binary's own crates at the chosen
//!   level and libraries only from `warn` up (no regex-based filter: it would double the size of
//!   small binaries);
//! - [`shutdown_signal`]: resolves on SIGTERM (what ACI and Docker send) or SIGINT;
//! - [`fail`]: a startup failure as one line `<binary>: <message>` on stderr and an exit code,
//!   which is what a misconfigured container shows in its logs.

use std::io::Write as _;
use std::process::ExitCode;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Installs the JSON logger: `crates` (tracing targets such as `"sql_api"`) at `level`,
/// everything else at `warn` or quieter.
pub fn json_logging(level: tracing::Level, crates: &[&str]) {
    let targets = crates
        .iter()
        .fold(Targets::new(), |t, c| t.with_target(*c, level))
        .with_default(tracing::Level::WARN.min(level));
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::TRACE)
        .finish()
        .with(targets)
        .init();
}

/// Resolves when the process receives SIGTERM or SIGINT (never, if the handlers cannot be
/// installed).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// Writes `<binary>: <message>` on stderr and returns exit code `code`.
pub fn fail(binary: &str, code: u8, message: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "{binary}: {message}");
    ExitCode::from(code)
}
