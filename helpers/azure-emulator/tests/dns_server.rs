//! The emulator's DNS server answers from the zones written through ARM, over UDP and TCP.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use common::{Harness, SUB};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn query(name: &str, rtype: RecordType) -> Vec<u8> {
    let mut m = Message::new(4242, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    m.to_vec().unwrap()
}

async fn udp(addr: SocketAddr, name: &str, rtype: RecordType) -> Message {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(&query(name, rtype), addr).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), sock.recv(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let m = Message::from_vec(&buf[..n]).unwrap();
    assert_eq!(m.metadata.id, 4242);
    m
}

async fn tcp(addr: SocketAddr, name: &str, rtype: RecordType) -> Message {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let q = query(name, rtype);
    s.write_all(&(q.len() as u16).to_be_bytes()).await.unwrap();
    s.write_all(&q).await.unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).await.unwrap();
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut buf).await.unwrap();
    Message::from_vec(&buf).unwrap()
}

fn a_records(m: &Message) -> Vec<String> {
    let mut v: Vec<String> = m
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0.to_string()),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn answers_what_arm_wrote() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let dns = h.emu.dns_addr;

    let url = h.arm(&format!("{}/A/web?api-version=2024-06-01", h.zone_path()));
    let (s, _, _) = h.call(Method::PUT, &url, &t, Some(json!({"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.0.1.4"}, {"ipv4Address": "10.0.1.5"}]}})), &[]).await;
    assert_eq!(s, 201);
    let m = udp(dns, "web.acilab.internal.", RecordType::A).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.metadata.authoritative);
    assert_eq!(a_records(&m), ["10.0.1.4", "10.0.1.5"]);
    assert_eq!(m.answers[0].ttl, 10);
    assert_eq!(
        a_records(&tcp(dns, "WEB.acilab.internal.", RecordType::A).await),
        ["10.0.1.4", "10.0.1.5"]
    );

    // An update is visible at once.
    let (s, _, _) = h
        .call(
            Method::PATCH,
            &url,
            &t,
            Some(json!({"properties": {"aRecords": [{"ipv4Address": "10.0.1.9"}]}})),
            &[],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        a_records(&udp(dns, "web.acilab.internal.", RecordType::A).await),
        ["10.0.1.9"]
    );

    // Public zone TXT with several values in one record set (DNS-01 for apex + wildcard).
    let zone = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com"
    );
    let (s, _, _) = h.call(Method::PUT, &h.arm(&format!("{zone}/TXT/_acme-challenge?api-version=2018-05-01")), &t, Some(json!({"properties": {"TTL": 60, "TXTRecords": [{"value": ["v1"]}, {"value": ["v2"]}]}})), &[]).await;
    assert_eq!(s, 201);
    let m = udp(dns, "_acme-challenge.example.com.", RecordType::TXT).await;
    let mut txt: Vec<String> = m
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::TXT(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    txt.sort();
    assert_eq!(txt, ["v1", "v2"]);

    // Zone apex: SOA and the zone's name servers.
    let m = udp(dns, "example.com.", RecordType::NS).await;
    assert_eq!(m.answers.len(), 4);
    let m = udp(dns, "example.com.", RecordType::SOA).await;
    assert!(matches!(m.answers[0].data, RData::SOA(_)));

    // Missing name in a zone: NXDOMAIN with the SOA; existing name, other type: NODATA.
    let m = udp(dns, "nothing.acilab.internal.", RecordType::A).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert!(matches!(m.authorities[0].data, RData::SOA(_)));
    let m = udp(dns, "web.acilab.internal.", RecordType::TXT).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    // Outside every zone: refused (the emulator is no recursive resolver).
    assert_eq!(
        udp(dns, "example.org.", RecordType::A)
            .await
            .metadata
            .response_code,
        ResponseCode::Refused
    );

    // Deleting the record set removes the name.
    let (s, _, _) = h.call(Method::DELETE, &url, &t, None, &[]).await;
    assert_eq!(s, 200);
    assert_eq!(
        udp(dns, "web.acilab.internal.", RecordType::A)
            .await
            .metadata
            .response_code,
        ResponseCode::NXDomain
    );
}

#[tokio::test]
async fn wildcards_and_large_answers_over_tcp() {
    let h = Harness::start().await;
    let t = h.arm_token().await;
    let dns = h.emu.dns_addr;
    let url = h.arm(&format!(
        "{}/A/*.apps?api-version=2024-06-01",
        h.zone_path()
    ));
    let (s, _, b) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(json!({"properties": {"ttl": 10, "aRecords": [{"ipv4Address": "10.0.2.1"}]}})),
            &[],
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        a_records(&udp(dns, "x.apps.acilab.internal.", RecordType::A).await),
        ["10.0.2.1"]
    );

    // 60 A records do not fit in 512 bytes: UDP says truncated, TCP has them all.
    let many: Vec<_> = (0..60)
        .map(|i| json!({"ipv4Address": format!("10.0.3.{i}")}))
        .collect();
    let url = h.arm(&format!("{}/A/many?api-version=2024-06-01", h.zone_path()));
    let (s, _, _) = h
        .call(
            Method::PUT,
            &url,
            &t,
            Some(json!({"properties": {"ttl": 10, "aRecords": many}})),
            &[],
        )
        .await;
    assert_eq!(s, 201);
    let m = udp(dns, "many.acilab.internal.", RecordType::A).await;
    assert!(m.metadata.truncation);
    assert_eq!(
        a_records(&tcp(dns, "many.acilab.internal.", RecordType::A).await).len(),
        60
    );
}
