//! Entra credentials from the official `azure_identity` crate, wired to a [`CloudEndpoints`]
//! authority host and our [`HttpTransport`].
//!
//! - a service principal with a client secret: [`client_secret_credential`];
//! - federated credentials (GitHub Actions OIDC, workload identity): [`client_assertion_credential`]
//!   with an assertion source — [`AssertionFn`] (any async closure, e.g. one that asks GitHub's
//!   `ACTIONS_ID_TOKEN_REQUEST_URL`) or [`AssertionFile`] (a token file such as
//!   `AZURE_FEDERATED_TOKEN_FILE`, read anew each time since it is rotated);
//! - a managed identity: [`managed_identity_credential`] (azure_identity finds the endpoint in
//!   `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, or uses IMDS).

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use azure_core::credentials::Secret;
use azure_core::error::ErrorKind;
use azure_core::http::ClientMethodOptions;
use azure_identity::{
    ClientAssertion, ClientAssertionCredential, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId,
};

use crate::cloud::CloudEndpoints;
use crate::error::{Error, Result};
use crate::transport::HttpTransport;

/// Error an assertion source may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A [`ClientSecretCredential`] that asks `cloud`'s authority host through `transport`.
pub fn client_secret_credential(
    cloud: &CloudEndpoints,
    transport: &HttpTransport,
    tenant_id: &str,
    client_id: &str,
    client_secret: impl Into<String>,
) -> Result<Arc<ClientSecretCredential>> {
    let options = ClientSecretCredentialOptions {
        client_options: cloud.client_options(transport),
    };
    ClientSecretCredential::new(
        tenant_id,
        client_id.to_string(),
        Secret::new(client_secret.into()),
        Some(options),
    )
    .map_err(|source| Error::Credential {
        credential: "client secret credential",
        source,
    })
}

/// A [`ClientAssertionCredential`] (federated credential) that asks `cloud`'s authority host
/// through `transport`, with assertions from `assertion`.
pub fn client_assertion_credential<A: ClientAssertion>(
    cloud: &CloudEndpoints,
    transport: &HttpTransport,
    tenant_id: &str,
    client_id: &str,
    assertion: A,
) -> Result<Arc<ClientAssertionCredential<A>>> {
    let options = ClientAssertionCredentialOptions {
        client_options: cloud.client_options(transport),
    };
    ClientAssertionCredential::new(
        tenant_id.to_string(),
        client_id.to_string(),
        assertion,
        Some(options),
    )
    .map_err(|source| Error::Credential {
        credential: "client assertion credential",
        source,
    })
}

/// A [`ManagedIdentityCredential`] sending through `transport`. azure_identity 1.0 takes the
/// endpoint only from the environment (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER` for App Service
/// style, otherwise IMDS at 169.254.169.254).
pub fn managed_identity_credential(
    transport: &HttpTransport,
    user_assigned_id: Option<UserAssignedId>,
) -> Result<Arc<ManagedIdentityCredential>> {
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id,
        client_options: transport.client_options(),
    };
    ManagedIdentityCredential::new(Some(options)).map_err(|source| Error::Credential {
        credential: "managed identity credential",
        source,
    })
}

/// A [`ClientAssertion`] from an async closure, e.g. one that fetches a GitHub Actions ID token.
pub struct AssertionFn<F> {
    name: String,
    fetch: F,
}

impl<F> AssertionFn<F> {
    /// `name` appears in logs and errors (e.g. "GitHub Actions ID token").
    pub fn new(name: impl Into<String>, fetch: F) -> Self {
        Self {
            name: name.into(),
            fetch,
        }
    }
}

impl<F> fmt::Debug for AssertionFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionFn")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl<F, Fut> ClientAssertion for AssertionFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = std::result::Result<String, BoxError>> + Send,
{
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        tracing::debug!(source = %self.name, "fetching a client assertion");
        match (self.fetch)().await {
            Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_string()),
            Ok(_) => Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                format!("the {} is empty", self.name),
            )),
            Err(e) => Err(azure_core::Error::with_error(
                ErrorKind::Credential,
                e,
                format!("cannot obtain the {}", self.name),
            )),
        }
    }
}

/// A [`ClientAssertion`] read from a file at every request (the file is rotated by its owner,
/// as Kubernetes does with `AZURE_FEDERATED_TOKEN_FILE`).
#[derive(Debug, Clone)]
pub struct AssertionFile {
    path: PathBuf,
}

impl AssertionFile {
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
        }
    }
}

#[async_trait::async_trait]
impl ClientAssertion for AssertionFile {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        let text = tokio::fs::read_to_string(&self.path).await.map_err(|e| {
            azure_core::Error::with_error(
                ErrorKind::Credential,
                e,
                format!(
                    "cannot read the federated token file {}",
                    self.path.display()
                ),
            )
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                format!("the federated token file {} is empty", self.path.display()),
            ));
        }
        Ok(token.to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn assertion_fn_trims_and_reports_errors() {
        let ok = AssertionFn::new("test token", || async {
            Ok::<_, BoxError>(" abc \n".into())
        });
        assert_eq!(ok.secret(None).await.unwrap(), "abc");

        let empty = AssertionFn::new("test token", || async { Ok::<_, BoxError>(String::new()) });
        let err = empty.secret(None).await.unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");

        let failing = AssertionFn::new("test token", || async {
            Err::<String, BoxError>("boom".into())
        });
        let err = failing.secret(None).await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Credential), "{err:?}");
    }

    #[tokio::test]
    async fn assertion_file_is_read_each_time() {
        let dir = std::env::temp_dir().join(format!("azure-client-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        let source = AssertionFile::new(&path);
        assert!(source.secret(None).await.is_err());
        std::fs::write(&path, "first\n").unwrap();
        assert_eq!(source.secret(None).await.unwrap(), "first");
        std::fs::write(&path, "second").unwrap();
        assert_eq!(source.secret(None).await.unwrap(), "second");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn credentials_need_valid_input() {
        let cloud = CloudEndpoints::azure_public();
        let ca = rcgen::generate_simple_self_signed(vec!["test-ca".to_string()]).unwrap();
        let transport = HttpTransport::builder()
            .platform_roots(false)
            .extra_ca_pem(&ca.cert.pem())
            .unwrap()
            .build()
            .unwrap();
        let err = client_secret_credential(&cloud, &transport, "tenant", "", "secret").unwrap_err();
        assert!(matches!(err, Error::Credential { .. }), "{err}");
        client_secret_credential(&cloud, &transport, "tenant", "client", "secret").unwrap();
        let assertion = AssertionFile::new("/nonexistent");
        client_assertion_credential(&cloud, &transport, "tenant", "client", assertion).unwrap();
    }
}
