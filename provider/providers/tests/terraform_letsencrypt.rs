//! `letsencrypt_keyvault_cert` driven by Terraform 1.0.3 against pebble (Let's Encrypt's test
//! CA, pointed at the emulator's DNS) and the emulated Key Vault and public DNS: wildcard + apex
//! issuance with the key generated in Key Vault, no-op plan, renewal in place, no TXT record left
//! behind, no key material in state or plan, destroy with purge.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use azure_emulator::{Config, Emulator, Seed};
use serde_json::{Value, json};

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
const OBJECT_ID: &str = "21111111-1111-1111-1111-111111111111";
/// External account binding key pebble is configured with (base64url HMAC key, as CAs hand out).
const EAB_KID: &str = "kid-acilab";
const EAB_HMAC: &str = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";

fn rg() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg")
}
fn zone_id() -> String {
    format!("{}/providers/Microsoft.Network/dnsZones/example.com", rg())
}
fn vault_id() -> String {
    format!("{}/providers/Microsoft.KeyVault/vaults/kv1", rg())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Pebble(Child);

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's pebble with a fresh TLS certificate, asking the emulator's DNS server. Returns the
/// directory URL; the TLS root is written to `dir/pebble-root.pem`.
fn start_pebble(
    dir: &Path,
    dns: std::net::SocketAddr,
    nonce_reject: u8,
    eab: bool,
) -> (Pebble, String, u16) {
    let bin = std::env::var("PEBBLE_BIN").unwrap_or_else(|_| "/usr/bin/pebble".into());
    assert!(
        Path::new(&bin).exists(),
        "pebble not found at {bin}: run `make setup`"
    );
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.subject_alt_names.push(rcgen::SanType::IpAddress(
        std::net::Ipv4Addr::LOCALHOST.into(),
    ));
    let cert = params.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("pebble-cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("pebble-key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("pebble-root.pem"), ca.pem()).unwrap();
    let port = free_port();
    let management = free_port();
    let config = json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{port}"), "managementListenAddress": format!("127.0.0.1:{management}"),
        "certificate": dir.join("pebble-cert.pem"), "privateKey": dir.join("pebble-key.pem"),
        "httpPort": free_port(), "tlsPort": free_port(), "ocspResponderURL": "", "externalAccountBindingRequired": eab,
        "externalAccountMACKeys": {EAB_KID: EAB_HMAC},
        "domainBlocklist": [], "retryAfter": {"authz": 1, "order": 1}, "certificateValidityPeriod": 600
    }});
    std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
    let child = Command::new(bin)
        .arg("-config")
        .arg(dir.join("pebble.json"))
        .arg("-dnsserver")
        .arg(dns.to_string())
        .arg("-strict=false")
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", nonce_reject.to_string())
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (
        Pebble(child),
        format!("https://127.0.0.1:{port}/dir"),
        management,
    )
}

