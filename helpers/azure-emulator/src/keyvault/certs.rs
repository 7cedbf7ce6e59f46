//! Certificates: create (issuer `Self` completes at once; `Unknown` stays pending with a CSR
//! until merge), import (PFX or PEM), get, versions, update, policy, delete / recover / purge.
//! Every certificate version has a managed secret of the same name and version holding the key
//! and chain, as Key Vault does.

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::{
    Ctx, Route, apply_attributes, attributes_json, being_deleted, deleted_conflict, kv_err, now_ms,
    page, tags_of,
};
use crate::error::{ApiResult, Flavor};
use crate::http::{empty, json};
use crate::kvcrypto::{self, CryptoError, KeySpec};
use crate::state::{
    Attributes, CertVersion, Certificate, Deleted, PendingOperation, Secret, SecretVersion, Vault,
    new_version, now,
};
use crate::{error::ApiError, lock};

const PEM: &str = "application/x-pem-file";
const PFX: &str = "application/x-pkcs12";

fn crypto(e: CryptoError) -> ApiError {
    match e {
        CryptoError::BadParameter(m) => kv_err(StatusCode::BAD_REQUEST, "BadParameter", m),
        CryptoError::Internal(m) => kv_err(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", m),
    }
}

fn not_found(name: &str) -> ApiError {
    kv_err(
        StatusCode::NOT_FOUND,
        "CertificateNotFound",
        format!(
            "A certificate with (name/id) {name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    )
}

fn version_not_found(name: &str, version: &str) -> ApiError {
    kv_err(
        StatusCode::NOT_FOUND,
        "CertificateNotFound",
        format!("A certificate with (name/id) {name}/{version} was not found in this key vault."),
    )
}

fn pending_not_found(name: &str) -> ApiError {
    kv_err(
        StatusCode::NOT_FOUND,
        "PendingCertificateNotFound",
        format!("Pending certificate not found: {name}"),
    )
}

/// Fills the defaults Key Vault applies to a policy.
fn normalize_policy(policy: &Value) -> Value {
    let mut p = json!({
        "key_props": {"exportable": true, "kty": "RSA", "key_size": 2048, "reuse_key": false},
        "secret_props": {"contentType": PFX},
        "x509_props": {"ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], "key_usage": ["digitalSignature", "keyEncipherment"], "validity_months": 12},
        "lifetime_actions": [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}],
        "issuer": {"name": "Unknown"},
    });
    merge(&mut p, policy);
    if let Some(kp) = p.get_mut("key_props").and_then(Value::as_object_mut)
        && kp
            .get("kty")
            .and_then(Value::as_str)
            .is_some_and(|k| k.starts_with("EC"))
    {
        kp.remove("key_size");
        kp.entry("crv").or_insert(json!("P-256"));
    }
    if let Some(o) = p.as_object_mut() {
        o.remove("id");
        o.remove("attributes");
    }
    p
}

/// JSON merge: objects merge recursively, anything else replaces.
fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

fn policy_json(base: &str, c: &Certificate) -> Value {
    let mut p = c.policy.clone();
    p["id"] = json!(format!("{base}/certificates/{}/policy", c.name));
    p["attributes"] =
        json!({"enabled": true, "created": c.policy_created, "updated": c.policy_updated});
    p
}

fn content_type(c: &Certificate) -> &str {
    c.policy
        .pointer("/secret_props/contentType")
        .and_then(Value::as_str)
        .unwrap_or(PFX)
}

/// Key Vault tells pollers when to come back (`Retry-After`) and where (`Location`). The
/// emulator asks for one second; Key Vault says ten.
fn poll_headers(mut resp: Response, location: Option<&str>) -> Response {
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    if let Some(l) = location.and_then(|l| axum::http::HeaderValue::from_str(l).ok()) {
        h.insert(axum::http::header::LOCATION, l);
    }
    resp
}

pub(crate) fn bundle(base: &str, c: &Certificate, v: &CertVersion) -> Value {
    let leaf = v.chain_der_b64.first().cloned().unwrap_or_default();
    let x5t = B64
        .decode(&leaf)
        .ok()
        .and_then(|der| kvcrypto::cert_info(&der).ok())
        .map(|i| i.x5t)
        .unwrap_or_default();
    let mut b = json!({
        "id": format!("{base}/certificates/{}/{}", c.name, v.version),
        "kid": format!("{base}/keys/{}/{}", c.name, v.version),
        "sid": format!("{base}/secrets/{}/{}", c.name, v.version),
        "x5t": x5t,
        "cer": leaf,
        "attributes": attributes_json(&v.attributes, true),
        "policy": policy_json(base, c),
    });
    if let Some(t) = &v.tags {
        b["tags"] = json!(t);
    }
    b
}

fn operation_json(base: &str, name: &str, op: &PendingOperation) -> Value {
    let mut o = json!({
        "id": format!("{base}/certificates/{name}/pending"),
        "issuer": op.issuer,
        "csr": op.csr_der_b64,
        "cancellation_requested": op.cancellation_requested,
        "status": op.status,
        "status_details": op.status_details,
        "request_id": op.request_id,
    });
    if op.target.is_some() {
        o["target"] = json!(format!("{base}/certificates/{name}"));
    }
    if let Some(e) = &op.error {
        o["error"] = e.clone();
    }
    o
}

/// Adds a certificate version and its managed secret.
fn add_version(
    vault: &mut Vault,
    name: &str,
    key: &[u8],
    chain: Vec<Vec<u8>>,
    enabled: bool,
    tags: Option<std::collections::BTreeMap<String, String>>,
) -> ApiResult<String> {
    let key_lower = name.to_ascii_lowercase();
    let leaf = kvcrypto::cert_info(chain.first().ok_or_else(|| {
        kv_err(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The certificate chain is empty.",
        )
    })?)
    .map_err(crypto)?;
    let cert = vault
        .certificates
        .get_mut(&key_lower)
        .ok_or_else(|| not_found(name))?;
    let version = new_version();
    let t = now();
    let attributes = Attributes {
        enabled,
        nbf: Some(leaf.not_before),
        exp: Some(leaf.not_after),
        created: t,
        updated: t,
    };
    let ct = content_type(cert).to_string();
    let value = if ct == PEM {
        kvcrypto::pem_bundle(key, &chain)
    } else {
        kvcrypto::pfx_base64(key, &chain).map_err(crypto)?
    };
    cert.versions.push(CertVersion {
        version: version.clone(),
        chain_der_b64: chain.iter().map(|c| B64.encode(c)).collect(),
        key_pkcs8_b64: B64.encode(key),
        attributes: attributes.clone(),
        tags: tags.clone(),
    });
    let secret = vault.secrets.entry(key_lower).or_insert_with(|| Secret {
        name: name.to_string(),
        managed: true,
        versions: Vec::new(),
    });
    secret.managed = true;
    secret.versions.push(SecretVersion {
        version: version.clone(),
        value,
        content_type: Some(ct),
        attributes,
        tags,
    });
    Ok(version)
}

/// The certificate `name`, created if new, with `policy` as its current policy.
fn with_policy<'v>(
    vault: &'v mut Vault,
    name: &str,
    policy: &Value,
    t: u64,
) -> &'v mut Certificate {
    let cert = vault
        .certificates
        .entry(name.to_ascii_lowercase())
        .or_insert_with(|| Certificate {
            name: name.to_string(),
            policy: policy.clone(),
            policy_created: t,
            policy_updated: t,
            versions: Vec::new(),
            pending: None,
        });
    cert.policy = policy.clone();
    cert.policy_updated = t;
    cert
}

fn live<'v>(vault: &'v mut Vault, name: &str) -> ApiResult<&'v mut Certificate> {
    vault
        .certificates
        .get_mut(&name.to_ascii_lowercase())
        .ok_or_else(|| not_found(name))
}

