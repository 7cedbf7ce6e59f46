//! `aci_private_dns_sync` driven by the real Terraform CLI (1.0.3 from `.tools/`, plus any newer
//! `terraform` on PATH) against the emulator: install from a filesystem mirror, plan, apply,
//! no-op plan, drift after a container-group restart, a record edited outside, a foreign-owned
//! record, import, throttling and server errors, concurrent writers, refresh cost, destroy.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use azure_emulator::{Config, Emulator, Seed};
use serde_json::{Value, json};
use tftest::terraforms;

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
const OBJECT_ID: &str = "21111111-1111-1111-1111-111111111111";

fn rg() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg")
}
fn zone_id() -> String {
    format!(
        "{}/providers/Microsoft.Network/privateDnsZones/acilab.internal",
        rg()
    )
}
fn group_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.ContainerInstance/containerGroups/{name}",
        rg()
    )
}

struct Lab {
    emu: Emulator,
    dir: PathBuf,
    tf: PathBuf,
    http: reqwest::Client,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Lab {
    async fn new(tf: PathBuf) -> Self {
        let dir = std::env::temp_dir().join(format!("acilab-tf-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("work")).unwrap();
        let emu = Emulator::start(Config {
            ca_file: Some(dir.join("ca.pem")),
            lro_delay: std::time::Duration::from_millis(50),
            ..Config::default()
        })
        .await
        .unwrap();
        let seed: Seed = serde_json::from_value(json!({
            "principals": [{"client_id": CLIENT_ID, "client_secret": "s3cret", "object_id": OBJECT_ID}],
            "role_assignments": [
                {"principal_id": OBJECT_ID, "role": "Private DNS Zone Contributor", "scope": zone_id()},
                {"principal_id": OBJECT_ID, "role": "Reader", "scope": rg()}
            ],
            "private_dns_zones": [{"id": zone_id()}],
            "container_groups": [
                {"id": group_id("app-0"), "ip": "10.0.1.4", "next_ips": ["10.0.1.14"]},
                {"id": group_id("app-1"), "ip": "10.0.1.5"}
            ]
        }))
        .unwrap();
        emu.seed(seed).unwrap();
        // A filesystem mirror holding the provider, as a registry install would lay it out.
        tftest::Mirror::new(&dir).install(
            "acilab",
            "aci",
            "0.1.0",
            Path::new(env!("CARGO_BIN_EXE_terraform-provider-aci")),
        );
        let http = azure_client::HttpTransport::new(Some(&dir.join("ca.pem")))
            .unwrap()
            .reqwest_client()
            .clone();
        Self { emu, dir, tf, http }
    }

    fn write_config(&self, resources: &str) {
        let config = format!(
            "terraform {{\n  required_providers {{\n    aci = {{ source = \"acilab/aci\", version = \"0.1.0\" }}\n  }}\n}}\n{resources}"
        );
        std::fs::write(self.dir.join("work/main.tf"), config).unwrap();
    }

    async fn terraform(&self, args: &[&str]) -> Output {
        self.terraform_with(args, &[], &[]).await
    }

    /// Terraform with the emulator's ARM_* settings, plus `set`, minus `unset`.
    /// `program` (Terraform, or a wrapper such as `setsid`) in the work directory, with the
    /// mirror and the emulator's ARM_* settings.
    fn command(&self, program: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.current_dir(self.dir.join("work"))
            .env("TF_CLI_CONFIG_FILE", self.dir.join("terraform.rc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("ARM_ENVIRONMENT", "custom")
            .env("ARM_AUTHORITY_HOST", self.emu.login_url())
            .env("ARM_RESOURCE_MANAGER_ENDPOINT", self.emu.management_url())
            .env("ARM_CA_BUNDLE_FILE", self.dir.join("ca.pem"))
            .env("ARM_TENANT_ID", self.emu.tenant_id())
            .env("ARM_CLIENT_ID", CLIENT_ID)
            .env("ARM_CLIENT_SECRET", "s3cret")
            .env_remove("TF_LOG");
        cmd
    }

    async fn terraform_with(
        &self,
        args: &[&str],
        set: &[(&str, String)],
        unset: &[&str],
    ) -> Output {
        let mut cmd = self.command(&self.tf);
        cmd.args(args);
        for (k, v) in set {
            cmd.env(k, v);
        }
        for k in unset {
            cmd.env_remove(k);
        }
        cmd.output().await.unwrap()
    }

    /// Runs terraform and asserts its exit code.
    async fn ok(&self, args: &[&str], code: i32) -> String {
        let out = self.terraform(args).await;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "{} {args:?}:\n{text}",
            self.tf.display()
        );
        text
    }

    async fn admin(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.emu.admin_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{path}: {}",
            r.text().await.unwrap()
        );
        r.json().await.unwrap()
    }

    async fn arm(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let token = self.admin("/token", json!({"audience": format!("https://management.{}/", self.emu.domain()), "object_id": OBJECT_ID})).await;
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut rb = self
            .http
            .request(
                method,
                format!(
                    "{}{path}{sep}api-version=2024-06-01",
                    self.emu.management_url()
                ),
            )
            .bearer_auth(token["access_token"].as_str().unwrap());
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn record_ips(&self, name: &str) -> Option<Vec<String>> {
        let (s, b) = self
            .arm(
                reqwest::Method::GET,
                &format!("{}/A/{name}", zone_id()),
                None,
            )
            .await;
        (s == 200).then(|| {
            let mut ips: Vec<String> = b["properties"]["aRecords"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["ipv4Address"].as_str().unwrap().to_string())
                .collect();
            ips.sort();
            ips
        })
    }

    fn counter(&self, op: &str) -> u64 {
        self.emu.counters().get(op).copied().unwrap_or(0)
    }
}

fn sync_resource(label: &str, name: &str, groups: &[&str]) -> String {
    let ids: Vec<String> = groups
        .iter()
        .map(|g| format!("\"{}\"", group_id(g)))
        .collect();
    format!(
        "resource \"aci_private_dns_sync\" \"{label}\" {{\n  private_dns_zone_id = \"{}\"\n  name = \"{name}\"\n  container_group_ids = [{}]\n}}\n",
        zone_id(),
        ids.join(", ")
    )
}

async fn lifecycle(tf: PathBuf) {
    let lab = Lab::new(tf).await;
    lab.write_config(&sync_resource("app", "app", &["app-0", "app-1"]));
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.record_ips("app").await.unwrap(),
        ["10.0.1.4", "10.0.1.5"]
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // A restarted group comes back with a new IP: the plan shows the drift, apply repairs it.
    lab.admin(
        "/container-groups/restart",
        json!({"id": group_id("app-0")}),
    )
    .await;
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
        lab.record_ips("app").await.unwrap(),
        ["10.0.1.14", "10.0.1.5"]
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // Edited outside Terraform (owner kept, IPs changed): repaired.
    let (_, rec) = lab
        .arm(reqwest::Method::GET, &format!("{}/A/app", zone_id()), None)
        .await;
    let mut props = rec["properties"].clone();
    props["aRecords"] = json!([{"ipv4Address": "10.9.9.9"}]);
    for k in ["fqdn", "isAutoRegistered"] {
        props.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(
        lab.arm(
            reqwest::Method::PUT,
            &format!("{}/A/app", zone_id()),
            Some(json!({"properties": props}))
        )
        .await
        .0,
        200
    );
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        2,
    )
    .await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(
        lab.record_ips("app").await.unwrap(),
        ["10.0.1.14", "10.0.1.5"]
    );

    // Deleted outside Terraform: recreated.
    assert_eq!(
        lab.arm(
            reqwest::Method::DELETE,
            &format!("{}/A/app", zone_id()),
            None
        )
        .await
        .0,
        200
    );
    let plan = lab
        .ok(
            &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
            2,
        )
        .await;
    assert!(plan.contains("will be created"), "{plan}");
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert!(lab.record_ips("app").await.is_some());

    // A record somebody else owns is refused with the way out named.
    lab.arm(reqwest::Method::PUT, &format!("{}/A/taken", zone_id()), Some(json!({"properties": {"ttl": 60, "metadata": {"acilab_owner": "someone-else"}, "aRecords": [{"ipv4Address": "10.7.7.7"}]}}))).await;
    lab.write_config(&format!(
        "{}{}",
        sync_resource("app", "app", &["app-0", "app-1"]),
        sync_resource("taken", "taken", &["app-1"])
    ));
    let out = lab
        .ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 1)
        .await;
    assert!(
        out.contains("not managed by this resource") && out.contains("terraform import"),
        "{out}"
    );
    assert_eq!(
        lab.record_ips("taken").await.unwrap(),
        ["10.7.7.7"],
        "a foreign record is never overwritten"
    );

    // Import adopts a record made outside Terraform, then apply claims it.
    lab.arm(
        reqwest::Method::PUT,
        &format!("{}/A/legacy", zone_id()),
        Some(json!({"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.0.1.5"}]}})),
    )
    .await;
    lab.write_config(&format!(
        "{}{}",
        sync_resource("app", "app", &["app-0", "app-1"]),
        sync_resource("legacy", "legacy", &["app-1"])
    ));
    lab.ok(
        &[
            "import",
            "-no-color",
            "-input=false",
            "aci_private_dns_sync.legacy",
            &format!("{}/A/legacy", zone_id()),
        ],
        0,
    )
    .await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // Throttling and server errors are retried.
    lab.admin("/faults", json!({"operation": "PrivateDns.RecordSets_CreateOrUpdate", "status": 429, "retry_after": 1, "times": 2})).await;
    lab.admin(
        "/faults",
        json!({"operation": "PrivateDns.RecordSets_Get", "status": 503, "times": 2}),
    )
    .await;
    lab.admin(
        "/container-groups/restart",
        json!({"id": group_id("app-1"), "ip": "10.0.1.25"}),
    )
    .await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(lab.record_ips("legacy").await.unwrap(), ["10.0.1.25"]);

