//! The stand-in under the real Terraform CLI: installed from a filesystem mirror as
//! hashicorp/azurerm 4.73.0, it validates and plans a configuration on every Terraform here,
//! refuses unknown arguments and apply, and serves back exactly the schema file.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use tftest::terraforms;

struct Work {
    dir: PathBuf,
}

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Work {
    fn new(name: &str, main_tf: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("azurerm-standin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("work")).unwrap();
        tftest::Mirror::new(&dir).install(
            "hashicorp",
            "azurerm",
            "4.73.0",
            Path::new(env!("CARGO_BIN_EXE_terraform-provider-azurerm")),
        );
        std::fs::write(dir.join("work/main.tf"), main_tf).unwrap();
        Self { dir }
    }

    fn run(&self, tf: &Path, args: &[&str]) -> Output {
        std::process::Command::new(tf)
            .args(args)
            .current_dir(self.dir.join("work"))
            .env("TF_CLI_CONFIG_FILE", self.dir.join("terraform.rc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .unwrap()
    }

    fn ok(&self, tf: &Path, args: &[&str]) -> String {
        let out = self.run(tf, args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{} {args:?}:\n{text}", tf.display());
        text
    }
}

const CONFIG: &str = r#"
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = ">= 4.0, < 5.0" }
  }
}
provider "azurerm" {
  features {}
}
data "azurerm_client_config" "current" {}
resource "azurerm_resource_group" "this" {
  name     = "rg"
  location = "westeurope"
}
resource "azurerm_key_vault" "this" {
  name                = "kv"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  sku_name            = "standard"
  network_acls {
    bypass         = "AzureServices"
    default_action = "Deny"
  }
}
output "tenant" { value = data.azurerm_client_config.current.tenant_id }
output "vault_uri" { value = azurerm_key_vault.this.vault_uri }
"#;

#[test]
fn validates_and_plans_on_every_terraform() {
    for tf in terraforms() {
        let w = Work::new("plan", CONFIG);
        w.ok(&tf, &["init", "-no-color", "-input=false"]);
        w.ok(&tf, &["validate", "-no-color"]);
        w.ok(&tf, &["plan", "-no-color", "-input=false", "-out=plan.bin"]);
        let json = w.ok(&tf, &["show", "-json", "plan.bin"]);
        let plan: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        let changes = plan["resource_changes"].as_array().unwrap();
        let vault = changes
            .iter()
            .find(|c| c["address"] == "azurerm_key_vault.this")
            .unwrap();
        // Computed attributes are unknown, configured ones as written, nested blocks too.
        assert_eq!(
            vault["change"]["after_unknown"]["vault_uri"], true,
            "{vault}"
        );
        assert_eq!(vault["change"]["after_unknown"]["id"], true);
        assert_eq!(vault["change"]["after"]["sku_name"], "standard");
        assert_eq!(
            vault["change"]["after"]["network_acls"][0]["default_action"],
            "Deny"
        );
        // The data source was read at plan time with a placeholder tenant id.
        assert_eq!(
            vault["change"]["after"]["tenant_id"],
            "00000000-0000-0000-0000-000000000000"
        );

        // Apply is refused in words nobody can mistake.
        let out = w.run(&tf, &["apply", "-no-color", "-input=false", "plan.bin"]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("offline stand-in for hashicorp/azurerm"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn unknown_arguments_and_missing_required_ones_are_refused() {
    let tf = &terraforms()[0];
    let bad = CONFIG.replace("sku_name            = \"standard\"", "sku = \"standard\"");
    let w = Work::new("bad", &bad);
    w.ok(tf, &["init", "-no-color", "-input=false"]);
    let out = w.run(tf, &["validate", "-no-color"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("An argument named \"sku\" is not expected here"),
        "{err}"
    );
    assert!(
        err.contains("The argument \"sku_name\" is required"),
        "{err}"
    );
}

/// `terraform providers schema -json` prints the file back: same resources, attributes, types,
/// flags and nesting (apart from `write_only`, which protocol 6 as served here does not carry).
#[test]
fn serves_exactly_the_schema_file() {
    let Some(tf) = terraforms()
        .into_iter()
        .find(|t| t.as_os_str() == "terraform")
    else {
        // Terraform 1.0.3 prints format 0.2 with its own quirks; the newer CLI is the judge.
        eprintln!("no newer terraform on PATH: checked by the other tests only");
        return;
    };
    let w = Work::new("schema", CONFIG);
    w.ok(&tf, &["init", "-no-color", "-input=false"]);
    let printed: serde_json::Value =
        serde_json::from_str(&w.ok(&tf, &["providers", "schema", "-json"])).unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(azurerm_standin::default_schema_path()).unwrap(),
    )
    .read_to_end(&mut raw)
    .unwrap();
    let mut file: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    fn strip_write_only(v: &mut serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => {
                let n = usize::from(m.remove("write_only").is_some());
                n + m.values_mut().map(strip_write_only).sum::<usize>()
            }
            serde_json::Value::Array(a) => a.iter_mut().map(strip_write_only).sum(),
            _ => 0,
        }
    }
    assert_eq!(strip_write_only(&mut file), 6);
    let key = azurerm_standin::PROVIDER_ADDRESS;
    let (a, b) = (
        &printed["provider_schemas"][key],
        &file["provider_schemas"][key],
    );
    assert_eq!(a["resource_schemas"].as_object().unwrap().len(), 1132);
    assert_eq!(a["data_source_schemas"].as_object().unwrap().len(), 396);
    assert!(a == b, "the served schema differs from the file");
}
