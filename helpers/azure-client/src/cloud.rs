//! Which Azure cloud to talk to: the Entra authority, Azure Resource Manager and its token
//! audience, and the Key Vault DNS suffix. Azure public cloud, or any custom cloud such as the
//! emulator (`https://login.azure.localhost:8443`, …).

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::http::ClientOptions;
use url::Url;

use crate::error::{Error, Result};
use crate::transport::HttpTransport;

const PUBLIC_AUTHORITY_HOST: &str = "https://login.microsoftonline.com/";
const PUBLIC_RESOURCE_MANAGER: &str = "https://management.azure.com/";
const PUBLIC_RESOURCE_MANAGER_AUDIENCE: &str = "https://management.core.windows.net/";
const PUBLIC_KEYVAULT_SUFFIX: &str = "vault.azure.net";

/// Endpoints of one Azure cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com/`.
    pub authority_host: Url,
    /// Azure Resource Manager endpoint, e.g. `https://management.azure.com/`.
    pub resource_manager: Url,
    /// Audience of ARM tokens, e.g. `https://management.core.windows.net/`.
    pub resource_manager_audience: String,
    /// DNS suffix of vaults, optionally with a port: `vault.azure.net`, `vault.azure.localhost:8443`.
    pub keyvault_suffix: String,
}

impl CloudEndpoints {
    /// Azure public cloud.
    pub fn azure_public() -> Self {
        // Constants, checked by the unit tests below.
        let url = |s: &str| Url::parse(s).expect("valid constant URL");
        Self {
            authority_host: url(PUBLIC_AUTHORITY_HOST),
            resource_manager: url(PUBLIC_RESOURCE_MANAGER),
            resource_manager_audience: PUBLIC_RESOURCE_MANAGER_AUDIENCE.to_string(),
            keyvault_suffix: PUBLIC_KEYVAULT_SUFFIX.to_string(),
        }
    }

    /// A custom cloud. Both URLs must use https (azure_identity refuses anything else for
    /// bearer tokens). A leading dot on `keyvault_suffix` is dropped.
    pub fn custom(
        authority_host: &str,
        resource_manager: &str,
        resource_manager_audience: &str,
        keyvault_suffix: &str,
    ) -> Result<Self> {
        Ok(Self {
            authority_host: https_url("authority host", authority_host)?,
            resource_manager: https_url("resource manager", resource_manager)?,
            resource_manager_audience: resource_manager_audience.to_string(),
            keyvault_suffix: keyvault_suffix.trim_start_matches('.').to_string(),
        })
    }

    /// Scope to request ARM tokens for: `<audience>/.default`.
    pub fn resource_manager_scope(&self) -> String {
        let audience = self.resource_manager_audience.trim_end_matches('/');
        format!("{audience}/.default")
    }

    /// URL of a vault: `https://<name>.<keyvault_suffix>/`.
    pub fn vault_url(&self, vault_name: &str) -> String {
        format!(
            "https://{}.{}/",
            vault_name.to_ascii_lowercase(),
            self.keyvault_suffix
        )
    }

    /// This cloud for azure_core (what azure_identity reads the authority host from).
    pub fn cloud_configuration(&self) -> CloudConfiguration {
        let mut custom = CustomConfiguration::default();
        custom.authority_host = self.authority_host.to_string();
        custom.into()
    }

    /// [`ClientOptions`] for this cloud sending through `transport`.
    pub fn client_options(&self, transport: &HttpTransport) -> ClientOptions {
        ClientOptions {
            cloud: Some(Arc::new(self.cloud_configuration())),
            ..transport.client_options()
        }
    }
}

fn https_url(what: &'static str, value: &str) -> Result<Url> {
    let url = Url::parse(value).map_err(|source| Error::Url {
        what,
        value: value.to_string(),
        source,
    })?;
    if url.scheme() != "https" {
        return Err(Error::NotHttps {
            what,
            value: value.to_string(),
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn azure_public_cloud() {
        let c = CloudEndpoints::azure_public();
        assert_eq!(
            c.authority_host.as_str(),
            "https://login.microsoftonline.com/"
        );
        assert_eq!(c.resource_manager.as_str(), "https://management.azure.com/");
        assert_eq!(
            c.resource_manager_scope(),
            "https://management.core.windows.net/.default"
        );
        assert_eq!(c.vault_url("MyVault"), "https://myvault.vault.azure.net/");
        let CloudConfiguration::Custom(custom) = c.cloud_configuration() else {
            panic!("expected a custom cloud configuration");
        };
        assert_eq!(custom.authority_host, "https://login.microsoftonline.com/");
    }

    #[test]
    fn custom_cloud() {
        let c = CloudEndpoints::custom(
            "https://login.azure.localhost:8443",
            "https://management.azure.localhost:8443",
            "https://management.azure.localhost/",
            ".vault.azure.localhost:8443",
        )
        .unwrap();
        assert_eq!(
            c.resource_manager_scope(),
            "https://management.azure.localhost/.default"
        );
        assert_eq!(
            c.vault_url("kv1"),
            "https://kv1.vault.azure.localhost:8443/"
        );
        assert_eq!(
            c.authority_host.as_str(),
            "https://login.azure.localhost:8443/"
        );
    }

    #[test]
    fn custom_cloud_needs_https() {
        let err = CloudEndpoints::custom("http://login.local", "https://m", "a", "v").unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotHttps {
                    what: "authority host",
                    ..
                }
            ),
            "{err}"
        );
        let err = CloudEndpoints::custom("https://login.local", "not a url", "a", "v").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Url {
                    what: "resource manager",
                    ..
                }
            ),
            "{err}"
        );
    }
}
