//! Provider configuration shared by both providers: Azure authentication the way azurerm users
//! already set it up (attributes or the same `ARM_*` variables) and the cloud's endpoints
//! (public, sovereign, or custom such as the local emulator — the same knobs for all).

use std::sync::Arc;

use azure_client::{ArmClient, AssertionFile, AssertionFn, CloudEndpoints, HttpTransport};
use azure_core::credentials::TokenCredential;
use tfplugin6::{Attribute, Diagnostic, Diagnostics, Mode, Type, Value};

/// The provider block's attributes (same for `aci` and `letsencrypt`).
pub fn provider_attributes() -> Vec<Attribute> {
    use Mode::Optional;
    vec![
        Attribute::new("environment", Type::String, Optional, "Azure cloud: `public` (default), `usgovernment`, `china`, or `custom` with the endpoint settings below. Env: `ARM_ENVIRONMENT`."),
        Attribute::new("tenant_id", Type::String, Optional, "Entra tenant id. Env: `ARM_TENANT_ID`."),
        Attribute::new("client_id", Type::String, Optional, "Client id of the service principal, or of the user-assigned managed identity. Env: `ARM_CLIENT_ID`."),
        Attribute::new("client_secret", Type::String, Optional, "Client secret of the service principal. Env: `ARM_CLIENT_SECRET`.").sensitive(),
        Attribute::new("use_oidc", Type::Bool, Optional, "Authenticate with a federated (OIDC) token: GitHub Actions, workload identity. Env: `ARM_USE_OIDC`."),
        Attribute::new("oidc_request_url", Type::String, Optional, "URL to request an ID token from (GitHub Actions). Env: `ARM_OIDC_REQUEST_URL`, `ACTIONS_ID_TOKEN_REQUEST_URL`."),
        Attribute::new("oidc_request_token", Type::String, Optional, "Bearer token for `oidc_request_url`. Env: `ARM_OIDC_REQUEST_TOKEN`, `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.").sensitive(),
        Attribute::new("oidc_token", Type::String, Optional, "An ID token to use as client assertion. Env: `ARM_OIDC_TOKEN`.").sensitive(),
        Attribute::new("oidc_token_file_path", Type::String, Optional, "File holding the ID token, read on every token request. Env: `ARM_OIDC_TOKEN_FILE_PATH`, `AZURE_FEDERATED_TOKEN_FILE`."),
        Attribute::new("use_msi", Type::Bool, Optional, "Authenticate with a managed identity (`client_id` selects a user-assigned one). Env: `ARM_USE_MSI`."),
        Attribute::new("use_cli", Type::Bool, Optional, "Authenticate with the Azure CLI's signed-in account (`az login`). Env: `ARM_USE_CLI`."),
        Attribute::new("authority_host", Type::String, Optional, "Entra authority host for `environment = \"custom\"`, e.g. `https://login.microsoftonline.com`. Env: `ARM_AUTHORITY_HOST`."),
        Attribute::new("resource_manager_endpoint", Type::String, Optional, "Resource Manager endpoint for `environment = \"custom\"`. Env: `ARM_RESOURCE_MANAGER_ENDPOINT`."),
        Attribute::new("resource_manager_audience", Type::String, Optional, "Token audience of the Resource Manager (default: its scheme and host, with `/`). Env: `ARM_RESOURCE_MANAGER_AUDIENCE`."),
        Attribute::new("key_vault_dns_suffix", Type::String, Optional, "Key Vault DNS suffix for `environment = \"custom\"`, e.g. `vault.azure.net`. Env: `ARM_KEY_VAULT_DNS_SUFFIX`."),
        Attribute::new("ca_bundle_file", Type::String, Optional, "Extra PEM CA certificates to trust (private clouds, the local emulator). Env: `ARM_CA_BUNDLE_FILE`."),
    ]
}

/// A setting from the configuration, else from the first of `envs` that is set.
fn setting(config: &Value, name: &str, envs: &[&str]) -> Option<String> {
    if let Some(s) = config.get(name).as_str() {
        return Some(s.to_string());
    }
    envs.iter()
        .find_map(|e| std::env::var(e).ok().filter(|v| !v.is_empty()))
}

fn flag(config: &Value, name: &str, env: &str) -> bool {
    match config.get(name).as_bool() {
        Some(b) => b,
        None => std::env::var(env).is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1"),
    }
}

fn error(attr: &str, summary: &str, detail: String) -> Diagnostics {
    Diagnostic::error(summary, detail).at(attr).into()
}

