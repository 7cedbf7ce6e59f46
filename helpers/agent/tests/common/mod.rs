//! Test lab: an in-process emulator seeded with a zone, a vault, two container groups and the
//! agent's managed identity; the agent binary started as a real process against it.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azure_client::{
    ARecordSet, ArmClient, CloudEndpoints, HttpTransport, Precondition, client_secret_credential,
};
use azure_emulator::{Config, Emulator, Seed};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

pub const SUB: &str = "00000000-0000-0000-0000-000000000000";
pub const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lab";
pub const ADMIN_ID: &str = "11111111-1111-1111-1111-111111111111";
pub const ADMIN_SECRET: &str = "admin-secret";
pub const ADMIN_OID: &str = "21111111-1111-1111-1111-111111111111";
pub const MI_CLIENT: &str = "31111111-1111-1111-1111-111111111111";
pub const MI_OID: &str = "41111111-1111-1111-1111-111111111111";
pub const APP_ID: &str = "51111111-1111-1111-1111-111111111111";
pub const APP_SECRET: &str = "init-container-secret";
pub const APP_OID: &str = "61111111-1111-1111-1111-111111111111";
pub const VAULT: &str = "kv1";
pub const RECORD: &str = "app";

pub fn zone_id() -> String {
    format!("{RG}/providers/Microsoft.Network/privateDnsZones/acilab.internal")
}

pub fn group_id(name: &str) -> String {
    format!("{RG}/providers/Microsoft.ContainerInstance/containerGroups/{name}")
}

pub struct Lab {
    pub emu: Emulator,
    pub dir: PathBuf,
    pub ca_file: PathBuf,
    pub arm: ArmClient,
    pub http: reqwest::Client,
}

