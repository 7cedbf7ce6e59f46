//! `/healthz` (liveness: the loop is turning) and `/readyz` (readiness: the last round of every
//! job succeeded) for ACI probes, with the current state as JSON.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde_json::{Value, json};

/// The last outcome of one job.
#[derive(Debug, Clone, Default)]
pub struct JobStatus {
    pub enabled: bool,
    pub ok: bool,
    pub last_success: Option<SystemTime>,
    pub last_error: Option<String>,
    /// The IP registered, or the certificate version written.
    pub current: Option<String>,
}

#[derive(Debug)]
pub struct Status {
    pub started: Instant,
    pub last_round: Option<Instant>,
    /// How long without a finished round before liveness fails.
    pub stall_after: Duration,
    pub dns: JobStatus,
    pub cert: JobStatus,
}

pub type SharedStatus = Arc<Mutex<Status>>;

pub fn lock(s: &SharedStatus) -> std::sync::MutexGuard<'_, Status> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix(t: Option<SystemTime>) -> Value {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(Value::Null, |d| json!(d.as_secs()))
}

fn job(j: &JobStatus) -> Value {
    json!({
        "enabled": j.enabled,
        "ok": j.ok,
        "current": j.current,
        "last_success_unix": unix(j.last_success),
        "last_error": j.last_error,
    })
}

impl Status {
    pub fn live(&self) -> bool {
        let since = self.last_round.unwrap_or(self.started);
        since.elapsed() <= self.stall_after
    }

    pub fn ready(&self) -> bool {
        (!self.dns.enabled || self.dns.ok) && (!self.cert.enabled || self.cert.ok)
    }

    fn json(&self) -> Value {
        json!({
            "live": self.live(),
            "ready": self.ready(),
            "seconds_since_last_round": self.last_round.map(|t| t.elapsed().as_secs()),
            "dns": job(&self.dns),
            "certificate": job(&self.cert),
        })
    }
}

async fn healthz(State(s): State<SharedStatus>) -> impl IntoResponse {
    let s = lock(&s);
    let code = if s.live() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(s.json()))
}

async fn readyz(State(s): State<SharedStatus>) -> impl IntoResponse {
    let s = lock(&s);
    let code = if s.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(s.json()))
}

/// Binds `addr` now (so a busy port fails at start) and serves in the background.
pub async fn serve(addr: SocketAddr, status: SharedStatus) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(status);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "health endpoint stopped");
        }
    });
    Ok(local)
}