    lab.ok(
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
        0,
    )
    .await;
    assert!(lab.record_ips("app").await.is_none());
    assert!(lab.record_ips("legacy").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_on_every_terraform() {
    for tf in terraforms() {
        lifecycle(tf).await;
    }
}

/// Many resources in one zone cost one LIST per refresh, not one GET each; concurrent writers
/// racing on one zone (ETag conflicts) all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_cost_and_racing_writers() {
    let lab = Lab::new(terraforms().remove(0)).await;
    let resources: String = (0..8)
        .map(|i| sync_resource(&format!("r{i}"), &format!("r{i}"), &["app-0", "app-1"]))
        .collect();
    lab.write_config(&resources);
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    // Every write first meets a competing writer once (412), re-reads and wins.
    lab.admin(
        "/faults",
        json!({"operation": "PrivateDns.RecordSets_CreateOrUpdate", "etag_race": true, "times": 4}),
    )
    .await;
    lab.ok(
        &[
            "apply",
            "-auto-approve",
            "-no-color",
            "-input=false",
            "-parallelism=8",
        ],
        0,
    )
    .await;
    for i in 0..8 {
        assert_eq!(
            lab.record_ips(&format!("r{i}")).await.unwrap(),
            ["10.0.1.4", "10.0.1.5"]
        );
    }

    let (lists, gets) = (
        lab.counter("PrivateDns.RecordSets_ListByType"),
        lab.counter("PrivateDns.RecordSets_Get"),
    );
    let group_lists = lab.counter("ContainerInstance.ContainerGroups_ListByResourceGroup");
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;
    assert_eq!(
        lab.counter("PrivateDns.RecordSets_ListByType") - lists,
        1,
        "one LIST for 8 records"
    );
    assert_eq!(
        lab.counter("PrivateDns.RecordSets_Get") - gets,
        0,
        "no GET per record"
    );
    assert_eq!(
        lab.counter("ContainerInstance.ContainerGroups_ListByResourceGroup") - group_lists,
        1,
        "one LIST of container groups"
    );

    // Somebody else takes r0 over: destroy leaves it alone and removes the rest.
    let (_, rec) = lab
        .arm(reqwest::Method::GET, &format!("{}/A/r0", zone_id()), None)
        .await;
    let mut props = rec["properties"].clone();
    props["metadata"]["acilab_owner"] = json!("intruder");
    for k in ["fqdn", "isAutoRegistered"] {
        props.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(
        lab.arm(
            reqwest::Method::PUT,
            &format!("{}/A/r0", zone_id()),
            Some(json!({"properties": props}))
        )
        .await
        .0,
        200
    );
    lab.ok(
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
        0,
    )
    .await;
    assert_eq!(
        lab.record_ips("r0").await.unwrap(),
        ["10.0.1.4", "10.0.1.5"],
        "a record owned by someone else survives destroy"
    );
    assert!(lab.record_ips("r1").await.is_none());
}

/// Bad input is refused at plan time with the attribute and the fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configuration_names_the_attribute() {
    let lab = Lab::new(terraforms().remove(0)).await;
    lab.write_config(
        r#"resource "aci_private_dns_sync" "bad" {
  private_dns_zone_id = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/dnsZones/public.com"
  name                = "bad name"
  container_group_ids = ["not-an-id"]
  ttl                 = 0
}
"#,
    );
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    let out = lab.ok(&["plan", "-no-color", "-input=false"], 1).await;
    for want in [
        "Invalid private_dns_zone_id",
        "privateDnsZones/<zone>",
        "Invalid name",
        "Invalid container group id",
        "Invalid ttl",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // A container group that does not exist fails the plan clearly.
    lab.write_config(&sync_resource("ghost", "ghost", &["gone"]));
    let out = lab.ok(&["plan", "-no-color", "-input=false"], 1).await;
    assert!(out.contains("Container group not found"), "{out}");
}

/// Ctrl-C during a slow apply: Terraform calls StopProvider, the provider cancels the in-flight
/// write at once, and the next apply completes the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_apply_is_cancelled_and_repaired() {
    let lab = Lab::new(terraforms().remove(0)).await;
    lab.write_config(&sync_resource("app", "app", &["app-0"]));
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    lab.admin("/faults", json!({"operation": "PrivateDns.RecordSets_CreateOrUpdate", "latency_ms": 60000, "times": 1})).await;
    // Ctrl-C signals the terminal's whole process group: run Terraform in a group of its own
    // (`setsid`) and signal that. `env --default-signal` undoes an inherited "ignore SIGINT"
    // (background jobs and some CI runners start that way).
    let child = lab
        .command(Path::new("setsid"))
        .args(["env", "--default-signal=INT"])
        .arg(&lab.tf)
        .args(["apply", "-auto-approve", "-no-color", "-input=false"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the slow write is in flight, then interrupt like Ctrl-C.
    for _ in 0..600 {
        if lab.counter("PrivateDns.RecordSets_CreateOrUpdate") > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        lab.counter("PrivateDns.RecordSets_CreateOrUpdate"),
        1,
        "the write never started"
    );
    let group = format!("-{}", child.id().unwrap());
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", "--", &group])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("Operation cancelled"), "{text}");
    // The next apply finishes the job.
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(lab.record_ips("app").await.unwrap(), ["10.0.1.4"]);
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;
}

/// Authentication: a federated token file (workload identity / OIDC) works; no credentials, or
/// two ways at once, fail with one diagnostic naming what to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_settings() {
    let lab = Lab::new(terraforms().remove(0)).await;
    lab.write_config(&sync_resource("app", "app", &["app-0"]));
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    let text = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let out = lab
        .terraform_with(
            &["plan", "-no-color", "-input=false"],
            &[],
            &[
                "ARM_CLIENT_SECRET",
                "ARM_USE_OIDC",
                "ARM_USE_MSI",
                "ARM_USE_CLI",
            ],
        )
        .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("No Azure credentials configured")
            && text(&out).contains("ARM_USE_OIDC=true"),
        "{}",
        text(&out)
    );

