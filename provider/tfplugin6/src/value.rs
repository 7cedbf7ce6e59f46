//! Terraform values (cty) and their two wire forms: MessagePack (`DynamicValue.msgpack`, with
//! unknown values as extension type 0) and JSON (raw state in `UpgradeResourceState`).

use std::collections::BTreeMap;
use std::io::Read;

use rmp::Marker;

/// A cty type, as far as acilab's schemas need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
}

impl Type {
    pub fn list(t: Type) -> Self {
        Self::List(Box::new(t))
    }
    pub fn set(t: Type) -> Self {
        Self::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Self {
        Self::Map(Box::new(t))
    }

    /// Parses cty's JSON type notation (`"string"`, `["list", "string"]`, `["object", {…}]`).
    /// `None` for types this model lacks (tuples, `dynamic`, optional object attributes).
    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        use serde_json::Value as J;
        match v {
            J::String(s) => match s.as_str() {
                "string" => Some(Self::String),
                "number" => Some(Self::Number),
                "bool" => Some(Self::Bool),
                _ => None,
            },
            J::Array(a) => match (a.first().and_then(J::as_str), a.get(1), a.len()) {
                (Some("list"), Some(t), 2) => Some(Self::list(Self::from_json(t)?)),
                (Some("set"), Some(t), 2) => Some(Self::set(Self::from_json(t)?)),
                (Some("map"), Some(t), 2) => Some(Self::map(Self::from_json(t)?)),
                (Some("object"), Some(J::Object(attrs)), 2) => Some(Self::Object(
                    attrs
                        .iter()
                        .map(|(k, t)| Some((k.clone(), Self::from_json(t)?)))
                        .collect::<Option<_>>()?,
                )),
                _ => None,
            },
            _ => None,
        }
    }

    /// cty's JSON type notation, as the schema's `type` bytes carry it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Self::String => json!("string"),
            Self::Number => json!("number"),
            Self::Bool => json!("bool"),
            Self::List(t) => json!(["list", t.to_json()]),
            Self::Set(t) => json!(["set", t.to_json()]),
            Self::Map(t) => json!(["map", t.to_json()]),
            Self::Object(attrs) => {
                let m: serde_json::Map<String, serde_json::Value> = attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                json!(["object", m])
            }
        }
    }
}

/// A cty value. Sets keep their elements in a canonical order without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown,
    String(String),
    Number(f64),
    Bool(bool),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error("malformed MessagePack value at {path}: {reason}")]
    Msgpack { path: String, reason: String },
    #[error("value at {path} does not match its type: {reason}")]
    Type { path: String, reason: String },
    #[error("cannot encode value: {0}")]
    Encode(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown)
    }
    /// True when neither the value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Self::Unknown => false,
            Self::List(v) | Self::Set(v) => v.iter().all(Self::is_wholly_known),
            Self::Map(m) | Self::Object(m) => m.values().all(Self::is_wholly_known),
            _ => true,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// Elements of a list or set.
    pub fn elements(&self) -> &[Value] {
        match self {
            Self::List(v) | Self::Set(v) => v,
            _ => &[],
        }
    }
    /// Attribute of an object (`Null` when absent or not an object).
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Self::Object(m) | Self::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
    /// Sets an attribute of an object value (no-op otherwise).
    pub fn set_attr(&mut self, name: &str, v: Value) {
        if let Self::Object(m) = self {
            m.insert(name.to_string(), v);
        }
    }
    pub fn string(s: impl Into<String>) -> Self {
        Self::String(s.into())
    }
    /// A set from elements, canonically ordered and de-duplicated. Elements that are not
    /// wholly known are never merged: in cty two unknown elements may still turn out
    /// different, so a set of two unknowns keeps both.
    pub fn set_of(mut items: Vec<Value>) -> Self {
        items.sort_by_key(canonical_key);
        items.dedup_by(|a, b| a == b && a.is_wholly_known());
        Self::Set(items)
    }
}

fn canonical_key(v: &Value) -> String {
    format!("{v:?}")
}

fn err(path: &str, reason: impl Into<String>) -> ValueError {
    ValueError::Msgpack {
        path: path.to_string(),
        reason: reason.into(),
    }
}

// ---- MessagePack ----

/// Decodes a MessagePack `DynamicValue` of type `ty`.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut rd = bytes;
    decode(&mut rd, ty, "")
}

fn read_len(rd: &mut &[u8], n: usize, path: &str) -> Result<Vec<u8>, ValueError> {
    let mut buf = vec![0u8; n];
    rd.read_exact(&mut buf)
        .map_err(|e| err(path, e.to_string()))?;
    Ok(buf)
}

