//! Entra ID token endpoint: `POST /{tenant}/oauth2/v2.0/token`, client-credentials grant with a
//! client secret or a client assertion (federated credential, e.g. GitHub Actions OIDC).

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ApiError, Flavor};
use crate::http::{Req, json};
use crate::jwt::Claims;
use crate::{Inner, faults, lock, state};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Mints an access token for `audience`.
pub fn issue(
    inner: &Inner,
    audience: &str,
    object_id: &str,
    client_id: &str,
    tenant: &str,
) -> (String, u64) {
    let now = state::now();
    let exp = now + inner.config.token_lifetime.as_secs();
    let claims = Claims {
        aud: audience.to_string(),
        iss: format!("https://sts.windows.net/{tenant}/"),
        iat: now,
        nbf: now,
        exp,
        tid: tenant.to_string(),
        oid: object_id.to_string(),
        sub: object_id.to_string(),
        appid: client_id.to_string(),
    };
    (inner.signer.sign(&claims), exp)
}

/// Resources the emulator issues tokens for: its own ARM and Key Vault, Azure SQL (apps) and
/// the token-exchange audience.
pub fn audience_for_scope(inner: &Inner, scope: &str) -> Option<String> {
    let resource = scope
        .split_whitespace()
        .find(|s| s.ends_with("/.default"))?
        .trim_end_matches("/.default");
    let known = [
        inner.management_audience(),
        inner.vault_audience(),
        "https://database.windows.net/".to_string(),
        "api://AzureADTokenExchange".to_string(),
    ];
    known
        .iter()
        .find(|k| {
            k.trim_end_matches('/')
                .eq_ignore_ascii_case(resource.trim_end_matches('/'))
        })
        .cloned()
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    #[serde(default)]
    aud: serde_json::Value,
    exp: u64,
}

pub async fn handle(inner: &Inner, req: &Req) -> Response {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let tenant = match (&req.method, segs.as_slice()) {
        (&Method::POST, [tenant, "oauth2", "v2.0", "token"]) => tenant.to_string(),
        _ => {
            return ApiError::oauth(
                StatusCode::NOT_FOUND,
                "not_found",
                "AADSTS90000: unknown endpoint",
            )
            .into_response();
        }
    };
    if let Err(e) = faults::observe(
        inner,
        "login",
        "Entra.Token",
        "POST",
        &req.path(),
        Flavor::OAuth,
    )
    .await
    {
        return e.into_response();
    }
    match token(inner, req, &tenant) {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

fn token(inner: &Inner, req: &Req, tenant: &str) -> Result<Response, ApiError> {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let bad = |code: &str, msg: String| ApiError::oauth(StatusCode::BAD_REQUEST, code, msg);

    if !tenant.eq_ignore_ascii_case(&inner.config.tenant_id) {
        return Err(bad(
            "invalid_request",
            format!(
                "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    if field("grant_type") != Some("client_credentials") {
        return Err(bad(
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type. Only client_credentials is emulated.".into(),
        ));
    }
    let client_id = field("client_id").ok_or_else(|| {
        bad(
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'client_id'."
                .into(),
        )
    })?;
    let scope = field("scope").ok_or_else(|| {
        bad(
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'scope'.".into(),
        )
    })?;
    let audience = audience_for_scope(inner, scope).ok_or_else(|| {
        bad(
            "invalid_resource",
            format!("AADSTS500011: The resource principal named {scope} was not found in the tenant named {tenant}."),
        )
    })?;
    let principal = lock(&inner.state).principals.get(client_id).cloned().ok_or_else(|| {
        bad(
            "unauthorized_client",
            format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'."),
        )
    })?;

    if let Some(secret) = field("client_secret") {
        if principal.client_secret.as_deref() != Some(secret) {
            return Err(ApiError::oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                format!(
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            ));
        }
    } else if let Some(assertion) = field("client_assertion") {
        if field("client_assertion_type") != Some(ASSERTION_TYPE) {
            return Err(bad("invalid_request", "AADSTS50027: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.".into()));
        }
        verify_assertion(inner, &principal, assertion)?;
    } else {
        return Err(bad(
            "invalid_client",
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
        ));
    }

    let (token, exp) = issue(inner, &audience, &principal.object_id, client_id, tenant);
    let lifetime = exp.saturating_sub(state::now());
    Ok(json(
        StatusCode::OK,
        json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }),
    ))
}

fn verify_assertion(
    inner: &Inner,
    principal: &state::Principal,
    assertion: &str,
) -> Result<(), ApiError> {
    let invalid = |msg: String| ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_client", msg);
    let claims: AssertionClaims = crate::jwt::decode_unverified(assertion)
        .map_err(|_| invalid("AADSTS50027: JWT token is invalid or malformed.".into()))?;
    // Only the emulator's own OIDC issuer can be verified here; other issuers' keys are unknown.
    if claims.iss != inner.oidc_issuer()
        || inner.signer.verify::<AssertionClaims>(assertion).is_err()
    {
        return Err(invalid(format!(
            "AADSTS700211: No matching federated identity record found for presented assertion issuer '{}'.",
            claims.iss
        )));
    }
    if claims.exp <= state::now() {
        return Err(invalid(
            "AADSTS700024: Client assertion is not within its valid time range.".into(),
        ));
    }
    let auds: Vec<String> = match &claims.aud {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let matched = principal.federated_credentials.iter().any(|fc| {
        fc.issuer == claims.iss && fc.subject == claims.sub && auds.contains(&fc.audience)
    });
    if !matched {
        return Err(invalid(format!(
            "AADSTS700213: No matching federated identity record found for presented assertion subject '{}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
            claims.sub
        )));
    }
    Ok(())
}
