//! Every module under `terraform/modules` and every composition under `examples/` checked
//! offline with the real Terraform CLI (1.0.3 and a newer one where present): `init` from a
//! filesystem mirror holding the azurerm stand-in and acilab's own providers, `validate`, and
//! `plan` of the examples (our providers configured against the emulator). Also: bad variable
//! values are refused with their validation message, and each README documents exactly the
//! inputs and outputs that exist.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use azure_emulator::{Config, Emulator, Seed};
use serde_json::{Value, json};
use tftest::terraforms;

const SUB: &str = "00000000-0000-0000-0000-000000000000";
const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
const OBJECT_ID: &str = "21111111-1111-1111-1111-111111111111";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if n == ".terraform" || n == ".terraform.lock.hcl" || n.ends_with(".tfstate") {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A copy of `terraform/` and `examples/` (examples refer to modules by relative path), a
/// mirror with the three providers, and an emulator our providers talk to.
struct Lab {
    dir: PathBuf,
    emu: Emulator,
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Lab {
    async fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("acilab-modules-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["terraform", "examples"] {
            copy_tree(&repo().join(sub), &dir.join("tree").join(sub));
        }
        let anchor = env!("CARGO_BIN_EXE_terraform-provider-azurerm");
        let ours = |bin| tftest::workspace_binary(anchor, "acilab-providers", bin);
        tftest::Mirror::new(&dir)
            .install("hashicorp", "azurerm", "4.73.0", Path::new(anchor))
            .install("acilab", "aci", "0.1.0", &ours("terraform-provider-aci"))
            .install(
                "acilab",
                "letsencrypt",
                "0.1.0",
                &ours("terraform-provider-letsencrypt"),
            );
        let emu = Emulator::start(Config {
            ca_file: Some(dir.join("ca.pem")),
            ..Config::default()
        })
        .await
        .unwrap();
        let seed: Seed = serde_json::from_value(json!({
            "principals": [{"client_id": CLIENT_ID, "client_secret": "s3cret", "object_id": OBJECT_ID}],
            "role_assignments": [{"principal_id": OBJECT_ID, "role": "Owner", "scope": format!("/subscriptions/{SUB}")}],
            "private_dns_zones": [{"id": zone_id()}],
            "container_groups": [
                {"id": group_id("app-0"), "ip": "10.0.1.4"},
                {"id": group_id("app-1"), "ip": "10.0.1.5"}
            ]
        }))
        .unwrap();
        emu.seed(seed).unwrap();
        Self { dir, emu }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join("tree").join(rel)
    }

    fn run(&self, tf: &Path, dir: &str, args: &[&str]) -> Output {
        std::process::Command::new(tf)
            .args(args)
            .current_dir(self.path(dir))
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
            .env("ARM_SUBSCRIPTION_ID", SUB)
            .env_remove("TF_LOG")
            .output()
            .unwrap()
    }

    fn ok(&self, tf: &Path, dir: &str, args: &[&str]) -> String {
        let out = self.run(tf, dir, args);
        let text = text(&out);
        assert!(
            out.status.success(),
            "{} {dir} {args:?}:\n{text}",
            tf.display()
        );
        text
    }

    fn init(&self, tf: &Path, dir: &str) {
        // A second Terraform must not trip over the first one's lock file or plugin cache.
        let _ = std::fs::remove_dir_all(self.path(dir).join(".terraform"));
        let _ = std::fs::remove_file(self.path(dir).join(".terraform.lock.hcl"));
        self.ok(
            tf,
            dir,
            &["init", "-no-color", "-input=false", "-backend=false"],
        );
    }

    /// `terraform plan` with variables; the plan as `terraform show -json` prints it.
    fn plan(&self, tf: &Path, dir: &str, vars: &[(&str, String)]) -> Value {
        let mut args = vec!["plan", "-no-color", "-input=false", "-out=plan.bin"];
        let pairs: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for p in &pairs {
            args.push("-var");
            args.push(p);
        }
        self.ok(tf, dir, &args);
        serde_json::from_str(self.ok(tf, dir, &["show", "-json", "plan.bin"]).trim()).unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn zone_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/acilab.internal"
    )
}

fn group_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/{name}"
    )
}

