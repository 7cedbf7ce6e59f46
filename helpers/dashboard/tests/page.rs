//! The page, the JSON endpoint and the live chart in headless Chromium, over an in-memory
//! source of counts (the database tests are in `db.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::chromium::{self, Chromium};
use dashboard::{AppState, CountsFuture, CountsSource, SourceError};
use serde_json::json;

/// Counts held in memory; `None` plays a database that is down.
#[derive(Clone, Default)]
struct Fake(Arc<Mutex<Option<BTreeMap<String, i64>>>>);

impl Fake {
    fn set(&self, rows: &[(&str, i64)]) {
        *self.0.lock().unwrap() = Some(rows.iter().map(|(ip, n)| ((*ip).to_owned(), *n)).collect());
    }
    fn down(&self) {
        *self.0.lock().unwrap() = None;
    }
}

impl CountsSource for Fake {
    fn counts(&self) -> CountsFuture<'_> {
        let now = self.0.lock().unwrap().clone();
        Box::pin(async move {
            now.map(|m| m.into_iter().collect())
                .ok_or(SourceError::Unavailable)
        })
    }
}

async fn start(source: Fake) -> String {
    let state = Arc::new(AppState::new(source, "postgres", Duration::ZERO));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(dashboard::serve(listener, state, std::future::pending()));
    format!("http://{addr}")
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn page_is_self_contained() {
    let fake = Fake::default();
    fake.set(&[]);
    let base = start(fake).await;
    let r = client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("<svg id=\"architecture\""));
    for part in [
        "Application",
        "nginx :443",
        "web :80",
        "api :8080",
        "agent",
        "Private endpoint",
        "Azure SQL",
        "Key Vault",
        "Container Registry",
        "Private DNS zone",
        "dashboard",
    ] {
        assert!(
            body.contains(part),
            "{part} missing from the architecture picture"
        );
    }
    assert!(body.contains("<svg id=\"chart\""));
    assert!(body.contains("data-interval=\"2000\""));
    // Only our own assets: no absolute src/href except links to read, no inline script.
    assert!(body.contains("<script src=\"assets/dashboard.js\" defer></script>"));
    assert!(!body.contains("src=\"http") && !body.contains("stylesheet\" href=\"http"));
    assert_eq!(body.matches("<script").count(), 1);

    for (path, kind) in [
        ("assets/dashboard.js", "text/javascript"),
        ("assets/dashboard.css", "text/css"),
    ] {
        let r = client().get(format!("{base}/{path}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        let text = r.text().await.unwrap();
        assert!(!text.contains("http://") || path.ends_with(".js"), "{path}");
        assert!(
            !text.contains("innerHTML"),
            "{path} builds no HTML from data"
        );
    }
}

#[tokio::test]
async fn counts_endpoint() {
    let fake = Fake::default();
    fake.set(&[("10.0.1.10", 2), ("10.0.1.9", 5)]);
    let base = start(fake.clone()).await;
    let r = client()
        .get(format!("{base}/api/counts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"engine": "postgres", "total": 7, "counts": [
            {"ip": "10.0.1.9", "count": 5}, {"ip": "10.0.1.10", "count": 2}]})
    );

    fake.down();
    let r = client()
        .get(format!("{base}/api/counts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, json!({"error": "database unavailable"}));
    // The page itself does not need the database.
    let r = client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_in_chromium_with_hostile_and_failing_data() {
    let chromium = Chromium::find();
    let fake = Fake::default();
    fake.set(&[("10.0.1.4", 3), ("<img src=x onerror=alert(1)>", 1)]);
    let base = start(fake.clone()).await;
    let url = format!("{base}/");
    let dom = tokio::task::spawn_blocking({
        let url = url.clone();
        move || Chromium::find().dump_dom(&url, Duration::from_millis(2500))
    })
    .await
    .unwrap();
    assert_eq!(
        chromium::bars(&dom),
        [
            ("10.0.1.4".to_owned(), 3),
            ("<img src=x onerror=alert(1)>".to_owned(), 1)
        ]
    );
    assert!(!dom.contains("<img"), "the hostile label stays text");
    assert!(dom.contains("4 rows from 2 source IP addresses"), "{dom}");

    // Database down: the page says so.
    fake.down();
    let dom =
        tokio::task::spawn_blocking(move || chromium.dump_dom(&url, Duration::from_millis(2500)))
            .await
            .unwrap();
    assert!(dom.contains("Not updated: database unavailable"), "{dom}");
    assert!(chromium::bars(&dom).is_empty());
}
