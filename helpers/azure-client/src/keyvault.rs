//! A thin wrapper over the official Key Vault clients (`azure_security_keyvault_certificates`,
//! `azure_security_keyvault_secrets` 1.0) exposing what a Terraform resource that issues ACME
//! certificates into Key Vault needs:
//!
//! - a certificate version whose key pair Key Vault generates and keeps (policy issuer
//!   `Unknown`): [`KeyVault::begin_create`] returns the CSR, the caller has it signed elsewhere
//!   (an ACME CA) and [`KeyVault::merge`]s the chain back;
//! - the pending operation, to resume or discard an order a killed run left behind
//!   ([`KeyVault::pending`], [`KeyVault::discard_pending`]);
//! - reading versions, tagging, soft delete / recover / purge (waiting out Key Vault's eventual
//!   consistency after a delete, boundedly);
//! - plain secrets (the ACME account key).
//!
//! Requests go through the SDK pipeline: its retry policy already retries 429 and 5xx after
//! `Retry-After`, so nothing here retries those again. A [`KeyVaultError::Throttled`] means the
//! SDK gave up.
//!
//! Nothing secret is logged: debug events name the vault, the object and the operation, never a
//! secret value, key or CSR content.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::http::{ClientOptions, RequestContent};
use azure_core::time::OffsetDateTime;
use azure_security_keyvault_certificates::models::{
    Certificate, CertificateAttributes, CertificateClientGetCertificateOptions,
    CertificateClientUpdateCertificatePropertiesOptions, CertificateOperation, CertificatePolicy,
    CertificateProperties, CreateCertificateParameters, CurveName, IssuerParameters, KeyProperties,
    KeyType as SdkKeyType, KeyUsageType, MergeCertificateParameters, SecretProperties,
    SubjectAlternativeNames, UpdateCertificateOperationParameter,
    UpdateCertificatePropertiesParameters, X509CertificateProperties,
};
use azure_security_keyvault_certificates::{CertificateClient, CertificateClientOptions};
use azure_security_keyvault_secrets::models::{SecretClientGetSecretOptions, SetSecretParameters};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use futures::{StreamExt as _, TryStreamExt as _};
use sha1::{Digest as _, Sha1};

use crate::transport::HttpTransport;

/// Content type of a PEM secret (private key and chain).
pub const CONTENT_TYPE_PEM: &str = "application/x-pem-file";
/// Content type of a PKCS#12 secret (base64 PFX without password).
pub const CONTENT_TYPE_PKCS12: &str = "application/x-pkcs12";

/// Extended key usages requested in the CSR: TLS server and client authentication.
const EKU_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";

