//! `cargo xtask release`: the two providers packaged exactly as the Terraform Registry expects
//! (what goreleaser does for Go providers), so releases are built and checked the same way on a
//! laptop, in tests and in `.github/workflows/release.yml`.
//!
//! For each provider `<name>` (`aci`, `letsencrypt`) and version `<v>`, in the output directory:
//! - `terraform-provider-<name>_<v>_<os>_<arch>.zip` per target, holding one file,
//!   `terraform-provider-<name>_v<v>` (`.exe` on Windows);
//! - `terraform-provider-<name>_<v>_manifest.json`: `terraform-registry-manifest.json`, protocol 6.0;
//! - `terraform-provider-<name>_<v>_SHA256SUMS` over the zips and the manifest;
//! - `terraform-provider-<name>_<v>_SHA256SUMS.sig`: a detached binary GPG signature of the sums
//!   (with `--gpg-key`; the key must be in gpg's keyring, e.g. imported from a CI secret).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail, ensure};
use sha2::{Digest as _, Sha256};

const PROVIDERS: &[&str] = &["aci", "letsencrypt"];
const PACKAGE: &str = "acilab-providers";

const USAGE: &str = "\
cargo xtask release --version <semver> [options]
cargo xtask sums --version <semver> --out <dir> [--gpg-key <id>]
    manifest, SHA256SUMS and signature over every platform's zips already in <dir>

Options:
  --target <triple>     Rust target to package (repeatable; default: the host)
  --out <dir>           output directory (default: dist/<version>)
  --binaries <dir>      package binaries already built: <dir>/<triple>/terraform-provider-<name>[.exe],
                        or <dir>/terraform-provider-<name> with a single --target
  --builder <tool>      cargo (default) or zigbuild (cargo-zigbuild, for cross builds)
  --gpg-key <id>        sign the SHA256SUMS with this key (passphrase, if any, from GPG_PASSPHRASE)
";

#[derive(Debug)]
struct Options {
    version: String,
    targets: Vec<String>,
    out: Option<PathBuf>,
    binaries: Option<PathBuf>,
    builder: String,
    gpg_key: Option<String>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        version: String::new(),
        targets: Vec::new(),
        out: None,
        binaries: None,
        builder: "cargo".into(),
        gpg_key: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{a} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "--version" => o.version = value()?,
            "--target" => o.targets.push(value()?),
            "--out" => o.out = Some(value()?.into()),
            "--binaries" => o.binaries = Some(value()?.into()),
            "--builder" => o.builder = value()?,
            "--gpg-key" => o.gpg_key = Some(value()?),
            other => bail!("unknown option {other:?}\n\n{USAGE}"),
        }
    }
    ensure!(
        valid_version(&o.version),
        "--version must be a semantic version such as 0.1.0 or 1.2.0-rc.1 (without a leading v), got {:?}",
        o.version
    );
    ensure!(
        ["cargo", "zigbuild"].contains(&o.builder.as_str()),
        "--builder must be cargo or zigbuild, got {:?}",
        o.builder
    );
    Ok(o)
}

fn valid_version(v: &str) -> bool {
    let (core, pre) = v.split_once('-').unwrap_or((v, ""));
    let nums: Vec<&str> = core.split('.').collect();
    nums.len() == 3
        && nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && pre
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !(v.contains('-') && pre.is_empty())
}

/// Terraform's `<os>_<arch>` for a Rust target triple.
fn platform(triple: &str) -> Result<(&'static str, &'static str)> {
    let arch = match triple.split('-').next().unwrap_or_default() {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "i686" => "386",
        "armv7" | "arm" => "arm",
        other => bail!("no Terraform architecture for {other:?} (target {triple})"),
    };
    let os = if triple.contains("-linux-") {
        "linux"
    } else if triple.contains("-apple-darwin") {
        "darwin"
    } else if triple.contains("-windows-") {
        "windows"
    } else if triple.contains("-freebsd") {
        "freebsd"
    } else {
        bail!("no Terraform OS for target {triple}")
    };
    Ok((os, arch))
}

fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .context("rustc -vV printed no host")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn exe(os: &str) -> &'static str {
    if os == "windows" { ".exe" } else { "" }
}

