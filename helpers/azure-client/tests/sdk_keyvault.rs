//! The official Key Vault SDK crates (`azure_security_keyvault_certificates`,
//! `azure_security_keyvault_secrets` 1.0, default features off) against the in-process emulator,
//! through our transport and a `ClientSecretCredential` on the emulator's login host.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use azure_client::credentials::BoxError;
use azure_client::{AssertionFn, client_assertion_credential};
use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::http::poller::PollerOptions;
use azure_security_keyvault_certificates::CertificateClient;
use azure_security_keyvault_certificates::ResourceExt as _;
use azure_security_keyvault_certificates::models::{
    CertificateAttributes, CertificateClientCreateCertificateOptions,
    CertificateClientGetCertificateOptions, CertificateClientUpdateCertificatePropertiesOptions,
    CertificatePolicy, CreateCertificateParameters, CurveName, ImportCertificateParameters,
    IssuerParameters, KeyProperties, KeyType, MergeCertificateParameters, SecretProperties,
    SubjectAlternativeNames, UpdateCertificateOperationParameter,
    UpdateCertificatePropertiesParameters, X509CertificateProperties,
};
use azure_security_keyvault_secrets::ResourceExt as _;
use azure_security_keyvault_secrets::models::{
    SecretAttributes, SecretClientGetSecretOptions, SecretClientUpdateSecretPropertiesOptions,
    SetSecretParameters, UpdateSecretPropertiesParameters,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures::{StreamExt as _, TryStreamExt as _};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, CertifiedIssuer,
    DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use serde_json::{Value, json};

use common::{Lab, VAULT_ID, error_code_of, seed, status_of};

const PFX: &str = "application/x-pkcs12";
const PEM: &str = "application/x-pem-file";
const ADMIN: &[&str] = &["Key Vault Administrator"];

fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn policy(issuer: &str, subject: &str, content_type: &str) -> CertificatePolicy {
    CertificatePolicy {
        issuer_parameters: Some(IssuerParameters {
            name: Some(issuer.into()),
            ..Default::default()
        }),
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(format!("CN={subject}")),
            subject_alternative_names: Some(SubjectAlternativeNames {
                dns_names: Some(vec![subject.into()]),
                ..Default::default()
            }),
            validity_in_months: Some(12),
            ..Default::default()
        }),
        key_properties: Some(KeyProperties {
            key_type: Some(KeyType::Rsa),
            key_size: Some(2048),
            exportable: Some(true),
            reuse_key: Some(false),
            ..Default::default()
        }),
        secret_properties: Some(SecretProperties {
            content_type: Some(content_type.into()),
        }),
        ..Default::default()
    }
}

/// Poll every second when the service sends no `Retry-After` (the SDK's default is 30 s).
fn poll_fast() -> Option<CertificateClientCreateCertificateOptions<'static>> {
    Some(CertificateClientCreateCertificateOptions {
        method_options: PollerOptions {
            frequency: azure_core::time::Duration::seconds(1),
            ..Default::default()
        },
    })
}

fn create_params(policy: CertificatePolicy) -> CreateCertificateParameters {
    CreateCertificateParameters {
        certificate_policy: Some(policy),
        ..Default::default()
    }
}

/// Creates a self-signed certificate and waits for it.
async fn create_self_signed(
    certs: &CertificateClient,
    name: &str,
    content_type: &str,
) -> azure_security_keyvault_certificates::models::Certificate {
    let params = create_params(policy("Self", &format!("{name}.example"), content_type));
    certs
        .begin_create_certificate(name, params.try_into().unwrap(), poll_fast())
        .unwrap()
        .await
        .unwrap()
        .into_model()
        .unwrap()
}

/// Retries `f` while it fails with 404 (Key Vault deletes and recovers asynchronously).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = azure_core::Result<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if status_of(&e) == Some(404) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{what}: {e:?}"),
        }
    }
}