struct Lab {
    emu: Emulator,
    dir: PathBuf,
    tf: PathBuf,
    http: reqwest::Client,
    _pebble: Pebble,
    directory: String,
    pebble_management: u16,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Lab {
    async fn new(nonce_reject: u8) -> Self {
        Self::with(nonce_reject, false).await
    }

    async fn with(nonce_reject: u8, eab: bool) -> Self {
        let tools = std::env::var_os("ACILAB_TOOLS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools"));
        let tf = tools.join("bin/terraform-1.0.3");
        assert!(tf.exists(), "Terraform 1.0.3 not found: run `make setup`");
        let dir = std::env::temp_dir().join(format!("acilab-le-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("work")).unwrap();
        let emu = Emulator::start(Config {
            ca_file: Some(dir.join("ca.pem")),
            ..Config::default()
        })
        .await
        .unwrap();
        let seed: Seed = serde_json::from_value(json!({
            "principals": [{"client_id": CLIENT_ID, "client_secret": "s3cret", "object_id": OBJECT_ID}],
            "role_assignments": [
                {"principal_id": OBJECT_ID, "role": "DNS Zone Contributor", "scope": zone_id()},
                {"principal_id": OBJECT_ID, "role": "Reader", "scope": rg()},
                {"principal_id": OBJECT_ID, "role": "Key Vault Certificates Officer", "scope": vault_id()},
                {"principal_id": OBJECT_ID, "role": "Key Vault Secrets Officer", "scope": vault_id()}
            ],
            "dns_zones": [{"id": zone_id()}],
            "vaults": [{"name": "kv1", "resource_id": vault_id()}]
        }))
        .unwrap();
        emu.seed(seed).unwrap();
        let (pebble, directory, pebble_management) =
            start_pebble(&dir, emu.dns_addr, nonce_reject, eab);
        tftest::Mirror::new(&dir).install(
            "acilab",
            "letsencrypt",
            "0.1.0",
            Path::new(env!("CARGO_BIN_EXE_terraform-provider-letsencrypt")),
        );
        let http = azure_client::HttpTransport::new(Some(&dir.join("ca.pem")))
            .unwrap()
            .reqwest_client()
            .clone();
        Self {
            emu,
            dir,
            tf,
            http,
            _pebble: pebble,
            directory,
            pebble_management,
        }
    }

    fn write_config(&self, extra: &str) {
        self.write_config_names(r#"["*.example.com"]"#, extra);
    }

    fn write_config_names(&self, sans: &str, extra: &str) {
        let config = format!(
            r#"terraform {{
  required_providers {{
    letsencrypt = {{ source = "acilab/letsencrypt", version = "0.1.0" }}
  }}
}}
resource "letsencrypt_keyvault_cert" "wild" {{
  key_vault_id              = "{vault}"
  name                      = "wild"
  common_name               = "example.com"
  subject_alternative_names = {sans}
  dns_zone_id               = "{zone}"
  directory_url             = "{dir}"
  directory_ca_file         = "{root}"
  {name_servers}
  key_type                  = "EC"
  contact_email             = "ops@example.com"
  {extra}
}}
output "versionless_secret_id" {{ value = letsencrypt_keyvault_cert.wild.versionless_secret_id }}
output "version" {{ value = letsencrypt_keyvault_cert.wild.version }}
output "serial" {{ value = letsencrypt_keyvault_cert.wild.serial_number }}
"#,
            vault = vault_id(),
            zone = zone_id(),
            dir = self.directory,
            root = self.dir.join("pebble-root.pem").display(),
            name_servers = if extra.contains("name_servers") {
                String::new()
            } else {
                format!("name_servers = [\"{}\"]", self.emu.dns_addr)
            },
        );
        std::fs::write(self.dir.join("work/main.tf"), config).unwrap();
    }

    /// `program` (Terraform, or a wrapper such as `setsid`) in the work directory, with the
    /// mirror and the emulator's ARM_* settings.
    fn command(&self, program: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.current_dir(self.dir.join("work"))
            .env("TF_CLI_CONFIG_FILE", self.dir.join("terraform.rc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_LOG", "TRACE")
            .env("TF_LOG_PATH", self.dir.join("terraform.log"))
            .env("ARM_ENVIRONMENT", "custom")
            .env("ARM_AUTHORITY_HOST", self.emu.login_url())
            .env("ARM_RESOURCE_MANAGER_ENDPOINT", self.emu.management_url())
            .env("ARM_KEY_VAULT_DNS_SUFFIX", self.emu.keyvault_suffix())
            .env("ARM_CA_BUNDLE_FILE", self.dir.join("ca.pem"))
            .env("ARM_TENANT_ID", self.emu.tenant_id())
            .env("ARM_CLIENT_ID", CLIENT_ID)
            .env("ARM_CLIENT_SECRET", "s3cret");
        cmd
    }

    async fn ok(&self, args: &[&str], code: i32) -> String {
        let out: Output = self.command(&self.tf).args(args).output().await.unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(code), "terraform {args:?}:\n{text}");
        text
    }

    async fn txt_exists(&self) -> bool {
        let token = self.http.post(format!("{}/token", self.emu.admin_url())).json(&json!({"audience": format!("https://management.{}/", self.emu.domain()), "object_id": OBJECT_ID})).send().await.unwrap().json::<Value>().await.unwrap();
        let r = self
            .http
            .get(format!(
                "{}{}/TXT/_acme-challenge?api-version=2018-05-01",
                self.emu.management_url(),
                zone_id()
            ))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        r.status() == 200
    }

    async fn token(&self, audience: String) -> String {
        let t = self
            .http
            .post(format!("{}/token", self.emu.admin_url()))
            .json(&json!({"audience": audience, "object_id": OBJECT_ID}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        t["access_token"].as_str().unwrap().to_string()
    }

    async fn admin(&self, path: &str, body: Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.emu.admin_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    async fn vault_state(&self) -> Value {
        let state: Value = self
            .http
            .get(format!("{}/state", self.emu.admin_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state["vaults"]["kv1"].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_and_apex_from_pebble_into_key_vault() {
    let lab = Lab::new(0).await;
    lab.write_config("");
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert!(
        !lab.txt_exists().await,
        "the challenge TXT record is cleaned up"
    );
    let vault = lab.vault_state().await;
    let versions = vault["certificates"]["wild"]["versions"]
        .as_array()
        .unwrap();
    assert_eq!(versions.len(), 1);
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // No key material in the state or the plan: the key exists only inside the vault.
    let state = std::fs::read_to_string(lab.dir.join("work/terraform.tfstate")).unwrap();
    let key_b64 = versions[0]["key_pkcs8_b64"].as_str().unwrap();
    assert!(
        !state.contains("PRIVATE KEY") && !state.contains(&key_b64[..40]),
        "key material in state"
    );
    lab.ok(&["plan", "-out=saved.plan", "-no-color", "-input=false"], 0)
        .await;
    let plan_json = lab.ok(&["show", "-json", "saved.plan"], 0).await;
    assert!(
        plan_json.contains("versionless_secret_id")
            && !plan_json.contains("PRIVATE KEY")
            && !plan_json.contains(&key_b64[..40]),
        "key material in the plan"
    );
    let log = std::fs::read_to_string(lab.dir.join("terraform.log")).unwrap();
    assert!(
        !log.contains("PRIVATE KEY") && !log.contains(&key_b64[..40]),
        "key material in logs"
    );
    let first: Value = serde_json::from_str(&lab.ok(&["output", "-json"], 0).await).unwrap();
    let state_json: Value = serde_json::from_str(&state).unwrap();
    let chain_pem = state_json["resources"][0]["instances"][0]["attributes"]["certificate_pem"]
        .as_str()
        .unwrap();
    assert!(
        chain_pem.matches("BEGIN CERTIFICATE").count() >= 2,
        "the chain, not just the leaf"
    );

    // An apply that died after the merge, before the state was saved: the next create adopts
    // the version instead of ordering again.
    lab.ok(&["state", "rm", "letsencrypt_keyvault_cert.wild"], 0)
        .await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "adopted, not re-ordered"
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // Renewal window reached (renew 1 day before expiry of a 10-minute certificate): an
    // in-place update adds a Key Vault version; the versionless secret id stays.
    lab.write_config("renew_before_days = 1");
    let plan = lab
        .ok(
            &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
            2,
        )
        .await;
    assert!(plan.contains("update in-place"), "{plan}");
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    let second: Value = serde_json::from_str(&lab.ok(&["output", "-json"], 0).await).unwrap();
    assert_eq!(
        first["versionless_secret_id"]["value"],
        second["versionless_secret_id"]["value"]
    );
    assert_ne!(first["version"]["value"], second["version"]["value"]);
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Settings that do not touch the certificate keep its version.
    lab.write_config(
        "renew_before_days = 0.001\n  purge_on_destroy = true\n  revoke_on_destroy = true\n  tags = { team = \"platform\" }",
    );
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    let third: Value = serde_json::from_str(&lab.ok(&["output", "-json"], 0).await).unwrap();
    assert_eq!(second["version"]["value"], third["version"]["value"]);
    let vault = lab.vault_state().await;
    assert_eq!(
        vault["certificates"]["wild"]["versions"][1]["tags"]["team"],
        "platform"
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;
    let serial = third["serial"]["value"].as_str().unwrap().to_string();
    lab.ok(
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
        0,
    )
    .await;
    let vault = lab.vault_state().await;
    assert!(
        vault["certificates"].get("wild").is_none()
            && vault["deleted_certificates"].get("wild").is_none(),
        "deleted and purged"
    );
    // pebble's management API reports the certificate revoked.
    let pebble = azure_client::HttpTransport::new(Some(&lab.dir.join("pebble-root.pem")))
        .unwrap()
        .reqwest_client()
        .clone();
    let status: Value = pebble
        .get(format!(
            "https://127.0.0.1:{}/cert-status-by-serial/{}",
            lab.pebble_management,
            serial.to_ascii_lowercase()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["Status"], "Revoked", "{status}");
}

/// Names change → new version in place; deleted outside Terraform → recovered and renewed;
/// import; a wrong name server → clear error and no TXT left; TXT values left by an interrupted
/// run are removed; Azure 429s survived; destroy without purge keeps the soft-deleted object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_recovery_import_and_failures() {
    let lab = Lab::new(0).await;
    lab.write_config("");
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    // Leftovers of a crashed run of this certificate, next to a value somebody else owns.
    let token = lab
        .token(format!("https://management.{}/", lab.emu.domain()))
        .await;
    let txt_url = format!(
        "{}{}/TXT/_acme-challenge?api-version=2018-05-01",
        lab.emu.management_url(),
        zone_id()
    );
    let leftover = json!({"properties": {"TTL": 60, "metadata": {"acilab_acme_0000000000000001": "wild"}, "TXTRecords": [{"value": ["stale-from-crash"]}, {"value": ["someone-elses"]}]}});
    assert!(
        lab.http
            .put(&txt_url)
            .bearer_auth(&token)
            .json(&leftover)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    // Throttling on both Azure APIs along the way.
    lab.admin("/faults", json!({"operation": "Dns.RecordSets_CreateOrUpdate", "status": 429, "retry_after": 1, "times": 1})).await;
    lab.admin("/faults", json!({"operation": "KeyVault.CreateCertificate", "status": 429, "retry_after": 1, "times": 1})).await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    let r: Value = lab
        .http
        .get(&txt_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let left: Vec<&str> = r["properties"]["TXTRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        left,
        ["stale-from-crash", "someone-elses"],
        "only this run's values were removed"
    );

    // Changing the names renews in place.
    lab.write_config_names(r#"["*.example.com", "www.example.com"]"#, "");
    let plan = lab
        .ok(
            &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
            2,
        )
        .await;
    assert!(plan.contains("update in-place"), "{plan}");
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Deleted outside Terraform: the next apply recovers it and adds a new version.
    let kv_token = lab
        .token(format!("https://vault.{}", lab.emu.domain()))
        .await;
    let del = lab
        .http
        .delete(format!(
            "{}certificates/wild?api-version=2025-07-01",
            lab.emu.vault_url("kv1")
        ))
        .bearer_auth(&kv_token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let plan = lab
        .ok(
            &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
            2,
        )
        .await;
    assert!(plan.contains("will be created"), "{plan}");
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "recovered, then renewed"
    );

    // Import adopts the certificate; the configuration fills in the rest without a new version.
    lab.ok(&["state", "rm", "letsencrypt_keyvault_cert.wild"], 0)
        .await;
    lab.ok(
        &[
            "import",
            "-no-color",
            "-input=false",
            "letsencrypt_keyvault_cert.wild",
            &format!("{}/certificates/wild", vault_id()),
        ],
        0,
    )
    .await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // A name server that never shows the challenge: a clear error naming the setting; no TXT left.
    lab.write_config_names(
        r#"["*.example.com", "api.example.com"]"#,
        "dns_propagation_timeout = 2\n  name_servers = [\"127.0.0.1:9\"]",
    );
    let out = lab
        .ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 1)
        .await;
    assert!(
        out.contains("DNS-01 records not visible") && out.contains("dns_propagation_timeout"),
        "{out}"
    );
    let r: Value = lab
        .http
        .get(&txt_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["properties"]["TXTRecords"].as_array().unwrap().len(),
        2,
        "the failed order's values were removed"
    );

    // Destroy without purge: soft-deleted, recoverable.
    lab.write_config_names(r#"["*.example.com", "www.example.com"]"#, "");
    lab.ok(
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
        0,
    )
    .await;
    let vault = lab.vault_state().await;
    assert!(vault["certificates"].get("wild").is_none());
    assert!(vault["deleted_certificates"].get("wild").is_some());
}

/// Half of all nonces rejected (`badNonce`): the provider retries each step and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_bad_nonces() {
    let lab = Lab::new(50).await;
    lab.write_config("");
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(!lab.txt_exists().await);
}

/// The provider is killed in the middle of an order (challenge published, key being created):
/// the next apply succeeds and leaves no TXT record behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_order_then_repaired() {
    let lab = Lab::new(0).await;
    lab.write_config("");
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    lab.admin(
        "/faults",
        json!({"operation": "KeyVault.CreateCertificate", "latency_ms": 60000, "times": 1}),
    )
    .await;
    let child = lab
        .command(Path::new("setsid"))
        .arg(&lab.tf)
        .args(["apply", "-auto-approve", "-no-color", "-input=false"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if lab
            .emu
            .counters()
            .get("KeyVault.CreateCertificate")
            .copied()
            .unwrap_or(0)
            > 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        lab.txt_exists().await,
        "the order was in flight with its challenge published"
    );
    // A crash: Terraform and the provider die at once.
    let group = format!("-{}", child.id().unwrap());
    assert!(
        Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .unwrap()
            .success()
    );
    let _ = child.wait_with_output().await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert!(!lab.txt_exists().await, "no TXT record left");
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // Renaming moves the certificate: issued under the new name, the old copy soft-deleted and
    // never revoked (revoke_on_destroy is on).
    let before: Value = serde_json::from_str(&lab.ok(&["output", "-json"], 0).await).unwrap();
    let config = std::fs::read_to_string(lab.dir.join("work/main.tf")).unwrap();
    std::fs::write(
        lab.dir.join("work/main.tf"),
        config.replace(
            r#"name                      = "wild""#,
            "name = \"wild2\"\n  revoke_on_destroy = true",
        ),
    )
    .unwrap();
    let plan = lab
        .ok(
            &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
            2,
        )
        .await;
    assert!(
        plan.contains("update in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    let vault = lab.vault_state().await;
    assert!(
        vault["certificates"].get("wild").is_none()
            && vault["deleted_certificates"].get("wild").is_some()
    );
    assert_eq!(
        vault["certificates"]["wild2"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let pebble = azure_client::HttpTransport::new(Some(&lab.dir.join("pebble-root.pem")))
        .unwrap()
        .reqwest_client()
        .clone();
    let old_serial = before["serial"]["value"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase();
    let status: Value = pebble
        .get(format!(
            "https://127.0.0.1:{}/cert-status-by-serial/{old_serial}",
            lab.pebble_management
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["Status"], "Valid", "{status}");
}

/// Bad input is refused with the attribute and the fix; a zone that does not exist fails the
/// apply clearly before anything is ordered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_the_attribute() {
    let lab = Lab::new(0).await;
    lab.write_config_names(
        r#"["a.*.example.com", "WWW.example.com", "www.example.com", "other.org"]"#,
        "key_size = 521",
    );
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    let out = lab.ok(&["plan", "-no-color", "-input=false"], 1).await;
    for want in [
        "Invalid wildcard",
        "Duplicate name",
        "Name outside the DNS zone",
        "Invalid key_size",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let config = std::fs::read_to_string(lab.dir.join("work/main.tf")).unwrap();
    let fixed = config
        .replace(
            r#"["a.*.example.com", "WWW.example.com", "www.example.com", "other.org"]"#,
            r#"["*.example.com"]"#,
        )
        .replace("key_size = 521", "")
        .replace("dnsZones/example.com", "dnsZones/missing.example.com")
        .replace(
            r#"common_name               = "example.com""#,
            r#"common_name               = "missing.example.com""#,
        )
        .replace(r#"["*.example.com"]"#, r#"["*.missing.example.com"]"#);
    std::fs::write(lab.dir.join("work/main.tf"), fixed).unwrap();
    let out = lab
        .ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 1)
        .await;
    assert!(
        out.contains("DNS zone not found") && out.contains("dns_zone_id"),
        "{out}"
    );
    assert_eq!(
        lab.emu
            .counters()
            .get("KeyVault.CreateCertificate")
            .copied()
            .unwrap_or(0),
        0,
        "nothing ordered"
    );
}

/// A CA that requires external account binding: without EAB the error says what to set; with
/// eab_key_id and eab_hmac_key the certificate is issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_account_binding() {
    let lab = Lab::with(0, true).await;
    lab.write_config("");
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    let out = lab
        .ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 1)
        .await;
    assert!(
        out.contains("eab_key_id") && out.contains("eab_hmac_key"),
        "{out}"
    );
    lab.write_config(&format!(
        "eab_key_id = \"{EAB_KID}\"\n  eab_hmac_key = \"{EAB_HMAC}\""
    ));
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.vault_state().await["certificates"]["wild"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
