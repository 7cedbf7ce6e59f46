//! `cargo xtask release` end to end for the host target: zips named as the Terraform Registry
//! expects with the right file inside, sums that match, the protocol 6 manifest, a GPG
//! signature that verifies, and binaries that answer Terraform's plugin handshake.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest as _, Sha256};

const VERSION: &str = "0.3.1";

/// The directory holding this workspace's debug provider binaries (built when missing).
fn provider_binaries() -> PathBuf {
    let anchor = env!("CARGO_BIN_EXE_xtask");
    for bin in ["terraform-provider-aci", "terraform-provider-letsencrypt"] {
        tftest::workspace_binary(anchor, "acilab-providers", bin);
    }
    Path::new(anchor).parent().unwrap().to_path_buf()
}

fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .unwrap()
}

fn gpg(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--no-tty"])
        .args(args)
        .output()
        .expect("gpg missing: run `make setup` (gnupg)")
}

/// Stops the gpg-agent of `home` (it caches passphrases and outlives the test otherwise).
fn stop_agent(home: &Path) {
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", home)
        .args(["--kill", "gpg-agent"])
        .status();
}

/// A throwaway signing key; its fingerprint.
fn signing_key(home: &Path, passphrase: &str) -> String {
    std::fs::create_dir_all(home).unwrap();
    let mut perm = std::fs::metadata(home).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o700);
    std::fs::set_permissions(home, perm).unwrap();
    let out = gpg(
        home,
        &[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            "acilab release test <release-test@acilab.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = gpg(home, &["--with-colons", "--list-secret-keys"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|r| r.trim_matches(':').to_string())
        })
        .unwrap()
}