/// Builds both provider binaries for `triple`; the directory they are in.
fn build(triple: &str, builder: &str) -> Result<PathBuf> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace_root());
    if builder == "zigbuild" {
        cmd.arg("zigbuild");
    } else {
        cmd.arg("build");
    }
    cmd.args(["--release", "--locked", "-p", PACKAGE, "--target", triple]);
    for p in PROVIDERS {
        cmd.args(["--bin", &format!("terraform-provider-{p}")]);
    }
    let status = cmd.status().context("starting cargo")?;
    ensure!(
        status.success(),
        "building the providers for {triple} failed"
    );
    Ok(workspace_root().join("target").join(triple).join("release"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A zip holding one executable file.
fn zip_one(path: &Path, name: &str, contents: &[u8]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file(name, options)?;
    zip.write_all(contents)?;
    zip.finish()?;
    Ok(())
}

fn sign(sums: &Path, key: &str) -> Result<PathBuf> {
    let sig = sums.with_file_name(format!(
        "{}.sig",
        sums.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    ));
    let passphrase = std::env::var("GPG_PASSPHRASE").ok();
    let mut cmd = Command::new("gpg");
    cmd.args(["--batch", "--yes", "--local-user", key]);
    // The passphrase goes through stdin, never the command line.
    if passphrase.is_some() {
        cmd.args(["--pinentry-mode", "loopback", "--passphrase-fd", "0"]);
    }
    cmd.arg("--output")
        .arg(&sig)
        .arg("--detach-sign")
        .arg(sums)
        .stdin(Stdio::piped());
    let mut child = cmd.spawn().context("starting gpg (install gnupg)")?;
    if let Some(mut stdin) = child.stdin.take()
        && let Some(p) = &passphrase
    {
        stdin.write_all(p.as_bytes())?;
        stdin.write_all(b"\n")?;
    }
    let status = child.wait()?;
    ensure!(
        status.success(),
        "gpg could not sign {} with key {key}",
        sums.display()
    );
    Ok(sig)
}

/// Per provider: the manifest, `SHA256SUMS` over every `<base>_<os>_<arch>.zip` in `out` and the
/// manifest, and with `gpg_key` the signature. Run after the zips of all platforms are in `out`
/// (one `release` per build machine, then `sums` once: `.github/workflows/release.yml`).
fn write_sums(out: &Path, version: &str, gpg_key: Option<&str>) -> Result<()> {
    for p in PROVIDERS {
        let base = format!("terraform-provider-{p}_{version}");
        let mut sums = Vec::new();
        for entry in std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let is_zip = name
                .strip_prefix(&format!("{base}_"))
                .and_then(|rest| rest.strip_suffix(".zip"))
                .is_some_and(|platform| platform.split('_').count() == 2);
            if is_zip {
                sums.push((name.clone(), sha256_hex(&std::fs::read(out.join(&name))?)));
            }
        }
        ensure!(
            !sums.is_empty(),
            "no {base}_<os>_<arch>.zip in {}",
            out.display()
        );
        let manifest_name = format!("{base}_manifest.json");
        let manifest = serde_json::to_string_pretty(&serde_json::json!({
            "version": 1,
            "metadata": {"protocol_versions": ["6.0"]}
        }))? + "\n";
        std::fs::write(out.join(&manifest_name), &manifest)?;
        sums.push((manifest_name, sha256_hex(manifest.as_bytes())));
        sums.sort();
        let sums_path = out.join(format!("{base}_SHA256SUMS"));
        let text: String = sums
            .iter()
            .map(|(name, hex)| format!("{hex}  {name}\n"))
            .collect();
        std::fs::write(&sums_path, text)?;
        if let Some(key) = gpg_key {
            sign(&sums_path, key)?;
        }
    }
    Ok(())
}

fn release(o: &Options) -> Result<()> {
    let targets = if o.targets.is_empty() {
        vec![host_triple()?]
    } else {
        o.targets.clone()
    };
    let out = o
        .out
        .clone()
        .unwrap_or_else(|| workspace_root().join("dist").join(&o.version));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut built = Vec::new();
    for t in &targets {
        let (os, arch) = platform(t)?;
        let dir = match &o.binaries {
            Some(b) if targets.len() == 1 && !b.join(t).is_dir() => b.clone(),
            Some(b) => b.join(t),
            None => build(t, &o.builder)?,
        };
        built.push((os, arch, dir));
    }
    for p in PROVIDERS {
        let base = format!("terraform-provider-{p}_{}", o.version);
        for (os, arch, dir) in &built {
            let bin = dir.join(format!("terraform-provider-{p}{}", exe(os)));
            let contents =
                std::fs::read(&bin).with_context(|| format!("reading {}", bin.display()))?;
            let inner = format!("terraform-provider-{p}_v{}{}", o.version, exe(os));
            zip_one(
                &out.join(format!("{base}_{os}_{arch}.zip")),
                &inner,
                &contents,
            )?;
        }
    }
    write_sums(&out, &o.version, o.gpg_key.as_deref())?;
    writeln!(std::io::stdout(), "{}", out.display())?;
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("release") => release(&parse(&args[1..])?),
        Some("sums") => {
            let o = parse(&args[1..])?;
            let dir = o
                .out
                .context("sums needs --out <dir> (the directory holding every platform's zips)")?;
            write_sums(&dir, &o.version, o.gpg_key.as_deref())
        }
        Some("-h" | "--help") | None => {
            std::io::stdout().write_all(USAGE.as_bytes())?;
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_and_versions() {
        assert_eq!(
            platform("x86_64-unknown-linux-gnu").ok(),
            Some(("linux", "amd64"))
        );
        assert_eq!(
            platform("aarch64-apple-darwin").ok(),
            Some(("darwin", "arm64"))
        );
        assert_eq!(
            platform("x86_64-pc-windows-gnu").ok(),
            Some(("windows", "amd64"))
        );
        assert!(platform("wasm32-unknown-unknown").is_err());
        assert!(valid_version("0.1.0") && valid_version("1.2.0-rc.1"));
        assert!(!valid_version("v0.1.0") && !valid_version("0.1") && !valid_version("0.1.0-"));
    }
}