/// Errors from Key Vault or from the SDK below it.
///
/// The service variants carry `code`, the most specific error code Key Vault gave (the
/// innermost `innererror.code` when present, e.g. `ObjectIsBeingDeleted`, `ForbiddenByRbac`,
/// else `error.code`, e.g. `CertificateNotFound`), and the service's message. Messages never
/// contain secret values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyVaultError {
    /// 404: the object (or the vault path) does not exist.
    #[error("not found ({}): {message}", code.as_deref().unwrap_or("NotFound"))]
    NotFound {
        code: Option<String>,
        message: String,
    },
    /// 401 after authentication or 403: the caller lacks a data-plane permission (RBAC role or
    /// access policy), or the object is disabled.
    #[error("access denied ({}): {message}", code.as_deref().unwrap_or("Forbidden"))]
    Forbidden {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// 409: e.g. a pending operation already exists, the name is deleted but recoverable
    /// (`ObjectIsDeletedButRecoverable`) or still being deleted (`ObjectIsBeingDeleted`).
    #[error("conflict ({}): {message}", code.as_deref().unwrap_or("Conflict"))]
    Conflict {
        code: Option<String>,
        message: String,
    },
    /// 400: Key Vault refused the request's content.
    #[error("bad request ({}): {message}", code.as_deref().unwrap_or("BadParameter"))]
    BadRequest {
        code: Option<String>,
        message: String,
    },
    /// 429 that outlasted the SDK's retries.
    #[error("throttled by Key Vault (the SDK's retries are exhausted): {message}")]
    Throttled {
        code: Option<String>,
        message: String,
    },
    /// Any other HTTP status (including 5xx that outlasted the SDK's retries).
    #[error("Key Vault answered {status} ({}): {message}", code.as_deref().unwrap_or("-"))]
    Other {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// Key Vault kept reporting an intermediate state (e.g. still deleting) for longer than
    /// the configured consistency wait.
    #[error("{operation} {name}: Key Vault had not settled after {waited:?}")]
    Timeout {
        operation: &'static str,
        name: String,
        waited: Duration,
    },
    /// The service's answer lacks something this wrapper needs.
    #[error("unexpected Key Vault answer to {operation}: {reason}")]
    Unexpected {
        operation: &'static str,
        reason: String,
    },
    /// Not an HTTP error answer: transport, credential, request building or decoding.
    #[error("Key Vault request failed: {0}")]
    Sdk(#[source] azure_core::Error),
}

impl KeyVaultError {
    /// The most specific service error code (e.g. `ObjectIsBeingDeleted`,
    /// `CertificateNotFound`), when Key Vault answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::NotFound { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. }
            | Self::BadRequest { code, .. }
            | Self::Throttled { code, .. }
            | Self::Other { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status Key Vault answered with, if it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::NotFound { .. } => Some(404),
            Self::Forbidden { status, .. } | Self::Other { status, .. } => Some(*status),
            Self::Conflict { .. } => Some(409),
            Self::BadRequest { .. } => Some(400),
            Self::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// 409 `ObjectIsBeingDeleted`: a delete is still in progress (eventual consistency).
    pub fn is_being_deleted(&self) -> bool {
        matches!(self, Self::Conflict { .. }) && self.code() == Some("ObjectIsBeingDeleted")
    }

    /// 409 `ObjectIsDeletedButRecoverable`: the name is held by a soft-deleted object.
    pub fn is_deleted_but_recoverable(&self) -> bool {
        matches!(self, Self::Conflict { .. })
            && self.code() == Some("ObjectIsDeletedButRecoverable")
    }

    fn unexpected(operation: &'static str, reason: impl Into<String>) -> Self {
        Self::Unexpected {
            operation,
            reason: reason.into(),
        }
    }
}

impl From<azure_core::Error> for KeyVaultError {
    fn from(err: azure_core::Error) -> Self {
        let ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } = err.kind()
        else {
            return Self::Sdk(err);
        };
        let status = u16::from(*status);
        let body = raw_response
            .as_ref()
            .and_then(|r| serde_json::from_slice::<serde_json::Value>(r.body()).ok());
        let (code, message) = match &body {
            Some(body) => {
                let error = &body["error"];
                let mut code = error["code"].as_str().map(str::to_string);
                let mut inner = &error["innererror"];
                while let Some(c) = inner["code"].as_str() {
                    code = Some(c.to_string());
                    inner = &inner["innererror"];
                }
                let message = error["message"]
                    .as_str()
                    .map_or_else(|| err.to_string(), str::to_string);
                (code.or_else(|| error_code.clone()), message)
            }
            None => (error_code.clone(), err.to_string()),
        };
        match status {
            404 => Self::NotFound { code, message },
            401 | 403 => Self::Forbidden {
                status,
                code,
                message,
            },
            409 => Self::Conflict { code, message },
            400 => Self::BadRequest { code, message },
            429 => Self::Throttled { code, message },
            _ => Self::Other {
                status,
                code,
                message,
            },
        }
    }
}

/// Type and size of the key Key Vault generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA with this modulus size: 2048, 3072 or 4096 (Key Vault refuses others).
    Rsa(u32),
    EcP256,
    EcP384,
}

/// How Key Vault stores the certificate's secret (private key and chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SecretContentType {
    /// `application/x-pem-file`: PEM private key followed by the PEM chain.
    #[default]
    Pem,
    /// `application/x-pkcs12`: base64 PFX without password.
    Pkcs12,
}

