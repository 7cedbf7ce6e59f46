//! The agent's configuration, from environment variables only (what ACI passes to a container).
//! Every mistake is reported as one line naming the variable and the fix; secret values are
//! never echoed.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use azure_client::ids::{container_group_resource_group, parse_private_zone_id, valid_record_name};
use url::Url;

/// Every variable the agent reads, with a short description (`--help` prints them).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "ACILAB_CONTAINER_GROUP_ID",
        "resource id of this container group (required for DNS registration)",
    ),
    (
        "ACILAB_IP_SOURCE",
        "`arm` (default: the group's IP from Azure Resource Manager) or `interface` (this container's own address)",
    ),
    (
        "ACILAB_INTERFACE_PROBE",
        "with ACILAB_IP_SOURCE=interface: an address whose route picks the interface (default 168.63.129.16:53)",
    ),
    (
        "ACILAB_DNS_ZONE_ID",
        "resource id of the Private DNS zone; enables DNS registration",
    ),
    (
        "ACILAB_DNS_RECORD_NAME",
        "relative name of the A record, e.g. `app` for app.<zone>",
    ),
    (
        "ACILAB_DNS_OWNER",
        "ownership marker in the record's metadata (default `acilab-agent`); use the `owner` of an aci_private_dns_sync managing the same record",
    ),
    (
        "ACILAB_DNS_TTL",
        "TTL in seconds of a record the agent creates (default 10)",
    ),
    (
        "ACILAB_CERT_KEY_VAULT_URL",
        "vault URL, e.g. https://myvault.vault.azure.net/",
    ),
    (
        "ACILAB_CERT_NAME",
        "Key Vault certificate whose chain and key go to ACILAB_CERT_DIR; enables the certificate job",
    ),
    (
        "ACILAB_CERT_DIR",
        "directory shared with nginx (default /certs): tls.pem (chain + key, 0600) and tls.crt (chain)",
    ),
    (
        "ACILAB_INTERVAL_SECONDS",
        "seconds between checks, with ±10% jitter (default 30)",
    ),
    (
        "ACILAB_HEALTH_ADDR",
        "listen address of /healthz and /readyz (default 0.0.0.0:8091; `off` disables)",
    ),
    (
        "ACILAB_SHUTDOWN_TIMEOUT_SECONDS",
        "time allowed to withdraw the IP on SIGTERM (default 10)",
    ),
    (
        "ACILAB_ONCE_TIMEOUT_SECONDS",
        "with --once: give up after this many seconds (default 300)",
    ),
    (
        "ACILAB_LOG",
        "log level: error, warn, info (default), debug or trace",
    ),
    (
        "ACILAB_RESOURCE_MANAGER_ENDPOINT",
        "Azure Resource Manager URL (default https://management.azure.com/)",
    ),
    (
        "ACILAB_RESOURCE_MANAGER_AUDIENCE",
        "token audience for Resource Manager (default: Azure public cloud's, or the endpoint itself)",
    ),
    (
        "ACILAB_CA_BUNDLE_FILE",
        "extra PEM CA certificates to trust (private clouds, the local emulator)",
    ),
    (
        "AZURE_CLIENT_ID",
        "client id of the user-assigned managed identity, or of the app registration",
    ),
    (
        "AZURE_TENANT_ID",
        "tenant of the app registration (with a secret or federated token)",
    ),
    (
        "AZURE_CLIENT_SECRET",
        "client secret: the weaker option, for --once as an init container",
    ),
    (
        "AZURE_FEDERATED_TOKEN_FILE",
        "federated token file (workload identity) instead of a secret",
    ),
    (
        "AZURE_AUTHORITY_HOST",
        "Entra authority (default https://login.microsoftonline.com/)",
    ),
];

const PUBLIC_RESOURCE_MANAGER: &str = "https://management.azure.com/";
const PUBLIC_RESOURCE_MANAGER_AUDIENCE: &str = "https://management.core.windows.net/";
const PUBLIC_AUTHORITY_HOST: &str = "https://login.microsoftonline.com/";
/// Azure's virtual public IP: present in every VNet, so the route to it picks the VNet interface.
const DEFAULT_INTERFACE_PROBE: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)), 53);

/// A configuration mistake: the variable and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

