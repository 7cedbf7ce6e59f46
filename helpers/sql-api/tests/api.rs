//! Every endpoint over HTTP, in-process, against real PostgreSQL and MariaDB servers started by
//! `app_db::testing`; rows are read back through a separate pool.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use app_db::Db;
use app_db::testing::{TestMariaDb, TestPostgres};
use axum::routing::get;
use serde_json::{Value, json};
use sql_api::config::Config;
use sql_api::{AppState, router};

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn get(&self, path: &str) -> (u16, Value) {
        self.get_with(path, &[]).await
    }

    async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let body = r.text().await.unwrap();
        assert_eq!(ct.as_deref(), Some("application/json"), "{path}: {body}");
        (status, serde_json::from_str(&body).unwrap())
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Starts the API in this process with `env` as its whole environment.
async fn start(env: BTreeMap<String, String>, fs_root: Option<&Path>) -> Api {
    let config = Config::from_env(&env).unwrap();
    let db = Db::connect_lazy(&config.db).unwrap();
    let mut state = AppState::new(&config, &env, db).unwrap();
    if let Some(root) = fs_root {
        state = state.with_fs_root(root);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router(Arc::new(state)).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Api {
        base: format!("http://{addr}"),
        http: client(),
    }
}

/// A little HTTP server on loopback standing in for an echo service and a curl target.
async fn peer() -> String {
    let app = axum::Router::new()
        .route(
            "/json",
            get(|| async { axum::Json(json!({"ip": "203.0.113.7"})) }),
        )
        .route("/text", get(|| async { "hello from the allowed URL\n" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The database endpoints, then the rows read back through another pool.
async fn database_endpoints(env: BTreeMap<String, String>, version: &str) {
    let api = start(env.clone(), None).await;

    let (s, b) = api.get("/api/healthcheck").await;
    assert_eq!(s, 200);
    assert_eq!(b["health"], "OK");

    let (s, b) = api.get("/api/sqlversion").await;
    assert_eq!(s, 200, "{b}");
    assert!(b["sql_output"].as_str().unwrap().contains(version), "{b}");

    let (s, b) = api.get("/api/sqlsrcip").await;
    assert_eq!((s, b), (200, json!({"sql_output": "127.0.0.1"})));

    // Logging before the table exists: a clear conflict, not a 200 with an error string.
    let (s, b) = api.get("/api/sqlsrciplog").await;
    assert_eq!(s, 409, "{b}");
    assert!(b["error"].as_str().unwrap().contains("srciplog"), "{b}");

    // Idempotent, also concurrently.
    let (a, b2, c) = tokio::join!(
        api.get("/api/sqlsrcipinit"),
        api.get("/api/sqlsrcipinit"),
        api.get("/api/sqlsrcipinit")
    );
    for (s, b) in [a, b2, c] {
        assert_eq!((s, b), (200, json!({"table_created": "srciplog"})));
    }
    assert_eq!(api.get("/api/sqlsrcipinit").await.0, 200);

    let (a, b2, c) = tokio::join!(
        api.get("/api/sqlsrciplog"),
        api.get("/api/sqlsrciplog"),
        api.get("/api/sqlsrciplog")
    );
    for (s, b) in [a, b2, c] {
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["srciplog"]["ip"], "127.0.0.1");
        assert_eq!(
            b["srciplog"]["timestamp"].as_str().unwrap().len(),
            26,
            "{b}"
        );
    }

    // Committed: another pool (other connections) sees exactly the three rows.
    let cfg = Config::from_env(&env).unwrap().db;
    let other = Db::connect(&cfg).await.unwrap();
    assert_eq!(
        other.counts_by_ip().await.unwrap(),
        vec![("127.0.0.1".to_string(), 3)]
    );

    // Nothing about the database comes from the request.
    for path in [
        "/api/sqlversion?SQL_SERVER_FQDN=evil.example",
        "/api/sqlsrcip?SQL_SERVER_PASSWORD=x&SQL_SERVER_USERNAME=sa",
        "/api/sqlsrciplog?sql_engine=sqlserver",
        "/api/sqlsrcipinit?QUERY=DROP%20TABLE%20srciplog",
    ] {
        let (s, b) = api.get(path).await;
        assert_eq!(s, 400, "{path}: {b}");
        assert!(b["error"].as_str().unwrap().contains("not accepted"), "{b}");
    }
    let (s, b) = api.get("/api/sql?QUERY=SELECT%201").await;
    assert_eq!(s, 410, "{b}");
    assert_eq!(
        other.counts_by_ip().await.unwrap(),
        vec![("127.0.0.1".to_string(), 3)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_endpoints() {
    let server = TestPostgres::start().unwrap();
    Box::pin(database_endpoints(server.env_vars(), "PostgreSQL")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_endpoints() {
    let server = TestMariaDb::start().unwrap();
    Box::pin(database_endpoints(server.env_vars(), "MariaDB")).await;
}

/// A configuration whose database is a closed port on loopback.
fn env_without_database(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut env: BTreeMap<String, String> = [
        ("SQL_ENGINE", "postgres"),
        ("SQL_SERVER_FQDN", "127.0.0.1"),
        ("SQL_SERVER_USERNAME", "acilab"),
        ("SQL_SERVER_PASSWORD", "Sup3r-S3cret-pw"),
        ("SQL_TLS", "disable"),
        ("SQL_CONNECT_TIMEOUT_SECS", "1"),
        ("PATH", "/usr/bin:/bin"),
        ("HOSTNAME", "api-0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.insert("SQL_SERVER_PORT".into(), port.to_string());
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    env
}

#[tokio::test]
async fn database_down_is_503_json_without_the_password() {
    let api = start(env_without_database(&[]), None).await;
    // The health check does not depend on the database.
    assert_eq!(api.get("/api/healthcheck").await.0, 200);
    for path in [
        "/api/sqlversion",
        "/api/sqlsrcip",
        "/api/sqlsrcipinit",
        "/api/sqlsrciplog",
    ] {
        let (s, b) = api.get(path).await;
        assert_eq!(s, 503, "{path}: {b}");
        let text = b.to_string();
        assert!(
            b["error"].as_str().unwrap().contains("unavailable"),
            "{text}"
        );
        assert!(!text.contains("Sup3r-S3cret-pw"), "{text}");
    }
}

#[tokio::test]
async fn ip_reports_the_container_network() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path();
    std::fs::create_dir_all(p.join("etc")).unwrap();
    std::fs::create_dir_all(p.join("proc/net")).unwrap();
    std::fs::create_dir_all(p.join("proc/sys/kernel")).unwrap();
    std::fs::write(
        p.join("etc/resolv.conf"),
        "search acilab.internal\nnameserver 168.63.129.16\n",
    )
    .unwrap();
    std::fs::write(
        p.join("proc/net/route"),
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0101000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
    )
    .unwrap();
    // `localhost` resolves to loopback only, so the private IP comes from fib_trie.
    std::fs::write(p.join("proc/sys/kernel/hostname"), "localhost\n").unwrap();
    std::fs::write(
        p.join("proc/net/fib_trie"),
        "Local:\n  +-- 10.0.1.0/24 2 0 2\n     |-- 10.0.1.4\n        /32 host LOCAL\n",
    )
    .unwrap();

    // No echo URL: no public IP, and nothing fetched.
    let api = start(env_without_database(&[]), Some(p)).await;
    let (s, b) = api
        .get_with(
            "/api/ip",
            &[
                ("x-forwarded-for", "198.51.100.9"),
                ("user-agent", "test/1"),
            ],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["my_private_ip"], "10.0.1.4");
    assert_eq!(b["my_public_ip"], Value::Null);
    assert_eq!(b["my_dns_servers"], json!(["168.63.129.16"]));
    if cfg!(target_endian = "little") {
        assert_eq!(b["my_default_gateway"], "10.0.1.1");
    }
    assert_eq!(b["your_address"], "127.0.0.1");
    assert_eq!(b["x-forwarded-for"], "198.51.100.9");
    assert_eq!(b["your_user_agent"], "test/1");
    let host = api.base.trim_start_matches("http://");
    assert_eq!(b["host"], host);
    assert_eq!(b["path_accessed"], format!("{host}/api/ip"));
    assert_eq!(b["sql_server_fqdn"], "127.0.0.1");
    assert_eq!(b["sql_server_ip"], "127.0.0.1");

    // With an echo URL (here a loopback stand-in): the egress IP it reports.
    let peer = peer().await;
    let echo = format!("{peer}/json");
    let api = start(
        env_without_database(&[("PUBLIC_IP_ECHO_URL", echo.as_str())]),
        Some(p),
    )
    .await;
    let (s, b) = api.get("/api/ip").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["my_public_ip"], "203.0.113.7");
}

#[tokio::test]
async fn dns_resolves_and_validates() {
    let api = start(env_without_database(&[]), None).await;
    let (s, b) = api.get("/api/dns?fqdn=localhost").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["fqdn"], "localhost");
    assert_eq!(b["ip"], "127.0.0.1");
    assert!(b["ips"].as_array().unwrap().contains(&json!("127.0.0.1")));
    let (s, b) = api.get("/api/dns?fqdn=127.0.0.1").await;
    assert_eq!((s, b["ip"].clone()), (200, json!("127.0.0.1")));
    for path in [
        "/api/dns",
        "/api/dns?fqdn=",
        "/api/dns?fqdn=a%20b;ls",
        "/api/dns?fqdn=-x",
    ] {
        let (s, b) = api.get(path).await;
        assert_eq!(s, 400, "{path}: {b}");
        assert!(b["error"].is_string());
    }
}

#[tokio::test]
async fn pi_is_bounded() {
    let api = start(env_without_database(&[("PI_MAX_DIGITS", "500")]), None).await;
    let (s, b) = api.get("/api/pi?digits=10").await;
    assert_eq!((s, b), (200, json!({"pi": "3.141592653"})));
    let (s, b) = api.get("/api/pi?digits=500").await;
    assert_eq!(s, 200);
    assert_eq!(b["pi"].as_str().unwrap().len(), 501);
    // Without `digits`: 1000, capped.
    let (s, b) = api.get("/api/pi").await;
    assert_eq!(s, 200);
    assert_eq!(b["pi"].as_str().unwrap().len(), 501);
    for path in [
        "/api/pi?digits=501",
        "/api/pi?digits=100000000000",
        "/api/pi?digits=0",
        "/api/pi?digits=-3",
        "/api/pi?digits=ten",
    ] {
        let (s, b) = api.get(path).await;
        assert_eq!(s, 400, "{path}: {b}");
        assert!(b["error"].is_string());
    }
    let (_, b) = api.get("/api/pi?digits=501").await;
    assert!(b["error"].as_str().unwrap().contains("500"), "{b}");
}

#[tokio::test]
async fn printenv_hides_secrets() {
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(secrets.path().join("SQL_SERVER_PASSWORD"), "file-pw\n").unwrap();
    std::fs::write(secrets.path().join("DB_LOGIN_HINT"), "also secret\n").unwrap();
    let dir = secrets.path().to_str().unwrap();
    let mut env = env_without_database(&[
        ("SECRETS_DIR", dir),
        ("GITHUB_TOKEN", "ghp_abc"),
        ("STORAGE_ACCOUNT_KEY", "k=="),
        ("AKV_SECRET_NAME", "dbpw"),
        ("IDENTITY_HEADER", "mi-header"),
        ("DATABASE_URL", "postgres://u:urlpw@h/db"),
        ("DB_LOGIN_HINT", "from env but also a secret file"),
        ("PASSWORD_COPY_UNDER_OTHER_NAME", "x"),
        ("INNOCENT", "Sup3r-S3cret-pw"),
    ]);
    // The password only in the secrets directory.
    env.remove("SQL_SERVER_PASSWORD");
    let api = start(env, None).await;
    let (s, b) = api.get("/api/printenv").await;
    assert_eq!(s, 200);
    let shown: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(
        shown.contains(&"PATH") && shown.contains(&"SQL_SERVER_FQDN"),
        "{shown:?}"
    );
    assert!(
        shown.contains(&"INNOCENT"),
        "only the configured password is a secret value"
    );
    for hidden in [
        "SQL_SERVER_PASSWORD",
        "GITHUB_TOKEN",
        "STORAGE_ACCOUNT_KEY",
        "AKV_SECRET_NAME",
        "IDENTITY_HEADER",
        "DATABASE_URL",
        "DB_LOGIN_HINT",
        "PASSWORD_COPY_UNDER_OTHER_NAME",
    ] {
        assert!(!shown.contains(&hidden), "{hidden} shown: {shown:?}");
    }
    let text = b.to_string();
    for secret in ["file-pw", "ghp_abc", "urlpw", "mi-header"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn printenv_hides_a_password_given_in_the_environment() {
    let mut env = env_without_database(&[]);
    env.insert("ALIAS".into(), "Sup3r-S3cret-pw".into());
    let api = start(env, None).await;
    let (_, b) = api.get("/api/printenv").await;
    assert!(!b.to_string().contains("Sup3r-S3cret-pw"), "{b}");
    assert!(b.get("HOSTNAME").is_some());
}

#[tokio::test]
async fn curl_only_fetches_allowed_urls() {
    let api = start(env_without_database(&[]), None).await;
    let (s, b) = api.get("/api/curl?url=http://127.0.0.1:1/").await;
    assert_eq!(s, 404, "disabled without an allow-list: {b}");

    let peer = peer().await;
    let allowed = format!("{peer}/text");
    let api = start(
        env_without_database(&[("CURL_ALLOWED_URLS", allowed.as_str())]),
        None,
    )
    .await;
    let (s, b) = api.get(&format!("/api/curl?url={allowed}")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["url"], allowed);
    assert_eq!(b["method"], "GET");
    assert_eq!(b["answer"], "hello from the allowed URL\n");
    // Default: the first allowed URL.
    assert_eq!(api.get("/api/curl").await.0, 200);
    for other in [
        format!("{peer}/json"),
        "http://169.254.169.254/metadata/identity/oauth2/token".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        let (s, b) = api.get(&format!("/api/curl?url={other}")).await;
        assert_eq!(s, 403, "{other}: {b}");
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json_errors() {
    let api = start(env_without_database(&[]), None).await;
    let (s, b) = api.get("/api/nope").await;
    assert_eq!(s, 404);
    assert!(b["error"].as_str().unwrap().contains("/api/nope"));
    for gone in ["/api/sql", "/api/mysql", "/api/akvsecret"] {
        assert_eq!(api.get(gone).await.0, 410, "{gone}");
    }
    let r = api
        .http
        .post(format!("{}/api/healthcheck", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let b: Value = r.json().await.unwrap();
    assert!(b["error"].is_string());
}
