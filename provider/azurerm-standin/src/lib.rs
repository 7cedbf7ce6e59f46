//! A schema-only stand-in for `hashicorp/azurerm` (test tooling; never deploys anything).
//!
//! The real provider cannot be downloaded here, so this one serves the azurerm 4.73.0 schema
//! rebuilt in `shared/azurerm-schema/` (the `terraform providers schema -json` format) over
//! plugin protocol 6. Terraform then checks configurations against the real argument names,
//! types, nesting and required/optional/computed flags during `init`, `validate` and `plan`:
//!
//! - validation adds nothing to what the schema says (the real provider's own checks, such as
//!   name formats, are not reproduced — our modules' variable validations cover those);
//! - planning marks computed attributes that the configuration leaves null as unknown, as the
//!   real provider does on create, and keeps everything else;
//! - data sources answer with placeholder values for their computed attributes (plan needs
//!   known values) — zero UUIDs for `*_id` style names, `"standin"` for other strings;
//! - apply and import are refused: this provider must never be mistaken for the real one.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as J};
use tfplugin6::proto::tfplugin6 as pb;
use tfplugin6::{Type, Value};

/// The provider's address in the schema file.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/hashicorp/azurerm";
/// Overrides where the schema file is read from.
pub const SCHEMA_ENV: &str = "ACILAB_AZURERM_SCHEMA";

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "cannot read the azurerm schema {path}: {source} (set {SCHEMA_ENV} to shared/azurerm-schema/azurerm-4.73.0.schema.json.gz)"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the azurerm schema {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// Where the schema is by default: `shared/` next to the repository, as the contract tests
/// find it.
pub fn default_schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/azurerm-schema/azurerm-4.73.0.schema.json.gz")
}

/// One resource's (or the provider's) schema as the JSON file has it.
#[derive(Debug, Clone)]
pub struct BlockSchema {
    pub version: i64,
    pub block: J,
}

#[derive(Debug)]
pub struct ProviderSchema {
    pub provider: BlockSchema,
    pub resources: BTreeMap<String, BlockSchema>,
    pub data_sources: BTreeMap<String, BlockSchema>,
}

impl ProviderSchema {
    /// Reads `path` (gzip or plain JSON).
    pub fn load(path: &Path) -> Result<Self, SchemaError> {
        let raw = std::fs::read(path).map_err(|source| SchemaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|source| SchemaError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
            out
        } else {
            raw
        };
        let invalid = |reason: &str| SchemaError::Invalid {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let doc: J = serde_json::from_slice(&text).map_err(|e| invalid(&e.to_string()))?;
        let p = doc
            .pointer(&format!(
                "/provider_schemas/{}",
                PROVIDER_ADDRESS.replace('/', "~1")
            ))
            .ok_or_else(|| invalid("no provider_schemas entry for hashicorp/azurerm"))?;
        let one = |v: &J| BlockSchema {
            version: v.get("version").and_then(J::as_i64).unwrap_or(0),
            block: v
                .get("block")
                .cloned()
                .unwrap_or_else(|| J::Object(Map::new())),
        };
        let many = |key: &str| -> BTreeMap<String, BlockSchema> {
            p.get(key)
                .and_then(J::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), one(v))).collect())
                .unwrap_or_default()
        };
        Ok(Self {
            provider: one(p
                .get("provider")
                .ok_or_else(|| invalid("no provider block"))?),
            resources: many("resource_schemas"),
            data_sources: many("data_source_schemas"),
        })
    }
}

fn attrs(block: &J) -> impl Iterator<Item = (&String, &J)> {
    block
        .get("attributes")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
}

fn block_types(block: &J) -> impl Iterator<Item = (&String, &J)> {
    block
        .get("block_types")
        .and_then(J::as_object)
        .into_iter()
        .flatten()
}

fn flag(v: &J, name: &str) -> bool {
    v.get(name).and_then(J::as_bool).unwrap_or(false)
}

