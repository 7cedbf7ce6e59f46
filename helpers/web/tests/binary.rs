//! The `web` binary itself: configuration errors and a real start / stop.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_web");

fn run_with(vars: &[(&str, &str)]) -> std::process::Output {
    Command::new(BIN)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn config_errors_exit_2_with_one_line_naming_the_variable() {
    for (name, value) in [
        ("API_URL", "ftp://api:8080"),
        ("API_URL", "http://"),
        ("LISTEN_ADDR", "localhost"),
        ("API_TIMEOUT_SECONDS", "-1"),
        ("LOG_LEVEL", "chatty"),
    ] {
        let out = run_with(&[(name, value)]);
        assert_eq!(out.status.code(), Some(2), "{name}={value}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(&format!("web: {name}: ")), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = run_with(&[("API_URL", "gopher://u:hunter2@api/")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
}

#[test]
fn help_lists_the_variables() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for v in ["API_URL", "LISTEN_ADDR", "API_TIMEOUT_SECONDS", "LOG_LEVEL"] {
        assert!(text.contains(v), "{v}");
    }
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn serves_with_the_api_down_and_stops_on_sigterm() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let api_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(BIN)
        .env_clear()
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("API_URL", format!("http://127.0.0.1:{api_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match client.get(format!("http://127.0.0.1:{port}/")).send().await {
                Ok(r) => {
                    assert_eq!(r.status().as_u16(), 200);
                    break r.text().await.unwrap();
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("web did not start: {e}"),
            }
        }
    });
    assert!(body.contains("id=\"api-down\""));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "web did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    // JSON logs, one object a line.
    for line in logs.lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(v.get("level").is_some(), "{line}");
    }
    assert!(logs.contains("web frontend started"), "{logs}");
    assert!(logs.contains("API call failed"), "{logs}");
}
