//! acilab's SQL API: the sample's Flask API ported to Rust, same paths and JSON shapes where
//! they are safe, without its defects (see README.md):
//!
//! | path | answer |
//! |---|---|
//! | `/api/healthcheck` | `{"health": "OK", "version": …}` (no database access) |
//! | `/api/sqlversion` | `{"sql_output": "<server version>"}` |
//! | `/api/sqlsrcip` | `{"sql_output": "<client address the database sees>"}` |
//! | `/api/sqlsrcipinit` | `{"table_created": "srciplog"}` (idempotent) |
//! | `/api/sqlsrciplog` | `{"srciplog": {"ip": …, "timestamp": …}}` (row inserted and committed) |
//! | `/api/ip` | private IP, default gateway, DNS servers, caller's address and headers |
//! | `/api/dns?fqdn=` | `{"fqdn": …, "ip": …, "ips": […]}` |
//! | `/api/pi?digits=` | `{"pi": "3.14…"}`, at most `PI_MAX_DIGITS` digits |
//! | `/api/printenv` | the environment without secrets |
//! | `/api/curl?url=` | only URLs in `CURL_ALLOWED_URLS` |
//!
//! Errors are `{"error": "…"}` with a 4xx/5xx status.

pub mod config;
pub mod netinfo;
pub mod pi;
pub mod printenv;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app_db::{Auth, Db, DbError};
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::Config;

/// Largest body /api/curl returns.
const CURL_MAX_BODY: usize = 64 * 1024;

/// Shared state of the handlers.
#[derive(Debug)]
pub struct AppState {
    db: Db,
    sql_host: String,
    visible_env: BTreeMap<String, String>,
    pi_max_digits: u32,
    pi_slots: Semaphore,
    echo_url: Option<Url>,
    curl_allowed: Vec<Url>,
    http: Option<reqwest::Client>,
    fs_root: PathBuf,
}

impl AppState {
    /// State for `config`, with `env` the process environment (for /api/printenv) and `db` a
    /// pool for `config.db`.
    pub fn new(
        config: &Config,
        env: &BTreeMap<String, String>,
        db: Db,
    ) -> Result<Self, azure_client::Error> {
        let password = match &config.db.auth {
            Auth::Password { password, .. } => password.expose(),
            Auth::ManagedIdentity { .. } => "",
        };
        let visible_env = printenv::visible_env(env, &config.secret_names, &[password]);
        let http = if config.public_ip_echo_url.is_some() || !config.curl_allowed_urls.is_empty() {
            let transport = azure_client::HttpTransport::builder()
                .connect_timeout(Duration::from_secs(3))
                .read_timeout(Duration::from_secs(5))
                .build()?;
            Some(transport.reqwest_client().clone())
        } else {
            None
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            db,
            sql_host: config.db.host.clone(),
            visible_env,
            pi_max_digits: config.pi_max_digits,
            pi_slots: Semaphore::new(cores),
            echo_url: config.public_ip_echo_url.clone(),
            curl_allowed: config.curl_allowed_urls.clone(),
            http,
            fs_root: PathBuf::from("/"),
        })
    }

    /// Reads `etc/resolv.conf` and `proc/…` under `root` instead of `/` (tests).
    pub fn with_fs_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.fs_root = root.into();
        self
    }

    /// The database pool.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// An error answer: status and `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        let status = match &e {
            DbError::Unavailable { .. } | DbError::Token(_) => StatusCode::SERVICE_UNAVAILABLE,
            DbError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            DbError::MissingTable => StatusCode::CONFLICT,
            DbError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(json!({ "error": self.message }))).into_response();
        // The request log picks this up.
        r.extensions_mut().insert(ErrorMessage(self.message));
        r
    }
}

#[derive(Clone, Debug)]
struct ErrorMessage(String);

type ApiResult = Result<Json<Value>, ApiError>;