fn read_be(rd: &mut &[u8], n: usize, path: &str) -> Result<u64, ValueError> {
    Ok(read_len(rd, n, path)?
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Reads a marker's string / array / map / ext length.
fn marker_len(m: Marker, rd: &mut &[u8], path: &str) -> Result<usize, ValueError> {
    Ok(match m {
        Marker::FixStr(n) | Marker::FixArray(n) | Marker::FixMap(n) => n as usize,
        Marker::Str8 | Marker::Bin8 | Marker::Ext8 => read_be(rd, 1, path)? as usize,
        Marker::Str16 | Marker::Bin16 | Marker::Array16 | Marker::Map16 | Marker::Ext16 => {
            read_be(rd, 2, path)? as usize
        }
        Marker::Str32 | Marker::Bin32 | Marker::Array32 | Marker::Map32 | Marker::Ext32 => {
            read_be(rd, 4, path)? as usize
        }
        Marker::FixExt1 => 1,
        Marker::FixExt2 => 2,
        Marker::FixExt4 => 4,
        Marker::FixExt8 => 8,
        Marker::FixExt16 => 16,
        other => return Err(err(path, format!("unexpected marker {other:?}"))),
    })
}

fn decode(rd: &mut &[u8], ty: &Type, path: &str) -> Result<Value, ValueError> {
    let marker = rmp::decode::read_marker(rd).map_err(|_| err(path, "truncated value"))?;
    match marker {
        Marker::Null => return Ok(Value::Null),
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => {
            // Extension 0 is an unknown value; newer Terraform sends refined unknowns as 12.
            let n = marker_len(marker, rd, path)?;
            let ext_type = read_be(rd, 1, path)?;
            read_len(rd, n, path)?;
            return match ext_type {
                0 | 12 => Ok(Value::Unknown),
                t => Err(err(path, format!("unsupported extension type {t}"))),
            };
        }
        _ => {}
    }
    let mismatch = |what: &str| ValueError::Type {
        path: path.to_string(),
        reason: format!("expected {what}, found {marker:?}"),
    };
    match ty {
        Type::Bool => match marker {
            Marker::True => Ok(Value::Bool(true)),
            Marker::False => Ok(Value::Bool(false)),
            _ => Err(mismatch("bool")),
        },
        Type::String => match marker {
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let n = marker_len(marker, rd, path)?;
                String::from_utf8(read_len(rd, n, path)?)
                    .map(Value::String)
                    .map_err(|_| err(path, "invalid UTF-8"))
            }
            _ => Err(mismatch("string")),
        },
        Type::Number => Ok(Value::Number(match marker {
            Marker::FixPos(n) => f64::from(n),
            Marker::FixNeg(n) => f64::from(n),
            Marker::U8 => read_be(rd, 1, path)? as f64,
            Marker::U16 => read_be(rd, 2, path)? as f64,
            Marker::U32 => read_be(rd, 4, path)? as f64,
            Marker::U64 => read_be(rd, 8, path)? as f64,
            Marker::I8 => read_be(rd, 1, path)? as u8 as i8 as f64,
            Marker::I16 => read_be(rd, 2, path)? as u16 as i16 as f64,
            Marker::I32 => read_be(rd, 4, path)? as u32 as i32 as f64,
            Marker::I64 => read_be(rd, 8, path)? as i64 as f64,
            Marker::F32 => f64::from(f32::from_bits(read_be(rd, 4, path)? as u32)),
            Marker::F64 => f64::from_bits(read_be(rd, 8, path)?),
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                // cty sends numbers that do not fit a float as decimal strings.
                let n = marker_len(marker, rd, path)?;
                let s = String::from_utf8(read_len(rd, n, path)?)
                    .map_err(|_| err(path, "invalid UTF-8"))?;
                s.parse()
                    .map_err(|_| err(path, format!("invalid number {s:?}")))?
            }
            _ => return Err(mismatch("number")),
        })),
        Type::List(el) | Type::Set(el) => match marker {
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                let n = marker_len(marker, rd, path)?;
                let items = (0..n)
                    .map(|i| decode(rd, el, &format!("{path}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::set_of(items)
                } else {
                    Value::List(items)
                })
            }
            _ => Err(mismatch("array")),
        },
        Type::Map(el) => match marker {
            Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                let n = marker_len(marker, rd, path)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = decode(rd, &Type::String, path)?;
                    let k = k
                        .as_str()
                        .ok_or_else(|| err(path, "map key is not a string"))?
                        .to_string();
                    let v = decode(rd, el, &format!("{path}[{k:?}]"))?;
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
            _ => Err(mismatch("map")),
        },
        Type::Object(attrs) => match marker {
            Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                let n = marker_len(marker, rd, path)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = decode(rd, &Type::String, path)?;
                    let k = k
                        .as_str()
                        .ok_or_else(|| err(path, "attribute name is not a string"))?
                        .to_string();
                    let aty = attrs.get(&k).ok_or_else(|| ValueError::Type {
                        path: path.to_string(),
                        reason: format!("unexpected attribute {k:?}"),
                    })?;
                    let v = decode(rd, aty, &format!("{path}.{k}"))?;
                    m.insert(k, v);
                }
                // Absent attributes are null.
                for k in attrs.keys() {
                    m.entry(k.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(m))
            }
            _ => Err(mismatch("object")),
        },
    }
}

