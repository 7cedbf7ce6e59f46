//! A local stand-in for exactly the Azure APIs acilab calls, faithful to the REST contracts in
//! `shared/azure-contracts/`. See `ARCHITECTURE.md` at the repository root for the map.
//!
//! One HTTPS listener routes by host name under one emulator domain (`login.<domain>`,
//! `management.<domain>`, `<vault>.vault.<domain>`); a plain-HTTP listener serves the
//! managed-identity endpoints (as IMDS and App Service do) and the admin API; a DNS server
//! answers from the emulated public and private zones.

mod admin;
mod arm;
mod auth;
mod dns_server;
mod entra;
mod error;
mod faults;
mod http;
mod identity;
mod jwt;
mod keyvault;
mod kvcrypto;
mod rbac;
mod seed;
pub mod state;
mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use faults::FaultRule;
pub use seed::Seed;

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// Parent domain of every emulated host; under `.localhost` so clients resolve it to
    /// loopback (RFC 6761 §6.3).
    pub domain: String,
    pub tenant_id: String,
    pub https_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub dns_addr: SocketAddr,
    /// Where the CA certificate (PEM) is written for clients.
    pub ca_file: Option<PathBuf>,
    /// Optional JSON file the state is loaded from and saved to.
    pub state_file: Option<PathBuf>,
    /// How long container-group long-running operations stay `InProgress`.
    pub lro_delay: Duration,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// Name servers reported for new public zones.
    pub name_servers: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Self {
            domain: "azure.localhost".to_string(),
            tenant_id: "00000000-0000-0000-0000-0000000000aa".to_string(),
            https_addr: loopback(0),
            http_addr: loopback(0),
            dns_addr: loopback(0),
            ca_file: None,
            state_file: None,
            lro_delay: Duration::from_millis(300),
            token_lifetime: Duration::from_secs(3600),
            name_servers: vec![
                "ns1-01.azure-dns.com.".to_string(),
                "ns2-01.azure-dns.net.".to_string(),
                "ns3-01.azure-dns.org.".to_string(),
                "ns4-01.azure-dns.info.".to_string(),
            ],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot bind {what} on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the emulator's certificate authority: {0}")]
    Tls(#[from] rcgen::Error),
    #[error("cannot write the CA certificate to {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the state file {path}: {source}")]
    StateFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Shared by every handler.
#[derive(Debug)]
pub(crate) struct Inner {
    pub config: Config,
    pub https_port: u16,
    pub http_port: u16,
    pub dns_port: u16,
    pub state: Mutex<state::State>,
    pub signer: jwt::Signer,
    pub faults: Mutex<Vec<FaultRule>>,
    pub counters: Mutex<BTreeMap<String, u64>>,
    /// The managed-identity endpoint answers "not ready" until this instant.
    pub identity_not_ready_until: Mutex<Option<Instant>>,
    /// How long a deleted Key Vault object stays invisible (eventual consistency).
    pub kv_delete_delay: Mutex<Duration>,
    /// Secret that App-Service-style managed-identity requests must send.
    pub identity_header: String,
    /// Container-group long-running operations: id → (group id, done at).
    pub operations: Mutex<BTreeMap<String, (String, Instant)>>,
}

/// Locks a mutex, recovering from poisoning (a panicked handler must not wedge the emulator).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub fn login_host(&self) -> String {
        format!("login.{}", self.config.domain)
    }
    pub fn management_host(&self) -> String {
        format!("management.{}", self.config.domain)
    }
    pub fn login_url(&self) -> String {
        format!("https://{}:{}", self.login_host(), self.https_port)
    }
    pub fn management_url(&self) -> String {
        format!("https://{}:{}", self.management_host(), self.https_port)
    }
    pub fn vault_url(&self, vault: &str) -> String {
        format!(
            "https://{}.vault.{}:{}",
            vault.to_ascii_lowercase(),
            self.config.domain,
            self.https_port
        )
    }
    /// Audience of Key Vault tokens: `https://vault.<domain>` (no port, as Azure's
    /// `https://vault.azure.net`).
    pub fn vault_audience(&self) -> String {
        format!("https://vault.{}", self.config.domain)
    }
    pub fn management_audience(&self) -> String {
        format!("https://management.{}/", self.config.domain)
    }
    /// Issuer of the GitHub-Actions-like OIDC tokens the admin API mints.
    pub fn oidc_issuer(&self) -> String {
        format!("https://token.actions.{}", self.config.domain)
    }

    pub fn persist(&self) {
        if let Some(path) = &self.config.state_file
            && let Err(e) = lock(&self.state).save(path)
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot save state");
        }
    }

    pub fn count(&self, op: &str) {
        *lock(&self.counters).entry(op.to_string()).or_default() += 1;
    }
}

