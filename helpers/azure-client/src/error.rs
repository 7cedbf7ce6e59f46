//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong while setting up Azure clients.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The extra CA bundle file could not be read.
    #[error("cannot read the CA bundle {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The extra CA bundle is not PEM or holds no certificate.
    #[error("invalid CA bundle {origin}: {reason}")]
    CaBundle { origin: String, reason: String },
    /// No trust anchor at all: platform roots off (or none found) and no extra CA.
    #[error(
        "no trusted root certificate: the platform store is empty or disabled and no extra CA bundle was given"
    )]
    NoTrustAnchors,
    /// rustls refused the TLS configuration.
    #[error("cannot configure TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// A proxy URL from the environment is invalid.
    #[error("invalid proxy URL in {variable}: {source}")]
    Proxy {
        variable: &'static str,
        source: reqwest::Error,
    },
    /// reqwest could not build the client.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A cloud endpoint is not a valid URL.
    #[error("invalid {what} URL '{value}': {source}")]
    Url {
        what: &'static str,
        value: String,
        source: url::ParseError,
    },
    /// A cloud endpoint is not an HTTPS URL.
    #[error("the {what} URL must use https: {value}")]
    NotHttps { what: &'static str, value: String },
    /// azure_identity refused to build a credential.
    #[error("cannot create the {credential}: {source}")]
    Credential {
        credential: &'static str,
        source: azure_core::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