fn modules() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo().join("terraform/modules"))
        .unwrap()
        .map(|e| {
            format!(
                "terraform/modules/{}",
                e.unwrap().file_name().to_string_lossy()
            )
        })
        .collect();
    out.sort();
    out
}

const EXAMPLES: &[&str] = &["examples/full", "examples/certificate", "examples/dns-sync"];

fn full_vars(extra: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = vec![
        ("domain", "example.com".into()),
        ("dns_zone_resource_group_name", "dns".into()),
        ("acme_email", "ops@example.com".into()),
    ];
    for (k, val) in extra {
        let k: &'static str = Box::leak(k.to_string().into_boxed_str());
        v.retain(|(n, _)| *n != k);
        v.push((k, val.to_string()));
    }
    v
}

fn resources<'a>(plan: &'a Value, ty: &str) -> Vec<&'a Value> {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == ty && c["change"]["actions"] == json!(["create"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_module_and_example_validates_on_every_terraform() {
    let lab = Lab::new("validate").await;
    let all: Vec<String> = modules()
        .into_iter()
        .chain(EXAMPLES.iter().map(|s| s.to_string()))
        .collect();
    assert!(all.len() >= 15, "{all:?}");
    for tf in terraforms() {
        for dir in &all {
            lab.init(&tf, dir);
            lab.ok(&tf, dir, &["validate", "-no-color"]);
        }
    }
}

/// The full sample plans on every Terraform, and the plan is wired as the architecture says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_sample_plans_and_is_wired_together() {
    let lab = Lab::new("full").await;
    for tf in terraforms() {
        lab.init(&tf, "examples/full");
        let plan = lab.plan(
            &tf,
            "examples/full",
            &full_vars(&[("app_instance_count", "3")]),
        );
        // Three identical app groups: nginx, web, api and the agent, which knows its own group.
        let groups = resources(&plan, "azurerm_container_group");
        let apps: Vec<&&Value> = groups
            .iter()
            .filter(|g| g["module_address"] == "module.app[0]")
            .collect();
        assert_eq!(apps.len(), 3);
        let dns: Vec<&Value> = resources(&plan, "aci_private_dns_sync");
        let app_dns = dns
            .iter()
            .find(|d| d["module_address"] == "module.app_dns[0]")
            .unwrap();
        let owner = app_dns["change"]["after"]["owner"].as_str().unwrap();
        let cert = &resources(&plan, "letsencrypt_keyvault_cert")[0]["change"]["after"];
        assert!(
            cert["subject_alternative_names"]
                .as_array()
                .unwrap()
                .contains(&json!("*.example.com")),
            "{cert}"
        );
        for g in &apps {
            let after = &g["change"]["after"];
            let name = after["name"].as_str().unwrap();
            let containers: BTreeSet<&str> = after["container"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(containers, BTreeSet::from(["agent", "api", "nginx", "web"]));
            assert_eq!(after["ip_address_type"], "Private");
            let agent = after["container"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "agent")
                .unwrap();
            let env = &agent["environment_variables"];
            // Ids created in the same apply are unknown at plan time: known or unknown, every
            // variable the agent needs is set.
            let index = after["container"]
                .as_array()
                .unwrap()
                .iter()
                .position(|c| c["name"] == "agent")
                .unwrap();
            let unknown =
                &g["change"]["after_unknown"]["container"][index]["environment_variables"];
            for var in [
                "ACILAB_CONTAINER_GROUP_ID",
                "ACILAB_DNS_ZONE_ID",
                "ACILAB_DNS_RECORD_NAME",
                "ACILAB_CERT_KEY_VAULT_URL",
                "ACILAB_CERT_NAME",
                "AZURE_CLIENT_ID",
            ] {
                assert!(
                    env.get(var).is_some() || unknown.get(var) == Some(&json!(true)),
                    "agent of {name} lacks {var}: {env} {unknown}"
                );
            }
            // The agents may write the record the dns-sync resource manages.
            assert_eq!(env["ACILAB_DNS_OWNER"], owner);
            assert_eq!(env["ACILAB_CERT_NAME"], cert["name"]);
            // No private key or password reaches the group definition.
            let text = after.to_string();
            assert!(!text.contains("PRIVATE KEY"));
        }
        let gw = &resources(&plan, "azurerm_application_gateway")[0]["change"]["after"];
        assert_eq!(gw["probe"][0]["path"], "/api/healthcheck");
        assert_eq!(gw["sku"][0]["name"], "Standard_v2");
        assert!(
            gw["autoscale_configuration"][0]["max_capacity"]
                .as_i64()
                .unwrap()
                >= 2
        );
    }
}

