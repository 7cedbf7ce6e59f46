//! acilab's Terraform providers, served by [`tfplugin6`]: `aci` (`aci_private_dns_sync`) and
//! `letsencrypt` (its resource comes with issue 4).
//! Both read Azure settings the way azurerm does ([`azure`]).

pub mod aci;
pub mod azure;
pub mod letsencrypt;
