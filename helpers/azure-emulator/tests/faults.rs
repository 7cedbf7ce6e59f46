//! Fault injection is observable from a client: throttling with Retry-After, server errors,
//! latency, ETag races, a managed identity that is not ready yet, Key Vault's delete delay,
//! and per-operation request counters.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::Harness;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn throttling_server_errors_and_counters() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let url = h.arm(&format!("{}/A/web?api-version=2024-06-01", h.zone_path()));
    let rule = h.admin(Method::POST, "/faults", json!({"operation": "PrivateDns.RecordSets_*", "status": 429, "retry_after": 7, "times": 2})).await;
    assert_eq!(rule["id"], 1);

    for _ in 0..2 {
        let (s, headers, b) = h.call(Method::GET, &url, &t, None, &[]).await;
        assert_eq!(s, 429);
        assert_eq!(headers.get("retry-after").unwrap(), "7");
        assert_eq!(b["error"]["code"], "TooManyRequests");
    }
    // The rule is used up: the next request is served (404: no such record yet).
    let (s, _, _) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_eq!(s, 404);
    assert_eq!(h.emu.counters()["PrivateDns.RecordSets_Get"], 3);
    let faults = h
        .plain
        .get(format!("{}/faults", h.emu.admin_url()))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(faults[0]["applied"], 2);

    // skip lets the first request through; 503 with a chosen code.
    h.admin(Method::DELETE, "/faults", json!({})).await;
    h.admin(
        Method::POST,
        "/faults",
        json!({"service": "arm", "method": "PUT", "status": 503, "skip": 1, "times": 1}),
    )
    .await;
    let body = json!({"properties": {"ttl": 5, "aRecords": [{"ipv4Address": "10.0.0.1"}]}});
    assert_eq!(
        h.call(Method::PUT, &url, &t, Some(body.clone()), &[])
            .await
            .0,
        201
    );
    let (s, _, b) = h.call(Method::PUT, &url, &t, Some(body.clone()), &[]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (503, "ServiceUnavailable")
    );
    assert_eq!(h.call(Method::PUT, &url, &t, Some(body), &[]).await.0, 200);

    // Counters reset through the admin API.
    h.admin(Method::DELETE, "/counters", json!({})).await;
    assert!(h.emu.counters().is_empty());
}

#[tokio::test]
async fn latency_is_added() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let url = h.arm(&format!("{}?api-version=2024-06-01", h.zone_path()));
    h.admin(
        Method::POST,
        "/faults",
        json!({"operation": "PrivateDns.PrivateZones_Get", "latency_ms": 400, "times": 1}),
    )
    .await;
    let start = Instant::now();
    assert_eq!(h.call(Method::GET, &url, &t, None, &[]).await.0, 200);
    assert!(start.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn etag_race_turns_a_conditional_write_into_412() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let url = h.arm(&format!("{}/A/web?api-version=2024-06-01", h.zone_path()));
    let (_, _, created) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(json!({"properties": {"ttl": 5, "aRecords": [{"ipv4Address": "10.0.0.1"}]}})),
            &[],
        )
        .await;
    let etag = created["etag"].as_str().unwrap().to_string();
    h.admin(
        Method::POST,
        "/faults",
        json!({"operation": "PrivateDns.RecordSets_Update", "etag_race": true, "times": 1}),
    )
    .await;
    let patch = json!({"properties": {"aRecords": [{"ipv4Address": "10.0.0.2"}]}});
    let (s, _, b) = h
        .call(
            Method::PATCH,
            &url,
            &t,
            Some(patch.clone()),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (412, "PreconditionFailed")
    );
    // Re-read and retry, as a client must.
    let (_, _, fresh) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_ne!(fresh["etag"], created["etag"]);
    let (s, _, b) = h
        .call(
            Method::PATCH,
            &url,
            &t,
            Some(patch),
            &[("If-Match", fresh["etag"].as_str().unwrap())],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["properties"]["aRecords"][0]["ipv4Address"], "10.0.0.2");
}

#[tokio::test]
async fn managed_identity_not_ready_then_ready() {
    let h = Harness::start().await;
    h.admin(Method::POST, "/seed", json!({"managed_identities": [{"client_id": "mi-1", "principal_id": "p-1", "resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app"}]})).await;
    h.admin(Method::POST, "/identity/not-ready", json!({"seconds": 0.5}))
        .await;
    let url = format!(
        "{}?api-version=2018-02-01&resource=https://management.{}/",
        h.emu.imds_token_url(),
        h.emu.domain()
    );
    let r = h
        .plain
        .get(&url)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = h
        .plain
        .get(&url)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["client_id"], "mi-1");
    assert!(b["expires_on"].as_str().unwrap().parse::<u64>().is_ok());

    // The token works against ARM only once the identity has a role there.
    let mi_token = b["access_token"].as_str().unwrap();
    let zone = h.arm(&format!("{}?api-version=2024-06-01", h.zone_path()));
    assert_eq!(h.call(Method::GET, &zone, mi_token, None, &[]).await.0, 403);
    h.admin(Method::POST, "/seed", json!({"role_assignments": [{"principal_id": "p-1", "role": "Private DNS Zone Contributor", "scope": h.zone_path()}]})).await;
    assert_eq!(h.call(Method::GET, &zone, mi_token, None, &[]).await.0, 200);

    // App Service style: the header secret is required.
    let (endpoint, header) = h.emu.identity_endpoint();
    let url = format!(
        "{endpoint}?api-version=2019-08-01&resource=https://vault.{}",
        h.emu.domain()
    );
    assert_eq!(h.plain.get(&url).send().await.unwrap().status(), 401);
    let r = h
        .plain
        .get(&url)
        .header("X-IDENTITY-HEADER", header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn key_vault_delete_is_eventually_consistent_when_asked() {
    let h = Harness::start().await;
    let t = h.vault_token().await;
    let kv = h.emu.vault_url("kv1");
    let secret_url = format!("{kv}secrets/s1?api-version=2025-07-01");
    let put = |v: &str| h.call(Method::PUT, &secret_url, &t, Some(json!({"value": v})), &[]);
    assert_eq!(put("a").await.0, 200);
    h.admin(
        Method::POST,
        "/keyvault/delete-delay",
        json!({"seconds": 0.6}),
    )
    .await;
    assert_eq!(
        h.call(
            Method::DELETE,
            &format!("{kv}secrets/s1?api-version=2025-07-01"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        200
    );
    // During the window: neither live nor visible as deleted; reuse and purge conflict.
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{kv}deletedsecrets/s1?api-version=2025-07-01"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (404, "SecretNotFound")
    );
    let (s, _, b) = put("b").await;
    assert_eq!(
        (s, b["error"]["innererror"]["code"].as_str().unwrap()),
        (409, "ObjectIsBeingDeleted")
    );
    let (s, _, _) = h
        .call(
            Method::DELETE,
            &format!("{kv}deletedsecrets/s1?api-version=2025-07-01"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 409);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        h.call(
            Method::GET,
            &format!("{kv}deletedsecrets/s1?api-version=2025-07-01"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        200
    );
    let (s, _, b) = put("b").await;
    assert_eq!(
        (s, b["error"]["innererror"]["code"].as_str().unwrap()),
        (409, "ObjectIsDeletedButRecoverable")
    );
    assert_eq!(
        h.call(
            Method::DELETE,
            &format!("{kv}deletedsecrets/s1?api-version=2025-07-01"),
            &t,
            None,
            &[]
        )
        .await
        .0,
        204
    );
    assert_eq!(put("b").await.0, 200);
}
