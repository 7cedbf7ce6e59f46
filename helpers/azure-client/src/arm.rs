//! The few Azure Resource Manager calls acilab makes, written by hand (no maintained Rust
//! management crates exist): Private DNS A record sets with ETags, and container groups. Every
//! call retries 429 after `Retry-After` and 5xx with bounded exponential backoff.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

/// API versions: Private DNS's newest stable; container groups as azurerm 4.x pins it (available
/// in every cloud).
pub const PRIVATE_DNS_API_VERSION: &str = "2024-06-01";
pub const CONTAINER_INSTANCE_API_VERSION: &str = "2023-05-01";
/// Public DNS (`Microsoft.Network/dnsZones`): upper-case `TTL` / `TXTRecords`.
pub const DNS_API_VERSION: &str = "2018-05-01";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArmError {
    #[error("cannot get an access token for {scope}: {message}")]
    Token { scope: String, message: String },
    #[error("{method} {path} failed with {status} {code}: {message}")]
    Api {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("the object changed since it was read (ETag mismatch)")]
    PreconditionFailed,
    #[error("{method} {path}: {source}")]
    Http {
        method: String,
        path: String,
        source: reqwest::Error,
    },
    #[error("{method} {path}: unexpected response: {reason}")]
    Decode {
        method: String,
        path: String,
        reason: String,
    },
}

impl ArmError {
    /// The ARM error code, when the service answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::PreconditionFailed => Some(412),
            _ => None,
        }
    }
}

/// How often and how long to retry throttled (429) and failed (5xx) calls.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    /// Upper bound for one wait, including `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// An A record set of a Private DNS zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ARecordSet {
    pub id: String,
    /// Relative name, lower case.
    pub name: String,
    pub etag: String,
    pub ttl: u64,
    pub fqdn: String,
    pub metadata: BTreeMap<String, String>,
    pub ipv4_addresses: Vec<String>,
}

/// A TXT record set of a public DNS zone. Each entry of `values` is one TXT record (its strings
/// joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtRecordSet {
    pub name: String,
    pub etag: String,
    pub ttl: u64,
    pub metadata: BTreeMap<String, String>,
    pub values: Vec<String>,
}

/// A public DNS zone: its name and authoritative name servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsZone {
    pub id: String,
    pub name: String,
    pub name_servers: Vec<String>,
}

/// What acilab needs to know about a container group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerGroup {
    pub id: String,
    pub name: String,
    /// The group's IP address (private for VNet groups); none while stopped.
    pub ip: Option<String>,
    pub ip_type: Option<String>,
    pub provisioning_state: Option<String>,
}

/// Conditional write.
#[derive(Debug, Clone)]
pub enum Precondition {
    None,
    /// Only if the object still has this ETag.
    IfMatch(String),
    /// Only if the object does not exist.
    IfNoneMatch,
}

/// An ARM client: endpoint, token scope, credential and HTTP transport.
#[derive(Debug, Clone)]
pub struct ArmClient {
    http: reqwest::Client,
    endpoint: Url,
    scope: String,
    credential: Arc<dyn TokenCredential>,
    retry: RetryPolicy,
}