fn invalid(var: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var: var.to_string(),
        problem: problem.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpSource {
    /// The group's IP as Azure Resource Manager reports it (`properties.ipAddress.ip`).
    Arm,
    /// The local address the kernel would use to reach `probe` (no packet is sent).
    Interface { probe: SocketAddr },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    pub zone_id: String,
    pub zone: String,
    /// Lower case.
    pub record: String,
    pub owner: String,
    pub ttl: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertConfig {
    pub vault_url: String,
    pub name: String,
    pub dir: PathBuf,
}

/// Who the agent is towards Entra ID.
#[derive(Clone, PartialEq, Eq)]
pub enum Identity {
    /// A managed identity (IMDS, or `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`); a user-assigned one
    /// when the client id is given.
    Managed { client_id: Option<String> },
    ClientSecret {
        tenant_id: String,
        client_id: String,
        secret: String,
    },
    Federated {
        tenant_id: String,
        client_id: String,
        token_file: PathBuf,
    },
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Managed { client_id } => f
                .debug_struct("Managed")
                .field("client_id", client_id)
                .finish(),
            Self::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            Self::Federated {
                tenant_id,
                client_id,
                token_file,
            } => f
                .debug_struct("Federated")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("token_file", token_file)
                .finish(),
        }
    }
}

impl Identity {
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Managed { client_id: Some(_) } => "user-assigned managed identity",
            Self::Managed { client_id: None } => "system-assigned managed identity",
            Self::ClientSecret { .. } => "client secret",
            Self::Federated { .. } => "federated token file",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    pub authority_host: Url,
    pub resource_manager: Url,
    pub resource_manager_audience: String,
    pub ca_bundle_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub container_group_id: Option<String>,
    pub ip_source: IpSource,
    pub dns: Option<DnsConfig>,
    pub cert: Option<CertConfig>,
    pub interval: Duration,
    /// `None`: no health endpoint.
    pub health_addr: Option<SocketAddr>,
    pub shutdown_timeout: Duration,
    pub once_timeout: Duration,
    pub log_level: tracing::Level,
    pub identity: Identity,
    pub cloud: Cloud,
}

/// The variables as a map (tests build one; the binary passes the process environment).
pub type Env = BTreeMap<String, String>;

struct Vars<'a>(&'a Env);

impl Vars<'_> {
    /// The value, trimmed; empty counts as unset (ACI passes empty strings for unset inputs).
    fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn seconds(&self, var: &str, default: u64, range: (u64, u64)) -> Result<u64, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if (range.0..=range.1).contains(&n) => Ok(n),
                _ => Err(invalid(
                    var,
                    format!(
                        "{v:?} is not a whole number from {} to {}",
                        range.0, range.1
                    ),
                )),
            },
        }
    }

    fn https_url(&self, var: &str, default: &str) -> Result<Url, ConfigError> {
        let raw = self.get(var).unwrap_or(default);
        let url =
            Url::parse(raw).map_err(|e| invalid(var, format!("{raw:?} is not a URL ({e})")))?;
        if url.scheme() != "https" {
            return Err(invalid(
                var,
                format!("{raw:?} must use https (tokens are never sent in clear text)"),
            ));
        }
        Ok(url)
    }
}

impl Config {
    /// Reads the configuration; the first mistake found is the error.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let v = Vars(env);
        if let Some(unknown) = env.keys().find(|k| {
            k.starts_with("ACILAB_") && !VARIABLES.iter().any(|(name, _)| name == &k.as_str())
        }) {
            let hint = VARIABLES
                .iter()
                .map(|(name, _)| *name)
                .find(|name| {
                    name.starts_with(unknown.as_str())
                        || unknown.starts_with(name.trim_end_matches("_SECONDS"))
                })
                .map(|name| format!("; did you mean {name}?"))
                .unwrap_or_else(|| "; run `acilab-agent --help` for the list".into());
            return Err(invalid(unknown, format!("unknown variable{hint}")));
        }

        let container_group_id = v.get("ACILAB_CONTAINER_GROUP_ID").map(String::from);
        if let Some(id) = &container_group_id
            && container_group_resource_group(id).is_none()
        {
            return Err(invalid(
                "ACILAB_CONTAINER_GROUP_ID",
                format!(
                    "{id:?} is not a container group id: use /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerInstance/containerGroups/<name>"
                ),
            ));
        }

        let ip_source = match v.get("ACILAB_IP_SOURCE").unwrap_or("arm") {
            s if s.eq_ignore_ascii_case("arm") => IpSource::Arm,
            s if s.eq_ignore_ascii_case("interface") => {
                let probe = match v.get("ACILAB_INTERFACE_PROBE") {
                    None => DEFAULT_INTERFACE_PROBE,
                    Some(p) => p.parse().map_err(|_| {
                        invalid(
                            "ACILAB_INTERFACE_PROBE",
                            format!("{p:?} is not an address:port such as 168.63.129.16:53"),
                        )
                    })?,
                };
                IpSource::Interface { probe }
            }
            other => {
                return Err(invalid(
                    "ACILAB_IP_SOURCE",
                    format!("{other:?} is not a source: use `arm` or `interface`"),
                ));
            }
        };

