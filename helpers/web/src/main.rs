//! `web`: see the crate docs and `--help`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

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

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    service_main::fail("web", code, message)
}

fn init_logging(level: tracing::Level) {
    service_main::json_logging(level, &["web"]);
}

async fn shutdown_signal() {
    service_main::shutdown_signal().await;
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
