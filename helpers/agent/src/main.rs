//! `acilab-agent [--once]`: see the crate docs and `--help`.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acilab_agent::agent::{Agent, Mode};
use acilab_agent::azure;
use acilab_agent::config::{Config, Env, VARIABLES};
use acilab_agent::health::{self, JobStatus, Status};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

fn usage() -> String {
    let mut s = String::from(
        "acilab-agent: keeps an ACI container group's private IP in a Private DNS record and nginx's certificate files current from Key Vault.\n\nUsage: acilab-agent [--once]\n  --once     one successful round, then exit (init container; no withdrawal)\n  --version  print the version\n\nEnvironment:\n",
    );
    for (name, what) in VARIABLES {
        s.push_str(&format!("  {name:<34} {what}\n"));
    }
    s
}

/// One line on stderr and exit code 2 (what a misconfigured container shows in its logs).
fn fail(message: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "acilab-agent: {message}");
    ExitCode::from(2)
}

fn init_logging(level: tracing::Level) {
    // Our crates at the chosen level; libraries only when they warn.
    let targets = Targets::new()
        .with_target("acilab_agent", level)
        .with_target("azure_client", level)
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
}

fn main() -> ExitCode {
    let mut mode = Mode::Service;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--once" => mode = Mode::Once,
            "-h" | "--help" => {
                let _ = std::io::stdout().write_all(usage().as_bytes());
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                let _ = writeln!(
                    std::io::stdout(),
                    "acilab-agent {}",
                    env!("CARGO_PKG_VERSION")
                );
                return ExitCode::SUCCESS;
            }
            other => return fail(format!("unknown argument {other:?}; see --help")),
        }
    }
    let env: Env = std::env::vars().collect();
    let config = match Config::from_env(&env) {
        Ok(c) => c,
        Err(e) => return fail(format!("configuration error: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    init_logging(config.log_level);
    runtime.block_on(run(config, mode))
}

async fn run(config: Config, mode: Mode) -> ExitCode {
    let clients = match azure::clients(&config) {
        Ok(c) => c,
        Err(e) => return fail(format!("setup error: {e}")),
    };
    let status = Arc::new(Mutex::new(Status {
        started: Instant::now(),
        last_round: None,
        // A round can take a while when Azure throttles; only a loop stuck far longer is dead.
        stall_after: config.interval * 3 + Duration::from_secs(300),
        dns: JobStatus::default(),
        cert: JobStatus::default(),
    }));
    if mode == Mode::Service
        && let Some(addr) = config.health_addr
    {
        match health::serve(addr, status.clone()).await {
            Ok(local) => tracing::info!(addr = %local, "health endpoint listening"),
            Err(e) => return fail(format!("ACILAB_HEALTH_ADDR: cannot listen on {addr}: {e}")),
        }
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        mode = ?mode,
        identity = config.identity.describe(),
        dns = ?config.dns.as_ref().map(|d| format!("{}.{}", d.record, d.zone)),
        certificate = ?config.cert.as_ref().map(|c| &c.name),
        interval_s = config.interval.as_secs(),
        "starting"
    );
    let mut agent = Agent::new(&config, &clients, status);
    match agent.run(mode, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "failed");
            ExitCode::FAILURE
        }
    }
}
