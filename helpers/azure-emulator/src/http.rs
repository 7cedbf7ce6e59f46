//! Listeners, the request type handlers see, and routing by host name.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::Inner;
use crate::error::{ApiError, ApiResult, Flavor};

/// A request, read whole, as every handler sees it.
#[derive(Debug)]
pub struct Req {
    pub method: Method,
    /// Host name without port, lower case.
    pub host: String,
    /// Percent-decoded path segments; a trailing slash yields a trailing empty segment.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    async fn read(req: Request) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let host = parts
            .uri
            .authority()
            .map(|a| a.host().to_string())
            .or_else(|| {
                parts
                    .headers
                    .get(axum::http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(|h| h.rsplit_once(':').map_or(h, |(h, _)| h).to_string())
            })
            .unwrap_or_default()
            .to_ascii_lowercase();
        let path = parts.uri.path();
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect::<Vec<_>>();
        let query = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        Ok(Self {
            method: parts.method,
            host,
            segments: if path == "/" { Vec::new() } else { segments },
            query,
            headers: parts.headers,
            body,
        })
    }

    /// Query parameter, name compared case-insensitively (ARM and Key Vault accept any case).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Parses the JSON body; a malformed one gets the service's own 400.
    pub fn json<T: serde::de::DeserializeOwned>(&self, flavor: Flavor) -> ApiResult<T> {
        let body: &[u8] = if self.body.is_empty() {
            b"{}"
        } else {
            &self.body
        };
        serde_json::from_slice(body).map_err(|e| match flavor {
            Flavor::KeyVault => ApiError::kv(
                StatusCode::BAD_REQUEST,
                "BadParameter",
                format!("The request body is not valid JSON: {e}"),
            ),
            _ => ApiError::bad_request(
                "InvalidRequestContent",
                format!("The request content was invalid and could not be deserialized: '{e}'."),
            ),
        })
    }

    pub fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

/// JSON response with a status.
pub fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub fn empty(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}

async fn https_entry(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let req = match Req::read(req).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let domain = inner.config.domain.to_ascii_lowercase();
    let mutating = req.method != Method::GET;
    let vault_suffix = format!(".vault.{domain}");
    let mut resp = if req.host == format!("login.{domain}") {
        crate::entra::handle(&inner, &req).await
    } else if req.host == format!("management.{domain}") {
        crate::arm::handle(&inner, &req).await
    } else if let Some(vault) = req.host.strip_suffix(&vault_suffix) {
        crate::keyvault::handle(&inner, &req, vault).await
    } else {
        ApiError::not_found(
            "UnknownHost",
            format!(
                "The emulator serves login.{domain}, management.{domain} and <vault>.vault.{domain}; '{}' is none of them.",
                req.host
            ),
        )
        .into_response()
    };
    if mutating {
        inner.persist();
    }
    stamp(&mut resp);
    resp
}

async fn plain_entry(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let req = match Req::read(req).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let mut resp = match req.segments.first().map(String::as_str) {
        Some("admin") => crate::admin::handle(&inner, &req).await,
        _ => crate::identity::handle(&inner, &req).await,
    };
    stamp(&mut resp);
    resp
}

/// Every Azure response carries a request id.
fn stamp(resp: &mut Response) {
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-ms-request-id", v.clone());
        resp.headers_mut().insert("x-ms-correlation-request-id", v);
    }
}

pub async fn serve_https(inner: Arc<Inner>, listener: TcpListener, tls: Arc<rustls::ServerConfig>) {
    let app = axum::Router::new()
        .fallback(https_entry)
        .with_state(inner.clone());
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(tls_stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = TowerToHyperService::new(app);
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls_stream), service)
                .await;
        });
    }
}

pub async fn serve_plain(inner: Arc<Inner>, listener: TcpListener) {
    let app = axum::Router::new().fallback(plain_entry).with_state(inner);
    let _ = axum::serve(listener, app).await;
}
