//! An authoritative DNS server (UDP and TCP on one loopback port) answering from the emulated
//! private and public zones, so real resolvers — and pebble's DNS-01 check — see exactly what
//! was written through ARM.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, PTR, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

use crate::state::Zone;
use crate::{Inner, lock};

#[derive(Debug)]
pub struct Sockets {
    udp: UdpSocket,
    tcp: TcpListener,
}

impl Sockets {
    pub fn local_addr(&self) -> SocketAddr {
        self.udp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }
}

/// Binds UDP and TCP on the same port (a free one when the port is 0).
pub async fn bind(addr: SocketAddr) -> std::io::Result<Sockets> {
    let mut last_err = None;
    for _ in 0..10 {
        let udp = UdpSocket::bind(addr).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind(SocketAddr::new(addr.ip(), port)).await {
            Ok(tcp) => return Ok(Sockets { udp, tcp }),
            Err(e) if addr.port() == 0 => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other("no free DNS port")))
}

pub async fn serve(inner: Arc<Inner>, sockets: Sockets) {
    let Sockets { udp, tcp } = sockets;
    let tcp_inner = inner.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = tcp.accept().await else {
                continue;
            };
            let inner = tcp_inner.clone();
            tokio::spawn(async move {
                loop {
                    let mut len = [0u8; 2];
                    if stream.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
                    if stream.read_exact(&mut buf).await.is_err() {
                        return;
                    }
                    let Some(resp) = answer(&inner, &buf, usize::from(u16::MAX)) else {
                        return;
                    };
                    let Ok(n) = u16::try_from(resp.len()) else {
                        return;
                    };
                    if stream.write_all(&n.to_be_bytes()).await.is_err()
                        || stream.write_all(&resp).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = udp.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(resp) = answer(&inner, &buf[..n], 512) {
            let _ = udp.send_to(&resp, peer).await;
        }
    }
}

/// Builds the response to one query; `udp_limit` is 512 for UDP (raised by EDNS).
fn answer(inner: &Inner, request: &[u8], udp_limit: usize) -> Option<Vec<u8>> {
    let req = Message::from_vec(request).ok()?;
    let mut resp = Message::new(req.metadata.id, MessageType::Response, req.metadata.op_code);
    resp.metadata.recursion_desired = req.metadata.recursion_desired;
    resp.queries = req.queries.clone();
    let limit = req
        .edns
        .as_ref()
        .map_or(udp_limit, |e| usize::from(e.max_payload()).max(udp_limit));
    if req.edns.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        resp.edns = Some(edns);
    }
    match (req.metadata.op_code, req.queries.first()) {
        (OpCode::Query, Some(q)) if req.queries.len() == 1 => {
            lookup(inner, q.name(), q.query_type(), &mut resp);
        }
        _ => resp.metadata.response_code = ResponseCode::NotImp,
    }
    let bytes = resp.to_vec().ok()?;
    if bytes.len() <= limit {
        return Some(bytes);
    }
    let mut truncated = Message::new(req.metadata.id, MessageType::Response, req.metadata.op_code);
    truncated.queries = req.queries;
    truncated.metadata.truncation = true;
    truncated.metadata.authoritative = true;
    truncated.to_vec().ok()
}

fn lookup(inner: &Inner, qname: &Name, qtype: RecordType, resp: &mut Message) {
    let name = qname.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    let st = lock(&inner.state);
    // The most specific zone wins; private zones before public ones of the same name.
    let zone = st
        .private_zones
        .values()
        .chain(st.public_zones.values())
        .filter(|z| name == z.name || name.ends_with(&format!(".{}", z.name)))
        .max_by_key(|z| z.name.len());
    let Some(zone) = zone else {
        resp.metadata.response_code = ResponseCode::Refused;
        return;
    };
    resp.metadata.authoritative = true;
    let rel = if name == zone.name {
        "@".to_string()
    } else {
        name[..name.len() - zone.name.len() - 1].to_string()
    };
    let exists = |rel: &str| zone.record_sets.values().any(|r| r.name == rel);
    // A wildcard answers for names that do not exist themselves.
    let owner = if exists(&rel) {
        Some(rel.clone())
    } else {
        rel.split_once('.')
            .map(|(_, parent)| format!("*.{parent}"))
            .or_else(|| (rel != "@").then(|| "*".to_string()))
            .filter(|w| exists(w))
    };
    let Some(owner) = owner else {
        resp.metadata.response_code = ResponseCode::NXDomain;
        add_soa(zone, resp);
        return;
    };
    let mut found = false;
    for r in zone.record_sets.values().filter(|r| r.name == owner) {
        let matches = r.rtype == qtype.to_string()
            || qtype == RecordType::ANY
            || (r.rtype == "CNAME" && qtype != RecordType::CNAME);
        if !matches {
            continue;
        }
        for rdata in rdatas(&r.rtype, r.data.values().next()) {
            resp.answers
                .push(Record::from_rdata(qname.clone(), r.ttl as u32, rdata));
            found = true;
        }
    }
    if !found {
        add_soa(zone, resp);
    }
}

fn add_soa(zone: &Zone, resp: &mut Message) {
    if let Some(soa) = zone.record_sets.get(&Zone::key("SOA", "@"))
        && let Ok(name) = Name::from_ascii(format!("{}.", zone.name))
    {
        for rdata in rdatas("SOA", soa.data.values().next()) {
            resp.authorities
                .push(Record::from_rdata(name.clone(), soa.ttl as u32, rdata));
        }
    }
}

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    let o = v.as_object()?;
    o.iter()
        .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v)
}