/// Retries `f` until it fails with 404; panics on any other error or if it keeps succeeding.
async fn eventually_gone<T, F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = azure_core::Result<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match f().await {
            Err(e) if status_of(&e) == Some(404) => return,
            Err(e) => panic!("{what}: expected 404, got {e:?}"),
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(_) => panic!("{what}: still there"),
        }
    }
}

/// The raw public key (SPKI BIT STRING contents) of a DER certificate.
fn cert_public_key(der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.public_key().subject_public_key.data.to_vec()
}

fn cert_subject_cn(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
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

/// Raw public key of a PKCS#8 (or PKCS#1 / SEC1) private key, comparable with
/// [`cert_public_key`].
fn private_key_public_key(der: &[u8]) -> Vec<u8> {
    KeyPair::try_from(der).unwrap().public_key_raw().to_vec()
}

/// A PFX (PKCS#12) holding `key_pkcs8` and `chain`, protected by `password`.
fn pfx(key_pkcs8: &[u8], chain: &[&[u8]], password: &str) -> Vec<u8> {
    let certs = chain
        .iter()
        .map(|c| p12_keystore::Certificate::from_der(c).unwrap())
        .collect::<Vec<_>>();
    let key = p12_keystore::PrivateKey::from_der(key_pkcs8).unwrap();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "1",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            vec![1, 2, 3, 4],
            key,
            certs,
        )),
    );
    store.writer(password).write().unwrap()
}

