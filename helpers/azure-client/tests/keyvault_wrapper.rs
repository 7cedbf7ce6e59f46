//! `azure_client::keyvault::KeyVault` (the thin wrapper over the official Key Vault crates that
//! the `letsencrypt` provider uses) against the in-process emulator: CSR → sign → merge,
//! pending operations, renewal, soft delete / purge / recover with the emulator's
//! eventual-consistency delay, secrets, RBAC refusals and throttling.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use azure_client::keyvault::{
    CONTENT_TYPE_PEM, CONTENT_TYPE_PKCS12, CertificateRequest, ConsistencyWait, KeyType, KeyVault,
    KeyVaultError, OperationStatus, SecretContentType,
};
use azure_core::http::{FixedRetryOptions, RetryOptions};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, CertifiedIssuer,
    DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use serde_json::json;
use sha1::{Digest as _, Sha1};
use x509_parser::prelude::FromDer as _;

use common::{Lab, VAULT};

const ADMIN: &[&str] = &["Key Vault Administrator"];

/// Quick polling for the tests; the default (30 × 1 s) is tested once.
const FAST: ConsistencyWait = ConsistencyWait {
    attempts: 50,
    interval: Duration::from_millis(100),
};

fn vault_for(lab: &Lab, principal: &str, roles: &[&str]) -> KeyVault {
    lab.principal(principal, roles);
    KeyVault::new(
        &lab.cloud.vault_url(VAULT),
        lab.credential(principal),
        &lab.transport,
    )
    .unwrap()
    .with_consistency_wait(FAST)
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn request(cn: &str, sans: &[&str], key: KeyType, ct: SecretContentType) -> CertificateRequest {
    CertificateRequest {
        subject: format!("CN={cn}"),
        dns_names: sans.iter().map(|s| s.to_string()).collect(),
        key,
        content_type: ct,
        tags: tags(&[("managed-by", "acilab")]),
        exportable: true,
    }
}

fn test_ca() -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "acilab test CA");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// Signs `csr_der` with `ca`, valid from 2025-01-01 to `until_year`-01-01; returns the leaf DER.
fn sign(csr_der: &[u8], ca: &CertifiedIssuer<'static, KeyPair>, until_year: i32) -> Vec<u8> {
    let mut csr = CertificateSigningRequestParams::from_der(&csr_der.to_vec().into()).unwrap();
    csr.params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    csr.params.not_after = rcgen::date_time_ymd(until_year, 1, 1);
    csr.signed_by(&**ca).unwrap().der().to_vec()
}

/// DNS SANs of a CSR, parsed with rcgen (which also verifies its signature).
fn csr_dns_names(csr_der: &[u8]) -> Vec<String> {
    let csr = CertificateSigningRequestParams::from_der(&csr_der.to_vec().into()).unwrap();
    csr.params
        .subject_alt_names
        .iter()
        .map(|san| match san {
            SanType::DnsName(n) => n.as_str().to_string(),
            other => panic!("unexpected SAN {other:?}"),
        })
        .collect()
}

#[derive(Debug, PartialEq)]
enum CsrKey {
    Rsa(usize),
    Ec { curve: String },
}

/// Key type of a CSR's public key, parsed with x509-parser.
fn csr_key(csr_der: &[u8]) -> CsrKey {
    let (_, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(csr_der).unwrap();
    let spki = &req.certification_request_info.subject_pki;
    match spki.parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => CsrKey::Rsa(rsa.key_size()),
        x509_parser::public_key::PublicKey::EC(_) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .unwrap()
                .as_oid()
                .unwrap();
            let name = if curve == x509_parser::oid_registry::OID_EC_P256 {
                "P-256".to_string()
            } else if curve == x509_parser::oid_registry::OID_NIST_EC_P384 {
                "P-384".to_string()
            } else {
                curve.to_id_string()
            };
            CsrKey::Ec { curve: name }
        }
        other => panic!("unexpected key {other:?}"),
    }
}

