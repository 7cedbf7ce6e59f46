//! acilab's Azure client plumbing, shared by the providers and tools:
//!
//! - [`HttpTransport`]: reqwest on rustls (ring), trusting the platform's roots plus an optional
//!   extra CA bundle, resolving `localhost` and `*.localhost` to loopback (RFC 6761 §6.3, see
//!   [`resolver`]), and implementing [`azure_core::http::HttpClient`] so the official SDK clients
//!   send through it (`ClientOptions { transport: Some(transport.azure_transport()), .. }`).
//! - [`CloudEndpoints`]: Entra authority, ARM endpoint and audience, Key Vault suffix — Azure
//!   public cloud or a custom one such as the local emulator.
//! - [`credentials`]: `azure_identity` credentials wired to both.

pub mod arm;
pub mod cloud;
pub mod credentials;
mod error;
pub mod ids;
pub mod keyvault;
pub mod resolver;
pub mod transport;

pub use arm::{
    ARecordSet, ArmClient, ArmError, ContainerGroup, DnsZone, Precondition, RetryPolicy,
    TxtRecordSet,
};
pub use cloud::CloudEndpoints;
pub use credentials::{
    AssertionFile, AssertionFn, client_assertion_credential, client_secret_credential,
    managed_identity_credential,
};
pub use error::{Error, Result};
pub use keyvault::{
    CertificateRequest, CertificateVersion, KeyVault, KeyVaultError, OperationStatus,
    PendingOperation, SecretContentType, SecretValue,
};
pub use resolver::LocalhostResolver;
pub use transport::{HttpTransport, HttpTransportBuilder};