/// Encodes a value of type `ty` as MessagePack.
pub fn to_msgpack(v: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode(&mut out, v, ty)?;
    Ok(out)
}

fn encode(out: &mut Vec<u8>, v: &Value, ty: &Type) -> Result<(), ValueError> {
    let e = |e: rmp::encode::ValueWriteError| ValueError::Encode(e.to_string());
    match (v, ty) {
        (Value::Null, _) => {
            rmp::encode::write_nil(out).map_err(|e| ValueError::Encode(e.to_string()))
        }
        (Value::Unknown, _) => {
            rmp::encode::write_ext_meta(out, 1, 0).map_err(e)?;
            out.push(0);
            Ok(())
        }
        (Value::Bool(b), Type::Bool) => {
            rmp::encode::write_bool(out, *b).map_err(|e| ValueError::Encode(e.to_string()))
        }
        (Value::String(s), Type::String) => rmp::encode::write_str(out, s).map_err(e),
        (Value::Number(n), Type::Number) => {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                rmp::encode::write_sint(out, *n as i64)
                    .map(|_| ())
                    .map_err(e)
            } else {
                // Terraform compares numbers as exact decimals: send the shortest decimal that
                // reads back as this float ("0.001"), which cty parses exactly, as it parsed
                // the configuration.
                rmp::encode::write_str(out, &n.to_string()).map_err(e)
            }
        }
        (Value::List(items), Type::List(el)) | (Value::Set(items), Type::Set(el)) => {
            rmp::encode::write_array_len(out, items.len() as u32).map_err(e)?;
            items.iter().try_for_each(|i| encode(out, i, el))
        }
        (Value::Map(m), Type::Map(el)) => {
            rmp::encode::write_map_len(out, m.len() as u32).map_err(e)?;
            for (k, v) in m {
                rmp::encode::write_str(out, k).map_err(e)?;
                encode(out, v, el)?;
            }
            Ok(())
        }
        (Value::Object(m), Type::Object(attrs)) => {
            rmp::encode::write_map_len(out, attrs.len() as u32).map_err(e)?;
            for (k, aty) in attrs {
                rmp::encode::write_str(out, k).map_err(e)?;
                encode(out, m.get(k).unwrap_or(&Value::Null), aty)?;
            }
            Ok(())
        }
        (v, ty) => Err(ValueError::Encode(format!("{v:?} is not a {ty:?}"))),
    }
}

// ---- JSON (raw state) ----

/// Reads stored state JSON as a value of type `ty` (attributes missing from old states are null).
pub fn from_json(j: &serde_json::Value, ty: &Type) -> Result<Value, ValueError> {
    from_json_at(j, ty, "")
}

