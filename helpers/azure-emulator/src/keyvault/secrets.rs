//! Secrets: set, get (including the PEM / PFX content behind a certificate), versions, update,
//! delete / recover / purge. Secrets behind certificates are managed: they cannot be set or
//! deleted directly.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{
    Ctx, Route, apply_attributes, attributes_json, being_deleted, deleted_conflict, kv_err, now_ms,
    page, tags_of,
};
use crate::error::{ApiError, ApiResult, Flavor};
use crate::http::{empty, json};
use crate::lock;
use crate::state::{Attributes, Deleted, Secret, SecretVersion, new_version, now};

fn not_found(name: &str) -> ApiError {
    kv_err(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        format!(
            "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    )
}

fn secret_json(base: &str, s: &Secret, v: &SecretVersion, with_value: bool) -> Value {
    let mut b = json!({
        "id": format!("{base}/secrets/{}/{}", s.name, v.version),
        "attributes": attributes_json(&v.attributes, true),
    });
    if with_value {
        b["value"] = json!(v.value);
    }
    let idx = s
        .versions
        .iter()
        .position(|x| x.version == v.version)
        .unwrap_or(0);
    if idx > 0 && !s.managed {
        b["previousVersion"] = json!(s.versions[idx - 1].version);
    }
    if let Some(ct) = &v.content_type {
        b["contentType"] = json!(ct);
    }
    if let Some(t) = &v.tags {
        b["tags"] = json!(t);
    }
    if s.managed {
        b["managed"] = json!(true);
        b["kid"] = json!(format!("{base}/keys/{}/{}", s.name, v.version));
    }
    b
}

fn item_json(base: &str, s: &Secret, v: &SecretVersion, versionless: bool) -> Value {
    let mut b = secret_json(base, s, v, false);
    if versionless {
        b["id"] = json!(format!("{base}/secrets/{}", s.name));
    }
    if let Some(o) = b.as_object_mut() {
        o.remove("kid");
    }
    b
}

fn deleted_json(base: &str, d: &Deleted<Secret>) -> Value {
    let s = &d.item;
    let mut b = match s.versions.last() {
        Some(v) => secret_json(base, s, v, false),
        None => json!({"id": format!("{base}/secrets/{}", s.name)}),
    };
    b["recoveryId"] = json!(format!("{base}/deletedsecrets/{}", s.name));
    b["deletedDate"] = json!(d.deleted_date);
    b["scheduledPurgeDate"] = json!(d.scheduled_purge_date);
    b
}

pub(crate) fn serve(ctx: &Ctx<'_>, route: &Route) -> ApiResult<Response> {
    let base = ctx.base;
    let body: Value = if ctx.req.body.is_empty() {
        json!({})
    } else {
        ctx.req.json(Flavor::KeyVault)?
    };
    let name = route.name.clone().unwrap_or_default();
    let key = name.to_ascii_lowercase();
    let delay_ms = lock(&ctx.inner.kv_delete_delay).as_millis();
    let mut st = lock(&ctx.inner.state);
    let vault = st
        .vaults
        .get_mut(ctx.vault)
        .ok_or_else(|| not_found(&name))?;
    let ok = |v: Value| Ok(json(StatusCode::OK, v));
    let deleted_not_found = || {
        kv_err(
            StatusCode::NOT_FOUND,
            "SecretNotFound",
            format!("Deleted Secret not found: {name}"),
        )
    };
    match route.op {
        "SetSecret" => {
            if let Some(d) = vault.deleted_secrets.get(&key) {
                return Err(if d.visible_from_ms > now_ms() {
                    being_deleted("Secret", &name)
                } else {
                    deleted_conflict("Secret", &name)
                });
            }
            let value = body
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    kv_err(
                        StatusCode::BAD_REQUEST,
                        "BadParameter",
                        "The parameter 'value' is required and must be a string.",
                    )
                })?
                .to_string();
            if value.len() > 25 * 1024 {
                return Err(kv_err(
                    StatusCode::BAD_REQUEST,
                    "BadParameter",
                    "A secret value cannot exceed 25 KB.",
                ));
            }
            if vault.secrets.get(&key).is_some_and(|s| s.managed) {
                return Err(kv_err(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!(
                        "Operation set is not allowed on a managed secret: {name}. Change the certificate instead."
                    ),
                ));
            }
            let t = now();
            let mut attributes = Attributes {
                enabled: true,
                nbf: None,
                exp: None,
                created: t,
                updated: t,
            };
            apply_attributes(&mut attributes, &body);
            let v = SecretVersion {
                version: new_version(),
                value,
                content_type: body
                    .get("contentType")
                    .and_then(Value::as_str)
                    .map(String::from),
                attributes,
                tags: tags_of(&body)?,
            };
            let s = vault.secrets.entry(key).or_insert_with(|| Secret {
                name: name.clone(),
                managed: false,
                versions: Vec::new(),
            });
            s.versions.push(v);
            let resp = secret_json(
                base,
                s,
                s.versions
                    .last()
                    .unwrap_or_else(|| unreachable!("just pushed")),
                true,
            );
            ok(resp)
        }
        "GetSecret" => {
            let s = vault.secrets.get(&key).ok_or_else(|| not_found(&name))?;
            let v = match &route.version {
                None => s.versions.last(),
                Some(ver) => s.versions.iter().find(|v| v.version == *ver),
            }
            .ok_or_else(|| not_found(&name))?;
            if !v.attributes.enabled {
                return Err(kv_err(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!("Operation get is not allowed on a disabled secret: {name}."),
                )
                .inner("SecretDisabled"));
            }
            ok(secret_json(base, s, v, true))
        }
        "UpdateSecret" => {
            let tags = tags_of(&body)?;
            let s = vault
                .secrets
                .get_mut(&key)
                .ok_or_else(|| not_found(&name))?;
            let ver = route.version.clone().unwrap_or_default();
            let idx = s
                .versions
                .iter()
                .position(|v| v.version == ver)
                .ok_or_else(|| not_found(&name))?;
            let v = &mut s.versions[idx];
            apply_attributes(&mut v.attributes, &body);
            if let Some(ct) = body.get("contentType").and_then(Value::as_str) {
                v.content_type = Some(ct.to_string());
            }
            if tags.is_some() {
                v.tags = tags;
            }
            v.attributes.updated = now();
            ok(secret_json(base, s, &s.versions[idx], false))
        }
        "GetSecretVersions" => {
            let s = vault.secrets.get(&key).ok_or_else(|| not_found(&name))?;
            let items = s
                .versions
                .iter()
                .map(|v| item_json(base, s, v, false))
                .collect();
            ok(page(ctx, items)?)
        }
        "GetSecrets" => {
            let items = vault
                .secrets
                .values()
                .filter_map(|s| s.versions.last().map(|v| item_json(base, s, v, true)))
                .collect();
            ok(page(ctx, items)?)
        }
        "DeleteSecret" => {
            if vault.secrets.get(&key).is_some_and(|s| s.managed) {
                return Err(kv_err(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!(
                        "Operation delete is not allowed on a managed secret: {name}. Delete the certificate instead."
                    ),
                ));
            }
            let s = vault.secrets.remove(&key).ok_or_else(|| not_found(&name))?;
            let t = now();
            let d = Deleted {
                item: s,
                deleted_date: t,
                scheduled_purge_date: t + vault.soft_delete_retention_days * 86_400,
                visible_from_ms: now_ms() + delay_ms,
            };
            let resp = deleted_json(base, &d);
            vault.deleted_secrets.insert(key, d);
            ok(resp)
        }
        "GetDeletedSecret" => {
            let d = vault
                .deleted_secrets
                .get(&key)
                .filter(|d| d.visible_from_ms <= now_ms())
                .ok_or_else(deleted_not_found)?;
            ok(deleted_json(base, d))
        }
        "GetDeletedSecrets" => {
            let items = vault
                .deleted_secrets
                .values()
                .filter(|d| d.visible_from_ms <= now_ms())
                .map(|d| deleted_json(base, d))
                .collect();
            ok(page(ctx, items)?)
        }
        "PurgeDeletedSecret" | "RecoverDeletedSecret" => {
            let d = vault
                .deleted_secrets
                .get(&key)
                .ok_or_else(deleted_not_found)?;
            if d.visible_from_ms > now_ms() {
                return Err(being_deleted("Secret", &name));
            }
            if d.item.managed {
                return Err(kv_err(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    format!(
                        "The secret {name} belongs to a certificate: recover or purge the certificate instead."
                    ),
                ));
            }
            let d = vault
                .deleted_secrets
                .remove(&key)
                .ok_or_else(deleted_not_found)?;
            if route.op == "PurgeDeletedSecret" {
                return Ok(empty(StatusCode::NO_CONTENT));
            }
            let s = d.item;
            let resp = match s.versions.last() {
                Some(v) => secret_json(base, &s, v, false),
                None => json!({"id": format!("{base}/secrets/{}", s.name)}),
            };
            vault.secrets.insert(key, s);
            ok(resp)
        }
        _ => Err(kv_err(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Unknown secret operation.",
        )),
    }
}
