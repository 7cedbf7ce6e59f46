//! Registration of the group's IP in a Private DNS A record that several groups (and an
//! `aci_private_dns_sync` resource) may share.
//!
//! The record set's metadata says who may write it (`acilab_owner`, the same key the Terraform
//! resource uses) and which IP each group put there (`acilab_ip_<hash of the group id>`), so a
//! group that restarted with a new IP removes exactly its old one, even after the agent itself
//! restarted. Every write is conditional on the ETag just read; a 412 means another writer won
//! the race, so the agent reads again and re-applies its change on top.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use azure_client::{ARecordSet, ArmClient, ArmError, Precondition};
use sha2::{Digest as _, Sha256};

use crate::config::DnsConfig;

/// Metadata key of the owner marker (shared with `aci_private_dns_sync`).
pub const OWNER_KEY: &str = "acilab_owner";
/// Metadata key saying which tool created or last managed the record.
pub const MANAGED_BY_KEY: &str = "acilab_managed_by";
/// Prefix of the per-group IP claims.
pub const CLAIM_PREFIX: &str = "acilab_ip_";
/// Reads and writes per sync before giving up until the next round.
const CONFLICT_RETRIES: u32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error(
        "the A record {record}.{zone} belongs to {owner}, not to {ours:?}; acilab never changes a record it does not own (set ACILAB_DNS_OWNER to the record's owner if this agent should share it)"
    )]
    NotOwned {
        record: String,
        zone: String,
        owner: String,
        ours: String,
    },
    #[error("Azure refused to {what} {record}: {source}")]
    Arm {
        what: &'static str,
        record: String,
        source: Box<ArmError>,
    },
    #[error(
        "the A record {record} kept changing under {retries} concurrent writes; trying again next round"
    )]
    Contended { record: String, retries: u32 },
}