/// The API's routes.
pub fn router(state: Arc<AppState>) -> Router {
    let sql = Router::new()
        .route("/api/sqlversion", get(sqlversion))
        .route("/api/sqlsrcip", get(sqlsrcip))
        .route("/api/sqlsrcipinit", get(sqlsrcipinit))
        .route("/api/sqlsrciplog", get(sqlsrciplog))
        .route_layer(middleware::from_fn(no_settings_from_requests));
    Router::new()
        .route("/api/healthcheck", get(healthcheck))
        .merge(sql)
        .route("/api/ip", get(ip))
        .route("/api/dns", get(dns))
        .route("/api/pi", get(pi))
        .route("/api/printenv", get(printenv))
        .route("/api/curl", get(curl))
        .route("/api/sql", get(gone))
        .route("/api/mysql", get(gone))
        .route("/api/akvsecret", get(gone))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn(log_request))
}

/// The original let query parameters replace the server, user, password, engine and even the
/// SQL text; here they come from the configuration only, and saying otherwise is an error.
async fn no_settings_from_requests(req: Request, next: Next) -> Response {
    if let Some(q) = req.uri().query() {
        for pair in q.split('&') {
            let name = pair.split('=').next().unwrap_or("").to_ascii_uppercase();
            if name.starts_with("SQL_") || name == "USE_SSL" || name == "QUERY" {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "query parameter {name} is not accepted: the database, credentials and statements come from the API's configuration"
                    ),
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: query strings are the caller's business.
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match response.extensions().get::<ErrorMessage>() {
        Some(ErrorMessage(error)) if status >= 500 => {
            tracing::warn!(%method, %path, status, ms, %error, "request failed");
        }
        Some(ErrorMessage(error)) => {
            tracing::debug!(%method, %path, status, ms, %error, "request rejected");
        }
        None => tracing::debug!(%method, %path, status, ms, "request"),
    }
    response
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {}", uri.path()),
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "only GET is served")
}

async fn gone(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        format!(
            "{} was removed: it took SQL, credentials or secret names from the request",
            uri.path()
        ),
    )
}

async fn healthcheck() -> Json<Value> {
    Json(json!({ "health": "OK", "version": env!("CARGO_PKG_VERSION") }))
}

async fn sqlversion(State(s): State<Arc<AppState>>) -> ApiResult {
    Ok(Json(json!({ "sql_output": s.db.version().await? })))
}

async fn sqlsrcip(State(s): State<Arc<AppState>>) -> ApiResult {
    Ok(Json(json!({ "sql_output": s.db.client_address().await? })))
}

async fn sqlsrcipinit(State(s): State<Arc<AppState>>) -> ApiResult {
    s.db.init_srciplog().await?;
    Ok(Json(json!({ "table_created": "srciplog" })))
}

async fn sqlsrciplog(State(s): State<Arc<AppState>>) -> ApiResult {
    // As the original: the address the database sees for our connection.
    let ip = s.db.client_address().await?;
    let timestamp = app_db::utc_timestamp();
    s.db.log_source_ip_at(&ip, &timestamp).await?;
    Ok(Json(
        json!({ "srciplog": { "ip": ip, "timestamp": timestamp } }),
    ))
}

async fn ip(
    State(s): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    let root = &s.fs_root;
    let resolv = tokio::fs::read_to_string(root.join("etc/resolv.conf"))
        .await
        .unwrap_or_default();
    let route = tokio::fs::read_to_string(root.join("proc/net/route"))
        .await
        .unwrap_or_default();
    let private_ip = netinfo::private_ip(root).await;
    let public_ip = match (&s.echo_url, &s.http) {
        (Some(url), Some(http)) => public_ip(http, url).await,
        _ => None,
    };
    let sql_server_ip = netinfo::resolve(&s.sql_host)
        .await
        .ok()
        .and_then(|ips| ips.first().map(ToString::to_string));
    let header_str = |name: header::HeaderName| {
        let values: Vec<&str> = headers
            .get_all(&name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let host = header_str(header::HOST);
    Ok(Json(json!({
        "my_private_ip": private_ip,
        "my_public_ip": public_ip,
        "my_dns_servers": netinfo::dns_servers(&resolv),
        "my_default_gateway": netinfo::default_gateway(&route).map(|g| g.to_string()),
        "your_address": peer.ip().to_string(),
        "x-forwarded-for": header_str(header::HeaderName::from_static("x-forwarded-for")),
        "host": host,
        "path_accessed": format!("{}{}", host.as_deref().unwrap_or(""), uri.path()),
        "your_user_agent": header_str(header::USER_AGENT),
        "sql_server_fqdn": s.sql_host,
        "sql_server_ip": sql_server_ip,
    })))
}

/// The egress public IP from the echo service: plain text or JSON with an `ip` field.
async fn public_ip(http: &reqwest::Client, url: &Url) -> Option<String> {
    let answer = async {
        let r = http.get(url.clone()).send().await?.error_for_status()?;
        r.text().await
    };
    let text = match tokio::time::timeout(Duration::from_secs(5), answer).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            tracing::warn!(url = %url, error = %e, "public IP echo failed");
            return None;
        }
        Err(_) => {
            tracing::warn!(url = %url, "public IP echo timed out");
            return None;
        }
    };
    let candidate = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("ip").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| text.trim().to_string());
    candidate
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

