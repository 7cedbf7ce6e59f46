//! The certificate job with the real nginx from Debian: the agent writes the Key Vault
//! certificate for nginx, Key Vault gets a new version (a renewal), the files are replaced
//! atomically and the next TLS handshake shows the new certificate without restarting nginx.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use common::*;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const NGINX: &str = "/usr/sbin/nginx";

/// A plain HTTP upstream that answers every request with `name` and the path it got.
async fn upstream(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("?").to_string();
                let body = format!("{name} {path}");
                let rsp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(rsp.as_bytes()).await;
            });
        }
    });
    port
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The nginx configuration the app-container-group module mounts into the group, rendered
/// as its `templatefile` call does, for an nginx that runs from `prefix`.
fn nginx_conf(prefix: &Path, cert_dir: &Path, tls: u16, web: u16, api: u16) -> PathBuf {
    let template =
        include_str!("../../../terraform/modules/app-container-group/templates/nginx.conf.tftpl");
    // Workers must read the 0600 file as the agent's user does; as root here, that is root.
    // (Without root, nginx ignores `user` and runs workers as the caller.)
    let user = if is_root() { "root" } else { "nobody" };
    let conf = template
        .replace("${worker_user}", user)
        .replace("${run_dir}", prefix.to_str().unwrap())
        .replace("${cert_dir}", cert_dir.to_str().unwrap())
        .replace("${tls_port}", &tls.to_string())
        .replace("${web_port}", &web.to_string())
        .replace("${api_port}", &api.to_string());
    assert!(!conf.contains("${"), "unfilled template variable:\n{conf}");
    std::fs::create_dir_all(prefix).unwrap();
    let path = prefix.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    path
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too (SIGKILL would orphan them).
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// Starts nginx with the module's configuration on a free port. Another test may take the
/// port between our probe and nginx's bind; nginx then exits at once, and we try another.
async fn start_nginx(prefix: &Path, cert_dir: &Path, web: u16, api: u16) -> (Nginx, u16) {
    for _ in 0..5 {
        let port = free_port();
        let conf = nginx_conf(prefix, cert_dir, port, web, api);
        let test = std::process::Command::new(NGINX)
            .args(["-t", "-q", "-p"])
            .arg(prefix)
            .arg("-c")
            .arg(&conf)
            .output()
            .unwrap();
        assert!(
            test.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&test.stderr)
        );
        let mut nginx = Nginx(
            std::process::Command::new(NGINX)
                .arg("-p")
                .arg(prefix)
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let start = std::time::Instant::now();
        loop {
            if nginx.0.try_wait().unwrap().is_some() {
                break; // could not bind: next port
            }
            // Listening, and still alive a moment later (so the listener is nginx's).
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if nginx.0.try_wait().unwrap().is_none() {
                    return (nginx, port);
                }
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("nginx could not bind a free port in 5 tries");
}

/// One full TLS handshake (no resumption) and one request: the leaf nginx presented and the
/// response.
async fn fetch(port: u16, ca_der: &[u8], path: &str) -> (Vec<u8>, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca_der.to_vec())).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = ServerName::try_from("app.acilab.internal").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: app.acilab.internal\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut rsp = String::new();
    let _ = tls.read_to_string(&mut rsp).await;
    (leaf, rsp)
}

/// The leaf and the public key of the private key in a `tls.pem` (both must be there).
fn bundle_parts(pem: &str) -> (Vec<u8>, Vec<u8>) {
    let mut leaf = None;
    let mut key = None;
    for item in rustls_pemfile::read_all(&mut pem.as_bytes()) {
        match item.unwrap() {
            rustls_pemfile::Item::X509Certificate(c) if leaf.is_none() => leaf = Some(c.to_vec()),
            rustls_pemfile::Item::Pkcs8Key(k) => {
                let kp = rcgen::KeyPair::try_from(k.secret_pkcs8_der()).unwrap();
                key = Some(rcgen::PublicKeyData::subject_public_key_info(&kp));
            }
            _ => {}
        }
    }
    (leaf.expect("no certificate"), key.expect("no key"))
}

fn spki(cert_der: &[u8]) -> Vec<u8> {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der).unwrap();
    c.tbs_certificate.subject_pki.raw.to_vec()
}

