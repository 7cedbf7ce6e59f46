//! Entra ID token endpoint: `POST /{tenant}/oauth2/v2.0/token`, client-credentials grant with a
//! client secret or a client assertion (federated credential, e.g. GitHub Actions OIDC); and the
//! tenant's OpenID Connect discovery document `GET /{tenant}/v2.0/.well-known/openid-configuration`
//! that MSAL-based clients (the Azure CLI, azure-identity for Python) read before the token
//! request, with the `jwks_uri` it names.

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
        (&Method::GET, [tenant, "v2.0", ".well-known", "openid-configuration"]) => {
            return discovery(
                inner,
                req,
                tenant,
                "Entra.OpenIdConfiguration",
                openid_configuration,
            )
            .await;
        }
        (&Method::GET, [tenant, "discovery", "v2.0", "keys"]) => {
            return discovery(inner, req, tenant, "Entra.DiscoveryKeys", |_, _| {
                // The emulator signs its tokens with HS256 (a shared secret), so it publishes no
                // public keys: an empty JWK Set, in the shape Entra serves (`{"keys": [...]}`).
                json!({"keys": []})
            })
            .await;
        }
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

/// Serves a discovery document of the emulated tenant (GET, no authentication, like Entra).
async fn discovery(
    inner: &Inner,
    req: &Req,
    tenant: &str,
    operation: &str,
    body: impl FnOnce(&Inner, &str) -> serde_json::Value,
) -> Response {
    if let Err(e) =
        faults::observe(inner, "login", operation, "GET", &req.path(), Flavor::OAuth).await
    {
        return e.into_response();
    }
    if !tenant.eq_ignore_ascii_case(&inner.config.tenant_id) {
        return ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            format!(
                "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
        .into_response();
    }
    let mut resp = json(StatusCode::OK, body(inner, &inner.config.tenant_id));
    // Entra lets clients cache discovery documents for a day.
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("max-age=86400, private"),
    );
    resp
}

/// The v2.0 OpenID Connect discovery document of a tenant, field for field as Entra serves it
/// for a tenant id, with the emulator's login host in place of `login.microsoftonline.com`.
/// Microsoft Graph is not emulated, so its host names stay those of the public cloud.
fn openid_configuration(inner: &Inner, tenant: &str) -> serde_json::Value {
    let base = format!("{}/{tenant}", inner.login_url());
    json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
            "name", "tid", "ver", "at_hash", "c_hash", "email"
        ],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": "WW",
        "cloud_instance_name": inner.config.domain,
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })
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
