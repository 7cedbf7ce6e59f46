//! ARM behaviour: authentication, RBAC, api-versions, Private and public DNS record sets, container groups.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Harness, SUB};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn entra_rejects_bad_credentials_and_unknown_resources() {
    let h = Harness::start().await;
    let r = h
        .token_for(common::CLIENT_ID, "wrong", &h.emu.management_scope())
        .await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215")
    );
    assert_eq!(body["error_codes"], json!([7000215]));

    let r = h
        .token_for(
            "99999999-0000-0000-0000-000000000000",
            "x",
            &h.emu.management_scope(),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );

    let r = h
        .token_for(
            common::CLIENT_ID,
            common::SECRET,
            "https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_resource"
    );
}

#[tokio::test]
async fn arm_authentication_and_authorization_errors() {
    let h = Harness::start().await;
    let url = h.arm(&format!("{}/A/web?api-version=2024-06-01", h.zone_path()));

    let r = h.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer authorization_uri=")
    );
    assert!(r.headers().contains_key("x-ms-request-id"));
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "AuthenticationFailed"
    );

    // A Key Vault token is not an ARM token.
    let vault_token = h.vault_token().await;
    let (s, _, b) = h.call(Method::GET, &url, &vault_token, None, &[]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (401, "InvalidAuthenticationTokenAudience")
    );

    let expired = h
        .admin(Method::POST, "/token", json!({"audience": format!("https://management.{}/", h.emu.domain()), "object_id": common::OBJECT_ID, "lifetime_secs": -10}))
        .await;
    let (s, _, b) = h
        .call(
            Method::GET,
            &url,
            expired["access_token"].as_str().unwrap(),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (401, "ExpiredAuthenticationToken")
    );

    // A principal without a role assignment gets 403 naming the action and scope.
    h.admin(
        Method::POST,
        "/seed",
        json!({"principals": [{"client_id": "c2", "client_secret": "x", "object_id": "o2"}]}),
    )
    .await;
    let r = h.token_for("c2", "x", &h.emu.management_scope()).await;
    let t = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _, b) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_eq!(s, 403);
    assert_eq!(b["error"]["code"], "AuthorizationFailed");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.Network/privateDnsZones/A/read")
    );
}

