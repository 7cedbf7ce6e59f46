//! `aci_private_dns_sync`: an A record in a Private DNS zone that holds the private IPs of one or
//! more container groups (several groups behind one name = round robin). Ownership lives in the
//! record set's metadata; every write is conditional on the ETag read just before.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use azure_client::{ARecordSet, ArmError, Precondition};
use tfplugin6::{Attribute, Diagnostic, Diagnostics, Mode, Resource, Schema, Type, Value};

use super::AciClient;

/// Metadata keys on the record set.
pub const OWNER_KEY: &str = "acilab_owner";
pub const GROUPS_KEY: &str = "acilab_container_groups";
pub const MANAGED_BY_KEY: &str = "acilab_managed_by";

const DEFAULT_TTL: f64 = 10.0;
/// A 412 means someone wrote in between: re-read and try again, this many times.
const CONFLICT_RETRIES: usize = 5;

#[derive(Debug)]
pub struct PrivateDnsSync;

pub use azure_client::ids::{
    PrivateZoneId as ZoneId, container_group_resource_group as group_resource_group,
    parse_private_zone_id as parse_zone_id, valid_record_name,
};

fn arm_diag(attr: &str, what: &str, e: &ArmError) -> Diagnostics {
    Diagnostic::error(format!("Azure refused to {what}"), e.to_string())
        .at(attr)
        .into()
}

fn strings(v: &Value) -> Vec<String> {
    v.elements()
        .iter()
        .filter_map(|e| e.as_str().map(String::from))
        .collect()
}

fn list_of(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::string).collect())
}

struct Desired {
    zone: ZoneId,
    name: String,
    ttl: u64,
    owner: String,
    groups: Vec<String>,
}

impl Desired {
    fn from(planned: &Value) -> Result<Self, Diagnostics> {
        let zone_id = planned
            .get("private_dns_zone_id")
            .as_str()
            .unwrap_or_default();
        let zone = parse_zone_id(zone_id).ok_or_else(|| {
            Diagnostics::from(
                Diagnostic::error("Invalid private_dns_zone_id", zone_id.to_string())
                    .at("private_dns_zone_id"),
            )
        })?;
        let mut groups: Vec<String> = strings(planned.get("container_group_ids"));
        groups.sort();
        Ok(Self {
            zone,
            name: planned
                .get("name")
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            ttl: planned.get("ttl").as_f64().unwrap_or(DEFAULT_TTL) as u64,
            owner: planned
                .get("owner")
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            groups,
        })
    }

    fn metadata(&self, existing: Option<&ARecordSet>) -> BTreeMap<String, String> {
        // Keep metadata others put on the record; set ours.
        let mut m = existing.map(|r| r.metadata.clone()).unwrap_or_default();
        m.insert(OWNER_KEY.into(), self.owner.clone());
        m.insert(MANAGED_BY_KEY.into(), "terraform".into());
        m.insert(GROUPS_KEY.into(), self.groups.join(","));
        m
    }
}

fn state_of(record: &ARecordSet, zone: &ZoneId, owner: &str, groups: Vec<String>) -> Value {
    let mut ips = record.ipv4_addresses.clone();
    ips.sort();
    Value::Object(
        [
            (
                "id".to_string(),
                Value::string(record_id(zone, &record.name)),
            ),
            ("private_dns_zone_id".to_string(), Value::string(&zone.id)),
            ("name".to_string(), Value::string(&record.name)),
            (
                "container_group_ids".to_string(),
                Value::set_of(groups.iter().map(Value::string).collect()),
            ),
            ("ttl".to_string(), Value::Number(record.ttl as f64)),
            ("owner".to_string(), Value::string(owner)),
            ("fqdn".to_string(), Value::string(fqdn(zone, &record.name))),
            ("ip_addresses".to_string(), list_of(&ips)),
        ]
        .into_iter()
        .collect(),
    )
}

fn record_id(zone: &ZoneId, name: &str) -> String {
    format!("{}/A/{}", zone.id, name.to_ascii_lowercase())
}