fn proto_block(block: &J, version: i64) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode;
    let text = |v: &J, k: &str| v.get(k).and_then(J::as_str).unwrap_or_default().to_string();
    pb::schema::Block {
        version,
        attributes: attrs(block)
            .map(|(name, a)| pb::schema::Attribute {
                name: name.clone(),
                r#type: a
                    .get("type")
                    .map(J::to_string)
                    .unwrap_or_default()
                    .into_bytes(),
                description: text(a, "description"),
                required: flag(a, "required"),
                optional: flag(a, "optional"),
                computed: flag(a, "computed"),
                sensitive: flag(a, "sensitive"),
                description_kind: 0,
                deprecated: flag(a, "deprecated"),
            })
            .collect(),
        block_types: block_types(block)
            .map(|(name, bt)| pb::schema::NestedBlock {
                type_name: name.clone(),
                block: Some(proto_block(bt.get("block").unwrap_or(&J::Null), 0)),
                nesting: match bt.get("nesting_mode").and_then(J::as_str) {
                    Some("single") => NestingMode::Single,
                    Some("set") => NestingMode::Set,
                    Some("map") => NestingMode::Map,
                    Some("group") => NestingMode::Group,
                    _ => NestingMode::List,
                } as i32,
                min_items: bt.get("min_items").and_then(J::as_i64).unwrap_or(0),
                max_items: bt.get("max_items").and_then(J::as_i64).unwrap_or(0),
            })
            .collect(),
        description: text(block, "description"),
        description_kind: 0,
        deprecated: flag(block, "deprecated"),
    }
}

impl BlockSchema {
    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(proto_block(&self.block, self.version)),
        }
    }

    /// The object type a value of this block has (attributes and nested blocks).
    pub fn implied_type(&self) -> Option<Type> {
        implied_type(&self.block)
    }
}

fn implied_type(block: &J) -> Option<Type> {
    let mut fields = BTreeMap::new();
    for (name, a) in attrs(block) {
        fields.insert(name.clone(), Type::from_json(a.get("type")?)?);
    }
    for (name, bt) in block_types(block) {
        let inner = implied_type(bt.get("block")?)?;
        let t = match bt.get("nesting_mode").and_then(J::as_str) {
            Some("single") | Some("group") => inner,
            Some("set") => Type::set(inner),
            Some("map") => Type::map(inner),
            _ => Type::list(inner),
        };
        fields.insert(name.clone(), t);
    }
    Some(Type::Object(fields))
}

/// The planned state of a create or update: computed attributes left null become unknown,
/// in nested blocks too.
pub fn plan(block: &J, proposed: &mut Value) {
    let Value::Object(fields) = proposed else {
        return;
    };
    for (name, a) in attrs(block) {
        if flag(a, "computed")
            && let Some(v) = fields.get_mut(name)
            && matches!(v, Value::Null)
        {
            *v = Value::Unknown;
        }
    }
    for (name, bt) in block_types(block) {
        let Some(inner) = bt.get("block") else {
            continue;
        };
        match fields.get_mut(name) {
            Some(Value::List(items)) | Some(Value::Set(items)) => {
                items.iter_mut().for_each(|i| plan(inner, i));
            }
            Some(Value::Map(items)) => items.values_mut().for_each(|i| plan(inner, i)),
            Some(v @ Value::Object(_)) => plan(inner, v),
            _ => {}
        }
    }
}

/// A known placeholder of type `t` for a computed data source attribute.
fn placeholder(name: &str, t: &Type) -> Value {
    match t {
        Type::String if name.ends_with("_id") => {
            Value::string("00000000-0000-0000-0000-000000000000")
        }
        Type::String => Value::string("standin"),
        Type::Number => Value::Number(0.0),
        Type::Bool => Value::Bool(false),
        Type::List(_) => Value::List(Vec::new()),
        Type::Set(_) => Value::Set(Vec::new()),
        Type::Map(_) => Value::Map(BTreeMap::new()),
        Type::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, t)| (k.clone(), placeholder(k, t)))
                .collect(),
        ),
    }
}

/// Resource type segments of the data sources whose ids configurations commonly parse.
const ID_TYPES: &[(&str, &str)] = &[
    ("azurerm_dns_zone", "Microsoft.Network/dnsZones"),
    (
        "azurerm_private_dns_zone",
        "Microsoft.Network/privateDnsZones",
    ),
    ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
    (
        "azurerm_virtual_network",
        "Microsoft.Network/virtualNetworks",
    ),
    (
        "azurerm_user_assigned_identity",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
    ),
    (
        "azurerm_container_registry",
        "Microsoft.ContainerRegistry/registries",
    ),
    (
        "azurerm_log_analytics_workspace",
        "Microsoft.OperationalInsights/workspaces",
    ),
];

const ZERO_SUBSCRIPTION: &str = "/subscriptions/00000000-0000-0000-0000-000000000000";

