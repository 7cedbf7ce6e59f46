//! One ACME issuance with DNS-01 on an Azure public DNS zone, the key generated inside Key Vault:
//! account (kept as a Key Vault secret) → order → all TXT values in one record set per name →
//! authoritative name servers checked → challenges ready → CSR from Key Vault → finalize →
//! merge the chain into Key Vault. The TXT records are removed on every path.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use azure_client::keyvault::{CertificateRequest, CertificateVersion, KeyVault};
use azure_client::{ArmClient, ArmError, Precondition};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, ExternalAccountKey,
    Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};

/// What can go wrong, each with the attribute it concerns.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("{message}")]
    Attribute {
        attribute: &'static str,
        summary: &'static str,
        message: String,
    },
}

fn fail(attribute: &'static str, summary: &'static str, message: impl Into<String>) -> IssueError {
    IssueError::Attribute {
        attribute,
        summary,
        message: message.into(),
    }
}

/// What to do about the CA's common refusals.
fn ca_advice(e: &instant_acme::Error) -> &'static str {
    let instant_acme::Error::Api(p) = e else {
        return "";
    };
    match p
        .r#type
        .as_deref()
        .unwrap_or_default()
        .rsplit(':')
        .next()
        .unwrap_or_default()
    {
        "rejectedIdentifier" => {
            " — the CA will not issue for one of these names (its policy); remove or change it."
        }
        "rateLimited" => {
            " — Let's Encrypt rate limit reached (5 certificates per identical name set per week, 50 per domain): wait, or test against the staging directory."
        }
        "unauthorized" | "dns" | "incorrectResponse" => {
            " — the CA could not see the DNS-01 TXT values: check that the zone is delegated to Azure DNS (its NS records) and that dns_zone_id is the right zone."
        }
        "externalAccountRequired" => {
            " — this CA needs external account binding: set eab_key_id and eab_hmac_key."
        }
        _ => "",
    }
}

/// A new Key Vault version and the chain the CA returned (leaf first, PEM).
#[derive(Debug)]
pub struct Issued {
    pub version: CertificateVersion,
    pub chain_pem: String,
}

/// Everything one issuance needs.
#[derive(Debug)]
pub struct Order<'a> {
    pub kv: &'a KeyVault,
    pub arm: &'a ArmClient,
    pub certificate_name: &'a str,
    pub request: &'a CertificateRequest,
    /// DNS names, apex and wildcard alike.
    pub names: Vec<String>,
    pub dns_zone_id: &'a str,
    pub dns_zone_name: &'a str,
    pub directory_url: &'a str,
    pub contact_email: Option<&'a str>,
    pub eab: Option<(String, Vec<u8>)>,
    /// Extra CA (PEM file) to trust for the ACME server (test CAs such as pebble).
    pub acme_ca_file: Option<&'a str>,
    /// Name servers to check instead of the zone's (host:port).
    pub check_name_servers: Vec<SocketAddr>,
    pub propagation_timeout: Duration,
}

/// Key Vault secret that holds the ACME account for a directory.
pub fn account_secret_name(directory_url: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    directory_url.hash(&mut h);
    format!("acme-account-{:016x}", h.finish())
}

/// `_acme-challenge` record name for an identifier, relative to the zone.
pub fn challenge_record(identifier: &str, zone: &str) -> Option<String> {
    let id = identifier
        .trim_start_matches("*.")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    if id == zone {
        Some("_acme-challenge".to_string())
    } else {
        id.strip_suffix(&format!(".{zone}"))
            .map(|sub| format!("_acme-challenge.{sub}"))
    }
}

/// Metadata key marking a TXT value as published by acilab for one certificate:
/// `acilab_acme_<hash of value>` = certificate name. Values left by an interrupted run of the
/// same certificate are removed by its next run; everybody else's values are left alone.
fn txt_owner_key(value: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    format!("acilab_acme_{:016x}", h.finish())
}

