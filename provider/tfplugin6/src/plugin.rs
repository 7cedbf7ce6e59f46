//! go-plugin's side of the handshake: check the magic cookie and protocol version, listen on a
//! unix socket in a private directory, accept only the client certificate Terraform announced in
//! `PLUGIN_CLIENT_CERT`, print `1|6|unix|<path>|grpc|<cert>`, serve until
//! `GRPCController.Shutdown`.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio_rustls::server::TlsStream;

use crate::proto::plugin as ctl;
use crate::proto::tfplugin6 as pb;
use crate::resource::Provider;
use crate::server::ProviderService;

/// Terraform's go-plugin handshake cookie.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "this binary is a Terraform provider plugin: Terraform starts it itself (see the README for using it from Terraform)"
    )]
    NotAPlugin,
    #[error(
        "Terraform offered plugin protocol versions {0:?}; this provider speaks version 6 (Terraform 1.0 or newer)"
    )]
    Protocol(String),
    #[error(
        "PLUGIN_CLIENT_CERT is missing or not a PEM certificate: the provider only serves Terraform's own mutually authenticated connection"
    )]
    ClientCert,
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("cannot create the plugin socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// Serves `provider` to the Terraform process that started this one. Returns after Terraform
/// called Shutdown, with the socket directory removed.
pub async fn serve<P: Provider>(provider: P) -> Result<(), ServeError> {
    serve_grpc(ProviderService::new(provider)).await
}

/// Like [`serve`] for a hand-written implementation of the protocol's gRPC service (test
/// tooling that needs the raw protocol, such as a schema-only stand-in provider).
pub async fn serve_grpc<S: pb::provider_server::Provider>(service: S) -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotAPlugin);
    }
    let versions = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    // Arrives as "5,6" or "6,5": a set.
    if !versions.split(',').any(|v| v.trim() == "6") {
        return Err(ServeError::Protocol(versions));
    }
    let client_pem = std::env::var("PLUGIN_CLIENT_CERT").map_err(|_| ServeError::ClientCert)?;
    let client_der = rustls_pemfile::certs(&mut client_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or(ServeError::ClientCert)?;

    // Ctrl-C reaches the whole process group; Terraform decides what stops (StopProvider,
    // Shutdown), so the plugin ignores the interrupt as go-plugin servers do.
    let mut interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            tracing::debug!("interrupt ignored: Terraform stops the provider itself");
        }
    });
    let (tls, server_der) = tls_config(client_der.to_vec())?;
    let dir = private_dir()?;
    let socket = dir.path.join("plugin.sock");
    let listener = UnixListener::bind(&socket)?;

    let line = format!(
        "1|6|unix|{}|grpc|{}",
        socket.display(),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&server_der)
    );
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    tracing::debug!(socket = %socket.display(), "plugin listening");

    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let controller = Controller {
        shutdown: std::sync::Mutex::new(Some(shutdown_tx)),
    };
    let incoming = accept_tls(listener, tokio_rustls::TlsAcceptor::from(tls));
    tonic::transport::Server::builder()
        .add_service(pb::provider_server::ProviderServer::new(service))
        .add_service(ctl::grpc_controller_server::GrpcControllerServer::new(
            controller,
        ))
        .serve_with_incoming_shutdown(incoming, async {
            let _ = shutdown_rx.await;
        })
        .await?;
    // Terraform kills a provider still alive 2 s after Shutdown: clean up first.
    drop(dir);
    Ok(())
}

/// A 0700 directory that is removed on drop.
struct PrivateDir {
    path: PathBuf,
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn private_dir() -> std::io::Result<PrivateDir> {
    let path = std::env::temp_dir().join(format!("tfplugin-{}", uuid::Uuid::new_v4().simple()));
    std::fs::DirBuilder::new().mode(0o700).create(&path)?;
    Ok(PrivateDir { path })
}

/// Accepts unix connections and completes the TLS handshake off the accept loop; connections
/// that fail the client-certificate check never reach gRPC.
fn accept_tls(
    listener: UnixListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> tokio_stream::wrappers::ReceiverStream<std::io::Result<Conn>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(tls) => {
                        let _ = tx.send(Ok(Conn(tls))).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "refused a plugin connection"),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// A TLS connection over the unix socket, as tonic wants it.
pub(crate) struct Conn(TlsStream<UnixStream>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

struct Controller {
    shutdown: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

#[tonic::async_trait]
impl ctl::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: tonic::Request<ctl::Empty>,
    ) -> Result<tonic::Response<ctl::Empty>, tonic::Status> {
        tracing::debug!("Shutdown requested by Terraform");
        if let Some(tx) = self
            .shutdown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = tx.send(());
        }
        Ok(tonic::Response::new(ctl::Empty {}))
    }
}

/// A fresh self-signed server certificate for `localhost` (what go-plugin expects) and a TLS
/// configuration that requires exactly Terraform's client certificate.
fn tls_config(client_der: Vec<u8>) -> Result<(Arc<rustls::ServerConfig>, Vec<u8>), ServeError> {
    let tls_err = |e: &dyn fmt::Display| ServeError::Tls(e.to_string());
    let key =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| tls_err(&e))?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| tls_err(&e))?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).map_err(|e| tls_err(&e))?;
    let verifier = ExactClientCert::new(client_der)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(&e))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| tls_err(&e))?;
    // Newer grpc-go refuses TLS without ALPN h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((Arc::new(config), cert.der().to_vec()))
}

/// Accepts one certificate only — byte for byte the one Terraform announced — and checks the
/// handshake signature with its key (Terraform uses P-521, which ring cannot verify).
#[derive(Debug)]
pub(crate) struct ExactClientCert {
    der: Vec<u8>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ExactClientCert {
    pub(crate) fn new(der: Vec<u8>) -> Result<Self, ServeError> {
        x509_parser::parse_x509_certificate(&der).map_err(|_| ServeError::ClientCert)?;
        Ok(Self {
            der,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        })
    }

    fn verify(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if dss.scheme == SignatureScheme::ECDSA_NISTP521_SHA512 {
            return verify_p521(message, cert, dss.signature());
        }
        if tls13 {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        } else {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }
    }
}

fn verify_p521(
    message: &[u8],
    cert: &CertificateDer<'_>,
    signature: &[u8],
) -> Result<HandshakeSignatureValid, rustls::Error> {
    use p521::ecdsa::signature::Verifier;
    let bad = || rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature);
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|_| bad())?;
    let key =
        p521::ecdsa::VerifyingKey::from_sec1_bytes(&parsed.public_key().subject_public_key.data)
            .map_err(|_| bad())?;
    let sig = p521::ecdsa::Signature::from_der(signature).map_err(|_| bad())?;
    key.verify(message, &sig).map_err(|_| bad())?;
    Ok(HandshakeSignatureValid::assertion())
}

impl ClientCertVerifier for ExactClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.algorithms.supported_schemes();
        schemes.push(SignatureScheme::ECDSA_NISTP521_SHA512);
        schemes
    }
}

/// Where a running plugin's socket is, for tests that connect to it.
pub fn socket_path_from_handshake(line: &str) -> Option<&Path> {
    let mut parts = line.trim().split('|');
    let (_, _, net, addr) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (net == "unix").then(|| Path::new(addr))
}