impl DnsError {
    pub fn arm_error(&self) -> Option<&ArmError> {
        match self {
            Self::Arm { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// What a sync changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Unchanged,
    Created,
    Updated {
        added: Option<String>,
        removed: Option<String>,
    },
    Deleted,
    Gone,
}

/// This group's claim key: `acilab_ip_` + 16 hex digits of SHA-256 of the lower-case group id.
pub fn claim_key(group_id: &str) -> String {
    let digest = Sha256::digest(group_id.to_ascii_lowercase().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{CLAIM_PREFIX}{hex}")
}

#[derive(Debug)]
pub struct Registration<'a> {
    arm: &'a ArmClient,
    config: &'a DnsConfig,
    claim: String,
}

impl<'a> Registration<'a> {
    pub fn new(arm: &'a ArmClient, config: &'a DnsConfig, group_id: &str) -> Self {
        Self {
            arm,
            config,
            claim: claim_key(group_id),
        }
    }

    fn fqdn(&self) -> String {
        format!("{}.{}", self.config.record, self.config.zone)
    }

    fn arm_err(&self, what: &'static str) -> impl FnOnce(ArmError) -> DnsError + '_ {
        move |source| DnsError::Arm {
            what,
            record: self.fqdn(),
            source: Box::new(source),
        }
    }

    fn check_owner(&self, r: &ARecordSet) -> Result<(), DnsError> {
        match r.metadata.get(OWNER_KEY) {
            Some(o) if *o == self.config.owner => Ok(()),
            other => Err(DnsError::NotOwned {
                record: self.config.record.clone(),
                zone: self.config.zone.clone(),
                owner: other.map_or_else(
                    || "nobody (it was created outside acilab)".to_string(),
                    |o| format!("owner {o:?}"),
                ),
                ours: self.config.owner.clone(),
            }),
        }
    }

    /// Rewrites the record read as `r` (same TTL), only if nobody wrote it since.
    async fn replace(
        &self,
        r: &ARecordSet,
        metadata: &BTreeMap<String, String>,
        ips: &[String],
    ) -> Result<ARecordSet, ArmError> {
        self.arm
            .put_a_record(
                &self.config.zone_id,
                &self.config.record,
                r.ttl,
                metadata,
                ips,
                Precondition::IfMatch(r.etag.clone()),
            )
            .await
    }

    /// An IP that another group claims too must stay (it is theirs now).
    fn claimed_by_others(&self, r: &ARecordSet, ip: &str) -> bool {
        r.metadata
            .iter()
            .any(|(k, v)| k.starts_with(CLAIM_PREFIX) && *k != self.claim && v == ip)
    }

    /// Makes the record contain `ip` (and no longer this group's previous IP).
    pub async fn sync(&self, ip: IpAddr) -> Result<Change, DnsError> {
        let ip = ip.to_string();
        for attempt in 0..CONFLICT_RETRIES {
            if attempt > 0 {
                conflict_pause(attempt).await;
            }
            let current = self
                .arm
                .get_a_record(&self.config.zone_id, &self.config.record)
                .await
                .map_err(self.arm_err("read"))?;
            let Some(r) = current else {
                let metadata = BTreeMap::from([
                    (OWNER_KEY.to_string(), self.config.owner.clone()),
                    (MANAGED_BY_KEY.to_string(), "acilab-agent".to_string()),
                    (self.claim.clone(), ip.clone()),
                ]);
                match self
                    .arm
                    .put_a_record(
                        &self.config.zone_id,
                        &self.config.record,
                        self.config.ttl,
                        &metadata,
                        std::slice::from_ref(&ip),
                        Precondition::IfNoneMatch,
                    )
                    .await
                {
                    Ok(_) => return Ok(Change::Created),
                    Err(ArmError::PreconditionFailed) => continue,
                    Err(e) => return Err(self.arm_err("create")(e)),
                }
            };
            self.check_owner(&r)?;
            let previous = r.metadata.get(&self.claim).cloned();
            let mut ips = r.ipv4_addresses.clone();
            let mut removed = None;
            if let Some(prev) = previous.as_deref()
                && prev != ip
                && !self.claimed_by_others(&r, prev)
                && ips.iter().any(|i| i == prev)
            {
                ips.retain(|i| i != prev);
                removed = Some(prev.to_string());
            }
            let added = if ips.contains(&ip) {
                None
            } else {
                ips.push(ip.clone());
                Some(ip.clone())
            };
            let mut metadata = r.metadata.clone();
            metadata.insert(self.claim.clone(), ip.clone());
            if ips == r.ipv4_addresses && metadata == r.metadata {
                return Ok(Change::Unchanged);
            }
            match self.replace(&r, &metadata, &ips).await {
                Ok(_) => return Ok(Change::Updated { added, removed }),
                Err(ArmError::PreconditionFailed) => {
                    tracing::debug!(record = %self.fqdn(), attempt, "record changed while writing; reading again");
                }
                Err(e) => return Err(self.arm_err("update")(e)),
            }
        }
        Err(DnsError::Contended {
            record: self.fqdn(),
            retries: CONFLICT_RETRIES,
        })
    }

    /// Takes this group's IP out of the record (shutdown); deletes the record when no IP is
    /// left. A record that is not ours is left alone.
    pub async fn withdraw(&self, ip: Option<IpAddr>) -> Result<Change, DnsError> {
        for attempt in 0..CONFLICT_RETRIES {
            if attempt > 0 {
                conflict_pause(attempt).await;
            }
            let Some(r) = self
                .arm
                .get_a_record(&self.config.zone_id, &self.config.record)
                .await
                .map_err(self.arm_err("read"))?
            else {
                return Ok(Change::Gone);
            };
            self.check_owner(&r)?;
            // Ours: what the claim says, and the IP we run with now.
            let mine: Vec<String> = r
                .metadata
                .get(&self.claim)
                .cloned()
                .into_iter()
                .chain(ip.map(|i| i.to_string()))
                .filter(|i| !self.claimed_by_others(&r, i))
                .collect();
            let ips: Vec<String> = r
                .ipv4_addresses
                .iter()
                .filter(|i| !mine.contains(i))
                .cloned()
                .collect();
            let mut metadata = r.metadata.clone();
            metadata.remove(&self.claim);
            if ips == r.ipv4_addresses && metadata == r.metadata {
                return Ok(Change::Unchanged);
            }
            let result = if ips.is_empty() {
                self.arm
                    .delete_a_record(
                        &self.config.zone_id,
                        &self.config.record,
                        Precondition::IfMatch(r.etag.clone()),
                    )
                    .await
                    .map(|()| Change::Deleted)
            } else {
                let removed = r.ipv4_addresses.iter().find(|i| mine.contains(i)).cloned();
                self.replace(&r, &metadata, &ips)
                    .await
                    .map(|_| Change::Updated {
                        added: None,
                        removed,
                    })
            };
            match result {
                Ok(change) => return Ok(change),
                Err(ArmError::PreconditionFailed) => continue,
                Err(e) => return Err(self.arm_err("withdraw from")(e)),
            }
        }
        Err(DnsError::Contended {
            record: self.fqdn(),
            retries: CONFLICT_RETRIES,
        })
    }
}

/// A short random pause so two racing writers do not collide again in lockstep.
async fn conflict_pause(attempt: u32) {
    let max_ms = 50u64 * u64::from(attempt.min(6));
    let ms = rand::random_range(0..=max_ms);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_are_stable_and_case_insensitive() {
        let a = claim_key(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app-0",
        );
        let b = claim_key(
            "/SUBSCRIPTIONS/s/resourcegroups/RG/providers/microsoft.containerinstance/containerGroups/APP-0",
        );
        let c = claim_key(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app-1",
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), CLAIM_PREFIX.len() + 16);
        assert!(a.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'));
    }
}
