//! `web`: the sample's web frontend, a Rust port of its PHP page.
//!
//! `GET /` shows the container's hostname and what the SQL API at `API_URL` reports
//! (`/api/healthcheck`, `/api/sqlversion`, `/api/sqlsrcip`, `/api/ip`, called concurrently with a
//! timeout); a failing call marks only its own line and the page is still HTTP 200. `GET /info`
//! shows local facts (hostname, kernel from `/proc`, addresses of the connection, forwarding
//! headers), `GET /healthcheck.html` answers `{"health": "OK"}` as the original did, and
//! `/styles.css` is served by the binary: the page loads nothing from elsewhere, runs no script,
//! and its Content-Security-Policy says so.
//!
//! Unlike the original: no shell commands (the hostname comes from `/proc`), every value is
//! HTML-escaped (maud), no calls to public IP or geolocation services, no PHP info page.

pub mod api;
pub mod config;
pub mod page;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use base64::Engine as _;
use tokio::net::TcpListener;

use crate::api::ApiClient;
use crate::config::Config;
use crate::page::{Context, LocalInfo};

const STYLES: &str = include_str!("styles.css");

/// Sent with every response: nothing but our own stylesheet may load, nothing may run.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// Longest name taken from a token for the greeting.
const MAX_NAME: usize = 64;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    api: ApiClient,
    api_url_display: String,
    hostname: String,
    kernel: Option<String>,
}

impl AppState {
    pub fn new(config: &Config) -> Result<AppState, reqwest::Error> {
        Ok(AppState {
            api: ApiClient::new(config.api_url.clone(), config.api_timeout)?,
            api_url_display: config.api_url_display(),
            hostname: hostname(),
            kernel: kernel(),
        })
    }

    /// The hostname the pages show.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }
}

/// Both ends of an accepted connection (the Info page shows them).
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub local: Option<SocketAddr>,
    pub remote: SocketAddr,
}

impl Connected<axum::serve::IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TcpListener>) -> Self {
        Peer {
            local: stream.io().local_addr().ok(),
            remote: *stream.remote_addr(),
        }
    }
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/index.php", get(home))
        .route("/info", get(info))
        .route("/info.php", get(info))
        .route("/healthcheck.html", get(healthcheck))
        .route("/styles.css", get(styles))
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<Peer>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn home(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let report = state.api.report().await;
    let user = user_name(&headers);
    let ctx = Context {
        hostname: &state.hostname,
        user: user.as_deref(),
    };
    page::home(&ctx, &state.api_url_display, &report).into_response()
}

async fn info(
    State(state): State<Arc<AppState>>,
    peer: Option<Extension<ConnectInfo<Peer>>>,
    headers: HeaderMap,
) -> Response {
    let user = user_name(&headers);
    let ctx = Context {
        hostname: &state.hostname,
        user: user.as_deref(),
    };
    let header_text = |name: &str| {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let peer = peer.map(|Extension(ConnectInfo(p))| p);
    let local = LocalInfo {
        software: format!("acilab web {}", env!("CARGO_PKG_VERSION")),
        kernel: state.kernel.clone(),
        server_address: peer.and_then(|p| p.local).map(|a| a.to_string()),
        remote_address: peer.map(|p| p.remote.to_string()),
        forwarded_for: header_text("x-forwarded-for"),
        real_ip: header_text("x-real-ip"),
        host_header: header_text("host"),
    };
    page::info(&ctx, &local).into_response()
}

async fn healthcheck() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"health\": \"OK\"}\n",
    )
        .into_response()
}

async fn styles() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLES,
    )
        .into_response()
}

async fn not_found(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let user = user_name(&headers);
    let ctx = Context {
        hostname: &state.hostname,
        user: user.as_deref(),
    };
    (StatusCode::NOT_FOUND, page::not_found(&ctx, uri.path())).into_response()
}

/// Adds the security headers and logs the request (never its query string or headers).
async fn security_headers(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    tracing::info!(
        method = %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
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
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The greeting's name, as the original showed it: `given_name` (else `name`) from the payload
/// of a JWT in the Authorization header (put there by an authenticating proxy). The token is not
/// verified, so the name is only ever shown, escaped and shortened, never trusted.
pub fn user_name(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or(value);
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let name = ["given_name", "name"]
        .iter()
        .find_map(|k| claims.get(*k)?.as_str())?
        .trim();
    if name.is_empty() {
        return None;
    }
    Some(
        name.chars()
            .filter(|c| !c.is_control())
            .take(MAX_NAME)
            .collect(),
    )
}

/// The container's hostname, read from the kernel (no `hostname` command).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// What `uname -srv` would say, from `/proc`.
fn kernel() -> Option<String> {
    let read = |f: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let parts: Vec<String> = ["ostype", "osrelease", "version"]
        .iter()
        .filter_map(|f| read(f))
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(header::AUTHORIZATION, v);
        }
        h
    }

    fn jwt(payload: &str) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            b.encode(r#"{"alg":"none"}"#),
            b.encode(payload)
        )
    }

    #[test]
    fn greeting_from_token() {
        let token = jwt(r#"{"given_name":"Ada","name":"Ada Lovelace"}"#);
        assert_eq!(
            user_name(&with_auth(&format!("Bearer {token}"))).as_deref(),
            Some("Ada")
        );
        assert_eq!(
            user_name(&with_auth(&jwt(r#"{"name":"Grace"}"#))).as_deref(),
            Some("Grace")
        );
        assert_eq!(user_name(&with_auth("Basic dXNlcjpwYXNz")), None);
        assert_eq!(user_name(&with_auth("Bearer a.!!!.c")), None);
        assert_eq!(user_name(&HeaderMap::new()), None);
        let long = jwt(&format!(r#"{{"given_name":"{}"}}"#, "x".repeat(500)));
        assert_eq!(
            user_name(&with_auth(&long)).map(|n| n.chars().count()),
            Some(MAX_NAME)
        );
    }
}