/// A resource id of the shape Azure would give the data source's object, from its `name`
/// and `resource_group_name` when it has them.
fn placeholder_id(type_name: &str, fields: &BTreeMap<String, Value>) -> String {
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("standin");
    let rg = fields
        .get("resource_group_name")
        .and_then(Value::as_str)
        .unwrap_or("standin");
    match type_name {
        "azurerm_resource_group" => format!("{ZERO_SUBSCRIPTION}/resourceGroups/{name}"),
        "azurerm_client_config" | "azurerm_subscription" => ZERO_SUBSCRIPTION.to_string(),
        t => {
            let kind = ID_TYPES
                .iter()
                .find(|(n, _)| *n == t)
                .map_or("Microsoft.Standin/objects", |(_, k)| k);
            format!("{ZERO_SUBSCRIPTION}/resourceGroups/{rg}/providers/{kind}/{name}")
        }
    }
}

/// A data source's answer: the configuration with every computed attribute it left null
/// filled with a placeholder; `id` has the shape of the object's Azure resource id.
pub fn read_data_source_of(type_name: &str, block: &J, config: &mut Value) {
    if let Value::Object(fields) = config
        && matches!(fields.get("id"), Some(Value::Null))
    {
        let id = placeholder_id(type_name, fields);
        fields.insert("id".into(), Value::string(id));
    }
    read_data_source(block, config);
}

/// Fills computed nulls with placeholders (`id` too, generically).
pub fn read_data_source(block: &J, config: &mut Value) {
    let Value::Object(fields) = config else {
        return;
    };
    for (name, a) in attrs(block) {
        if !flag(a, "computed") {
            continue;
        }
        let Some(t) = a.get("type").and_then(Type::from_json) else {
            continue;
        };
        if let Some(v) = fields.get_mut(name)
            && matches!(v, Value::Null)
        {
            *v = if name == "id" {
                Value::string("/subscriptions/00000000-0000-0000-0000-000000000000/standin")
            } else {
                placeholder(name, &t)
            };
        }
    }
    for (name, bt) in block_types(block) {
        let Some(inner) = bt.get("block") else {
            continue;
        };
        match fields.get_mut(name) {
            Some(Value::List(items)) | Some(Value::Set(items)) => {
                items.iter_mut().for_each(|i| read_data_source(inner, i));
            }
            Some(v @ Value::Object(_)) => read_data_source(inner, v),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn block() -> J {
        json!({
            "attributes": {
                "id": {"type": "string", "computed": true},
                "name": {"type": "string", "required": true},
                "tags": {"type": ["map", "string"], "optional": true},
                "sku": {"type": "string", "optional": true, "computed": true},
                "tenant_id": {"type": "string", "computed": true}
            },
            "block_types": {
                "ip": {"nesting_mode": "list", "block": {"attributes": {
                    "address": {"type": "string", "computed": true},
                    "port": {"type": "number", "required": true}
                }}},
                "timeouts": {"nesting_mode": "single", "block": {"attributes": {
                    "create": {"type": "string", "optional": true}
                }}}
            }
        })
    }

    #[test]
    fn implied_type_covers_blocks() {
        let t = implied_type(&block()).unwrap();
        let Type::Object(f) = t else { panic!() };
        assert_eq!(f["tags"], Type::map(Type::String));
        assert!(matches!(f["ip"], Type::List(_)));
        assert!(matches!(f["timeouts"], Type::Object(_)));
    }

    #[test]
    fn computed_nulls_become_unknown_and_config_stays() {
        let mut v = Value::Object(
            [
                ("id".to_string(), Value::Null),
                ("name".to_string(), Value::string("x")),
                ("tags".to_string(), Value::Null),
                ("sku".to_string(), Value::string("Standard")),
                ("tenant_id".to_string(), Value::Null),
                (
                    "ip".to_string(),
                    Value::List(vec![Value::Object(
                        [
                            ("address".to_string(), Value::Null),
                            ("port".to_string(), Value::Number(443.0)),
                        ]
                        .into_iter()
                        .collect(),
                    )]),
                ),
                ("timeouts".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        );
        plan(&block(), &mut v);
        assert_eq!(v.get("id"), &Value::Unknown);
        assert_eq!(v.get("tags"), &Value::Null, "optional, not computed");
        assert_eq!(v.get("sku"), &Value::string("Standard"));
        assert_eq!(v.get("ip").elements()[0].get("address"), &Value::Unknown);

        let mut d = Value::Object(
            [
                ("id".to_string(), Value::Null),
                ("name".to_string(), Value::string("x")),
                ("tenant_id".to_string(), Value::Null),
                ("sku".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
        );
        read_data_source_of("azurerm_dns_zone", &block(), &mut d);
        assert_eq!(
            d.get("tenant_id"),
            &Value::string("00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(d.get("sku"), &Value::string("standin"));
        assert_eq!(
            d.get("id").as_str().unwrap(),
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/standin/providers/Microsoft.Network/dnsZones/x"
        );
    }
}
