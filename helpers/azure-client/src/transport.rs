//! The HTTP transport every acilab Azure client uses: reqwest on rustls (ring provider), the
//! platform's trust store plus an optional extra CA bundle, `*.localhost` resolved to loopback
//! (see [`crate::resolver`]), and an [`azure_core::http::HttpClient`] implementation so the
//! official SDK clients send through it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use azure_core::error::ErrorKind;
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::response::PinnedStream;
use azure_core::http::{AsyncRawResponse, Body, ClientOptions, HttpClient, Request, Transport};
use futures::AsyncReadExt as _;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

use crate::error::{Error, Result};
use crate::resolver::LocalhostResolver;

/// Same defaults as azure_core's own reqwest client.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Hosts that never go through a proxy from the environment: they are this machine.
const NEVER_PROXIED: &str = "localhost,127.0.0.0/8,::1";

/// Builds an [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct HttpTransportBuilder {
    platform_roots: bool,
    extra_roots: Vec<CertificateDer<'static>>,
    connect_timeout: Duration,
    read_timeout: Duration,
}

impl Default for HttpTransportBuilder {
    fn default() -> Self {
        Self {
            platform_roots: true,
            extra_roots: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }
}

impl HttpTransportBuilder {
    /// Platform roots on, no extra CA, azure_core's default timeouts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to trust the platform's certificate store (default: yes).
    pub fn platform_roots(mut self, enabled: bool) -> Self {
        self.platform_roots = enabled;
        self
    }

    /// Also trusts every certificate in this PEM text (e.g. the emulator's CA).
    pub fn extra_ca_pem(mut self, pem: &str) -> Result<Self> {
        let certs = parse_pem_certificates(pem.as_bytes(), "(PEM string)")?;
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Also trusts every certificate in this PEM file.
    pub fn extra_ca_file(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::CaFile {
            path: path.to_path_buf(),
            source,
        })?;
        let certs = parse_pem_certificates(&bytes, &path.display().to_string())?;
        self.extra_roots.extend(certs);
        Ok(self)
    }

    /// Time allowed to establish a connection (default 20 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed between two reads of a response (default 60 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Builds the transport. Proxies come from the usual environment variables
    /// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), except that loopback and
    /// `*.localhost` never go through a proxy.
    pub fn build(self) -> Result<HttpTransport> {
        self.build_with_env(|name| std::env::var(name).ok())
    }

    /// [`build`](Self::build) with environment variables read through `lookup`.
    pub(crate) fn build_with_env(
        self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<HttpTransport> {
        let roots = self.root_store()?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .dns_resolver(Arc::new(LocalhostResolver))
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            // Azure REST guidelines discourage redirects; azure_core's client does not follow them.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        for proxy in env_proxies(lookup)? {
            builder = builder.proxy(proxy);
        }
        let client = builder.build().map_err(Error::Client)?;
        Ok(HttpTransport { client })
    }

    fn root_store(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        if self.platform_roots {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!(error = %e, "cannot load part of the platform certificate store");
            }
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(added, ignored, "platform root certificates");
        }
        for cert in &self.extra_roots {
            roots.add(cert.clone()).map_err(|e| Error::CaBundle {
                origin: "(extra CA)".to_string(),
                reason: e.to_string(),
            })?;
        }
        if roots.is_empty() {
            return Err(Error::NoTrustAnchors);
        }
        Ok(roots)
    }
}

fn parse_pem_certificates(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut reader = std::io::BufReader::new(pem);
    let certs = rustls_pemfile::certs(&mut reader)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::CaBundle {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::CaBundle {
            origin: origin.to_string(),
            reason: "no CERTIFICATE block found".to_string(),
        });
    }
    Ok(certs)
}

