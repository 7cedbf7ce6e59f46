//! `azure_identity`'s `ManagedIdentityCredential` against the emulator's App-Service-style
//! endpoint. azure_identity 1.0 reads the endpoint only from `IDENTITY_ENDPOINT` /
//! `IDENTITY_HEADER`, and setting the environment of a running test process is `unsafe` (which
//! the workspace forbids) and would leak into other tests, so the parent test starts this test
//! binary again with those variables set and runs the ignored child test in it.
#![allow(clippy::unwrap_used)]

mod common;

use azure_client::{HttpTransport, managed_identity_credential};
use azure_core::credentials::TokenCredential;
use azure_identity::UserAssignedId;
use azure_security_keyvault_secrets::models::SetSecretParameters;
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use common::{Lab, VAULT, VAULT_ID, seed};

const CHILD: &str = "child_gets_a_token_and_reads_a_secret";
const MI_CLIENT_ID: &str = "mi-client";
const MI_OBJECT_ID: &str = "mi-object";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_identity_credential_gets_tokens_from_the_emulator() {
    let lab = Lab::start().await;
    lab.emu
        .seed(seed(json!({
            "managed_identities": [
                {
                    "client_id": MI_CLIENT_ID,
                    "principal_id": MI_OBJECT_ID,
                    "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi",
                },
                {
                    "client_id": "other-client",
                    "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other",
                },
            ],
            "role_assignments": [
                {"principal_id": MI_OBJECT_ID, "role": "Key Vault Secrets User", "scope": VAULT_ID},
            ],
        })))
        .unwrap();
    let (_, secrets) = lab.clients("admin", &["Key Vault Administrator"]);
    let set = SetSecretParameters {
        value: Some("for the identity".into()),
        ..Default::default()
    };
    secrets
        .set_secret("mi-secret", set.try_into().unwrap(), None)
        .await
        .unwrap();

    let (endpoint, header) = lab.emu.identity_endpoint();
    let out = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            CHILD,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("IDENTITY_ENDPOINT", endpoint)
        .env("IDENTITY_HEADER", header)
        .env("ACILAB_TEST_CA_PEM", lab.emu.ca_pem())
        .env("ACILAB_TEST_VAULT_URL", lab.cloud.vault_url(VAULT))
        .env("ACILAB_TEST_ARM_SCOPE", lab.cloud.resource_manager_scope())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}\n{stderr}"
    );
    assert!(
        lab.counter("ManagedIdentity.Token") >= 2,
        "{:?}",
        lab.emu.counters()
    );
}

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by managed_identity_credential_gets_tokens_from_the_emulator in a child process"]
async fn child_gets_a_token_and_reads_a_secret() {
    let var = |name: &str| std::env::var(name).unwrap();
    let transport = HttpTransport::builder()
        .extra_ca_pem(&var("ACILAB_TEST_CA_PEM"))
        .unwrap()
        .build()
        .unwrap();
    let credential = managed_identity_credential(
        &transport,
        Some(UserAssignedId::ClientId(MI_CLIENT_ID.into())),
    )
    .unwrap();

    // An ARM token for the chosen identity.
    let scope = var("ACILAB_TEST_ARM_SCOPE");
    let token = credential.get_token(&[&scope], None).await.unwrap();
    let claims = jwt_claims(token.token.secret());
    assert_eq!(claims["oid"], MI_OBJECT_ID, "{claims}");
    assert_eq!(
        claims["aud"].as_str().unwrap().trim_end_matches('/'),
        scope.trim_end_matches("/.default"),
        "{claims}"
    );

    // The Key Vault SDK with the managed identity: token for the vault's challenge resource.
    let options = SecretClientOptions {
        client_options: transport.client_options(),
        ..SecretClientOptions::default()
    };
    let secrets =
        SecretClient::new(&var("ACILAB_TEST_VAULT_URL"), credential, Some(options)).unwrap();
    let secret = secrets
        .get_secret("mi-secret", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(secret.value.as_deref(), Some("for the identity"));
}