/// Refuses to reuse a name that is being deleted or is soft-deleted.
fn check_not_deleted(vault: &Vault, name: &str) -> ApiResult<()> {
    if let Some(d) = vault.deleted_certificates.get(&name.to_ascii_lowercase()) {
        return Err(if d.visible_from_ms > now_ms() {
            being_deleted("Certificate", name)
        } else {
            deleted_conflict("Certificate", name)
        });
    }
    Ok(())
}

fn deleted_json(base: &str, d: &Deleted<Certificate>) -> Value {
    let c = &d.item;
    let mut b = match c.versions.last() {
        Some(v) => bundle(base, c, v),
        None => {
            json!({"id": format!("{base}/certificates/{}", c.name), "policy": policy_json(base, c)})
        }
    };
    b["recoveryId"] = json!(format!("{base}/deletedcertificates/{}", c.name));
    b["deletedDate"] = json!(d.deleted_date);
    b["scheduledPurgeDate"] = json!(d.scheduled_purge_date);
    b
}

pub(crate) fn serve(ctx: &Ctx<'_>, route: &Route) -> ApiResult<Response> {
    let inner = ctx.inner;
    let base = ctx.base;
    let body: Value = if ctx.req.body.is_empty() {
        json!({})
    } else {
        ctx.req.json(Flavor::KeyVault)?
    };
    let name = route.name.clone().unwrap_or_default();
    let delay_ms = lock(&inner.kv_delete_delay).as_millis();
    let mut st = lock(&inner.state);
    let vault = st
        .vaults
        .get_mut(ctx.vault)
        .ok_or_else(|| not_found(&name))?;
    let ok = |v: Value| Ok(json(StatusCode::OK, v));
    match route.op {
        "CreateCertificate" => {
            check_not_deleted(vault, &name)?;
            let existing = vault.certificates.get(&name.to_ascii_lowercase());
            if let Some(op) = existing.and_then(|c| c.pending.as_ref())
                && op.status == "inProgress"
                && !op.cancellation_requested
            {
                return Err(kv_err(
                    StatusCode::CONFLICT,
                    "Conflict",
                    format!(
                        "There is already a pending certificate operation for {name}: complete it with merge, or cancel and delete it first."
                    ),
                ));
            }
            let policy = match (body.get("policy"), existing) {
                (Some(p), _) => normalize_policy(p),
                (None, Some(c)) => c.policy.clone(),
                (None, None) => {
                    return Err(kv_err(
                        StatusCode::BAD_REQUEST,
                        "BadParameter",
                        "Policy is required to create a new certificate.",
                    ));
                }
            };
            let spec = KeySpec::from_policy(policy.get("key_props")).map_err(crypto)?;
            let issuer = policy
                .get("issuer")
                .cloned()
                .unwrap_or(json!({"name": "Unknown"}));
            let issuer_name = issuer
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("Unknown")
                .to_string();
            if issuer_name != "Self" && issuer_name != "Unknown" {
                return Err(kv_err(
                    StatusCode::BAD_REQUEST,
                    "BadParameter",
                    format!(
                        "Issuer '{issuer_name}' is not configured in this vault; use 'Self' or 'Unknown'."
                    ),
                ));
            }
            let reuse = policy
                .pointer("/key_props/reuse_key")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let key = match existing.and_then(|c| c.versions.last()).filter(|_| reuse) {
                Some(v) => B64.decode(&v.key_pkcs8_b64).map_err(|e| {
                    kv_err(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalError",
                        e.to_string(),
                    )
                })?,
                None => kvcrypto::generate_key(spec).map_err(crypto)?,
            };
            let csr = kvcrypto::csr(&key, policy.get("x509_props")).map_err(crypto)?;
            let t = now();
            let tags = tags_of(&body)?;
            let enabled = body.pointer("/attributes/enabled").and_then(Value::as_bool);
            with_policy(vault, &name, &policy, t);
            let mut op = PendingOperation {
                request_id: uuid::Uuid::new_v4().simple().to_string(),
                issuer,
                csr_der_b64: B64.encode(&csr),
                key_pkcs8_b64: B64.encode(&key),
                status: "inProgress".into(),
                status_details: "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.".into(),
                cancellation_requested: false,
                error: None,
                tags: tags.clone(),
                enabled,
                target: None,
            };
            // The 202 always reports the operation in progress; a self-signed one completes
            // right after (as in Key Vault, where it finishes asynchronously within seconds).
            let resp = operation_json(base, &name, &op);
            if issuer_name == "Self" {
                let der = kvcrypto::self_signed(&key, policy.get("x509_props")).map_err(crypto)?;
                let version =
                    add_version(vault, &name, &key, vec![der], enabled.unwrap_or(true), tags)?;
                op.status = "completed".into();
                op.status_details = String::new();
                op.target = Some(version);
            }
            live(vault, &name)?.pending = Some(op);
            let location = format!(
                "{base}/certificates/{name}/pending?api-version={}",
                ctx.req.query("api-version").unwrap_or_default()
            );
            Ok(poll_headers(
                json(StatusCode::ACCEPTED, resp),
                Some(&location),
            ))
        }
        "GetCertificateOperation" | "UpdateCertificateOperation" | "DeleteCertificateOperation" => {
            let cert = live(vault, &name)?;
            let op = cert
                .pending
                .as_mut()
                .ok_or_else(|| pending_not_found(&name))?;
            if route.op == "UpdateCertificateOperation" {
                match body.get("cancellation_requested").and_then(Value::as_bool) {
                    Some(true) if op.status == "inProgress" => {
                        op.cancellation_requested = true;
                        op.status = "cancelled".into();
                        op.status_details = "The certificate operation was cancelled.".into();
                    }
                    Some(_) => {}
                    None => {
                        return Err(kv_err(
                            StatusCode::BAD_REQUEST,
                            "BadParameter",
                            "cancellation_requested is required.",
                        ));
                    }
                }
            }
            let in_progress = op.status == "inProgress";
            let resp = operation_json(base, &name, op);
            if route.op == "DeleteCertificateOperation" {
                cert.pending = None;
                // A certificate that never got a version disappears with its only operation.
                if cert.versions.is_empty() {
                    vault.certificates.remove(&name.to_ascii_lowercase());
                }
            }
            let resp = json(StatusCode::OK, resp);
            Ok(if in_progress && route.op == "GetCertificateOperation" {
                poll_headers(resp, None)
            } else {
                resp
            })
        }
        "MergeCertificate" => {
            let x5c: Vec<String> = body
                .get("x5c")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .ok_or_else(|| {
                    kv_err(
                        StatusCode::BAD_REQUEST,
                        "BadParameter",
                        "x5c must be a non-empty array of base64 DER certificates.",
                    )
                })?;
            let chain = x5c
                .iter()
                .map(|c| B64.decode(c.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    kv_err(
                        StatusCode::BAD_REQUEST,
                        "BadParameter",
                        "x5c entries must be base64-encoded DER certificates.",
                    )
                })?;
            let cert = live(vault, &name)?;
            let op = cert
                .pending
                .clone()
                .filter(|o| o.status == "inProgress")
                .ok_or_else(|| pending_not_found(&name))?;
            let key = B64.decode(&op.key_pkcs8_b64).map_err(|e| {
                kv_err(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    e.to_string(),
                )
            })?;
            let leaf = kvcrypto::cert_info(&chain[0]).map_err(crypto)?;
            if leaf.spki != kvcrypto::public_key_spki(&key).map_err(crypto)? {
                return Err(kv_err(
                    StatusCode::BAD_REQUEST,
                    "BadParameter",
                    "Public key from x509 certificate and key of this instance doesn't match",
                ));
            }
            let tags = tags_of(&body)?.or(op.tags.clone());
            let enabled = body
                .pointer("/attributes/enabled")
                .and_then(Value::as_bool)
                .or(op.enabled)
                .unwrap_or(true);
            let version = add_version(vault, &name, &key, chain, enabled, tags)?;
            let cert = live(vault, &name)?;
            if let Some(p) = cert.pending.as_mut() {
                p.status = "completed".into();
                p.status_details = String::new();
                p.target = Some(version.clone());
            }
            let v = cert
                .versions
                .iter()
                .find(|v| v.version == version)
                .ok_or_else(|| not_found(&name))?;
            Ok(json(StatusCode::CREATED, bundle(base, cert, v)))
        }
        "ImportCertificate" => {
            check_not_deleted(vault, &name)?;
            let value = body.get("value").and_then(Value::as_str).ok_or_else(|| {
                kv_err(
                    StatusCode::BAD_REQUEST,
                    "BadParameter",
                    "value is required.",
                )
            })?;
            let (key, chain) =
                kvcrypto::parse_import(value, body.get("pwd").and_then(Value::as_str))
                    .map_err(crypto)?;
            let info = kvcrypto::cert_info(&chain[0]).map_err(crypto)?;
            let t = now();
            let mut policy_in = body.get("policy").cloned().unwrap_or(json!({}));
            if policy_in.pointer("/secret_props/contentType").is_none() {
                let ct = if value.contains("-----BEGIN") {
                    PEM
                } else {
                    PFX
                };
                merge(
                    &mut policy_in,
                    &json!({"secret_props": {"contentType": ct}}),
                );
            }
            let mut derived = json!({"x509_props": {"subject": info.subject, "sans": {"dns_names": info.dns_names}}, "issuer": {"name": "Unknown"}});
            merge(&mut derived, &policy_in);
            let policy = normalize_policy(&derived);
            with_policy(vault, &name, &policy, t);
            let enabled = body
                .pointer("/attributes/enabled")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let version = add_version(vault, &name, &key, chain, enabled, tags_of(&body)?)?;
            let cert = live(vault, &name)?;
            let v = cert
                .versions
                .iter()
                .find(|v| v.version == version)
                .ok_or_else(|| not_found(&name))?;
            ok(bundle(base, cert, v))
        }
        "GetCertificate" => {
            let cert = live(vault, &name)?;
            let v = match &route.version {
                None => cert.versions.last().ok_or_else(|| not_found(&name))?,
                Some(ver) => cert
                    .versions
                    .iter()
                    .find(|v| v.version == *ver)
                    .ok_or_else(|| version_not_found(&name, ver))?,
            };
            ok(bundle(base, cert, v))
        }
        "UpdateCertificate" => {
            let tags = tags_of(&body)?;
            let cert = live(vault, &name)?;
            if let Some(p) = body.get("policy") {
                let mut merged = cert.policy.clone();
                merge(&mut merged, p);
                cert.policy = normalize_policy(&merged);
                cert.policy_updated = now();
            }
            let idx = match &route.version {
                None => cert
                    .versions
                    .len()
                    .checked_sub(1)
                    .ok_or_else(|| not_found(&name))?,
                Some(ver) => cert
                    .versions
                    .iter()
                    .position(|v| v.version == *ver)
                    .ok_or_else(|| version_not_found(&name, ver))?,
            };
            let v = &mut cert.versions[idx];
            apply_attributes(&mut v.attributes, &body);
            v.attributes.updated = now();
            if tags.is_some() {
                v.tags = tags;
            }
            let (version, attrs, tags) = (v.version.clone(), v.attributes.clone(), v.tags.clone());
            let resp = bundle(base, cert, &cert.versions[idx]);
            // The managed secret follows the certificate's attributes.
            if let Some(sv) = vault
                .secrets
                .get_mut(&name.to_ascii_lowercase())
                .and_then(|s| s.versions.iter_mut().find(|s| s.version == version))
            {
                sv.attributes = attrs;
                sv.tags = tags;
            }
            ok(resp)
        }
        "GetCertificatePolicy" => ok(policy_json(base, live(vault, &name)?)),
        "UpdateCertificatePolicy" => {
            let cert = live(vault, &name)?;
            let mut merged = cert.policy.clone();
            merge(&mut merged, &body);
            cert.policy = normalize_policy(&merged);
            cert.policy_updated = now();
            ok(policy_json(base, cert))
        }
        "GetCertificateVersions" => {
            let cert = live(vault, &name)?;
            let items = cert
                .versions
                .iter()
                .map(|v| {
                    let b = bundle(base, cert, v);
                    let mut item = json!({"id": b["id"], "x5t": b["x5t"], "attributes": attributes_json(&v.attributes, false)});
                    if let Some(t) = &v.tags {
                        item["tags"] = json!(t);
                    }
                    item
                })
                .collect();
            ok(page(ctx, items)?)
        }
        "GetCertificates" => {
            let items = vault
                .certificates
                .values()
                .filter_map(|c| c.versions.last().map(|v| (c, v)))
                .map(|(c, v)| {
                    let b = bundle(base, c, v);
                    let mut item = json!({"id": format!("{base}/certificates/{}", c.name), "x5t": b["x5t"], "attributes": attributes_json(&v.attributes, false)});
                    if let Some(t) = &v.tags {
                        item["tags"] = json!(t);
                    }
                    item
                })
                .collect();
            ok(page(ctx, items)?)
        }
        "DeleteCertificate" => {
            let key = name.to_ascii_lowercase();
            let mut cert = vault
                .certificates
                .remove(&key)
                .ok_or_else(|| not_found(&name))?;
            cert.pending = None;
            let t = now();
            let purge = t + vault.soft_delete_retention_days * 86_400;
            let visible_from_ms = now_ms() + delay_ms;
            if let Some(secret) = vault.secrets.remove(&key) {
                vault.deleted_secrets.insert(
                    key.clone(),
                    Deleted {
                        item: secret,
                        deleted_date: t,
                        scheduled_purge_date: purge,
                        visible_from_ms,
                    },
                );
            }
            let d = Deleted {
                item: cert,
                deleted_date: t,
                scheduled_purge_date: purge,
                visible_from_ms,
            };
            let resp = deleted_json(base, &d);
            vault.deleted_certificates.insert(key, d);
            ok(resp)
        }
        "GetDeletedCertificate" => {
            let d = vault
                .deleted_certificates
                .get(&name.to_ascii_lowercase())
                .filter(|d| d.visible_from_ms <= now_ms())
                .ok_or_else(|| {
                    kv_err(
                        StatusCode::NOT_FOUND,
                        "CertificateNotFound",
                        format!("Deleted Certificate not found: {name}"),
                    )
                })?;
            ok(deleted_json(base, d))
        }
        "GetDeletedCertificates" => {
            let items = vault
                .deleted_certificates
                .values()
                .filter(|d| d.visible_from_ms <= now_ms())
                .map(|d| {
                    let full = deleted_json(base, d);
                    json!({"id": format!("{base}/certificates/{}", d.item.name), "recoveryId": full["recoveryId"], "deletedDate": d.deleted_date, "scheduledPurgeDate": d.scheduled_purge_date, "x5t": full.get("x5t").cloned().unwrap_or(Value::Null), "attributes": full.get("attributes").cloned().unwrap_or(json!({}))})
                })
                .collect();
            ok(page(ctx, items)?)
        }
        "PurgeDeletedCertificate" | "RecoverDeletedCertificate" => {
            let key = name.to_ascii_lowercase();
            let d = vault.deleted_certificates.get(&key).ok_or_else(|| {
                kv_err(
                    StatusCode::NOT_FOUND,
                    "CertificateNotFound",
                    format!("Deleted Certificate not found: {name}"),
                )
            })?;
            if d.visible_from_ms > now_ms() {
                return Err(being_deleted("Certificate", &name));
            }
            let d = vault
                .deleted_certificates
                .remove(&key)
                .ok_or_else(|| not_found(&name))?;
            let secret = vault.deleted_secrets.remove(&key);
            if route.op == "PurgeDeletedCertificate" {
                return Ok(empty(StatusCode::NO_CONTENT));
            }
            if let Some(s) = secret {
                vault.secrets.insert(key.clone(), s.item);
            }
            let cert = d.item;
            let resp = match cert.versions.last() {
                Some(v) => bundle(base, &cert, v),
                None => {
                    json!({"id": format!("{base}/certificates/{}", cert.name), "policy": policy_json(base, &cert)})
                }
            };
            vault.certificates.insert(key, cert);
            ok(resp)
        }
        _ => Err(kv_err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Unknown certificate operation.",
        )),
    }
}