fn from_json_at(j: &serde_json::Value, ty: &Type, path: &str) -> Result<Value, ValueError> {
    use serde_json::Value as J;
    let mismatch = |what: &str| ValueError::Type {
        path: path.to_string(),
        reason: format!("expected {what}, found {j}"),
    };
    Ok(match (j, ty) {
        (J::Null, _) => Value::Null,
        (J::Bool(b), Type::Bool) => Value::Bool(*b),
        (J::String(s), Type::String) => Value::String(s.clone()),
        (J::Number(n), Type::Number) => {
            Value::Number(n.as_f64().ok_or_else(|| mismatch("number"))?)
        }
        (J::String(s), Type::Number) => Value::Number(s.parse().map_err(|_| mismatch("number"))?),
        (J::Array(a), Type::List(el)) => Value::List(
            a.iter()
                .enumerate()
                .map(|(i, x)| from_json_at(x, el, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        (J::Array(a), Type::Set(el)) => Value::set_of(
            a.iter()
                .enumerate()
                .map(|(i, x)| from_json_at(x, el, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        (J::Object(o), Type::Map(el)) => Value::Map(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), from_json_at(x, el, &format!("{path}[{k:?}]"))?)))
                .collect::<Result<_, ValueError>>()?,
        ),
        (J::Object(o), Type::Object(attrs)) => Value::Object(
            attrs
                .iter()
                .map(|(k, aty)| {
                    Ok((
                        k.clone(),
                        o.get(k).map_or(Ok(Value::Null), |x| {
                            from_json_at(x, aty, &format!("{path}.{k}"))
                        })?,
                    ))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        _ => return Err(mismatch(&format!("{ty:?}"))),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sets_keep_unknown_elements_apart() {
        let s = Value::set_of(vec![
            Value::Unknown,
            Value::string("a"),
            Value::Unknown,
            Value::string("a"),
        ]);
        assert_eq!(s.elements().len(), 3, "{s:?}");
    }

    #[test]
    fn type_json_round_trips() {
        let t = Type::Object(
            [
                ("a".to_string(), Type::list(Type::String)),
                ("b".to_string(), Type::map(Type::set(Type::Number))),
                ("c".to_string(), Type::Bool),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(Type::from_json(&t.to_json()), Some(t));
        assert_eq!(Type::from_json(&serde_json::json!("dynamic")), None);
        assert_eq!(
            Type::from_json(&serde_json::json!(["tuple", ["string"]])),
            None
        );
    }

    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn ty() -> Type {
        Type::Object(
            [
                ("name".to_string(), Type::String),
                ("ttl".to_string(), Type::Number),
                ("ids".to_string(), Type::set(Type::String)),
                ("ips".to_string(), Type::list(Type::String)),
                ("tags".to_string(), Type::map(Type::String)),
                ("on".to_string(), Type::Bool),
            ]
            .into_iter()
            .collect(),
        )
    }

    #[test]
    fn msgpack_round_trip_with_unknown_and_null() {
        let v = obj(&[
            ("name", Value::string("web")),
            ("ttl", Value::Number(30.0)),
            (
                "ids",
                Value::set_of(vec![
                    Value::string("b"),
                    Value::string("a"),
                    Value::string("a"),
                ]),
            ),
            ("ips", Value::Unknown),
            (
                "tags",
                Value::Map(
                    [("k".to_string(), Value::string("v"))]
                        .into_iter()
                        .collect(),
                ),
            ),
            ("on", Value::Null),
        ]);
        let bytes = to_msgpack(&v, &ty()).expect("encode");
        let back = from_msgpack(&bytes, &ty()).expect("decode");
        assert_eq!(back, v);
        assert_eq!(back.get("ids").elements().len(), 2);
        assert!(!back.is_wholly_known());
    }

    #[test]
    fn decodes_floats_big_ints_and_refined_unknowns() {
        let mut b = Vec::new();
        rmp::encode::write_f64(&mut b, 1.5).expect("write");
        assert_eq!(
            from_msgpack(&b, &Type::Number).expect("f64"),
            Value::Number(1.5)
        );
        let mut b = Vec::new();
        rmp::encode::write_str(&mut b, "12345678901234567890").expect("write");
        assert!(matches!(
            from_msgpack(&b, &Type::Number).expect("str"),
            Value::Number(_)
        ));
        // ext type 12 with a payload: a refined unknown from Terraform >= 1.6.
        let refined = [0xc7, 0x02, 0x0c, 0x81, 0x01];
        assert_eq!(
            from_msgpack(&refined, &Type::String).expect("ext"),
            Value::Unknown
        );
        assert!(from_msgpack(&[0xc3], &Type::String).is_err());
    }

    #[test]
    fn json_state_with_missing_attributes() {
        let j = serde_json::json!({"name": "web", "ttl": 30, "ids": ["x"]});
        let v = from_json(&j, &ty()).expect("json");
        assert_eq!(v.get("name").as_str(), Some("web"));
        assert!(v.get("ips").is_null());
        assert!(from_json(&serde_json::json!({"name": 5}), &ty()).is_err());
    }

    #[test]
    fn fractions_travel_as_exact_decimals() {
        let bytes = to_msgpack(&Value::Number(0.001), &Type::Number).expect("encode");
        assert_eq!(bytes, [0xa5, b'0', b'.', b'0', b'0', b'1']);
        assert_eq!(
            from_msgpack(&bytes, &Type::Number).expect("decode"),
            Value::Number(0.001)
        );
    }

    #[test]
    fn type_json_matches_cty() {
        assert_eq!(
            Type::set(Type::String).to_json(),
            serde_json::json!(["set", "string"])
        );
    }
}
