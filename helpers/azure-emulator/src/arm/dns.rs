//! Private DNS (`Microsoft.Network/privateDnsZones`, lower-camel `ttl`/`aRecords`) and public DNS
//! (`Microsoft.Network/dnsZones`, upper-case `TTL`/`TXTRecords`): zones and record sets with
//! ETag / If-Match / If-None-Match, metadata, PATCH merge and paging.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::faults::Verdict;
use crate::http::{Req, empty, json};
use crate::state::{RecordSet, Zone, new_etag};
use crate::{Inner, lock};

#[derive(Debug)]
pub(crate) struct DnsTarget {
    public: bool,
    /// Canonical zone id (casing as in the request, zone name lower-cased).
    zone_id: String,
    zone_name: String,
    what: What,
}

#[derive(Debug)]
enum What {
    Zone,
    /// `None`: every type (`/ALL`, `/recordsets`, `/all`).
    List(Option<String>),
    Record(String, String),
}

const PRIVATE_TYPES: &[&str] = &["A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT"];
const PUBLIC_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT",
];

fn canonical_type(public: bool, t: &str) -> Option<String> {
    let types = if public { PUBLIC_TYPES } else { PRIVATE_TYPES };
    types
        .iter()
        .find(|k| k.eq_ignore_ascii_case(t))
        .map(|k| k.to_string())
}

/// Wire name of the type-specific property.
fn data_field(public: bool, rtype: &str) -> &'static str {
    match (public, rtype) {
        (false, "A") => "aRecords",
        (false, "AAAA") => "aaaaRecords",
        (false, "CNAME") => "cnameRecord",
        (false, "MX") => "mxRecords",
        (false, "PTR") => "ptrRecords",
        (false, "SOA") => "soaRecord",
        (false, "SRV") => "srvRecords",
        (false, _) => "txtRecords",
        (true, "A") => "ARecords",
        (true, "AAAA") => "AAAARecords",
        (true, "CAA") => "caaRecords",
        (true, "CNAME") => "CNAMERecord",
        (true, "MX") => "MXRecords",
        (true, "NS") => "NSRecords",
        (true, "PTR") => "PTRRecords",
        (true, "SOA") => "SOARecord",
        (true, "SRV") => "SRVRecords",
        (true, _) => "TXTRecords",
    }
}

fn ttl_field(public: bool) -> &'static str {
    if public { "TTL" } else { "ttl" }
}

fn resource_type(public: bool) -> &'static str {
    if public {
        "Microsoft.Network/dnsZones"
    } else {
        "Microsoft.Network/privateDnsZones"
    }
}

pub(crate) fn parse(public: bool, sub: &str, rg: &str, rest: &[String]) -> Option<DnsTarget> {
    let zone_name = rest
        .first()?
        .to_ascii_lowercase()
        .trim_end_matches('.')
        .to_string();
    let zone_id = format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/{}/{zone_name}",
        resource_type(public)
    );
    let what = match &rest[1..] {
        [] => What::Zone,
        [all]
            if all.eq_ignore_ascii_case("ALL")
                || (public && all.eq_ignore_ascii_case("recordsets")) =>
        {
            What::List(None)
        }
        [t] => What::List(Some(canonical_type(public, t)?)),
        [t, name] => What::Record(canonical_type(public, t)?, name.to_ascii_lowercase()),
        _ => return None,
    };
    Some(DnsTarget {
        public,
        zone_id,
        zone_name,
        what,
    })
}

