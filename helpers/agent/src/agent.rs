//! The agent's loop: a round at start and then every interval (±10%), each round doing the DNS
//! job and the certificate job independently; failures retry sooner with exponential backoff
//! (1 s, 2 s, 4 s … up to the interval), which is also how a managed identity that is not ready
//! yet is waited for. On shutdown the group's IP is withdrawn from the record.

use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use azure_client::ArmError;

use crate::azure::Clients;
use crate::cert::{CertChange, CertError, CertificateFiles};
use crate::config::Config;
use crate::dns::{Change, DnsError, Registration};
use crate::health::{JobStatus, SharedStatus, lock};
use crate::ip::{IpError, current_ip};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Long-running sidecar.
    Service,
    /// One successful round, then exit (init container).
    Once,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("gave up after {seconds} s (ACILAB_ONCE_TIMEOUT_SECONDS): {last}")]
    OnceTimeout { seconds: u64, last: String },
}

#[derive(Debug, thiserror::Error)]
enum DnsRoundError {
    #[error(transparent)]
    Ip(#[from] IpError),
    #[error(transparent)]
    Dns(#[from] DnsError),
}

impl DnsRoundError {
    fn arm_error(&self) -> Option<&ArmError> {
        match self {
            Self::Ip(e) => e.arm_error(),
            Self::Dns(e) => e.arm_error(),
        }
    }
}

/// Why a call failed, in words an operator can act on.
fn hint(arm: Option<&ArmError>, identity: &str) -> Option<String> {
    match arm? {
        ArmError::Token { .. } => Some(format!(
            "the {identity} has no token yet (a new container group's identity can take a few seconds) or is misconfigured"
        )),
        e if e.status() == Some(403) => Some(format!(
            "the {identity} lacks a role assignment for this call"
        )),
        e if e.status() == Some(429) => Some("Azure is throttling; backing off".to_string()),
        _ => None,
    }
}

/// `base` ± 10%.
fn jittered(base: Duration) -> Duration {
    let ms = base.as_millis() as u64;
    let spread = ms / 10;
    Duration::from_millis(ms - spread + rand::random_range(0..=2 * spread))
}

pub struct Agent<'a> {
    config: &'a Config,
    clients: &'a Clients,
    status: SharedStatus,
    registration: Option<Registration<'a>>,
    cert_files: Option<CertificateFiles<'a>>,
    /// The IP this group registered last (withdrawn at shutdown).
    registered_ip: Option<IpAddr>,
    failures: u32,
}

impl std::fmt::Debug for Agent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("registered_ip", &self.registered_ip)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl<'a> Agent<'a> {
    pub fn new(config: &'a Config, clients: &'a Clients, status: SharedStatus) -> Self {
        let registration = match (&config.dns, &config.container_group_id) {
            (Some(dns), Some(group)) => Some(Registration::new(&clients.arm, dns, group)),
            _ => None,
        };
        let cert_files = match (&config.cert, &clients.vault) {
            (Some(c), Some(v)) => Some(CertificateFiles::new(v, &c.name, &c.dir)),
            _ => None,
        };
        {
            let mut s = lock(&status);
            s.dns.enabled = registration.is_some();
            s.cert.enabled = cert_files.is_some();
        }
        Self {
            config,
            clients,
            status,
            registration,
            cert_files,
            registered_ip: None,
            failures: 0,
        }
    }

    async fn dns_round(&mut self) -> Option<Result<(), String>> {
        let reg = self.registration.as_ref()?;
        let group = self
            .config
            .container_group_id
            .as_deref()
            .unwrap_or_default();
        let identity = self.config.identity.describe();
        let result: Result<(IpAddr, Change), DnsRoundError> = async {
            let ip = current_ip(&self.config.ip_source, &self.clients.arm, group).await?;
            let change = reg.sync(ip).await?;
            Ok((ip, change))
        }
        .await;
        let outcome = match result {
            Ok((ip, change)) => {
                match &change {
                    Change::Unchanged => {
                        tracing::debug!(record = %reg_name(self.config), %ip, "DNS record already current");
                    }
                    Change::Created => {
                        tracing::info!(record = %reg_name(self.config), %ip, "DNS record created");
                    }
                    Change::Updated { added, removed } => {
                        tracing::info!(record = %reg_name(self.config), %ip, added = ?added, removed = ?removed, "DNS record updated");
                    }
                    Change::Deleted | Change::Gone => {}
                }
                self.registered_ip = Some(ip);
                set_ok(&mut lock(&self.status).dns, ip.to_string());
                Ok(())
            }
            Err(e) => {
                let message = match hint(e.arm_error(), identity) {
                    Some(h) => format!("{e} ({h})"),
                    None => e.to_string(),
                };
                set_err(&mut lock(&self.status).dns, &message);
                Err(message)
            }
        };
        Some(outcome)
    }

