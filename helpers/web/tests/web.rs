//! The frontend against a fake SQL API (axum, in-process) answering the original's JSON shapes.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use web::config::Config;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn spawn(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// The original API's answers (sql_api.py), with this sample's values.
fn original_api() -> Router {
    Router::new()
        .route(
            "/api/healthcheck",
            get(|| async { axum::Json(json!({"health": "OK", "version": "1.0"})) }),
        )
        .route(
            "/api/sqlversion",
            get(|| async {
                axum::Json(json!({"sql_output": "PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu"}))
            }),
        )
        .route(
            "/api/sqlsrcip",
            get(|| async { axum::Json(json!({"sql_output": "10.13.76.4"})) }),
        )
        .route(
            "/api/ip",
            get(|| async {
                axum::Json(json!({
                    "my_private_ip": "10.13.1.4",
                    "my_public_ip": null,
                    "my_dns_servers": ["168.63.129.16", "10.13.0.10"],
                    "my_default_gateway": "10.13.1.1",
                    "your_address": "127.0.0.1",
                    "x-forwarded-for": null,
                    "host": "127.0.0.1:8080",
                    "path_accessed": "127.0.0.1:8080/api/ip",
                }))
            }),
        )
}

/// Starts the frontend with these variables on a loopback port; returns its base URL.
async fn start_web(vars: &[(&str, &str)]) -> String {
    let env: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let config = Config::from_env(&env).unwrap();
    let state = Arc::new(web::AppState::new(&config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(web::serve(listener, state, std::future::pending()));
    format!("http://{addr}")
}

async fn get_page(url: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = client().get(url).send().await.unwrap();
    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

/// A loopback port nobody listens on.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

/// The text of the `<li id="...">` element, tags removed.
fn item(body: &str, id: &str) -> String {
    let start = body
        .find(&format!("<li id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[start..];
    // The matching `</li>` (items nest).
    let mut depth = 0usize;
    let mut end = 0;
    let mut i = 0;
    while i < rest.len() {
        if rest[i..].starts_with("<li") {
            depth += 1;
        } else if rest[i..].starts_with("</li>") {
            depth -= 1;
            if depth == 0 {
                end = i;
                break;
            }
        }
        i += rest[i..].chars().next().unwrap().len_utf8();
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in rest[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[tokio::test]
async fn renders_what_the_api_reports() {
    let api = spawn(original_api()).await;
    let web = start_web(&[("API_URL", &format!("http://{api}"))]).await;
    let (status, headers, body) = get_page(&format!("{web}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");

    let host = hostname();
    assert!(body.contains(&format!("Welcome to {host}")), "{body}");
    assert!(body.contains(&format!("<h1>{host}</h1>")), "{body}");
    assert!(
        body.contains(&format!("<code>http://{api}</code>")),
        "{body}"
    );
    assert_eq!(item(&body, "health"), "Healthcheck: OK");
    assert_eq!(
        item(&body, "sqlversion"),
        "SQL version: PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu"
    );
    assert_eq!(
        item(&body, "sqlsrcip"),
        "Source IP address seen by SQL: 10.13.76.4"
    );
    let ip = item(&body, "ip");
    for expected in [
        "Private IP address: 10.13.1.4",
        "Public (egress) IP address: not reported",
        "DNS servers: 168.63.129.16, 10.13.0.10",
        "Default gateway: 10.13.1.1",
        "HTTP request X-Forwarded-For header: not reported",
        "HTTP requested path: 127.0.0.1:8080/api/ip",
    ] {
        assert!(ip.contains(expected), "{expected:?} not in {ip:?}");
    }
    // The original's navigation, and nothing loaded from elsewhere.
    for link in [
        "href=\"/\"",
        "href=\"/info\"",
        "href=\"/healthcheck.html\"",
        "API docs",
        "Web docs",
        "Not authenticated",
    ] {
        assert!(body.contains(link), "{link}");
    }
    assert!(!body.contains("id=\"api-down\""));
    assert!(!body.contains("unavailable"));
    assert!(!body.contains("<script"), "the page runs no script");
    assert!(body.contains("<link rel=\"stylesheet\" href=\"/styles.css\">"));
    assert!(!body.contains("src=\"http"), "nothing from a CDN");

    let (status, headers, css) = get_page(&format!("{web}/styles.css")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.contains(".nav-bar"));
    assert!(!css.contains("@import") && !css.contains("url("));
}

#[tokio::test]
async fn hostile_api_values_are_escaped() {
    const XSS: &str = "<script>alert(1)</script>";
    const ATTR: &str = "\"><img src=x onerror=alert(2)>";
    let api = spawn(
        Router::new()
            .route(
                "/api/healthcheck",
                get(|| async { axum::Json(json!({"health": XSS})) }),
            )
            .route(
                "/api/sqlversion",
                get(|| async { axum::Json(json!({"sql_output": ATTR})) }),
            )
            .route(
                "/api/sqlsrcip",
                get(|| async { axum::Json(json!({"sql_output": "10.0.0.1 & <b>bold</b>"})) }),
            )
            .route(
                "/api/ip",
                get(|| async {
                    axum::Json(json!({"my_private_ip": XSS, "x-forwarded-for": [ATTR, "'quoted'"]}))
                }),
            ),
    )
    .await;
    let web = start_web(&[("API_URL", &format!("http://{api}"))]).await;
    let token = format!(
        "e30.{}.sig",
        base64_url(&format!(r#"{{"given_name":"{XSS}"}}"#))
    );
    let r = client()
        .get(format!("{web}/"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("<img"), "{body}");
    assert!(!body.contains("<b>"), "{body}");
    assert!(body.contains("Healthcheck: &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(body.contains("SQL version: &quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(body.contains("10.0.0.1 &amp; &lt;b&gt;bold&lt;/b&gt;"));
    assert!(body.contains("Hello, &lt;script&gt;alert(1)&lt;/script&gt;"));
    // What a browser shows is the original text.
    assert_eq!(
        item(&body, "health"),
        "Healthcheck: &lt;script&gt;alert(1)&lt;/script&gt;"
    );
}

fn base64_url(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn api_down_still_renders() {
    let port = closed_port().await;
    let web = start_web(&[("API_URL", &format!("http://127.0.0.1:{port}"))]).await;
    let started = Instant::now();
    let (status, _, body) = get_page(&format!("{web}/")).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&format!("Welcome to {}", hostname())));
    assert!(body.contains("id=\"api-down\""), "{body}");
    for id in ["health", "sqlversion", "sqlsrcip", "ip"] {
        let text = item(&body, id);
        assert!(
            text.contains("unavailable: cannot connect to the API"),
            "{id}: {text}"
        );
    }
    assert!(body.contains("class=\"error unavailable\""));
    assert!(!body.to_lowercase().contains("panic"));
    assert!(!body.contains("reqwest"), "no library internals: {body}");
}

#[tokio::test]
async fn one_failing_call_marks_only_its_part() {
    let api = spawn(
        Router::new()
            .route(
                "/api/healthcheck",
                get(|| async { axum::Json(json!({"health": "OK"})) }),
            )
            .route(
                "/api/sqlversion",
                get(|| async {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"error": "database unavailable"})),
                    )
                        .into_response()
                }),
            )
            .route("/api/sqlsrcip", get(|| async { "not json" }))
            .route(
                "/api/ip",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    "late"
                }),
            ),
    )
    .await;
    let web = start_web(&[
        ("API_URL", &format!("http://{api}/")),
        ("API_TIMEOUT_SECONDS", "0.5"),
    ])
    .await;
    let started = Instant::now();
    let (status, _, body) = get_page(&format!("{web}/")).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout holds"
    );
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("id=\"api-down\""));
    assert_eq!(item(&body, "health"), "Healthcheck: OK");
    assert_eq!(
        item(&body, "sqlversion"),
        "SQL version: unavailable: the API answered HTTP 503: database unavailable"
    );
    assert!(
        item(&body, "sqlsrcip").contains("unavailable: the API's answer is not a JSON object"),
        "{body}"
    );
    assert!(
        item(&body, "ip").contains("unavailable: the API did not answer within 500ms"),
        "{body}"
    );
}

#[tokio::test]
async fn info_healthcheck_and_not_found() {
    let port = closed_port().await;
    let web = start_web(&[("API_URL", &format!("http://127.0.0.1:{port}"))]).await;

    let r = client()
        .get(format!("{web}/info"))
        .header("x-forwarded-for", "203.0.113.7, <i>proxy</i>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    let addr = web.trim_start_matches("http://");
    assert!(body.contains(&format!("Server address: {addr}")), "{body}");
    assert!(body.contains("Remote address: 127.0.0.1:"), "{body}");
    assert!(body.contains("X-Forwarded-For: 203.0.113.7, &lt;i&gt;proxy&lt;/i&gt;"));
    assert!(body.contains(&format!("Host header: {addr}")));
    assert!(body.contains("Software: acilab web "));

    let (status, headers, body) = get_page(&format!("{web}/healthcheck.html")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"health": "OK"})
    );

    let (status, _, body) = get_page(&format!("{web}/%3Cscript%3E")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("<script"));
}
