//! The `aci` provider: what azurerm lacks for container groups in a VNet.

pub mod private_dns_sync;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use azure_client::{ARecordSet, ArmClient, ArmError, ContainerGroup};
use tfplugin6::{Diagnostics, Provider, Resource, Schema, Value};
use tokio::sync::{Mutex, OnceCell};

use crate::azure;

#[derive(Debug, Default)]
pub struct AciProvider;

/// One listing per key, fetched at most once, shared by concurrent callers.
type Listings<T> = Mutex<HashMap<String, Arc<OnceCell<Arc<Vec<T>>>>>>;

/// Listings shared by every resource in one Terraform run, fetched once: refreshing many
/// records of one zone costs one LIST, not one GET each.
#[derive(Debug)]
pub struct AciClient {
    pub arm: ArmClient,
    zones: Listings<ARecordSet>,
    groups: Listings<ContainerGroup>,
}

impl AciClient {
    pub fn new(arm: ArmClient) -> Self {
        Self {
            arm,
            zones: Mutex::default(),
            groups: Mutex::default(),
        }
    }

    /// A records of a zone, listed once per run (concurrent callers share one request).
    pub async fn zone_records(&self, zone_id: &str) -> Result<Arc<Vec<ARecordSet>>, ArmError> {
        let cell = self
            .zones
            .lock()
            .await
            .entry(zone_id.to_ascii_lowercase())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async { self.arm.list_a_records(zone_id).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Drops a zone's cached listing after this process wrote to it.
    pub async fn forget_zone(&self, zone_id: &str) {
        self.zones
            .lock()
            .await
            .remove(&zone_id.to_ascii_lowercase());
    }

    /// Container groups of a resource group, listed once per run.
    pub async fn groups_in(
        &self,
        resource_group_id: &str,
    ) -> Result<Arc<Vec<ContainerGroup>>, ArmError> {
        let cell = self
            .groups
            .lock()
            .await
            .entry(resource_group_id.to_ascii_lowercase())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            self.arm
                .list_container_groups(resource_group_id)
                .await
                .map(Arc::new)
        })
        .await
        .cloned()
    }
}

#[async_trait]
impl Provider for AciProvider {
    type Client = AciClient;

    fn name(&self) -> &'static str {
        "aci"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            description: "Azure Container Instances helpers that azurerm lacks. Authenticates like azurerm (ARM_* variables).",
            attributes: azure::provider_attributes(),
        }
    }

    fn resources(&self) -> Vec<Box<dyn Resource<AciClient>>> {
        vec![Box::new(private_dns_sync::PrivateDnsSync)]
    }

    async fn configure(
        &self,
        config: &Value,
        _terraform_version: &str,
    ) -> Result<AciClient, Diagnostics> {
        let clients = azure::configure(config)?;
        Ok(AciClient::new(clients.arm))
    }
}