#[derive(Deserialize)]
struct DnsQuery {
    fqdn: Option<String>,
}

async fn dns(Query(q): Query<DnsQuery>) -> ApiResult {
    let Some(fqdn) = q.fqdn.filter(|f| !f.is_empty()) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "query parameter fqdn is required",
        ));
    };
    if !netinfo::valid_fqdn(&fqdn) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "fqdn is not a valid host name",
        ));
    }
    match netinfo::resolve(&fqdn).await {
        Ok(ips) => Ok(Json(json!({
            "fqdn": fqdn,
            "ip": ips.first().map(ToString::to_string),
            "ips": ips.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }))),
        Err(e) => Err(ApiError::new(StatusCode::NOT_FOUND, e)),
    }
}

#[derive(Deserialize)]
struct PiQuery {
    digits: Option<String>,
}

async fn pi(State(s): State<Arc<AppState>>, Query(q): Query<PiQuery>) -> ApiResult {
    let digits = match q.digits.as_deref() {
        None | Some("") => 1000.min(s.pi_max_digits),
        Some(d) => d.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "digits must be a positive whole number",
            )
        })?,
    };
    if digits > s.pi_max_digits {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("digits must be at most {} (PI_MAX_DIGITS)", s.pi_max_digits),
        ));
    }
    // At most one computation per core; the rest wait their turn.
    let _slot = s
        .pi_slots
        .acquire()
        .await
        .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
    let pi = tokio::task::spawn_blocking(move || pi::pi_string(digits as usize))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({ "pi": pi })))
}

async fn printenv(State(s): State<Arc<AppState>>) -> Json<BTreeMap<String, String>> {
    Json(s.visible_env.clone())
}

#[derive(Deserialize)]
struct CurlQuery {
    url: Option<String>,
}

async fn curl(State(s): State<Arc<AppState>>, Query(q): Query<CurlQuery>) -> ApiResult {
    let Some(http) = &s.http else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "/api/curl is disabled (CURL_ALLOWED_URLS is not set)",
        ));
    };
    let url = match q.url.as_deref() {
        None | Some("") => s.curl_allowed.first().cloned(),
        Some(u) => Url::parse(u).ok().filter(|u| s.curl_allowed.contains(u)),
    };
    let Some(url) = url else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "url is not in CURL_ALLOWED_URLS",
        ));
    };
    let fetch = async {
        let r = http.get(url.clone()).send().await?;
        let status = r.status().as_u16();
        let mut body = Vec::new();
        let mut r = r;
        while let Some(chunk) = r.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() >= CURL_MAX_BODY {
                body.truncate(CURL_MAX_BODY);
                break;
            }
        }
        Ok::<_, reqwest::Error>((status, body))
    };
    let (status, body) = match tokio::time::timeout(Duration::from_secs(10), fetch).await {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("GET {url}: {e}"),
            ));
        }
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!("GET {url} timed out"),
            ));
        }
    };
    Ok(Json(json!({
        "url": url.as_str(),
        "method": "GET",
        "status": status,
        "answer": String::from_utf8_lossy(&body),
    })))
}
