//! The dashboard over real databases (`app_db::testing`: throwaway PostgreSQL and MariaDB on
//! loopback): the JSON counts on both engines, a database that is down, the binary configured
//! from the environment, and the live chart in headless Chromium seeing rows inserted while the
//! page is open.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app_db::testing::{TestMariaDb, TestPostgres};
use app_db::{Db, DbConfig, Engine, TlsMode};
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use common::chromium::{self, Chromium};
use dashboard::AppState;
use dashboard::db::DbSource;
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn start(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn app(db: &Db) -> axum::Router {
    dashboard::router(Arc::new(AppState::new(
        DbSource::new(db.clone()),
        db.engine().as_str(),
        Duration::ZERO,
    )))
}

async fn get_counts(base: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{base}/api/counts"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn insert(db: &Db, rows: &[(&str, usize)]) {
    for (ip, n) in rows {
        for _ in 0..*n {
            db.log_source_ip(ip).await.unwrap();
        }
    }
}

/// The JSON counts follow the table: empty before it exists, then every insert.
async fn counts_follow_the_table(cfg: DbConfig) {
    let engine = cfg.engine.as_str();
    let db = Db::connect(&cfg).await.unwrap();
    let base = start(app(&db)).await;

    assert_eq!(
        get_counts(&base).await,
        (200, json!({"engine": engine, "total": 0, "counts": []})),
        "no table yet counts as no rows"
    );

    db.init_srciplog().await.unwrap();
    insert(&db, &[("10.0.1.10", 2), ("10.0.1.9", 3), ("fd00::4", 1)]).await;
    assert_eq!(
        get_counts(&base).await,
        (
            200,
            json!({"engine": engine, "total": 6, "counts": [
                {"ip": "10.0.1.9", "count": 3},
                {"ip": "10.0.1.10", "count": 2},
                {"ip": "fd00::4", "count": 1},
            ]})
        )
    );

    insert(&db, &[("10.0.1.10", 4), ("10.0.2.4", 1)]).await;
    let (status, body) = get_counts(&base).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 11);
    assert_eq!(
        body["counts"],
        json!([
            {"ip": "10.0.1.9", "count": 3},
            {"ip": "10.0.1.10", "count": 6},
            {"ip": "10.0.2.4", "count": 1},
            {"ip": "fd00::4", "count": 1},
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_from_postgres() {
    let server = tokio::task::spawn_blocking(TestPostgres::start)
        .await
        .unwrap()
        .unwrap();
    counts_follow_the_table(server.config()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_from_mariadb() {
    let server = tokio::task::spawn_blocking(TestMariaDb::start)
        .await
        .unwrap()
        .unwrap();
    counts_follow_the_table(server.config()).await;
}

#[tokio::test]
async fn database_down_is_a_503_and_the_page_still_loads() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = DbConfig::new(Engine::Postgres, "127.0.0.1", "acilab", "not-the-password");
    cfg.port = port;
    cfg.tls = TlsMode::Disable;
    cfg.connect_timeout = Duration::from_secs(1);
    let db = Db::connect_lazy(&cfg).unwrap();
    let base = start(app(&db)).await;

    let started = Instant::now();
    let (status, body) = get_counts(&base).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        (status, body),
        (503, json!({"error": "database unavailable"}))
    );

    let r = client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// The real binary, configured as a container would be (password from a secrets file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_from_environment_and_secrets_dir() {
    let bin = env!("CARGO_BIN_EXE_dashboard");

    // A missing variable: exit 2 with one line naming it.
    let out = Command::new(bin)
        .env_clear()
        .env("SQL_ENGINE", "postgres")
        .env("SECRETS_DIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("dashboard: SQL_SERVER_FQDN"), "{stderr}");
    for (k, v) in [("SQL_ENGINE", "oracle"), ("LISTEN_ADDR", "8050")] {
        let out = Command::new(bin)
            .env_clear()
            .env("SQL_SERVER_FQDN", "db")
            .env(k, v)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{k}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with(&format!("dashboard: {k}")), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }

    let server = tokio::task::spawn_blocking(TestPostgres::start)
        .await
        .unwrap()
        .unwrap();
    let db = Db::connect(&server.config()).await.unwrap();
    db.init_srciplog().await.unwrap();
    insert(&db, &[("10.9.0.4", 2)]).await;

    let mut env: BTreeMap<String, String> = server.env_vars();
    let password = env.remove("SQL_SERVER_PASSWORD").unwrap();
    let secrets =
        std::env::temp_dir().join(format!("acilab-dashboard-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("SQL_SERVER_PASSWORD"), format!("{password}\n")).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = Command::new(bin)
        .env_clear()
        .envs(&env)
        .env("SECRETS_DIR", &secrets)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let body = loop {
        match client().get(format!("{base}/api/counts")).send().await {
            Ok(r) => {
                assert_eq!(r.status().as_u16(), 200);
                break r.json::<Value>().await.unwrap();
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("dashboard did not start: {e}"),
        }
    };
    assert_eq!(
        body,
        json!({"engine": "postgres", "total": 2, "counts": [{"ip": "10.9.0.4", "count": 2}]})
    );

    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "dashboard did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(!logs.contains(&password), "the password is never logged");
    for line in logs.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    }
    assert!(logs.contains("dashboard started"), "{logs}");
    let _ = std::fs::remove_dir_all(&secrets);
}

/// Inserts rows into the database when the page's script makes its `fire_on`-th request to
/// `/api/counts` after arming, and records what happened in which order.
#[derive(Clone)]
struct Hook {
    db: Db,
    state: Arc<Mutex<HookState>>,
}

#[derive(Default)]
struct HookState {
    /// Rows to insert, and on which poll after arming.
    armed: Option<(Vec<(&'static str, usize)>, usize)>,
    polls_since_armed: usize,
    events: Vec<String>,
}

impl Hook {
    fn arm(&self, rows: &[(&'static str, usize)], fire_on: usize) {
        let mut s = self.state.lock().unwrap();
        s.armed = Some((rows.to_vec(), fire_on));
        s.polls_since_armed = 0;
        s.events.clear();
    }

    fn events(&self) -> Vec<String> {
        self.state.lock().unwrap().events.clone()
    }
}

async fn hook(State(hook): State<Hook>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut to_insert = None;
    {
        let mut s = hook.state.lock().unwrap();
        if path == "/api/counts" {
            s.polls_since_armed += 1;
            let n = s.polls_since_armed;
            s.events.push(format!("poll {n}"));
            if s.armed.as_ref().is_some_and(|(_, on)| *on == n) {
                to_insert = s.armed.take().map(|(rows, _)| rows);
            }
        } else if path == "/" {
            s.events.push("page".to_owned());
        }
    }
    if let Some(rows) = to_insert {
        insert(&hook.db, &rows).await;
        hook.state.lock().unwrap().events.push("insert".to_owned());
    }
    next.run(request).await
}

fn bar_map(bars: &[(String, i64)]) -> BTreeMap<String, i64> {
    bars.iter().cloned().collect()
}

/// The screenshot test: the page is open in headless Chromium when rows are inserted, and the
/// bars its script draws change. Leaves `before.png` and `after.png` in
/// `target/test-artifacts/dashboard/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_chart_in_chromium_sees_new_rows() {
    let chromium = Arc::new(Chromium::find());
    let server = tokio::task::spawn_blocking(TestPostgres::start)
        .await
        .unwrap()
        .unwrap();
    let db = Db::connect(&server.config()).await.unwrap();
    db.init_srciplog().await.unwrap();
    insert(&db, &[("10.0.1.4", 3), ("10.0.1.5", 1)]).await;

    let hook_state = Hook {
        db: db.clone(),
        state: Arc::default(),
    };
    let base =
        start(app(&db).layer(middleware::from_fn_with_state(hook_state.clone(), hook))).await;
    let url = format!("{base}/");
    // Two polls: at load and 2 s (virtual) later.
    let budget = Duration::from_millis(3500);
    let dump = |chromium: Arc<Chromium>, url: String| async move {
        tokio::task::spawn_blocking(move || chromium.dump_dom(&url, budget))
            .await
            .unwrap()
    };
    let shoot = |chromium: Arc<Chromium>, url: String, name: &'static str| async move {
        tokio::task::spawn_blocking(move || {
            let png = chromium::artifact(name);
            chromium.screenshot(&url, budget, &png, 1400, 900);
            png
        })
        .await
        .unwrap()
    };

    // Before: the script draws what the table holds.
    let dom = dump(chromium.clone(), url.clone()).await;
    let before = chromium::bars(&dom);
    assert_eq!(
        before,
        [("10.0.1.4".to_owned(), 3), ("10.0.1.5".to_owned(), 1)],
        "bars before the inserts"
    );
    assert!(dom.contains("4 rows from 2 source IP addresses"), "{dom}");
    let before_png = shoot(chromium.clone(), url.clone(), "before.png").await;

    // While the page is open: rows inserted between its first and second poll.
    hook_state.arm(&[("10.0.1.6", 5), ("10.0.1.4", 2)], 2);
    let dom = dump(chromium.clone(), url.clone()).await;
    let events = hook_state.events();
    assert_eq!(
        events.get(..4),
        Some(&["page", "poll 1", "poll 2", "insert"].map(String::from)[..]),
        "the rows went in after the page had loaded and drawn once"
    );
    let after = chromium::bars(&dom);
    assert_eq!(
        bar_map(&after),
        BTreeMap::from([
            ("10.0.1.4".to_owned(), 5),
            ("10.0.1.5".to_owned(), 1),
            ("10.0.1.6".to_owned(), 5),
        ]),
        "bars after the inserts: {after:?}"
    );
    assert_ne!(bar_map(&before), bar_map(&after));
    assert!(dom.contains("11 rows from 3 source IP addresses"), "{dom}");
    let polls: u32 = chromium::attr(&dom[dom.find("<svg id=\"chart\"").unwrap()..], "data-polls")
        .unwrap()
        .parse()
        .unwrap();
    assert!(polls >= 2, "the script polled {polls} times");

    // The screenshot after: again rows arrive while the page is open.
    hook_state.arm(&[("10.0.1.7", 8)], 2);
    let after_png = shoot(chromium.clone(), url.clone(), "after.png").await;
    assert!(hook_state.events().contains(&"insert".to_owned()));
    assert_ne!(
        std::fs::read(&before_png).unwrap(),
        std::fs::read(&after_png).unwrap(),
        "the screenshots differ"
    );
    assert_eq!(
        db.counts_by_ip().await.unwrap(),
        [
            ("10.0.1.4".to_owned(), 5),
            ("10.0.1.5".to_owned(), 1),
            ("10.0.1.6".to_owned(), 5),
            ("10.0.1.7".to_owned(), 8),
        ]
    );
}
