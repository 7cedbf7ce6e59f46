//! Key Vault data plane on `<vault>.vault.<domain>`: certificates and secrets, the 401 challenge,
//! RBAC data actions, soft delete with an optional eventual-consistency window.

mod certs;
mod secrets;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, Flavor};
use crate::http::Req;
use crate::state::Attributes;
use crate::{Inner, auth, faults, lock};

const API_VERSIONS: &[&str] = &[
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "2025-07-01",
    "2026-03-01-preview",
    "2026-04-01",
];

/// One Key Vault operation, named as in the REST spec (operationId).
#[derive(Debug)]
pub(crate) struct Route {
    pub op: &'static str,
    /// RBAC data action.
    pub action: &'static str,
    pub name: Option<String>,
    pub version: Option<String>,
}

const C: &str = "Microsoft.KeyVault/vaults/certificates";
const S: &str = "Microsoft.KeyVault/vaults/secrets";

fn route(req: &Req) -> Option<Route> {
    let s: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let m = &req.method;
    let r = |op, action, name: Option<&str>, version: Option<&str>| {
        Some(Route {
            op,
            action,
            name: name.map(String::from),
            version: version.filter(|v| !v.is_empty()).map(String::from),
        })
    };
    match (s.as_slice(), m) {
        (["certificates"] | ["certificates", ""], &Method::GET) => r(
            "GetCertificates",
            "Microsoft.KeyVault/vaults/certificates/read",
            None,
            None,
        ),
        (["certificates", n, "create"], &Method::POST) => r(
            "CreateCertificate",
            "Microsoft.KeyVault/vaults/certificates/create/action",
            Some(n),
            None,
        ),
        (["certificates", n, "import"], &Method::POST) => r(
            "ImportCertificate",
            "Microsoft.KeyVault/vaults/certificates/import/action",
            Some(n),
            None,
        ),
        (["certificates", n, "pending"], &Method::GET) => r(
            "GetCertificateOperation",
            "Microsoft.KeyVault/vaults/certificates/read",
            Some(n),
            None,
        ),
        (["certificates", n, "pending"], &Method::PATCH) => r(
            "UpdateCertificateOperation",
            "Microsoft.KeyVault/vaults/certificates/update/action",
            Some(n),
            None,
        ),
        (["certificates", n, "pending"], &Method::DELETE) => r(
            "DeleteCertificateOperation",
            "Microsoft.KeyVault/vaults/certificates/update/action",
            Some(n),
            None,
        ),
        (["certificates", n, "pending", "merge"], &Method::POST) => r(
            "MergeCertificate",
            "Microsoft.KeyVault/vaults/certificates/update/action",
            Some(n),
            None,
        ),
        (["certificates", n, "policy"], &Method::GET) => r(
            "GetCertificatePolicy",
            "Microsoft.KeyVault/vaults/certificates/read",
            Some(n),
            None,
        ),
        (["certificates", n, "policy"], &Method::PATCH) => r(
            "UpdateCertificatePolicy",
            "Microsoft.KeyVault/vaults/certificates/update/action",
            Some(n),
            None,
        ),
        (["certificates", n, "versions"], &Method::GET) => r(
            "GetCertificateVersions",
            "Microsoft.KeyVault/vaults/certificates/read",
            Some(n),
            None,
        ),
        (["certificates", n], &Method::DELETE) => r(
            "DeleteCertificate",
            "Microsoft.KeyVault/vaults/certificates/delete",
            Some(n),
            None,
        ),
        (["certificates", n] | ["certificates", n, ""], &Method::GET) => r(
            "GetCertificate",
            "Microsoft.KeyVault/vaults/certificates/read",
            Some(n),
            None,
        ),
        (["certificates", n, v], &Method::GET) => r(
            "GetCertificate",
            "Microsoft.KeyVault/vaults/certificates/read",
            Some(n),
            Some(v),
        ),
        (["certificates", n] | ["certificates", n, ""], &Method::PATCH) => r(
            "UpdateCertificate",
            "Microsoft.KeyVault/vaults/certificates/update/action",
            Some(n),
            None,
        ),
        (["certificates", n, v], &Method::PATCH) => r(
            "UpdateCertificate",
            "Microsoft.KeyVault/vaults/certificates/update/action",
            Some(n),
            Some(v),
        ),
        (["deletedcertificates"], &Method::GET) => r(
            "GetDeletedCertificates",
            "Microsoft.KeyVault/vaults/certificates/read",
            None,
            None,
        ),
        (["deletedcertificates", n], &Method::GET) => r(
            "GetDeletedCertificate",
            "Microsoft.KeyVault/vaults/certificates/read",
            Some(n),
            None,
        ),
        (["deletedcertificates", n], &Method::DELETE) => r(
            "PurgeDeletedCertificate",
            "Microsoft.KeyVault/vaults/certificates/purge/action",
            Some(n),
            None,
        ),
        (["deletedcertificates", n, "recover"], &Method::POST) => r(
            "RecoverDeletedCertificate",
            "Microsoft.KeyVault/vaults/certificates/recover/action",
            Some(n),
            None,
        ),
        (["secrets"] | ["secrets", ""], &Method::GET) => r(
            "GetSecrets",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            None,
            None,
        ),
        (["secrets", n] | ["secrets", n, ""], &Method::PUT) => r(
            "SetSecret",
            "Microsoft.KeyVault/vaults/secrets/setSecret/action",
            Some(n),
            None,
        ),
        (["secrets", n], &Method::DELETE) => r(
            "DeleteSecret",
            "Microsoft.KeyVault/vaults/secrets/delete",
            Some(n),
            None,
        ),
        (["secrets", n, "versions"], &Method::GET) => r(
            "GetSecretVersions",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            Some(n),
            None,
        ),
        (["secrets", n] | ["secrets", n, ""], &Method::GET) => r(
            "GetSecret",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            Some(n),
            None,
        ),
        (["secrets", n, v], &Method::GET) => r(
            "GetSecret",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            Some(n),
            Some(v),
        ),
        (["secrets", n, v], &Method::PATCH) => r(
            "UpdateSecret",
            "Microsoft.KeyVault/vaults/secrets/update/action",
            Some(n),
            Some(v),
        ),
        (["deletedsecrets"], &Method::GET) => r(
            "GetDeletedSecrets",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            None,
            None,
        ),
        (["deletedsecrets", n], &Method::GET) => r(
            "GetDeletedSecret",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            Some(n),
            None,
        ),
        (["deletedsecrets", n], &Method::DELETE) => r(
            "PurgeDeletedSecret",
            "Microsoft.KeyVault/vaults/secrets/purge/action",
            Some(n),
            None,
        ),
        (["deletedsecrets", n, "recover"], &Method::POST) => r(
            "RecoverDeletedSecret",
            "Microsoft.KeyVault/vaults/secrets/recover/action",
            Some(n),
            None,
        ),
        _ => None,
    }
}

