//! Managed-identity token endpoints on plain HTTP, as a container sees them: IMDS style
//! (`/metadata/identity/oauth2/token`, header `Metadata: true`) and App Service style
//! (`/msi/token`, header `X-IDENTITY-HEADER`). Both send `expires_on` as a string and
//! `token_type`, which the Azure SDKs require.

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ApiError, Flavor};
use crate::http::{Req, json};
use crate::state::ManagedIdentity;
use crate::{Inner, entra, faults, lock, state};

pub async fn handle(inner: &Inner, req: &Req) -> Response {
    let path = req.path();
    let imds = match path.as_str() {
        "/metadata/identity/oauth2/token" => true,
        "/msi/token" => false,
        _ => {
            return imds_err(StatusCode::NOT_FOUND, "not_found", "Not found").into_response();
        }
    };
    if let Err(e) = faults::observe(
        inner,
        "identity",
        "ManagedIdentity.Token",
        req.method.as_str(),
        &path,
        Flavor::Imds,
    )
    .await
    {
        return e.into_response();
    }
    match token(inner, req, imds) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn token(inner: &Inner, req: &Req, imds: bool) -> Result<Response, ApiError> {
    let bad = |msg: &str| imds_err(StatusCode::BAD_REQUEST, "invalid_request", msg);
    if req.method != axum::http::Method::GET {
        return Err(imds_err(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Not allowed",
        ));
    }
    if imds {
        if req.header("metadata") != Some("true") {
            return Err(bad("Required metadata header not specified"));
        }
    } else if req.header("x-identity-header") != Some(inner.identity_header.as_str()) {
        return Err(imds_err(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "X-IDENTITY-HEADER is missing or wrong",
        ));
    }
    if req.query("api-version").is_none() {
        return Err(bad("Required query variable 'api-version' is missing"));
    }
    if let Some(until) = *lock(&inner.identity_not_ready_until)
        && Instant::now() < until
    {
        // What a fresh container sees before its identity is wired up.
        return Err(imds_err(
            StatusCode::NOT_FOUND,
            "not_found",
            "Identity not found. The managed identity is not yet available for this container group.",
        ));
    }
    let resource = req
        .query("resource")
        .ok_or_else(|| bad("Required query variable 'resource' is missing"))?;
    let audience =
        entra::audience_for_scope(inner, &format!("{resource}/.default")).ok_or_else(|| {
            bad(&format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant."
            ))
        })?;
    let identity = select(inner, req)?;
    let tenant = inner.config.tenant_id.clone();
    let (token, exp) = entra::issue(
        inner,
        &audience,
        &identity.principal_id,
        &identity.client_id,
        &tenant,
    );
    let now = state::now();
    let body = if imds {
        json!({
            "access_token": token,
            "client_id": identity.client_id,
            "expires_in": (exp - now).to_string(),
            "expires_on": exp.to_string(),
            "ext_expires_in": (exp - now).to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        })
    } else {
        json!({
            "access_token": token,
            "expires_on": exp.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": identity.client_id,
        })
    };
    Ok(json(StatusCode::OK, body))
}

fn select(inner: &Inner, req: &Req) -> Result<ManagedIdentity, ApiError> {
    let st = lock(&inner.state);
    let all: Vec<&ManagedIdentity> = st.managed_identities.values().collect();
    let by = |f: &dyn Fn(&ManagedIdentity) -> bool| all.iter().find(|m| f(m)).map(|m| (*m).clone());
    let found = if let Some(id) = req.query("client_id") {
        by(&|m| m.client_id.eq_ignore_ascii_case(id))
    } else if let Some(id) = req.query("object_id").or(req.query("principal_id")) {
        by(&|m| m.principal_id.eq_ignore_ascii_case(id))
    } else if let Some(id) = req.query("msi_res_id").or(req.query("mi_res_id")) {
        by(&|m| m.resource_id.eq_ignore_ascii_case(id))
    } else if all.len() == 1 {
        Some(all[0].clone())
    } else {
        return Err(imds_err(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request",
        ));
    };
    found.ok_or_else(|| {
        imds_err(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        )
    })
}

fn imds_err(status: StatusCode, error: &str, description: &str) -> ApiError {
    ApiError::oauth(status, error, description).flavor(Flavor::Imds)
}
