//! `sql-api`: see the crate README and `--help`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use sql_api::config::Config;
use sql_api::{AppState, router};

fn usage() -> String {
    let mut s = String::from(
        "sql-api: the SQL API of acilab's sample app (health, SQL version and source IP, srciplog, IP and DNS info, pi, filtered printenv).\n\nUsage: sql-api\n  --version  print the version\n\nEnvironment (each also read from a file of that name in SECRETS_DIR):\n",
    );
    for (name, what) in Config::all_variables() {
        s.push_str(&format!("  {name:<26} {what}\n"));
    }
    s
}

/// One line on stderr and exit code 2 (what a misconfigured container shows in its logs).
fn fail(message: impl std::fmt::Display) -> ExitCode {
    service_main::fail("sql-api", 2, message)
}

fn init_logging(level: tracing::Level) {
    service_main::json_logging(level, &["sql_api", "app_db"]);
}

async fn shutdown_signal() {
    service_main::shutdown_signal().await;
}

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        match arg.as_str() {
            "-h" | "--help" => {
                let _ = std::io::stdout().write_all(usage().as_bytes());
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                let _ = writeln!(std::io::stdout(), "sql-api {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => return fail(format!("unknown argument {other:?}; see --help")),
        }
    }
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let config = match Config::from_env(&env) {
        Ok(c) => c,
        Err(e) => return fail(format!("configuration error: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    init_logging(config.log_level);
    match runtime.block_on(run(config, env)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, env: BTreeMap<String, String>) -> anyhow::Result<()> {
    let db = app_db::Db::connect_lazy(&config.db).context("database pool")?;
    let state = AppState::new(&config, &env, db.clone()).context("HTTP client")?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {} (BIND_ADDRESS, PORT)", config.bind))?;
    let local = listener.local_addr()?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        addr = %local,
        database = db.target(),
        tls = ?config.db.tls,
        pi_max_digits = config.pi_max_digits,
        public_ip_echo = config.public_ip_echo_url.is_some(),
        curl_allowed = config.curl_allowed_urls.len(),
        "listening"
    );
    // Not fatal: the API starts (and answers its health check) while the database is down.
    let probe = db.clone();
    tokio::spawn(async move {
        match probe.ping().await {
            Ok(()) => tracing::info!(database = probe.target(), "database reachable"),
            Err(e) => {
                tracing::warn!(database = probe.target(), error = %e, "database not reachable yet")
            }
        }
    });
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        router(Arc::new(state)).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("HTTP server")?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}