impl SecretContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pem => CONTENT_TYPE_PEM,
            Self::Pkcs12 => CONTENT_TYPE_PKCS12,
        }
    }
}

/// What to ask Key Vault for when starting a certificate version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    /// X.500 subject, e.g. `CN=example.com`.
    pub subject: String,
    /// DNS subject alternative names (`example.com`, `*.example.com`).
    pub dns_names: Vec<String>,
    pub key: KeyType,
    pub content_type: SecretContentType,
    /// Tags of the new version (Key Vault applies them when the version is merged).
    pub tags: BTreeMap<String, String>,
    /// Whether the private key may be read through the secret (what App Gateway and nginx need).
    pub exportable: bool,
}

/// A secret's value and content type. `Debug` leaves the value out.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue {
    pub value: String,
    pub content_type: Option<String>,
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretValue")
            .field("value", &"<redacted>")
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// One certificate version.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateVersion {
    /// Versioned certificate id: `https://<vault>/certificates/<name>/<version>`.
    pub id: String,
    pub version: String,
    /// `https://<vault>/certificates/<name>`.
    pub versionless_id: String,
    /// Versioned secret id: `https://<vault>/secrets/<name>/<version>`.
    pub secret_id: String,
    /// `https://<vault>/secrets/<name>` (what App Gateway references to follow renewals).
    pub versionless_secret_id: String,
    /// SHA-1 of the DER certificate, upper-case hex (as azurerm shows it).
    pub thumbprint_hex: String,
    /// The leaf certificate, DER. Empty when Key Vault did not return it: in listings
    /// ([`KeyVault::versions`]; the list API has no `cer`) and for a version whose operation is
    /// still pending.
    pub cer_der: Vec<u8>,
    /// `nbf`, seconds since the Unix epoch.
    pub not_before: Option<i64>,
    /// `exp`, seconds since the Unix epoch.
    pub not_after: Option<i64>,
    /// Creation time of the version, seconds since the Unix epoch.
    pub created: Option<i64>,
    pub enabled: bool,
    pub tags: BTreeMap<String, String>,
}

impl fmt::Debug for CertificateVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateVersion")
            .field("id", &self.id)
            .field("secret_id", &self.secret_id)
            .field("thumbprint_hex", &self.thumbprint_hex)
            .field("cer_der", &format_args!("<{} bytes>", self.cer_der.len()))
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("created", &self.created)
            .field("enabled", &self.enabled)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// Status of a certificate operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationStatus {
    InProgress,
    Completed,
    Cancelled,
    Failed,
    /// Anything else Key Vault reports (kept verbatim).
    Other(String),
}

impl OperationStatus {
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("inProgress") => Self::InProgress,
            Some("completed") => Self::Completed,
            Some("cancelled") => Self::Cancelled,
            Some("failed") => Self::Failed,
            Some(other) => Self::Other(other.to_string()),
            None => Self::Other(String::new()),
        }
    }
}

/// The certificate operation Key Vault keeps under `/certificates/<name>/pending`. Key Vault
/// keeps the last operation after it completes (status [`OperationStatus::Completed`], `target`
/// set) until the next create replaces it or it is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOperation {
    /// The CSR (DER) of the key Key Vault generated for this operation.
    pub csr_der: Vec<u8>,
    pub status: OperationStatus,
    pub status_details: Option<String>,
    pub request_id: Option<String>,
    pub cancellation_requested: bool,
    /// Issuer name of the operation (`Unknown` for ours).
    pub issuer: Option<String>,
    /// The certificate it produced, once completed.
    pub target: Option<String>,
    /// Error code and message of a failed operation.
    pub error: Option<(String, String)>,
}

/// How long to wait out Key Vault's eventual consistency after a delete or recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsistencyWait {
    pub attempts: u32,
    pub interval: Duration,
}

impl Default for ConsistencyWait {
    /// 30 attempts, 1 s apart.
    fn default() -> Self {
        Self {
            attempts: 30,
            interval: Duration::from_secs(1),
        }
    }
}

