//! Name resolution for our HTTP clients: `localhost` and every name under `.localhost` resolve to
//! the loopback address, as RFC 6761 §6.3 asks (curl and browsers do the same; glibc does not);
//! every other name goes to the system resolver.
//!
//! This is a general rule, not a test switch: it is what lets the emulator serve
//! `login.azure.localhost`, `<vault>.vault.azure.localhost`, … on 127.0.0.1 while the official
//! SDK keeps checking that a Key Vault challenge names the vault's own host.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The address `localhost` names resolve to.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// True for `localhost` and any name below `.localhost` (case-insensitive, an absolute name's
/// trailing dot allowed).
pub fn is_localhost_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let lower = name.to_ascii_lowercase();
    lower == "localhost" || (lower.ends_with(".localhost") && lower.len() > ".localhost".len())
}

/// A [`reqwest::dns::Resolve`] that answers `*.localhost` with 127.0.0.1 itself and hands every
/// other name to the system resolver (`getaddrinfo` through [`tokio::net::lookup_host`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalhostResolver;

impl LocalhostResolver {
    /// Resolves `name` to socket addresses with port 0 (reqwest puts the URL's port in).
    pub async fn lookup(name: &str) -> std::io::Result<Vec<SocketAddr>> {
        if is_localhost_name(name) {
            tracing::trace!(name, "resolving a .localhost name to loopback (RFC 6761)");
            return Ok(vec![SocketAddr::new(LOOPBACK, 0)]);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, 0)).await?.collect();
        if addrs.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no addresses found for {name}"),
            ));
        }
        tracing::trace!(
            name,
            count = addrs.len(),
            "resolved through the system resolver"
        );
        Ok(addrs)
    }
}

impl Resolve for LocalhostResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = Self::lookup(&name).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    async fn resolve(name: &str) -> Result<Vec<SocketAddr>, String> {
        let name: Name = name.parse().map_err(|_| format!("invalid name {name}"))?;
        LocalhostResolver
            .resolve(name)
            .await
            .map(|addrs| addrs.collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn recognises_localhost_names() {
        for name in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "foo.localhost",
            "kv1.vault.azure.localhost",
            "Login.Azure.LocalHost.",
        ] {
            assert!(is_localhost_name(name), "{name}");
        }
        for name in [
            "",
            ".localhost",
            "localhost.com",
            "foo.localhost.example",
            "notlocalhost",
            "mylocalhost",
            "login.microsoftonline.com",
            "127.0.0.1",
        ] {
            assert!(!is_localhost_name(name), "{name}");
        }
    }

    #[tokio::test]
    async fn localhost_names_resolve_to_loopback() {
        for name in ["localhost", "foo.localhost", "kv1.vault.azure.localhost"] {
            let addrs = resolve(name).await.unwrap();
            assert_eq!(addrs, vec![SocketAddr::new(LOOPBACK, 0)], "{name}");
        }
    }

    #[tokio::test]
    async fn other_names_go_to_the_system_resolver() {
        // An IP literal is answered by getaddrinfo itself, without touching the network; a
        // loopback address other than 127.0.0.1 shows the answer came from there and not from
        // the `.localhost` rule.
        let addrs = resolve("127.0.0.2").await.unwrap();
        assert_eq!(addrs, vec!["127.0.0.2:0".parse::<SocketAddr>().unwrap()]);
    }
}
