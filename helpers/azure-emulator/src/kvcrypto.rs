//! Key Vault's cryptography: keys generated inside the vault, CSRs for pending certificates,
//! self-signed certificates, and the PEM / PKCS#12 content of a certificate's secret.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SignatureAlgorithm};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;
use rustls::pki_types::PrivatePkcs8KeyDer;
use sha1::{Digest, Sha1};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("{0}")]
    BadParameter(String),
    #[error("key generation failed: {0}")]
    Internal(String),
}

fn bad(msg: impl Into<String>) -> CryptoError {
    CryptoError::BadParameter(msg.into())
}

/// The key a policy asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    Rsa(usize),
    EcP256,
    EcP384,
}

impl KeySpec {
    /// From a policy's `key_props` (`kty`, `key_size`, `crv`); Key Vault's default is RSA 2048.
    pub fn from_policy(key_props: Option<&serde_json::Value>) -> Result<Self, CryptoError> {
        let kty = key_props
            .and_then(|k| k.get("kty"))
            .and_then(|v| v.as_str())
            .unwrap_or("RSA");
        let size = key_props
            .and_then(|k| k.get("key_size"))
            .and_then(|v| v.as_u64());
        let crv = key_props
            .and_then(|k| k.get("crv"))
            .and_then(|v| v.as_str());
        match kty {
            "RSA" | "RSA-HSM" => match size.unwrap_or(2048) {
                n @ (2048 | 3072 | 4096) => Ok(Self::Rsa(n as usize)),
                n => Err(bad(format!(
                    "Invalid key size {n} for RSA: use 2048, 3072 or 4096."
                ))),
            },
            "EC" | "EC-HSM" => match crv.unwrap_or("P-256") {
                "P-256" => Ok(Self::EcP256),
                "P-384" => Ok(Self::EcP384),
                other => Err(bad(format!(
                    "Unsupported curve '{other}': use P-256 or P-384."
                ))),
            },
            other => Err(bad(format!(
                "Unsupported key type '{other}': use RSA or EC."
            ))),
        }
    }

    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
            Self::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        }
    }
}

/// A new private key, PKCS#8 DER.
pub fn generate_key(spec: KeySpec) -> Result<Vec<u8>, CryptoError> {
    match spec {
        KeySpec::Rsa(bits) => {
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
                .map_err(|e| CryptoError::Internal(e.to_string()))?;
            Ok(key
                .to_pkcs8_der()
                .map_err(|e| CryptoError::Internal(e.to_string()))?
                .as_bytes()
                .to_vec())
        }
        ec => KeyPair::generate_for(ec.algorithm())
            .map(|k| k.serialize_der())
            .map_err(|e| CryptoError::Internal(e.to_string())),
    }
}

/// Loads a PKCS#8 key for signing, whatever its algorithm.
pub fn key_pair(pkcs8: &[u8]) -> Result<KeyPair, CryptoError> {
    let der = PrivatePkcs8KeyDer::from(pkcs8.to_vec());
    for alg in [
        &rcgen::PKCS_RSA_SHA256,
        &rcgen::PKCS_ECDSA_P256_SHA256,
        &rcgen::PKCS_ECDSA_P384_SHA384,
    ] {
        if let Ok(k) = KeyPair::from_pkcs8_der_and_sign_algo(&der, alg) {
            return Ok(k);
        }
    }
    Err(bad(
        "The private key is not an RSA, P-256 or P-384 key in PKCS#8 form.",
    ))
}

/// Parses `CN=a, O=b` into a distinguished name.
fn subject(s: &str) -> Result<DistinguishedName, CryptoError> {
    let mut dn = DistinguishedName::new();
    for part in s.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            bad(format!(
                "The subject '{s}' is not a distinguished name like 'CN=example.com'."
            ))
        })?;
        let ty = match k.trim().to_ascii_uppercase().as_str() {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "L" => DnType::LocalityName,
            "ST" | "S" => DnType::StateOrProvinceName,
            "C" => DnType::CountryName,
            other => {
                return Err(bad(format!(
                    "Unsupported attribute '{other}' in subject '{s}'."
                )));
            }
        };
        dn.push(ty, v.trim());
    }
    Ok(dn)
}

