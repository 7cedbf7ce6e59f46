//! `web`: see the crate docs and `--help`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use web::config::{Config, VARIABLES};

fn usage() -> String {
    let mut s = String::from(
        "web: the sample's web frontend: the container's hostname and what the SQL API reports.\n\nUsage: web\n  --version  print the version\n\nEnvironment:\n",
    );
    for (name, what) in VARIABLES {
        s.push_str(&format!("  {name:<22} {what}\n"));
    }
    s
}

/// One line on stderr and the exit code (2 for configuration mistakes).
fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "web: {message}");
    ExitCode::from(code)
}

fn init_logging(level: tracing::Level) {
    let targets = Targets::new()
        .with_target("web", level)
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

async fn shutdown_signal() {
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
    tracing::info!("shutting down");
}

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        return match arg.as_str() {
            "-h" | "--help" => {
                let _ = std::io::stdout().write_all(usage().as_bytes());
                ExitCode::SUCCESS
            }
            "-V" | "--version" => {
                let _ = writeln!(std::io::stdout(), "web {}", env!("CARGO_PKG_VERSION"));
                ExitCode::SUCCESS
            }
            other => fail(2, format!("unknown argument {other:?} (try --help)")),
        };
    }

    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let config = match Config::from_env(&env) {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    init_logging(config.log_level);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(1, format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let state = match web::AppState::new(&config) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(1, format!("cannot build the HTTP client: {e}")),
    };
    let listener = match tokio::net::TcpListener::bind(config.listen_addr).await {
        Ok(l) => l,
        Err(e) => {
            return fail(
                1,
                format!("cannot listen on {} (LISTEN_ADDR): {e}", config.listen_addr),
            );
        }
    };
    tracing::info!(
        listen = %config.listen_addr,
        api_url = %config.api_url_display(),
        hostname = state.hostname(),
        version = env!("CARGO_PKG_VERSION"),
        "web frontend started"
    );
    match web::serve(listener, state, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, format!("server failed: {e}")),
    }
}