fn dns_name(s: &str) -> Option<Name> {
    let s = if s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    };
    Name::from_ascii(s).ok()
}

/// Converts stored ARM record data (either API's spelling) into DNS record data.
fn rdatas(rtype: &str, data: Option<&Value>) -> Vec<RData> {
    let Some(data) = data else { return Vec::new() };
    let items: Vec<&Value> = match data {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let str_of =
        |v: &Value, names: &[&str]| field(v, names).and_then(Value::as_str).map(String::from);
    let num_of = |v: &Value, names: &[&str]| field(v, names).and_then(Value::as_u64);
    items
        .into_iter()
        .filter_map(|item| {
            Some(match rtype {
                "A" => RData::A(A(str_of(item, &["ipv4Address"])?
                    .parse::<Ipv4Addr>()
                    .ok()?)),
                "AAAA" => RData::AAAA(AAAA(
                    str_of(item, &["ipv6Address"])?.parse::<Ipv6Addr>().ok()?,
                )),
                "TXT" => RData::TXT(TXT::new(
                    field(item, &["value"])?
                        .as_array()?
                        .iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect(),
                )),
                "CNAME" => RData::CNAME(CNAME(dns_name(&str_of(item, &["cname"])?)?)),
                "NS" => RData::NS(NS(dns_name(&str_of(item, &["nsdname"])?)?)),
                "PTR" => RData::PTR(PTR(dns_name(&str_of(item, &["ptrdname"])?)?)),
                "MX" => RData::MX(MX::new(
                    u16::try_from(num_of(item, &["preference"])?).ok()?,
                    dns_name(&str_of(item, &["exchange"])?)?,
                )),
                "SOA" => {
                    let int =
                        |names: &[&str]| num_of(item, names).and_then(|n| i32::try_from(n).ok());
                    RData::SOA(SOA::new(
                        dns_name(&str_of(item, &["host"])?)?,
                        dns_name(&str_of(item, &["email"])?)?,
                        u32::try_from(num_of(item, &["serialNumber"])?).ok()?,
                        int(&["refreshTime"])?,
                        int(&["retryTime"])?,
                        int(&["expireTime"])?,
                        u32::try_from(num_of(item, &["minimumTtl", "minimumTTL"])?).ok()?,
                    ))
                }
                _ => return None,
            })
        })
        .collect()
}
