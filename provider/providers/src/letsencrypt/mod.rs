//! The `letsencrypt` provider: certificates from an ACME CA whose key is generated and kept in
//! Key Vault. It shares the Azure configuration with `aci`.

pub mod acme;
pub mod dns;
pub mod keyvault_cert;

use async_trait::async_trait;
use tfplugin6::{Diagnostics, Provider, Resource, Schema, Value};

use crate::azure::{self, AzureClients};

#[derive(Debug, Default)]
pub struct LetsEncryptProvider;

#[async_trait]
impl Provider for LetsEncryptProvider {
    type Client = AzureClients;

    fn name(&self) -> &'static str {
        "letsencrypt"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "Let's Encrypt (or any ACME CA) certificates whose private key is generated inside Azure Key Vault. Authenticates like azurerm (ARM_* variables).",
            attributes: azure::provider_attributes(),
        }
    }

    fn resources(&self) -> Vec<Box<dyn Resource<AzureClients>>> {
        vec![Box::new(keyvault_cert::KeyVaultCert)]
    }

    async fn configure(
        &self,
        config: &Value,
        _terraform_version: &str,
    ) -> Result<AzureClients, Diagnostics> {
        azure::configure(config)
    }
}
