//! The `sql-api` binary as a process: configuration errors (exit code 2, one line naming the
//! variable), and a run against PostgreSQL with the password in a secrets directory, JSON logs
//! without the password, SIGTERM.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app_db::testing::TestPostgres;

const BIN: &str = env!("CARGO_BIN_EXE_sql-api");

fn run_with(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env(
            "SECRETS_DIR",
            std::env::temp_dir().join("sql-api-no-secrets-here"),
        )
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn configuration_errors_exit_2_naming_the_variable() {
    let empty = std::env::temp_dir().join(format!("sql-api-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let dir = empty.to_str().unwrap();
    let base = [
        ("SECRETS_DIR", dir),
        ("SQL_ENGINE", "postgres"),
        ("SQL_SERVER_FQDN", "127.0.0.1"),
        ("SQL_SERVER_USERNAME", "u"),
        ("SQL_SERVER_PASSWORD", "hunter2"),
    ];
    let cases: &[(&str, Option<(&str, &str)>)] = &[
        ("SQL_SERVER_FQDN", None),
        ("SQL_SERVER_PASSWORD", None),
        ("PORT", Some(("PORT", "eighty"))),
        ("SQL_ENGINE", Some(("SQL_ENGINE", "oracle"))),
        ("PI_MAX_DIGITS", Some(("PI_MAX_DIGITS", "-1"))),
        ("CURL_ALLOWED_URLS", Some(("CURL_ALLOWED_URLS", "ftp://x"))),
    ];
    for (var, set) in cases {
        let mut env: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| k != var).collect();
        if let Some(kv) = set {
            env.push(*kv);
        }
        let (code, stderr) = run_with(&env);
        assert_eq!(code, Some(2), "{var}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{var}: {stderr}");
        assert!(
            stderr.starts_with("sql-api: configuration error: "),
            "{stderr}"
        );
        assert!(stderr.contains(var), "{var}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
    let (code, _) = run_with(&[("X", "y")]);
    assert_eq!(code, Some(2));
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("SQL_SERVER_FQDN") && help.contains("PI_MAX_DIGITS"));
    std::fs::remove_dir_all(&empty).unwrap();
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::Write as _;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn runs_against_postgres_with_the_password_from_the_secrets_dir() {
    let server = TestPostgres::start().unwrap();
    let vars = server.env_vars();
    let password = vars["SQL_SERVER_PASSWORD"].clone();
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(
        secrets.path().join("SQL_SERVER_PASSWORD"),
        format!("{password}\n"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = secrets
        .path()
        .join("..")
        .join(format!("sql-api-{port}.log"));
    let log_file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(vars.iter().filter(|(k, _)| *k != "SQL_SERVER_PASSWORD"))
        .env("SECRETS_DIR", secrets.path())
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "not listening");
        assert!(child.try_wait().unwrap().is_none(), "exited early");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(http_get(port, "/api/healthcheck").0, 200);
    let (s, b) = http_get(port, "/api/sqlsrcipinit");
    assert_eq!(s, 200, "{b}");
    let (s, b) = http_get(port, "/api/sqlsrciplog");
    assert_eq!(s, 200, "{b}");
    assert!(b.contains("\"ip\":\"127.0.0.1\""), "{b}");
    let (s, b) = http_get(port, "/api/printenv");
    assert_eq!(s, 200);
    assert!(!b.contains(&password));

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");

    let logs = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(!logs.contains(&password), "password in the logs:\n{logs}");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["message"] == "listening"), "{logs}");
    assert!(
        lines.iter().any(|l| l["message"] == "request"
            && l["path"] == "/api/sqlsrciplog"
            && l["status"] == 200),
        "{logs}"
    );
    assert!(lines.iter().any(|l| l["message"] == "stopped"), "{logs}");
}