/// Everything a provider needs to call Azure.
#[derive(Debug, Clone)]
pub struct AzureClients {
    pub cloud: CloudEndpoints,
    pub transport: HttpTransport,
    pub credential: Arc<dyn TokenCredential>,
    pub arm: ArmClient,
}

fn cloud(config: &Value) -> Result<CloudEndpoints, Diagnostics> {
    let env =
        setting(config, "environment", &["ARM_ENVIRONMENT"]).unwrap_or_else(|| "public".into());
    let custom = |authority: Option<String>,
                  rm: Option<String>|
     -> Result<CloudEndpoints, Diagnostics> {
        let authority = authority.ok_or_else(|| error("authority_host", "Missing authority_host", "environment is \"custom\": set authority_host (or ARM_AUTHORITY_HOST) to the Entra login endpoint.".into()))?;
        let rm = rm.ok_or_else(|| error("resource_manager_endpoint", "Missing resource_manager_endpoint", "environment is \"custom\": set resource_manager_endpoint (or ARM_RESOURCE_MANAGER_ENDPOINT).".into()))?;
        let audience = setting(
            config,
            "resource_manager_audience",
            &["ARM_RESOURCE_MANAGER_AUDIENCE"],
        )
        .unwrap_or_else(|| {
            url::Url::parse(&rm)
                .ok()
                .and_then(|u| u.host_str().map(|h| format!("{}://{h}/", u.scheme())))
                .unwrap_or_default()
        });
        let kv = setting(
            config,
            "key_vault_dns_suffix",
            &["ARM_KEY_VAULT_DNS_SUFFIX"],
        )
        .unwrap_or_else(|| "vault.azure.net".into());
        CloudEndpoints::custom(&authority, &rm, &audience, &kv).map_err(|e| {
            error(
                "resource_manager_endpoint",
                "Invalid endpoint",
                e.to_string(),
            )
        })
    };
    match env.to_ascii_lowercase().as_str() {
        "public" => Ok(CloudEndpoints::azure_public()),
        "usgovernment" => custom(
            Some("https://login.microsoftonline.us".into()),
            Some("https://management.usgovcloudapi.net".into()),
        ),
        "china" => custom(
            Some("https://login.chinacloudapi.cn".into()),
            Some("https://management.chinacloudapi.cn".into()),
        ),
        "custom" => custom(
            setting(config, "authority_host", &["ARM_AUTHORITY_HOST"]),
            setting(
                config,
                "resource_manager_endpoint",
                &["ARM_RESOURCE_MANAGER_ENDPOINT"],
            ),
        ),
        other => Err(error(
            "environment",
            "Unknown environment",
            format!("environment is {other:?}: use public, usgovernment, china or custom."),
        )),
    }
}