/// Certificate and secret clients for one vault.
pub struct KeyVault {
    vault_url: String,
    certs: CertificateClient,
    secrets: SecretClient,
    wait: ConsistencyWait,
}

impl fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyVault")
            .field("vault_url", &self.vault_url)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

fn to_hash_map(tags: &BTreeMap<String, String>) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn to_btree_map(tags: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.unwrap_or_default().into_iter().collect()
}

fn upper_hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

fn epoch(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(OffsetDateTime::unix_timestamp)
}

fn content<T>(value: T) -> Result<RequestContent<T>, KeyVaultError>
where
    T: TryInto<RequestContent<T>, Error = azure_core::Error>,
{
    value.try_into().map_err(KeyVaultError::Sdk)
}

/// Splits `https://<vault>/certificates/<name>/<version>` into (vault URL, name, version).
fn split_certificate_id(id: &str) -> Option<(String, String, String)> {
    let url = url::Url::parse(id).ok()?;
    let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
    if segments.next()? != "certificates" {
        return None;
    }
    let name = segments.next()?.to_string();
    let version = segments.next()?.to_string();
    let vault = format!("{}://{}", url.scheme(), url.authority());
    Some((vault, name, version))
}

/// Everything but the `cer` and secret id, which differ between a bundle and a list item.
struct VersionParts {
    id: Option<String>,
    sid: Option<String>,
    cer: Option<Vec<u8>>,
    x5t: Option<Vec<u8>>,
    attributes: Option<CertificateAttributes>,
    tags: Option<HashMap<String, String>>,
}

impl VersionParts {
    fn into_version(self, operation: &'static str) -> Result<CertificateVersion, KeyVaultError> {
        let id = self
            .id
            .ok_or_else(|| KeyVaultError::unexpected(operation, "no certificate id"))?;
        let (vault, name, version) = split_certificate_id(&id).ok_or_else(|| {
            KeyVaultError::unexpected(operation, format!("not a versioned certificate id: {id}"))
        })?;
        // Key Vault's certificate secret always lives at secrets/<name>/<version>; listings do
        // not carry `sid`, so derive it there.
        let secret_id = self
            .sid
            .unwrap_or_else(|| format!("{vault}/secrets/{name}/{version}"));
        let cer_der = self.cer.unwrap_or_default();
        let thumbprint = if cer_der.is_empty() {
            self.x5t.unwrap_or_default()
        } else {
            Sha1::digest(&cer_der).to_vec()
        };
        let attributes = self.attributes.unwrap_or_default();
        Ok(CertificateVersion {
            versionless_id: format!("{vault}/certificates/{name}"),
            versionless_secret_id: format!("{vault}/secrets/{name}"),
            id,
            version,
            secret_id,
            thumbprint_hex: upper_hex(&thumbprint),
            cer_der,
            not_before: epoch(attributes.not_before),
            not_after: epoch(attributes.expires),
            created: epoch(attributes.created),
            enabled: attributes.enabled.unwrap_or(true),
            tags: to_btree_map(self.tags),
        })
    }
}

fn from_bundle(
    c: Certificate,
    operation: &'static str,
) -> Result<CertificateVersion, KeyVaultError> {
    VersionParts {
        id: c.id,
        sid: c.sid,
        cer: c.cer,
        x5t: c.x509_thumbprint,
        attributes: c.attributes,
        tags: c.tags,
    }
    .into_version(operation)
}

fn from_properties(
    p: CertificateProperties,
    operation: &'static str,
) -> Result<CertificateVersion, KeyVaultError> {
    VersionParts {
        id: p.id,
        sid: None,
        cer: None,
        x5t: p.x509_thumbprint,
        attributes: p.attributes,
        tags: p.tags,
    }
    .into_version(operation)
}

fn from_operation(op: CertificateOperation) -> PendingOperation {
    PendingOperation {
        csr_der: op.csr.unwrap_or_default(),
        status: OperationStatus::parse(op.status.as_deref()),
        status_details: op.status_details.filter(|s| !s.is_empty()),
        request_id: op.request_id,
        cancellation_requested: op.cancellation_requested.unwrap_or(false),
        issuer: op.issuer_parameters.and_then(|i| i.name),
        target: op.target,
        error: op
            .error
            .map(|e| (e.code.unwrap_or_default(), e.message.unwrap_or_default())),
    }
}