fn parse_a_record(v: &Value) -> Option<ARecordSet> {
    let p = v.get("properties")?;
    Some(ARecordSet {
        id: v.get("id")?.as_str()?.to_string(),
        name: v.get("name")?.as_str()?.to_string(),
        etag: v
            .get("etag")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        ttl: p.get("ttl").and_then(Value::as_u64).unwrap_or(0),
        fqdn: p
            .get("fqdn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        metadata: p
            .get("metadata")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default(),
        ipv4_addresses: p
            .get("aRecords")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.get("ipv4Address")?.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn parse_txt(v: &Value) -> Option<TxtRecordSet> {
    let p = v.get("properties")?;
    Some(TxtRecordSet {
        name: v.get("name")?.as_str()?.to_string(),
        etag: v
            .get("etag")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        ttl: p.get("TTL").and_then(Value::as_u64).unwrap_or(0),
        metadata: p
            .get("metadata")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default(),
        values: p
            .get("TXTRecords")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| {
                        r.get("value")?
                            .as_array()
                            .map(|parts| parts.iter().filter_map(Value::as_str).collect::<String>())
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn parse_group(v: &Value) -> Option<ContainerGroup> {
    let p = v.get("properties")?;
    Some(ContainerGroup {
        id: v.get("id")?.as_str()?.to_string(),
        name: v.get("name")?.as_str()?.to_string(),
        ip: p
            .pointer("/ipAddress/ip")
            .and_then(Value::as_str)
            .map(String::from),
        ip_type: p
            .pointer("/ipAddress/type")
            .and_then(Value::as_str)
            .map(String::from),
        provisioning_state: p
            .get("provisioningState")
            .and_then(Value::as_str)
            .map(String::from),
    })
}

impl ArmClient {
    /// `endpoint` is the resource manager URL, `scope` its token scope (`<audience>/.default`).
    pub fn new(
        http: reqwest::Client,
        endpoint: Url,
        scope: String,
        credential: Arc<dyn TokenCredential>,
    ) -> Self {
        Self {
            http,
            endpoint,
            scope,
            credential,
            retry: RetryPolicy::default(),
        }
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    async fn token(&self) -> Result<String, ArmError> {
        let t = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| ArmError::Token {
                scope: self.scope.clone(),
                message: e.to_string(),
            })?;
        Ok(t.token.secret().to_string())
    }

    fn url(&self, path: &str, api_version: &str) -> String {
        if path.starts_with("https://") {
            return path.to_string();
        }
        let base = self.endpoint.as_str().trim_end_matches('/');
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{base}{path}{sep}api-version={api_version}")
    }

    /// Sends one call, retrying throttling and server errors. Returns status, ETag-bearing body.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        precondition: &Precondition,
    ) -> Result<(StatusCode, Value), ArmError> {
        let path = url.split('?').next().unwrap_or(url).to_string();
        let mut attempt = 0;
        loop {
            let token = self.token().await?;
            let mut rb = self.http.request(method.clone(), url).bearer_auth(token);
            rb = match precondition {
                Precondition::None => rb,
                Precondition::IfMatch(etag) => rb.header("If-Match", etag.as_str()),
                Precondition::IfNoneMatch => rb.header("If-None-Match", "*"),
            };
            if let Some(b) = body {
                rb = rb.json(b);
            }
            let http_err = |source| ArmError::Http {
                method: method.to_string(),
                path: path.clone(),
                source,
            };
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e)
                    if attempt < self.retry.max_retries && (e.is_connect() || e.is_timeout()) =>
                {
                    attempt += 1;
                    tokio::time::sleep(self.backoff(attempt, None)).await;
                    continue;
                }
                Err(e) => return Err(http_err(e)),
            };
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = resp.text().await.map_err(http_err)?;
            let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
            if retryable && attempt < self.retry.max_retries {
                attempt += 1;
                let wait = self.backoff(attempt, retry_after);
                tracing::debug!(%method, %path, status = status.as_u16(), attempt, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
                continue;
            }
            let json: Value = if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).map_err(|e| ArmError::Decode {
                    method: method.to_string(),
                    path: path.clone(),
                    reason: e.to_string(),
                })?
            };
            if status == StatusCode::PRECONDITION_FAILED {
                return Err(ArmError::PreconditionFailed);
            }
            if status.is_success() || status == StatusCode::NOT_FOUND {
                return Ok((status, json));
            }
            return Err(ArmError::Api {
                method: method.to_string(),
                path,
                status: status.as_u16(),
                code: json
                    .pointer("/error/code")
                    .and_then(Value::as_str)
                    .unwrap_or("Unknown")
                    .to_string(),
                message: json
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or(&text)
                    .to_string(),
            });
        }
    }

    /// `Retry-After` when the service gave one, else exponential backoff with jitter; capped.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let wait = retry_after.unwrap_or_else(|| {
            let exp = self.retry.base_delay.saturating_mul(1 << attempt.min(10));
            let jitter = Duration::from_millis(u64::from(rand_u16() % 250));
            exp + jitter
        });
        wait.min(self.retry.max_delay)
    }

    async fn get(&self, url: &str) -> Result<Option<Value>, ArmError> {
        let (status, body) = self
            .send(Method::GET, url, None, &Precondition::None)
            .await?;
        Ok((status != StatusCode::NOT_FOUND).then_some(body))
    }

    /// GET of one object, decoded with `parse`; `None` when it does not exist.
    async fn get_as<T>(
        &self,
        url: &str,
        parse: fn(&Value) -> Option<T>,
        what: &str,
    ) -> Result<Option<T>, ArmError> {
        match self.get(url).await? {
            None => Ok(None),
            Some(v) => parse(&v).map(Some).ok_or_else(|| Self::decode_err(what)),
        }
    }

    /// Follows `nextLink` pages.
    async fn list(&self, first: String) -> Result<Vec<Value>, ArmError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let Some(page) = self.get(&url).await? else {
                break;
            };
            out.extend(
                page.get("value")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            next = page
                .get("nextLink")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from);
        }
        Ok(out)
    }

    fn decode_err(path: &str) -> ArmError {
        ArmError::Decode {
            method: "GET".into(),
            path: path.into(),
            reason: "missing fields".into(),
        }
    }

    /// Whether a Private DNS zone exists.
    pub async fn private_zone_exists(&self, zone_id: &str) -> Result<bool, ArmError> {
        Ok(self
            .get(&self.url(zone_id, PRIVATE_DNS_API_VERSION))
            .await?
            .is_some())
    }

    /// Every A record set of a zone (one call per page).
    pub async fn list_a_records(&self, zone_id: &str) -> Result<Vec<ARecordSet>, ArmError> {
        let url = self.url(&format!("{zone_id}/A"), PRIVATE_DNS_API_VERSION);
        self.list(url)
            .await?
            .iter()
            .map(|v| parse_a_record(v).ok_or_else(|| Self::decode_err(zone_id)))
            .collect()
    }

    pub async fn get_a_record(
        &self,
        zone_id: &str,
        name: &str,
    ) -> Result<Option<ARecordSet>, ArmError> {
        let url = self.url(&format!("{zone_id}/A/{name}"), PRIVATE_DNS_API_VERSION);
        self.get_as(&url, parse_a_record, zone_id).await
    }

    /// Creates or replaces an A record set; `precondition` guards against lost updates.
    pub async fn put_a_record(
        &self,
        zone_id: &str,
        name: &str,
        ttl: u64,
        metadata: &BTreeMap<String, String>,
        ips: &[String],
        precondition: Precondition,
    ) -> Result<ARecordSet, ArmError> {
        let url = self.url(&format!("{zone_id}/A/{name}"), PRIVATE_DNS_API_VERSION);
        let body = json!({"properties": {
            "ttl": ttl,
            "metadata": metadata,
            "aRecords": ips.iter().map(|ip| json!({"ipv4Address": ip})).collect::<Vec<_>>(),
        }});
        let (_, v) = self
            .send(Method::PUT, &url, Some(&body), &precondition)
            .await?;
        parse_a_record(&v).ok_or_else(|| Self::decode_err(zone_id))
    }

    /// Deletes an A record set (absent is fine).
    pub async fn delete_a_record(
        &self,
        zone_id: &str,
        name: &str,
        precondition: Precondition,
    ) -> Result<(), ArmError> {
        let url = self.url(&format!("{zone_id}/A/{name}"), PRIVATE_DNS_API_VERSION);
        self.send(Method::DELETE, &url, None, &precondition)
            .await
            .map(|_| ())
    }

    /// A public DNS zone, with its name servers.
    pub async fn get_dns_zone(&self, zone_id: &str) -> Result<Option<DnsZone>, ArmError> {
        let Some(v) = self.get(&self.url(zone_id, DNS_API_VERSION)).await? else {
            return Ok(None);
        };
        let zone = (|| {
            Some(DnsZone {
                id: v.get("id")?.as_str()?.to_string(),
                name: v.get("name")?.as_str()?.to_string(),
                name_servers: v
                    .pointer("/properties/nameServers")?
                    .as_array()?
                    .iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect(),
            })
        })();
        zone.map(Some).ok_or_else(|| Self::decode_err(zone_id))
    }

    pub async fn get_txt(
        &self,
        zone_id: &str,
        name: &str,
    ) -> Result<Option<TxtRecordSet>, ArmError> {
        let url = self.url(&format!("{zone_id}/TXT/{name}"), DNS_API_VERSION);
        self.get_as(&url, parse_txt, zone_id).await
    }

    /// Creates or replaces a TXT record set, one TXT record per value (values over 255
    /// characters are split into strings as DNS requires).
    pub async fn put_txt(
        &self,
        zone_id: &str,
        name: &str,
        ttl: u64,
        metadata: &BTreeMap<String, String>,
        values: &[String],
        precondition: Precondition,
    ) -> Result<TxtRecordSet, ArmError> {
        let url = self.url(&format!("{zone_id}/TXT/{name}"), DNS_API_VERSION);
        let records: Vec<Value> = values
            .iter()
            .map(|v| {
                let parts: Vec<String> = v
                    .as_bytes()
                    .chunks(255)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                json!({ "value": parts })
            })
            .collect();
        let body = json!({"properties": {"TTL": ttl, "metadata": metadata, "TXTRecords": records}});
        let (_, v) = self
            .send(Method::PUT, &url, Some(&body), &precondition)
            .await?;
        parse_txt(&v).ok_or_else(|| Self::decode_err(zone_id))
    }

    pub async fn delete_txt(
        &self,
        zone_id: &str,
        name: &str,
        precondition: Precondition,
    ) -> Result<(), ArmError> {
        let url = self.url(&format!("{zone_id}/TXT/{name}"), DNS_API_VERSION);
        self.send(Method::DELETE, &url, None, &precondition)
            .await
            .map(|_| ())
    }

    pub async fn get_container_group(&self, id: &str) -> Result<Option<ContainerGroup>, ArmError> {
        self.get_as(
            &self.url(id, CONTAINER_INSTANCE_API_VERSION),
            parse_group,
            id,
        )
        .await
    }

    /// Every container group of a resource group (LIST: one call per page).
    pub async fn list_container_groups(
        &self,
        resource_group_id: &str,
    ) -> Result<Vec<ContainerGroup>, ArmError> {
        let url = self.url(
            &format!("{resource_group_id}/providers/Microsoft.ContainerInstance/containerGroups"),
            CONTAINER_INSTANCE_API_VERSION,
        );
        self.list(url)
            .await?
            .iter()
            .map(|v| parse_group(v).ok_or_else(|| Self::decode_err(resource_group_id)))
            .collect()
    }
}

fn rand_u16() -> u16 {
    // Jitter only; no need for a cryptographic source.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ (nanos >> 16)) as u16
}