        let dns = match v.get("ACILAB_DNS_ZONE_ID") {
            None => {
                if v.get("ACILAB_DNS_RECORD_NAME").is_some() {
                    return Err(invalid(
                        "ACILAB_DNS_ZONE_ID",
                        "missing: ACILAB_DNS_RECORD_NAME is set, so give the Private DNS zone's resource id too",
                    ));
                }
                None
            }
            Some(zone_id) => {
                let zone = parse_private_zone_id(zone_id).ok_or_else(|| {
                    invalid(
                        "ACILAB_DNS_ZONE_ID",
                        format!("{zone_id:?} is not a Private DNS zone id: use /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>"),
                    )
                })?;
                let record = v.get("ACILAB_DNS_RECORD_NAME").ok_or_else(|| {
                    invalid(
                        "ACILAB_DNS_RECORD_NAME",
                        "missing: give the relative record name, e.g. `app` for app.<zone>",
                    )
                })?;
                if !valid_record_name(record) {
                    return Err(invalid(
                        "ACILAB_DNS_RECORD_NAME",
                        format!(
                            "{record:?} is not a relative DNS name: use labels of letters, digits, '-' or '_' (or '@' for the apex)"
                        ),
                    ));
                }
                if container_group_id.is_none() {
                    return Err(invalid(
                        "ACILAB_CONTAINER_GROUP_ID",
                        "missing: DNS registration needs this group's resource id (it marks which IP in the record is this group's)",
                    ));
                }
                let owner = v.get("ACILAB_DNS_OWNER").unwrap_or("acilab-agent");
                if owner.len() > 256 || owner.contains(char::is_control) {
                    return Err(invalid(
                        "ACILAB_DNS_OWNER",
                        "use at most 256 printable characters",
                    ));
                }
                Some(DnsConfig {
                    zone_id: zone.id,
                    zone: zone.zone,
                    record: record.to_ascii_lowercase(),
                    owner: owner.to_string(),
                    ttl: v.seconds("ACILAB_DNS_TTL", 10, (1, 2_147_483_647))?,
                })
            }
        };