/// A running emulator. Dropping it stops every listener.
#[derive(Debug)]
pub struct Emulator {
    inner: Arc<Inner>,
    pub https_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub dns_addr: SocketAddr,
    ca_pem: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// Binds every listener and starts serving. Ports 0 pick free ports.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let bind = |what, addr| async move {
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { what, addr, source })
        };
        let https = bind("the HTTPS listener", config.https_addr).await?;
        let http = bind("the HTTP listener", config.http_addr).await?;
        let dns = dns_server::bind(config.dns_addr)
            .await
            .map_err(|source| StartError::Bind {
                what: "the DNS server",
                addr: config.dns_addr,
                source,
            })?;
        let https_addr = https.local_addr().map_err(|source| StartError::Bind {
            what: "the HTTPS listener",
            addr: config.https_addr,
            source,
        })?;
        let http_addr = http.local_addr().map_err(|source| StartError::Bind {
            what: "the HTTP listener",
            addr: config.http_addr,
            source,
        })?;
        let dns_addr = dns.local_addr();

        let tls = tls::build(&config.domain)?;
        if let Some(path) = &config.ca_file {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::create_dir_all(dir);
            }
            std::fs::write(path, &tls.ca_pem).map_err(|source| StartError::CaFile {
                path: path.clone(),
                source,
            })?;
        }
        let state = match &config.state_file {
            Some(path) => state::State::load(path)
                .map_err(|source| StartError::StateFile {
                    path: path.clone(),
                    source,
                })?
                .unwrap_or_default(),
            None => state::State::default(),
        };

        let inner = Arc::new(Inner {
            https_port: https_addr.port(),
            http_port: http_addr.port(),
            dns_port: dns_addr.port(),
            config,
            state: Mutex::new(state),
            signer: jwt::Signer::random(),
            faults: Mutex::new(Vec::new()),
            counters: Mutex::new(BTreeMap::new()),
            identity_not_ready_until: Mutex::new(None),
            kv_delete_delay: Mutex::new(Duration::ZERO),
            identity_header: uuid::Uuid::new_v4().simple().to_string(),
            operations: Mutex::new(BTreeMap::new()),
        });

        let tasks = vec![
            tokio::spawn(http::serve_https(inner.clone(), https, tls.server_config)),
            tokio::spawn(http::serve_plain(inner.clone(), http)),
            tokio::spawn(dns_server::serve(inner.clone(), dns)),
        ];
        tracing::info!(%https_addr, %http_addr, %dns_addr, domain = %inner.config.domain, "azure-emulator listening");
        Ok(Self {
            inner,
            https_addr,
            http_addr,
            dns_addr,
            ca_pem: tls.ca_pem,
            tasks,
        })
    }

    /// PEM of the CA that signed the HTTPS certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
    pub fn domain(&self) -> &str {
        &self.inner.config.domain
    }
    pub fn tenant_id(&self) -> &str {
        &self.inner.config.tenant_id
    }
    /// Entra authority host, e.g. `https://login.azure.localhost:8443`.
    pub fn login_url(&self) -> String {
        self.inner.login_url()
    }
    /// ARM endpoint, e.g. `https://management.azure.localhost:8443`.
    pub fn management_url(&self) -> String {
        self.inner.management_url()
    }
    /// ARM token scope (`https://management.<domain>/.default`).
    pub fn management_scope(&self) -> String {
        format!("{}.default", self.inner.management_audience())
    }
    /// Key Vault DNS suffix including the port, e.g. `vault.azure.localhost:8443`.
    pub fn keyvault_suffix(&self) -> String {
        format!(
            "vault.{}:{}",
            self.inner.config.domain, self.inner.https_port
        )
    }
    /// URL of a vault, e.g. `https://kv1.vault.azure.localhost:8443/`.
    pub fn vault_url(&self, vault: &str) -> String {
        format!("{}/", self.inner.vault_url(vault))
    }
    /// IMDS-style managed identity token endpoint.
    pub fn imds_token_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/metadata/identity/oauth2/token",
            self.inner.http_port
        )
    }
    /// App-Service-style endpoint (`IDENTITY_ENDPOINT`) and its header secret (`IDENTITY_HEADER`).
    pub fn identity_endpoint(&self) -> (String, String) {
        (
            format!("http://127.0.0.1:{}/msi/token", self.inner.http_port),
            self.inner.identity_header.clone(),
        )
    }
    /// Base URL of the admin API (plain HTTP on loopback).
    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}/admin", self.inner.http_port)
    }

    /// Seeds state in-process (the admin API's `POST /admin/seed` does the same over HTTP).
    pub fn seed(&self, seed: Seed) -> Result<(), String> {
        seed::apply(&self.inner, seed, seed::Existing::Replace).map_err(|e| e.to_string())
    }

    /// Seeds only what is missing: container groups already in the state (e.g. loaded from the
    /// state file) keep their current address.
    pub fn seed_missing(&self, seed: Seed) -> Result<(), String> {
        seed::apply(&self.inner, seed, seed::Existing::Keep).map_err(|e| e.to_string())
    }

    /// How many requests each operation received (`"PrivateDns.RecordSets_Get"` → n).
    pub fn counters(&self) -> BTreeMap<String, u64> {
        lock(&self.inner.counters).clone()
    }

    /// Stops all listeners.
    pub fn shutdown(self) {}
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.inner.persist();
    }
}