impl DnsTarget {
    /// Operation name for counters and faults, the RBAC action, and the scope it applies to.
    pub(crate) fn describe(&self, method: &Method) -> ApiResult<(&'static str, String, String)> {
        let svc = if self.public { "Dns" } else { "PrivateDns" };
        let ns = resource_type(self.public);
        let (op, action, scope) = match (&self.what, method) {
            (What::Zone, &Method::GET) => ("Zones_Get", format!("{ns}/read"), self.zone_id.clone()),
            (What::Zone, &Method::PUT) => (
                "Zones_CreateOrUpdate",
                format!("{ns}/write"),
                self.zone_id.clone(),
            ),
            (What::Zone, &Method::DELETE) => {
                ("Zones_Delete", format!("{ns}/delete"), self.zone_id.clone())
            }
            (What::List(None), &Method::GET) => (
                "RecordSets_List",
                format!("{ns}/ALL/read"),
                self.zone_id.clone(),
            ),
            (What::List(Some(t)), &Method::GET) => (
                "RecordSets_ListByType",
                format!("{ns}/{t}/read"),
                self.zone_id.clone(),
            ),
            (What::Record(t, n), m) => {
                let verb = match *m {
                    Method::GET => ("RecordSets_Get", "read"),
                    Method::PUT => ("RecordSets_CreateOrUpdate", "write"),
                    Method::PATCH => ("RecordSets_Update", "write"),
                    Method::DELETE => ("RecordSets_Delete", "delete"),
                    _ => return Err(method_not_allowed(method)),
                };
                (
                    verb.0,
                    format!("{ns}/{t}/{}", verb.1),
                    format!("{}/{t}/{n}", self.zone_id),
                )
            }
            _ => return Err(method_not_allowed(method)),
        };
        let op: &'static str = match (svc, op) {
            ("Dns", "Zones_Get") => "Dns.Zones_Get",
            ("Dns", "Zones_CreateOrUpdate") => "Dns.Zones_CreateOrUpdate",
            ("Dns", "Zones_Delete") => "Dns.Zones_Delete",
            ("Dns", "RecordSets_List") => "Dns.RecordSets_ListAllByDnsZone",
            ("Dns", "RecordSets_ListByType") => "Dns.RecordSets_ListByType",
            ("Dns", "RecordSets_Get") => "Dns.RecordSets_Get",
            ("Dns", "RecordSets_CreateOrUpdate") => "Dns.RecordSets_CreateOrUpdate",
            ("Dns", "RecordSets_Update") => "Dns.RecordSets_Update",
            ("Dns", "RecordSets_Delete") => "Dns.RecordSets_Delete",
            ("PrivateDns", "Zones_Get") => "PrivateDns.PrivateZones_Get",
            ("PrivateDns", "Zones_CreateOrUpdate") => "PrivateDns.PrivateZones_CreateOrUpdate",
            ("PrivateDns", "Zones_Delete") => "PrivateDns.PrivateZones_Delete",
            ("PrivateDns", "RecordSets_List") => "PrivateDns.RecordSets_List",
            ("PrivateDns", "RecordSets_ListByType") => "PrivateDns.RecordSets_ListByType",
            ("PrivateDns", "RecordSets_Get") => "PrivateDns.RecordSets_Get",
            ("PrivateDns", "RecordSets_CreateOrUpdate") => "PrivateDns.RecordSets_CreateOrUpdate",
            ("PrivateDns", "RecordSets_Update") => "PrivateDns.RecordSets_Update",
            _ => "PrivateDns.RecordSets_Delete",
        };
        Ok((op, action, scope))
    }
}

fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The method '{method}' is not allowed on this resource."),
    )
}

fn zone_not_found(t: &DnsTarget) -> ApiError {
    ApiError::not_found(
        if t.public {
            "ResourceNotFound"
        } else {
            "ParentResourceNotFound"
        },
        format!(
            "The Resource '{}/{}' under resource group '{}' was not found.",
            resource_type(t.public),
            t.zone_name,
            t.zone_id.split('/').nth(4).unwrap_or_default()
        ),
    )
}

/// Creates a zone with the SOA (and, for public zones, NS) record sets Azure adds itself.
pub(crate) fn new_zone(public: bool, id: &str, name: &str, name_servers: &[String]) -> Zone {
    let mut zone = Zone {
        id: id.to_string(),
        name: name.to_string(),
        tags: BTreeMap::new(),
        etag: new_etag(),
        name_servers: if public {
            name_servers.to_vec()
        } else {
            Vec::new()
        },
        record_sets: BTreeMap::new(),
    };
    let soa = if public {
        json!({"host": name_servers.first().cloned().unwrap_or_default(), "email": "azuredns-hostmaster.microsoft.com", "serialNumber": 1, "refreshTime": 3600, "retryTime": 300, "expireTime": 2419200, "minimumTTL": 300})
    } else {
        json!({"host": "azureprivatedns.net", "email": "azureprivatedns-host.microsoft.com", "serialNumber": 1, "refreshTime": 3600, "retryTime": 300, "expireTime": 2419200, "minimumTtl": 10})
    };
    let mut data = Map::new();
    data.insert(data_field(public, "SOA").into(), soa);
    zone.record_sets.insert(
        Zone::key("SOA", "@"),
        RecordSet {
            name: "@".into(),
            rtype: "SOA".into(),
            ttl: 3600,
            metadata: None,
            etag: new_etag(),
            data,
        },
    );
    if public {
        let mut data = Map::new();
        data.insert(
            "NSRecords".into(),
            Value::Array(name_servers.iter().map(|n| json!({"nsdname": n})).collect()),
        );
        zone.record_sets.insert(
            Zone::key("NS", "@"),
            RecordSet {
                name: "@".into(),
                rtype: "NS".into(),
                ttl: 172800,
                metadata: None,
                etag: new_etag(),
                data,
            },
        );
    }
    zone
}

