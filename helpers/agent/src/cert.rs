//! nginx's certificate files from a Key Vault certificate: the chain and private key behind its
//! latest version, written when the version changes (a renewal by `letsencrypt_keyvault_cert`).
//!
//! Files in the certificate directory:
//! - `tls.pem`: the chain (leaf first) and the private key, mode 0600. nginx points both
//!   `ssl_certificate` and `ssl_certificate_key` at it, so a handshake never sees a new
//!   certificate with an old key: each file is replaced by one `rename`.
//! - `tls.crt`: the chain alone, mode 0644, for anything that only needs the public part.
//!
//! The private key only ever exists in Key Vault and in `tls.pem`.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use azure_client::keyvault::{CONTENT_TYPE_PEM, CONTENT_TYPE_PKCS12};
use azure_client::{KeyVault, KeyVaultError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub const BUNDLE_FILE: &str = "tls.pem";
pub const CHAIN_FILE: &str = "tls.crt";

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("Key Vault refused to {what} certificate {name:?}: {source}")]
    KeyVault {
        what: &'static str,
        name: String,
        source: Box<KeyVaultError>,
    },
    #[error(
        "certificate {name:?} does not exist in the vault yet (it is created by letsencrypt_keyvault_cert); keeping the current files"
    )]
    Missing { name: String },
    #[error(
        "certificate {name:?} has no readable secret: it must be created with an exportable key (the private key is what nginx needs)"
    )]
    NoSecret { name: String },
    #[error("the secret of certificate {name:?} is not usable: {reason}")]
    Content { name: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A certificate version as files: PEM chain (leaf first) and PEM private key.
pub struct Material {
    pub chain_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Material")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Splits a Key Vault certificate secret (PEM, or base64 PKCS#12 without password) into chain
/// and key. `reason` never contains key material.
pub fn material_from_secret(value: &str, content_type: Option<&str>) -> Result<Material, String> {
    match content_type.unwrap_or(CONTENT_TYPE_PEM) {
        CONTENT_TYPE_PEM => from_pem(value),
        CONTENT_TYPE_PKCS12 => from_pkcs12(value),
        other => Err(format!(
            "content type {other:?} is neither {CONTENT_TYPE_PEM} nor {CONTENT_TYPE_PKCS12}"
        )),
    }
}

fn from_pem(value: &str) -> Result<Material, String> {
    use rustls_pemfile::Item;
    let mut certs = Vec::new();
    let mut key = None;
    for item in rustls_pemfile::read_all(&mut value.as_bytes()) {
        match item.map_err(|_| "the PEM text is malformed".to_string())? {
            Item::X509Certificate(c) => certs.push(pem("CERTIFICATE", &c)),
            Item::Pkcs8Key(k) => key = Some(pem("PRIVATE KEY", k.secret_pkcs8_der())),
            Item::Pkcs1Key(k) => key = Some(pem("RSA PRIVATE KEY", k.secret_pkcs1_der())),
            Item::Sec1Key(k) => key = Some(pem("EC PRIVATE KEY", k.secret_sec1_der())),
            _ => {}
        }
    }
    finish(certs, key)
}

fn from_pkcs12(value: &str) -> Result<Material, String> {
    let der = STANDARD
        .decode(value.trim())
        .map_err(|_| "the PKCS#12 secret is not base64".to_string())?;
    let store = p12_keystore::KeyStore::from_pkcs12(&der, "", Default::default())
        .map_err(|_| "the PKCS#12 secret cannot be read without a password".to_string())?;
    for (_, entry) in store.entries() {
        if let p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) = entry {
            let certs = chain
                .certs()
                .iter()
                .map(|c| pem("CERTIFICATE", c.as_der()))
                .collect();
            return finish(certs, Some(pem("PRIVATE KEY", chain.key().as_der())));
        }
    }
    Err("the PKCS#12 secret holds no private key with a certificate".into())
}

fn finish(certs: Vec<String>, key: Option<String>) -> Result<Material, String> {
    let key = key.ok_or("the secret holds no private key")?;
    if certs.is_empty() {
        return Err("the secret holds no certificate".into());
    }
    Ok(Material {
        chain_pem: certs.concat(),
        key_pem: key,
    })
}

/// Writes `contents` to `path` by a temporary file in the same directory and one rename, so a
/// reader sees the old file or the new one, never a mix.
fn replace_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), CertError> {
    let err = |source| CertError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err)?;
    // The umask may have narrowed the mode; the key file must not be wider than asked.
    f.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(err)?;
    f.write_all(contents).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    fs::rename(&tmp, path).map_err(err)?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes `tls.crt` and `tls.pem` into `dir` (created 0700 if missing).
