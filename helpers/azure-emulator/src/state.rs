//! Everything the emulator remembers. Kept in memory; optionally mirrored to a JSON file so a demo
//! survives a restart. Keys of maps are lower-cased (Azure names are case-insensitive) while the
//! values keep the casing the caller used.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Seconds since the epoch (Key Vault's `created`, `exp`, …).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Current time as RFC 3339 (ARM `systemData`, Entra error timestamps).
pub fn rfc3339_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A new ETag value as ARM DNS sends them (a GUID).
pub fn new_etag() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Key Vault object versions are 32 lower-case hex digits.
pub fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// Entra applications (service principals) by client id.
    pub principals: BTreeMap<String, Principal>,
    /// User-assigned managed identities by client id.
    pub managed_identities: BTreeMap<String, ManagedIdentity>,
    pub role_assignments: Vec<RoleAssignment>,
    /// Private DNS zones by lower-cased resource id.
    pub private_zones: BTreeMap<String, Zone>,
    /// Public DNS zones by lower-cased resource id.
    pub public_zones: BTreeMap<String, Zone>,
    /// Container groups by lower-cased resource id.
    pub container_groups: BTreeMap<String, ContainerGroup>,
    /// Key vaults by lower-cased vault name.
    pub vaults: BTreeMap<String, Vault>,
    /// Counter for private IPs handed out to container groups that were given none.
    pub next_ip: u32,
}

impl State {
    pub fn load(path: &Path) -> std::io::Result<Option<Self>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the state atomically (temp file + rename) so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, path)
    }

    /// Next private address for a VNet container group: 10.0.<n/250>.<4 + n%250>, skipping the
    /// five addresses Azure reserves in each subnet.
    pub fn allocate_ip(&mut self) -> String {
        let n = self.next_ip;
        self.next_ip += 1;
        format!("10.0.{}.{}", 1 + (n / 250) % 250, 4 + n % 250)
    }

    pub fn zone(&self, public: bool, id: &str) -> Option<&Zone> {
        let map = if public {
            &self.public_zones
        } else {
            &self.private_zones
        };
        map.get(&id.to_ascii_lowercase())
    }

    pub fn zone_mut(&mut self, public: bool, id: &str) -> Option<&mut Zone> {
        let map = if public {
            &mut self.public_zones
        } else {
            &mut self.private_zones
        };
        map.get_mut(&id.to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Principal {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default = "crate::state::random_guid")]
    pub object_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Federated identity credentials (workload identity / GitHub OIDC).
    #[serde(default)]
    pub federated_credentials: Vec<FederatedCredential>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FederatedCredential {
    pub issuer: String,
    pub subject: String,
    #[serde(default = "default_federated_audience")]
    pub audience: String,
}

fn default_federated_audience() -> String {
    "api://AzureADTokenExchange".to_string()
}

pub fn random_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedIdentity {
    pub client_id: String,
    #[serde(default = "crate::state::random_guid")]
    pub principal_id: String,
    pub resource_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleAssignment {
    /// Object id of the principal or managed identity.
    pub principal_id: String,
    /// Built-in role name, e.g. "Private DNS Zone Contributor".
    pub role: String,
    /// ARM scope: subscription, resource group or resource id.
    pub scope: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub etag: String,
    /// Authoritative name servers (public zones).
    #[serde(default)]
    pub name_servers: Vec<String>,
    /// Record sets by `"<TYPE>/<lower-case name>"`.
    #[serde(default)]
    pub record_sets: BTreeMap<String, RecordSet>,
}

impl Zone {
    pub fn key(rtype: &str, name: &str) -> String {
        format!(
            "{}/{}",
            rtype.to_ascii_uppercase(),
            name.to_ascii_lowercase()
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordSet {
    /// Relative name, lower-cased as Azure returns it (`@` for the apex).
    pub name: String,
    /// Record type, upper case (`A`, `TXT`, …).
    pub rtype: String,
    pub ttl: u64,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    pub etag: String,
    /// Type-specific properties in the wire spelling of the API that owns the zone
    /// (`aRecords` for private DNS, `ARecords` for public DNS, …).
    #[serde(default)]
    pub data: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerGroup {
    pub id: String,
    pub name: String,
    pub location: String,
    #[serde(default)]
    pub tags: Option<Value>,
    #[serde(default)]
    pub identity: Option<Value>,
    #[serde(default)]
    pub zones: Option<Value>,
    /// `properties` as stored (secrets already removed).
    pub properties: Value,
    /// The group's current IP address (private for VNet groups).
    pub ip: Option<String>,
    pub provisioning_state: String,
    /// `Running`, `Stopped`, …
    pub state: String,
    #[serde(default)]
    pub restart_count: u32,
    /// Epoch milliseconds until which the last long-running operation is still in progress.
    #[serde(default)]
    pub busy_until_ms: u128,
    /// Addresses the next restarts hand out, before falling back to the allocator.
    #[serde(default)]
    pub next_ips: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vault {
    pub name: String,
    pub tenant_id: String,
    pub resource_id: String,
    #[serde(default)]
    pub certificates: BTreeMap<String, Certificate>,
    #[serde(default)]
    pub secrets: BTreeMap<String, Secret>,
    #[serde(default)]
    pub deleted_certificates: BTreeMap<String, Deleted<Certificate>>,
    #[serde(default)]
    pub deleted_secrets: BTreeMap<String, Deleted<Secret>>,
    /// Days a deleted object is kept before it may be purged automatically.
    #[serde(default = "default_retention")]
    pub soft_delete_retention_days: u64,
}

fn default_retention() -> u64 {
    90
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted<T> {
    pub item: T,
    pub deleted_date: u64,
    pub scheduled_purge_date: u64,
    /// Epoch ms from which the deleted object shows up (Key Vault's deletion is eventually
    /// consistent: for a while it is neither live nor listed as deleted).
    #[serde(default)]
    pub visible_from_ms: u128,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    pub name: String,
    /// The certificate policy in Key Vault wire format (without `id`).
    pub policy: Value,
    pub policy_created: u64,
    pub policy_updated: u64,
    /// Oldest first.
    #[serde(default)]
    pub versions: Vec<CertVersion>,
    #[serde(default)]
    pub pending: Option<PendingOperation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertVersion {
    pub version: String,
    /// DER of the leaf, then the rest of the chain, base64.
    pub chain_der_b64: Vec<String>,
    /// PKCS#8 DER of the private key, base64 (never leaves the vault except through the secret).
    pub key_pkcs8_b64: String,
    pub attributes: Attributes,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Attributes {
    pub enabled: bool,
    #[serde(default)]
    pub nbf: Option<u64>,
    #[serde(default)]
    pub exp: Option<u64>,
    pub created: u64,
    pub updated: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingOperation {
    pub request_id: String,
    pub issuer: Value,
    pub csr_der_b64: String,
    pub key_pkcs8_b64: String,
    /// `inProgress`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub status_details: String,
    pub cancellation_requested: bool,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The version the operation produced, once completed.
    #[serde(default)]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
    /// True for the secret behind a certificate: it cannot be set or deleted directly.
    #[serde(default)]
    pub managed: bool,
    /// Oldest first.
    pub versions: Vec<SecretVersion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretVersion {
    pub version: String,
    pub value: String,
    #[serde(default)]
    pub content_type: Option<String>,
    pub attributes: Attributes,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
}