/// ACME servers reject a request with `badNonce` at will (Let's Encrypt does under load);
/// instant-acme retries three times, the provider keeps trying a while longer.
fn bad_nonce(e: &instant_acme::Error) -> bool {
    matches!(e, instant_acme::Error::Api(p) if p.r#type.as_deref() == Some("urn:ietf:params:acme:error:badNonce"))
}

/// Re-evaluates an ACME call while it fails with `badNonce` (nothing was done server-side).
macro_rules! nonce_retry {
    ($call:expr) => {{
        let mut attempt = 0;
        loop {
            match $call {
                Err(e) if bad_nonce(&e) && attempt < 20 => {
                    attempt += 1;
                    tracing::debug!(attempt, "ACME badNonce, retrying");
                }
                other => break other,
            }
        }
    }};
}

/// The ACME account for a directory, kept as a Key Vault secret; created on first use.
async fn account(
    kv: &KeyVault,
    directory_url: &str,
    acme_ca_file: Option<&str>,
    contact_email: Option<&str>,
    eab: Option<&(String, Vec<u8>)>,
) -> Result<Account, IssueError> {
    let builder = || match acme_ca_file {
        Some(path) => Account::builder_with_root(path),
        None => Account::builder(),
    };
    let acme_err = |e: instant_acme::Error| {
        fail(
            "directory_url",
            "ACME account",
            format!("{e}{}", ca_advice(&e)),
        )
    };
    let secret = account_secret_name(directory_url);
    let kv_err =
        |e: azure_client::keyvault::KeyVaultError| fail("key_vault_id", "Key Vault", e.to_string());
    if let Some(json) = kv.get_secret(&secret).await.map_err(kv_err)? {
        let _: AccountCredentials = serde_json::from_str(&json).map_err(|e| {
            fail(
                "key_vault_id",
                "Unreadable ACME account",
                format!("secret {secret}: {e}"),
            )
        })?;
        return nonce_retry!(
            builder()
                .map_err(acme_err)?
                .from_credentials(serde_json::from_str(&json).map_err(|e| fail(
                    "key_vault_id",
                    "Unreadable ACME account",
                    format!("secret {secret}: {e}")
                ))?)
                .await
        )
        .map_err(acme_err);
    }
    let contact: Vec<String> = contact_email
        .map(|e| format!("mailto:{e}"))
        .into_iter()
        .collect();
    let contact_refs: Vec<&str> = contact.iter().map(String::as_str).collect();
    let eab = eab.map(|(kid, key)| ExternalAccountKey::new(kid.clone(), key));
    let (account, creds) = nonce_retry!(
        builder()
            .map_err(acme_err)?
            .create(
                &NewAccount {
                    contact: &contact_refs,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                directory_url.to_string(),
                eab.as_ref(),
            )
            .await
    )
    .map_err(acme_err)?;
    let json = serde_json::to_string(&creds)
        .map_err(|e| fail("directory_url", "ACME account", e.to_string()))?;
    let tags = BTreeMap::from([("acilab".to_string(), "acme-account".to_string())]);
    kv.set_secret(&secret, &json, Some("application/json"), &tags)
        .await
        .map_err(kv_err)?;
    Ok(account)
}

/// Revokes a certificate with the account that ordered it (kept in Key Vault).
pub async fn revoke(
    kv: &KeyVault,
    directory_url: &str,
    acme_ca_file: Option<&str>,
    cert_der: &[u8],
) -> Result<(), IssueError> {
    let account = account(kv, directory_url, acme_ca_file, None, None).await?;
    let der = rustls::pki_types::CertificateDer::from(cert_der.to_vec());
    nonce_retry!(
        account
            .revoke(&instant_acme::RevocationRequest {
                certificate: &der,
                reason: None
            })
            .await
    )
    .map_err(|e| {
        fail(
            "revoke_on_destroy",
            "The CA refused to revoke the certificate",
            e.to_string(),
        )
    })
}

impl Order<'_> {
    async fn account(&self) -> Result<Account, IssueError> {
        account(
            self.kv,
            self.directory_url,
            self.acme_ca_file,
            self.contact_email,
            self.eab.as_ref(),
        )
        .await
    }

    /// Runs the order and returns the new Key Vault version. TXT records are cleaned up whatever
    /// happens.
    pub async fn issue(&self) -> Result<Issued, IssueError> {
        let account = self.account().await?;
        let mut published: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let result = self.run(&account, &mut published).await;
        for (record, values) in &published {
            if let Err(e) = self.unpublish(record, values).await {
                tracing::warn!(record, error = %e, "could not remove the challenge TXT record");
            }
        }
        result
    }

    async fn run(
        &self,
        account: &Account,
        published: &mut BTreeMap<String, Vec<String>>,
    ) -> Result<Issued, IssueError> {
        let acme = |e: instant_acme::Error| {
            fail(
                "common_name",
                "The ACME CA refused the order",
                format!("{e}{}", ca_advice(&e)),
            )
        };
        let ids: Vec<Identifier> = self
            .names
            .iter()
            .map(|n| Identifier::Dns(n.clone()))
            .collect();
        let mut order =
            nonce_retry!(account.new_order(&NewOrder::new(&ids)).await).map_err(acme)?;
        // Collect every value first: apex and wildcard share `_acme-challenge`.
        let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
        'collect: for attempt in 0..20 {
            wanted.clear();
            let mut authzs = order.authorizations();
            while let Some(a) = authzs.next().await {
                let mut a = match a {
                    Err(e) if bad_nonce(&e) && attempt < 19 => continue 'collect,
                    other => other.map_err(acme)?,
                };
                if a.status == AuthorizationStatus::Valid {
                    continue;
                }
                let Identifier::Dns(name) = a.identifier().identifier.clone() else {
                    continue;
                };
                let record = challenge_record(&name, self.dns_zone_name)
                    .ok_or_else(|| fail("subject_alternative_names", "Name outside the DNS zone", format!("{name} is not in the DNS zone {}: every name must be the zone or below it.", self.dns_zone_name)))?;
                let ch = a.challenge(ChallengeType::Dns01).ok_or_else(|| {
                    fail(
                        "directory_url",
                        "No DNS-01 challenge",
                        format!("the CA offered no dns-01 challenge for {name}"),
                    )
                })?;
                wanted
                    .entry(record)
                    .or_default()
                    .push(ch.key_authorization().dns_value());
            }
        }
        for (record, values) in &wanted {
            self.publish(record, values).await?;
            published.insert(record.clone(), values.clone());
        }
        self.wait_for_name_servers(&wanted).await?;
        'ready: for attempt in 0..20 {
            let mut authzs = order.authorizations();
            while let Some(a) = authzs.next().await {
                let mut a = match a {
                    Err(e) if bad_nonce(&e) && attempt < 19 => continue 'ready,
                    other => other.map_err(acme)?,
                };
                if a.status != AuthorizationStatus::Pending {
                    continue;
                }
                if let Some(mut ch) = a.challenge(ChallengeType::Dns01) {
                    nonce_retry!(ch.set_ready().await).map_err(acme)?;
                }
            }
            break;
        }
        let policy = RetryPolicy::new()
            .initial_delay(Duration::from_millis(250))
            .timeout(Duration::from_secs(180));
        let status = nonce_retry!(order.poll_ready(&policy).await).map_err(acme)?;
        if status != OrderStatus::Ready {
            return Err(fail(
                "common_name",
                "The ACME CA did not validate the names",
                format!("order status {status:?}"),
            ));
        }
        // The key stays in Key Vault: ask it for a CSR. A leftover pending operation from an
        // interrupted run is discarded first.
        let kv_err = |e: azure_client::keyvault::KeyVaultError| {
            fail(
                "key_vault_id",
                "Key Vault refused the certificate",
                e.to_string(),
            )
        };
        if self
            .kv
            .pending(self.certificate_name)
            .await
            .map_err(kv_err)?
            .is_some_and(|p| p.status == azure_client::keyvault::OperationStatus::InProgress)
        {
            tracing::info!(
                certificate = self.certificate_name,
                "discarding a pending Key Vault operation left by an interrupted run"
            );
            self.kv
                .discard_pending(self.certificate_name)
                .await
                .map_err(kv_err)?;
        }
        let csr = self
            .kv
            .begin_create(self.certificate_name, self.request)
            .await
            .map_err(kv_err)?;
        nonce_retry!(order.finalize_csr(&csr).await).map_err(acme)?;
        let pem = nonce_retry!(order.poll_certificate(&policy).await).map_err(acme)?;
        let chain: Vec<Vec<u8>> = rustls_pemfile::certs(&mut pem.as_bytes())
            .filter_map(Result::ok)
            .map(|c| c.to_vec())
            .collect();
        if chain.is_empty() {
            return Err(fail(
                "directory_url",
                "Empty certificate",
                "the CA returned no certificate",
            ));
        }
        let version = self
            .kv
            .merge(self.certificate_name, &chain)
            .await
            .map_err(kv_err)?;
        Ok(Issued {
            version,
            chain_pem: pem,
        })
    }

    async fn publish(&self, record: &str, values: &[String]) -> Result<(), IssueError> {
        let arm = |e: ArmError| {
            fail(
                "dns_zone_id",
                "Cannot write the DNS-01 TXT record",
                e.to_string(),
            )
        };
        for _ in 0..5 {
            let existing = self
                .arm
                .get_txt(self.dns_zone_id, record)
                .await
                .map_err(arm)?;
            let mut metadata = existing
                .as_ref()
                .map(|r| r.metadata.clone())
                .unwrap_or_default();
            // Drop what an interrupted earlier run of this certificate left; keep the rest.
            let mut all: Vec<String> = existing
                .as_ref()
                .map(|r| {
                    r.values
                        .iter()
                        .filter(|v| {
                            metadata.get(&txt_owner_key(v)).map(String::as_str)
                                != Some(self.certificate_name)
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            metadata.retain(|k, v| !(k.starts_with("acilab_acme_") && v == self.certificate_name));
            for v in values {
                if !all.contains(v) {
                    all.push(v.clone());
                }
                metadata.insert(txt_owner_key(v), self.certificate_name.to_string());
            }
            let pre = existing.map_or(Precondition::IfNoneMatch, |r| Precondition::IfMatch(r.etag));
            match self
                .arm
                .put_txt(self.dns_zone_id, record, 60, &metadata, &all, pre)
                .await
            {
                Ok(_) => return Ok(()),
                Err(ArmError::PreconditionFailed) => continue,
                Err(e) => return Err(arm(e)),
            }
        }
        Err(fail(
            "dns_zone_id",
            "The TXT record keeps changing",
            format!("{record} changed 5 times while publishing"),
        ))
    }

    async fn unpublish(&self, record: &str, values: &[String]) -> Result<(), ArmError> {
        for _ in 0..5 {
            let Some(existing) = self.arm.get_txt(self.dns_zone_id, record).await? else {
                return Ok(());
            };
            let rest: Vec<String> = existing
                .values
                .iter()
                .filter(|v| !values.contains(v))
                .cloned()
                .collect();
            let mut metadata = existing.metadata.clone();
            for v in values {
                metadata.remove(&txt_owner_key(v));
            }
            let result = if rest.is_empty() {
                self.arm
                    .delete_txt(
                        self.dns_zone_id,
                        record,
                        Precondition::IfMatch(existing.etag),
                    )
                    .await
            } else {
                self.arm
                    .put_txt(
                        self.dns_zone_id,
                        record,
                        existing.ttl,
                        &metadata,
                        &rest,
                        Precondition::IfMatch(existing.etag),
                    )
                    .await
                    .map(|_| ())
            };
            match result {
                Err(ArmError::PreconditionFailed) => continue,
                other => return other,
            }
        }
        Ok(())
    }

    /// Waits until every authoritative name server answers every value we published.
    async fn wait_for_name_servers(
        &self,
        wanted: &BTreeMap<String, Vec<String>>,
    ) -> Result<(), IssueError> {
        let servers = if self.check_name_servers.is_empty() {
            let zone = self
                .arm
                .get_dns_zone(self.dns_zone_id)
                .await
                .map_err(|e| fail("dns_zone_id", "Cannot read the DNS zone", e.to_string()))?;
            let zone = zone.ok_or_else(|| {
                fail(
                    "dns_zone_id",
                    "DNS zone not found",
                    format!("{} does not exist", self.dns_zone_id),
                )
            })?;
            let mut addrs = Vec::new();
            for ns in zone.name_servers {
                if let Ok(found) = tokio::net::lookup_host((ns.trim_end_matches('.'), 53)).await {
                    addrs.extend(found.filter(SocketAddr::is_ipv4).take(1));
                }
            }
            addrs
        } else {
            self.check_name_servers.clone()
        };
        if servers.is_empty() {
            return Err(fail(
                "dns_zone_id",
                "No name server to check",
                "the zone's name servers do not resolve; set name_servers to check",
            ));
        }
        let deadline = Instant::now() + self.propagation_timeout;
        loop {
            let mut missing = Vec::new();
            for server in &servers {
                for (record, values) in wanted {
                    let fqdn = format!("{record}.{}.", self.dns_zone_name.trim_end_matches('.'));
                    let seen = crate::letsencrypt::dns::txt(*server, &fqdn)
                        .await
                        .unwrap_or_default();
                    if values.iter().any(|v| !seen.contains(v)) {
                        missing.push(format!("{fqdn} at {server}"));
                    }
                }
            }
            if missing.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(fail(
                    "dns_propagation_timeout",
                    "DNS-01 records not visible",
                    format!(
                        "after {:?} these name servers still lack the challenge values: {}. Raise dns_propagation_timeout or check the zone delegation.",
                        self.propagation_timeout,
                        missing.join(", ")
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_records_are_relative_to_the_zone() {
        assert_eq!(
            challenge_record("example.com", "example.com").as_deref(),
            Some("_acme-challenge")
        );
        assert_eq!(
            challenge_record("*.example.com", "example.com").as_deref(),
            Some("_acme-challenge")
        );
        assert_eq!(
            challenge_record("a.b.example.com", "example.com.").as_deref(),
            Some("_acme-challenge.a.b")
        );
        assert_eq!(challenge_record("example.org", "example.com"), None);
        assert_eq!(challenge_record("notexample.com", "example.com"), None);
    }
}