fn params(x509_props: Option<&serde_json::Value>) -> Result<CertificateParams, CryptoError> {
    let subj = x509_props
        .and_then(|x| x.get("subject"))
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let sans: Vec<String> = x509_props
        .and_then(|x| x.pointer("/sans/dns_names"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if subj.is_empty() && sans.is_empty() {
        return Err(bad(
            "The policy needs x509_props.subject or x509_props.sans.",
        ));
    }
    let mut p = CertificateParams::new(sans)
        .map_err(|e| bad(format!("Invalid subject alternative name: {e}")))?;
    p.distinguished_name = subject(subj)?;
    Ok(p)
}

/// A PKCS#10 request for the pending key, as Key Vault returns in `csr`.
pub fn csr(
    key_pkcs8: &[u8],
    x509_props: Option<&serde_json::Value>,
) -> Result<Vec<u8>, CryptoError> {
    let key = key_pair(key_pkcs8)?;
    let req = params(x509_props)?
        .serialize_request(&key)
        .map_err(|e| CryptoError::Internal(e.to_string()))?;
    Ok(req.der().to_vec())
}

/// Issuer `Self`: a self-signed certificate valid for `validity_months`.
pub fn self_signed(
    key_pkcs8: &[u8],
    x509_props: Option<&serde_json::Value>,
) -> Result<Vec<u8>, CryptoError> {
    let key = key_pair(key_pkcs8)?;
    let mut p = params(x509_props)?;
    let months = x509_props
        .and_then(|x| x.get("validity_months"))
        .and_then(|v| v.as_u64())
        .unwrap_or(12);
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::minutes(5);
    p.not_after = now + time::Duration::days(30 * months as i64);
    p.self_signed(&key)
        .map(|c| c.der().to_vec())
        .map_err(|e| CryptoError::Internal(e.to_string()))
}

/// What Key Vault reports about a certificate.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub spki: Vec<u8>,
    pub not_before: u64,
    pub not_after: u64,
    pub subject: String,
    pub dns_names: Vec<String>,
    pub x5t: String,
}

pub fn cert_info(der: &[u8]) -> Result<CertInfo, CryptoError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| bad("The certificate is not valid DER-encoded X.509."))?;
    let dns_names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(CertInfo {
        spki: cert.tbs_certificate.subject_pki.raw.to_vec(),
        not_before: cert.validity().not_before.timestamp().max(0) as u64,
        not_after: cert.validity().not_after.timestamp().max(0) as u64,
        subject: cert.subject().to_string(),
        dns_names,
        x5t: B64URL.encode(Sha1::digest(der)),
    })
}

/// SubjectPublicKeyInfo of a PKCS#8 key, to match it with a certificate.
pub fn public_key_spki(key_pkcs8: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use rcgen::PublicKeyData;
    Ok(key_pair(key_pkcs8)?.subject_public_key_info())
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// `application/x-pem-file` secret content: the key, then the chain, leaf first.
pub fn pem_bundle(key_pkcs8: &[u8], chain: &[Vec<u8>]) -> String {
    let mut out = pem_block("PRIVATE KEY", key_pkcs8);
    for c in chain {
        out.push_str(&pem_block("CERTIFICATE", c));
    }
    out
}

/// `application/x-pkcs12` secret content: a password-less PFX, base64.
pub fn pfx_base64(key_pkcs8: &[u8], chain: &[Vec<u8>]) -> Result<String, CryptoError> {
    let certs = chain
        .iter()
        .map(|c| p12_keystore::Certificate::from_der(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CryptoError::Internal(e.to_string()))?;
    let key = p12_keystore::PrivateKey::from_der(key_pkcs8)
        .map_err(|e| CryptoError::Internal(e.to_string()))?;
    let local_id = Sha1::digest(chain.first().map(Vec::as_slice).unwrap_or_default()).to_vec();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "1",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            local_id, key, certs,
        )),
    );
    let bytes = store
        .writer("")
        .write()
        .map_err(|e| CryptoError::Internal(e.to_string()))?;
    Ok(B64.encode(bytes))
}

/// Reads an imported certificate: PEM text (key + chain) or base64 PFX with optional password.
/// Returns the PKCS#8 key and the chain with the key's certificate first.
pub fn parse_import(
    value: &str,
    password: Option<&str>,
) -> Result<(Vec<u8>, Vec<Vec<u8>>), CryptoError> {
    let (key, mut chain) = if value.contains("-----BEGIN") {
        let mut key = None;
        let mut chain = Vec::new();
        for item in rustls_pemfile::read_all(&mut value.as_bytes()) {
            match item.map_err(|_| bad("The PEM content could not be parsed."))? {
                rustls_pemfile::Item::X509Certificate(c) => chain.push(c.to_vec()),
                rustls_pemfile::Item::Pkcs8Key(k) => key = Some(k.secret_pkcs8_der().to_vec()),
                rustls_pemfile::Item::Pkcs1Key(k) => {
                    let rsa = rsa::RsaPrivateKey::from_pkcs1_der(k.secret_pkcs1_der())
                        .map_err(|_| bad("The RSA private key could not be parsed."))?;
                    key = Some(
                        rsa.to_pkcs8_der()
                            .map_err(|e| CryptoError::Internal(e.to_string()))?
                            .as_bytes()
                            .to_vec(),
                    );
                }
                rustls_pemfile::Item::Sec1Key(_) => {
                    return Err(bad(
                        "EC private keys must be PKCS#8 PEM (label PRIVATE KEY) to be imported.",
                    ));
                }
                _ => {}
            }
        }
        (
            key.ok_or_else(|| bad("The PEM content has no private key."))?,
            chain,
        )
    } else {
        let der = B64
            .decode(value.trim())
            .map_err(|_| bad("The certificate value is neither PEM nor base64-encoded PKCS#12."))?;
        let store = p12_keystore::KeyStore::from_pkcs12(
            &der,
            password.unwrap_or(""),
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|_| {
            bad("The PKCS#12 content could not be read: wrong password or corrupt data.")
        })?;
        let (_, kc) = store
            .private_key_chain()
            .ok_or_else(|| bad("The PKCS#12 content has no private key."))?;
        (
            kc.key().as_der().to_vec(),
            kc.certs().iter().map(|c| c.as_der().to_vec()).collect(),
        )
    };
    let spki = public_key_spki(&key)?;
    let leaf = chain
        .iter()
        .position(|c| cert_info(c).is_ok_and(|i| i.spki == spki))
        .ok_or_else(|| bad("No certificate in the content matches its private key."))?;
    let leaf_der = chain.remove(leaf);
    chain.insert(0, leaf_der);
    Ok((key, chain))
}