fn fqdn(zone: &ZoneId, name: &str) -> String {
    if name == "@" {
        format!("{}.", zone.zone)
    } else {
        format!("{}.{}.", name.to_ascii_lowercase(), zone.zone)
    }
}

fn not_owned(d: &Desired, record: &ARecordSet) -> Diagnostics {
    let owner = record
        .metadata
        .get(OWNER_KEY)
        .map_or("nobody (created outside acilab)".to_string(), |o| {
            format!("owner {o}")
        });
    Diagnostic::error(
        "DNS record exists and is not managed by this resource",
        format!(
            "The A record {:?} in zone {} already exists ({owner}). acilab never overwrites a record it does not own. To manage it with Terraform, import it: terraform import <resource address> {}",
            d.name,
            d.zone.zone,
            record_id(&d.zone, &d.name)
        ),
    )
    .at("name")
    .into()
}

impl AciClient {
    /// The IPs of the given container groups, from one LIST per resource group.
    async fn group_ips(&self, groups: &[String]) -> Result<Vec<String>, Diagnostics> {
        let mut ips = BTreeSet::new();
        for id in groups {
            let rg = group_resource_group(id).ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error("Invalid container group id", id.clone())
                        .at("container_group_ids"),
                )
            })?;
            let listing = self
                .groups_in(&rg)
                .await
                .map_err(|e| arm_diag("container_group_ids", "list container groups", &e))?;
            let group = listing.iter().find(|g| g.id.eq_ignore_ascii_case(id)).ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(
                        "Container group not found",
                        format!("{id} does not exist (deleted, or a typo). Remove it from container_group_ids or create it first."),
                    )
                    .at("container_group_ids"),
                )
            })?;
            if let Some(ip) = &group.ip {
                ips.insert(ip.clone());
            }
        }
        Ok(ips.into_iter().collect())
    }

    /// Writes the record to hold `ips`, re-reading and retrying when another writer changed it
    /// in between (HTTP 412). `expected_owner` is who must own an existing record.
    async fn write_record(
        &self,
        d: &Desired,
        expected_owner: Option<&str>,
    ) -> Result<ARecordSet, Diagnostics> {
        let ips = self.group_ips(&d.groups).await?;
        for _ in 0..CONFLICT_RETRIES {
            let current = self
                .arm
                .get_a_record(&d.zone.id, &d.name)
                .await
                .map_err(|e| arm_diag("name", "read the record", &e))?;
            let precondition = match &current {
                None => Precondition::IfNoneMatch,
                Some(r) => {
                    let owner = r.metadata.get(OWNER_KEY).map(String::as_str).unwrap_or("");
                    let ok = owner == d.owner || expected_owner.is_some_and(|e| e == owner);
                    if !ok {
                        return Err(not_owned(d, r));
                    }
                    Precondition::IfMatch(r.etag.clone())
                }
            };
            match self
                .arm
                .put_a_record(
                    &d.zone.id,
                    &d.name,
                    d.ttl,
                    &d.metadata(current.as_ref()),
                    &ips,
                    precondition,
                )
                .await
            {
                Ok(r) => {
                    self.forget_zone(&d.zone.id).await;
                    return Ok(r);
                }
                Err(ArmError::PreconditionFailed) => {
                    tracing::debug!(record = %d.name, "record changed while writing; re-reading");
                    continue;
                }
                Err(e) => return Err(arm_diag("name", "write the record", &e)),
            }
        }
        Err(Diagnostic::error("The record keeps changing", format!("Another writer changed {:?} {CONFLICT_RETRIES} times while this apply tried to update it. Apply again.", d.name)).at("name").into())
    }
}