fn csr_subject_cn(csr_der: &[u8]) -> String {
    let (_, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(csr_der).unwrap();
    req.certification_request_info
        .subject
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// (not_before, not_after) of a DER certificate, Unix seconds.
fn validity(der: &[u8]) -> (i64, i64) {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    (
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    )
}

fn cert_public_key(der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.public_key().subject_public_key.data.to_vec()
}

fn private_key_public_key(der: &[u8]) -> Vec<u8> {
    KeyPair::try_from(der).unwrap().public_key_raw().to_vec()
}

fn sha1_upper_hex(der: &[u8]) -> String {
    Sha1::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// PEM blocks of `pem`: (label, DER).
fn pem_blocks(pem: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut label = None;
    let mut body = String::new();
    for line in pem.lines().map(str::trim) {
        if let Some(l) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            label = Some(l.to_string());
            body.clear();
        } else if line.starts_with("-----END ") {
            let l = label.take().unwrap();
            out.push((l, B64.decode(&body).unwrap()));
        } else if label.is_some() {
            body.push_str(line);
        }
    }
    out
}

/// Creates (EC P-256, PEM), signs and merges a version of `name`; returns it and its leaf DER.
async fn issue(
    kv: &KeyVault,
    name: &str,
    ca: &CertifiedIssuer<'static, KeyPair>,
    until_year: i32,
) -> (azure_client::CertificateVersion, Vec<u8>) {
    let req = request(
        "example.com",
        &["example.com", "*.example.com"],
        KeyType::EcP256,
        SecretContentType::Pem,
    );
    let csr = kv.begin_create(name, &req).await.unwrap();
    let leaf = sign(&csr, ca, until_year);
    let v = kv
        .merge(name, &[leaf.clone(), ca.der().to_vec()])
        .await
        .unwrap();
    (v, leaf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_pending_sign_merge_get_ec_pem() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let (_, secrets) = lab.clients("reader", ADMIN);
    let ca = test_ca();

    assert!(kv.get("web", None).await.unwrap().is_none());
    assert!(kv.pending("web").await.unwrap().is_none());
    assert!(kv.versions("web").await.unwrap().is_empty());

    let req = request(
        "example.com",
        &["example.com", "*.example.com"],
        KeyType::EcP256,
        SecretContentType::Pem,
    );
    let csr = kv.begin_create("web", &req).await.unwrap();
    assert_eq!(csr_dns_names(&csr), ["example.com", "*.example.com"]);
    assert_eq!(
        csr_key(&csr),
        CsrKey::Ec {
            curve: "P-256".into()
        }
    );
    assert_eq!(csr_subject_cn(&csr), "example.com");

    let op = kv.pending("web").await.unwrap().unwrap();
    assert_eq!(op.csr_der, csr);
    assert_eq!(op.status, OperationStatus::InProgress);
    assert!(op.request_id.is_some_and(|r| !r.is_empty()));
    assert_eq!(op.issuer.as_deref(), Some("Unknown"));
    assert!(!op.cancellation_requested);
    assert!(op.target.is_none());

    let leaf = sign(&csr, &ca, 2030);
    let merged = kv
        .merge("web", &[leaf.clone(), ca.der().to_vec()])
        .await
        .unwrap();
    assert_eq!(merged.cer_der, leaf);

    let got = kv.get("web", None).await.unwrap().unwrap();
    assert_eq!(got, merged);
    let base = lab.cloud.vault_url(VAULT);
    let base = base.trim_end_matches('/');
    assert_eq!(got.versionless_id, format!("{base}/certificates/web"));
    assert_eq!(got.id, format!("{base}/certificates/web/{}", got.version));
    assert_eq!(got.versionless_secret_id, format!("{base}/secrets/web"));
    assert_eq!(got.secret_id, format!("{base}/secrets/web/{}", got.version));
    assert_eq!(got.cer_der, leaf);
    assert_eq!(got.thumbprint_hex, sha1_upper_hex(&leaf));
    let (nbf, exp) = validity(&leaf);
    assert_eq!(got.not_before, Some(nbf));
    assert_eq!(got.not_after, Some(exp));
    assert!(got.enabled);
    assert_eq!(got.tags, tags(&[("managed-by", "acilab")]));
    assert_eq!(
        kv.get("web", Some(&got.version)).await.unwrap().unwrap(),
        got
    );
    assert!(
        kv.get("web", Some("0123456789abcdef"))
            .await
            .unwrap()
            .is_none()
    );

    // Key Vault keeps the finished operation.
    let op = kv.pending("web").await.unwrap().unwrap();
    assert_eq!(op.status, OperationStatus::Completed);
    assert!(op.target.is_some());

    // The secret behind the certificate: the vault's key for this certificate, then the chain.
    let secret = secrets
        .get_secret("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.id.as_deref(), Some(got.secret_id.as_str()));
    assert_eq!(secret.content_type.as_deref(), Some(CONTENT_TYPE_PEM));
    let blocks = pem_blocks(secret.value.as_deref().unwrap());
    let keys: Vec<_> = blocks
        .iter()
        .filter(|(l, _)| l.ends_with("PRIVATE KEY"))
        .collect();
    let chain: Vec<_> = blocks.iter().filter(|(l, _)| l == "CERTIFICATE").collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(private_key_public_key(&keys[0].1), cert_public_key(&leaf));
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].1, leaf);
    assert_eq!(chain[1].1, ca.der().to_vec());
    // The wrapper reads the same secret.
    assert_eq!(kv.get_secret("web").await.unwrap(), secret.value);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_pkcs12_and_ec_p384_csrs() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let ca = test_ca();

    let req = request(
        "rsa.example",
        &["rsa.example"],
        KeyType::Rsa(2048),
        SecretContentType::Pkcs12,
    );
    let csr = kv.begin_create("rsa", &req).await.unwrap();
    assert_eq!(csr_key(&csr), CsrKey::Rsa(2048));
    assert_eq!(csr_dns_names(&csr), ["rsa.example"]);
    let leaf = sign(&csr, &ca, 2030);
    let v = kv.merge("rsa", std::slice::from_ref(&leaf)).await.unwrap();
    assert_eq!(v.cer_der, leaf);

    let (_, secrets) = lab.clients("reader", ADMIN);
    let secret = secrets
        .get_secret("rsa", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.content_type.as_deref(), Some(CONTENT_TYPE_PKCS12));
    let pfx = B64.decode(secret.value.unwrap()).unwrap();
    let store =
        p12_keystore::KeyStore::from_pkcs12(&pfx, "", p12_keystore::Pkcs12ImportPolicy::Relaxed)
            .unwrap();
    let (_, chain) = store.private_key_chain().unwrap();
    assert_eq!(chain.certs()[0].as_der(), leaf.as_slice());
    assert_eq!(
        private_key_public_key(chain.key().as_der()),
        cert_public_key(&leaf)
    );

    let req = request(
        "p384.example",
        &["p384.example", "www.p384.example"],
        KeyType::EcP384,
        SecretContentType::Pem,
    );
    let csr = kv.begin_create("p384", &req).await.unwrap();
    assert_eq!(
        csr_key(&csr),
        CsrKey::Ec {
            curve: "P-384".into()
        }
    );
    assert_eq!(csr_dns_names(&csr), ["p384.example", "www.p384.example"]);
    kv.discard_pending("p384").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_create_while_pending_conflicts_until_discarded() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let ca = test_ca();

    // Nothing to discard: fine.
    kv.discard_pending("web").await.unwrap();

    let req = request(
        "example.com",
        &["example.com"],
        KeyType::EcP256,
        SecretContentType::Pem,
    );
    let first = kv.begin_create("web", &req).await.unwrap();
    let err = kv.begin_create("web", &req).await.unwrap_err();
    assert!(
        matches!(err, KeyVaultError::Conflict { ref message, .. } if !message.is_empty()),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.code(), Some("Conflict"));

    kv.discard_pending("web").await.unwrap();
    assert!(kv.pending("web").await.unwrap().is_none());
    // A certificate that never got a version is gone with its operation.
    assert!(kv.get("web", None).await.unwrap().is_none());

    let second = kv.begin_create("web", &req).await.unwrap();
    assert_ne!(first, second, "a new operation has a new key");
    // Merging the discarded operation's CSR is refused: the key is not this operation's.
    let stale = sign(&first, &ca, 2030);
    let err = kv.merge("web", &[stale]).await.unwrap_err();
    assert!(matches!(err, KeyVaultError::BadRequest { .. }), "{err:?}");
    let leaf = sign(&second, &ca, 2030);
    let v1 = kv.merge("web", &[leaf]).await.unwrap();

    // A renewal left pending by a killed run is discarded; the current version stays.
    kv.begin_create("web", &req).await.unwrap();
    assert_eq!(
        kv.pending("web").await.unwrap().unwrap().status,
        OperationStatus::InProgress
    );
    kv.discard_pending("web").await.unwrap();
    assert!(kv.pending("web").await.unwrap().is_none());
    assert_eq!(kv.get("web", None).await.unwrap().unwrap(), v1);
    // Merge without an operation: not found.
    let err = kv
        .merge("web", std::slice::from_ref(&v1.cer_der))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_adds_a_version_and_tags_follow() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let ca = test_ca();

    let (v1, leaf1) = issue(&kv, "web", &ca, 2030).await;
    let (v2, leaf2) = issue(&kv, "web", &ca, 2031).await;
    assert_ne!(v1.version, v2.version);
    assert_ne!(v1.secret_id, v2.secret_id);
    assert_eq!(v1.versionless_id, v2.versionless_id);
    assert_eq!(v1.versionless_secret_id, v2.versionless_secret_id);
    assert_eq!(kv.get("web", None).await.unwrap().unwrap(), v2);
    assert_eq!(
        kv.get("web", Some(&v1.version))
            .await
            .unwrap()
            .unwrap()
            .cer_der,
        leaf1
    );

    let versions = kv.versions("web").await.unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let (l1, l2) = (&versions[0], &versions[1]);
    assert_eq!(l1.id, v1.id);
    assert_eq!(l2.id, v2.id);
    for (listed, got, leaf) in [(l1, &v1, &leaf1), (l2, &v2, &leaf2)] {
        assert!(listed.cer_der.is_empty(), "the list API has no cer");
        assert_eq!(listed.thumbprint_hex, sha1_upper_hex(leaf));
        assert_eq!(listed.secret_id, got.secret_id);
        assert_eq!(listed.versionless_secret_id, got.versionless_secret_id);
        assert_eq!(listed.not_after, Some(validity(leaf).1));
        assert_eq!(listed.not_before, got.not_before);
        assert_eq!(listed.tags, got.tags);
        assert!(listed.enabled);
    }

    let new_tags = tags(&[("managed-by", "acilab"), ("renewed", "yes")]);
    kv.set_tags("web", &v2.version, &new_tags).await.unwrap();
    assert_eq!(kv.get("web", None).await.unwrap().unwrap().tags, new_tags);
    assert_eq!(
        kv.get("web", Some(&v1.version))
            .await
            .unwrap()
            .unwrap()
            .tags,
        tags(&[("managed-by", "acilab")])
    );
    let err = kv
        .set_tags("web", "0123456789abcdef", &new_tags)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_is_deleted_and_purge_with_the_delete_delay() {
    let lab = Lab::start().await;
    // The default consistency wait (30 × 1 s).
    lab.principal("admin", ADMIN);
    let kv = KeyVault::new(
        &lab.cloud.vault_url(VAULT),
        lab.credential("admin"),
        &lab.transport,
    )
    .unwrap();
    let ca = test_ca();
    issue(&kv, "web", &ca, 2030).await;
    lab.admin_post("keyvault/delete-delay", json!({"seconds": 1}))
        .await;

    assert!(!kv.is_deleted("web").await.unwrap());
    let start = Instant::now();
    kv.delete("web").await.unwrap();
    // delete() returns once Key Vault lists the certificate as deleted.
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert!(kv.is_deleted("web").await.unwrap());
    assert!(kv.get("web", None).await.unwrap().is_none());
    assert!(kv.get_secret("web").await.unwrap().is_none());
    // The name is held by the deleted certificate.
    let req = request(
        "example.com",
        &["example.com"],
        KeyType::EcP256,
        SecretContentType::Pem,
    );
    let err = kv.begin_create("web", &req).await.unwrap_err();
    assert!(err.is_deleted_but_recoverable(), "{err:?}");

    kv.purge("web").await.unwrap();
    assert!(!kv.is_deleted("web").await.unwrap());
    assert!(kv.get("web", None).await.unwrap().is_none());
    // Absent: delete is fine.
    kv.delete("web").await.unwrap();

    // Purge right after a delete that did not wait: Key Vault says 409 ObjectIsBeingDeleted
    // for a while; purge waits it out.
    issue(&kv, "api", &ca, 2030).await;
    let (certs, _) = lab.clients("raw", ADMIN);
    certs.delete_certificate("api", None).await.unwrap();
    let err = KeyVaultError::from(
        certs
            .purge_deleted_certificate("api", None)
            .await
            .unwrap_err(),
    );
    assert!(err.is_being_deleted(), "{err:?}");
    assert_eq!(err.code(), Some("ObjectIsBeingDeleted"));
    let before = lab.counter("KeyVault.PurgeDeletedCertificate");
    kv.purge("api").await.unwrap();
    assert!(lab.counter("KeyVault.PurgeDeletedCertificate") - before >= 2);
    assert!(!kv.is_deleted("api").await.unwrap());
    // And the name can be used again.
    let csr = kv.begin_create("api", &req).await.unwrap();
    kv.merge("api", &[sign(&csr, &ca, 2030)]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_then_recover() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let ca = test_ca();
    let (v, leaf) = issue(&kv, "web", &ca, 2030).await;
    lab.admin_post("keyvault/delete-delay", json!({"seconds": 1}))
        .await;

    kv.delete("web").await.unwrap();
    assert!(kv.is_deleted("web").await.unwrap());
    kv.recover("web").await.unwrap();
    assert!(!kv.is_deleted("web").await.unwrap());
    let got = kv.get("web", None).await.unwrap().unwrap();
    assert_eq!(got.id, v.id);
    assert_eq!(got.cer_der, leaf);
    assert!(kv.get_secret("web").await.unwrap().is_some());

    // Recover right after a delete that did not wait (409 ObjectIsBeingDeleted at first).
    let (certs, _) = lab.clients("raw", ADMIN);
    certs.delete_certificate("web", None).await.unwrap();
    let start = Instant::now();
    kv.recover("web").await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(kv.get("web", None).await.unwrap().unwrap().id, v.id);

    // Nothing deleted under that name: NotFound once the wait is over.
    let kv = kv.with_consistency_wait(ConsistencyWait {
        attempts: 3,
        interval: Duration::from_millis(50),
    });
    let err = kv.recover("never").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = kv.purge("never").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_round_trip() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let (_, secrets) = lab.clients("reader", ADMIN);

    assert_eq!(kv.get_secret("acme-account").await.unwrap(), None);
    let value = r#"{"id":"https://acme.example/acct/1","key_pkcs8":"..."}"#;
    let t = tags(&[("purpose", "acme-account")]);
    kv.set_secret("acme-account", value, Some("application/json"), &t)
        .await
        .unwrap();
    assert_eq!(
        kv.get_secret("acme-account").await.unwrap().as_deref(),
        Some(value)
    );
    let raw = secrets
        .get_secret("acme-account", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(raw.content_type.as_deref(), Some("application/json"));
    assert_eq!(raw.tags.unwrap().into_iter().collect::<BTreeMap<_, _>>(), t);

    kv.set_secret("acme-account", "second", None, &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(
        kv.get_secret("acme-account").await.unwrap().as_deref(),
        Some("second")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principal_without_data_roles_is_forbidden() {
    let lab = Lab::start().await;
    let admin = vault_for(&lab, "admin", ADMIN);
    issue(&admin, "web", &test_ca(), 2030).await;

    let kv = vault_for(&lab, "contributor", &["Contributor"]);
    let check = |what: &str, err: KeyVaultError| {
        match &err {
            KeyVaultError::Forbidden {
                status, message, ..
            } => {
                assert_eq!(*status, 403, "{what}");
                assert!(!message.is_empty(), "{what}");
            }
            other => panic!("{what}: expected Forbidden, got {other:?}"),
        }
        assert_eq!(err.code(), Some("ForbiddenByRbac"), "{what}");
        assert!(err.to_string().contains("access denied"), "{what}: {err}");
    };
    check("get", kv.get("web", None).await.unwrap_err());
    check("versions", kv.versions("web").await.unwrap_err());
    let req = request(
        "x.example",
        &["x.example"],
        KeyType::EcP256,
        SecretContentType::Pem,
    );
    check(
        "begin_create",
        kv.begin_create("new", &req).await.unwrap_err(),
    );
    check("get_secret", kv.get_secret("web").await.unwrap_err());
    check(
        "set_secret",
        kv.set_secret("s", "v", None, &BTreeMap::new())
            .await
            .unwrap_err(),
    );
    check("delete", kv.delete("web").await.unwrap_err());

    // A credential Entra refuses is no Key Vault answer.
    let wrong = azure_client::client_secret_credential(
        &lab.cloud,
        &lab.transport,
        lab.emu.tenant_id(),
        "admin-client",
        "not-the-secret",
    )
    .unwrap();
    let kv_wrong = KeyVault::new(&lab.cloud.vault_url(VAULT), wrong, &lab.transport).unwrap();
    let err = kv_wrong.get("web", None).await.unwrap_err();
    assert!(
        matches!(&err, KeyVaultError::Sdk(e) if matches!(e.kind(), azure_core::error::ErrorKind::Credential)),
        "{err:?}"
    );
    assert_eq!(err.status(), None);

    // Certificates Officer: certificates yes, their secret (the key) no.
    let officer = vault_for(&lab, "officer", &["Key Vault Certificates Officer"]);
    officer.get("web", None).await.unwrap().unwrap();
    check(
        "officer get_secret",
        officer.get_secret("web").await.unwrap_err(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_get_is_retried_by_the_sdk() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let (v, _) = issue(&kv, "web", &test_ca(), 2030).await;

    lab.admin_post(
        "faults",
        json!({"operation": "KeyVault.GetCertificate", "status": 429, "retry_after": 1, "times": 2}),
    )
    .await;
    let before = lab.counter("KeyVault.GetCertificate");
    let start = Instant::now();
    let got = kv.get("web", None).await.unwrap().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(got, v);
    assert_eq!(lab.counter("KeyVault.GetCertificate") - before, 3);
    assert!(
        elapsed >= Duration::from_millis(1800),
        "two Retry-After: 1 waits, but the call took {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_5xx_beyond_the_sdk_retries() {
    let lab = Lab::start().await;
    lab.principal("admin", ADMIN);
    let options = azure_core::http::ClientOptions {
        retry: RetryOptions::fixed(FixedRetryOptions {
            delay: azure_core::time::Duration::milliseconds(10),
            max_retries: 2,
            ..Default::default()
        }),
        ..lab.transport.client_options()
    };
    let kv = KeyVault::with_client_options(
        &lab.cloud.vault_url(VAULT),
        lab.credential("admin"),
        options,
    )
    .unwrap();

    lab.admin_post(
        "faults",
        json!({"operation": "KeyVault.GetSecret", "status": 429, "retry_after": 0, "times": 3}),
    )
    .await;
    let before = lab.counter("KeyVault.GetSecret");
    let err = kv.get_secret("anything").await.unwrap_err();
    assert!(matches!(err, KeyVaultError::Throttled { .. }), "{err:?}");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.code(), Some("Throttled"));
    assert_eq!(
        lab.counter("KeyVault.GetSecret") - before,
        3,
        "1 try + 2 retries"
    );

    lab.admin_post(
        "faults",
        json!({"operation": "KeyVault.GetSecret", "status": 503, "times": 3}),
    )
    .await;
    let err = kv.get_secret("anything").await.unwrap_err();
    assert!(
        matches!(err, KeyVaultError::Other { status: 503, .. }),
        "{err:?}"
    );
    // The faults are used up: the next call gets through.
    assert_eq!(kv.get_secret("anything").await.unwrap(), None);
}

/// Everything logged (debug and up) while `fut` runs, as text.
async fn captured_logs<F: Future>(fut: F) -> (F::Output, String) {
    use std::sync::{Arc, Mutex};
    use tracing::instrument::WithSubscriber as _;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // tracing-core caches each callsite's interest when it is first hit; while only one
    // dispatcher exists it asks just the hitting thread's default, so a callsite first hit by a
    // concurrent test would be cached as "never" for ours too. A second live dispatcher makes
    // it ask every dispatcher.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let out = fut.with_subscriber(subscriber).await;
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_no_secret_values_or_keys() {
    let lab = Lab::start().await;
    let kv = vault_for(&lab, "admin", ADMIN);
    let ca = test_ca();
    let secret_value = "acme-account-key-6f1c2d9e-do-not-log";

    let ((csr, leaf, cert_secret), logs) = captured_logs(async {
        kv.set_secret("acme-account", secret_value, None, &BTreeMap::new())
            .await
            .unwrap();
        assert_eq!(
            kv.get_secret("acme-account").await.unwrap().as_deref(),
            Some(secret_value)
        );
        let (v, leaf) = issue(&kv, "web", &ca, 2030).await;
        let op = kv.pending("web").await.unwrap().unwrap();
        kv.get("web", Some(&v.version)).await.unwrap().unwrap();
        kv.versions("web").await.unwrap();
        let cert_secret = kv.get_secret("web").await.unwrap().unwrap();
        (op.csr_der, leaf, cert_secret)
    })
    .await;

    assert!(
        logs.contains("Key Vault: merge certificate"),
        "the wrapper's debug events were captured: {logs}"
    );
    assert!(!logs.contains(secret_value), "{logs}");
    assert!(!logs.contains("PRIVATE KEY"), "{logs}");
    let (_, key_der) = pem_blocks(&cert_secret)
        .into_iter()
        .find(|(l, _)| l.ends_with("PRIVATE KEY"))
        .unwrap();
    for (what, der) in [("key", &key_der), ("csr", &csr), ("leaf", &leaf)] {
        let b64 = B64.encode(der);
        assert!(!logs.contains(&b64[..40]), "{what} in the logs: {logs}");
    }
}
