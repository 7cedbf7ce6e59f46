//! Azure clients for the agent, from its configuration: one transport, one credential, an ARM
//! client and (for the certificate job) a Key Vault client.

use std::sync::Arc;

use azure_client::{
    ArmClient, AssertionFile, CloudEndpoints, HttpTransport, KeyVault, client_assertion_credential,
    client_secret_credential, managed_identity_credential,
};
use azure_core::credentials::TokenCredential;
use azure_identity::UserAssignedId;

use crate::config::{Config, Identity};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Client(#[from] azure_client::Error),
    #[error("cannot create the Key Vault client for {vault}: {message}")]
    KeyVault { vault: String, message: String },
}

#[derive(Debug)]
pub struct Clients {
    pub arm: ArmClient,
    pub vault: Option<KeyVault>,
}

pub fn clients(config: &Config) -> Result<Clients, SetupError> {
    let transport = HttpTransport::new(config.cloud.ca_bundle_file.as_deref())?;
    let cloud = CloudEndpoints::custom(
        config.cloud.authority_host.as_str(),
        config.cloud.resource_manager.as_str(),
        &config.cloud.resource_manager_audience,
        "vault.azure.net",
    )?;
    let credential: Arc<dyn TokenCredential> = match &config.identity {
        Identity::Managed { client_id } => managed_identity_credential(
            &transport,
            client_id.clone().map(UserAssignedId::ClientId),
        )?,
        Identity::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => client_secret_credential(&cloud, &transport, tenant_id, client_id, secret.clone())?,
        Identity::Federated {
            tenant_id,
            client_id,
            token_file,
        } => client_assertion_credential(
            &cloud,
            &transport,
            tenant_id,
            client_id,
            AssertionFile::new(token_file),
        )?,
    };
    let arm = ArmClient::new(
        transport.reqwest_client().clone(),
        cloud.resource_manager.clone(),
        cloud.resource_manager_scope(),
        credential.clone(),
    );
    let vault = match &config.cert {
        None => None,
        Some(c) => Some(
            KeyVault::new(&c.vault_url, credential, &transport).map_err(|e| {
                SetupError::KeyVault {
                    vault: c.vault_url.clone(),
                    message: e.to_string(),
                }
            })?,
        ),
    };
    Ok(Clients { arm, vault })
}