/// The deploy workflow's stages: each plans what it adds and keeps what came before, without
/// `-target`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_sample_plans_stage_by_stage() {
    let lab = Lab::new("stages").await;
    let tf = &terraforms()[0];
    lab.init(tf, "examples/full");
    for (stage, certs, groups, gateways) in [
        ("infrastructure", 0, 0, 0),
        ("certificate", 1, 0, 0),
        ("app_groups", 1, 3, 0),
        ("gateway", 1, 3, 1),
    ] {
        let plan = lab.plan(
            tf,
            "examples/full",
            &full_vars(&[("deployment_stage", stage), ("app_instance_count", "2")]),
        );
        let count = |t: &str| resources(&plan, t).len();
        assert_eq!(count("letsencrypt_keyvault_cert"), certs, "{stage}");
        // Two app groups and the dashboard group.
        assert_eq!(count("azurerm_container_group"), groups, "{stage}");
        assert_eq!(count("azurerm_application_gateway"), gateways, "{stage}");
        assert_eq!(count("azurerm_container_registry"), 1, "{stage}");
        assert_eq!(count("azurerm_mssql_server"), 1, "{stage}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_single_resource_examples_plan_against_the_emulator() {
    let lab = Lab::new("small").await;
    for tf in terraforms() {
        lab.init(&tf, "examples/dns-sync");
        let groups = format!("[\"{}\", \"{}\"]", group_id("app-0"), group_id("app-1"));
        let plan = lab.plan(
            &tf,
            "examples/dns-sync",
            &[
                ("private_dns_zone_id", zone_id()),
                ("container_group_ids", groups),
            ],
        );
        let sync = &resources(&plan, "aci_private_dns_sync")[0]["change"]["after"];
        assert_eq!(sync["fqdn"], "app.acilab.internal.");

        lab.init(&tf, "examples/certificate");
        let vault = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"
        );
        let zone = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com"
        );
        let plan = lab.plan(
            &tf,
            "examples/certificate",
            &[
                ("key_vault_id", vault),
                ("dns_zone_id", zone),
                ("contact_email", "ops@example.com".into()),
            ],
        );
        assert_eq!(resources(&plan, "letsencrypt_keyvault_cert").len(), 1);
    }
}