#[tokio::test]
async fn arm_rejects_bad_api_versions_and_bodies() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let base = h.arm(&format!("{}/A/web", h.zone_path()));
    let (s, _, b) = h.call(Method::GET, &base, &t, None, &[]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "MissingApiVersionParameter")
    );
    let (s, _, b) = h
        .call(
            Method::GET,
            &format!("{base}?api-version=2099-01-01"),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "InvalidApiVersionParameter")
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2024-06-01")
    );

    let r = h
        .http
        .put(format!("{base}?api-version=2024-06-01"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "InvalidRequestContent"
    );

    let (s, _, b) = h
        .call(
            Method::PUT,
            &format!("{base}?api-version=2024-06-01"),
            &t,
            Some(json!({"properties": {"ttl": 60, "aRecords": [{"ipv4Address": "300.1.1.1"}]}})),
            &[],
        )
        .await;
    assert_eq!(s, 400, "{b}");

    let (s, _, b) = h.call(Method::GET, &h.arm(&format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/missing.zone/A/x?api-version=2024-06-01")), &t, None, &[]).await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ParentResourceNotFound");
}

#[tokio::test]
async fn private_dns_record_lifecycle_with_etags() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let url = h.arm(&format!("{}/A/Web?api-version=2024-06-01", h.zone_path()));
    let body = json!({"properties": {"ttl": 30, "metadata": {"owner": "a"}, "aRecords": [{"ipv4Address": "10.0.1.4"}]}});

    let (s, _, created) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(body.clone()),
            &[("If-None-Match", "*")],
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["name"], "web");
    assert_eq!(created["type"], "Microsoft.Network/privateDnsZones/A");
    assert_eq!(created["properties"]["fqdn"], "web.acilab.internal.");
    assert_eq!(created["properties"]["ttl"], 30);
    let etag1 = created["etag"].as_str().unwrap().to_string();

    // Creating again with If-None-Match: * fails; a stale If-Match fails; the right one succeeds.
    let (s, _, b) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(body.clone()),
            &[("If-None-Match", "*")],
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (412, "PreconditionFailed")
    );
    let (s, _, updated) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(body.clone()),
            &[("If-Match", &etag1)],
        )
        .await;
    assert_eq!(s, 200);
    let etag2 = updated["etag"].as_str().unwrap().to_string();
    assert_ne!(etag1, etag2);
    let (s, _, _) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(body.clone()),
            &[("If-Match", &etag1)],
        )
        .await;
    assert_eq!(s, 412);

    // PATCH merges: only metadata changes.
    let (s, _, patched) = h
        .call(
            Method::PATCH,
            &url,
            &t,
            Some(json!({"properties": {"metadata": {"owner": "b"}}})),
            &[("If-Match", &etag2)],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(patched["properties"]["metadata"], json!({"owner": "b"}));
    assert_eq!(
        patched["properties"]["aRecords"],
        json!([{"ipv4Address": "10.0.1.4"}])
    );
    assert_eq!(patched["properties"]["ttl"], 30);

    let (s, headers, got) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_eq!(s, 200);
    assert_eq!(got, patched);
    assert_eq!(
        headers.get("etag").unwrap().to_str().unwrap(),
        format!("\"{}\"", got["etag"].as_str().unwrap())
    );

    let (s, _, _) = h
        .call(Method::DELETE, &url, &t, None, &[("If-Match", "\"stale\"")])
        .await;
    assert_eq!(s, 412);
    let (s, _, _) = h.call(Method::DELETE, &url, &t, None, &[]).await;
    assert_eq!(s, 200);
    let (s, _, _) = h.call(Method::DELETE, &url, &t, None, &[]).await;
    assert_eq!(s, 204);
    let (s, _, b) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_eq!((s, b["error"]["code"].as_str().unwrap()), (404, "NotFound"));
    let (s, _, _) = h
        .call(
            Method::PATCH,
            &url,
            &t,
            Some(json!({"properties": {"ttl": 5}})),
            &[],
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn private_dns_lists_page_with_next_link() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    for i in 0..5 {
        let url = h.arm(&format!("{}/A/r{i}?api-version=2024-06-01", h.zone_path()));
        let (s, _, _) = h.call(Method::PUT, &url, &t, Some(json!({"properties": {"ttl": 60, "aRecords": [{"ipv4Address": format!("10.0.0.{i}")}]}})), &[]).await;
        assert_eq!(s, 201);
    }
    let mut url = h.arm(&format!(
        "{}/A?api-version=2024-06-01&$top=2",
        h.zone_path()
    ));
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let (s, _, page) = h.call(Method::GET, &url, &t, None, &[]).await;
        assert_eq!(s, 200);
        pages += 1;
        names.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string()),
        );
        match page.get("nextLink").and_then(Value::as_str) {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["r0", "r1", "r2", "r3", "r4"]);
    // ALL includes the zone's SOA record.
    let (_, _, all) = h
        .call(
            Method::GET,
            &h.arm(&format!("{}/ALL?api-version=2024-06-01", h.zone_path())),
            &t,
            None,
            &[],
        )
        .await;
    let types: Vec<&str> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"Microsoft.Network/privateDnsZones/SOA"));
    assert_eq!(types.len(), 6);
}

