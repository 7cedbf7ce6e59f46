//! Where the group's private IP comes from.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use azure_client::{ArmClient, ArmError};

use crate::config::IpSource;

#[derive(Debug, thiserror::Error)]
pub enum IpError {
    #[error("cannot read container group {id}: {source}")]
    Arm { id: String, source: Box<ArmError> },
    #[error(
        "container group {id} does not exist (check ACILAB_CONTAINER_GROUP_ID, and that the identity may read it)"
    )]
    NoGroup { id: String },
    #[error("container group {id} has no IP address yet (starting or stopped)")]
    NoAddress { id: String },
    #[error("container group {id} reports an invalid IP address {ip:?}")]
    BadAddress { id: String, ip: String },
    #[error("cannot find the local address towards {probe}: {source}")]
    Interface {
        probe: SocketAddr,
        source: std::io::Error,
    },
}

impl IpError {
    /// A token problem: the identity is not available yet, or lacks permissions.
    pub fn arm_error(&self) -> Option<&ArmError> {
        match self {
            Self::Arm { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// The group's current IPv4 address.
pub async fn current_ip(
    source: &IpSource,
    arm: &ArmClient,
    group_id: &str,
) -> Result<IpAddr, IpError> {
    match source {
        IpSource::Arm => {
            let group = arm
                .get_container_group(group_id)
                .await
                .map_err(|source| IpError::Arm {
                    id: group_id.to_string(),
                    source: Box::new(source),
                })?
                .ok_or_else(|| IpError::NoGroup {
                    id: group_id.to_string(),
                })?;
            let ip = group.ip.ok_or_else(|| IpError::NoAddress {
                id: group_id.to_string(),
            })?;
            ip.parse().map_err(|_| IpError::BadAddress {
                id: group_id.to_string(),
                ip,
            })
        }
        IpSource::Interface { probe } => interface_ip(*probe),
    }
}

/// The source address the kernel picks for `probe`. A UDP `connect` only selects the route;
/// nothing is sent.
pub fn interface_ip(probe: SocketAddr) -> Result<IpAddr, IpError> {
    let bind: SocketAddr = if probe.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .map_err(|_| IpError::Interface {
        probe,
        source: std::io::Error::other("bad bind address"),
    })?;
    let socket = UdpSocket::bind(bind)
        .and_then(|s| s.connect(probe).map(|()| s))
        .map_err(|source| IpError::Interface { probe, source })?;
    socket
        .local_addr()
        .map(|a| a.ip())
        .map_err(|source| IpError::Interface { probe, source })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn interface_address_follows_the_route() {
        // Loopback routes from a loopback address.
        let ip = interface_ip("127.0.0.1:53".parse().unwrap()).unwrap();
        assert!(ip.is_loopback(), "{ip}");
    }
}