fn pfx_base64(key_pkcs8: &[u8], chain: &[&[u8]]) -> String {
    let certs = chain
        .iter()
        .map(|c| p12_keystore::Certificate::from_der(c).unwrap())
        .collect::<Vec<_>>();
    let key = p12_keystore::PrivateKey::from_der(key_pkcs8).unwrap();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "1",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            vec![1, 2, 3, 4],
            key,
            certs,
        )),
    );
    base64::engine::general_purpose::STANDARD.encode(store.writer("").write().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewed_certificate_reaches_nginx_without_a_restart() {
    assert!(
        Path::new(NGINX).exists(),
        "{NGINX} is missing: run `make setup` (scripts/setup.sh installs Debian's nginx)"
    );
    let lab = Lab::start("nginx").await;
    let ca = test_ca();
    let ca_der = ca.der().to_vec();
    let (pem1, leaf1, _) = certificate_pem(&ca, "version one");
    lab.import_certificate("web", &pem1).await;

    let cert_dir = lab.dir.join("certs");
    let mut env = lab.agent_env("app-0");
    for k in ["ACILAB_DNS_ZONE_ID", "ACILAB_DNS_RECORD_NAME"] {
        env.remove(k);
    }
    env.insert("ACILAB_CERT_KEY_VAULT_URL".into(), lab.vault_url());
    env.insert("ACILAB_CERT_NAME".into(), "web".into());
    env.insert("ACILAB_CERT_DIR".into(), cert_dir.to_str().unwrap().into());
    env.insert("ACILAB_INTERVAL_SECONDS".into(), "1".into());
    let agent = AgentProcess::start(&env, &[]);

    let bundle = cert_dir.join("tls.pem");
    lab.until(
        "certificate files written",
        Duration::from_secs(15),
        || async { bundle.is_file() },
    )
    .await;
    assert_eq!(read_mode(&bundle), 0o600);
    assert_eq!(read_mode(&cert_dir.join("tls.crt")), 0o644);
    assert_eq!(read_mode(&cert_dir), 0o700);
    let v1 = std::fs::read_to_string(&bundle).unwrap();
    let (leaf, key_public) = bundle_parts(&v1);
    assert_eq!(leaf, leaf1);
    assert_eq!(
        key_public,
        spki(&leaf1),
        "key does not match the certificate"
    );
    let chain = std::fs::read_to_string(cert_dir.join("tls.crt")).unwrap();
    assert!(!chain.contains("PRIVATE KEY"));
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2, "leaf and CA");

    // nginx with the shipped configuration.
    let (web, api) = (upstream("web").await, upstream("api").await);
    let prefix = lab.dir.join("nginx");
    let (_nginx, tls_port) = start_nginx(&prefix, &cert_dir, web, api).await;

    let (served, rsp) = fetch(tls_port, &ca_der, "/api/healthcheck").await;
    assert_eq!(served, leaf1);
    assert!(rsp.starts_with("HTTP/1.1 200"), "{rsp}");
    assert!(rsp.ends_with("api /api/healthcheck"), "{rsp}");
    assert!(
        rsp.contains("Strict-Transport-Security: max-age=63072000"),
        "{rsp}"
    );
    let (_, rsp) = fetch(tls_port, &ca_der, "/").await;
    assert!(rsp.ends_with("web /"), "{rsp}");

    // While the files are replaced, a reader never sees a partial or mixed file.
    let seen = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (seen, stop, bundle) = (seen.clone(), stop.clone(), bundle.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(text) = std::fs::read_to_string(&bundle) {
                    seen.lock().unwrap().insert(text);
                    reads += 1;
                }
            }
            reads
        })
    };

    // Renewal: a new version in Key Vault (new key too).
    let inode1 = std::fs::metadata(&bundle).unwrap().ino();
    let (pem2, leaf2, key2) = certificate_pem(&ca, "version two");
    lab.import_certificate("web", &pem2).await;
    lab.until(
        "nginx serves the renewed certificate",
        Duration::from_secs(15),
        || async { fetch(tls_port, &ca_der, "/").await.0 == leaf2 },
    )
    .await;

    // And a version whose secret is PKCS#12 (Key Vault's default content type).
    let (_, leaf3, key3) = certificate_pem(&ca, "version three");
    lab.import_pfx("web", &pfx_base64(&key3, &[&leaf3, &ca_der]))
        .await;
    lab.until(
        "nginx serves the PKCS#12 version",
        Duration::from_secs(15),
        || async { fetch(tls_port, &ca_der, "/").await.0 == leaf3 },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 10, "the reader hardly ran ({reads} reads)");

    assert_ne!(
        std::fs::metadata(&bundle).unwrap().ino(),
        inode1,
        "not replaced by rename"
    );
    let v3 = std::fs::read_to_string(&bundle).unwrap();
    let seen = seen.lock().unwrap();
    for text in seen.iter() {
        let (leaf, key_public) = bundle_parts(text);
        assert!(
            [&leaf1, &leaf2, &leaf3].contains(&&leaf),
            "a read saw an unknown certificate"
        );
        assert_eq!(
            key_public,
            spki(&leaf),
            "a read saw a certificate with another key"
        );
    }
    assert!(
        seen.contains(&v1) && seen.contains(&v3),
        "{} distinct reads",
        seen.len()
    );
    let _ = key2;
    // Nothing but the two files (no temporaries left).
    let names: BTreeSet<String> = std::fs::read_dir(&cert_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["tls.crt".to_string(), "tls.pem".to_string()])
    );
    // The key never reaches the logs.
    let key_b64 = v3
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(!agent.logs().iter().any(|l| l.contains(&key_b64)));
    assert_eq!(
        agent
            .json_logs()
            .iter()
            .filter(|l| l["message"] == "certificate files written")
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_certificate_and_missing_role_are_explained() {
    let lab = Lab::start("cert-errors").await;
    let cert_dir = lab.dir.join("certs");
    let mut env = lab.agent_env("app-0");
    for k in ["ACILAB_DNS_ZONE_ID", "ACILAB_DNS_RECORD_NAME"] {
        env.remove(k);
    }
    env.insert("ACILAB_CERT_KEY_VAULT_URL".into(), lab.vault_url());
    env.insert("ACILAB_CERT_NAME".into(), "not-yet".into());
    env.insert("ACILAB_CERT_DIR".into(), cert_dir.to_str().unwrap().into());
    let agent = AgentProcess::start(&env, &[]);
    lab.until(
        "missing certificate explained",
        Duration::from_secs(15),
        || async { agent.logged("does not exist in the vault yet") },
    )
    .await;
    assert!(!cert_dir.join("tls.pem").exists());
    drop(agent);

    // The init-container principal has no Key Vault role.
    let ca = test_ca();
    let (pem, _, _) = certificate_pem(&ca, "x");
    lab.import_certificate("web", &pem).await;
    env.insert("ACILAB_CERT_NAME".into(), "web".into());
    env.remove("IDENTITY_ENDPOINT");
    env.insert("AZURE_CLIENT_ID".into(), APP_ID.into());
    env.insert("AZURE_CLIENT_SECRET".into(), APP_SECRET.into());
    env.insert("AZURE_TENANT_ID".into(), lab.emu.tenant_id().into());
    let agent = AgentProcess::start(&env, &[]);
    lab.until(
        "missing role explained",
        Duration::from_secs(15),
        || async { agent.logged("needs the Key Vault Certificate User role") },
    )
    .await;
}