#[tokio::test]
async fn public_dns_txt_uses_upper_case_fields_and_zone_name_servers() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let zone = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com"
    );
    let (s, _, z) = h
        .call(
            Method::GET,
            &h.arm(&format!("{zone}?api-version=2018-05-01")),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(z["properties"]["nameServers"].as_array().unwrap().len(), 4);
    assert_eq!(z["properties"]["numberOfRecordSets"], 2);

    let url = h.arm(&format!(
        "{zone}/TXT/_acme-challenge?api-version=2018-05-01"
    ));
    let (s, _, b) = h.call(Method::PUT, &url, &t, Some(json!({"properties": {"TTL": 60, "TXTRecords": [{"value": ["one"]}, {"value": ["two"]}]}})), &[]).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["properties"]["TTL"], 60);
    assert_eq!(
        b["properties"]["TXTRecords"],
        json!([{"value": ["one"]}, {"value": ["two"]}])
    );
    assert!(b["properties"].get("ttl").is_none());
    assert_eq!(b["type"], "Microsoft.Network/dnsZones/TXT");
}

#[tokio::test]
async fn container_groups_get_list_put_restart_delete() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let rg = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups"
    );
    let (s, _, g) = h
        .call(
            Method::GET,
            &h.arm(&format!("{rg}/app-0?api-version=2023-05-01")),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(g["properties"]["ipAddress"]["ip"], "10.0.1.4");
    assert_eq!(g["properties"]["instanceView"]["state"], "Running");

    let (s, _, list) = h
        .call(
            Method::GET,
            &h.arm(&format!("{rg}?api-version=2023-05-01")),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        list["value"][0]["properties"].get("instanceView").is_none(),
        "LIST omits instanceView"
    );

    // Restart through ARM: a VNet group gets a new private IP.
    let r = h
        .http
        .post(h.arm(&format!("{rg}/app-0/restart?api-version=2023-05-01")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let op_url = r
        .headers()
        .get("azure-asyncoperation")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let (_, _, g) = h
        .call(
            Method::GET,
            &h.arm(&format!("{rg}/app-0?api-version=2023-05-01")),
            &t,
            None,
            &[],
        )
        .await;
    assert_eq!(g["properties"]["ipAddress"]["ip"], "10.0.1.9");
    assert_eq!(
        g["properties"]["containers"][0]["properties"]["instanceView"]["restartCount"],
        1
    );
    let mut status = String::new();
    for _ in 0..50 {
        let (_, _, op) = h.call(Method::GET, &op_url, &t, None, &[]).await;
        status = op["status"].as_str().unwrap().to_string();
        if status != "InProgress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "Succeeded");

    // PUT is a long-running operation; secrets never come back.
    let body = json!({
        "location": "westeurope",
        "properties": {
            "osType": "Linux",
            "subnetIds": [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aci"}],
            "containers": [{"name": "web", "properties": {"image": "nginx", "ports": [{"port": 443}], "resources": {"requests": {"cpu": 1, "memoryInGB": 1}},
                "environmentVariables": [{"name": "DB_PASSWORD", "secureValue": "hunter2"}]}}]
        }
    });
    let url = h.arm(&format!("{rg}/app-1?api-version=2023-05-01"));
    let (s, headers, created) = h.call(Method::PUT, &url, &t, Some(body.clone()), &[]).await;
    assert_eq!(s, 201);
    assert!(headers.contains_key("azure-asyncoperation"));
    assert_eq!(created["properties"]["provisioningState"], "Pending");
    assert!(!created.to_string().contains("hunter2"));
    assert_eq!(created["properties"]["ipAddress"]["type"], "Private");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (_, _, got) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");

    let mut bad = body.clone();
    bad["properties"]["containers"][0]["properties"]["resources"] = json!({});
    let (s, _, b) = h.call(Method::PUT, &url, &t, Some(bad), &[]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "InvalidContainerResourceRequests")
    );

    let (s, _, _) = h.call(Method::DELETE, &url, &t, None, &[]).await;
    assert_eq!(s, 202);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (s, _, b) = h.call(Method::GET, &url, &t, None, &[]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (404, "ResourceNotFound")
    );
}
