//! Test harness: an in-process emulator, a seeded principal, and an HTTPS client that trusts
//! the emulator's CA and resolves the emulator's host names to loopback.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use azure_emulator::{Config, Emulator, Seed};
use serde_json::{Value, json};

pub const SUB: &str = "00000000-0000-0000-0000-000000000000";
pub const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
pub const SECRET: &str = "s3cret";
pub const OBJECT_ID: &str = "21111111-1111-1111-1111-111111111111";

pub struct Harness {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub plain: reqwest::Client,
}

pub fn client_for(emu: &Emulator) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut emu.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let addr: SocketAddr = emu.https_addr;
    let domain = emu.domain().to_string();
    let mut b = reqwest::Client::builder().use_preconfigured_tls(tls);
    for host in [
        format!("login.{domain}"),
        format!("management.{domain}"),
        format!("kv1.vault.{domain}"),
        format!("kv2.vault.{domain}"),
        format!("nope.vault.{domain}"),
    ] {
        b = b.resolve(&host, addr);
    }
    b.build().unwrap()
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Self {
        let emu = Emulator::start(config).await.unwrap();
        let seed: Seed = serde_json::from_value(json!({
            "principals": [{"client_id": CLIENT_ID, "client_secret": SECRET, "object_id": OBJECT_ID}],
            "role_assignments": [
                {"principal_id": OBJECT_ID, "role": "Contributor", "scope": format!("/subscriptions/{SUB}")},
                {"principal_id": OBJECT_ID, "role": "Key Vault Administrator", "scope": format!("/subscriptions/{SUB}")}
            ],
            "private_dns_zones": [{"id": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/acilab.internal")}],
            "dns_zones": [{"id": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com")}],
            "vaults": [{"name": "kv1", "resource_id": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1")}],
            "container_groups": [{"id": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app-0"), "ip": "10.0.1.4", "next_ips": ["10.0.1.9"]}]
        }))
        .unwrap();
        emu.seed(seed).unwrap();
        let http = client_for(&emu);
        let plain = http.clone();
        Self { emu, http, plain }
    }

    pub async fn token_for(&self, client_id: &str, secret: &str, scope: &str) -> reqwest::Response {
        self.http
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.emu.login_url(),
                self.emu.tenant_id()
            ))
            .form(&[
                ("client_id", client_id),
                ("client_secret", secret),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn arm_token(&self) -> String {
        let r = self
            .token_for(CLIENT_ID, SECRET, &self.emu.management_scope())
            .await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn vault_token(&self) -> String {
        let scope = format!("https://vault.{}/.default", self.emu.domain());
        let r = self.token_for(CLIENT_ID, SECRET, &scope).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn arm(&self, path: &str) -> String {
        format!("{}{}", self.emu.management_url(), path)
    }

    pub fn zone_path(&self) -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/acilab.internal"
        )
    }

    /// Sends an ARM request with a bearer token; returns status, headers and JSON body (or Null).
    pub async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut rb = self.http.request(method, url).bearer_auth(token);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, json)
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .plain
            .request(method, format!("{}{}", self.emu.admin_url(), path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "admin {path} failed: {}",
            r.text().await.unwrap()
        );
        r.json().await.unwrap()
    }
}
