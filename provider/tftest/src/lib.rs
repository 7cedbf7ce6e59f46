//! Test support shared by the suites that drive the real Terraform CLI (dev-dependency only;
//! panics with a clear message instead of returning errors, as tests want).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Terraform binaries to test with: 1.0.3 (the floor, always; from `.tools/` or
/// `ACILAB_TOOLS_DIR`) and a different `terraform` on PATH when there is one.
pub fn terraforms() -> Vec<PathBuf> {
    let tools = std::env::var_os("ACILAB_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools"));
    let floor = tools.join("bin/terraform-1.0.3");
    assert!(
        floor.exists(),
        "Terraform 1.0.3 not found at {}: run `make setup`",
        floor.display()
    );
    let mut out = vec![floor];
    if let Ok(o) = Command::new("terraform").arg("version").output()
        && o.status.success()
        && !String::from_utf8_lossy(&o.stdout).contains("v1.0.3")
    {
        out.push(PathBuf::from("terraform"));
    }
    out
}

/// A filesystem mirror laid out as a registry install would be, and the CLI configuration
/// (`TF_CLI_CONFIG_FILE`) that makes `terraform init` use it.
#[derive(Debug)]
pub struct Mirror {
    root: PathBuf,
}

impl Mirror {
    /// A mirror under `dir/mirror` with its CLI configuration at `dir/terraform.rc`.
    pub fn new(dir: &Path) -> Self {
        let root = dir.join("mirror");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            dir.join("terraform.rc"),
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
                root.display()
            ),
        )
        .unwrap();
        Self { root }
    }

    /// Installs `binary` as `registry.terraform.io/<namespace>/<name>` version `version`.
    pub fn install(&self, namespace: &str, name: &str, version: &str, binary: &Path) -> &Self {
        let dir = self.root.join(format!(
            "registry.terraform.io/{namespace}/{name}/{version}/linux_amd64"
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            binary,
            dir.join(format!("terraform-provider-{name}_v{version}")),
        )
        .unwrap_or_else(|e| panic!("cannot copy {}: {e}", binary.display()));
        self
    }
}

/// Binary `bin` of workspace package `package`, found next to `anchor` (a binary of the
/// calling package, e.g. `env!("CARGO_BIN_EXE_…")`) in the shared target directory. A whole
/// workspace test run builds it; when only one package is under test, it is built here.
pub fn workspace_binary(anchor: &str, package: &str, bin: &str) -> PathBuf {
    let path = Path::new(anchor).with_file_name(bin);
    if !path.exists() {
        let ok = Command::new(env!("CARGO"))
            .current_dir(repo_root())
            .args(["build", "-p", package, "--bin", bin])
            .status()
            .unwrap()
            .success();
        assert!(ok, "cannot build {bin} (package {package})");
    }
    path
}