/// Proxies from the environment, as curl and reqwest read them, with loopback and `*.localhost`
/// added to the no-proxy list. `lookup` reads one environment variable.
pub(crate) fn env_proxies(lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<reqwest::Proxy>> {
    let first = |names: &[&'static str]| {
        names
            .iter()
            .find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    };
    let no_proxy = match first(&["NO_PROXY", "no_proxy"]) {
        Some((_, list)) => format!("{list},{NEVER_PROXIED}"),
        None => NEVER_PROXIED.to_string(),
    };
    // Under CGI, HTTP_PROXY can be set by a client's `Proxy:` header (httpoxy): ignore it there.
    let http_names: &[&'static str] = if lookup("REQUEST_METHOD").is_some() {
        &["http_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy"]
    };
    type Make = fn(String) -> reqwest::Result<reqwest::Proxy>;
    let kinds: [(&[&'static str], Make); 3] = [
        (&["HTTPS_PROXY", "https_proxy"], reqwest::Proxy::https),
        (http_names, reqwest::Proxy::http),
        (&["ALL_PROXY", "all_proxy"], reqwest::Proxy::all),
    ];
    let mut proxies = Vec::new();
    for (names, make) in kinds {
        if let Some((variable, url)) = first(names) {
            let proxy = make(url)
                .map_err(|source| Error::Proxy { variable, source })?
                .no_proxy(reqwest::NoProxy::from_string(&no_proxy));
            tracing::debug!(variable, "using a proxy from the environment");
            proxies.push(proxy);
        }
    }
    Ok(proxies)
}

/// reqwest client configured for Azure (see the module docs). Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    /// A builder with platform roots, no extra CA.
    pub fn builder() -> HttpTransportBuilder {
        HttpTransportBuilder::new()
    }

    /// Platform roots plus, when given, the PEM CA bundle at `extra_ca_file`.
    pub fn new(extra_ca_file: Option<&Path>) -> Result<Self> {
        let builder = Self::builder();
        match extra_ca_file {
            Some(path) => builder.extra_ca_file(path)?.build(),
            None => builder.build(),
        }
    }

    /// The underlying reqwest client, for the hand-written calls that bypass azure_core.
    pub fn reqwest_client(&self) -> &reqwest::Client {
        &self.client
    }

    /// This transport as azure_core's [`Transport`], for [`ClientOptions::transport`].
    pub fn azure_transport(&self) -> Transport {
        Transport::new(Arc::new(self.clone()))
    }

    /// Default [`ClientOptions`] that send through this transport.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            transport: Some(self.azure_transport()),
            ..ClientOptions::default()
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for HttpTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let url = request.url().clone();
        let method =
            reqwest::Method::from_bytes(request.method().as_ref().as_bytes()).map_err(|e| {
                azure_core::Error::with_error(ErrorKind::Other, e, "unsupported HTTP method")
            })?;
        let mut builder = self.client.request(method.clone(), url.clone());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = match request.body() {
            Body::Bytes(bytes) => bytes.clone(),
            Body::SeekableStream(stream) => {
                // The SDK's streamed bodies are small uploads here; send them with a length.
                let mut stream = stream.clone();
                let mut buf = Vec::new();
                stream.read_to_end(&mut buf).await.map_err(|e| {
                    azure_core::Error::with_error(ErrorKind::Io, e, "cannot read the request body")
                })?;
                buf.into()
            }
        };
        let req = builder.body(body).build().map_err(|e| {
            azure_core::Error::with_error(ErrorKind::Other, e, "cannot build the HTTP request")
        })?;

        tracing::debug!(%method, host = url.host_str().unwrap_or(""), path = url.path(), "sending");
        let rsp = self.client.execute(req).await.map_err(|e| {
            let kind = if e.is_connect() {
                ErrorKind::Connection
            } else {
                ErrorKind::Io
            };
            tracing::debug!(%method, host = url.host_str().unwrap_or(""), path = url.path(), error = %e, "request failed");
            azure_core::Error::with_error(kind, e, "the HTTP request failed")
        })?;
        let status = rsp.status().as_u16();
        tracing::debug!(%method, host = url.host_str().unwrap_or(""), path = url.path(), status, "received");
        let headers = to_headers(rsp.headers());
        let body: PinnedStream = Box::pin(futures::stream::try_unfold(rsp, |mut rsp| async move {
            match rsp.chunk().await {
                Ok(Some(chunk)) => Ok(Some((chunk, rsp))),
                Ok(None) => Ok(None),
                Err(e) => Err(azure_core::Error::with_error(
                    ErrorKind::Io,
                    e,
                    "cannot read the HTTP response body",
                )),
            }
        }));
        Ok(AsyncRawResponse::new(status.into(), headers, body))
    }
}

/// reqwest headers → azure_core headers; repeated headers are joined with ", " (RFC 9110 §5.3),
/// since azure_core keeps one value per name.
fn to_headers(map: &reqwest::header::HeaderMap) -> Headers {
    let mut out: HashMap<HeaderName, HeaderValue> = HashMap::new();
    for name in map.keys() {
        let values: Vec<&str> = map
            .get_all(name)
            .iter()
            .filter_map(|v| match v.to_str() {
                Ok(s) => Some(s),
                Err(_) => {
                    tracing::warn!(header = %name, "dropping a non-UTF-8 header value");
                    None
                }
            })
            .collect();
        if !values.is_empty() {
            out.insert(
                HeaderName::from(name.as_str().to_owned()),
                HeaderValue::from(values.join(", ")),
            );
        }
    }
    Headers::from(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn no_proxy_without_environment() {
        assert!(env_proxies(env(&[])).unwrap().is_empty());
    }

    #[test]
    fn proxies_from_environment() {
        let proxies = env_proxies(env(&[
            ("HTTPS_PROXY", "http://proxy.example:3128"),
            ("http_proxy", "http://proxy.example:3128"),
            ("NO_PROXY", "internal.example"),
        ]))
        .unwrap();
        assert_eq!(proxies.len(), 2);
        let text = format!("{proxies:?}");
        assert!(text.contains("localhost"), "{text}");
        assert!(text.contains("internal.example"), "{text}");
    }

    #[test]
    fn http_proxy_ignored_under_cgi() {
        let proxies = env_proxies(env(&[
            ("HTTP_PROXY", "http://evil.example:1"),
            ("REQUEST_METHOD", "GET"),
        ]))
        .unwrap();
        assert!(proxies.is_empty());
    }

    #[test]
    fn invalid_proxy_is_an_error() {
        let err = env_proxies(env(&[("HTTPS_PROXY", "::not a url::")])).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Proxy {
                    variable: "HTTPS_PROXY",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn ca_bundle_must_hold_a_certificate() {
        let err = HttpTransport::builder()
            .extra_ca_pem("not a pem")
            .unwrap_err();
        assert!(matches!(err, Error::CaBundle { .. }), "{err}");
        let err = HttpTransport::builder()
            .extra_ca_file("/nonexistent/ca.pem")
            .unwrap_err();
        assert!(matches!(err, Error::CaFile { .. }), "{err}");
    }

    #[test]
    fn no_trust_anchor_is_an_error() {
        let err = HttpTransport::builder()
            .platform_roots(false)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::NoTrustAnchors), "{err}");
    }

    /// A one-shot HTTP/1.1 server on loopback answering every request with `answer`; returns
    /// its port and how many connections it accepted.
    async fn tiny_server(answer: &'static str) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let rsp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = sock.write_all(rsp.as_bytes()).await;
            }
        });
        (port, hits)
    }

    #[tokio::test]
    async fn localhost_names_bypass_the_environment_proxy() {
        let (direct_port, direct_hits) = tiny_server("direct").await;
        let (proxy_port, proxy_hits) = tiny_server("proxy").await;
        let proxy_url = format!("http://127.0.0.1:{proxy_port}");
        let transport = HttpTransport::builder()
            .build_with_env(move |name| (name == "HTTP_PROXY").then(|| proxy_url.clone()))
            .unwrap();
        let get = |url: String| {
            let client = transport.reqwest_client().clone();
            async move { client.get(url).send().await.unwrap().text().await.unwrap() }
        };

        // `*.localhost` goes straight to loopback, never through the proxy.
        let body = get(format!("http://svc.example.localhost:{direct_port}/")).await;
        assert_eq!(body, "direct");
        assert_eq!(direct_hits.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(proxy_hits.load(std::sync::atomic::Ordering::SeqCst), 0);

        // Other names go through the proxy (which answers itself; nothing leaves the machine).
        let body = get("http://azure.example/".to_string()).await;
        assert_eq!(body, "proxy");
        assert_eq!(proxy_hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn builds_with_platform_roots() {
        HttpTransport::new(None).unwrap();
    }
}
