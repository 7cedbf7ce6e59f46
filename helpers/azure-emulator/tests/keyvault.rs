//! Key Vault over raw HTTP: the challenge, names, RBAC, pending certificate operations with a
//! key that never leaves the vault, merge checks, the secret behind a certificate, soft delete.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::Harness;
use reqwest::Method;
use serde_json::{Value, json};

const V: &str = "api-version=2025-07-01";

fn csr_signed_by_test_ca(csr_b64: &str, names: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let der = B64.decode(csr_b64).unwrap();
    let csr = rcgen::CertificateSigningRequestParams::from_der(&der.into()).unwrap();
    let sans: Vec<String> = csr
        .params
        .subject_alt_names
        .iter()
        .map(|s| match s {
            rcgen::SanType::DnsName(n) => n.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(sans, names);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = csr
        .signed_by(&rcgen::Issuer::new(ca_params, &ca_key))
        .unwrap();
    (leaf.der().to_vec(), ca.der().to_vec())
}

#[tokio::test]
async fn challenge_names_versions_and_rbac() {
    let h = Harness::start().await;
    let kv = h.emu.vault_url("kv1");
    let r = h
        .http
        .get(format!("{kv}certificates/c1/?{V}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"{}/{}\", resource=\"https://vault.{}\"",
            h.emu.login_url(),
            h.emu.tenant_id(),
            h.emu.domain()
        )
    );

    let t = h.vault_token().await;
    let arm = h.arm_token().await;
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/c1?{V}"),
            &arm,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 401);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10022")
    );
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/bad_name?{V}"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "BadParameter")
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid name: bad_name")
    );
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/c1?api-version=1999-01-01"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "BadParameter")
    );
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/c1?{V}"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (404, "CertificateNotFound")
    );
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{}certificates/c1?{V}", h.emu.vault_url("nope")),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (404, "VaultNotFound")
    );

    // Contributor alone has no data actions; Secrets User can read secrets but not certificates' writes.
    h.admin(Method::POST, "/seed", json!({
        "principals": [{"client_id": "reader", "client_secret": "x", "object_id": "o-reader"}],
        "role_assignments": [{"principal_id": "o-reader", "role": "Contributor", "scope": format!("/subscriptions/{}", common::SUB)}]
    })).await;
    let r = h
        .token_for(
            "reader",
            "x",
            &format!("https://vault.{}/.default", h.emu.domain()),
        )
        .await;
    let rt = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _, b) = h
        .call(Method::GET, &format!("{kv}secrets/any?{V}"), &rt, None, &[])
        .await;
    assert_eq!(
        (s, b["error"]["innererror"]["code"].as_str().unwrap()),
        (403, "ForbiddenByRbac")
    );
    h.admin(Method::POST, "/seed", json!({"role_assignments": [{"principal_id": "o-reader", "role": "Key Vault Secrets User", "scope": format!("/subscriptions/{}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1", common::SUB)}]})).await;
    assert_eq!(
        h.call(Method::GET, &format!("{kv}secrets/any?{V}"), &rt, None, &[])
            .await
            .0,
        404
    );
    let (s, _, _) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/c1/create?{V}"),
            &rt,
            Some(
                json!({"policy": {"issuer": {"name": "Self"}, "x509_props": {"subject": "CN=a"}}}),
            ),
            &[],
        )
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn key_generated_in_vault_csr_merge_and_secret_content() {
    let h = Harness::start().await;
    let kv = h.emu.vault_url("kv1");
    let t = h.vault_token().await;
    let create = json!({"policy": {
        "key_props": {"kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false},
        "secret_props": {"contentType": "application/x-pem-file"},
        "x509_props": {"subject": "CN=example.com", "sans": {"dns_names": ["example.com", "*.example.com"]}},
        "issuer": {"name": "Unknown"}
    }, "tags": {"owner": "acilab"}});
    let (s, _, op) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/create?{V}"),
            &t,
            Some(create.clone()),
            &[],
        )
        .await;
    assert_eq!(s, 202, "{op}");
    assert_eq!(op["status"], "inProgress");
    assert!(
        op["id"]
            .as_str()
            .unwrap()
            .ends_with("/certificates/wild/pending")
    );
    // A second create while one is pending is refused; no version exists yet.
    let (s, _, _) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/create?{V}"),
            &t,
            Some(create.clone()),
            &[],
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        h.call(
            Method::GET,
            &format!("{kv}certificates/wild?{V}"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        404
    );

    // A chain for another key is refused.
    let other = rcgen::KeyPair::generate().unwrap();
    let other_csr =
        rcgen::CertificateParams::new(vec!["example.com".to_string(), "*.example.com".to_string()])
            .unwrap()
            .serialize_request(&other)
            .unwrap();
    let (wrong, _) = csr_signed_by_test_ca(
        &B64.encode(other_csr.der()),
        &["example.com", "*.example.com"],
    );
    let (s, _, b) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/pending/merge?{V}"),
            &t,
            Some(json!({"x5c": [B64.encode(&wrong)]})),
            &[],
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("doesn't match")
    );

    let (leaf, ca) = csr_signed_by_test_ca(
        op["csr"].as_str().unwrap(),
        &["example.com", "*.example.com"],
    );
    let (s, _, bundle) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/pending/merge?{V}"),
            &t,
            Some(json!({"x5c": [B64.encode(&leaf), B64.encode(&ca)]})),
            &[],
        )
        .await;
    assert_eq!(s, 201, "{bundle}");
    assert_eq!(bundle["cer"], B64.encode(&leaf));
    assert_eq!(bundle["tags"], json!({"owner": "acilab"}));
    let version = bundle["id"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let (_, _, op) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/wild/pending?{V}"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(op["status"], "completed");

    // The secret holds the key generated in the vault, then the chain.
    let (s, _, secret) = h
        .call(
            Method::GET,
            &format!("{kv}secrets/wild/{version}?{V}"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(secret["contentType"], "application/x-pem-file");
    assert_eq!(secret["managed"], true);
    let pem = secret["value"].as_str().unwrap();
    let items: Vec<_> = rustls_pemfile::read_all(&mut pem.as_bytes())
        .map(|i| i.unwrap())
        .collect();
    assert_eq!(items.len(), 3);
    let rustls_pemfile::Item::Pkcs8Key(key) = &items[0] else {
        panic!("key first")
    };
    let kp = rcgen::KeyPair::try_from(key.secret_pkcs8_der()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    assert_eq!(
        rcgen::PublicKeyData::subject_public_key_info(&kp),
        cert.tbs_certificate.subject_pki.raw
    );
    let rustls_pemfile::Item::X509Certificate(c) = &items[1] else {
        panic!("leaf second")
    };
    assert_eq!(c.as_ref(), leaf.as_slice());

    // The managed secret cannot be changed or deleted directly.
    assert_eq!(
        h.call(
            Method::PUT,
            &format!("{kv}secrets/wild?{V}"),
            &t,
            Some(json!({"value": "x"})),
            &[]
        )
        .await
        .0,
        403
    );
    assert_eq!(
        h.call(
            Method::DELETE,
            &format!("{kv}secrets/wild?{V}"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        403
    );

    // Renewal: a new create reuses nothing and adds a version after merge; the old one stays.
    let (_, _, op2) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/create?{V}"),
            &t,
            Some(json!({})),
            &[],
        )
        .await;
    assert_ne!(op2["csr"], op["csr"]);
    // Cancel and delete the pending operation: nothing is left blocking a new create.
    let (s, _, cancelled) = h
        .call(
            Method::PATCH,
            &format!("{kv}certificates/wild/pending?{V}"),
            &t,
            Some(json!({"cancellation_requested": true})),
            &[],
        )
        .await;
    assert_eq!(
        (s, cancelled["status"].as_str().unwrap()),
        (200, "cancelled")
    );
    assert_eq!(
        h.call(
            Method::DELETE,
            &format!("{kv}certificates/wild/pending?{V}"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        h.call(
            Method::GET,
            &format!("{kv}certificates/wild/pending?{V}"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        404
    );
    let (_, _, op3) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/create?{V}"),
            &t,
            Some(json!({})),
            &[],
        )
        .await;
    let (leaf3, ca3) = csr_signed_by_test_ca(
        op3["csr"].as_str().unwrap(),
        &["example.com", "*.example.com"],
    );
    let (s, _, b3) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/wild/pending/merge?{V}"),
            &t,
            Some(json!({"x5c": [B64.encode(&leaf3), B64.encode(&ca3)]})),
            &[],
        )
        .await;
    assert_eq!(s, 201);
    let (_, _, versions) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/wild/versions?{V}&maxresults=1"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 1);
    assert!(versions["nextLink"].is_string());
    let (_, _, latest) = h
        .call(
            Method::GET,
            &format!("{kv}certificates/wild?{V}"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(latest["id"], b3["id"]);
    let (_, _, latest_secret) = h
        .call(Method::GET, &format!("{kv}secrets/wild?{V}"), &t, None, &[])
        .await;
    assert_ne!(latest_secret["value"], secret["value"]);

    // Soft delete takes the secret along; recover brings both back.
    let (s, _, deleted) = h
        .call(
            Method::DELETE,
            &format!("{kv}certificates/wild?{V}"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        deleted["recoveryId"]
            .as_str()
            .unwrap()
            .ends_with("/deletedcertificates/wild")
    );
    assert_eq!(
        h.call(Method::GET, &format!("{kv}secrets/wild?{V}"), &t, None, &[])
            .await
            .0,
        404
    );
    assert_eq!(
        h.call(
            Method::POST,
            &format!("{kv}certificates/wild/create?{V}"),
            &t,
            Some(create),
            &[]
        )
        .await
        .0,
        409
    );
    assert_eq!(
        h.call(
            Method::POST,
            &format!("{kv}deletedcertificates/wild/recover?{V}"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        h.call(Method::GET, &format!("{kv}secrets/wild?{V}"), &t, None, &[])
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn rsa_self_signed_pfx_and_pem_import() {
    let h = Harness::start().await;
    let kv = h.emu.vault_url("kv1");
    let t = h.vault_token().await;
    let (s, _, _) = h.call(Method::POST, &format!("{kv}certificates/self/create?{V}"), &t, Some(json!({"policy": {"key_props": {"kty": "RSA", "key_size": 3072}, "x509_props": {"subject": "CN=self.example"}, "issuer": {"name": "Self"}}})), &[]).await;
    assert_eq!(s, 202);
    let (_, _, secret) = h
        .call(Method::GET, &format!("{kv}secrets/self?{V}"), &t, None, &[])
        .await;
    assert_eq!(secret["contentType"], "application/x-pkcs12");
    let pfx = B64.decode(secret["value"].as_str().unwrap()).unwrap();
    let store =
        p12_keystore::KeyStore::from_pkcs12(&pfx, "", p12_keystore::Pkcs12ImportPolicy::Strict)
            .unwrap();
    let (_, chain) = store.private_key_chain().unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(chain.certs()[0].as_der()).unwrap();
    assert_eq!(cert.subject().to_string(), "CN=self.example");
    assert_eq!(cert.public_key().parsed().unwrap().key_size(), 3072);

    // Unsupported key sizes name the fix.
    let (s, _, b) = h.call(Method::POST, &format!("{kv}certificates/odd/create?{V}"), &t, Some(json!({"policy": {"key_props": {"kty": "RSA", "key_size": 1024}, "x509_props": {"subject": "CN=x"}, "issuer": {"name": "Self"}}})), &[]).await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2048, 3072 or 4096")
    );

    // PEM import keeps the PEM content type and orders the chain leaf first.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["pem.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = format!("{}{}", cert.pem(), key.serialize_pem());
    let (s, _, b) = h.call(Method::POST, &format!("{kv}certificates/pem/import?{V}"), &t, Some(json!({"value": pem, "policy": {"secret_props": {"contentType": "application/x-pem-file"}}})), &[]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["policy"]["x509_props"]["sans"]["dns_names"],
        json!(["pem.example"])
    );
    let (_, _, secret) = h
        .call(Method::GET, &format!("{kv}secrets/pem?{V}"), &t, None, &[])
        .await;
    assert!(
        secret["value"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    // Garbage is refused with a reason.
    let (s, _, b) = h
        .call(
            Method::POST,
            &format!("{kv}certificates/junk/import?{V}"),
            &t,
            Some(json!({"value": "bm90IGEgcGZ4", "pwd": "x"})),
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "BadParameter")
    );
}