#[async_trait]
impl Resource<AciClient> for PrivateDnsSync {
    fn type_name(&self) -> &'static str {
        "aci_private_dns_sync"
    }

    fn schema(&self) -> Schema {
        use Mode::*;
        Schema {
            version: 0,
            description: "Keeps an A record in an Azure Private DNS zone equal to the private IP addresses of one or more container groups. A restarted VNet container group gets a new IP: the next plan shows the drift and apply repairs it.",
            attributes: vec![
                Attribute::new("id", Type::String, Computed, "Record set id (`<zone id>/A/<name>`).").stable(),
                Attribute::new("private_dns_zone_id", Type::String, Required, "Resource id of the Private DNS zone.").force_new(),
                Attribute::new("name", Type::String, Required, "Relative record name, e.g. `app` for `app.<zone>` (`@` for the apex).").force_new(),
                Attribute::new("container_group_ids", Type::set(Type::String), Required, "Resource ids of the container groups whose IPs the record holds (at least one)."),
                Attribute::new("ttl", Type::Number, OptionalComputed, "Record TTL in seconds (default 10: clients follow a restarted group quickly)."),
                Attribute::new("owner", Type::String, OptionalComputed, "Ownership marker stored in the record set's metadata; a record with another owner is never changed. Default: a stable id created with the resource.").stable(),
                Attribute::new("fqdn", Type::String, Computed, "Fully qualified name of the record, with trailing dot.").stable(),
                Attribute::new("ip_addresses", Type::list(Type::String), Computed, "The IP addresses in the record, sorted."),
            ],
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::default();
        if let Some(id) = config.get("private_dns_zone_id").as_str()
            && parse_zone_id(id).is_none()
        {
            d.push(Diagnostic::error("Invalid private_dns_zone_id", format!("{id:?} is not a Private DNS zone id: expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone> (e.g. azurerm_private_dns_zone.this.id).")).at("private_dns_zone_id"));
        }
        if let Some(name) = config.get("name").as_str()
            && !valid_record_name(name)
        {
            d.push(Diagnostic::error("Invalid name", format!("{name:?} is not a relative DNS name: use labels of letters, digits, '-' or '_' (1-63 characters each), or '@' for the zone apex.")).at("name"));
        }
        let groups = config.get("container_group_ids");
        if groups.is_wholly_known() && !groups.is_null() {
            if groups.elements().is_empty() {
                d.push(
                    Diagnostic::error(
                        "No container groups",
                        "container_group_ids needs at least one container group id.",
                    )
                    .at("container_group_ids"),
                );
            }
            for g in strings(groups) {
                if group_resource_group(&g).is_none() {
                    d.push(Diagnostic::error("Invalid container group id", format!("{g:?} is not a container group id: expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerInstance/containerGroups/<name> (e.g. azurerm_container_group.this.id).")).at("container_group_ids"));
                }
            }
        }
        if let Some(ttl) = config.get("ttl").as_f64()
            && !(1.0..=2_147_483_647.0).contains(&ttl)
        {
            d.push(
                Diagnostic::error(
                    "Invalid ttl",
                    format!("ttl is {ttl}: use 1 to 2147483647 seconds."),
                )
                .at("ttl"),
            );
        }
        d
    }

    async fn modify_plan(
        &self,
        client: &AciClient,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Result<(), Diagnostics> {
        if planned.get("ttl").is_null() || planned.get("ttl").is_unknown() {
            planned.set_attr("ttl", Value::Number(DEFAULT_TTL));
        }
        // id and fqdn follow from the configuration.
        if let (Some(zone), Some(name)) = (
            planned
                .get("private_dns_zone_id")
                .as_str()
                .and_then(parse_zone_id),
            planned.get("name").as_str().map(str::to_ascii_lowercase),
        ) {
            planned.set_attr("id", Value::string(record_id(&zone, &name)));
            planned.set_attr("fqdn", Value::string(fqdn(&zone, &name)));
        }
        // The groups must exist (checked at plan time, one LIST per resource group).
        let groups = planned.get("container_group_ids");
        let desired = if groups.is_wholly_known() {
            Some(client.group_ips(&strings(groups)).await?)
        } else {
            None
        };
        let Some(prior) = prior else { return Ok(()) };
        // An imported record that nobody owned yet: claim it.
        if prior.get("owner").as_str() == Some("") && planned.get("owner").as_str() == Some("") {
            planned.set_attr("owner", Value::Unknown);
        }
        // Drift: the record no longer holds the container groups' current IPs.
        if desired.is_some_and(|d| d != strings(prior.get("ip_addresses"))) {
            planned.set_attr("ip_addresses", Value::Unknown);
        }
        Ok(())
    }

    async fn read(&self, client: &AciClient, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let d = Desired::from(state)?;
        let records = client
            .zone_records(&d.zone.id)
            .await
            .map_err(|e| arm_diag("private_dns_zone_id", "list the zone's records", &e))?;
        let Some(record) = records
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(&d.name))
        else {
            return Ok(None);
        };
        let record_owner = record
            .metadata
            .get(OWNER_KEY)
            .map(String::as_str)
            .unwrap_or("");
        if !d.owner.is_empty() && record_owner != d.owner {
            tracing::warn!(record = %d.name, owner = record_owner, "the record's owner changed outside Terraform");
        }
        Ok(Some(state_of(record, &d.zone, &d.owner, d.groups)))
    }

    async fn create(&self, client: &AciClient, planned: &Value) -> Result<Value, Diagnostics> {
        let d = Desired::from(planned)?;
        match client.arm.private_zone_exists(&d.zone.id).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(Diagnostic::error("Private DNS zone not found", format!("{} does not exist: create the zone first (azurerm_private_dns_zone) or fix the id.", d.zone.id)).at("private_dns_zone_id").into());
            }
            Err(e) => return Err(arm_diag("private_dns_zone_id", "read the zone", &e)),
        }
        let record = client.write_record(&d, None).await?;
        Ok(state_of(&record, &d.zone, &d.owner, d.groups))
    }

    async fn update(
        &self,
        client: &AciClient,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Diagnostics> {
        let d = Desired::from(planned)?;
        let prior_owner = prior.get("owner").as_str().unwrap_or("");
        let record = client.write_record(&d, Some(prior_owner)).await?;
        Ok(state_of(&record, &d.zone, &d.owner, d.groups))
    }

    async fn delete(&self, client: &AciClient, state: &Value) -> Result<(), Diagnostics> {
        let d = Desired::from(state)?;
        for _ in 0..CONFLICT_RETRIES {
            let current = client
                .arm
                .get_a_record(&d.zone.id, &d.name)
                .await
                .map_err(|e| arm_diag("name", "read the record", &e))?;
            let Some(r) = current else { return Ok(()) };
            if r.metadata.get(OWNER_KEY) != Some(&d.owner) {
                tracing::warn!(record = %d.name, "not deleting a record this resource does not own");
                return Ok(());
            }
            match client
                .arm
                .delete_a_record(&d.zone.id, &d.name, Precondition::IfMatch(r.etag.clone()))
                .await
            {
                Ok(()) => {
                    client.forget_zone(&d.zone.id).await;
                    return Ok(());
                }
                Err(ArmError::PreconditionFailed) => continue,
                Err(e) => return Err(arm_diag("name", "delete the record", &e)),
            }
        }
        Err(Diagnostic::error(
            "The record keeps changing",
            "Another writer kept changing the record while it was being deleted. Destroy again.",
        )
        .at("name")
        .into())
    }

    async fn import(&self, client: &AciClient, id: &str) -> Result<Value, Diagnostics> {
        let bad = || {
            Diagnostics::from(Diagnostic::error(
                "Invalid import id",
                format!(
                    "{id:?}: use the record set id, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>/A/<name>."
                ),
            ))
        };
        let (zone_part, name) = id.rsplit_once('/').ok_or_else(bad)?;
        let zone_part = zone_part
            .strip_suffix("/A")
            .or_else(|| zone_part.strip_suffix("/a"))
            .ok_or_else(bad)?;
        let zone = parse_zone_id(zone_part).ok_or_else(bad)?;
        let record = client
            .arm
            .get_a_record(&zone.id, name)
            .await
            .map_err(|e| arm_diag("name", "read the record", &e))?
            .ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(
                    "Record not found",
                    format!("There is no A record {name:?} in {}.", zone.id),
                ))
            })?;
        let owner = record.metadata.get(OWNER_KEY).cloned().unwrap_or_default();
        let groups = record
            .metadata
            .get(GROUPS_KEY)
            .map(|g| {
                g.split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        Ok(state_of(&record, &zone, &owner, groups))
    }
}
