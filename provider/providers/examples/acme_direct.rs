//! The peer for `bench/letsencrypt.sh`: the same wildcard + apex order as the provider makes, done
//! directly with instant-acme (account, order, TXT through ARM, ready, finalize with a local
//! CSR, download), so the bench can show the provider's own overhead as a ratio.
//!
//! Usage: acme_direct <directory-url> <acme-root.pem> <arm-url> <zone-id> <arm-token> <zone-name>
#![allow(clippy::print_stdout)]

use std::time::Instant;

use instant_acme::{
    Account, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, directory, root, arm, zone_id, token, zone] = args.as_slice() else {
        return Err("usage: acme_direct <directory-url> <acme-root.pem> <arm-url> <zone-id> <arm-token> <zone-name>".into());
    };
    let ca = std::fs::read(std::env::var("ARM_CA_BUNDLE_FILE")?)?;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut ca.as_slice()) {
        roots.add(c?)?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https_port = arm.rsplit(':').next().unwrap_or("443").parse::<u16>()?;
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .resolve(
            arm.trim_start_matches("https://")
                .split(':')
                .next()
                .unwrap_or_default(),
            ([127, 0, 0, 1], https_port).into(),
        )
        .build()?;
    let started = Instant::now();
    let (account, _) = Account::builder_with_root(root)?
        .create(
            &NewAccount {
                contact: &[],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            directory.clone(),
            None,
        )
        .await?;
    let names = [zone.clone(), format!("*.{zone}")];
    let ids: Vec<Identifier> = names.iter().map(|n| Identifier::Dns(n.clone())).collect();
    let mut order = account.new_order(&NewOrder::new(&ids)).await?;
    let mut values = Vec::new();
    {
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a?;
            let ch = a.challenge(ChallengeType::Dns01).ok_or("no dns-01")?;
            values.push(json!({"value": [ch.key_authorization().dns_value()]}));
        }
    }
    let url = format!("{arm}{zone_id}/TXT/_acme-challenge?api-version=2018-05-01");
    http.put(&url)
        .bearer_auth(token)
        .json(&json!({"properties": {"TTL": 60, "TXTRecords": values}}))
        .send()
        .await?
        .error_for_status()?;
    {
        let mut authzs = order.authorizations();
        while let Some(a) = authzs.next().await {
            let mut a = a?;
            a.challenge(ChallengeType::Dns01)
                .ok_or("no dns-01")?
                .set_ready()
                .await?;
        }
    }
    if order.poll_ready(&RetryPolicy::default()).await? != OrderStatus::Ready {
        return Err("order not ready".into());
    }
    let key = rcgen::KeyPair::generate()?;
    let csr = rcgen::CertificateParams::new(names.to_vec())?.serialize_request(&key)?;
    order.finalize_csr(csr.der()).await?;
    let chain = order.poll_certificate(&RetryPolicy::default()).await?;
    http.delete(&url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    println!("{} {}", started.elapsed().as_millis(), chain.len());
    Ok(())
}
