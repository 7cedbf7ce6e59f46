//! Entra discovery: the tenant's v2.0 OpenID Connect configuration that MSAL-based clients (the
//! Azure CLI, azure-identity for Python) fetch before their token request, and its `jwks_uri`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::Harness;
use serde_json::{Value, json};

/// The keys of the document Entra serves for a tenant id (a recorded response of
/// `GET https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration`).
const ENTRA_KEYS: &[&str] = &[
    "token_endpoint",
    "token_endpoint_auth_methods_supported",
    "jwks_uri",
    "response_modes_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "response_types_supported",
    "scopes_supported",
    "issuer",
    "request_uri_parameter_supported",
    "userinfo_endpoint",
    "authorization_endpoint",
    "device_authorization_endpoint",
    "http_logout_supported",
    "frontchannel_logout_supported",
    "end_session_endpoint",
    "claims_supported",
    "kerberos_endpoint",
    "tenant_region_scope",
    "cloud_instance_name",
    "cloud_graph_host_name",
    "msgraph_host",
    "rbac_url",
];

#[tokio::test]
async fn openid_configuration_names_the_tenant_endpoints_and_its_token_endpoint_works() {
    let h = Harness::start().await;
    let tenant = h.emu.tenant_id().to_string();
    let base = format!("{}/{tenant}", h.emu.login_url());

    // No authentication, like Entra; the tenant id is matched case-insensitively.
    let r = h
        .http
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            h.emu.login_url(),
            tenant.to_uppercase()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "max-age=86400, private");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = r.json().await.unwrap();
    let keys: BTreeSet<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ENTRA_KEYS.iter().copied().collect::<BTreeSet<_>>());
    assert_eq!(doc["token_endpoint"], format!("{base}/oauth2/v2.0/token"));
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{base}/oauth2/v2.0/authorize")
    );
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{base}/oauth2/v2.0/devicecode")
    );
    assert_eq!(doc["issuer"], format!("{base}/v2.0"));
    assert_eq!(doc["jwks_uri"], format!("{base}/discovery/v2.0/keys"));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!([
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic"
        ])
    );
    assert_eq!(doc["request_uri_parameter_supported"], false);

    // A client that follows the document gets a token with its client secret.
    let r = h
        .http
        .post(doc["token_endpoint"].as_str().unwrap())
        .form(&[
            ("client_id", common::CLIENT_ID),
            ("client_secret", common::SECRET),
            ("grant_type", "client_credentials"),
            ("scope", &h.emu.management_scope()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["access_token"].is_string());

    // jwks_uri answers with a JWK Set; the emulator signs with a shared secret, so it is empty.
    let r = h
        .http
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"keys": []}));

    let counters = h.emu.counters();
    assert_eq!(counters.get("Entra.OpenIdConfiguration"), Some(&1));
    assert_eq!(counters.get("Entra.DiscoveryKeys"), Some(&1));
}

#[tokio::test]
async fn openid_configuration_of_an_unknown_tenant_is_aadsts90002() {
    let h = Harness::start().await;
    let r = h
        .http
        .get(format!(
            "{}/99999999-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration",
            h.emu.login_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_tenant");
    assert_eq!(body["error_codes"], json!([90002]));
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS90002: Tenant '99999999-0000-0000-0000-000000000000' not found.")
    );

    // Other methods and paths on the login host stay unknown endpoints.
    let r = h
        .http
        .post(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            h.emu.login_url(),
            h.emu.tenant_id()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