/// Bad values stop `plan` with the validation message of the variable (the example's own, or
/// the module's when the example passes the value through).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_refused_with_their_message() {
    let lab = Lab::new("bad").await;
    let tf = &terraforms()[0];
    let refuse = |dir: &str, vars: Vec<(&'static str, String)>, message: &str| {
        let mut args = vec![
            "plan".to_string(),
            "-no-color".into(),
            "-input=false".into(),
        ];
        for (k, v) in &vars {
            args.push("-var".into());
            args.push(format!("{k}={v}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = lab.run(tf, dir, &args);
        let t = text(&out)
            .replace('\n', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(!out.status.success(), "{dir} {vars:?} was accepted");
        assert!(
            t.contains(message),
            "{dir} {vars:?}: expected {message:?} in:\n{t}"
        );
    };
    lab.init(tf, "examples/full");
    for (k, v, message) in [
        (
            "domain",
            "Example.com.",
            "The domain must be a lower-case DNS name",
        ),
        (
            "acme_email",
            "nobody",
            "The acme_email must be an e-mail address.",
        ),
        (
            "name_prefix",
            "9lives",
            "The name_prefix must be 2-10 lower-case letters and digits",
        ),
        (
            "address_space",
            "10.0.0.0/24",
            "The address_space must be a CIDR block (network address) of /22 or larger.",
        ),
        (
            "address_space",
            "10.0.0.1/16",
            "The address_space must be a CIDR block",
        ),
        (
            "app_instance_count",
            "0",
            "The app_instance_count must be a whole number from 1 to 20.",
        ),
        (
            "app_instance_count",
            "1.5",
            "The app_instance_count must be a whole number from 1 to 20.",
        ),
        (
            "app_gateway_sku",
            "Basic",
            "The app_gateway_sku must be Standard_v2 or WAF_v2.",
        ),
        (
            "deployer_ip_ranges",
            "[\"203.0.113.7\"]",
            "Each deployer IP range must be a CIDR block",
        ),
        (
            "deployment_stage",
            "all",
            "The deployment_stage must be infrastructure, certificate, app_groups or gateway.",
        ),
    ] {
        refuse("examples/full", full_vars(&[(k, v)]), message);
    }
    lab.init(tf, "examples/dns-sync");
    let ok_sync = |k: &'static str, v: &str| {
        let mut vars = vec![
            ("private_dns_zone_id", zone_id()),
            (
                "container_group_ids",
                format!("[\"{}\"]", group_id("app-0")),
            ),
        ];
        vars.retain(|(n, _)| *n != k);
        vars.push((k, v.to_string()));
        vars
    };
    // Passed through to the dns-sync module, whose validations answer.
    refuse(
        "examples/dns-sync",
        ok_sync("ttl", "0"),
        "The ttl must be a whole number of seconds from 1 to 2147483647.",
    );
    refuse(
        "examples/dns-sync",
        ok_sync("owner", "bad owner"),
        "The owner must be 1-128 letters, digits",
    );
    refuse(
        "examples/dns-sync",
        ok_sync("record_name", "bad name"),
        "relative DNS name",
    );
    refuse(
        "examples/dns-sync",
        ok_sync("container_group_ids", "[]"),
        "Give at least one container group id.",
    );
    refuse(
        "examples/dns-sync",
        ok_sync("private_dns_zone_id", "acilab.internal"),
        "Private DNS zone resource id",
    );

    // A module on its own: the network module's CIDR and the gateway's autoscale checks.
    let wrapper = lab.path("wrapper");
    std::fs::create_dir_all(&wrapper).unwrap();
    std::fs::write(
        wrapper.join("main.tf"),
        r#"
variable "address_space" { type = list(string) }
variable "autoscale" { type = object({ min_capacity = number, max_capacity = number }) }
provider "azurerm" {
  features {}
}
module "network" {
  source                                 = "../terraform/modules/network"
  name                                   = "vnet"
  location                               = "westeurope"
  resource_group_name                    = "rg"
  address_space                          = var.address_space
  app_gateway_subnet_address_prefix      = "10.20.0.0/24"
  aci_subnet_address_prefix              = "10.20.1.0/24"
  private_endpoint_subnet_address_prefix = "10.20.2.0/24"
}
module "gateway" {
  source                    = "../terraform/modules/app-gateway"
  name                      = "agw"
  location                  = "westeurope"
  resource_group_name       = "rg"
  subnet_id                 = module.network.app_gateway_subnet_id
  identity_id               = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agw"
  ssl_certificate_secret_id = "https://kv1.vault.azure.net/secrets/wildcard"
  backend_fqdns             = ["app.example.com"]
  autoscale                 = var.autoscale
}
"#,
    )
    .unwrap();
    lab.init(tf, "wrapper");
    let good_scale = "{min_capacity = 1, max_capacity = 3}".to_string();
    refuse(
        "wrapper",
        vec![
            ("address_space", "[\"10.20.0.0/33\"]".into()),
            ("autoscale", good_scale.clone()),
        ],
        "The address_space needs at least one CIDR block, each like 10.20.0.0/16.",
    );
    refuse(
        "wrapper",
        vec![
            ("address_space", "[\"10.20.0.0/16\"]".into()),
            ("autoscale", "{min_capacity = 5, max_capacity = 3}".into()),
        ],
        "min_capacity <= max_capacity",
    );
    lab.ok(
        tf,
        "wrapper",
        &[
            "plan",
            "-no-color",
            "-input=false",
            "-var",
            "address_space=[\"10.20.0.0/16\"]",
            "-var",
            &format!("autoscale={good_scale}"),
        ],
    );
}

/// Names declared by `kind` blocks (`variable`, `output`) in a directory's .tf files.
fn declared(dir: &Path, kind: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                if let Some(rest) = line.strip_prefix(&format!("{kind} \""))
                    && let Some((name, _)) = rest.split_once('"')
                {
                    out.insert(name.to_string());
                }
            }
        }
    }
    out
}

