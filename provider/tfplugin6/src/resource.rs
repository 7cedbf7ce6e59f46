//! What a provider and its resources implement. The server does the generic parts: value
//! decoding, planning computed attributes as unknown, replacement on `force_new` changes,
//! private state, import, state upgrades and cancellation.

use async_trait::async_trait;

use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;

/// One provider (one provider type name, e.g. `aci`).
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource call receives (API clients, settings).
    type Client: Send + Sync + 'static;

    /// The provider type name: resource type names start with it and `_`.
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn resources(&self) -> Vec<Box<dyn Resource<Self::Client>>>;
    /// Checks the provider configuration without calling any API.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }
    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<Self::Client, Diagnostics>;
}

/// A managed resource: a schema plus create, read, update, delete (and import).
#[async_trait]
pub trait Resource<C>: Send + Sync + 'static {
    /// Full type name, e.g. `aci_private_dns_sync`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks configuration that needs no API (formats, ranges). Unknown values may appear.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Adjusts the generic plan, e.g. to plan an update when the real world drifted. `prior` is
    /// `None` on create.
    async fn modify_plan(
        &self,
        _client: &C,
        _prior: Option<&Value>,
        _planned: &mut Value,
    ) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// Returns the current state, or `None` when the object is gone.
    async fn read(&self, client: &C, state: &Value) -> Result<Option<Value>, Diagnostics>;
    async fn create(&self, client: &C, planned: &Value) -> Result<Value, Diagnostics>;
    async fn update(
        &self,
        client: &C,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Diagnostics>;
    async fn delete(&self, client: &C, state: &Value) -> Result<(), Diagnostics>;
    /// Builds a state from an import id; `read` runs right after.
    async fn import(&self, client: &C, id: &str) -> Result<Value, Diagnostics>;

    /// Upgrades stored state JSON written by schema `version` to the current schema.
    fn upgrade(
        &self,
        _version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
}
