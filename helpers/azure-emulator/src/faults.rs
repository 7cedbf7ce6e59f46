//! Fault injection: rules set through the admin API that make matching requests fail, slow down
//! or race, so clients' retry and concurrency handling can be tested.

use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Flavor};
use crate::{Inner, lock};

/// One fault rule. Every field that is set must match for the rule to apply.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRule {
    /// Assigned by the emulator.
    pub id: u64,
    /// Operation name (`"PrivateDns.RecordSets_CreateOrUpdate"`), or a prefix ending in `*`.
    pub operation: Option<String>,
    /// `arm`, `keyvault`, `login`, `identity`.
    pub service: Option<String>,
    /// HTTP method.
    pub method: Option<String>,
    /// Substring of the request path.
    pub path_contains: Option<String>,
    /// Answer with this status instead of serving the request (429, 500, 503, …).
    pub status: Option<u16>,
    /// Error code in the body; defaults by status.
    pub code: Option<String>,
    /// `Retry-After` seconds to send with `status`.
    pub retry_after: Option<u64>,
    /// Delay before the request is served (or failed).
    pub latency_ms: Option<u64>,
    /// Before serving a record-set write, change the record's ETag as if another writer won
    /// the race, so a write with `If-Match` gets 412.
    pub etag_race: bool,
    /// Apply to this many matching requests, then stop (absent: forever).
    pub times: Option<u64>,
    /// Let this many matching requests through first.
    pub skip: u64,
    /// Matching requests seen so far.
    pub seen: u64,
    /// Times the rule was applied.
    pub applied: u64,
}

impl FaultRule {
    fn matches(&self, service: &str, op: &str, method: &str, path: &str) -> bool {
        let op_ok = match self.operation.as_deref() {
            None => true,
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => op.starts_with(prefix),
                None => op == p,
            },
        };
        op_ok
            && self.service.as_deref().is_none_or(|s| s == service)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Default)]
pub struct Verdict {
    pub etag_race: bool,
}

/// Counts the request and applies matching fault rules. Returns an error to send instead of
/// serving the request.
pub async fn observe(
    inner: &Inner,
    service: &str,
    op: &str,
    method: &str,
    path: &str,
    flavor: Flavor,
) -> Result<Verdict, ApiError> {
    inner.count(op);
    let mut latency = 0;
    let mut failure: Option<(u16, Option<String>, Option<u64>)> = None;
    let mut verdict = Verdict::default();
    {
        let mut rules = lock(&inner.faults);
        for rule in rules.iter_mut() {
            if !rule.matches(service, op, method, path) {
                continue;
            }
            rule.seen += 1;
            if rule.seen <= rule.skip || rule.times.is_some_and(|t| rule.applied >= t) {
                continue;
            }
            rule.applied += 1;
            latency += rule.latency_ms.unwrap_or(0);
            verdict.etag_race |= rule.etag_race;
            if failure.is_none()
                && let Some(status) = rule.status
            {
                failure = Some((status, rule.code.clone(), rule.retry_after));
            }
        }
    }
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some((status, code, retry_after)) = failure {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let default_code = match (flavor, status.as_u16()) {
            (Flavor::Imds, 429) => "too_many_requests",
            (Flavor::Imds, _) => "server_error",
            (Flavor::OAuth, 429) => "temporarily_unavailable",
            (Flavor::OAuth, _) => "server_error",
            (Flavor::KeyVault, 429) => "Throttled",
            (_, 429) => "TooManyRequests",
            (_, 503) => "ServiceUnavailable",
            (_, 412) => "PreconditionFailed",
            _ => "InternalServerError",
        };
        let code = code.unwrap_or_else(|| default_code.to_string());
        let message = match status.as_u16() {
            429 => {
                "The request is being throttled. Retry after the interval in the Retry-After header."
            }
            _ => "The service encountered an internal error (injected fault).",
        };
        let mut err = ApiError::new(status, &code, message).flavor(flavor);
        if let Some(secs) = retry_after {
            err = err.retry_after(secs);
        }
        return Err(err);
    }
    Ok(verdict)
}
