//! Bad requests get an Azure-style 4xx with an error code, never a 5xx or a panic, and the
//! emulator keeps serving afterwards.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Harness, SUB};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_input_is_a_client_error() {
    let h = Harness::start().await;
    let arm = h.arm_token().await;
    let kvt = h.vault_token().await;
    let zone = h.arm(&h.zone_path());
    let pub_zone = h.arm(&format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com"
    ));
    let groups = h.arm(&format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups"));
    let kv = h.emu.vault_url("kv1");
    let long = "a".repeat(300);
    let cases: Vec<(Method, String, &str, Option<Value>)> = vec![
        (Method::PUT, format!("{zone}/A/x?api-version=2024-06-01"), &arm, Some(json!({"properties": {"ttl": "soon"}}))),
        (Method::PUT, format!("{zone}/A/x?api-version=2024-06-01"), &arm, Some(json!({"properties": {"aRecords": "10.0.0.1"}}))),
        (Method::PUT, format!("{zone}/A/x?api-version=2024-06-01"), &arm, Some(json!({"properties": {"aRecords": [{"ipv4Address": 7}]}}))),
        (Method::PUT, format!("{zone}/A/x?api-version=2024-06-01"), &arm, Some(json!({"properties": {"metadata": {"k": 1}}}))),
        (Method::PUT, format!("{zone}/A/x?api-version=2024-06-01"), &arm, Some(json!([1, 2]))),
        (Method::PUT, format!("{zone}/A/{long}?api-version=2024-06-01"), &arm, Some(json!({"properties": {"ttl": 5}}))),
        (Method::PUT, format!("{zone}/SOA/notapex?api-version=2024-06-01"), &arm, Some(json!({"properties": {"ttl": 5}}))),
        (Method::PUT, format!("{zone}/BOGUS/x?api-version=2024-06-01"), &arm, Some(json!({}))),
        (Method::POST, format!("{zone}/A/x?api-version=2024-06-01"), &arm, None),
        (Method::GET, format!("{zone}/A?api-version=2024-06-01&$top=0"), &arm, None),
        (Method::GET, format!("{zone}/A?api-version=2024-06-01&$skipToken=abc"), &arm, None),
        (Method::DELETE, format!("{zone}/SOA/@?api-version=2024-06-01"), &arm, None),
        (Method::PUT, format!("{pub_zone}/TXT/x?api-version=2018-05-01"), &arm, Some(json!({"properties": {"TXTRecords": [{"value": "notalist"}]}}))),
        (Method::PUT, format!("{pub_zone}/TXT/x?api-version=2018-05-01"), &arm, Some(json!({"properties": {"TXTRecords": [{"value": ["x".repeat(2000)]}]}}))),
        (Method::PUT, format!("{groups}/Bad_Name?api-version=2023-05-01"), &arm, Some(json!({"location": "x"}))),
        (Method::PUT, format!("{groups}/ok?api-version=2023-05-01"), &arm, Some(json!({"location": "x", "properties": {"containers": 5}}))),
        (Method::PUT, format!("{groups}/ok?api-version=2023-05-01"), &arm, Some(json!({"properties": {}}))),
        (Method::POST, format!("{groups}/missing/restart?api-version=2023-05-01"), &arm, None),
        (Method::GET, h.arm(&format!("/subscriptions/{SUB}/providers/Microsoft.ContainerInstance/locations/x/operations/nope?api-version=2023-05-01")), &arm, None),
        (Method::GET, h.arm("/nothing/here"), &arm, None),
        (Method::POST, format!("{kv}certificates/c/create?api-version=2025-07-01"), &kvt, Some(json!({"policy": "nope"}))),
        (Method::POST, format!("{kv}certificates/c/create?api-version=2025-07-01"), &kvt, Some(json!({"policy": {"issuer": {"name": "DigiCert"}, "x509_props": {"subject": "CN=x"}}}))),
        (Method::POST, format!("{kv}certificates/c/create?api-version=2025-07-01"), &kvt, Some(json!({"policy": {"issuer": {"name": "Self"}, "x509_props": {"subject": "garbage"}}}))),
        (Method::POST, format!("{kv}certificates/c/create?api-version=2025-07-01"), &kvt, Some(json!({"policy": {"issuer": {"name": "Self"}, "key_props": {"kty": "oct"}, "x509_props": {"subject": "CN=x"}}}))),
        (Method::POST, format!("{kv}certificates/c/pending/merge?api-version=2025-07-01"), &kvt, Some(json!({"x5c": [1]}))),
        (Method::POST, format!("{kv}certificates/c/pending/merge?api-version=2025-07-01"), &kvt, Some(json!({"x5c": ["bm90IGEgY2VydA=="]}))),
        (Method::POST, format!("{kv}certificates/c/import?api-version=2025-07-01"), &kvt, Some(json!({"value": "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n"}))),
        (Method::PUT, format!("{kv}secrets/s?api-version=2025-07-01"), &kvt, Some(json!({"value": 5}))),
        (Method::PUT, format!("{kv}secrets/s?api-version=2025-07-01"), &kvt, Some(json!({"value": "x", "tags": {"a": 1}}))),
        (Method::PATCH, format!("{kv}secrets/s/nope?api-version=2025-07-01"), &kvt, Some(json!({}))),
        (Method::GET, format!("{kv}certificates?api-version=2025-07-01&maxresults=100"), &kvt, None),
        (Method::GET, format!("{kv}keys/k?api-version=2025-07-01"), &kvt, None),
        (Method::DELETE, format!("{kv}deletedcertificates/nothing?api-version=2025-07-01"), &kvt, None),
    ];
    for (method, url, token, body) in cases {
        let mut rb = h.http.request(method.clone(), &url).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert!(
            (400..500).contains(&status),
            "{method} {url} -> {status}: {text}"
        );
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {url}: not JSON: {text}"));
        assert!(
            v["error"]["code"].is_string(),
            "{method} {url}: no error code: {text}"
        );
    }
    // Raw garbage bodies and the token endpoint.
    let r = h
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            h.emu.login_url(),
            h.emu.tenant_id()
        ))
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = h
        .http
        .put(format!("{zone}/A/x?api-version=2024-06-01"))
        .bearer_auth(&arm)
        .body(vec![0xff; 64])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Still serving.
    let (s, _, _) = h
        .call(
            Method::GET,
            &format!("{zone}?api-version=2024-06-01"),
            &arm,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
}
