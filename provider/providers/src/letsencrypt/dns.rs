//! Asks one name server directly for TXT records (UDP, TCP when truncated): the check that the
//! zone's authoritative servers answer the challenge values before the CA is told to look.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(3);

fn query(fqdn: &str) -> std::io::Result<Vec<u8>> {
    let name = Name::from_ascii(fqdn)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut m = Message::new(rand_id(), MessageType::Query, OpCode::Query);
    m.add_query(Query::query(name, RecordType::TXT));
    m.to_vec().map_err(|e| std::io::Error::other(e.to_string()))
}

fn rand_id() -> u16 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (n ^ (n >> 16)) as u16
}

fn values(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect()
}

/// TXT values at `fqdn` according to `server` (each record's strings joined).
pub async fn txt(server: SocketAddr, fqdn: &str) -> std::io::Result<Vec<String>> {
    let q = query(fqdn)?;
    let sock = tokio::net::UdpSocket::bind(if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .await?;
    sock.send_to(&q, server).await?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(TIMEOUT, sock.recv(&mut buf))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let m = Message::from_vec(&buf[..n]).map_err(|e| std::io::Error::other(e.to_string()))?;
    if !m.metadata.truncation {
        return Ok(values(&m));
    }
    let mut s = tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(server))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    s.write_all(&(q.len() as u16).to_be_bytes()).await?;
    s.write_all(&q).await?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).await?;
    let m = Message::from_vec(&buf).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(values(&m))
}
