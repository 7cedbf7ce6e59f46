//! `terraform-provider-azurerm` (stand-in): see the crate docs. Test tooling only.

use std::sync::Arc;

use azurerm_standin::{BlockSchema, ProviderSchema, SCHEMA_ENV, default_schema_path};
use tfplugin6::proto::tfplugin6 as pb;
use tfplugin6::value;
use tonic::{Request, Response, Status};

struct StandIn {
    schema: Arc<ProviderSchema>,
}

fn error(summary: &str, detail: String) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.to_string(),
        detail,
        attribute: None,
    }
}

fn dynamic(msgpack: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

impl StandIn {
    fn resource(&self, name: &str) -> Result<&BlockSchema, pb::Diagnostic> {
        self.schema.resources.get(name).ok_or_else(|| {
            error(
                "Unknown resource type",
                format!("azurerm 4.73.0 has no resource {name:?}"),
            )
        })
    }

    fn data_source(&self, name: &str) -> Result<&BlockSchema, pb::Diagnostic> {
        self.schema.data_sources.get(name).ok_or_else(|| {
            error(
                "Unknown data source",
                format!("azurerm 4.73.0 has no data source {name:?}"),
            )
        })
    }
}

/// Decodes `v` as a value of `schema`'s block, applies `f`, encodes it again.
fn transform(
    schema: &BlockSchema,
    v: Option<&pb::DynamicValue>,
    f: impl FnOnce(&serde_json::Value, &mut value::Value),
) -> Result<Vec<u8>, pb::Diagnostic> {
    let ty = schema.implied_type().ok_or_else(|| {
        error(
            "Unsupported schema",
            "a type in this schema is outside the stand-in's value model".into(),
        )
    })?;
    let bytes = v.map(|d| d.msgpack.as_slice()).unwrap_or_default();
    let mut val = value::from_msgpack(bytes, &ty)
        .map_err(|e| error("Invalid value from Terraform", e.to_string()))?;
    f(&schema.block, &mut val);
    value::to_msgpack(&val, &ty).map_err(|e| error("Cannot encode the value", e.to_string()))
}

#[tonic::async_trait]
impl pb::provider_server::Provider for StandIn {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: None,
            diagnostics: Vec::new(),
            data_sources: self
                .schema
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: self
                .schema
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let s = &self.schema;
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(s.provider.to_proto()),
            resource_schemas: s
                .resources
                .iter()
                .map(|(k, v)| (k.clone(), v.to_proto()))
                .collect(),
            data_source_schemas: s
                .data_sources
                .iter()
                .map(|(k, v)| (k.clone(), v.to_proto()))
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: None,
        }))
    }

    async fn validate_provider_config(
        &self,
        _: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_resource_config(
        &self,
        _: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: Vec::new(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        _: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: Vec::new(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        // The stand-in never wrote state of an older version: hand the JSON back as it is.
        let json = req
            .into_inner()
            .raw_state
            .map(|r| r.json)
            .unwrap_or_default();
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: Some(pb::DynamicValue {
                msgpack: Vec::new(),
                json,
            }),
            diagnostics: Vec::new(),
        }))
    }

    async fn configure_provider(
        &self,
        _: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: Vec::new(),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let r = req.into_inner();
        Ok(Response::new(pb::read_resource::Response {
            new_state: r.current_state,
            diagnostics: Vec::new(),
            private: r.private,
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let r = req.into_inner();
        let result = self.resource(&r.type_name).and_then(|schema| {
            transform(schema, r.proposed_new_state.as_ref(), |block, v| {
                azurerm_standin::plan(block, v)
            })
        });
        Ok(Response::new(match result {
            Ok(planned) => pb::plan_resource_change::Response {
                planned_state: dynamic(planned),
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::plan_resource_change::Response {
                planned_state: None,
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
                diagnostics: vec![d],
            },
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let r = req.into_inner();
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: None,
            private: Vec::new(),
            diagnostics: vec![error(
                "Schema-only stand-in",
                format!(
                    "This is acilab's offline stand-in for hashicorp/azurerm: it checks configurations and plans, and cannot create, change or delete {}. Install the real provider to apply.",
                    r.type_name
                ),
            )],
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let r = req.into_inner();
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: Vec::new(),
            diagnostics: vec![error(
                "Schema-only stand-in",
                format!(
                    "acilab's offline azurerm stand-in cannot import {}.",
                    r.type_name
                ),
            )],
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let r = req.into_inner();
        let result = self.data_source(&r.type_name).and_then(|schema| {
            transform(schema, r.config.as_ref(), |block, v| {
                azurerm_standin::read_data_source_of(&r.type_name, block, v)
            })
        });
        Ok(Response::new(match result {
            Ok(state) => pb::read_data_source::Response {
                state: dynamic(state),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::read_data_source::Response {
                state: None,
                diagnostics: vec![d],
            },
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

#[tokio::main]
async fn main() {
    tfplugin6::log::init("azurerm-standin");
    let path = std::env::var_os(SCHEMA_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(default_schema_path);
    let schema = match ProviderSchema::load(&path) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("terraform-provider-azurerm (acilab stand-in): {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = tfplugin6::serve_grpc(StandIn { schema }).await {
        eprintln!("terraform-provider-azurerm (acilab stand-in): {e}");
        std::process::exit(1);
    }
}