/// Starts `bin` as Terraform would and returns its handshake line.
fn handshake(bin: &Path) -> String {
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let mut child = Command::new(bin)
        .env(tfplugin6::MAGIC_COOKIE_KEY, tfplugin6::MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", ca.cert.pem())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    line.trim().to_string()
}

#[test]
fn packages_both_providers_as_the_registry_expects() {
    let work = std::env::temp_dir().join(format!("xtask-release-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let home = work.join("gnupg");
    let passphrase = "correct horse battery staple";
    let key = signing_key(&home, passphrase);
    let out_dir = work.join("dist");
    let target = host();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "release",
            "--version",
            VERSION,
            "--target",
            &target,
            "--out",
        ])
        .arg(&out_dir)
        .arg("--binaries")
        .arg(provider_binaries())
        .args(["--gpg-key", &key])
        .env("GNUPGHOME", &home)
        .env("GPG_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (os, arch) = match target.split('-').next().unwrap() {
        "x86_64" => ("linux", "amd64"),
        "aarch64" => ("linux", "arm64"),
        other => panic!("unexpected host {other}"),
    };
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = Vec::new();
    for p in ["aci", "letsencrypt"] {
        let base = format!("terraform-provider-{p}_{VERSION}");
        expected.extend([
            format!("{base}_SHA256SUMS"),
            format!("{base}_SHA256SUMS.sig"),
            format!("{base}_{os}_{arch}.zip"),
            format!("{base}_manifest.json"),
        ]);
    }
    expected.sort();
    assert_eq!(names, expected);

    for p in ["aci", "letsencrypt"] {
        let base = format!("terraform-provider-{p}_{VERSION}");
        // The sums cover exactly the zip and the manifest, and match them.
        let sums = std::fs::read_to_string(out_dir.join(format!("{base}_SHA256SUMS"))).unwrap();
        let lines: Vec<(&str, &str)> = sums.lines().map(|l| l.split_once("  ").unwrap()).collect();
        assert_eq!(lines.len(), 2, "{sums}");
        for (hex, file) in &lines {
            let actual: String = Sha256::digest(std::fs::read(out_dir.join(file)).unwrap())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(*hex, actual, "{file}");
        }
        // The signature verifies against the key, and fails for altered sums.
        let sig = out_dir.join(format!("{base}_SHA256SUMS.sig"));
        let ok = gpg(
            &home,
            &[
                "--verify",
                sig.to_str().unwrap(),
                out_dir.join(format!("{base}_SHA256SUMS")).to_str().unwrap(),
            ],
        );
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let tampered = work.join("tampered");
        std::fs::write(&tampered, sums.replace('a', "b")).unwrap();
        let bad = gpg(
            &home,
            &[
                "--verify",
                sig.to_str().unwrap(),
                tampered.to_str().unwrap(),
            ],
        );
        assert!(!bad.status.success());
        // Binary (not armored) signature, as the registry wants.
        assert_ne!(&std::fs::read(&sig).unwrap()[..5], b"-----");

        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out_dir.join(format!("{base}_manifest.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );

        // One executable file inside, named terraform-provider-<name>_v<version>.
        let zip_path = out_dir.join(format!("{base}_{os}_{arch}.zip"));
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).unwrap();
        let inner = format!("terraform-provider-{p}_v{VERSION}");
        assert_eq!(entry.name().unwrap(), inner.as_str());
        assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let unpacked = work.join(&inner);
        std::fs::write(&unpacked, &bytes).unwrap();
        let mut perm = std::fs::metadata(&unpacked).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&unpacked, perm).unwrap();
        let line = handshake(&unpacked);
        assert!(
            line.starts_with("1|6|unix|") && line.contains("|grpc|"),
            "{p}: {line:?}"
        );
    }
    stop_agent(&home);
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn bad_arguments_are_explained() {
    for (args, message) in [
        (
            vec!["release", "--version", "v1.0.0"],
            "--version must be a semantic version",
        ),
        (
            vec!["release", "--version", "1.0.0", "--builder", "make"],
            "--builder must be cargo or zigbuild",
        ),
        (
            vec![
                "release",
                "--version",
                "1.0.0",
                "--target",
                "wasm32-unknown-unknown",
                "--binaries",
                "/nonexistent",
            ],
            "no Terraform",
        ),
        (vec!["publish"], "unknown command"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

/// What release.yml does: one unsigned `release` per build machine, then `sums` once over all
/// platforms' zips, signed.
#[test]
fn sums_cover_every_platform_built_elsewhere() {
    let work = std::env::temp_dir().join(format!("xtask-sums-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let home = work.join("gnupg");
    let key = signing_key(&home, "another passphrase");
    let dist = work.join("dist");
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "release",
            "--version",
            VERSION,
            "--target",
            &host(),
            "--out",
        ])
        .arg(&dist)
        .arg("--binaries")
        .arg(provider_binaries())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Unsigned: no signature yet.
    assert!(
        !dist
            .join(format!("terraform-provider-aci_{VERSION}_SHA256SUMS.sig"))
            .exists()
    );
    // Another runner's zip arrives (a stand-in for the darwin build).
    for p in ["aci", "letsencrypt"] {
        let base = format!("terraform-provider-{p}_{VERSION}");
        let linux = std::fs::read_dir(&dist)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|f| {
                let n = f.file_name().unwrap().to_string_lossy().into_owned();
                n.starts_with(&format!("{base}_linux_")) && n.ends_with(".zip")
            })
            .unwrap();
        std::fs::copy(&linux, dist.join(format!("{base}_darwin_arm64.zip"))).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["sums", "--version", VERSION, "--out"])
        .arg(&dist)
        .args(["--gpg-key", &key])
        .env("GNUPGHOME", &home)
        .env("GPG_PASSPHRASE", "another passphrase")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for p in ["aci", "letsencrypt"] {
        let base = format!("terraform-provider-{p}_{VERSION}");
        let sums_path = dist.join(format!("{base}_SHA256SUMS"));
        let sums = std::fs::read_to_string(&sums_path).unwrap();
        let files: Vec<&str> = sums
            .lines()
            .map(|l| l.split_once("  ").unwrap().1)
            .collect();
        assert_eq!(files.len(), 3, "{sums}");
        assert!(
            files.contains(&format!("{base}_darwin_arm64.zip").as_str()),
            "{sums}"
        );
        assert!(
            files.contains(&format!("{base}_manifest.json").as_str()),
            "{sums}"
        );
        let sig = dist.join(format!("{base}_SHA256SUMS.sig"));
        let ok = gpg(
            &home,
            &[
                "--verify",
                sig.to_str().unwrap(),
                sums_path.to_str().unwrap(),
            ],
        );
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
    // A wrong passphrase fails loudly (the agent forgets the cached one first).
    stop_agent(&home);
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["sums", "--version", VERSION, "--out"])
        .arg(&dist)
        .args(["--gpg-key", &key])
        .env("GNUPGHOME", &home)
        .env("GPG_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("gpg could not sign"));
    stop_agent(&home);
    std::fs::remove_dir_all(&work).unwrap();
}