impl Lab {
    pub async fn start(name: &str) -> Self {
        let emu = Emulator::start(Config::default()).await.unwrap();
        let dir = std::env::temp_dir().join(format!("acilab-agent-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, emu.ca_pem()).unwrap();
        let vault_id = format!("{RG}/providers/Microsoft.KeyVault/vaults/{VAULT}");
        let seed: Seed = serde_json::from_value(json!({
            "principals": [
                {"client_id": ADMIN_ID, "client_secret": ADMIN_SECRET, "object_id": ADMIN_OID},
                {"client_id": APP_ID, "client_secret": APP_SECRET, "object_id": APP_OID}
            ],
            "managed_identities": [
                {"client_id": MI_CLIENT, "principal_id": MI_OID, "resource_id": format!("{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agent")}
            ],
            "role_assignments": [
                {"principal_id": ADMIN_OID, "role": "Owner", "scope": format!("/subscriptions/{SUB}")},
                {"principal_id": ADMIN_OID, "role": "Key Vault Administrator", "scope": format!("/subscriptions/{SUB}")},
                {"principal_id": MI_OID, "role": "Private DNS Zone Contributor", "scope": zone_id()},
                {"principal_id": MI_OID, "role": "Reader", "scope": RG},
                {"principal_id": MI_OID, "role": "Key Vault Certificate User", "scope": vault_id},
                {"principal_id": APP_OID, "role": "Private DNS Zone Contributor", "scope": zone_id()},
                {"principal_id": APP_OID, "role": "Reader", "scope": RG}
            ],
            "private_dns_zones": [{"id": zone_id()}],
            "vaults": [{"name": VAULT, "resource_id": vault_id}],
            "container_groups": [
                {"id": group_id("app-0"), "ip": "10.0.1.4", "next_ips": ["10.0.1.9", "10.0.1.14", "10.0.1.19"]},
                {"id": group_id("app-1"), "ip": "10.0.1.5", "next_ips": ["10.0.1.10", "10.0.1.15", "10.0.1.20"]}
            ]
        }))
        .unwrap();
        emu.seed(seed).unwrap();
        let transport = HttpTransport::new(Some(&ca_file)).unwrap();
        let cloud = CloudEndpoints::custom(
            &emu.login_url(),
            &emu.management_url(),
            emu.management_scope().trim_end_matches("/.default"),
            &emu.keyvault_suffix(),
        )
        .unwrap();
        let credential =
            client_secret_credential(&cloud, &transport, emu.tenant_id(), ADMIN_ID, ADMIN_SECRET)
                .unwrap();
        let arm = ArmClient::new(
            transport.reqwest_client().clone(),
            cloud.resource_manager.clone(),
            cloud.resource_manager_scope(),
            credential,
        );
        let http = transport.reqwest_client().clone();
        Self {
            emu,
            dir,
            ca_file,
            arm,
            http,
        }
    }

    /// Environment of an agent for group `group` with its managed identity.
    pub fn agent_env(&self, group: &str) -> BTreeMap<String, String> {
        let (endpoint, header) = self.emu.identity_endpoint();
        let mut env: BTreeMap<String, String> = [
            ("IDENTITY_ENDPOINT", endpoint.as_str()),
            ("IDENTITY_HEADER", header.as_str()),
            ("AZURE_CLIENT_ID", MI_CLIENT),
            ("AZURE_AUTHORITY_HOST", &self.emu.login_url()),
            (
                "ACILAB_RESOURCE_MANAGER_ENDPOINT",
                &self.emu.management_url(),
            ),
            (
                "ACILAB_RESOURCE_MANAGER_AUDIENCE",
                self.emu.management_scope().trim_end_matches("/.default"),
            ),
            ("ACILAB_CA_BUNDLE_FILE", self.ca_file.to_str().unwrap()),
            ("ACILAB_CONTAINER_GROUP_ID", &group_id(group)),
            ("ACILAB_DNS_ZONE_ID", &zone_id()),
            ("ACILAB_DNS_RECORD_NAME", RECORD),
            ("ACILAB_DNS_OWNER", "lab-owner"),
            ("ACILAB_INTERVAL_SECONDS", "2"),
            ("ACILAB_HEALTH_ADDR", "off"),
            ("ACILAB_LOG", "debug"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env
    }

    pub fn vault_url(&self) -> String {
        self.emu.vault_url(VAULT)
    }

    pub async fn record(&self) -> Option<ARecordSet> {
        self.arm.get_a_record(&zone_id(), RECORD).await.unwrap()
    }

    /// The record's IPs, sorted (empty when the record does not exist).
    pub async fn ips(&self) -> Vec<String> {
        let mut ips = self
            .record()
            .await
            .map(|r| r.ipv4_addresses)
            .unwrap_or_default();
        ips.sort();
        ips
    }

    /// Polls `check` every 100 ms until it holds; panics with `what` after `limit`.
    pub async fn until<F, Fut>(&self, what: &str, limit: Duration, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let start = Instant::now();
        while !check().await {
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for: {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let rsp = self
            .http
            .post(format!("{}/{path}", self.emu.admin_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(rsp.status().is_success(), "admin {path}: {}", rsp.status());
        rsp.json().await.unwrap()
    }

    /// Restarts a group in the emulator; its new IP.
    pub async fn restart(&self, group: &str) -> String {
        let v = self
            .admin("container-groups/restart", json!({"id": group_id(group)}))
            .await;
        v["ip"].as_str().unwrap().to_string()
    }

    pub fn counter(&self, op: &str) -> u64 {
        self.emu.counters().get(op).copied().unwrap_or(0)
    }

    /// A Key Vault data-plane token for the admin principal.
    async fn vault_token(&self) -> String {
        let v = self
            .admin(
                "token",
                json!({"audience": format!("https://vault.{}", self.emu.domain()), "object_id": ADMIN_OID}),
            )
            .await;
        v["access_token"].as_str().unwrap().to_string()
    }

    /// Imports `pem` (key + chain) as a new version of certificate `name`.
    pub async fn import_certificate(&self, name: &str, pem: &str) {
        self.import(name, pem, "application/x-pem-file").await;
    }

    /// Imports a password-less PFX (base64) as a new version with a PKCS#12 secret.
    pub async fn import_pfx(&self, name: &str, pfx_base64: &str) {
        self.import(name, pfx_base64, "application/x-pkcs12").await;
    }

    async fn import(&self, name: &str, value: &str, content_type: &str) {
        let token = self.vault_token().await;
        let rsp = self
            .http
            .post(format!(
                "{}/certificates/{name}/import?api-version=7.5",
                self.vault_url().trim_end_matches('/')
            ))
            .bearer_auth(token)
            .json(&json!({
                "value": value,
                "policy": {"secret_props": {"contentType": content_type}, "key_props": {"exportable": true}}
            }))
            .send()
            .await
            .unwrap();
        let status = rsp.status();
        let body = rsp.text().await.unwrap();
        assert!(status.is_success(), "import {name}: {status} {body}");
    }

    /// Puts a record as someone else would (not through the agent).
    pub async fn put_foreign_record(&self, ips: &[&str], metadata: &[(&str, &str)]) {
        let md: BTreeMap<String, String> = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let ips: Vec<String> = ips.iter().map(|s| s.to_string()).collect();
        self.arm
            .put_a_record(&zone_id(), RECORD, 300, &md, &ips, Precondition::None)
            .await
            .unwrap();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running agent with its log lines collected.
pub struct AgentProcess {
    pub child: Child,
    pub logs: Arc<Mutex<Vec<String>>>,
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl AgentProcess {
    pub fn start(env: &BTreeMap<String, String>, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_acilab-agent"))
            .args(args)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let stderr = child.stderr.take().unwrap();
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            logs,
            reader: Some(reader),
        }
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Log lines parsed as JSON (every line must be JSON).
    pub fn json_logs(&self) -> Vec<Value> {
        self.logs()
            .iter()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}"))
            })
            .collect()
    }

    pub fn logged(&self, needle: &str) -> bool {
        self.logs().iter().any(|l| l.contains(needle))
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().unwrap();
        let ok = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} {pid}");
    }

    /// Waits for the process to exit and its log to be read; its exit code.
    pub async fn wait(&mut self, limit: Duration) -> i32 {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "agent still running after {limit:?}:\n{}",
                    self.logs().join("\n")
                )
            })
            .unwrap();
        // The last lines may still be in the pipe: read to its end.
        if let Some(reader) = self.reader.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        status.code().unwrap_or(-1)
    }
}

/// A leaf for `app.acilab.internal` signed by `ca`: the PEM Key Vault imports (key first, then
/// the chain), the leaf's DER and the key's PKCS#8 DER.
pub fn certificate_pem(
    ca: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    cn: &str,
) -> (String, Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![
        "app.acilab.internal".to_string(),
        "localhost".to_string(),
    ])
    .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let leaf = params.signed_by(&key, ca).unwrap();
    let pem = format!("{}{}{}", key.serialize_pem(), leaf.pem(), ca.pem());
    (pem, leaf.der().to_vec(), key.serialize_der())
}

pub fn test_ca() -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "acilab agent test CA");
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

pub fn read_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