/// Builds the credential and clients from the provider block and `ARM_*` variables. Exactly
/// one way to authenticate must be chosen; the error names the variables to set.
pub fn configure(config: &Value) -> Result<AzureClients, Diagnostics> {
    let cloud = cloud(config)?;
    let ca = setting(config, "ca_bundle_file", &["ARM_CA_BUNDLE_FILE"]);
    let transport = HttpTransport::new(ca.as_deref().map(std::path::Path::new))
        .map_err(|e| error("ca_bundle_file", "Cannot set up HTTPS", e.to_string()))?;
    let tenant = setting(config, "tenant_id", &["ARM_TENANT_ID"]);
    let client_id = setting(config, "client_id", &["ARM_CLIENT_ID"]);
    let secret = setting(config, "client_secret", &["ARM_CLIENT_SECRET"]);
    let oidc_token = setting(config, "oidc_token", &["ARM_OIDC_TOKEN"]);
    let oidc_file = setting(
        config,
        "oidc_token_file_path",
        &["ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"],
    );
    let oidc_url = setting(
        config,
        "oidc_request_url",
        &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
    );
    let oidc_req_token = setting(
        config,
        "oidc_request_token",
        &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
    );
    let use_oidc =
        flag(config, "use_oidc", "ARM_USE_OIDC") || oidc_token.is_some() || oidc_file.is_some();
    let use_msi = flag(config, "use_msi", "ARM_USE_MSI");
    let use_cli = flag(config, "use_cli", "ARM_USE_CLI");

    let chosen: Vec<&str> = [
        (secret.is_some(), "client_secret"),
        (use_oidc, "use_oidc"),
        (use_msi, "use_msi"),
        (use_cli, "use_cli"),
    ]
    .into_iter()
    .filter_map(|(on, n)| on.then_some(n))
    .collect();
    if chosen.len() > 1 {
        return Err(error(
            chosen[1],
            "Conflicting Azure authentication settings",
            format!(
                "{} are all set: choose one way to authenticate (unset the others, including their ARM_* variables).",
                chosen.join(", ")
            ),
        ));
    }
    let need = |attr: &str, v: Option<String>, env: &str, how: &str| {
        v.ok_or_else(|| {
            error(
                attr,
                &format!("Missing {attr}"),
                format!("{how} needs {attr}: set it in the provider block or {env}."),
            )
        })
    };
    let credential: Arc<dyn TokenCredential> = match chosen.first().copied() {
        Some("client_secret") => {
            let tenant = need("tenant_id", tenant, "ARM_TENANT_ID", "A client secret")?;
            let client = need("client_id", client_id, "ARM_CLIENT_ID", "A client secret")?;
            azure_client::client_secret_credential(
                &cloud,
                &transport,
                &tenant,
                &client,
                secret.unwrap_or_default(),
            )
            .map_err(|e| {
                error(
                    "client_secret",
                    "Invalid credential settings",
                    e.to_string(),
                )
            })?
        }
        Some("use_oidc") => {
            let tenant = need("tenant_id", tenant, "ARM_TENANT_ID", "OIDC")?;
            let client = need("client_id", client_id, "ARM_CLIENT_ID", "OIDC")?;
            let e = |err: azure_client::Error| {
                error("use_oidc", "Invalid OIDC settings", err.to_string())
            };
            if let Some(token) = oidc_token {
                let fetch = move || {
                    let t = token.clone();
                    async move { Ok::<_, azure_client::credentials::BoxError>(t) }
                };
                azure_client::client_assertion_credential(
                    &cloud,
                    &transport,
                    &tenant,
                    &client,
                    AssertionFn::new("ARM_OIDC_TOKEN", fetch),
                )
                .map_err(e)?
            } else if let Some(file) = oidc_file {
                azure_client::client_assertion_credential(
                    &cloud,
                    &transport,
                    &tenant,
                    &client,
                    AssertionFile::new(file),
                )
                .map_err(e)?
            } else {
                let url = need(
                    "oidc_request_url",
                    oidc_url,
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    "OIDC without a token",
                )?;
                let bearer = need(
                    "oidc_request_token",
                    oidc_req_token,
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                    "OIDC without a token",
                )?;
                let http = transport.reqwest_client().clone();
                let fetch = move || github_id_token(http.clone(), url.clone(), bearer.clone());
                azure_client::client_assertion_credential(
                    &cloud,
                    &transport,
                    &tenant,
                    &client,
                    AssertionFn::new("GitHub Actions ID token", fetch),
                )
                .map_err(e)?
            }
        }
        Some("use_msi") => azure_client::managed_identity_credential(
            &transport,
            client_id.map(azure_identity::UserAssignedId::ClientId),
        )
        .map_err(|e| {
            error(
                "use_msi",
                "Invalid managed identity settings",
                e.to_string(),
            )
        })?,
        Some(_) => {
            let options = azure_identity::AzureCliCredentialOptions {
                tenant_id: tenant,
                ..Default::default()
            };
            azure_identity::AzureCliCredential::new(Some(options))
                .map_err(|e| error("use_cli", "Cannot use the Azure CLI", e.to_string()))?
        }
        None => {
            return Err(Diagnostic::error(
                "No Azure credentials configured",
                "Set one of: ARM_CLIENT_ID + ARM_CLIENT_SECRET + ARM_TENANT_ID (service principal); ARM_USE_OIDC=true with ARM_CLIENT_ID and ARM_TENANT_ID (GitHub Actions / workload identity); ARM_USE_MSI=true (managed identity); ARM_USE_CLI=true (az login). The provider block accepts the same settings.",
            )
            .into());
        }
    };
    let arm = ArmClient::new(
        transport.reqwest_client().clone(),
        cloud.resource_manager.clone(),
        cloud.resource_manager_scope(),
        credential.clone(),
    );
    Ok(AzureClients {
        cloud,
        transport,
        credential,
        arm,
    })
}

/// GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange`.
async fn github_id_token(
    http: reqwest::Client,
    url: String,
    bearer: String,
) -> Result<String, azure_client::credentials::BoxError> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let resp = http
        .get(format!(
            "{url}{sep}audience=api%3A%2F%2FAzureADTokenExchange"
        ))
        .bearer_auth(bearer)
        .send()
        .await?
        .error_for_status()?;
    let body: serde_json::Value = resp.json().await?;
    body.get("value")
        .and_then(serde_json::Value::as_str)
        .map(String::from)
        .ok_or_else(|| "the ID token response has no 'value'".into())
}