    async fn cert_round(&mut self) -> Option<Result<(), String>> {
        let files = self.cert_files.as_mut()?;
        let identity = self.config.identity.describe();
        let outcome = match files.sync().await {
            Ok(CertChange::Unchanged { version }) => {
                tracing::debug!(%version, "certificate files already current");
                set_ok(&mut lock(&self.status).cert, version);
                Ok(())
            }
            Ok(CertChange::Written {
                version,
                thumbprint,
            }) => {
                let dir = self
                    .config
                    .cert
                    .as_ref()
                    .map(|c| c.dir.display().to_string());
                tracing::info!(%version, %thumbprint, dir = ?dir, "certificate files written");
                set_ok(&mut lock(&self.status).cert, version);
                Ok(())
            }
            Err(e) => {
                let extra = match &e {
                    CertError::KeyVault { source, .. } if source.status() == Some(403) => {
                        Some(format!(
                            "the {identity} needs the Key Vault Certificate User role on the vault (certificate read and secret get)"
                        ))
                    }
                    CertError::KeyVault { source, .. } if source.status().is_none() => Some(
                        format!("the {identity} has no token yet or Key Vault is unreachable"),
                    ),
                    _ => None,
                };
                let message = match extra {
                    Some(h) => format!("{e} ({h})"),
                    None => e.to_string(),
                };
                set_err(&mut lock(&self.status).cert, &message);
                Err(message)
            }
        };
        Some(outcome)
    }

    /// One round of both jobs; the errors of the jobs that failed.
    pub async fn round(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        if let Some(Err(e)) = self.dns_round().await {
            errors.push(format!("DNS registration: {e}"));
        }
        if let Some(Err(e)) = self.cert_round().await {
            errors.push(format!("certificate files: {e}"));
        }
        lock(&self.status).last_round = Some(Instant::now());
        errors
    }

    /// The pause before the next round, and a warning when the round failed.
    fn next_delay(&mut self, errors: &[String]) -> Duration {
        if errors.is_empty() {
            if self.failures > 0 {
                tracing::info!(failed_rounds = self.failures, "recovered");
            }
            self.failures = 0;
            return jittered(self.config.interval);
        }
        self.failures += 1;
        let backoff = Duration::from_secs(1u64 << self.failures.saturating_sub(1).min(10))
            .min(self.config.interval);
        let delay = jittered(backoff);
        for e in errors {
            tracing::warn!(error = %e, attempt = self.failures, retry_in_ms = delay.as_millis() as u64, "round failed; retrying");
        }
        delay
    }

    /// Runs until `shutdown` completes (service) or one round succeeds (once).
    pub async fn run(
        &mut self,
        mode: Mode,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), RunError> {
        let started = Instant::now();
        tokio::pin!(shutdown);
        loop {
            let errors = self.round().await;
            if mode == Mode::Once {
                if errors.is_empty() {
                    tracing::info!("done (--once)");
                    return Ok(());
                }
                if started.elapsed() >= self.config.once_timeout {
                    return Err(RunError::OnceTimeout {
                        seconds: self.config.once_timeout.as_secs(),
                        last: errors.join("; "),
                    });
                }
            }
            let delay = self.next_delay(&errors);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = &mut shutdown => {
                    tracing::info!("shutdown requested");
                    break;
                }
            }
        }
        self.withdraw().await;
        Ok(())
    }

    /// Takes this group's IP out of the record, within the shutdown timeout.
    pub async fn withdraw(&mut self) {
        let Some(reg) = self.registration.as_ref() else {
            return;
        };
        let timeout = self.config.shutdown_timeout;
        match tokio::time::timeout(timeout, reg.withdraw(self.registered_ip)).await {
            Ok(Ok(change)) => {
                tracing::info!(record = %reg_name(self.config), ip = ?self.registered_ip, change = ?change, "withdrew this group's IP")
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "could not withdraw this group's IP; the next agent or aci_private_dns_sync will correct the record")
            }
            Err(_) => tracing::error!(
                timeout_s = timeout.as_secs(),
                "withdrawing this group's IP timed out"
            ),
        }
    }
}

fn reg_name(config: &Config) -> String {
    config
        .dns
        .as_ref()
        .map(|d| format!("{}.{}", d.record, d.zone))
        .unwrap_or_default()
}

fn set_ok(j: &mut JobStatus, current: String) {
    j.ok = true;
    j.last_success = Some(SystemTime::now());
    j.last_error = None;
    j.current = Some(current);
}

fn set_err(j: &mut JobStatus, message: &str) {
    j.ok = false;
    j.last_error = Some(message.to_string());
}
