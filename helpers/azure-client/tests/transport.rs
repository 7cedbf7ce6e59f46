//! Our transport against the emulator: `*.localhost` reaches loopback, the emulator's CA is
//! trusted only when added, and the azure_core `HttpClient` implementation carries methods,
//! headers and both body kinds.
#![allow(clippy::unwrap_used)]

mod common;

use azure_client::HttpTransport;
use azure_core::http::headers::HeaderName;
use azure_core::http::{HttpClient, Method, Request, Url};
use azure_core::stream::BytesStream;
use azure_emulator::{Config, Emulator};
use serde_json::Value;

use common::{Lab, VAULT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_names_reach_the_emulator_with_its_ca_file() {
    let dir = std::env::temp_dir().join(format!("azure-client-transport-{}", std::process::id()));
    let ca_file = dir.join("ca.pem");
    let emu = Emulator::start(Config {
        ca_file: Some(ca_file.clone()),
        ..Config::default()
    })
    .await
    .unwrap();
    let transport = HttpTransport::new(Some(&ca_file)).unwrap();

    // No vault seeded: the emulator answers 404 VaultNotFound over TLS on a *.localhost name.
    let rsp = transport
        .reqwest_client()
        .get(format!(
            "{}secrets/x?api-version=7.5",
            emu.vault_url("nothere")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 404);
    let body: Value = rsp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "VaultNotFound", "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ca_is_rejected() {
    let lab = Lab::start().await;
    // Trusts some other CA only, so the outcome does not depend on the machine's store.
    let other = rcgen::generate_simple_self_signed(vec!["other-ca".to_string()]).unwrap();
    let transport = HttpTransport::builder()
        .platform_roots(false)
        .extra_ca_pem(&other.cert.pem())
        .unwrap()
        .build()
        .unwrap();
    let err = transport
        .reqwest_client()
        .get(lab.emu.vault_url(VAULT))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let chain = format!("{err:?}");
    assert!(chain.contains("UnknownIssuer"), "{chain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_http_client_carries_requests_and_responses() {
    let lab = Lab::start().await;
    lab.principal("app", &[]);

    // A GET without a token: 401 with the Key Vault challenge, a request id and a JSON body.
    let url = Url::parse(&format!(
        "{}secrets/x?api-version=7.5",
        lab.emu.vault_url(VAULT)
    ))
    .unwrap();
    let mut req = Request::new(url, Method::Get);
    req.insert_header("accept", "application/json");
    let rsp = lab.transport.execute_request(&req).await.unwrap();
    assert_eq!(u16::from(rsp.status()), 401);
    let challenge = rsp
        .headers()
        .get_optional_str(&HeaderName::from_static("www-authenticate"))
        .unwrap()
        .to_string();
    assert!(
        challenge.contains(r#"resource="https://vault.azure.localhost""#),
        "{challenge}"
    );
    assert!(
        rsp.headers()
            .get_optional_str(&HeaderName::from_static("x-ms-request-id"))
            .is_some()
    );
    let body: Value = serde_json::from_slice(&rsp.into_body().collect().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "Unauthorized", "{body}");

    // A POST whose body is a stream: the token endpoint answers with a token.
    let token_url = format!(
        "{}/{}/oauth2/v2.0/token",
        lab.emu.login_url(),
        lab.emu.tenant_id()
    );
    let form = format!(
        "client_id=app-client&client_secret=app-secret&grant_type=client_credentials&scope={}",
        lab.cloud
            .resource_manager_scope()
            .replace(':', "%3A")
            .replace('/', "%2F")
    );
    let mut req = Request::new(Url::parse(&token_url).unwrap(), Method::Post);
    req.insert_header("content-type", "application/x-www-form-urlencoded");
    req.set_body(azure_core::http::Body::SeekableStream(Box::new(
        BytesStream::new(form.into_bytes()),
    )));
    let rsp = lab.transport.execute_request(&req).await.unwrap();
    let status = u16::from(rsp.status());
    let body: Value = serde_json::from_slice(&rsp.into_body().collect().await.unwrap()).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body["access_token"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
}