/// (key DER, chain DERs) of a PFX.
fn read_pfx(der: &[u8], password: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    let store = p12_keystore::KeyStore::from_pkcs12(
        der,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .unwrap();
    let (_, chain) = store.private_key_chain().unwrap();
    (
        chain.key().as_der().to_vec(),
        chain.certs().iter().map(|c| c.as_der().to_vec()).collect(),
    )
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_create_get_versions_update_and_policy() {
    let lab = Lab::start().await;
    let (certs, secrets) = lab.clients("admin", ADMIN);

    // Create (issuer Self completes at once) — the poller follows the pending operation to
    // the certificate.
    let v1 = create_self_signed(&certs, "web", PFX).await;
    let id1 = v1.resource_id().unwrap();
    assert_eq!(id1.name, "web");
    let version1 = id1.version.clone().unwrap();
    let cer1 = v1.cer.clone().unwrap();
    assert_eq!(cert_subject_cn(&cer1), "web.example");
    assert!(v1.kid.is_some() && v1.sid.is_some(), "{v1:?}");

    // Get latest.
    let latest = certs
        .get_certificate("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(latest.id, v1.id);
    assert_eq!(latest.cer.as_deref(), Some(cer1.as_slice()));
    let p = latest.policy.unwrap();
    assert_eq!(p.issuer_parameters.unwrap().name.as_deref(), Some("Self"));

    // The managed secret behind it: a password-less PFX with the key and the certificate.
    let secret = secrets
        .get_secret("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.content_type.as_deref(), Some(PFX));
    assert_eq!(secret.managed, Some(true));
    assert_eq!(secret.kid, v1.kid);
    let (key, chain) = read_pfx(&B64.decode(secret.value.unwrap()).unwrap(), "");
    assert_eq!(chain[0], cer1);
    assert_eq!(private_key_public_key(&key), cert_public_key(&cer1));

    // A second version; get by version; list versions.
    let v2 = create_self_signed(&certs, "web", PFX).await;
    let version2 = v2.resource_id().unwrap().version.unwrap();
    assert_ne!(version1, version2);
    let old = certs
        .get_certificate(
            "web",
            Some(CertificateClientGetCertificateOptions {
                certificate_version: Some(version1.clone()),
                ..Default::default()
            }),
        )
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(old.cer.as_deref(), Some(cer1.as_slice()));
    assert_eq!(
        old.resource_id().unwrap().version.as_deref(),
        Some(version1.as_str())
    );
    let latest = certs
        .get_certificate("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(latest.id, v2.id);

    let versions: Vec<_> = certs
        .list_certificate_properties_versions("web", None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut listed: Vec<String> = versions
        .iter()
        .map(|p| p.resource_id().unwrap().version.unwrap())
        .collect();
    listed.sort();
    let mut expected = vec![version1.clone(), version2.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    let all: Vec<_> = certs
        .list_certificate_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        all.iter().any(|p| p.resource_id().unwrap().name == "web"),
        "{all:?}"
    );

    // Update the latest version's tags; disable the old version.
    let params = UpdateCertificatePropertiesParameters {
        tags: Some(tags(&[("owner", "acilab")])),
        ..Default::default()
    };
    let updated = certs
        .update_certificate_properties("web", params.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(updated.tags, Some(tags(&[("owner", "acilab")])));
    assert_eq!(updated.id, v2.id);
    let params = UpdateCertificatePropertiesParameters {
        certificate_attributes: Some(CertificateAttributes {
            enabled: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let disabled = certs
        .update_certificate_properties(
            "web",
            params.try_into().unwrap(),
            Some(CertificateClientUpdateCertificatePropertiesOptions {
                certificate_version: Some(version1.clone()),
                ..Default::default()
            }),
        )
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(disabled.attributes.unwrap().enabled, Some(false));
    let latest = certs
        .get_certificate("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(latest.attributes.unwrap().enabled, Some(true));
    assert_eq!(latest.tags, Some(tags(&[("owner", "acilab")])));

    // Policy: get, then update (PATCH merges into the existing policy).
    let p = certs
        .get_certificate_policy("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(
        p.x509_certificate_properties.unwrap().subject.as_deref(),
        Some("CN=web.example")
    );
    assert_eq!(
        p.secret_properties.unwrap().content_type.as_deref(),
        Some(PFX)
    );
    assert!(p.id.unwrap().ends_with("/certificates/web/policy"));
    let patch = CertificatePolicy {
        secret_properties: Some(SecretProperties {
            content_type: Some(PEM.into()),
        }),
        ..Default::default()
    };
    let p = certs
        .update_certificate_policy("web", patch.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(
        p.secret_properties.unwrap().content_type.as_deref(),
        Some(PEM)
    );
    assert_eq!(p.issuer_parameters.unwrap().name.as_deref(), Some("Self"));
    assert_eq!(
        p.x509_certificate_properties.unwrap().subject.as_deref(),
        Some("CN=web.example")
    );
    let p = certs
        .get_certificate_policy("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(
        p.secret_properties.unwrap().content_type.as_deref(),
        Some(PEM)
    );

    // A version issued under the new policy has a PEM secret (key + certificate).
    let v3 = create_self_signed_with_current_policy(&certs, "web").await;
    let secret = secrets
        .get_secret("web", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.content_type.as_deref(), Some(PEM));
    let blocks = pem_blocks(&secret.value.unwrap());
    let key = blocks
        .iter()
        .find(|(l, _)| l.ends_with("PRIVATE KEY"))
        .unwrap();
    let cert = blocks.iter().find(|(l, _)| l == "CERTIFICATE").unwrap();
    assert_eq!(Some(&cert.1), v3.cer.as_ref());
    assert_eq!(private_key_public_key(&key.1), cert_public_key(&cert.1));
}

/// Creates a new version of an existing certificate with its stored policy (no policy in the
/// request, as Key Vault allows once the certificate exists).
async fn create_self_signed_with_current_policy(
    certs: &CertificateClient,
    name: &str,
) -> azure_security_keyvault_certificates::models::Certificate {
    let params = CreateCertificateParameters::default();
    certs
        .begin_create_certificate(name, params.try_into().unwrap(), poll_fast())
        .unwrap()
        .await
        .unwrap()
        .into_model()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_pending_csr_signed_elsewhere_then_merged() {
    let lab = Lab::start().await;
    let (certs, secrets) = lab.clients("admin", ADMIN);

    // Issuer "Unknown": the key stays in the vault, the operation stays pending with a CSR.
    let params = create_params(policy("Unknown", "merge.example", PEM));
    let mut poller = certs
        .begin_create_certificate("merged", params.try_into().unwrap(), poll_fast())
        .unwrap();
    let first = poller.next().await.unwrap().unwrap().into_model().unwrap();
    drop(poller);
    assert_eq!(first.status.as_deref(), Some("inProgress"), "{first:?}");
    assert!(first.csr.is_some());

    let op = certs
        .get_certificate_operation("merged", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(op.status.as_deref(), Some("inProgress"));
    assert!(
        op.id
            .as_deref()
            .unwrap()
            .ends_with("/certificates/merged/pending")
    );
    assert_eq!(
        op.issuer_parameters.unwrap().name.as_deref(),
        Some("Unknown")
    );
    let csr_der = op.csr.unwrap();
    assert_eq!(Some(&csr_der), first.csr.as_ref());

    // Sign the CSR with a test CA.
    let csr = CertificateSigningRequestParams::from_der(&csr_der.clone().into()).unwrap();
    let ca = test_ca();
    let leaf = csr.signed_by(&*ca).unwrap();
    assert_eq!(cert_subject_cn(leaf.der()), "merge.example");

    let merge = MergeCertificateParameters {
        x509_certificates: Some(vec![leaf.der().to_vec(), ca.der().to_vec()]),
        ..Default::default()
    };
    let merged = certs
        .merge_certificate("merged", merge.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(merged.cer.as_deref(), Some(&leaf.der()[..]));

    let op = certs
        .get_certificate_operation("merged", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(op.status.as_deref(), Some("completed"), "{op:?}");
    let got = certs
        .get_certificate("merged", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(got.cer.as_deref(), Some(&leaf.der()[..]));

    // The secret holds the vault's private key for the merged certificate, and the chain.
    let secret = secrets
        .get_secret("merged", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.content_type.as_deref(), Some(PEM));
    let blocks = pem_blocks(&secret.value.unwrap());
    let keys: Vec<_> = blocks
        .iter()
        .filter(|(l, _)| l.ends_with("PRIVATE KEY"))
        .collect();
    let chain: Vec<_> = blocks.iter().filter(|(l, _)| l == "CERTIFICATE").collect();
    assert_eq!(keys.len(), 1, "{blocks:?}");
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].1, leaf.der().to_vec());
    assert_eq!(chain[1].1, ca.der().to_vec());
    assert_eq!(
        private_key_public_key(&keys[0].1),
        cert_public_key(leaf.der())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_operation_cancel_and_delete() {
    let lab = Lab::start().await;
    let (certs, _) = lab.clients("admin", ADMIN);

    let params = create_params(policy("Unknown", "cancel.example", PFX));
    let mut poller = certs
        .begin_create_certificate("cancelme", params.try_into().unwrap(), poll_fast())
        .unwrap();
    poller.next().await.unwrap().unwrap();
    drop(poller);

    let cancel = UpdateCertificateOperationParameter {
        cancellation_requested: Some(true),
    };
    let op = certs
        .update_certificate_operation("cancelme", cancel.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(op.cancellation_requested, Some(true), "{op:?}");
    let op = certs
        .get_certificate_operation("cancelme", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(op.cancellation_requested, Some(true));

    let deleted = certs
        .delete_certificate_operation("cancelme", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert!(
        deleted
            .id
            .unwrap()
            .ends_with("/certificates/cancelme/pending")
    );
    let err = certs
        .get_certificate_operation("cancelme", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_pfx_with_password_and_pem() {
    let lab = Lab::start().await;
    let (certs, secrets) = lab.clients("admin", ADMIN);

    // PFX with an RSA key, password protected.
    let rsa_key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let rsa_pkcs8 = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&rsa_key).unwrap();
    let key = KeyPair::try_from(rsa_pkcs8.as_bytes()).unwrap();
    let cert = CertificateParams::new(vec!["pfx.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let bytes = pfx(rsa_pkcs8.as_bytes(), &[cert.der()], "s3cret");
    let params = ImportCertificateParameters {
        base64_encoded_certificate: Some(B64.encode(&bytes)),
        password: Some("s3cret".into()),
        certificate_policy: Some(CertificatePolicy {
            secret_properties: Some(SecretProperties {
                content_type: Some(PFX.into()),
            }),
            ..Default::default()
        }),
        tags: Some(tags(&[("source", "pfx")])),
        ..Default::default()
    };
    let imported = certs
        .import_certificate("from-pfx", params.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(imported.cer.as_deref(), Some(&cert.der()[..]));
    assert_eq!(imported.tags, Some(tags(&[("source", "pfx")])));
    let got = certs
        .get_certificate("from-pfx", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(got.cer.as_deref(), Some(&cert.der()[..]));
    let secret = secrets
        .get_secret("from-pfx", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.content_type.as_deref(), Some(PFX));
    let (k, chain) = read_pfx(&B64.decode(secret.value.unwrap()).unwrap(), "");
    assert_eq!(chain[0], cert.der().to_vec());
    assert_eq!(private_key_public_key(&k), key.public_key_raw().to_vec());

    // PEM (key + certificate) with an EC key.
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["pem.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = format!("{}{}", key.serialize_pem(), cert.pem());
    let params = ImportCertificateParameters {
        base64_encoded_certificate: Some(pem),
        certificate_policy: Some(CertificatePolicy {
            key_properties: Some(KeyProperties {
                key_type: Some(KeyType::Ec),
                curve: Some(CurveName::P256),
                exportable: Some(true),
                ..Default::default()
            }),
            secret_properties: Some(SecretProperties {
                content_type: Some(PEM.into()),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let imported = certs
        .import_certificate("from-pem", params.try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(imported.cer.as_deref(), Some(&cert.der()[..]));
    let secret = secrets
        .get_secret("from-pem", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.content_type.as_deref(), Some(PEM));
    let blocks = pem_blocks(&secret.value.unwrap());
    let k = blocks
        .iter()
        .find(|(l, _)| l.ends_with("PRIVATE KEY"))
        .unwrap();
    let c = blocks.iter().find(|(l, _)| l == "CERTIFICATE").unwrap();
    assert_eq!(c.1, cert.der().to_vec());
    assert_eq!(private_key_public_key(&k.1), key.public_key_raw().to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_delete_recover_purge() {
    let lab = Lab::start().await;
    let (certs, secrets) = lab.clients("admin", ADMIN);
    let created = create_self_signed(&certs, "gone", PFX).await;

    let deleted = certs
        .delete_certificate("gone", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert!(
        deleted
            .recovery_id
            .as_deref()
            .unwrap()
            .ends_with("/deletedcertificates/gone")
    );
    assert!(deleted.deleted_date.is_some() && deleted.scheduled_purge_date.is_some());
    assert_eq!(deleted.cer, created.cer);
    let err = certs.get_certificate("gone", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404));

    let got = eventually("get deleted certificate", || {
        certs.get_deleted_certificate("gone", None)
    })
    .await
    .into_model()
    .unwrap();
    assert_eq!(got.cer, created.cer);
    let listed: Vec<_> = certs
        .list_deleted_certificate_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        listed.iter().any(|d| d
            .recovery_id
            .as_deref()
            .is_some_and(|r| r.ends_with("/gone"))),
        "{listed:?}"
    );

    let recovered = certs
        .recover_deleted_certificate("gone", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(recovered.cer, created.cer);
    let back = eventually("get recovered certificate", || {
        certs.get_certificate("gone", None)
    })
    .await
    .into_model()
    .unwrap();
    assert_eq!(back.id, created.id);
    eventually("get recovered secret", || secrets.get_secret("gone", None)).await;

    certs.delete_certificate("gone", None).await.unwrap();
    eventually("get deleted certificate again", || {
        certs.get_deleted_certificate("gone", None)
    })
    .await;
    certs.purge_deleted_certificate("gone", None).await.unwrap();
    eventually_gone("purged certificate", || {
        certs.get_deleted_certificate("gone", None)
    })
    .await;
    let err = certs.get_certificate("gone", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_certificate_appears_after_the_configured_delay() {
    let lab = Lab::start().await;
    let (certs, _) = lab.clients("admin", ADMIN);
    create_self_signed(&certs, "slow", PFX).await;
    lab.admin_post("keyvault/delete-delay", json!({"seconds": 2}))
        .await;

    let start = Instant::now();
    certs.delete_certificate("slow", None).await.unwrap();
    let err = certs
        .get_deleted_certificate("slow", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
    eventually("deleted certificate after the delay", || {
        certs.get_deleted_certificate("slow", None)
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_set_get_versions_update_delete_recover_purge() {
    let lab = Lab::start().await;
    let (_, secrets) = lab.clients("admin", ADMIN);

    let set = |value: &str| SetSecretParameters {
        value: Some(value.into()),
        content_type: Some("text/plain".into()),
        tags: Some(tags(&[("app", "acilab")])),
        ..Default::default()
    };
    let s1 = secrets
        .set_secret("db-password", set("one").try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(s1.value.as_deref(), Some("one"));
    assert_eq!(s1.content_type.as_deref(), Some("text/plain"));
    assert_eq!(s1.tags, Some(tags(&[("app", "acilab")])));
    let version1 = s1.resource_id().unwrap().version.unwrap();
    let s2 = secrets
        .set_secret("db-password", set("two").try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    let version2 = s2.resource_id().unwrap().version.unwrap();
    assert_ne!(version1, version2);

    let latest = secrets
        .get_secret("db-password", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(latest.value.as_deref(), Some("two"));
    assert_eq!(latest.id, s2.id);
    let old = secrets
        .get_secret(
            "db-password",
            Some(SecretClientGetSecretOptions {
                secret_version: Some(version1.clone()),
                ..Default::default()
            }),
        )
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(old.value.as_deref(), Some("one"));

    let versions: Vec<_> = secrets
        .list_secret_properties_versions("db-password", None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let all: Vec<_> = secrets
        .list_secret_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        all.iter()
            .any(|p| p.resource_id().unwrap().name == "db-password"),
        "{all:?}"
    );

    let update = UpdateSecretPropertiesParameters {
        content_type: Some("application/json".into()),
        secret_attributes: Some(SecretAttributes {
            enabled: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let updated = secrets
        .update_secret_properties(
            "db-password",
            update.try_into().unwrap(),
            Some(SecretClientUpdateSecretPropertiesOptions {
                secret_version: Some(version1.clone()),
                ..Default::default()
            }),
        )
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(updated.content_type.as_deref(), Some("application/json"));
    assert_eq!(updated.attributes.unwrap().enabled, Some(false));
    assert!(
        updated.value.is_none(),
        "an update does not return the value"
    );
    // A disabled version's value cannot be read any more; the other version still can.
    let err = secrets
        .get_secret(
            "db-password",
            Some(SecretClientGetSecretOptions {
                secret_version: Some(version1.clone()),
                ..Default::default()
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(403), "{err:?}");
    assert_eq!(error_code_of(&err).as_deref(), Some("Forbidden"));
    let latest = secrets
        .get_secret("db-password", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(latest.value.as_deref(), Some("two"));

    let deleted = secrets
        .delete_secret("db-password", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert!(
        deleted
            .recovery_id
            .as_deref()
            .unwrap()
            .ends_with("/deletedsecrets/db-password")
    );
    assert!(deleted.deleted_date.is_some() && deleted.scheduled_purge_date.is_some());
    let err = secrets.get_secret("db-password", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404));
    assert_eq!(error_code_of(&err).as_deref(), Some("SecretNotFound"));

    let got = eventually("get deleted secret", || {
        secrets.get_deleted_secret("db-password", None)
    })
    .await
    .into_model()
    .unwrap();
    assert_eq!(got.id, s2.id);
    let listed: Vec<_> = secrets
        .list_deleted_secret_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");

    secrets
        .recover_deleted_secret("db-password", None)
        .await
        .unwrap();
    let back = eventually("get recovered secret", || {
        secrets.get_secret("db-password", None)
    })
    .await
    .into_model()
    .unwrap();
    assert_eq!(back.value.as_deref(), Some("two"));

    secrets.delete_secret("db-password", None).await.unwrap();
    eventually("get deleted secret again", || {
        secrets.get_deleted_secret("db-password", None)
    })
    .await;
    secrets
        .purge_deleted_secret("db-password", None)
        .await
        .unwrap();
    eventually_gone("purged secret", || {
        secrets.get_deleted_secret("db-password", None)
    })
    .await;
    let err = secrets.get_secret("db-password", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_role_is_forbidden() {
    let lab = Lab::start().await;
    let (admin_certs, admin_secrets) = lab.clients("admin", ADMIN);
    create_self_signed(&admin_certs, "web", PFX).await;
    let set = SetSecretParameters {
        value: Some("v".into()),
        ..Default::default()
    };
    admin_secrets
        .set_secret("plain", set.clone().try_into().unwrap(), None)
        .await
        .unwrap();

    let assert_forbidden = |what: &str, err: azure_core::Error| {
        assert_eq!(status_of(&err), Some(403), "{what}: {err:?}");
        assert_eq!(error_code_of(&err).as_deref(), Some("Forbidden"), "{what}");
    };

    // Secrets User: may read secrets, nothing else.
    let (certs, secrets) = lab.clients("reader-of-secrets", &["Key Vault Secrets User"]);
    secrets.get_secret("plain", None).await.unwrap();
    let err = secrets
        .set_secret("plain", set.clone().try_into().unwrap(), None)
        .await
        .unwrap_err();
    assert_forbidden("Secrets User sets a secret", err);
    let err = certs.get_certificate("web", None).await.unwrap_err();
    assert_forbidden("Secrets User reads a certificate", err);

    // Contributor has no Key Vault data actions at all.
    let (certs, secrets) = lab.clients("contributor", &["Contributor"]);
    let err = secrets.get_secret("plain", None).await.unwrap_err();
    assert_forbidden("Contributor reads a secret", err);
    let err = certs.get_certificate("web", None).await.unwrap_err();
    assert_forbidden("Contributor reads a certificate", err);

    // Certificates Officer: manages certificates, but may not read their secret (key) part.
    let (certs, secrets) = lab.clients("cert-officer", &["Key Vault Certificates Officer"]);
    certs.get_certificate("web", None).await.unwrap();
    let err = secrets.get_secret("web", None).await.unwrap_err();
    assert_forbidden("Certificates Officer reads a certificate's secret", err);

    // No role at all.
    let (_, secrets) = lab.clients("nobody", &[]);
    let err = secrets.get_secret("plain", None).await.unwrap_err();
    assert_forbidden("no role reads a secret", err);

    // Reader's `*/read` is a control-plane action: no data access either.
    let (certs, secrets) = lab.clients("reader", &["Reader"]);
    let err = certs.get_certificate("web", None).await.unwrap_err();
    assert_forbidden("Reader reads a certificate", err);
    let err = secrets.get_secret("plain", None).await.unwrap_err();
    assert_forbidden("Reader reads a secret", err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_objects_are_not_found() {
    let lab = Lab::start().await;
    let (certs, secrets) = lab.clients("admin", ADMIN);

    let err = certs.get_certificate("nope", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
    assert_eq!(error_code_of(&err).as_deref(), Some("CertificateNotFound"));
    let err = certs
        .get_certificate_policy("nope", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
    let err = certs
        .get_certificate_operation("nope", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
    let err = certs
        .get_deleted_certificate("nope", None)
        .await
        .unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
    let err = secrets.get_secret("nope", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
    assert_eq!(error_code_of(&err).as_deref(), Some("SecretNotFound"));
    let err = secrets.get_deleted_secret("nope", None).await.unwrap_err();
    assert_eq!(status_of(&err), Some(404), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_get_certificate_is_retried_after_retry_after() {
    let lab = Lab::start().await;
    let (certs, _) = lab.clients("admin", ADMIN);
    let created = create_self_signed(&certs, "busy", PFX).await;

    lab.admin_post(
        "faults",
        json!({"operation": "KeyVault.GetCertificate", "status": 429, "retry_after": 1, "times": 2}),
    )
    .await;
    let before = lab.counter("KeyVault.GetCertificate");
    let start = Instant::now();
    let got = certs
        .get_certificate("busy", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(got.id, created.id);
    let seen = lab.counter("KeyVault.GetCertificate") - before;
    assert!(seen >= 3, "the emulator saw {seen} GetCertificate requests");
    assert!(
        elapsed >= Duration::from_millis(1800),
        "two Retry-After: 1 waits, but the call took {elapsed:?}"
    );
    let counters = lab.admin_get("counters").await;
    assert_eq!(
        counters["KeyVault.GetCertificate"].as_u64(),
        Some(lab.counter("KeyVault.GetCertificate"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_is_a_credential_error() {
    let lab = Lab::start().await;
    lab.principal("admin", ADMIN);
    let cred = azure_client::client_secret_credential(
        &lab.cloud,
        &lab.transport,
        lab.emu.tenant_id(),
        "admin-client",
        "not-the-secret",
    )
    .unwrap();
    let secrets = lab.secret_client(cred);
    let err = secrets.get_secret("anything", None).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Credential), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_credential_with_an_assertion_closure() {
    let lab = Lab::start().await;
    let health = lab.admin_get("health").await;
    let issuer = health["oidc_issuer"].as_str().unwrap().to_string();
    let subject = "repo:acilab/acilab:ref:refs/heads/main";
    lab.emu
        .seed(seed(json!({
            "principals": [{
                "client_id": "gh-client",
                "object_id": "gh-object",
                "federated_credentials": [{"issuer": issuer, "subject": subject}],
            }],
            "role_assignments": [
                {"principal_id": "gh-object", "role": "Key Vault Secrets Officer", "scope": VAULT_ID},
            ],
        })))
        .unwrap();

    let assertion_for = |subject: &'static str| {
        let http = lab.transport.reqwest_client().clone();
        let url = format!("{}/oidc-token", lab.emu.admin_url());
        AssertionFn::new("emulator OIDC token", move || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let rsp: Value = http
                    .post(url)
                    .json(&json!({"subject": subject}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let token = rsp["value"].as_str().ok_or("no value in the answer")?;
                Ok::<_, BoxError>(token.to_string())
            }
        })
    };

    let cred = client_assertion_credential(
        &lab.cloud,
        &lab.transport,
        lab.emu.tenant_id(),
        "gh-client",
        assertion_for(subject),
    )
    .unwrap();
    let token = cred
        .get_token(&[&lab.cloud.resource_manager_scope()], None)
        .await
        .unwrap();
    assert!(!token.token.secret().is_empty());

    let secrets = lab.secret_client(cred);
    let set = SetSecretParameters {
        value: Some("from-github".into()),
        ..Default::default()
    };
    secrets
        .set_secret("ci", set.try_into().unwrap(), None)
        .await
        .unwrap();
    let got = secrets
        .get_secret("ci", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(got.value.as_deref(), Some("from-github"));

    // A token for another subject matches no federated credential.
    let wrong = client_assertion_credential(
        &lab.cloud,
        &lab.transport,
        lab.emu.tenant_id(),
        "gh-client",
        assertion_for("repo:someone/else:ref:refs/heads/main"),
    )
    .unwrap();
    let err = wrong
        .get_token(&[&lab.cloud.resource_manager_scope()], None)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Credential), "{err:?}");
}
