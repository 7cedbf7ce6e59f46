//! The `tfplugin6.Provider` gRPC service: decodes requests, runs the generic protocol logic and
//! calls the provider's resources.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::tfplugin6 as pb;
use crate::resource::{Provider, Resource};
use crate::schema::Schema;
use crate::value::{self, Type, Value};

/// A resource with its schema and the object type of its values, computed once.
type Registered<C> = (Box<dyn Resource<C>>, Schema, Type);

pub(crate) struct ProviderService<P: Provider> {
    provider: P,
    resources: BTreeMap<&'static str, Registered<P::Client>>,
    client: tokio::sync::OnceCell<Arc<P::Client>>,
    /// Cancelled by StopProvider: every in-flight operation stops waiting.
    stop: Mutex<CancellationToken>,
}

impl<P: Provider> ProviderService<P> {
    pub(crate) fn new(provider: P) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let ty = schema.object_type();
                (r.type_name(), (r, schema, ty))
            })
            .collect();
        Self {
            provider,
            resources,
            client: tokio::sync::OnceCell::new(),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    fn resource(&self, name: &str) -> Result<&Registered<P::Client>, Status> {
        self.resources
            .get(name)
            .ok_or_else(|| Status::invalid_argument(format!("unknown resource type {name:?}")))
    }

    fn client(&self) -> Result<Arc<P::Client>, Diagnostics> {
        self.client.get().cloned().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "Terraform called the provider before configuring it; this is a bug in the provider.",
            )
            .into()
        })
    }

    fn stop_token(&self) -> CancellationToken {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs an operation unless StopProvider cancels it first.
    async fn cancellable<T>(
        &self,
        fut: impl Future<Output = Result<T, Diagnostics>>,
    ) -> Result<T, Diagnostics> {
        let token = self.stop_token();
        tokio::select! {
            r = fut => r,
            _ = token.cancelled() => Err(Diagnostic::error(
                "Operation cancelled",
                "Terraform asked the provider to stop (interrupt); the operation did not finish. The next apply picks up where it left off.",
            ).into()),
        }
    }
}

fn decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    if !dv.msgpack.is_empty() {
        return value::from_msgpack(&dv.msgpack, ty)
            .map_err(|e| Diagnostic::error("Invalid value from Terraform", e.to_string()).into());
    }
    if !dv.json.is_empty() {
        let j: serde_json::Value = serde_json::from_slice(&dv.json).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Invalid JSON value from Terraform",
                e.to_string(),
            ))
        })?;
        return value::from_json(&j, ty)
            .map_err(|e| Diagnostic::error("Invalid value from Terraform", e.to_string()).into());
    }
    Ok(Value::Null)
}

fn encode(v: &Value, ty: &Type) -> Result<pb::DynamicValue, Diagnostics> {
    value::to_msgpack(v, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| Diagnostic::error("Internal error encoding a value", e.to_string()).into())
}