fn zone_json(public: bool, z: &Zone) -> Value {
    let count = z.record_sets.len();
    let properties = if public {
        json!({"maxNumberOfRecordSets": 10000, "numberOfRecordSets": count, "nameServers": z.name_servers})
    } else {
        json!({
            "maxNumberOfRecordSets": 25000, "numberOfRecordSets": count,
            "maxNumberOfVirtualNetworkLinks": 1000, "numberOfVirtualNetworkLinks": 0,
            "maxNumberOfVirtualNetworkLinksWithRegistration": 100, "numberOfVirtualNetworkLinksWithRegistration": 0,
            "provisioningState": "Succeeded"
        })
    };
    json!({
        "id": z.id, "name": z.name, "type": resource_type(public), "location": "global",
        "etag": z.etag, "properties": properties, "tags": z.tags,
    })
}

fn record_json(public: bool, z: &Zone, r: &RecordSet) -> Value {
    let mut props = Map::new();
    if let Some(m) = &r.metadata {
        props.insert("metadata".into(), json!(m));
    }
    props.insert(ttl_field(public).into(), json!(r.ttl));
    let fqdn = if r.name == "@" {
        format!("{}.", z.name)
    } else {
        format!("{}.{}.", r.name, z.name)
    };
    props.insert("fqdn".into(), json!(fqdn));
    if !public {
        props.insert("isAutoRegistered".into(), json!(false));
    }
    for (k, v) in &r.data {
        props.insert(k.clone(), v.clone());
    }
    json!({
        "id": format!("{}/{}/{}", z.id, r.rtype, r.name),
        "etag": r.etag,
        "name": r.name,
        "type": format!("{}/{}", resource_type(public), r.rtype),
        "properties": Value::Object(props),
    })
}

fn with_etag(mut resp: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// Case-insensitive property lookup (ARM accepts `ttl` and `TTL`).
fn prop<'a>(props: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn bad(msg: String) -> ApiError {
    ApiError::bad_request("BadRequest", msg)
}

/// Validates the type-specific records and returns them in canonical spelling.
fn validate_data(public: bool, rtype: &str, value: &Value) -> ApiResult<Value> {
    let field = data_field(public, rtype);
    let items = || {
        value
            .as_array()
            .ok_or_else(|| bad(format!("The property '{field}' must be an array.")))
    };
    match rtype {
        "A" | "AAAA" => {
            let key = if rtype == "A" {
                "ipv4Address"
            } else {
                "ipv6Address"
            };
            let mut out = Vec::new();
            for item in items()? {
                let ip = item
                    .as_object()
                    .and_then(|o| prop(o, key))
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("Each entry of '{field}' needs '{key}'.")))?;
                let valid = if rtype == "A" {
                    ip.parse::<std::net::Ipv4Addr>().is_ok()
                } else {
                    ip.parse::<std::net::Ipv6Addr>().is_ok()
                };
                if !valid {
                    return Err(bad(format!(
                        "The value '{ip}' of '{key}' is not a valid IP address."
                    )));
                }
                out.push(json!({ key: ip }));
            }
            Ok(Value::Array(out))
        }
        "TXT" => {
            let mut out = Vec::new();
            for item in items()? {
                let values = item
                    .as_object()
                    .and_then(|o| prop(o, "value"))
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        bad(format!(
                            "Each entry of '{field}' needs a 'value' array of strings."
                        ))
                    })?;
                let mut strings = Vec::new();
                for v in values {
                    let s = v
                        .as_str()
                        .ok_or_else(|| bad("TXT values must be strings.".into()))?;
                    if s.len() > 1024 {
                        return Err(bad(
                            "A TXT record string cannot exceed 1024 characters.".into()
                        ));
                    }
                    strings.push(json!(s));
                }
                out.push(json!({"value": strings}));
            }
            Ok(Value::Array(out))
        }
        "CNAME" => {
            let cname = value
                .as_object()
                .and_then(|o| prop(o, "cname"))
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("'{field}' needs 'cname'.")))?;
            Ok(json!({"cname": cname}))
        }
        _ => Ok(value.clone()),
    }
}

