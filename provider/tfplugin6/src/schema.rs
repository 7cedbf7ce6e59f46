//! Schemas as resources declare them, and their wire form.

use std::collections::BTreeMap;

use crate::proto::tfplugin6 as pb;
use crate::value::Type;

/// How an attribute is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Optional; when not configured the provider computes it.
    OptionalComputed,
    Computed,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub mode: Mode,
    pub description: &'static str,
    pub sensitive: bool,
    /// A change replaces the resource.
    pub force_new: bool,
    /// Computed and unaffected by configuration changes: kept from the prior state in plans.
    pub stable: bool,
}

impl Attribute {
    pub fn new(name: &'static str, ty: Type, mode: Mode, description: &'static str) -> Self {
        Self {
            name,
            ty,
            mode,
            description,
            sensitive: false,
            force_new: false,
            stable: false,
        }
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// The computed value does not change when other arguments change (ids, names).
    pub fn stable(mut self) -> Self {
        self.stable = true;
        self
    }
    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }
}

/// A resource's, data source's or provider's schema: a flat list of attributes.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    pub fn object_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.to_string(), a.ty.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub(crate) fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(pb::schema::Block {
                version: self.version,
                attributes: self
                    .attributes
                    .iter()
                    .map(|a| pb::schema::Attribute {
                        name: a.name.to_string(),
                        r#type: a.ty.to_json().to_string().into_bytes(),
                        description: a.description.to_string(),
                        required: a.mode == Mode::Required,
                        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
                        computed: a.is_computed(),
                        sensitive: a.sensitive,
                        description_kind: pb::StringKind::Markdown as i32,
                        deprecated: false,
                    })
                    .collect(),
                block_types: Vec::new(),
                description: self.description.to_string(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
            }),
        }
    }
}