/// The generic part of planning: computed attributes the configuration leaves unset become
/// unknown on create, on replacement, and on update when they are not `stable`; `force_new`
/// changes require replacement.
pub(crate) fn generic_plan(
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> (Value, Vec<String>) {
    let mut planned = proposed.clone();
    if proposed.is_null() {
        return (planned, Vec::new());
    }
    let replace: Vec<String> = if prior.is_null() {
        Vec::new()
    } else {
        schema
            .attributes
            .iter()
            .filter(|a| a.force_new && prior.get(a.name) != proposed.get(a.name))
            .map(|a| a.name.to_string())
            .collect()
    };
    let config_changed = !prior.is_null()
        && schema
            .attributes
            .iter()
            .filter(|a| !a.is_computed() || !config.get(a.name).is_null())
            .any(|a| prior.get(a.name) != proposed.get(a.name));
    for a in schema.attributes.iter().filter(|a| a.is_computed()) {
        if !config.get(a.name).is_null() {
            continue;
        }
        let unknown = prior.is_null() || !replace.is_empty() || (config_changed && !a.stable);
        if unknown {
            planned.set_attr(a.name, Value::Unknown);
        }
    }
    (planned, replace)
}

fn path_of(attr: &str) -> pb::AttributePath {
    pb::AttributePath {
        steps: vec![pb::attribute_path::Step {
            selector: Some(pb::attribute_path::step::Selector::AttributeName(
                attr.to_string(),
            )),
        }],
    }
}

/// Unwraps a result, or answers the RPC with its diagnostics.
macro_rules! diags_or {
    ($e:expr, $($p:ident)::+ { $($f:ident: $v:expr),* }) => {
        match $e {
            Ok(x) => x,
            Err(d) => return Ok(Response::new(pb::$($p)::+ { diagnostics: d.to_proto(), $($f: $v),* })),
        }
    };
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                get_provider_schema_optional: false,
            }),
            diagnostics: Vec::new(),
            data_sources: Vec::new(),
            resources: self
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata {
                    type_name: k.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(self.provider.schema().to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(k, (_, s, _))| (k.to_string(), s.to_proto()))
                .collect(),
            data_source_schemas: Default::default(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                get_provider_schema_optional: false,
            }),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let ty = self.provider.schema().object_type();
        let config = diags_or!(
            decode(req.get_ref().config.as_ref(), &ty),
            validate_provider_config::Response {}
        );
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: self.provider.validate(&config).to_proto(),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (r, _, ty) = self.resource(&req.type_name)?;
        let config = diags_or!(
            decode(req.config.as_ref(), ty),
            validate_resource_config::Response {}
        );
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: r.validate(&config).to_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        Err(Status::invalid_argument(format!(
            "unknown data source {:?}",
            req.get_ref().type_name
        )))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (r, _, ty) = self.resource(&req.type_name)?;
        let raw = req.raw_state.map(|s| s.json).unwrap_or_default();
        let result = (|| -> Result<pb::DynamicValue, Diagnostics> {
            let j: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
                Diagnostics::from(Diagnostic::error("Unreadable stored state", e.to_string()))
            })?;
            let upgraded = r.upgrade(req.version, j)?;
            let v = value::from_json(&upgraded, ty).map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Stored state does not match the schema",
                    e.to_string(),
                ))
            })?;
            encode(&v, ty)
        })();
        let upgraded = diags_or!(
            result,
            upgrade_resource_state::Response {
                upgraded_state: None
            }
        );
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            diagnostics: Vec::new(),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let ty = self.provider.schema().object_type();
        let config = diags_or!(
            decode(req.config.as_ref(), &ty),
            configure_provider::Response {}
        );
        let client = diags_or!(
            self.cancellable(self.provider.configure(&config, &req.terraform_version))
                .await,
            configure_provider::Response {}
        );
        let _ = self.client.set(Arc::new(client));
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: Vec::new(),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let (r, _, ty) = self.resource(&req.type_name)?;
        let private = req.private.clone();
        let result = async {
            let state = decode(req.current_state.as_ref(), ty)?;
            let client = self.client()?;
            let new = self.cancellable(r.read(&client, &state)).await?;
            encode(&new.unwrap_or(Value::Null), ty)
        }
        .await;
        let new_state = diags_or!(
            result,
            read_resource::Response {
                new_state: None,
                private: private.clone()
            }
        );
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(new_state),
            diagnostics: Vec::new(),
            private,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (r, schema, ty) = self.resource(&req.type_name)?;
        let private = req.prior_private.clone();
        let result = async {
            let prior = decode(req.prior_state.as_ref(), ty)?;
            let proposed = decode(req.proposed_new_state.as_ref(), ty)?;
            let config = decode(req.config.as_ref(), ty)?;
            let (mut planned, replace) = generic_plan(schema, &prior, &proposed, &config);
            if !planned.is_null() {
                let client = self.client()?;
                let prior_opt = (!prior.is_null() && replace.is_empty()).then_some(&prior);
                self.cancellable(r.modify_plan(&client, prior_opt, &mut planned))
                    .await?;
            }
            Ok::<_, Diagnostics>((encode(&planned, ty)?, replace))
        }
        .await;
        let (planned, replace) = diags_or!(
            result,
            plan_resource_change::Response {
                planned_state: None,
                requires_replace: Vec::new(),
                planned_private: private.clone()
            }
        );
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(planned),
            requires_replace: replace.iter().map(|a| path_of(a)).collect(),
            planned_private: private,
            diagnostics: Vec::new(),
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (r, _, ty) = self.resource(&req.type_name)?;
        let private = req.planned_private.clone();
        let result = async {
            let prior = decode(req.prior_state.as_ref(), ty)?;
            let planned = decode(req.planned_state.as_ref(), ty)?;
            let client = self.client()?;
            let new = if planned.is_null() {
                self.cancellable(r.delete(&client, &prior)).await?;
                Value::Null
            } else if prior.is_null() {
                self.cancellable(r.create(&client, &planned)).await?
            } else {
                self.cancellable(r.update(&client, &prior, &planned))
                    .await?
            };
            encode(&new, ty)
        }
        .await;
        let new_state = diags_or!(
            result,
            apply_resource_change::Response {
                new_state: None,
                private: private.clone()
            }
        );
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(new_state),
            private,
            diagnostics: Vec::new(),
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (r, _, ty) = self.resource(&req.type_name)?;
        let result = async {
            let client = self.client()?;
            let state = self.cancellable(r.import(&client, &req.id)).await?;
            encode(&state, ty)
        }
        .await;
        let state = diags_or!(
            result,
            import_resource_state::Response {
                imported_resources: Vec::new()
            }
        );
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: vec![pb::import_resource_state::ImportedResource {
                type_name: req.type_name,
                state: Some(state),
                private: Vec::new(),
            }],
            diagnostics: Vec::new(),
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        Err(Status::invalid_argument(format!(
            "unknown data source {:?}",
            req.get_ref().type_name
        )))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("StopProvider: cancelling in-flight operations");
        let mut token = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        token.cancel();
        *token = CancellationToken::new();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Mode};
    use pb::provider_server::Provider as _;

    /// A provider whose one resource went from schema version 0 (`old_name`) to 1 (`name`).
    struct Upgrading;
    struct Renamed;

    #[async_trait::async_trait]
    impl Resource<()> for Renamed {
        fn type_name(&self) -> &'static str {
            "t_renamed"
        }
        fn schema(&self) -> Schema {
            Schema {
                version: 1,
                description: "",
                attributes: vec![Attribute::new("name", Type::String, Mode::Required, "")],
            }
        }
        fn upgrade(
            &self,
            version: i64,
            mut state: serde_json::Value,
        ) -> Result<serde_json::Value, Diagnostics> {
            if version == 0 {
                let old = state
                    .as_object_mut()
                    .and_then(|o| o.remove("old_name"))
                    .unwrap_or_default();
                state["name"] = old;
            }
            Ok(state)
        }
        async fn read(&self, _: &(), s: &Value) -> Result<Option<Value>, Diagnostics> {
            Ok(Some(s.clone()))
        }
        async fn create(&self, _: &(), p: &Value) -> Result<Value, Diagnostics> {
            Ok(p.clone())
        }
        async fn update(&self, _: &(), _: &Value, p: &Value) -> Result<Value, Diagnostics> {
            Ok(p.clone())
        }
        async fn delete(&self, _: &(), _: &Value) -> Result<(), Diagnostics> {
            Ok(())
        }
        async fn import(&self, _: &(), _: &str) -> Result<Value, Diagnostics> {
            Err(Diagnostic::error("no import", "").into())
        }
    }

    #[async_trait::async_trait]
    impl Provider for Upgrading {
        type Client = ();
        fn name(&self) -> &'static str {
            "t"
        }
        fn schema(&self) -> Schema {
            Schema {
                version: 0,
                description: "",
                attributes: Vec::new(),
            }
        }
        fn resources(&self) -> Vec<Box<dyn Resource<()>>> {
            vec![Box::new(Renamed)]
        }
        async fn configure(&self, _: &Value, _: &str) -> Result<(), Diagnostics> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn upgrades_old_state_through_the_resource() {
        let svc = ProviderService::new(Upgrading);
        let schema = svc
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .expect("schema")
            .into_inner();
        assert_eq!(schema.resource_schemas["t_renamed"].version, 1);
        let req = pb::upgrade_resource_state::Request {
            type_name: "t_renamed".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"old_name":"web"}"#.to_vec(),
                flatmap: Default::default(),
            }),
        };
        let resp = svc
            .upgrade_resource_state(Request::new(req))
            .await
            .expect("rpc")
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        let ty = Renamed.schema().object_type();
        let v =
            value::from_msgpack(&resp.upgraded_state.expect("state").msgpack, &ty).expect("decode");
        assert_eq!(v.get("name").as_str(), Some("web"));
        // Unknown resource types are a protocol error, not a panic.
        let bad = pb::upgrade_resource_state::Request {
            type_name: "t_nope".into(),
            version: 0,
            raw_state: None,
        };
        assert!(svc.upgrade_resource_state(Request::new(bad)).await.is_err());
    }

    fn schema() -> Schema {
        Schema {
            version: 0,
            description: "",
            attributes: vec![
                Attribute::new("id", Type::String, Mode::Computed, "").stable(),
                Attribute::new("name", Type::String, Mode::Required, "").force_new(),
                Attribute::new("ttl", Type::Number, Mode::Optional, ""),
                Attribute::new("ips", Type::list(Type::String), Mode::Computed, ""),
            ],
        }
    }

    fn obj(id: Value, name: &str, ttl: f64, ips: Value) -> Value {
        Value::Object(
            [
                ("id".into(), id),
                ("name".into(), Value::string(name)),
                ("ttl".into(), Value::Number(ttl)),
                ("ips".into(), ips),
            ]
            .into_iter()
            .collect(),
        )
    }

    #[test]
    fn plans_computed_attributes() {
        let s = schema();
        let config = obj(Value::Null, "a", 30.0, Value::Null);
        // Create: computed attributes unknown.
        let (p, r) = generic_plan(&s, &Value::Null, &config, &config);
        assert!(r.is_empty());
        assert!(p.get("id").is_unknown() && p.get("ips").is_unknown());
        // No change: prior values kept.
        let prior = obj(
            Value::string("x"),
            "a",
            30.0,
            Value::List(vec![Value::string("1.2.3.4")]),
        );
        let (p, _) = generic_plan(&s, &prior, &prior, &config);
        assert_eq!(p, prior);
        // In-place change: stable id kept, other computed unknown.
        let proposed = obj(Value::string("x"), "a", 60.0, prior.get("ips").clone());
        let (p, r) = generic_plan(
            &s,
            &prior,
            &proposed,
            &obj(Value::Null, "a", 60.0, Value::Null),
        );
        assert!(r.is_empty());
        assert_eq!(p.get("id").as_str(), Some("x"));
        assert!(p.get("ips").is_unknown());
        // force_new change: replacement.
        let proposed = obj(Value::string("x"), "b", 30.0, prior.get("ips").clone());
        let (_, r) = generic_plan(
            &s,
            &prior,
            &proposed,
            &obj(Value::Null, "b", 30.0, Value::Null),
        );
        assert_eq!(r, ["name"]);
    }
}
