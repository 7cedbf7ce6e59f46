//! Error bodies exactly as each Azure service spells them.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which wire format an error is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// ARM CloudError: `{"error":{"code","message"}}`.
    Arm,
    /// Key Vault KeyVaultError: `{"error":{"code","message","innererror"?}}`.
    KeyVault,
    /// OAuth 2.0 / Entra: `{"error","error_description","error_codes",…}`.
    OAuth,
    /// Managed-identity endpoint (IMDS): `{"error","error_description"}` only.
    Imds,
}

/// An error response as Azure would send it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub flavor: Flavor,
    pub inner_code: Option<String>,
    pub retry_after: Option<u64>,
    pub www_authenticate: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            flavor: Flavor::Arm,
            inner_code: None,
            retry_after: None,
            www_authenticate: None,
        }
    }
    pub fn kv(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::new(status, code, message).flavor(Flavor::KeyVault)
    }
    pub fn oauth(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self::new(status, error, description).flavor(Flavor::OAuth)
    }
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }
    pub fn inner(mut self, code: &str) -> Self {
        self.inner_code = Some(code.to_string());
        self
    }
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
    pub fn challenge(mut self, value: String) -> Self {
        self.www_authenticate = Some(value);
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            message,
        )
    }

    fn body(&self) -> serde_json::Value {
        match self.flavor {
            Flavor::Arm => json!({"error": {"code": self.code, "message": self.message}}),
            Flavor::KeyVault => {
                let mut err = json!({"code": self.code, "message": self.message});
                if let Some(inner) = &self.inner_code {
                    err["innererror"] = json!({"code": inner});
                }
                json!({"error": err})
            }
            Flavor::Imds => json!({"error": self.code, "error_description": self.message}),
            Flavor::OAuth => {
                // Entra puts the AADSTS number first in the description.
                let codes: Vec<u64> = self
                    .message
                    .strip_prefix("AADSTS")
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|n| n.parse().ok())
                    .into_iter()
                    .collect();
                json!({
                    "error": self.code,
                    "error_description": self.message,
                    "error_codes": codes,
                    "timestamp": crate::state::rfc3339_now(),
                    "trace_id": uuid::Uuid::new_v4().to_string(),
                    "correlation_id": uuid::Uuid::new_v4().to_string(),
                })
            }
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut resp = (self.status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        if let Some(ch) = &self.www_authenticate
            && let Ok(v) = HeaderValue::from_str(ch)
        {
            headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if self.flavor == Flavor::Arm {
            headers.insert(
                "x-ms-failure-cause",
                HeaderValue::from_static(if self.status.is_server_error() {
                    "service"
                } else {
                    "gateway"
                }),
            );
        }
        resp
    }
}

pub type ApiResult<T = Response> = Result<T, ApiError>;
