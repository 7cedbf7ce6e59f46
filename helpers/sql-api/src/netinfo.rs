//! What /api/ip reports about the container's network, read from the files the original read:
//! DNS servers from `/etc/resolv.conf`, the default gateway from `/proc/net/route`, the private
//! IP from the host name (falling back to the local addresses in `/proc/net/fib_trie`).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

/// `nameserver` addresses in a resolv.conf text.
pub fn dns_servers(resolv_conf: &str) -> Vec<String> {
    resolv_conf
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some("nameserver")).then(|| f.next())?
        })
        .filter(|ip| ip.parse::<IpAddr>().is_ok())
        .map(str::to_string)
        .collect()
}

/// The gateway of the default route in a `/proc/net/route` text.
pub fn default_gateway(proc_net_route: &str) -> Option<Ipv4Addr> {
    const RTF_UP: u32 = 0x1;
    const RTF_GATEWAY: u32 = 0x2;
    proc_net_route.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 4 || f[1] != "00000000" {
            return None;
        }
        let flags = u32::from_str_radix(f[3], 16).ok()?;
        if flags & (RTF_UP | RTF_GATEWAY) != RTF_UP | RTF_GATEWAY {
            return None;
        }
        // The kernel prints the address's bytes as a native-endian number.
        let raw = u32::from_str_radix(f[2], 16).ok()?;
        Some(Ipv4Addr::from(raw.to_ne_bytes()))
    })
}

/// Local (non-loopback) IPv4 addresses in a `/proc/net/fib_trie` text.
pub fn local_addresses(fib_trie: &str) -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in fib_trie.lines() {
        let t = line.trim_start_matches([' ', '|', '+', '-']).trim();
        if let Ok(ip) = t.parse::<Ipv4Addr>() {
            last = Some(ip);
        } else if t.contains("/32 host LOCAL")
            && let Some(ip) = last
            && !ip.is_loopback()
            && !out.contains(&ip)
        {
            out.push(ip);
        }
    }
    out
}

/// The first IPv4 address (else the first address) `host` resolves to, within 5 s.
pub async fn resolve(host: &str) -> Result<Vec<IpAddr>, String> {
    let lookup = tokio::net::lookup_host((host, 0));
    match tokio::time::timeout(Duration::from_secs(5), lookup).await {
        Ok(Ok(addrs)) => {
            let mut ips: Vec<IpAddr> = Vec::new();
            for a in addrs {
                if !ips.contains(&a.ip()) {
                    ips.push(a.ip());
                }
            }
            // IPv4 first, as the original's gethostbyname answered.
            ips.sort_by_key(|ip| ip.is_ipv6());
            if ips.is_empty() {
                Err(format!("{host} has no addresses"))
            } else {
                Ok(ips)
            }
        }
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Err(_) => Err(format!("resolving {host} timed out")),
    }
}

/// This container's private IP: its host name resolved (what the original did), else the first
/// local address in `fib_trie`.
pub async fn private_ip(root: &Path) -> Option<String> {
    let hostname = std::fs::read_to_string(root.join("proc/sys/kernel/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    if let Some(h) = hostname
        && let Ok(ips) = resolve(&h).await
        && let Some(ip) = ips.iter().find(|ip| !ip.is_loopback())
    {
        return Some(ip.to_string());
    }
    let trie = std::fs::read_to_string(root.join("proc/net/fib_trie")).unwrap_or_default();
    local_addresses(&trie).first().map(ToString::to_string)
}

/// A host name as /api/dns accepts it: letters, digits, `-`, `_`, `.`, at most 253 characters;
/// or an IP address.
pub fn valid_fqdn(s: &str) -> bool {
    if s.parse::<IpAddr>().is_ok() {
        return true;
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf() {
        let text = "# generated\nsearch example.internal\nnameserver 168.63.129.16\nnameserver  10.0.0.2 \nnameserver fd00::53\nnameserver bogus\noptions ndots:5\n";
        assert_eq!(
            dns_servers(text),
            vec!["168.63.129.16", "10.0.0.2", "fd00::53"]
        );
    }

    #[test]
    fn route_table() {
        let text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
eth0\t0001000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
eth0\t00000000\t0101000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        let expected = if cfg!(target_endian = "little") {
            Ipv4Addr::new(10, 0, 1, 1)
        } else {
            Ipv4Addr::new(1, 1, 0, 10)
        };
        assert_eq!(default_gateway(text), Some(expected));
        assert_eq!(default_gateway("Iface\tDestination\n"), None);
    }

    #[test]
    fn fib_trie() {
        let text = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 10.0.1.0/24 2 0 2\n        |-- 10.0.1.4\n           /32 host LOCAL\n  |-- 127.0.0.1\n     /32 host LOCAL\nLocal:\n        |-- 10.0.1.4\n           /32 host LOCAL\n";
        assert_eq!(local_addresses(text), vec![Ipv4Addr::new(10, 0, 1, 4)]);
    }

    #[test]
    fn fqdn_validation() {
        assert!(valid_fqdn("app.acilab.internal"));
        assert!(valid_fqdn("localhost."));
        assert!(valid_fqdn("10.0.0.1"));
        assert!(valid_fqdn("::1"));
        assert!(!valid_fqdn(""));
        assert!(!valid_fqdn("a b"));
        assert!(!valid_fqdn("x;rm -rf"));
        assert!(!valid_fqdn("-bad.example"));
        assert!(!valid_fqdn(&"a".repeat(300)));
    }
}
