//! Calls to the SQL API. Each call ends in either the JSON object the API sent or an
//! [`ApiFailure`] short enough to show on the page; nothing here panics or propagates.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

/// What the page shows from the API, one entry per call so that one failing call marks only its
/// own part of the page.
#[derive(Debug, Clone)]
pub struct ApiReport {
    pub health: Result<Map<String, Value>, ApiFailure>,
    pub sql_version: Result<Map<String, Value>, ApiFailure>,
    pub sql_src_ip: Result<Map<String, Value>, ApiFailure>,
    pub ip: Result<Map<String, Value>, ApiFailure>,
}

/// Why one call gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiFailure {
    #[error("cannot connect to the API ({0})")]
    Connect(String),
    #[error("the API did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the API answered HTTP {status}{}", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status { status: u16, detail: Option<String> },
    #[error("the API's answer is not a JSON object ({0})")]
    Body(String),
    #[error("request to the API failed ({0})")]
    Other(String),
}

/// The client for one API base URL.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

/// Longest error detail taken from an API error body (the page is no place for a novel).
const MAX_DETAIL: usize = 300;

impl ApiClient {
    /// A client for `base` (which ends in `/`). TLS, for an https:// base, trusts the platform's
    /// roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` included).
    pub fn new(base: Url, timeout: Duration) -> Result<ApiClient, reqwest::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            let _ = roots.add(cert);
        }
        if !native.errors.is_empty() {
            tracing::debug!(errors = ?native.errors, "some platform root certificates were not loaded");
        }
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth());
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("acilab-web/", env!("CARGO_PKG_VERSION")));
        match tls {
            Ok(tls) => builder = builder.use_preconfigured_tls(tls),
            // Only if ring lacked every protocol version; plain http still works.
            Err(e) => tracing::warn!(error = %e, "TLS to the API is unavailable"),
        }
        Ok(ApiClient {
            http: builder.build()?,
            base,
            timeout,
        })
    }

    /// Calls the four endpoints the page shows, concurrently.
    pub async fn report(&self) -> ApiReport {
        let (health, sql_version, sql_src_ip, ip) = tokio::join!(
            self.get_json("api/healthcheck"),
            self.get_json("api/sqlversion"),
            self.get_json("api/sqlsrcip"),
            self.get_json("api/ip"),
        );
        ApiReport {
            health,
            sql_version,
            sql_src_ip,
            ip,
        }
    }

    /// GET `<base><path>` and decode a JSON object.
    pub async fn get_json(&self, path: &str) -> Result<Map<String, Value>, ApiFailure> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ApiFailure::Other(e.to_string()))?;
        let result = self.fetch(url).await;
        if let Err(failure) = &result {
            tracing::warn!(path, error = %failure, "API call failed");
        }
        result
    }

    async fn fetch(&self, url: Url) -> Result<Map<String, Value>, ApiFailure> {
        let response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.classify(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.classify(&e))?;
        if !status.is_success() {
            return Err(ApiFailure::Status {
                status: status.as_u16(),
                detail: error_detail(&body),
            });
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(ApiFailure::Body(format!("got {}", kind(&other)))),
            Err(e) => Err(ApiFailure::Body(e.to_string())),
        }
    }

    fn classify(&self, e: &reqwest::Error) -> ApiFailure {
        if e.is_timeout() {
            ApiFailure::Timeout(self.timeout)
        } else if e.is_connect() {
            ApiFailure::Connect(root_cause(e))
        } else {
            ApiFailure::Other(root_cause(e))
        }
    }
}

/// The innermost cause, which says what happened ("Connection refused (os error 111)") where
/// reqwest's own message only names the URL.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The message of an error body such as `{"error": "..."}`, shortened.
fn error_detail(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message =
        match &value {
            Value::Object(map) => ["error", "message", "detail"]
                .iter()
                .find_map(|k| match map.get(*k) {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Object(inner)) => match inner.get("message") {
                        Some(Value::String(s)) => Some(s.clone()),
                        _ => None,
                    },
                    _ => None,
                })?,
            Value::String(s) => s.clone(),
            _ => return None,
        };
    Some(shorten(&message, MAX_DETAIL))
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_details() {
        assert_eq!(
            error_detail(br#"{"error": "database unavailable"}"#).as_deref(),
            Some("database unavailable")
        );
        assert_eq!(
            error_detail(br#"{"error": {"code": "X", "message": "nested"}}"#).as_deref(),
            Some("nested")
        );
        assert_eq!(error_detail(b"<html>oops</html>"), None);
        let long = format!("{{\"error\": \"{}\"}}", "x".repeat(1000));
        assert_eq!(
            error_detail(long.as_bytes()).map(|d| d.chars().count()),
            Some(MAX_DETAIL + 1)
        );
    }
}
