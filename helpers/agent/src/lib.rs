//! acilab-agent: the sidecar of an ACI container group in a VNet.
//!
//! - **DNS** ([`dns`]): keeps the group's private IP in a Private DNS A record shared with other
//!   groups and with `aci_private_dns_sync` (ownership and per-group claims in the record's
//!   metadata, conditional writes), and withdraws it on SIGTERM.
//! - **Certificate** ([`cert`]): writes the chain and key behind a Key Vault certificate into
//!   the volume shared with nginx whenever Key Vault has a new version, so the private key never
//!   passes through Terraform state.
//!
//! Configuration is environment variables ([`config`]); [`agent`] runs the loop; [`health`]
//! serves the probes.

pub mod agent;
pub mod azure;
pub mod cert;
pub mod config;
pub mod dns;
pub mod health;
pub mod ip;