fn valid_relative_name(name: &str) -> bool {
    name == "@"
        || (!name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')
            }))
}

pub(crate) fn serve(
    inner: &Inner,
    req: &Req,
    t: DnsTarget,
    verdict: Verdict,
) -> ApiResult<Response> {
    match (&t.what, &req.method) {
        (What::Zone, &Method::GET) => {
            let st = lock(&inner.state);
            let z = st
                .zone(t.public, &t.zone_id)
                .ok_or_else(|| zone_not_found(&t))?;
            Ok(with_etag(
                json(StatusCode::OK, zone_json(t.public, z)),
                &z.etag,
            ))
        }
        (What::Zone, &Method::PUT) => {
            let body: Value = req.json(crate::error::Flavor::Arm)?;
            if body.get("location").and_then(Value::as_str).is_none() {
                return Err(bad("The property 'location' is required.".into()));
            }
            let tags: BTreeMap<String, String> = body
                .get("tags")
                .and_then(|t| serde_json::from_value(t.clone()).ok())
                .unwrap_or_default();
            let mut st = lock(&inner.state);
            let (status, z) = match st.zone_mut(t.public, &t.zone_id) {
                Some(z) => {
                    z.tags = tags;
                    z.etag = new_etag();
                    (StatusCode::OK, z.clone())
                }
                None => {
                    let mut z = new_zone(
                        t.public,
                        &t.zone_id,
                        &t.zone_name,
                        &inner.config.name_servers,
                    );
                    z.tags = tags;
                    let map = if t.public {
                        &mut st.public_zones
                    } else {
                        &mut st.private_zones
                    };
                    map.insert(t.zone_id.to_ascii_lowercase(), z.clone());
                    (StatusCode::CREATED, z)
                }
            };
            Ok(json(status, zone_json(t.public, &z)))
        }
        (What::Zone, &Method::DELETE) => {
            let mut st = lock(&inner.state);
            let map = if t.public {
                &mut st.public_zones
            } else {
                &mut st.private_zones
            };
            Ok(match map.remove(&t.zone_id.to_ascii_lowercase()) {
                Some(_) => empty(StatusCode::OK),
                None => empty(StatusCode::NO_CONTENT),
            })
        }
        (What::List(rtype), &Method::GET) => {
            let (skip, top) = super::paging(req, 100)?;
            let suffix = req
                .query("$recordsetnamesuffix")
                .map(str::to_ascii_lowercase);
            let st = lock(&inner.state);
            let z = st
                .zone(t.public, &t.zone_id)
                .ok_or_else(|| zone_not_found(&t))?;
            let all: Vec<&RecordSet> = z
                .record_sets
                .values()
                .filter(|r| rtype.as_ref().is_none_or(|ty| &r.rtype == ty))
                .filter(|r| suffix.as_ref().is_none_or(|s| r.name.ends_with(s.as_str())))
                .collect();
            let page: Vec<Value> = all
                .iter()
                .skip(skip)
                .take(top)
                .map(|r| record_json(t.public, z, r))
                .collect();
            let mut body = json!({"value": page});
            if skip + top < all.len() {
                body["nextLink"] = json!(super::next_link(inner, req, skip + top));
            }
            Ok(json(StatusCode::OK, body))
        }
        (What::Record(rtype, name), m) => {
            if !valid_relative_name(name) {
                return Err(bad(format!("The record set name '{name}' is invalid.")));
            }
            let mut st = lock(&inner.state);
            let z = st
                .zone_mut(t.public, &t.zone_id)
                .ok_or_else(|| zone_not_found(&t))?;
            let key = Zone::key(rtype, name);
            if verdict.etag_race
                && let Some(r) = z.record_sets.get_mut(&key)
            {
                // Another writer got there first.
                r.etag = new_etag();
            }
            record(inner, req, &t, z, m, rtype, name, &key)
        }
        _ => Err(method_not_allowed(&req.method)),
    }
}

fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|v| v == "*" || v == etag)
}

#[allow(clippy::too_many_arguments)]
fn record(
    inner: &Inner,
    req: &Req,
    t: &DnsTarget,
    z: &mut Zone,
    method: &Method,
    rtype: &str,
    name: &str,
    key: &str,
) -> ApiResult<Response> {
    let _ = inner;
    let existing = z.record_sets.get(key).cloned();
    let not_found = || {
        ApiError::not_found(
            "NotFound",
            format!(
                "The resource record '{name}' of type '{rtype}' does not exist in zone '{}'.",
                z.name
            ),
        )
    };
    let precondition = || {
        ApiError::precondition_failed(format!(
            "The Record set {name} has been modified (etag mismatch)."
        ))
    };
    if let Some(if_match) = req.header("if-match") {
        match &existing {
            Some(r) if etag_matches(if_match, &r.etag) => {}
            _ => return Err(precondition()),
        }
    }
    if let Some(inm) = req.header("if-none-match")
        && inm.trim() == "*"
        && existing.is_some()
        && matches!(*method, Method::PUT)
    {
        return Err(precondition());
    }
    match *method {
        Method::GET => {
            let r = existing.ok_or_else(not_found)?;
            Ok(with_etag(
                json(StatusCode::OK, record_json(t.public, z, &r)),
                &r.etag,
            ))
        }
        Method::DELETE => {
            if rtype == "SOA" || (rtype == "NS" && name == "@") {
                return Err(bad(format!(
                    "The {rtype} record set at the zone apex cannot be deleted."
                )));
            }
            Ok(match z.record_sets.remove(key) {
                Some(_) => empty(StatusCode::OK),
                None => empty(StatusCode::NO_CONTENT),
            })
        }
        Method::PUT | Method::PATCH => {
            let body: Value = req.json(crate::error::Flavor::Arm)?;
            let empty_props = Map::new();
            let props = match body.get("properties") {
                Some(Value::Object(p)) => p,
                None if *method == Method::PATCH => &empty_props,
                _ => {
                    return Err(bad(
                        "The property 'properties' is required and must be an object.".into(),
                    ));
                }
            };
            if rtype == "SOA" && name != "@" {
                return Err(bad(
                    "SOA record sets can only exist at the zone apex ('@').".into(),
                ));
            }
            let mut rs = match (&existing, method) {
                (Some(r), &Method::PATCH) => r.clone(),
                (None, &Method::PATCH) => return Err(not_found()),
                _ => RecordSet {
                    name: name.to_string(),
                    rtype: rtype.to_string(),
                    ttl: 3600,
                    metadata: None,
                    etag: String::new(),
                    data: Map::new(),
                },
            };
            if let Some(ttl) = prop(props, "ttl") {
                rs.ttl = ttl
                    .as_u64()
                    .filter(|n| (1..=2_147_483_647).contains(n))
                    .ok_or_else(|| bad("TTL must be a number from 1 to 2147483647.".into()))?;
            }
            if let Some(m) = prop(props, "metadata") {
                rs.metadata = match m {
                    Value::Null => None,
                    m => Some(
                        serde_json::from_value(m.clone())
                            .map_err(|_| bad("metadata must map strings to strings.".into()))?,
                    ),
                };
            } else if *method == Method::PUT {
                rs.metadata = None;
            }
            let field = data_field(t.public, rtype);
            if let Some(v) = prop(props, field) {
                rs.data = Map::new();
                rs.data
                    .insert(field.to_string(), validate_data(t.public, rtype, v)?);
            } else if *method == Method::PUT {
                rs.data = Map::new();
                if rtype != "SOA" {
                    let empty = if rtype == "CNAME" {
                        json!({})
                    } else {
                        json!([])
                    };
                    rs.data.insert(field.to_string(), empty);
                }
            }
            rs.etag = new_etag();
            let status = if existing.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let body = record_json(t.public, z, &rs);
            let etag = rs.etag.clone();
            z.record_sets.insert(key.to_string(), rs);
            Ok(with_etag(json(status, body), &etag))
        }
        _ => Err(method_not_allowed(method)),
    }
}