    let out = lab
        .terraform_with(
            &["plan", "-no-color", "-input=false"],
            &[("ARM_USE_MSI", "true".into())],
            &[],
        )
        .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("Conflicting Azure authentication settings"),
        "{}",
        text(&out)
    );

    // A GitHub-Actions-like ID token in a file, exchanged through a federated credential.
    let subject = "repo:acilab/acilab:ref:refs/heads/main";
    let issuer = lab.admin("/oidc-token", json!({"subject": subject})).await;
    lab.admin("/seed", json!({"principals": [{"client_id": CLIENT_ID, "object_id": OBJECT_ID, "federated_credentials": [{"issuer": issuer["issuer"], "subject": subject}]}]})).await;
    let token_file = lab.dir.join("id-token");
    std::fs::write(&token_file, issuer["value"].as_str().unwrap()).unwrap();
    let out = lab
        .terraform_with(
            &["apply", "-auto-approve", "-no-color", "-input=false"],
            &[
                ("ARM_USE_OIDC", "true".into()),
                ("ARM_OIDC_TOKEN_FILE_PATH", token_file.display().to_string()),
            ],
            &["ARM_CLIENT_SECRET"],
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(lab.record_ips("app").await.unwrap(), ["10.0.1.4"]);
    // GitHub Actions: the provider asks ACTIONS_ID_TOKEN_REQUEST_URL for the ID token itself.
    lab.admin(
        "/container-groups/restart",
        json!({"id": group_id("app-0"), "ip": "10.0.1.30"}),
    )
    .await;
    let request_url = format!(
        "{}/github-oidc?subject={}",
        lab.emu.admin_url(),
        subject.replace(':', "%3A").replace('/', "%2F")
    );
    let out = lab
        .terraform_with(
            &["apply", "-auto-approve", "-no-color", "-input=false"],
            &[
                ("ARM_USE_OIDC", "true".into()),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token".into()),
            ],
            &["ARM_CLIENT_SECRET"],
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(lab.record_ips("app").await.unwrap(), ["10.0.1.30"]);

    // The Azure CLI method says what is missing when `az` is not there.
    let out = lab
        .terraform_with(
            &["plan", "-no-color", "-input=false"],
            &[
                ("ARM_USE_CLI", "true".into()),
                ("PATH", "/usr/bin:/bin".into()),
            ],
            &["ARM_CLIENT_SECRET"],
        )
        .await;
    if !Path::new("/usr/bin/az").exists() {
        assert!(!out.status.success());
        assert!(text(&out).to_lowercase().contains("az"), "{}", text(&out));
    }

    // A user-assigned managed identity (App Service style endpoint, as in a container).
    lab.admin("/seed", json!({"managed_identities": [{"client_id": "mi-client", "principal_id": OBJECT_ID, "resource_id": format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deployer", rg())}]})).await;
    lab.admin(
        "/container-groups/restart",
        json!({"id": group_id("app-0"), "ip": "10.0.1.40"}),
    )
    .await;
    let (endpoint, header) = lab.emu.identity_endpoint();
    let out = lab
        .terraform_with(
            &["apply", "-auto-approve", "-no-color", "-input=false"],
            &[
                ("ARM_USE_MSI", "true".into()),
                ("ARM_CLIENT_ID", "mi-client".into()),
                ("IDENTITY_ENDPOINT", endpoint),
                ("IDENTITY_HEADER", header),
            ],
            &["ARM_CLIENT_SECRET"],
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(lab.record_ips("app").await.unwrap(), ["10.0.1.40"]);
    // The client secret no longer works: the seed above replaced the principal without one.
    let out = lab
        .terraform_with(&["plan", "-no-color", "-input=false"], &[], &[])
        .await;
    assert!(text(&out).contains("AADSTS7000215"), "{}", text(&out));
}

/// Two provider type names from one code base: one configuration uses both without any
/// `provider =` argument, each installed from the mirror under its own source address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_providers_in_one_configuration() {
    let lab = Lab::new(terraforms().remove(0)).await;
    let le = lab
        .dir
        .join("mirror/registry.terraform.io/acilab/letsencrypt/0.1.0/linux_amd64");
    std::fs::create_dir_all(&le).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_terraform-provider-letsencrypt"),
        le.join("terraform-provider-letsencrypt_v0.1.0"),
    )
    .unwrap();
    let config = format!(
        "terraform {{\n  required_providers {{\n    aci = {{ source = \"acilab/aci\", version = \"0.1.0\" }}\n    letsencrypt = {{ source = \"acilab/letsencrypt\", version = \"0.1.0\" }}\n  }}\n}}\nprovider \"letsencrypt\" {{}}\n{}",
        sync_resource("app", "app", &["app-0"])
    );
    std::fs::write(lab.dir.join("work/main.tf"), config).unwrap();
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    let out = lab.ok(&["providers", "schema", "-json"], 0).await;
    let schema: Value =
        serde_json::from_str(out.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    let providers = &schema["provider_schemas"];
    assert!(
        providers["registry.terraform.io/acilab/aci"]["resource_schemas"]["aci_private_dns_sync"]
            .is_object()
    );
    assert!(providers["registry.terraform.io/acilab/letsencrypt"]["provider"]["block"]["attributes"]["use_oidc"].is_object());
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(lab.record_ips("app").await.unwrap(), ["10.0.1.4"]);
}

/// The agent sidecars and `aci_private_dns_sync` manage one record together (same owner): both
/// converge to the groups' real IPs, Terraform sees no drift after the agent repaired a
/// restart, and a Terraform update keeps the agents' claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_and_resource_share_a_record_without_fighting() {
    const MI_CLIENT: &str = "31111111-1111-1111-1111-111111111111";
    const MI_OID: &str = "41111111-1111-1111-1111-111111111111";
    let lab = Lab::new(terraforms().remove(0)).await;
    let seed: Seed = serde_json::from_value(json!({
        "managed_identities": [{"client_id": MI_CLIENT, "principal_id": MI_OID, "resource_id": format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agent", rg())}],
        "role_assignments": [
            {"principal_id": MI_OID, "role": "Private DNS Zone Contributor", "scope": zone_id()},
            {"principal_id": MI_OID, "role": "Reader", "scope": rg()}
        ]
    }))
    .unwrap();
    lab.emu.seed_missing(seed).unwrap();
    let config = |ttl: u32| {
        format!(
            "resource \"aci_private_dns_sync\" \"app\" {{\n  private_dns_zone_id = \"{}\"\n  name = \"app\"\n  container_group_ids = [\"{}\", \"{}\"]\n  owner = \"shared-owner\"\n  ttl = {ttl}\n}}\n",
            zone_id(),
            group_id("app-0"),
            group_id("app-1")
        )
    };
    lab.write_config(&config(10));
    lab.ok(&["init", "-no-color", "-input=false"], 0).await;
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;

    let (endpoint, header) = lab.emu.identity_endpoint();
    let agent = |group: &str| {
        tokio::process::Command::new(tftest::workspace_binary(
            env!("CARGO_BIN_EXE_terraform-provider-aci"),
            "acilab-agent",
            "acilab-agent",
        ))
        .env_clear()
        .env("IDENTITY_ENDPOINT", &endpoint)
        .env("IDENTITY_HEADER", &header)
        .env("AZURE_CLIENT_ID", MI_CLIENT)
        .env("AZURE_AUTHORITY_HOST", lab.emu.login_url())
        .env("ACILAB_RESOURCE_MANAGER_ENDPOINT", lab.emu.management_url())
        .env(
            "ACILAB_RESOURCE_MANAGER_AUDIENCE",
            format!("https://management.{}/", lab.emu.domain()),
        )
        .env("ACILAB_CA_BUNDLE_FILE", lab.dir.join("ca.pem"))
        .env("ACILAB_CONTAINER_GROUP_ID", group_id(group))
        .env("ACILAB_DNS_ZONE_ID", zone_id())
        .env("ACILAB_DNS_RECORD_NAME", "app")
        .env("ACILAB_DNS_OWNER", "shared-owner")
        .env("ACILAB_INTERVAL_SECONDS", "1")
        .env("ACILAB_HEALTH_ADDR", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
    };
    let mut a0 = agent("app-0");
    let mut a1 = agent("app-1");
    let until = |what: &'static str, want: Vec<&'static str>| {
        let lab = &lab;
        async move {
            let start = std::time::Instant::now();
            loop {
                let ips = lab.record_ips("app").await.unwrap_or_default();
                if ips == want {
                    return;
                }
                assert!(
                    start.elapsed().as_secs() < 15,
                    "{what}: record holds {ips:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    // The agents add their claims to the record Terraform created (same owner).
    let claims = || async {
        let (_, rec) = lab
            .arm(reqwest::Method::GET, &format!("{}/A/app", zone_id()), None)
            .await;
        rec["properties"]["metadata"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("acilab_ip_"))
            .count()
    };
    let start = std::time::Instant::now();
    while claims().await < 2 {
        assert!(
            start.elapsed().as_secs() < 15,
            "agents did not claim their IPs"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // A restart: the agent repairs the record; Terraform then sees nothing to do.
    lab.admin(
        "/container-groups/restart",
        json!({"id": group_id("app-0")}),
    )
    .await;
    until("agent repairs the restart", vec!["10.0.1.14", "10.0.1.5"]).await;
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        0,
    )
    .await;

    // Terraform updates the record (new TTL): the agents' claims survive, IPs stay right.
    lab.write_config(&config(30));
    lab.ok(&["apply", "-auto-approve", "-no-color", "-input=false"], 0)
        .await;
    assert_eq!(claims().await, 2);
    assert_eq!(
        lab.record_ips("app").await.unwrap(),
        ["10.0.1.14", "10.0.1.5"]
    );

    // Both groups stop: each withdraws its IP, the last one deletes the record.
    for a in [&mut a0, &mut a1] {
        let pid = a.id().unwrap().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = tokio::time::timeout(std::time::Duration::from_secs(15), a.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success());
    }
    assert!(lab.record_ips("app").await.is_none());
    // Terraform notices and would recreate it; destroy is clean.
    lab.ok(
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
        2,
    )
    .await;
    lab.ok(
        &["destroy", "-auto-approve", "-no-color", "-input=false"],
        0,
    )
    .await;
}