        let cert = match (
            v.get("ACILAB_CERT_NAME"),
            v.get("ACILAB_CERT_KEY_VAULT_URL"),
        ) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "ACILAB_CERT_KEY_VAULT_URL",
                    "missing: ACILAB_CERT_NAME is set, so give the vault URL too, e.g. https://myvault.vault.azure.net/",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "ACILAB_CERT_NAME",
                    "missing: ACILAB_CERT_KEY_VAULT_URL is set, so give the Key Vault certificate name too",
                ));
            }
            (Some(name), Some(_)) => {
                if name.is_empty()
                    || name.len() > 127
                    || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    return Err(invalid(
                        "ACILAB_CERT_NAME",
                        format!(
                            "{name:?} is not a Key Vault object name: 1-127 letters, digits or '-'"
                        ),
                    ));
                }
                let vault = v.https_url("ACILAB_CERT_KEY_VAULT_URL", "")?;
                if vault.host_str().is_none() || vault.path() != "/" {
                    return Err(invalid(
                        "ACILAB_CERT_KEY_VAULT_URL",
                        format!(
                            "{:?} must be the vault's base URL, e.g. https://myvault.vault.azure.net/",
                            vault.as_str()
                        ),
                    ));
                }
                let dir = PathBuf::from(v.get("ACILAB_CERT_DIR").unwrap_or("/certs"));
                if !dir.is_absolute() {
                    return Err(invalid(
                        "ACILAB_CERT_DIR",
                        format!(
                            "{:?} must be an absolute path (the volume shared with nginx)",
                            dir.display()
                        ),
                    ));
                }
                Some(CertConfig {
                    vault_url: vault.to_string(),
                    name: name.to_string(),
                    dir,
                })
            }
        };

        if dns.is_none() && cert.is_none() {
            return Err(invalid(
                "ACILAB_DNS_ZONE_ID",
                "nothing to do: set ACILAB_DNS_ZONE_ID and ACILAB_DNS_RECORD_NAME (DNS registration) and/or ACILAB_CERT_KEY_VAULT_URL and ACILAB_CERT_NAME (certificate files)",
            ));
        }
        if ip_source == IpSource::Arm && dns.is_some() && container_group_id.is_none() {
            return Err(invalid(
                "ACILAB_CONTAINER_GROUP_ID",
                "missing: needed to read the group's IP",
            ));
        }

        let health_addr = match v.get("ACILAB_HEALTH_ADDR") {
            Some(s) if s.eq_ignore_ascii_case("off") => None,
            None => Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8091)),
            Some(s) => Some(s.parse().map_err(|_| {
                invalid(
                    "ACILAB_HEALTH_ADDR",
                    format!("{s:?} is not an address:port such as 0.0.0.0:8091 (or `off`)"),
                )
            })?),
        };

        let level = v.get("ACILAB_LOG").unwrap_or("info");
        let log_level = level.parse::<tracing::Level>().map_err(|_| {
            invalid(
                "ACILAB_LOG",
                format!("{level:?} is not a level: use error, warn, info, debug or trace"),
            )
        })?;

        let identity = identity(&v)?;

        let resource_manager =
            v.https_url("ACILAB_RESOURCE_MANAGER_ENDPOINT", PUBLIC_RESOURCE_MANAGER)?;
        let resource_manager_audience = match v.get("ACILAB_RESOURCE_MANAGER_AUDIENCE") {
            Some(a) => a.to_string(),
            None if resource_manager.as_str() == PUBLIC_RESOURCE_MANAGER => {
                PUBLIC_RESOURCE_MANAGER_AUDIENCE.to_string()
            }
            None => resource_manager.to_string(),
        };
        let ca_bundle_file = v.get("ACILAB_CA_BUNDLE_FILE").map(PathBuf::from);
        if let Some(f) = &ca_bundle_file
            && !f.is_file()
        {
            return Err(invalid(
                "ACILAB_CA_BUNDLE_FILE",
                format!("{} is not a readable file", f.display()),
            ));
        }
        let cloud = Cloud {
            authority_host: v.https_url("AZURE_AUTHORITY_HOST", PUBLIC_AUTHORITY_HOST)?,
            resource_manager,
            resource_manager_audience,
            ca_bundle_file,
        };

        Ok(Self {
            container_group_id,
            ip_source,
            dns,
            cert,
            interval: Duration::from_secs(v.seconds("ACILAB_INTERVAL_SECONDS", 30, (1, 3600))?),
            health_addr,
            shutdown_timeout: Duration::from_secs(v.seconds(
                "ACILAB_SHUTDOWN_TIMEOUT_SECONDS",
                10,
                (1, 600),
            )?),
            once_timeout: Duration::from_secs(v.seconds(
                "ACILAB_ONCE_TIMEOUT_SECONDS",
                300,
                (1, 3600),
            )?),
            log_level,
            identity,
            cloud,
        })
    }
}