fn policy(req: &CertificateRequest) -> CertificatePolicy {
    let (key_type, key_size, curve, key_usage) = match req.key {
        KeyType::Rsa(bits) => (
            SdkKeyType::Rsa,
            Some(i32::try_from(bits).unwrap_or(i32::MAX)),
            None,
            vec![
                KeyUsageType::DigitalSignature,
                KeyUsageType::KeyEncipherment,
            ],
        ),
        KeyType::EcP256 => (
            SdkKeyType::Ec,
            None,
            Some(CurveName::P256),
            vec![KeyUsageType::DigitalSignature],
        ),
        KeyType::EcP384 => (
            SdkKeyType::Ec,
            None,
            Some(CurveName::P384),
            vec![KeyUsageType::DigitalSignature],
        ),
    };
    CertificatePolicy {
        issuer_parameters: Some(IssuerParameters {
            name: Some("Unknown".into()),
            ..Default::default()
        }),
        key_properties: Some(KeyProperties {
            key_type: Some(key_type),
            key_size,
            curve,
            exportable: Some(req.exportable),
            // A fresh key for every version.
            reuse_key: Some(false),
        }),
        secret_properties: Some(SecretProperties {
            content_type: Some(req.content_type.as_str().into()),
        }),
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(req.subject.clone()),
            subject_alternative_names: Some(SubjectAlternativeNames {
                dns_names: Some(req.dns_names.clone()),
                ..Default::default()
            }),
            key_usage: Some(key_usage),
            enhanced_key_usage: Some(vec![EKU_SERVER_AUTH.into(), EKU_CLIENT_AUTH.into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `Ok(None)` for 404.
fn optional<T>(r: Result<T, KeyVaultError>) -> Result<Option<T>, KeyVaultError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl KeyVault {
    /// Clients for the vault at `vault_url` (`https://<vault>.vault.azure.net/`), sending through
    /// `transport` with the SDK's default retry policy.
    pub fn new(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        transport: &HttpTransport,
    ) -> Result<Self, KeyVaultError> {
        Self::with_client_options(vault_url, credential, transport.client_options())
    }

    /// Like [`KeyVault::new`] with explicit [`ClientOptions`] (transport, retry policy, …).
    pub fn with_client_options(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        client_options: ClientOptions,
    ) -> Result<Self, KeyVaultError> {
        let certs = CertificateClient::new(
            vault_url,
            credential.clone(),
            Some(CertificateClientOptions {
                client_options: client_options.clone(),
                ..Default::default()
            }),
        )?;
        let secrets = SecretClient::new(
            vault_url,
            credential,
            Some(SecretClientOptions {
                client_options,
                ..Default::default()
            }),
        )?;
        Ok(Self {
            vault_url: vault_url.to_string(),
            certs,
            secrets,
            wait: ConsistencyWait::default(),
        })
    }

    /// Changes how long [`KeyVault::delete`], [`KeyVault::purge`] and [`KeyVault::recover`]
    /// wait for Key Vault to settle.
    pub fn with_consistency_wait(mut self, wait: ConsistencyWait) -> Self {
        self.wait = wait;
        self
    }

    pub fn vault_url(&self) -> &str {
        &self.vault_url
    }

    /// Starts a new version of certificate `name` whose key Key Vault generates (policy issuer
    /// `Unknown`, the request's policy replacing the stored one), and returns its CSR (DER).
    /// Does not wait: the operation stays pending until [`KeyVault::merge`] or
    /// [`KeyVault::discard_pending`]. A second call while one is pending is a
    /// [`KeyVaultError::Conflict`].
    pub async fn begin_create(
        &self,
        name: &str,
        req: &CertificateRequest,
    ) -> Result<Vec<u8>, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, subject = %req.subject, dns_names = ?req.dns_names, key = ?req.key, "Key Vault: create certificate (issuer Unknown)");
        let params = CreateCertificateParameters {
            certificate_policy: Some(policy(req)),
            tags: Some(to_hash_map(&req.tags)),
            ..Default::default()
        };
        let mut poller = self
            .certs
            .begin_create_certificate(name, content(params)?, None)?;
        // The first poll is the create request itself; its answer carries the CSR. Dropping
        // the poller leaves the operation pending.
        let first = poller.next().await.ok_or_else(|| {
            KeyVaultError::unexpected("create certificate", "no answer from the poller")
        })??;
        let op = first.into_model()?;
        tracing::debug!(vault = %self.vault_url, name, status = ?op.status, request_id = ?op.request_id, "Key Vault: certificate operation started");
        op.csr
            .filter(|c| !c.is_empty())
            .ok_or_else(|| KeyVaultError::unexpected("create certificate", "no CSR in the answer"))
    }

    /// The certificate's operation, if any (see [`PendingOperation`]).
    pub async fn pending(&self, name: &str) -> Result<Option<PendingOperation>, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, "Key Vault: get certificate operation");
        let op = optional(
            self.certs
                .get_certificate_operation(name, None)
                .await
                .map_err(KeyVaultError::from),
        )?;
        match op {
            None => Ok(None),
            Some(rsp) => Ok(Some(from_operation(rsp.into_model()?))),
        }
    }

    /// Cancels the certificate's operation if it is in progress, then deletes it. `Ok` if there
    /// is none. The key generated for it is discarded by Key Vault.
    pub async fn discard_pending(&self, name: &str) -> Result<(), KeyVaultError> {
        let Some(op) = self.pending(name).await? else {
            return Ok(());
        };
        if op.status == OperationStatus::InProgress && !op.cancellation_requested {
            tracing::debug!(vault = %self.vault_url, name, "Key Vault: cancel certificate operation");
            let cancel = UpdateCertificateOperationParameter {
                cancellation_requested: Some(true),
            };
            let r = self
                .certs
                .update_certificate_operation(name, content(cancel)?, None)
                .await;
            optional(r.map_err(KeyVaultError::from))?;
        }
        tracing::debug!(vault = %self.vault_url, name, "Key Vault: delete certificate operation");
        let r = self.certs.delete_certificate_operation(name, None).await;
        optional(r.map_err(KeyVaultError::from))?;
        Ok(())
    }

    /// Merges the signed chain (leaf first, DER) into the pending operation and returns the
    /// new version.
    pub async fn merge(
        &self,
        name: &str,
        chain_der: &[Vec<u8>],
    ) -> Result<CertificateVersion, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, chain_len = chain_der.len(), "Key Vault: merge certificate");
        let params = MergeCertificateParameters {
            x509_certificates: Some(chain_der.to_vec()),
            ..Default::default()
        };
        let merged = self
            .certs
            .merge_certificate(name, content(params)?, None)
            .await?
            .into_model()?;
        let v = from_bundle(merged, "merge certificate")?;
        tracing::debug!(vault = %self.vault_url, name, version = %v.version, thumbprint = %v.thumbprint_hex, "Key Vault: certificate merged");
        Ok(v)
    }

    /// The certificate's latest version, or `version`; `None` if the certificate (or that
    /// version) does not exist.
    pub async fn get(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Option<CertificateVersion>, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, version, "Key Vault: get certificate");
        let options = CertificateClientGetCertificateOptions {
            certificate_version: version.map(str::to_string),
            ..Default::default()
        };
        let r = self.certs.get_certificate(name, Some(options)).await;
        match optional(r.map_err(KeyVaultError::from))? {
            None => Ok(None),
            Some(rsp) => Ok(Some(from_bundle(rsp.into_model()?, "get certificate")?)),
        }
    }

    /// All versions of the certificate, oldest first (by creation time); empty if it does not
    /// exist. From the list API, which has no `cer`: `cer_der` is empty (call
    /// [`KeyVault::get`] with the version for it), `thumbprint_hex` comes from Key Vault's
    /// `x5t`, and `secret_id` is derived (`secrets/<name>/<version>`).
    pub async fn versions(&self, name: &str) -> Result<Vec<CertificateVersion>, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, "Key Vault: list certificate versions");
        let pager = self
            .certs
            .list_certificate_properties_versions(name, None)?;
        let items: Vec<CertificateProperties> = match pager.try_collect().await {
            Ok(items) => items,
            Err(e) => {
                let e = KeyVaultError::from(e);
                return if e.is_not_found() {
                    Ok(Vec::new())
                } else {
                    Err(e)
                };
            }
        };
        let mut versions = items
            .into_iter()
            .map(|p| from_properties(p, "list certificate versions"))
            .collect::<Result<Vec<_>, _>>()?;
        versions.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(versions)
    }

    /// Replaces the tags of one version (Key Vault applies them to its secret too).
    pub async fn set_tags(
        &self,
        name: &str,
        version: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, version, "Key Vault: update certificate tags");
        let params = UpdateCertificatePropertiesParameters {
            tags: Some(to_hash_map(tags)),
            ..Default::default()
        };
        let options = CertificateClientUpdateCertificatePropertiesOptions {
            certificate_version: Some(version.to_string()),
            ..Default::default()
        };
        self.certs
            .update_certificate_properties(name, content(params)?, Some(options))
            .await?;
        Ok(())
    }

    /// Soft-deletes the certificate (with its key and secret); `Ok` if it does not exist.
    /// When the vault keeps deleted objects (a `recoveryId` in the answer), waits until Key
    /// Vault lists it as deleted, so [`KeyVault::is_deleted`], [`KeyVault::purge`] and
    /// [`KeyVault::recover`] see it.
    pub async fn delete(&self, name: &str) -> Result<(), KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, "Key Vault: delete certificate");
        let r = self.certs.delete_certificate(name, None).await;
        let Some(rsp) = optional(r.map_err(KeyVaultError::from))? else {
            tracing::debug!(vault = %self.vault_url, name, "Key Vault: certificate already absent");
            return Ok(());
        };
        let deleted = rsp.into_model()?;
        if deleted.recovery_id.is_none() {
            tracing::debug!(vault = %self.vault_url, name, "Key Vault: vault without soft delete, certificate gone");
            return Ok(());
        }
        self.settle("delete certificate", name, || async {
            Ok(if self.is_deleted(name).await? {
                Step::Done(())
            } else {
                Step::NotYet(None)
            })
        })
        .await
    }

    /// Whether the certificate is in the deleted (recoverable or purgeable) state.
    pub async fn is_deleted(&self, name: &str) -> Result<bool, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, "Key Vault: get deleted certificate");
        let r = self.certs.get_deleted_certificate(name, None).await;
        Ok(optional(r.map_err(KeyVaultError::from))?.is_some())
    }

    /// Purges the deleted certificate for good. Right after a delete Key Vault answers 409
    /// `ObjectIsBeingDeleted` or 404 for a while: both are retried within the consistency
    /// wait; a 404 that persists is returned as [`KeyVaultError::NotFound`].
    pub async fn purge(&self, name: &str) -> Result<(), KeyVaultError> {
        self.settle("purge certificate", name, || async {
            tracing::debug!(vault = %self.vault_url, name, "Key Vault: purge deleted certificate");
            let r = self.certs.purge_deleted_certificate(name, None).await;
            still_deleting(r.map(|_| ()))
        })
        .await
    }

    /// Recovers the deleted certificate (with its key and secret) and waits until it can be
    /// read again. 409 `ObjectIsBeingDeleted` and 404 right after a delete are retried within
    /// the consistency wait.
    pub async fn recover(&self, name: &str) -> Result<(), KeyVaultError> {
        self.settle("recover certificate", name, || async {
            tracing::debug!(vault = %self.vault_url, name, "Key Vault: recover deleted certificate");
            let r = self.certs.recover_deleted_certificate(name, None).await;
            still_deleting(r.map(|_| ()))
        })
        .await?;
        self.settle("read recovered certificate", name, || async {
            Ok(match self.get(name, None).await? {
                Some(_) => Step::Done(()),
                None => Step::NotYet(None),
            })
        })
        .await
    }

    /// The current value of secret `name`; `None` if it does not exist.
    pub async fn get_secret(&self, name: &str) -> Result<Option<String>, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, "Key Vault: get secret");
        let r = self.secrets.get_secret(name, None).await;
        match optional(r.map_err(KeyVaultError::from))? {
            None => Ok(None),
            Some(rsp) => {
                let secret = rsp.into_model()?;
                secret.value.map(Some).ok_or_else(|| {
                    KeyVaultError::unexpected("get secret", "no value in the answer")
                })
            }
        }
    }

    /// Secret `name` at `version` (latest when `None`) with its content type; `None` if it does
    /// not exist. For a certificate this is its private key and chain ([`SecretContentType`]).
    pub async fn get_secret_value(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Option<SecretValue>, KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, version, "Key Vault: get secret value");
        let options = SecretClientGetSecretOptions {
            secret_version: version.map(str::to_string),
            ..Default::default()
        };
        let r = self.secrets.get_secret(name, Some(options)).await;
        match optional(r.map_err(KeyVaultError::from))? {
            None => Ok(None),
            Some(rsp) => {
                let secret = rsp.into_model()?;
                let value = secret.value.ok_or_else(|| {
                    KeyVaultError::unexpected("get secret", "no value in the answer")
                })?;
                Ok(Some(SecretValue {
                    value,
                    content_type: secret.content_type,
                }))
            }
        }
    }

    /// Sets secret `name` (adds a version).
    pub async fn set_secret(
        &self,
        name: &str,
        value: &str,
        content_type: Option<&str>,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), KeyVaultError> {
        tracing::debug!(vault = %self.vault_url, name, content_type, "Key Vault: set secret");
        let params = SetSecretParameters {
            value: Some(value.to_string()),
            content_type: content_type.map(str::to_string),
            tags: Some(to_hash_map(tags)),
            ..Default::default()
        };
        self.secrets
            .set_secret(name, content(params)?, None)
            .await?;
        Ok(())
    }

    /// Runs `attempt` until it is [`Step::Done`], at most `self.wait.attempts` times,
    /// `self.wait.interval` apart. When attempts run out, the last retryable error is returned
    /// as is, else [`KeyVaultError::Timeout`].
    async fn settle<T, F, Fut>(
        &self,
        operation: &'static str,
        name: &str,
        mut attempt: F,
    ) -> Result<T, KeyVaultError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Step<T>, KeyVaultError>>,
    {
        let attempts = self.wait.attempts.max(1);
        for n in 1..=attempts {
            let last = match attempt().await? {
                Step::Done(v) => return Ok(v),
                Step::NotYet(last) => last,
            };
            if n == attempts {
                return Err(last.unwrap_or_else(|| KeyVaultError::Timeout {
                    operation,
                    name: name.to_string(),
                    waited: self.wait.interval * (attempts - 1),
                }));
            }
            tracing::debug!(vault = %self.vault_url, name, operation, attempt = n, last = ?last.as_ref().map(ToString::to_string), "Key Vault: not settled yet, waiting");
            tokio::time::sleep(self.wait.interval).await;
        }
        Err(KeyVaultError::Timeout {
            operation,
            name: name.to_string(),
            waited: self.wait.interval * (attempts - 1),
        })
    }
}

/// One attempt of [`KeyVault::settle`].
enum Step<T> {
    Done(T),
    /// Not settled yet; the retryable error seen, if any.
    NotYet(Option<KeyVaultError>),
}

/// A purge or recover answer: 409 `ObjectIsBeingDeleted` and 404 mean the delete has not
/// settled yet.
fn still_deleting(r: azure_core::Result<()>) -> Result<Step<()>, KeyVaultError> {
    match r.map_err(KeyVaultError::from) {
        Ok(()) => Ok(Step::Done(())),
        Err(e) if e.is_being_deleted() || e.is_not_found() => Ok(Step::NotYet(Some(e))),
        Err(e) => Err(e),
    }
}
