//! `dashboard`: see the crate docs and `--help`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use dashboard::config::{Config, VARIABLES};
use dashboard::db::DbSource;
use dashboard::{AppState, DEFAULT_CACHE_PERIOD};

fn usage() -> String {
    let mut s = String::from(
        "dashboard: the sample's architecture picture and a live chart of srciplog rows per source IP.\n\nUsage: dashboard\n  --version  print the version\n\nEnvironment:\n",
    );
    for (name, what) in VARIABLES.iter().chain(app_db::VARIABLES) {
        s.push_str(&format!("  {name:<26} {what}\n"));
    }
    s
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    service_main::fail("dashboard", code, message)
}

fn init_logging(level: tracing::Level) {
    service_main::json_logging(level, &["dashboard", "app_db"]);
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
                let _ = writeln!(std::io::stdout(), "dashboard {}", env!("CARGO_PKG_VERSION"));
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
    let db_config = match app_db::DbConfig::from_env(&env, Some(&config.secrets_dir)) {
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
    runtime.block_on(run(config, db_config))
}

async fn run(config: Config, db_config: app_db::DbConfig) -> ExitCode {
    // Lazy: the page and /healthz work while the database is still out of reach.
    let db = match app_db::Db::connect_lazy(&db_config) {
        Ok(db) => db,
        Err(e) => return fail(2, e),
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
        database = db.target(),
        version = env!("CARGO_PKG_VERSION"),
        "dashboard started"
    );
    {
        let db = db.clone();
        tokio::spawn(async move {
            match db.ping().await {
                Ok(()) => tracing::info!(database = db.target(), "database reachable"),
                Err(e) => {
                    tracing::warn!(database = db.target(), error = %e, "database not reachable yet")
                }
            }
        });
    }
    let state = Arc::new(AppState::new(
        DbSource::new(db.clone()),
        db_config.engine.as_str(),
        DEFAULT_CACHE_PERIOD,
    ));
    let served = dashboard::serve(listener, state, shutdown_signal()).await;
    db.close().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, format!("server failed: {e}")),
    }
}
