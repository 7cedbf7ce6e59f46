//! The agent binary against the emulator: DNS registration, restarts, sharing, shutdown,
//! identity delays, throttling, foreign records, configuration errors, `--once`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

/// Generous bound for things the agent does within one 2 s interval (±10%) plus the round's
/// own calls on a loaded 2-core machine.
const ONE_ROUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_follows_a_restart_and_withdraws_on_sigterm() {
    let lab = Lab::start("restart").await;
    let mut health = lab.agent_env("app-0");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    health.insert("ACILAB_HEALTH_ADDR".into(), format!("127.0.0.1:{port}"));
    let mut agent = AgentProcess::start(&health, &[]);

    lab.until("record created with the group's IP", ONE_ROUND, || async {
        lab.ips().await == ["10.0.1.4"]
    })
    .await;
    let record = lab.record().await.unwrap();
    assert_eq!(record.metadata["acilab_owner"], "lab-owner");
    assert_eq!(record.metadata["acilab_managed_by"], "acilab-agent");
    assert_eq!(record.ttl, 10);
    let claim = acilab_agent::dns::claim_key(&group_id("app-0"));
    assert_eq!(record.metadata[&claim], "10.0.1.4");

    // Probes: live and ready, with the registered IP.
    let ready: serde_json::Value = lab
        .http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true, "{ready}");
    assert_eq!(ready["dns"]["current"], "10.0.1.4", "{ready}");
    let live = lab
        .http
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);

    // The platform restarts the group: new IP. The agent corrects the record within a round,
    // without anything else calling it.
    let new_ip = lab.restart("app-0").await;
    assert_eq!(new_ip, "10.0.1.9");
    lab.until("record follows the restart", ONE_ROUND, || async {
        lab.ips().await == ["10.0.1.9"]
    })
    .await;
    assert!(agent.logged("DNS record updated"), "{:?}", agent.logs());

    // Steady state costs reads only: no write while nothing changes.
    let writes = lab.counter("PrivateDns.RecordSets_CreateOrUpdate");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(lab.counter("PrivateDns.RecordSets_CreateOrUpdate"), writes);

    // SIGTERM: it was the only IP, so the record goes; exit 0.
    agent.signal("TERM");
    assert_eq!(agent.wait(Duration::from_secs(15)).await, 0);
    assert!(lab.record().await.is_none(), "record left behind");
    assert!(agent.logged("withdrew this group's IP"));
    // Every log line is one JSON object with a level and a message.
    for line in agent.json_logs() {
        assert!(
            line["level"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_groups_share_a_name_under_racing_writes() {
    let lab = Lab::start("share").await;
    // Every third record write loses a race (another writer changed the ETag first).
    lab.admin(
        "faults",
        json!({"operation": "PrivateDns.RecordSets_CreateOrUpdate", "etag_race": true, "times": 6}),
    )
    .await;
    let mut env0 = lab.agent_env("app-0");
    let mut env1 = lab.agent_env("app-1");
    env0.insert("ACILAB_INTERVAL_SECONDS".into(), "1".into());
    env1.insert("ACILAB_INTERVAL_SECONDS".into(), "1".into());
    let mut a0 = AgentProcess::start(&env0, &[]);
    let a1 = AgentProcess::start(&env1, &[]);
    lab.until("both IPs registered", ONE_ROUND, || async {
        lab.ips().await == ["10.0.1.4", "10.0.1.5"]
    })
    .await;

    // Restart both groups at once, twice: each agent swaps only its own IP; no update is lost.
    for expected in [["10.0.1.10", "10.0.1.9"], ["10.0.1.14", "10.0.1.15"]] {
        let (x, y) = tokio::join!(lab.restart("app-0"), lab.restart("app-1"));
        let mut got = [x, y];
        got.sort();
        assert_eq!(got, expected);
        lab.until("both new IPs, no old ones", ONE_ROUND, || async {
            lab.ips().await == expected
        })
        .await;
    }
    let faults: serde_json::Value = lab
        .http
        .get(format!("{}/faults", lab.emu.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        faults[0]["applied"], 6,
        "the races were not exercised: {faults}"
    );

    // One group stops: its IP leaves, the other stays.
    a0.signal("TERM");
    assert_eq!(a0.wait(Duration::from_secs(15)).await, 0);
    assert_eq!(lab.ips().await, ["10.0.1.15"]);
    let record = lab.record().await.unwrap();
    assert!(
        !record
            .metadata
            .contains_key(&acilab_agent::dns::claim_key(&group_id("app-0")))
    );
    drop(a1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_for_a_managed_identity_that_is_not_ready() {
    let lab = Lab::start("identity").await;
    lab.admin("identity/not-ready", json!({"seconds": 4})).await;
    let agent = AgentProcess::start(&lab.agent_env("app-0"), &[]);
    lab.until(
        "registered once the identity works",
        Duration::from_secs(30),
        || async { lab.ips().await == ["10.0.1.4"] },
    )
    .await;
    let warnings: Vec<_> = agent
        .json_logs()
        .into_iter()
        .filter(|l| l["level"] == "WARN" && l["message"] == "round failed; retrying")
        .collect();
    assert!(!warnings.is_empty(), "{:?}", agent.logs());
    assert!(
        warnings[0]["error"]
            .as_str()
            .unwrap()
            .contains("has no token yet"),
        "{}",
        warnings[0]
    );
    assert!(lab.counter("ManagedIdentity.Token") >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backs_off_under_a_throttling_storm_and_succeeds() {
    let lab = Lab::start("throttle").await;
    // Longer than the client's own retries (6): the round fails and the agent backs off.
    // Only the agent's calls (the test polls the record itself).
    lab.admin(
        "faults",
        json!({"service": "arm", "path_contains": "containerGroups/app-0", "status": 429, "retry_after": 1, "times": 9}),
    )
    .await;
    let agent = AgentProcess::start(&lab.agent_env("app-0"), &[]);
    lab.until(
        "registered after the storm",
        Duration::from_secs(60),
        || async { lab.ips().await == ["10.0.1.4"] },
    )
    .await;
    let logs = agent.json_logs();
    let throttled = logs
        .iter()
        .filter(|l| l["message"] == "round failed; retrying")
        .count();
    assert!(throttled >= 1, "{:?}", agent.logs());
    assert!(agent.logged("Azure is throttling"), "{:?}", agent.logs());
    assert!(agent.logged("recovered"));
    // Every throttled call was answered, none skipped: 9 throttled + 1 served.
    assert_eq!(lab.counter("ContainerInstance.ContainerGroups_Get"), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_changes_a_record_it_does_not_own() {
    let lab = Lab::start("foreign").await;
    lab.put_foreign_record(&["10.9.9.9"], &[("acilab_owner", "someone-else")])
        .await;
    let before = lab.record().await.unwrap();
    let mut agent = AgentProcess::start(&lab.agent_env("app-0"), &[]);
    lab.until("refusal logged", ONE_ROUND, || async {
        agent.logged("acilab never changes a record it does not own")
    })
    .await;
    agent.signal("TERM");
    assert_eq!(agent.wait(Duration::from_secs(15)).await, 0);
    let after = lab.record().await.unwrap();
    assert_eq!(after.etag, before.etag, "the foreign record was written");
    assert_eq!(after.ipv4_addresses, ["10.9.9.9"]);

    // A record made outside acilab (no owner at all) is just as safe.
    lab.put_foreign_record(&["10.9.9.8"], &[]).await;
    let before = lab.record().await.unwrap();
    let mut agent = AgentProcess::start(&lab.agent_env("app-0"), &[]);
    lab.until("refusal logged", ONE_ROUND, || async {
        agent.logged("created outside acilab")
    })
    .await;
    agent.signal("TERM");
    agent.wait(Duration::from_secs(15)).await;
    assert_eq!(lab.record().await.unwrap().etag, before.etag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_with_a_client_secret_as_init_container() {
    let lab = Lab::start("once").await;
    let mut env = lab.agent_env("app-1");
    env.remove("IDENTITY_ENDPOINT");
    env.remove("IDENTITY_HEADER");
    env.insert("AZURE_CLIENT_ID".into(), APP_ID.into());
    env.insert("AZURE_CLIENT_SECRET".into(), APP_SECRET.into());
    env.insert("AZURE_TENANT_ID".into(), lab.emu.tenant_id().into());
    let mut agent = AgentProcess::start(&env, &["--once"]);
    assert_eq!(
        agent.wait(Duration::from_secs(30)).await,
        0,
        "{:?}",
        agent.logs()
    );
    // Registered and left in place (an init container exits right away).
    assert_eq!(lab.ips().await, ["10.0.1.5"]);
    assert!(agent.logged("client secret"));
    assert!(
        !agent.logs().iter().any(|l| l.contains(APP_SECRET)),
        "the secret reached the logs"
    );
    assert_eq!(lab.counter("ManagedIdentity.Token"), 0);

    // With no way to succeed, --once gives up after its timeout with exit code 1.
    env.insert(
        "ACILAB_DNS_ZONE_ID".into(),
        zone_id().replace("acilab.internal", "missing.internal"),
    );
    env.insert("ACILAB_ONCE_TIMEOUT_SECONDS".into(), "3".into());
    let mut agent = AgentProcess::start(&env, &["--once"]);
    assert_eq!(
        agent.wait(Duration::from_secs(30)).await,
        1,
        "{:?}",
        agent.logs()
    );
    assert!(agent.logged("gave up after 3 s"), "{:?}", agent.logs());
}

#[tokio::test]
async fn malformed_configuration_exits_with_one_line() {
    let base = [
        ("ACILAB_CONTAINER_GROUP_ID", group_id("app-0")),
        ("ACILAB_DNS_ZONE_ID", zone_id()),
        ("ACILAB_DNS_RECORD_NAME", "app".to_string()),
    ];
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "ACILAB_DNS_ZONE_ID: nothing to do"),
        (
            vec![("ACILAB_DNS_ZONE_ID", "acilab.internal".into())],
            "ACILAB_DNS_ZONE_ID: \"acilab.internal\" is not a Private DNS zone id",
        ),
        (
            base.iter()
                .cloned()
                .chain([("ACILAB_INTERVAL_SECONDS", "soon".to_string())])
                .collect(),
            "ACILAB_INTERVAL_SECONDS: \"soon\" is not a whole number",
        ),
        (
            base.iter()
                .cloned()
                .chain([("ACILAB_DNS_RECORD_NAME", "bad name".to_string())])
                .collect(),
            "ACILAB_DNS_RECORD_NAME: \"bad name\" is not a relative DNS name",
        ),
        (
            base.iter()
                .cloned()
                .chain([("ACILAB_TIMEOUT", "5".to_string())])
                .collect(),
            "ACILAB_TIMEOUT: unknown variable",
        ),
        (
            base.iter()
                .cloned()
                .chain([("AZURE_CLIENT_SECRET", "p4ssw0rd-xyz".to_string())])
                .collect(),
            "AZURE_TENANT_ID: missing",
        ),
        (
            base.iter()
                .cloned()
                .chain([("ACILAB_HEALTH_ADDR", "8091".to_string())])
                .collect(),
            "ACILAB_HEALTH_ADDR: \"8091\" is not an address:port",
        ),
    ];
    for (vars, expected) in cases {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_acilab-agent"))
            .env_clear()
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{vars:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("acilab-agent: configuration error: {expected}")),
            "{vars:?}: {stderr}"
        );
        assert!(!stderr.contains("p4ssw0rd"), "{stderr}");
    }
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_acilab-agent"))
        .arg("--bogus")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument \"--bogus\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_with_a_federated_token_file() {
    let lab = Lab::start("federated").await;
    // A workload-identity style token in a file, trusted through a federated credential.
    let subject = "system:serviceaccount:acilab:agent";
    let issued = lab.admin("oidc-token", json!({"subject": subject})).await;
    lab.admin(
        "seed",
        json!({"principals": [{"client_id": APP_ID, "object_id": APP_OID, "federated_credentials": [{"issuer": issued["issuer"], "subject": subject}]}]}),
    )
    .await;
    let token_file = lab.dir.join("token");
    std::fs::write(&token_file, issued["value"].as_str().unwrap()).unwrap();
    let mut env = lab.agent_env("app-1");
    env.remove("IDENTITY_ENDPOINT");
    env.remove("IDENTITY_HEADER");
    env.insert("AZURE_CLIENT_ID".into(), APP_ID.into());
    env.insert("AZURE_TENANT_ID".into(), lab.emu.tenant_id().into());
    env.insert(
        "AZURE_FEDERATED_TOKEN_FILE".into(),
        token_file.to_str().unwrap().into(),
    );
    let mut agent = AgentProcess::start(&env, &["--once"]);
    assert_eq!(
        agent.wait(Duration::from_secs(30)).await,
        0,
        "{:?}",
        agent.logs()
    );
    assert_eq!(lab.ips().await, ["10.0.1.5"]);
    assert!(agent.logged("federated token file"));
    assert!(lab.counter("Entra.Token") >= 1);
}