/// Names in the first column of the README table under `heading` (`| `name` | …`).
fn documented(readme: &str, heading: &str) -> Option<BTreeSet<String>> {
    let start = readme.find(heading)?;
    let mut out = BTreeSet::new();
    for line in readme[start + heading.len()..].lines().skip(1) {
        if line.starts_with('#') {
            break;
        }
        if let Some(rest) = line.strip_prefix("| `")
            && let Some((name, _)) = rest.split_once('`')
        {
            out.insert(name.to_string());
        }
    }
    Some(out)
}

/// `(kind, name, body)` of every top-level `variable`/`output` block in a directory's .tf files
/// (terraform fmt puts the closing brace of a top-level block alone in column 0).
fn blocks(dir: &Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "tf") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut current: Option<(String, String, String)> = None;
        for line in text.lines() {
            if let Some((kind, name, body)) = current.as_mut() {
                if line == "}" {
                    out.push((kind.clone(), name.clone(), std::mem::take(body)));
                    current = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
                continue;
            }
            for kind in ["variable", "output"] {
                if let Some(rest) = line.strip_prefix(&format!("{kind} \""))
                    && let Some((name, _)) = rest.split_once('"')
                {
                    current = Some((kind.to_string(), name.to_string(), "\n".to_string()));
                }
            }
        }
    }
    out
}

/// Every variable is typed and described (with a validation when it has no default that makes
/// it safe), every output described — in the modules and the examples.
#[test]
fn variables_and_outputs_are_typed_and_described() {
    let dirs: Vec<String> = modules()
        .into_iter()
        .chain(EXAMPLES.iter().map(|s| s.to_string()))
        .collect();
    for dir in dirs {
        let found = blocks(&repo().join(&dir));
        assert!(!found.is_empty(), "{dir}: no variables or outputs found");
        for (kind, name, body) in found {
            assert!(
                body.contains("\n  description = \"") && !body.contains("description = \"\""),
                "{dir}: {kind} {name:?} has no description"
            );
            if kind == "variable" {
                assert!(
                    body.contains("\n  type "),
                    "{dir}: variable {name:?} has no type"
                );
            }
        }
    }
}

#[test]
fn readmes_document_exactly_the_inputs_and_outputs() {
    for dir in modules() {
        let path = repo().join(&dir);
        let readme = std::fs::read_to_string(path.join("README.md"))
            .unwrap_or_else(|_| panic!("{dir} has no README.md"));
        for (kind, heading) in [("variable", "## Inputs"), ("output", "## Outputs")] {
            let want = declared(&path, kind);
            let have = documented(&readme, heading)
                .unwrap_or_else(|| panic!("{dir}/README.md has no {heading:?} section"));
            assert_eq!(
                have, want,
                "{dir}/README.md {heading} vs the {kind}s declared"
            );
        }
        for f in ["main.tf", "variables.tf", "outputs.tf", "terraform.tf"] {
            assert!(path.join(f).is_file(), "{dir} lacks {f}");
        }
    }
    for dir in EXAMPLES {
        assert!(
            repo().join(dir).join("README.md").is_file(),
            "{dir} has no README.md"
        );
    }
}
