//! Shared by the integration tests: an in-process emulator, our transport trusting its CA, the
//! emulator as a custom cloud, principals with roles, and the admin API.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use azure_client::{CloudEndpoints, HttpTransport, client_secret_credential};
use azure_emulator::{Config, Emulator, Seed};
use azure_identity::ClientSecretCredential;
use azure_security_keyvault_certificates::{CertificateClient, CertificateClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use serde_json::{Value, json};

pub const VAULT: &str = "kv1";
pub const VAULT_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.KeyVault/vaults/kv1";

pub struct Lab {
    pub emu: Emulator,
    pub transport: HttpTransport,
    pub cloud: CloudEndpoints,
}

pub fn seed(value: Value) -> Seed {
    serde_json::from_value(value).unwrap()
}

impl Lab {
    /// An emulator with one vault (`kv1`), our transport trusting its CA, and the emulator as
    /// a custom cloud.
    pub async fn start() -> Lab {
        let emu = Emulator::start(Config::default()).await.unwrap();
        emu.seed(seed(
            json!({"vaults": [{"name": VAULT, "resource_id": VAULT_ID}]}),
        ))
        .unwrap();
        let transport = HttpTransport::builder()
            .extra_ca_pem(emu.ca_pem())
            .unwrap()
            .build()
            .unwrap();
        let audience = emu
            .management_scope()
            .trim_end_matches(".default")
            .to_string();
        let cloud = CloudEndpoints::custom(
            &emu.login_url(),
            &emu.management_url(),
            &audience,
            &emu.keyvault_suffix(),
        )
        .unwrap();
        assert_eq!(cloud.vault_url(VAULT), emu.vault_url(VAULT));
        Lab {
            emu,
            transport,
            cloud,
        }
    }

    /// Seeds a service principal holding `roles` on the vault; returns (client id, object id).
    pub fn principal(&self, name: &str, roles: &[&str]) -> (String, String) {
        let client_id = format!("{name}-client");
        let object_id = format!("{name}-object");
        let assignments: Vec<Value> = roles
            .iter()
            .map(|r| json!({"principal_id": object_id, "role": r, "scope": VAULT_ID}))
            .collect();
        self.emu
            .seed(seed(json!({
                "principals": [{
                    "client_id": client_id,
                    "client_secret": format!("{name}-secret"),
                    "object_id": object_id,
                    "display_name": name,
                }],
                "role_assignments": assignments,
            })))
            .unwrap();
        (client_id, object_id)
    }

    /// A client-secret credential for a principal created by [`Lab::principal`].
    pub fn credential(&self, name: &str) -> Arc<ClientSecretCredential> {
        client_secret_credential(
            &self.cloud,
            &self.transport,
            self.emu.tenant_id(),
            &format!("{name}-client"),
            format!("{name}-secret"),
        )
        .unwrap()
    }

    pub fn certificate_client(
        &self,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
    ) -> CertificateClient {
        let options = CertificateClientOptions {
            client_options: self.cloud.client_options(&self.transport),
            ..CertificateClientOptions::default()
        };
        CertificateClient::new(&self.cloud.vault_url(VAULT), credential, Some(options)).unwrap()
    }

    pub fn secret_client(
        &self,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
    ) -> SecretClient {
        let options = SecretClientOptions {
            client_options: self.cloud.client_options(&self.transport),
            ..SecretClientOptions::default()
        };
        SecretClient::new(&self.cloud.vault_url(VAULT), credential, Some(options)).unwrap()
    }

    /// A principal with these roles and both Key Vault clients for it.
    pub fn clients(&self, name: &str, roles: &[&str]) -> (CertificateClient, SecretClient) {
        self.principal(name, roles);
        let cred = self.credential(name);
        (
            self.certificate_client(cred.clone()),
            self.secret_client(cred),
        )
    }

    /// `POST {admin}/{path}` with a JSON body; returns the JSON answer.
    pub async fn admin_post(&self, path: &str, body: Value) -> Value {
        let rsp = self
            .transport
            .reqwest_client()
            .post(format!("{}/{path}", self.emu.admin_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = rsp.status();
        let value: Value = rsp.json().await.unwrap();
        assert!(status.is_success(), "admin {path}: {status} {value}");
        value
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let rsp = self
            .transport
            .reqwest_client()
            .get(format!("{}/{path}", self.emu.admin_url()))
            .send()
            .await
            .unwrap();
        assert!(rsp.status().is_success(), "admin {path}: {}", rsp.status());
        rsp.json().await.unwrap()
    }

    pub fn counter(&self, op: &str) -> u64 {
        self.emu.counters().get(op).copied().unwrap_or(0)
    }
}

/// The HTTP status of an SDK error, if it is an HTTP error.
pub fn status_of(err: &azure_core::Error) -> Option<u16> {
    err.http_status().map(u16::from)
}

/// The service's error code of an SDK error (e.g. `CertificateNotFound`).
pub fn error_code_of(err: &azure_core::Error) -> Option<String> {
    match err.kind() {
        azure_core::error::ErrorKind::HttpResponse { error_code, .. } => error_code.clone(),
        _ => None,
    }
}
