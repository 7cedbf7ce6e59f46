//! `letsencrypt_keyvault_cert`: a certificate from an ACME CA (Let's Encrypt by default) for a
//! set of names, proven with DNS-01 on an Azure public DNS zone, whose key pair Key Vault
//! generates and keeps. Renewal adds a new version in place, so the versionless secret id that
//! Application Gateway references never changes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use async_trait::async_trait;
use azure_client::keyvault::{
    CertificateRequest, CertificateVersion, KeyType, KeyVault, SecretContentType,
};
use tfplugin6::{Attribute, Diagnostic, Diagnostics, Mode, Resource, Schema, Type, Value};

use super::acme::{IssueError, Order};
use crate::azure::AzureClients;

pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
const DEFAULT_PROPAGATION_SECS: f64 = 300.0;

#[derive(Debug)]
pub struct KeyVaultCert;

/// `/subscriptions/<s>/resourceGroups/<rg>/providers/<ns>/<type>/<name>` → name.
fn resource_name(id: &str, ns: &str, ty: &str) -> Option<String> {
    let p: Vec<&str> = id.trim_end_matches('/').split('/').collect();
    match p.as_slice() {
        ["", s, _, r, _, pr, n, t, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && r.eq_ignore_ascii_case("resourceGroups")
                && pr.eq_ignore_ascii_case("providers")
                && n.eq_ignore_ascii_case(ns)
                && t.eq_ignore_ascii_case(ty)
                && !name.is_empty() =>
        {
            Some(name.to_string())
        }
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.elements()
        .iter()
        .filter_map(|e| e.as_str().map(String::from))
        .collect()
}

fn valid_dns_name(n: &str) -> bool {
    let n = n.strip_prefix("*.").unwrap_or(n);
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').count() >= 2
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn diag(e: IssueError) -> Diagnostics {
    let IssueError::Attribute {
        attribute,
        summary,
        message,
    } = e;
    Diagnostic::error(summary, message).at(attribute).into()
}

fn kv_diag(what: &str, e: impl std::fmt::Display) -> Diagnostics {
    Diagnostic::error(format!("Key Vault refused to {what}"), e.to_string())
        .at("key_vault_id")
        .into()
}

/// All names of the certificate: the common name first, then the SANs, without duplicates.
fn names(v: &Value) -> Vec<String> {
    let mut out = vec![
        v.get("common_name")
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    ];
    for s in strings(v.get("subject_alternative_names")) {
        let s = s.to_ascii_lowercase();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn key_type(v: &Value) -> KeyType {
    let size = v.get("key_size").as_f64().map(|n| n as u32);
    match v.get("key_type").as_str().unwrap_or("RSA") {
        "EC" => {
            if size == Some(384) {
                KeyType::EcP384
            } else {
                KeyType::EcP256
            }
        }
        _ => KeyType::Rsa(size.unwrap_or(2048)),
    }
}

/// Tag on every version this resource issues: a version found in Key Vault with it (an apply
/// killed after the merge, before Terraform saved the state) is adopted instead of re-ordered.
const ISSUED_BY: (&str, &str) = ("acilab-issued-by", "letsencrypt_keyvault_cert");

fn tags(v: &Value) -> BTreeMap<String, String> {
    let mut t: BTreeMap<String, String> = match v.get("tags") {
        Value::Map(m) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    };
    t.insert(ISSUED_BY.0.to_string(), ISSUED_BY.1.to_string());
    t
}

impl KeyVaultCert {
    fn vault(
        &self,
        client: &AzureClients,
        state: &Value,
    ) -> Result<(KeyVault, String), Diagnostics> {
        let id = state.get("key_vault_id").as_str().unwrap_or_default();
        let vault = resource_name(id, "Microsoft.KeyVault", "vaults").ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error("Invalid key_vault_id", id.to_string()).at("key_vault_id"),
            )
        })?;
        let url = client.cloud.vault_url(&vault);
        let kv = KeyVault::new(&url, client.credential.clone(), &client.transport)
            .map_err(|e| kv_diag("connect", e))?;
        Ok((kv, url))
    }

    /// State from a Key Vault version, keeping the configuration's arguments.
    fn state(&self, base: &Value, v: &CertificateVersion) -> Value {
        let mut s = base.clone();
        let chain_pem = pem("CERTIFICATE", &v.cer_der);
        let (serial, issuer) = x509_parser::parse_x509_certificate(&v.cer_der)
            .map(|(_, c)| {
                (
                    c.raw_serial_as_string()
                        .replace(':', "")
                        .to_ascii_uppercase(),
                    c.issuer().to_string(),
                )
            })
            .unwrap_or_default();
        let rfc3339 = |t: Option<i64>| {
            t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map_or(Value::Null, Value::string)
        };
        s.set_attr("id", Value::string(&v.versionless_id));
        s.set_attr("version", Value::string(&v.version));
        s.set_attr("secret_id", Value::string(&v.secret_id));
        s.set_attr(
            "versionless_secret_id",
            Value::string(&v.versionless_secret_id),
        );
        s.set_attr("thumbprint", Value::string(&v.thumbprint_hex));
        s.set_attr("serial_number", Value::string(serial));
        s.set_attr("issuer", Value::string(issuer));
        s.set_attr("not_before", rfc3339(v.not_before));
        s.set_attr("not_after", rfc3339(v.not_after));
        s.set_attr("certificate_pem", Value::string(chain_pem));
        s
    }

    async fn issue(&self, client: &AzureClients, planned: &Value) -> Result<Value, Diagnostics> {
        let (kv, _) = self.vault(client, planned)?;
        let name = planned.get("name").as_str().unwrap_or_default();
        let zone_id = planned.get("dns_zone_id").as_str().unwrap_or_default();
        let zone_name =
            resource_name(zone_id, "Microsoft.Network", "dnsZones").ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("Invalid dns_zone_id", zone_id.to_string()).at("dns_zone_id"),
                )
            })?;
        match client.arm.get_dns_zone(zone_id).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Diagnostic::error("DNS zone not found", format!("{zone_id} does not exist: create the public zone (azurerm_dns_zone) or fix dns_zone_id.")).at("dns_zone_id").into());
            }
            Err(e) => {
                return Err(Diagnostic::error("Cannot read the DNS zone", e.to_string())
                    .at("dns_zone_id")
                    .into());
            }
        }
        // A certificate deleted outside Terraform still holds its name: recover it, then renew.
        if kv
            .get(name, None)
            .await
            .map_err(|e| kv_diag("read the certificate", e))?
            .is_none()
            && kv
                .is_deleted(name)
                .await
                .map_err(|e| kv_diag("read deleted certificates", e))?
        {
            tracing::info!(
                certificate = name,
                "recovering a soft-deleted certificate before renewing it"
            );
            kv.recover(name)
                .await
                .map_err(|e| kv_diag("recover the certificate", e))?;
        }
        let names = names(planned);
        let request = CertificateRequest {
            subject: format!("CN={}", names[0]),
            dns_names: names.clone(),
            key: key_type(planned),
            content_type: SecretContentType::Pem,
            tags: tags(planned),
            exportable: true,
        };
        let check_name_servers = strings(planned.get("name_servers"))
            .iter()
            .map(|s| {
                s.parse::<SocketAddr>()
                    .or_else(|_| format!("{s}:53").parse())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                Diagnostics::from(
                    Diagnostic::error("Invalid name_servers", "use IP:port (or IP) entries")
                        .at("name_servers"),
                )
            })?;
        let eab_hmac = match planned.get("eab_hmac_key").as_str() {
            Some(k) => Some(
                base64::Engine::decode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    k.trim_end_matches('='),
                )
                .map_err(|_| {
                    Diagnostics::from(
                        Diagnostic::error(
                            "Invalid eab_hmac_key",
                            "the EAB HMAC key must be base64url, as the CA shows it",
                        )
                        .at("eab_hmac_key"),
                    )
                })?,
            ),
            None => None,
        };
        let order = Order {
            kv: &kv,
            arm: &client.arm,
            certificate_name: name,
            request: &request,
            names,
            dns_zone_id: zone_id,
            dns_zone_name: &zone_name,
            directory_url: planned
                .get("directory_url")
                .as_str()
                .unwrap_or(LETS_ENCRYPT),
            contact_email: planned.get("contact_email").as_str(),
            eab: planned
                .get("eab_key_id")
                .as_str()
                .map(String::from)
                .zip(eab_hmac),
            acme_ca_file: planned.get("directory_ca_file").as_str(),
            check_name_servers,
            propagation_timeout: Duration::from_secs_f64(
                planned
                    .get("dns_propagation_timeout")
                    .as_f64()
                    .unwrap_or(DEFAULT_PROPAGATION_SECS),
            ),
        };
        let issued = order.issue().await.map_err(diag)?;
        let mut state = self.state(planned, &issued.version);
        state.set_attr("certificate_pem", Value::string(issued.chain_pem));
        Ok(state)
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// When the certificate enters its renewal window: `renew_before_days` before expiry, else the
/// last third of its lifetime.
/// DNS names in a certificate (lower case).
fn cert_names(der: &[u8]) -> Vec<String> {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .and_then(|(_, c)| {
            c.subject_alternative_name().ok().flatten().map(|ext| {
                ext.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => {
                            Some(d.to_ascii_lowercase())
                        }
                        _ => None,
                    })
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// `state` holds the issued version's validity, `config` the (planned) `renew_before_days`.
fn renew_at(state: &Value, config: &Value) -> Option<time::OffsetDateTime> {
    let parse = |a: &str| {
        state.get(a).as_str().and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
    };
    let (nb, na) = (parse("not_before")?, parse("not_after")?);
    Some(match config.get("renew_before_days").as_f64() {
        Some(d) => na - time::Duration::seconds_f64(d * 86_400.0),
        None => na - (na - nb) / 3,
    })
}

/// Attributes that describe the issued version.
const ISSUED: [&str; 8] = [
    "version",
    "secret_id",
    "thumbprint",
    "serial_number",
    "issuer",
    "not_before",
    "not_after",
    "certificate_pem",
];

fn needs_reissue(prior: &Value, planned: &Value) -> bool {
    // Attributes an import could not know (null in the prior state) do not force a new version.
    let changed = |a: &str| !prior.get(a).is_null() && prior.get(a) != planned.get(a);
    [
        "key_vault_id",
        "name",
        "common_name",
        "subject_alternative_names",
        "key_type",
        "key_size",
        "dns_zone_id",
        "directory_url",
    ]
    .iter()
    .any(|a| changed(a))
        || renew_at(prior, planned).is_some_and(|t| time::OffsetDateTime::now_utc() >= t)
}

#[async_trait]
impl Resource<AzureClients> for KeyVaultCert {
    fn type_name(&self) -> &'static str {
        "letsencrypt_keyvault_cert"
    }

    fn schema(&self) -> Schema {
        use Mode::*;
        Schema {
            version: 0,
            description: "A certificate from Let's Encrypt (or any ACME CA) proven with DNS-01 on an Azure public DNS zone, its key generated and kept inside Key Vault. Renewal adds a Key Vault version in place.",
            attributes: vec![
                Attribute::new("id", Type::String, Computed, "Versionless Key Vault certificate id.").stable(),
                Attribute::new("key_vault_id", Type::String, Required, "Resource id of the Key Vault (RBAC: Certificates Officer and Secrets Officer for the provider's identity). Changing it issues the certificate into the new vault, then soft-deletes the old one (never revoked)."),
                Attribute::new("name", Type::String, Required, "Certificate name in Key Vault (letters, digits, '-'). Changing it issues the certificate under the new name, then soft-deletes the old one (never revoked)."),
                Attribute::new("common_name", Type::String, Required, "Subject common name, e.g. `example.com`."),
                Attribute::new("subject_alternative_names", Type::set(Type::String), Optional, "More DNS names, e.g. `*.example.com`; all must be in the DNS zone."),
                Attribute::new("dns_zone_id", Type::String, Required, "Resource id of the public DNS zone used for DNS-01."),
                Attribute::new("directory_url", Type::String, OptionalComputed, "ACME directory (default Let's Encrypt production; staging: https://acme-staging-v02.api.letsencrypt.org/directory).").stable(),
                Attribute::new("directory_ca_file", Type::String, Optional, "PEM file with the TLS root of a private ACME server (test CAs)."),
                Attribute::new("contact_email", Type::String, Optional, "Contact for the ACME account."),
                Attribute::new("key_type", Type::String, OptionalComputed, "`RSA` (default) or `EC`.").stable(),
                Attribute::new("key_size", Type::Number, OptionalComputed, "RSA: 2048 (default), 3072, 4096. EC: 256 (default) or 384.").stable(),
                Attribute::new("renew_before_days", Type::Number, Optional, "Renew this many days before expiry (default: when two thirds of the lifetime have passed)."),
                Attribute::new("eab_key_id", Type::String, Optional, "External account binding key id, for CAs that need one."),
                Attribute::new("eab_hmac_key", Type::String, Optional, "External account binding HMAC key (base64url).").sensitive(),
                Attribute::new("tags", Type::map(Type::String), Optional, "Tags on the Key Vault certificate."),
                Attribute::new("dns_propagation_timeout", Type::Number, OptionalComputed, "Seconds to wait for the zone's name servers to show the challenge (default 300).").stable(),
                Attribute::new("name_servers", Type::list(Type::String), Optional, "Name servers (IP:port) to check instead of the zone's own."),
                Attribute::new("revoke_on_destroy", Type::Bool, OptionalComputed, "Revoke the certificate when the resource is destroyed (never on replacement). Default false.").stable(),
                Attribute::new("purge_on_destroy", Type::Bool, OptionalComputed, "Purge the soft-deleted certificate on destroy. Default false.").stable(),
                Attribute::new("version", Type::String, Computed, "Current Key Vault version."),
                Attribute::new("secret_id", Type::String, Computed, "Versioned secret id of the current version."),
                Attribute::new("versionless_secret_id", Type::String, Computed, "Versionless secret id: what Application Gateway references.").stable(),
                Attribute::new("thumbprint", Type::String, Computed, "SHA-1 thumbprint (upper-case hex)."),
                Attribute::new("serial_number", Type::String, Computed, "Serial number (hex)."),
                Attribute::new("issuer", Type::String, Computed, "Issuer distinguished name."),
                Attribute::new("not_before", Type::String, Computed, "Start of validity (RFC 3339)."),
                Attribute::new("not_after", Type::String, Computed, "End of validity (RFC 3339)."),
                Attribute::new("certificate_pem", Type::String, Computed, "The certificate chain in PEM, leaf first, as the CA returned it (the leaf only after an import); public — the key stays in Key Vault."),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::default();
        if let Some(id) = config.get("key_vault_id").as_str()
            && resource_name(id, "Microsoft.KeyVault", "vaults").is_none()
        {
            d.push(Diagnostic::error("Invalid key_vault_id", format!("{id:?} is not a Key Vault id: expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name> (e.g. azurerm_key_vault.this.id).")).at("key_vault_id"));
        }
        if let Some(id) = config.get("dns_zone_id").as_str()
            && resource_name(id, "Microsoft.Network", "dnsZones").is_none()
        {
            d.push(Diagnostic::error("Invalid dns_zone_id", format!("{id:?} is not a public DNS zone id: expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/dnsZones/<zone> (e.g. azurerm_dns_zone.this.id).")).at("dns_zone_id"));
        }
        if let Some(n) = config.get("name").as_str()
            && !(1..=127).contains(&n.len())
                | !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            d.push(
                Diagnostic::error(
                    "Invalid name",
                    format!(
                        "{n:?}: Key Vault certificate names use letters, digits and '-' (1-127)."
                    ),
                )
                .at("name"),
            );
        }
        if config.get("common_name").is_wholly_known()
            && config.get("subject_alternative_names").is_wholly_known()
        {
            let zone = config
                .get("dns_zone_id")
                .as_str()
                .and_then(|z| resource_name(z, "Microsoft.Network", "dnsZones"));
            let all: Vec<String> = std::iter::once(
                config
                    .get("common_name")
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            )
            .chain(
                strings(config.get("subject_alternative_names"))
                    .iter()
                    .map(|n| n.to_ascii_lowercase()),
            )
            .collect();
            let mut seen = std::collections::BTreeSet::new();
            for n in all.iter().filter(|n| !n.is_empty()) {
                if !seen.insert(n)
                    && strings(config.get("subject_alternative_names"))
                        .iter()
                        .filter(|s| s.eq_ignore_ascii_case(n))
                        .count()
                        > 1
                {
                    d.push(Diagnostic::error("Duplicate name", format!("{n:?} is listed twice in subject_alternative_names: list each name once.")).at("subject_alternative_names"));
                }
            }
            for n in names(config) {
                if n.is_empty() {
                    continue;
                }
                if n.matches('*').count() > 0
                    && (!n.starts_with("*.") || n.matches('*').count() > 1)
                {
                    d.push(Diagnostic::error("Invalid wildcard", format!("{n:?}: a wildcard must be the whole left-most label, as in *.example.com.")).at("subject_alternative_names"));
                } else if !valid_dns_name(&n) {
                    d.push(
                        Diagnostic::error("Invalid DNS name", format!("{n:?} is not a DNS name."))
                            .at("subject_alternative_names"),
                    );
                } else if let Some(z) = &zone
                    && super::acme::challenge_record(&n, z).is_none()
                {
                    d.push(Diagnostic::error("Name outside the DNS zone", format!("{n:?} is not in the zone {z}: DNS-01 can only prove names in the zone given by dns_zone_id.")).at("subject_alternative_names"));
                }
            }
        }
        match (
            config.get("key_type").as_str(),
            config.get("key_size").as_f64(),
        ) {
            (Some(t), _) if t != "RSA" && t != "EC" => d.push(
                Diagnostic::error("Invalid key_type", format!("{t:?}: use RSA or EC."))
                    .at("key_type"),
            ),
            (Some("EC"), Some(s)) if s != 256.0 && s != 384.0 => d.push(
                Diagnostic::error(
                    "Invalid key_size",
                    format!("{s} for EC: use 256 (P-256) or 384 (P-384)."),
                )
                .at("key_size"),
            ),
            (None | Some("RSA"), Some(s)) if ![2048.0, 3072.0, 4096.0].contains(&s) => d.push(
                Diagnostic::error(
                    "Invalid key_size",
                    format!("{s} for RSA: use 2048, 3072 or 4096."),
                )
                .at("key_size"),
            ),
            _ => {}
        }
        d
    }

    async fn modify_plan(
        &self,
        _client: &AzureClients,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Result<(), Diagnostics> {
        for (attr, default) in [
            ("directory_url", Value::string(LETS_ENCRYPT)),
            ("key_type", Value::string("RSA")),
            (
                "dns_propagation_timeout",
                Value::Number(DEFAULT_PROPAGATION_SECS),
            ),
            ("revoke_on_destroy", Value::Bool(false)),
            ("purge_on_destroy", Value::Bool(false)),
        ] {
            if planned.get(attr).is_null() || planned.get(attr).is_unknown() {
                planned.set_attr(attr, default);
            }
        }
        if planned.get("key_size").is_null() || planned.get("key_size").is_unknown() {
            let size = if planned.get("key_type").as_str() == Some("EC") {
                256.0
            } else {
                2048.0
            };
            planned.set_attr("key_size", Value::Number(size));
        }
        let Some(prior) = prior else { return Ok(()) };
        // A new version when the names or the key change, or in the renewal window; any other
        // change (tags, destroy options, timeouts) keeps the current version.
        let reissue = needs_reissue(prior, planned);
        if ["key_vault_id", "name"]
            .iter()
            .any(|a| prior.get(a) != planned.get(a))
        {
            planned.set_attr("id", Value::Unknown);
            planned.set_attr("versionless_secret_id", Value::Unknown);
        }
        for a in ISSUED {
            planned.set_attr(
                a,
                if reissue {
                    Value::Unknown
                } else {
                    prior.get(a).clone()
                },
            );
        }
        Ok(())
    }

    async fn read(
        &self,
        client: &AzureClients,
        state: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let (kv, _) = self.vault(client, state)?;
        let name = state.get("name").as_str().unwrap_or_default();
        match kv
            .get(name, None)
            .await
            .map_err(|e| kv_diag("read the certificate", e))?
        {
            None => Ok(None),
            Some(v) => {
                let mut new = self.state(state, &v);
                // Key Vault keeps the leaf only; the chain the CA returned stays while the
                // version is the same.
                if state.get("version").as_str() == Some(v.version.as_str())
                    && state.get("certificate_pem").as_str().is_some()
                {
                    new.set_attr("certificate_pem", state.get("certificate_pem").clone());
                }
                Ok(Some(new))
            }
        }
    }

    async fn create(&self, client: &AzureClients, planned: &Value) -> Result<Value, Diagnostics> {
        // A version this resource issued for the same names, not yet due for renewal, is
        // adopted: the apply that ordered it died before Terraform saved the state.
        let (kv, _) = self.vault(client, planned)?;
        let name = planned.get("name").as_str().unwrap_or_default();
        if let Some(v) = kv
            .get(name, None)
            .await
            .map_err(|e| kv_diag("read the certificate", e))?
            && v.tags.get(ISSUED_BY.0).map(String::as_str) == Some(ISSUED_BY.1)
        {
            let state = self.state(planned, &v);
            let mut wanted = names(planned);
            wanted.sort();
            let mut have = cert_names(&v.cer_der);
            have.sort();
            let due =
                renew_at(&state, planned).is_none_or(|t| time::OffsetDateTime::now_utc() >= t);
            if wanted == have && !due {
                tracing::info!(certificate = name, version = %v.version, "adopting a version issued by an interrupted apply");
                return Ok(state);
            }
        }
        self.issue(client, planned).await
    }

    async fn update(
        &self,
        client: &AzureClients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Diagnostics> {
        let moved = ["key_vault_id", "name"]
            .iter()
            .any(|a| prior.get(a) != planned.get(a));
        if moved {
            // A move is no replacement: the certificate is issued at its new place first, then
            // the old one is soft-deleted (purged if asked), never revoked.
            let state = self.issue(client, planned).await?;
            let (old_kv, _) = self.vault(client, prior)?;
            let old_name = prior.get("name").as_str().unwrap_or_default();
            old_kv
                .delete(old_name)
                .await
                .map_err(|e| kv_diag("delete the certificate's old copy", e))?;
            if prior.get("purge_on_destroy").as_bool() == Some(true) {
                old_kv
                    .purge(old_name)
                    .await
                    .map_err(|e| kv_diag("purge the certificate's old copy", e))?;
            }
            return Ok(state);
        }
        if needs_reissue(prior, planned) {
            return self.issue(client, planned).await;
        }
        // Settings only: keep the version, update its tags.
        let (kv, _) = self.vault(client, planned)?;
        let name = planned.get("name").as_str().unwrap_or_default();
        if tags(prior) != tags(planned)
            && let Some(v) = planned.get("version").as_str()
        {
            kv.set_tags(name, v, &tags(planned))
                .await
                .map_err(|e| kv_diag("update the tags", e))?;
        }
        Ok(planned.clone())
    }

    async fn delete(&self, client: &AzureClients, state: &Value) -> Result<(), Diagnostics> {
        let (kv, _) = self.vault(client, state)?;
        let name = state.get("name").as_str().unwrap_or_default();
        if state.get("revoke_on_destroy").as_bool() == Some(true)
            && let Some(v) = kv
                .get(name, None)
                .await
                .map_err(|e| kv_diag("read the certificate", e))?
        {
            let directory = state.get("directory_url").as_str().unwrap_or(LETS_ENCRYPT);
            super::acme::revoke(
                &kv,
                directory,
                state.get("directory_ca_file").as_str(),
                &v.cer_der,
            )
            .await
            .map_err(diag)?;
        }
        kv.delete(name)
            .await
            .map_err(|e| kv_diag("delete the certificate", e))?;
        if state.get("purge_on_destroy").as_bool() == Some(true) {
            kv.purge(name)
                .await
                .map_err(|e| kv_diag("purge the certificate", e))?;
        }
        Ok(())
    }

    async fn import(&self, client: &AzureClients, id: &str) -> Result<Value, Diagnostics> {
        let bad = || {
            Diagnostics::from(Diagnostic::error(
                "Invalid import id",
                format!("{id:?}: use <key vault resource id>/certificates/<name>."),
            ))
        };
        let (vault_id, name) = id.split_once("/certificates/").ok_or_else(bad)?;
        if resource_name(vault_id, "Microsoft.KeyVault", "vaults").is_none()
            || name.is_empty()
            || name.contains('/')
        {
            return Err(bad());
        }
        let mut base = Value::Object(
            self.schema()
                .attributes
                .iter()
                .map(|a| (a.name.to_string(), Value::Null))
                .collect(),
        );
        base.set_attr("key_vault_id", Value::string(vault_id));
        base.set_attr("name", Value::string(name));
        let (kv, _) = self.vault(client, &base)?;
        let v = kv
            .get(name, None)
            .await
            .map_err(|e| kv_diag("read the certificate", e))?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Certificate not found",
                    format!("There is no certificate {name:?} in {vault_id}."),
                ))
            })?;
        // The names come from the certificate; ACME and DNS settings from the configuration.
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(&v.cer_der) {
            let cn = cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|c| c.as_str().ok())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let sans: Vec<Value> = cert
                .subject_alternative_name()
                .ok()
                .flatten()
                .map(|ext| {
                    ext.value
                        .general_names
                        .iter()
                        .filter_map(|n| match n {
                            x509_parser::extensions::GeneralName::DNSName(d)
                                if d.to_ascii_lowercase() != cn =>
                            {
                                Some(Value::string(d.to_ascii_lowercase()))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            base.set_attr("common_name", Value::string(cn));
            base.set_attr("subject_alternative_names", Value::set_of(sans));
        }
        let mut state = self.state(&base, &v);
        // Unknown to Key Vault: left for the configuration to fill in without a new version.
        for a in ["directory_url", "key_type", "key_size"] {
            state.set_attr(a, Value::Null);
        }
        Ok(state)
    }
}
