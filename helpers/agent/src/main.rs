//! `acilab-agent [--once]`: see the crate docs and `--help`.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acilab_agent::agent::{Agent, Mode};
use acilab_agent::azure;
use acilab_agent::config::{Config, Env, VARIABLES};
use acilab_agent::health::{self, JobStatus, Status};

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
    service_main::fail("acilab-agent", 2, message)
}

fn init_logging(level: tracing::Level) {
    service_main::json_logging(level, &["acilab_agent", "azure_client"]);
}

async fn shutdown_signal() {
    service_main::shutdown_signal().await;
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
