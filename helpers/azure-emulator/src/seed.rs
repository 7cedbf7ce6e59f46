//! Seeding: the state a test or demo starts from (principals, identities, role assignments,
//! zones, vaults, container groups), from a JSON document or the admin API.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::state::{ContainerGroup, ManagedIdentity, Principal, RoleAssignment, Vault};
use crate::{Inner, arm, lock, rbac};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    pub principals: Vec<Principal>,
    pub managed_identities: Vec<ManagedIdentity>,
    pub role_assignments: Vec<RoleAssignment>,
    pub private_dns_zones: Vec<ZoneSeed>,
    pub dns_zones: Vec<ZoneSeed>,
    pub vaults: Vec<VaultSeed>,
    pub container_groups: Vec<GroupSeed>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSeed {
    /// Full ARM id of the zone.
    pub id: String,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Public zones: authoritative name servers (defaults to the emulator's).
    #[serde(default)]
    pub name_servers: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSeed {
    pub name: String,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSeed {
    pub id: String,
    /// Current private IP; allocated when absent.
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub identity: Option<Value>,
    /// Full `properties`; a one-container VNet group when absent.
    #[serde(default)]
    pub properties: Option<Value>,
    /// Addresses the next restarts hand out.
    #[serde(default)]
    pub next_ips: Vec<String>,
    #[serde(default)]
    pub zones: Option<Value>,
    #[serde(default)]
    pub tags: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: String) -> SeedError {
    SeedError::Invalid(msg)
}

/// `(subscription, resource group, name)` of `/subscriptions/s/resourceGroups/rg/providers/<ns>/<type>/<name>`.
fn split_id(id: &str, ns_type: &str) -> Result<(String, String, String), SeedError> {
    let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
    let want: Vec<&str> = ns_type.split('/').collect();
    match parts.as_slice() {
        [s, sub, r, rg, p, ns, ty, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && r.eq_ignore_ascii_case("resourceGroups")
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case(want[0])
                && ty.eq_ignore_ascii_case(want[1]) =>
        {
            Ok((sub.to_string(), rg.to_string(), name.to_string()))
        }
        _ => Err(invalid(format!(
            "'{id}' is not a resource id of the form /subscriptions/<id>/resourceGroups/<rg>/providers/{ns_type}/<name>"
        ))),
    }
}

/// Whether seeding replaces container groups that already exist (the admin API does; a seed file
/// applied at start does not, so a state file's changes survive a restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Replace,
    Keep,
}

pub fn apply(inner: &Inner, seed: Seed, existing: Existing) -> Result<(), SeedError> {
    // Validate everything first so a bad seed changes nothing.
    for ra in &seed.role_assignments {
        if rbac::role(&ra.role).is_none() {
            return Err(invalid(format!(
                "unknown role '{}' (use a built-in role name such as 'Contributor' or 'Key Vault Secrets User')",
                ra.role
            )));
        }
    }
    for v in &seed.vaults {
        let ok = (3..=24).contains(&v.name.len())
            && v.name.starts_with(|c: char| c.is_ascii_alphabetic())
            && v.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(invalid(format!(
                "vault name '{}' must be 3-24 letters, digits or '-', starting with a letter",
                v.name
            )));
        }
    }
    let private: Vec<_> = seed
        .private_dns_zones
        .iter()
        .map(|z| split_id(&z.id, "Microsoft.Network/privateDnsZones").map(|p| (z, p)))
        .collect::<Result<_, _>>()?;
    let public: Vec<_> = seed
        .dns_zones
        .iter()
        .map(|z| split_id(&z.id, "Microsoft.Network/dnsZones").map(|p| (z, p)))
        .collect::<Result<_, _>>()?;
    let groups: Vec<_> = seed
        .container_groups
        .iter()
        .map(|g| split_id(&g.id, "Microsoft.ContainerInstance/containerGroups").map(|p| (g, p)))
        .collect::<Result<_, _>>()?;

    let mut st = lock(&inner.state);
    for p in seed.principals {
        st.principals.insert(p.client_id.clone(), p);
    }
    for m in seed.managed_identities {
        st.managed_identities.insert(m.client_id.clone(), m);
    }
    for ra in seed.role_assignments {
        if !st.role_assignments.iter().any(|x| {
            x.principal_id == ra.principal_id
                && x.role == ra.role
                && x.scope.eq_ignore_ascii_case(&ra.scope)
        }) {
            st.role_assignments.push(ra);
        }
    }
    for (public, zones) in [(false, private), (true, public)] {
        for (z, (sub, rg, name)) in zones {
            let name = name.to_ascii_lowercase();
            let kind = if public {
                "dnsZones"
            } else {
                "privateDnsZones"
            };
            let id = format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/{name}"
            );
            if st.zone(public, &id).is_some() {
                continue;
            }
            let ns = z
                .name_servers
                .clone()
                .unwrap_or_else(|| inner.config.name_servers.clone());
            let mut zone = arm::new_zone(public, &id, &name, &ns);
            zone.tags = z.tags.clone();
            let map = if public {
                &mut st.public_zones
            } else {
                &mut st.private_zones
            };
            map.insert(id.to_ascii_lowercase(), zone);
        }
    }
    for v in seed.vaults {
        let key = v.name.to_ascii_lowercase();
        if st.vaults.contains_key(&key) {
            continue;
        }
        let resource_id = v.resource_id.unwrap_or_else(|| {
            format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.KeyVault/vaults/{}", v.name)
        });
        st.vaults.insert(
            key,
            Vault {
                name: v.name,
                tenant_id: v
                    .tenant_id
                    .unwrap_or_else(|| inner.config.tenant_id.clone()),
                resource_id,
                certificates: Default::default(),
                secrets: Default::default(),
                deleted_certificates: Default::default(),
                deleted_secrets: Default::default(),
                soft_delete_retention_days: 90,
            },
        );
    }
    for (g, (sub, rg, name)) in groups {
        let id = format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/{name}"
        );
        if existing == Existing::Keep && st.container_groups.contains_key(&id.to_ascii_lowercase())
        {
            continue;
        }
        let properties = g.properties.clone().unwrap_or_else(|| {
            json!({
                "containers": [{"name": "app", "properties": {"image": "acilab/app:latest", "ports": [{"port": 443}], "resources": {"requests": {"cpu": 1, "memoryInGB": 1.5}}}}],
                "osType": "Linux",
                "ipAddress": {"type": "Private", "ports": [{"port": 443, "protocol": "TCP"}]},
                "subnetIds": [{"id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aci")}],
            })
        });
        let ip = match g.ip.clone() {
            Some(ip) => ip,
            None => st.allocate_ip(),
        };
        st.container_groups.insert(
            id.to_ascii_lowercase(),
            ContainerGroup {
                id: id.clone(),
                name,
                location: g.location.clone().unwrap_or_else(|| "westeurope".into()),
                tags: g.tags.clone().filter(|t| !t.is_null()),
                identity: g.identity.clone(),
                zones: g.zones.clone().filter(|z| !z.is_null()),
                properties,
                ip: Some(ip),
                provisioning_state: "Succeeded".into(),
                state: "Running".into(),
                restart_count: 0,
                busy_until_ms: 0,
                next_ips: g.next_ips.clone(),
            },
        );
    }
    drop(st);
    inner.persist();
    Ok(())
}

pub(crate) fn restart(inner: &Inner, id: &str, ip: Option<String>) -> Result<String, String> {
    let r = arm::restart_group(inner, id, ip);
    inner.persist();
    r
}
