//! Only Terraform can call a running provider: the socket accepts exactly the client certificate
//! announced in PLUGIN_CLIENT_CERT, signed with its key; anything else is refused. Shutdown
//! exits cleanly and removes the private socket directory.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tfplugin6::proto::plugin::{Empty, grpc_controller_client::GrpcControllerClient};
use tfplugin6::proto::tfplugin6::{get_provider_schema, provider_client::ProviderClient};
use tokio::io::{AsyncBufReadExt, BufReader};

struct Identity {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

fn identity() -> Identity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = p.self_signed(&key).unwrap();
    Identity { cert, key }
}

/// Presents `cert` with `key`, whether or not they belong together.
#[derive(Debug)]
struct AnyPair(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for AnyPair {
    fn resolve(
        &self,
        _: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// Trusts exactly the server certificate from the handshake line, as go-plugin does (webpki
/// would refuse it as a CA used as an end entity, which Go accepts).
#[derive(Debug)]
struct Pinned(Vec<u8>, rustls::crypto::WebPkiSupportedAlgorithms);

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end.as_ref() == self.0.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.supported_schemes()
    }
}

fn client_config(
    server_der: &[u8],
    client: Option<(&rcgen::Certificate, &rcgen::KeyPair)>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pinned = Arc::new(Pinned(
        server_der.to_vec(),
        provider.signature_verification_algorithms,
    ));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(pinned);
    let mut config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let signing = provider
                .key_provider
                .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                    key.serialize_der(),
                )))
                .unwrap();
            let ck = rustls::sign::CertifiedKey::new(vec![cert.der().clone()], signing);
            builder.with_client_cert_resolver(Arc::new(AnyPair(Arc::new(ck))))
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

async fn channel(
    socket: PathBuf,
    config: rustls::ClientConfig,
) -> Result<tonic::transport::Channel, String> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    tonic::transport::Endpoint::try_from("http://localhost")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_| {
            let (connector, socket) = (connector.clone(), socket.clone());
            async move {
                let unix = tokio::net::UnixStream::connect(socket).await?;
                let tls = connector
                    .connect(ServerName::try_from("localhost").unwrap(), unix)
                    .await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
        .map_err(|e| e.to_string())
}

async fn call(
    socket: PathBuf,
    server_der: Vec<u8>,
    client: Option<(&rcgen::Certificate, &rcgen::KeyPair)>,
) -> Result<usize, String> {
    let channel = channel(socket, client_config(&server_der, client)).await?;
    let resp = ProviderClient::new(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(resp.into_inner().resource_schemas.len())
}

#[tokio::test]
async fn only_the_announced_client_certificate_gets_in() {
    let terraform = identity();
    let intruder = identity();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-aci"))
        .env(tfplugin6::MAGIC_COOKIE_KEY, tfplugin6::MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5")
        .env("PLUGIN_CLIENT_CERT", terraform.cert.pem())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .await
        .unwrap();
    let parts: Vec<&str> = line.trim().split('|').collect();
    assert_eq!(&parts[..3], ["1", "6", "unix"], "{line}");
    assert_eq!(parts[4], "grpc");
    let socket = PathBuf::from(parts[3]);
    let server_der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();
    // The socket sits in a directory only its owner can enter.
    let dir = socket.parent().unwrap().to_path_buf();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );

    assert!(
        call(socket.clone(), server_der.clone(), None)
            .await
            .is_err(),
        "no client certificate"
    );
    assert!(
        call(
            socket.clone(),
            server_der.clone(),
            Some((&intruder.cert, &intruder.key))
        )
        .await
        .is_err(),
        "another certificate"
    );
    assert!(
        call(
            socket.clone(),
            server_der.clone(),
            Some((&terraform.cert, &intruder.key))
        )
        .await
        .is_err(),
        "the right certificate with the wrong key"
    );
    assert_eq!(
        call(
            socket.clone(),
            server_der.clone(),
            Some((&terraform.cert, &terraform.key))
        )
        .await
        .unwrap(),
        1
    );

    // Shutdown ends the process cleanly and removes the socket directory.
    let channel = channel(
        socket,
        client_config(&server_der, Some((&terraform.cert, &terraform.key))),
    )
    .await
    .unwrap();
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .unwrap();
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    assert!(!dir.exists(), "socket directory removed");
}

#[tokio::test]
async fn refuses_to_run_outside_terraform() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-aci"))
        .env_remove(tfplugin6::MAGIC_COOKIE_KEY)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Terraform starts it itself"));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_terraform-provider-aci"))
        .env(tfplugin6::MAGIC_COOKIE_KEY, tfplugin6::MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PLUGIN_CLIENT_CERT"));
}