pub fn write_files(dir: &Path, m: &Material) -> Result<(), CertError> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| CertError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
    }
    replace_file(&dir.join(CHAIN_FILE), m.chain_pem.as_bytes(), 0o644)?;
    let bundle = format!("{}{}", m.chain_pem, m.key_pem);
    replace_file(&dir.join(BUNDLE_FILE), bundle.as_bytes(), 0o600)
}

/// What the certificate job last did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertChange {
    Unchanged { version: String },
    Written { version: String, thumbprint: String },
}

/// Follows one Key Vault certificate into files.
#[derive(Debug)]
pub struct CertificateFiles<'a> {
    vault: &'a KeyVault,
    name: &'a str,
    dir: &'a Path,
    written_version: Option<String>,
}

impl<'a> CertificateFiles<'a> {
    pub fn new(vault: &'a KeyVault, name: &'a str, dir: &'a Path) -> Self {
        Self {
            vault,
            name,
            dir,
            written_version: None,
        }
    }

    /// One check: a GET of the certificate; the secret only when the version changed (or the
    /// files are gone).
    pub async fn sync(&mut self) -> Result<CertChange, CertError> {
        let kv_err = |what| {
            let name = self.name.to_string();
            move |source| CertError::KeyVault {
                what,
                name,
                source: Box::new(source),
            }
        };
        let current = self
            .vault
            .get(self.name, None)
            .await
            .map_err(kv_err("read"))?
            .ok_or_else(|| CertError::Missing {
                name: self.name.to_string(),
            })?;
        let files_present = self.dir.join(BUNDLE_FILE).is_file();
        if files_present && self.written_version.as_deref() == Some(current.version.as_str()) {
            return Ok(CertChange::Unchanged {
                version: current.version,
            });
        }
        let secret = self
            .vault
            .get_secret_value(self.name, Some(&current.version))
            .await
            .map_err(kv_err("read the secret of"))?
            .ok_or_else(|| CertError::NoSecret {
                name: self.name.to_string(),
            })?;
        let material = material_from_secret(&secret.value, secret.content_type.as_deref())
            .map_err(|reason| CertError::Content {
                name: self.name.to_string(),
                reason,
            })?;
        write_files(self.dir, &material)?;
        self.written_version = Some(current.version.clone());
        Ok(CertChange::Written {
            version: current.version,
            thumbprint: current.thumbprint_hex,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn pem_lines_are_64_columns() {
        let p = pem("CERTIFICATE", &[7u8; 100]);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(*lines.last().unwrap(), "-----END CERTIFICATE-----");
        assert_eq!(
            STANDARD.decode(lines[1..lines.len() - 1].concat()).unwrap(),
            vec![7u8; 100]
        );
    }

    #[test]
    fn bad_secrets_are_explained_without_their_content() {
        // A key block without a certificate (placeholder bytes, not a key).
        let key_only = pem("PRIVATE KEY", &[0u8; 3]);
        let e = material_from_secret(&key_only, None).unwrap_err();
        assert_eq!(e, "the secret holds no certificate");
        let e =
            material_from_secret("not base64 SECRETVALUE", Some(CONTENT_TYPE_PKCS12)).unwrap_err();
        assert!(!e.contains("SECRETVALUE"), "{e}");
        assert!(material_from_secret("x", Some("text/plain")).is_err());
    }

    #[test]
    fn files_are_replaced_with_owner_only_key() {
        let dir = std::env::temp_dir().join(format!("acilab-agent-cert-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let m = Material {
            chain_pem: "CHAIN\n".into(),
            key_pem: "KEY\n".into(),
        };
        write_files(&dir, &m).unwrap();
        let mode = |f: &str| fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(BUNDLE_FILE), 0o600);
        assert_eq!(mode(CHAIN_FILE), 0o644);
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            fs::read_to_string(dir.join(BUNDLE_FILE)).unwrap(),
            "CHAIN\nKEY\n"
        );
        write_files(
            &dir,
            &Material {
                chain_pem: "C2\n".into(),
                key_pem: "K2\n".into(),
            },
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(dir.join(BUNDLE_FILE)).unwrap(),
            "C2\nK2\n"
        );
        // No temporary files left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }
}