pub async fn handle(inner: &Inner, req: &Req, vault: &str) -> Response {
    match serve(inner, req, vault).await {
        Ok(r) => r,
        Err(e) => e.flavor(Flavor::KeyVault).into_response(),
    }
}

fn valid_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

async fn serve(inner: &Inner, req: &Req, vault: &str) -> ApiResult<Response> {
    let (tenant, resource_id) = {
        let st = lock(&inner.state);
        let v = st.vaults.get(vault).ok_or_else(|| {
            ApiError::kv(
                StatusCode::NOT_FOUND,
                "VaultNotFound",
                format!("The vault '{vault}' does not exist in the emulator (seed it through the admin API)."),
            )
        })?;
        (v.tenant_id.clone(), v.resource_id.clone())
    };
    let route = route(req).ok_or_else(|| {
        ApiError::kv(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "No Key Vault operation matches '{} {}'.",
                req.method,
                req.path()
            ),
        )
    })?;
    let op = format!("KeyVault.{}", route.op);
    let op: &'static str = OPS
        .iter()
        .find(|o| **o == op)
        .copied()
        .unwrap_or("KeyVault.Unknown");
    faults::observe(
        inner,
        "keyvault",
        op,
        req.method.as_str(),
        &req.path(),
        Flavor::KeyVault,
    )
    .await?;
    let caller = auth::kv_caller(inner, req, &tenant)?;
    match req.query("api-version") {
        None => {
            return Err(ApiError::kv(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                "The api-version query parameter is missing.",
            ));
        }
        Some(v) if !API_VERSIONS.contains(&v) => {
            return Err(ApiError::kv(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                format!(
                    "The specified version ({v}) is not recognized. Consider using the latest supported version (2025-07-01)."
                ),
            ));
        }
        Some(_) => {}
    }
    if let Some(n) = &route.name
        && !valid_name(n)
    {
        return Err(ApiError::kv(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            format!(
                "The request URI contains an invalid name: {n}. Names may contain only 0-9, a-z, A-Z and '-', up to 127 characters."
            ),
        ));
    }
    auth::kv_authorize(inner, &caller, route.action, &resource_id)?;
    let base = inner.vault_url(vault);
    let ctx = Ctx {
        inner,
        req,
        vault,
        base: &base,
    };
    if route.action.starts_with(C) {
        certs::serve(&ctx, &route)
    } else {
        debug_assert!(route.action.starts_with(S));
        secrets::serve(&ctx, &route)
    }
}