fn identity(v: &Vars<'_>) -> Result<Identity, ConfigError> {
    let client_id = v.get("AZURE_CLIENT_ID").map(String::from);
    let secret = v.get("AZURE_CLIENT_SECRET");
    let token_file = v.get("AZURE_FEDERATED_TOKEN_FILE");
    let app = |kind: &str| -> Result<(String, String), ConfigError> {
        let tenant = v.get("AZURE_TENANT_ID").ok_or_else(|| {
            invalid(
                "AZURE_TENANT_ID",
                format!("missing: a {kind} needs the app registration's tenant id"),
            )
        })?;
        let client = client_id.clone().ok_or_else(|| {
            invalid(
                "AZURE_CLIENT_ID",
                format!("missing: a {kind} needs the app registration's client id"),
            )
        })?;
        Ok((tenant.to_string(), client))
    };
    match (secret, token_file) {
        (Some(_), Some(_)) => Err(invalid(
            "AZURE_CLIENT_SECRET",
            "conflicts with AZURE_FEDERATED_TOKEN_FILE: set only one (prefer the federated token, or neither for a managed identity)",
        )),
        (Some(secret), None) => {
            let (tenant_id, client_id) = app("client secret")?;
            Ok(Identity::ClientSecret {
                tenant_id,
                client_id,
                secret: secret.to_string(),
            })
        }
        (None, Some(file)) => {
            let (tenant_id, client_id) = app("federated token file")?;
            Ok(Identity::Federated {
                tenant_id,
                client_id,
                token_file: PathBuf::from(file),
            })
        }
        (None, None) => Ok(Identity::Managed { client_id }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const GROUP: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app-0";
    const ZONE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/Acilab.Internal";

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn dns_env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("ACILAB_CONTAINER_GROUP_ID", GROUP),
            ("ACILAB_DNS_ZONE_ID", ZONE),
            ("ACILAB_DNS_RECORD_NAME", "App"),
        ]
    }

    fn err(pairs: &[(&str, &str)]) -> ConfigError {
        Config::from_env(&env(pairs)).unwrap_err()
    }

    #[test]
    fn defaults_for_dns_registration() {
        let c = Config::from_env(&env(&dns_env())).unwrap();
        let dns = c.dns.unwrap();
        assert_eq!(dns.zone, "acilab.internal");
        assert_eq!(dns.record, "app");
        assert_eq!(dns.owner, "acilab-agent");
        assert_eq!(dns.ttl, 10);
        assert_eq!(c.ip_source, IpSource::Arm);
        assert_eq!(c.interval, Duration::from_secs(30));
        assert_eq!(c.health_addr, Some("0.0.0.0:8091".parse().unwrap()));
        assert_eq!(c.identity, Identity::Managed { client_id: None });
        assert_eq!(
            c.cloud.resource_manager_audience,
            PUBLIC_RESOURCE_MANAGER_AUDIENCE
        );
        assert!(c.cert.is_none());
    }

    #[test]
    fn mistakes_name_the_variable() {
        assert_eq!(err(&[]).var, "ACILAB_DNS_ZONE_ID");
        let mut e = dns_env();
        e.push(("ACILAB_INTERVAL", "5"));
        let x = err(&e);
        assert_eq!(x.var, "ACILAB_INTERVAL");
        assert!(x.problem.contains("ACILAB_INTERVAL_SECONDS"), "{x}");

        let mut e = dns_env();
        e[1] = ("ACILAB_DNS_ZONE_ID", "acilab.internal");
        assert_eq!(err(&e).var, "ACILAB_DNS_ZONE_ID");

        let mut e = dns_env();
        e.remove(0);
        assert_eq!(err(&e).var, "ACILAB_CONTAINER_GROUP_ID");

        let mut e = dns_env();
        e.push(("ACILAB_INTERVAL_SECONDS", "0"));
        assert_eq!(err(&e).var, "ACILAB_INTERVAL_SECONDS");

        let mut e = dns_env();
        e.push(("ACILAB_CERT_NAME", "web"));
        assert_eq!(err(&e).var, "ACILAB_CERT_KEY_VAULT_URL");

        let mut e = dns_env();
        e.push(("ACILAB_CERT_NAME", "web"));
        e.push(("ACILAB_CERT_KEY_VAULT_URL", "http://kv.vault.azure.net/"));
        assert_eq!(err(&e).var, "ACILAB_CERT_KEY_VAULT_URL");

        let mut e = dns_env();
        e.push(("ACILAB_CERT_NAME", "web"));
        e.push(("ACILAB_CERT_KEY_VAULT_URL", "https://kv.vault.azure.net/"));
        e.push(("ACILAB_CERT_DIR", "certs"));
        assert_eq!(err(&e).var, "ACILAB_CERT_DIR");

        let mut e = dns_env();
        e.push(("ACILAB_IP_SOURCE", "imds"));
        assert_eq!(err(&e).var, "ACILAB_IP_SOURCE");
    }

    #[test]
    fn identity_choice_and_secrets_stay_out_of_errors_and_debug() {
        let mut e = dns_env();
        e.push(("AZURE_CLIENT_SECRET", "hunter2-very-secret"));
        let x = err(&e);
        assert_eq!(x.var, "AZURE_TENANT_ID");
        assert!(!x.to_string().contains("hunter2"));
        e.push(("AZURE_TENANT_ID", "t"));
        e.push(("AZURE_CLIENT_ID", "c"));
        let c = Config::from_env(&env(&e)).unwrap();
        assert_eq!(c.identity.describe(), "client secret");
        assert!(!format!("{c:?}").contains("hunter2"));
        e.push(("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"));
        assert_eq!(err(&e).var, "AZURE_CLIENT_SECRET");
    }

    #[test]
    fn certificate_only_needs_no_group() {
        let c = Config::from_env(&env(&[
            ("ACILAB_CERT_NAME", "web"),
            ("ACILAB_CERT_KEY_VAULT_URL", "https://kv.vault.azure.net"),
            ("ACILAB_HEALTH_ADDR", "off"),
        ]))
        .unwrap();
        let cert = c.cert.unwrap();
        assert_eq!(cert.vault_url, "https://kv.vault.azure.net/");
        assert_eq!(cert.dir, PathBuf::from("/certs"));
        assert_eq!(c.health_addr, None);
    }
}
