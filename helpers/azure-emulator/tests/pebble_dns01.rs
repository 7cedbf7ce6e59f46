//! Let's Encrypt's test CA (pebble, Debian package) validates a DNS-01 challenge whose TXT record
//! was written through the emulator's public DNS API and served by the emulator's DNS server.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Harness, SUB};
use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use reqwest::Method;
use serde_json::json;

struct Pebble {
    child: Child,
    directory: String,
    root_pem: PathBuf,
    _dir: PathBuf,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts pebble with a fresh TLS certificate, pointed at the emulator's DNS server.
fn start_pebble(dns: std::net::SocketAddr) -> Pebble {
    let bin = std::env::var("PEBBLE_BIN").unwrap_or_else(|_| "/usr/bin/pebble".into());
    assert!(
        std::path::Path::new(&bin).exists(),
        "pebble not found at {bin}: run `make setup` (it installs Debian's pebble)"
    );
    let dir = std::env::temp_dir().join(format!("acilab-pebble-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pebble test TLS root");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.subject_alt_names.push(rcgen::SanType::IpAddress(
        std::net::Ipv4Addr::LOCALHOST.into(),
    ));
    let cert = params.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("root.pem"), ca.pem()).unwrap();
    let port = free_port();
    let config = json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{port}"),
        "managementListenAddress": format!("127.0.0.1:{}", free_port()),
        "certificate": dir.join("cert.pem"), "privateKey": dir.join("key.pem"),
        "httpPort": free_port(), "tlsPort": free_port(),
        "ocspResponderURL": "", "externalAccountBindingRequired": false,
        "domainBlocklist": [], "retryAfter": {"authz": 1, "order": 1},
        "certificateValidityPeriod": 600
    }});
    std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
    let child = Command::new(bin)
        .arg("-config")
        .arg(dir.join("pebble.json"))
        .arg("-dnsserver")
        .arg(dns.to_string())
        .arg("-strict=false")
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Pebble {
        child,
        directory: format!("https://127.0.0.1:{port}/dir"),
        root_pem: dir.join("root.pem"),
        _dir: dir,
    }
}

async fn publish(h: &Harness, token: &str, name: &str, values: &[String]) {
    let zone = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com"
    );
    let records: Vec<_> = values.iter().map(|v| json!({"value": [v]})).collect();
    let (s, _, b) = h
        .call(
            Method::PUT,
            &h.arm(&format!("{zone}/TXT/{name}?api-version=2018-05-01")),
            token,
            Some(json!({"properties": {"TTL": 60, "TXTRecords": records}})),
            &[],
        )
        .await;
    assert!(s == 200 || s == 201, "{b}");
}

/// Runs an order; returns the final status, the chain when valid, and the CA's problem detail.
async fn order(
    account: &Account,
    h: &Harness,
    token: &str,
    names: &[&str],
    tamper: bool,
) -> (OrderStatus, Option<String>, String) {
    let ids: Vec<Identifier> = names
        .iter()
        .map(|n| Identifier::Dns(n.to_string()))
        .collect();
    let mut order = account.new_order(&NewOrder::new(&ids)).await.unwrap();
    let mut values = Vec::new();
    let mut urls = Vec::new();
    {
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a.unwrap();
            assert_eq!(a.status, AuthorizationStatus::Pending);
            urls.push(a.url().to_string());
            let ch = a.challenge(ChallengeType::Dns01).unwrap();
            values.push(if tamper {
                "not-the-right-value".to_string()
            } else {
                ch.key_authorization().dns_value()
            });
        }
    }
    // Apex and wildcard share one record set: all values go in before any challenge is ready.
    let base = names[0].trim_start_matches("*.");
    let relative = match base
        .strip_suffix("example.com")
        .unwrap()
        .trim_end_matches('.')
    {
        "" => "_acme-challenge".to_string(),
        sub => format!("_acme-challenge.{sub}"),
    };
    publish(h, token, &relative, &values).await;
    {
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a.unwrap();
            a.challenge(ChallengeType::Dns01)
                .unwrap()
                .set_ready()
                .await
                .unwrap();
        }
    }
    let status = match order.poll_ready(&RetryPolicy::default()).await {
        Ok(s) => s,
        Err(instant_acme::Error::Api(problem)) => {
            return (
                OrderStatus::Invalid,
                None,
                problem.detail.unwrap_or_default(),
            );
        }
        Err(e) => panic!("{e}"),
    };
    if status != OrderStatus::Ready {
        return (status, None, String::new());
    }
    let key = rcgen::KeyPair::generate().unwrap();
    let csr =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap()
            .serialize_request(&key)
            .unwrap();
    order.finalize_csr(csr.der()).await.unwrap();
    let chain = order
        .poll_certificate(&RetryPolicy::default())
        .await
        .unwrap();
    (OrderStatus::Valid, Some(chain), String::new())
}

#[tokio::test]
async fn pebble_validates_dns01_through_the_emulator() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let h = Harness::start().await;
    let token = h.arm_token().await;
    let pebble = start_pebble(h.emu.dns_addr);
    let (account, _) = Account::builder_with_root(&pebble.root_pem)
        .unwrap()
        .create(
            &NewAccount {
                contact: &[],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            pebble.directory.clone(),
            None,
        )
        .await
        .unwrap();

    let (status, chain, _) = order(
        &account,
        &h,
        &token,
        &["example.com", "*.example.com"],
        false,
    )
    .await;
    assert_eq!(status, OrderStatus::Valid);
    let chain = chain.unwrap();
    let leaf = rustls_pemfile::certs(&mut chain.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let mut sans: Vec<String> = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    sans.sort();
    assert_eq!(sans, ["DNSName(*.example.com)", "DNSName(example.com)"]);

    // The check is real: a wrong TXT value makes pebble refuse the authorization.
    let (status, _, detail) = order(&account, &h, &token, &["bad.example.com"], true).await;
    assert_eq!(status, OrderStatus::Invalid);
    assert!(detail.contains("Correct value not found"), "{detail}");
    // pebble asked the emulator's DNS over UDP; the ARM writes are counted.
    assert!(h.emu.counters()["Dns.RecordSets_CreateOrUpdate"] >= 2);
}