const OPS: &[&str] = &[
    "KeyVault.GetCertificates",
    "KeyVault.CreateCertificate",
    "KeyVault.ImportCertificate",
    "KeyVault.GetCertificateOperation",
    "KeyVault.UpdateCertificateOperation",
    "KeyVault.DeleteCertificateOperation",
    "KeyVault.MergeCertificate",
    "KeyVault.GetCertificatePolicy",
    "KeyVault.UpdateCertificatePolicy",
    "KeyVault.GetCertificateVersions",
    "KeyVault.DeleteCertificate",
    "KeyVault.GetCertificate",
    "KeyVault.UpdateCertificate",
    "KeyVault.GetDeletedCertificates",
    "KeyVault.GetDeletedCertificate",
    "KeyVault.PurgeDeletedCertificate",
    "KeyVault.RecoverDeletedCertificate",
    "KeyVault.GetSecrets",
    "KeyVault.SetSecret",
    "KeyVault.DeleteSecret",
    "KeyVault.GetSecretVersions",
    "KeyVault.GetSecret",
    "KeyVault.UpdateSecret",
    "KeyVault.GetDeletedSecrets",
    "KeyVault.GetDeletedSecret",
    "KeyVault.PurgeDeletedSecret",
    "KeyVault.RecoverDeletedSecret",
];

/// What certificate and secret handlers share.
pub(crate) struct Ctx<'a> {
    pub inner: &'a Inner,
    pub req: &'a Req,
    pub vault: &'a str,
    /// `https://<vault>.vault.<domain>:<port>`
    pub base: &'a str,
}

pub(crate) fn kv_err(status: StatusCode, code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::kv(status, code, msg)
}

pub(crate) fn attributes_json(a: &Attributes, recovery: bool) -> Value {
    let mut v = json!({"enabled": a.enabled, "created": a.created, "updated": a.updated});
    if let Some(nbf) = a.nbf {
        v["nbf"] = json!(nbf);
    }
    if let Some(exp) = a.exp {
        v["exp"] = json!(exp);
    }
    if recovery {
        v["recoveryLevel"] = json!("Recoverable+Purgeable");
    }
    v
}

/// Applies `attributes` from a request body (`enabled`, `nbf`, `exp`).
pub(crate) fn apply_attributes(a: &mut Attributes, body: &Value) {
    if let Some(attrs) = body.get("attributes") {
        if let Some(e) = attrs.get("enabled").and_then(Value::as_bool) {
            a.enabled = e;
        }
        if let Some(n) = attrs.get("nbf").and_then(Value::as_u64) {
            a.nbf = Some(n);
        }
        if let Some(x) = attrs.get("exp").and_then(Value::as_u64) {
            a.exp = Some(x);
        }
    }
}

pub(crate) fn tags_of(
    body: &Value,
) -> ApiResult<Option<std::collections::BTreeMap<String, String>>> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(t) => serde_json::from_value(t.clone()).map(Some).map_err(|_| {
            kv_err(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                "tags must map strings to strings.",
            )
        }),
    }
}

/// Key Vault paging: `maxresults` (1–25) and `$skiptoken`.
pub(crate) fn page(ctx: &Ctx<'_>, items: Vec<Value>) -> ApiResult<Value> {
    let req = ctx.req;
    let max = match req.query("maxresults") {
        None => 25,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=25).contains(n))
            .ok_or_else(|| {
                kv_err(
                    StatusCode::BAD_REQUEST,
                    "BadParameter",
                    "maxresults must be a number from 1 to 25.",
                )
            })?,
    };
    let skip: usize = req
        .query("$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(skip).take(max).collect();
    let next = if skip + max < total {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair(
            "api-version",
            req.query("api-version").unwrap_or("2025-07-01"),
        );
        q.append_pair("$skiptoken", &(skip + max).to_string());
        q.append_pair("maxresults", &max.to_string());
        json!(format!("{}{}?{}", ctx.base, req.path(), q.finish()))
    } else {
        Value::Null
    };
    Ok(json!({"value": value, "nextLink": next}))
}

/// Epoch ms now.
pub(crate) fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

pub(crate) fn being_deleted(kind: &str, name: &str) -> ApiError {
    kv_err(
        StatusCode::CONFLICT,
        "Conflict",
        format!("{kind} {name} is currently being deleted."),
    )
    .inner("ObjectIsBeingDeleted")
}

pub(crate) fn deleted_conflict(kind: &str, name: &str) -> ApiError {
    kv_err(
        StatusCode::CONFLICT,
        "Conflict",
        format!("{kind} {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the {} can only be recovered or purged.", kind.to_ascii_lowercase()),
    )
    .inner("ObjectIsDeletedButRecoverable")
}
