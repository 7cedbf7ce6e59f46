//! `azure-emulator`: runs the emulator until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use azure_emulator::{Config, Emulator, Seed};
use clap::Parser;

/// Local, contract-faithful stand-in for the Azure APIs acilab calls.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Parent domain of the emulated hosts (login.<d>, management.<d>, <vault>.vault.<d>).
    #[arg(long, env = "AZURE_EMULATOR_DOMAIN", default_value = "azure.localhost")]
    domain: String,
    /// Tenant id of the emulated directory.
    #[arg(long, default_value = "00000000-0000-0000-0000-0000000000aa")]
    tenant_id: String,
    /// HTTPS listener (Entra, ARM, Key Vault).
    #[arg(long, default_value = "127.0.0.1:8443")]
    https_addr: SocketAddr,
    /// Plain-HTTP listener (managed identity endpoints and /admin).
    #[arg(long, default_value = "127.0.0.1:8080")]
    http_addr: SocketAddr,
    /// DNS server (UDP and TCP).
    #[arg(long, default_value = "127.0.0.1:8053")]
    dns_addr: SocketAddr,
    /// Where to write the CA certificate (PEM) clients must trust.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// JSON file the state is loaded from and saved to.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Seed document applied at start (see examples/local/seed.json).
    #[arg(long)]
    seed: Option<PathBuf>,
    /// File to write this process id to.
    #[arg(long)]
    pid_file: Option<PathBuf>,
    /// Milliseconds container-group operations stay in progress.
    #[arg(long, default_value_t = 300)]
    lro_delay_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let seed: Option<Seed> = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading seed file {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("parsing seed file {}", path.display()))?,
            )
        }
        None => None,
    };
    let config = Config {
        domain: args.domain,
        tenant_id: args.tenant_id,
        https_addr: args.https_addr,
        http_addr: args.http_addr,
        dns_addr: args.dns_addr,
        ca_file: args.ca_file,
        state_file: args.state_file,
        lro_delay: Duration::from_millis(args.lro_delay_ms),
        ..Config::default()
    };
    let emulator = Emulator::start(config).await?;
    if let Some(seed) = seed {
        emulator
            .seed_missing(seed)
            .map_err(anyhow::Error::msg)
            .context("applying the seed file")?;
    }
    if let Some(pid) = &args.pid_file {
        std::fs::write(pid, std::process::id().to_string())
            .with_context(|| format!("writing {}", pid.display()))?;
    }
    tracing::info!(admin = %emulator.admin_url(), login = %emulator.login_url(), management = %emulator.management_url(), "ready");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    tracing::info!("stopping");
    drop(emulator);
    if let Some(pid) = &args.pid_file {
        let _ = std::fs::remove_file(pid);
    }
    Ok(())
}
