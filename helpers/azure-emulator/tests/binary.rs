//! The `azure-emulator` binary: seed file, CA file, state file surviving a restart, clean stop
//! on SIGTERM, and a clear error for a bad seed.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Run {
    child: std::process::Child,
    admin: String,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// `Run`'s Drop (or `stop`) waits for the child.
#[allow(clippy::zombie_processes)]
fn start(dir: &std::path::Path, seed: &std::path::Path) -> Run {
    let (https, http, dns) = (free_port(), free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_azure-emulator"))
        .args([
            "--https-addr",
            &format!("127.0.0.1:{https}"),
            "--http-addr",
            &format!("127.0.0.1:{http}"),
            "--dns-addr",
            &format!("127.0.0.1:{dns}"),
        ])
        .arg("--ca-file")
        .arg(dir.join("ca.pem"))
        .arg("--state-file")
        .arg(dir.join("state.json"))
        .arg("--seed")
        .arg(seed)
        .arg("--pid-file")
        .arg(dir.join("emulator.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let admin = format!("http://127.0.0.1:{http}/admin");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
            && dir.join("emulator.pid").exists()
        {
            return Run { child, admin };
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the emulator did not start");
}

fn stop(mut run: Run) {
    let status = Command::new("kill")
        .args(["-TERM", &run.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = run.child.wait().unwrap();
    std::mem::forget(run);
    assert!(code.success(), "exit status {code:?}");
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("acilab-emu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(&seed, json!({"container_groups": [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app-0", "ip": "10.0.1.4"}]}).to_string()).unwrap();
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth(),
        )
        .build()
        .unwrap();

    let run = start(&dir, &seed);
    assert!(
        std::fs::read_to_string(dir.join("ca.pem"))
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let health: Value = http
        .get(format!("{}/health", run.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let r: Value = http
        .post(format!("{}/container-groups/restart", run.admin))
        .json(&json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app-0", "ip": "10.0.1.77"}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(r["ip"], "10.0.1.77");
    stop(run);
    assert!(
        !dir.join("emulator.pid").exists(),
        "pid file removed on a clean stop"
    );

    // Restarted with the same seed: the state file wins over nothing, the restart is remembered.
    let run = start(&dir, &seed);
    let state: Value = http
        .get(format!("{}/state", run.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = &state["container_groups"]["/subscriptions/s/resourcegroups/rg/providers/microsoft.containerinstance/containergroups/app-0"];
    assert_eq!(group["ip"], "10.0.1.77");
    assert_eq!(group["restart_count"], 1);
    stop(run);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_seed_fails_with_one_clear_line() {
    let dir = std::env::temp_dir().join(format!("acilab-emu-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        json!({"role_assignments": [{"principal_id": "p", "role": "Superuser", "scope": "/"}]})
            .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_azure-emulator"))
        .args([
            "--https-addr",
            "127.0.0.1:0",
            "--http-addr",
            "127.0.0.1:0",
            "--dns-addr",
            "127.0.0.1:0",
            "--seed",
        ])
        .arg(&seed)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown role 'Superuser'"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
