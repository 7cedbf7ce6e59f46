//! `dashboard`: the sample's dashboard, a Rust port of its Dash app.
//!
//! `GET /` is one page: the architecture picture (inline SVG) and a bar chart of `srciplog` rows
//! per source IP. The chart is drawn in the browser by `/assets/dashboard.js` (served by the
//! binary, like `/assets/dashboard.css`): it fetches `GET /api/counts` right away and then 2 s
//! after each answer, and redraws the bars as SVG elements (text set with `textContent`, never
//! HTML). `/api/counts` asks the database through [`CountsSource`] (the `app-db` crate in the
//! binary: PostgreSQL, MariaDB/MySQL or SQL Server), coalescing concurrent polls into one query
//! per [`AppState`] cache period. Nothing is loaded from elsewhere, and the
//! Content-Security-Policy says so.
//!
//! Unlike the original: every engine works (the Dash app only knew SQL Server), no debug
//! server, no connection string in the logs, and a database that is down gives a 503 with a
//! short JSON error that the page shows while keeping the last bars.

pub mod config;
pub mod db;
pub mod page;

use std::cmp::Ordering;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::net::TcpListener;

/// Milliseconds between the end of one poll and the next (the original's `dcc.Interval`).
pub const POLL_INTERVAL_MS: u64 = 2000;

/// How long an answer from the database serves other polls (many open dashboards, one query).
pub const DEFAULT_CACHE_PERIOD: Duration = Duration::from_secs(1);

const SCRIPT: &str = include_str!("../assets/dashboard.js");
const STYLES: &str = include_str!("../assets/dashboard.css");

/// Only our own script, stylesheet and JSON; no inline script, no other origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// Why the counts could not be had, in words fit for the page (no host names or users: the
/// details go to the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("database unavailable")]
    Unavailable,
    #[error("table srciplog does not exist yet (create it with the API's /api/sqlsrcipinit)")]
    MissingTable,
    #[error("database query timed out")]
    Timeout,
    #[error("database query failed")]
    Query,
}

/// The future a [`CountsSource`] returns.
pub type CountsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<(String, i64)>, SourceError>> + Send + 'a>>;

/// Where the rows per source IP come from: the database in the binary, anything in tests.
pub trait CountsSource: Send + Sync + 'static {
    /// `(ip, rows)` for every source IP in `srciplog`, in any order.
    fn counts(&self) -> CountsFuture<'_>;
}

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpCount {
    pub ip: String,
    pub count: i64,
}

/// The body of `GET /api/counts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountsBody {
    /// `postgres`, `mysql` or `sqlserver`.
    pub engine: String,
    /// All rows of `srciplog`.
    pub total: i64,
    /// One entry per source IP, ordered by address.
    pub counts: Vec<IpCount>,
}

/// One answer of the source, as served to the polls.
type Answer = Result<Arc<CountsBody>, SourceError>;

/// What every handler shares.
pub struct AppState {
    source: Box<dyn CountsSource>,
    engine: String,
    cache_period: Duration,
    cache: tokio::sync::Mutex<Option<(Instant, Answer)>>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("engine", &self.engine)
            .field("cache_period", &self.cache_period)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// `engine` is shown on the page; answers are reused for `cache_period` (zero: never).
    pub fn new(
        source: impl CountsSource,
        engine: impl Into<String>,
        cache_period: Duration,
    ) -> AppState {
        AppState {
            source: Box::new(source),
            engine: engine.into(),
            cache_period,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The current counts: the cached answer (or error) while it is fresh, else one query
    /// (concurrent callers wait for it instead of querying too).
    pub async fn counts(&self) -> Result<Arc<CountsBody>, SourceError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, answer)) = cache.as_ref()
            && at.elapsed() < self.cache_period
        {
            return answer.clone();
        }
        let answer = self
            .source
            .counts()
            .await
            .map(|rows| Arc::new(counts_body(&self.engine, rows)));
        *cache = Some((Instant::now(), answer.clone()));
        answer
    }
}

/// Sorts by address (numerically where the text is an IP address) and sums the rows.
pub fn counts_body(engine: &str, rows: Vec<(String, i64)>) -> CountsBody {
    let mut counts: Vec<IpCount> = rows
        .into_iter()
        .map(|(ip, count)| IpCount {
            ip: ip.trim().to_owned(),
            count,
        })
        .collect();
    counts.sort_by(|a, b| compare_ips(&a.ip, &b.ip));
    CountsBody {
        engine: engine.to_owned(),
        total: counts.iter().map(|c| c.count).sum(),
        counts,
    }
}

fn compare_ips(a: &str, b: &str) -> Ordering {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/counts", get(api_counts))
        .route("/assets/dashboard.js", get(script))
        .route("/assets/dashboard.css", get(styles))
        .route("/healthz", get(healthz))
        .layer(middleware::from_fn(common_headers))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn index(State(state): State<Arc<AppState>>) -> Response {
    page::index(&state.engine, POLL_INTERVAL_MS).into_response()
}

async fn api_counts(State(state): State<Arc<AppState>>) -> Response {
    match state.counts().await {
        Ok(body) => Json(body.as_ref()).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "error": e.to_string() })),
        )
            .into_response(),
    }
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

async fn styles() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLES).into_response()
}

async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"ok\"}\n",
    )
        .into_response()
}

/// Security headers on every response, `no-store` (the counts change every poll), and one log
/// line per request except the polls and assets (one every 2 s per open page would drown the
/// log; they are logged at debug).
async fn common_headers(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    if path == "/" || status >= 400 {
        tracing::info!(method = %method, path, status, ms, "request");
    } else {
        tracing::debug!(method = %method, path, status, ms, "request");
    }
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_address_and_summed() {
        let body = counts_body(
            "postgres",
            vec![
                ("10.0.0.10".into(), 1),
                ("not-an-ip".into(), 2),
                ("10.0.0.9 ".into(), 3),
                ("::1".into(), 4),
            ],
        );
        let ips: Vec<&str> = body.counts.iter().map(|c| c.ip.as_str()).collect();
        assert_eq!(ips, ["10.0.0.9", "10.0.0.10", "::1", "not-an-ip"]);
        assert_eq!(body.total, 10);
    }
}
