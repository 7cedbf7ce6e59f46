//! Container groups (`Microsoft.ContainerInstance/containerGroups`): GET, LIST (without
//! `instanceView`, as Azure), PUT/DELETE as long-running operations, and restart/stop/start —
//! a restart gives a VNet group a new private IP, as on Azure.

use std::time::Instant;

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult, Flavor};
use crate::http::{Req, empty, json};
use crate::state::{ContainerGroup, State, rfc3339_now};
use crate::{Inner, lock};

const TYPE: &str = "Microsoft.ContainerInstance/containerGroups";

#[derive(Debug)]
pub(crate) enum AciTarget {
    ListSubscription {
        sub: String,
    },
    ListResourceGroup {
        sub: String,
        rg: String,
    },
    Group {
        sub: String,
        id: String,
        name: String,
        action: Option<String>,
    },
    Operation {
        sub: String,
        op_id: String,
    },
}

pub(crate) fn parse_subscription_level(sub: &str, rest: &[String]) -> Option<AciTarget> {
    match rest {
        [t] if t.eq_ignore_ascii_case("containerGroups") => {
            Some(AciTarget::ListSubscription { sub: sub.into() })
        }
        [l, _loc, o, id]
            if l.eq_ignore_ascii_case("locations") && o.eq_ignore_ascii_case("operations") =>
        {
            Some(AciTarget::Operation {
                sub: sub.into(),
                op_id: id.clone(),
            })
        }
        _ => None,
    }
}

pub(crate) fn parse_group(sub: &str, rg: &str, rest: &[String]) -> Option<AciTarget> {
    let id =
        |name: &str| format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{TYPE}/{name}");
    match rest {
        [] => Some(AciTarget::ListResourceGroup {
            sub: sub.into(),
            rg: rg.into(),
        }),
        [name] => Some(AciTarget::Group {
            sub: sub.into(),
            id: id(name),
            name: name.clone(),
            action: None,
        }),
        [name, action]
            if ["restart", "stop", "start"]
                .iter()
                .any(|a| action.eq_ignore_ascii_case(a)) =>
        {
            Some(AciTarget::Group {
                sub: sub.into(),
                id: id(name),
                name: name.clone(),
                action: Some(action.to_ascii_lowercase()),
            })
        }
        _ => None,
    }
}

impl AciTarget {
    pub(crate) fn describe(&self, method: &Method) -> ApiResult<(&'static str, String, String)> {
        let read = format!("{TYPE}/read");
        let not_allowed = || {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("The method '{method}' is not allowed on this resource."),
            )
        };
        Ok(match (self, method) {
            (Self::ListSubscription { sub }, &Method::GET) => (
                "ContainerInstance.ContainerGroups_List",
                read,
                format!("/subscriptions/{sub}"),
            ),
            (Self::ListResourceGroup { sub, rg }, &Method::GET) => (
                "ContainerInstance.ContainerGroups_ListByResourceGroup",
                read,
                format!("/subscriptions/{sub}/resourceGroups/{rg}"),
            ),
            (Self::Operation { sub, .. }, &Method::GET) => (
                "ContainerInstance.Operations_Get",
                read,
                format!("/subscriptions/{sub}"),
            ),
            (
                Self::Group {
                    id, action: None, ..
                },
                m,
            ) => match *m {
                Method::GET => ("ContainerInstance.ContainerGroups_Get", read, id.clone()),
                Method::PUT => (
                    "ContainerInstance.ContainerGroups_CreateOrUpdate",
                    format!("{TYPE}/write"),
                    id.clone(),
                ),
                Method::PATCH => (
                    "ContainerInstance.ContainerGroups_Update",
                    format!("{TYPE}/write"),
                    id.clone(),
                ),
                Method::DELETE => (
                    "ContainerInstance.ContainerGroups_Delete",
                    format!("{TYPE}/delete"),
                    id.clone(),
                ),
                _ => return Err(not_allowed()),
            },
            (
                Self::Group {
                    id,
                    action: Some(a),
                    ..
                },
                &Method::POST,
            ) => {
                let op = match a.as_str() {
                    "restart" => "ContainerInstance.ContainerGroups_Restart",
                    "stop" => "ContainerInstance.ContainerGroups_Stop",
                    _ => "ContainerInstance.ContainerGroups_Start",
                };
                (op, format!("{TYPE}/{a}/action"), id.clone())
            }
            _ => return Err(not_allowed()),
        })
    }
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Finishes long-running operations whose time has come: provisioning becomes `Succeeded`,
/// deleted groups disappear.
fn settle(st: &mut State) {
    let now = now_ms();
    st.container_groups
        .retain(|_, g| !(g.provisioning_state == "Deleting" && g.busy_until_ms <= now));
    for g in st.container_groups.values_mut() {
        if g.busy_until_ms <= now
            && g.provisioning_state != "Succeeded"
            && g.provisioning_state != "Failed"
        {
            g.provisioning_state = "Succeeded".into();
        }
    }
}

/// Gives a group its next address: the queued ones first, then the allocator.
pub(crate) fn next_private_ip(st: &mut State, key: &str) -> String {
    if let Some(g) = st.container_groups.get_mut(key)
        && !g.next_ips.is_empty()
    {
        return g.next_ips.remove(0);
    }
    st.allocate_ip()
}

/// A group has a private address when its `ipAddress.type` says so, or when it sits in a subnet
/// and asks for no address type at all.
fn is_private(g: &ContainerGroup) -> bool {
    match g
        .properties
        .pointer("/ipAddress/type")
        .and_then(Value::as_str)
    {
        Some(t) => t.eq_ignore_ascii_case("Private"),
        None => g
            .properties
            .get("subnetIds")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty()),
    }
}

pub(crate) fn group_json(
    inner: &Inner,
    st: &State,
    g: &ContainerGroup,
    instance_view: bool,
) -> Value {
    let mut props = g.properties.clone();
    props["provisioningState"] = json!(g.provisioning_state);
    props["isCreatedFromStandbyPool"] = json!(false);
    if let Some(ip) = &g.ip {
        if props.get("ipAddress").is_none_or(|v| !v.is_object()) {
            let ports: Vec<Value> = props
                .get("containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.pointer("/properties/ports").and_then(Value::as_array))
                .flatten()
                .map(|p| json!({"port": p.get("port").cloned().unwrap_or(json!(80)), "protocol": "TCP"}))
                .collect();
            props["ipAddress"] = json!({"type": "Private", "ports": ports});
        }
        props["ipAddress"]["ip"] = json!(ip);
        if let Some(label) = props
            .pointer("/ipAddress/dnsNameLabel")
            .and_then(Value::as_str)
        {
            let region = g.location.to_ascii_lowercase().replace(' ', "");
            props["ipAddress"]["fqdn"] = json!(format!("{label}.{region}.azurecontainer.io"));
        }
    } else if let Some(addr) = props.get_mut("ipAddress").and_then(Value::as_object_mut) {
        addr.remove("ip");
    }
    if instance_view {
        props["instanceView"] = json!({"events": [], "state": g.state});
        if let Some(containers) = props.get_mut("containers").and_then(Value::as_array_mut) {
            for c in containers {
                let image = c
                    .pointer("/properties/image")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let now = rfc3339_now();
                let event = |name: &str, message: String| json!({"name": name, "type": "Normal", "count": 1, "firstTimestamp": now, "lastTimestamp": now, "message": message});
                c["properties"]["instanceView"] = json!({
                    "restartCount": g.restart_count,
                    "currentState": {"state": if g.state == "Running" { "Running" } else { "Terminated" }, "startTime": now, "detailStatus": ""},
                    "events": [
                        event("Pulling", format!("pulling image \"{image}\"")),
                        event("Pulled", format!("Successfully pulled image \"{image}\"")),
                        event("Started", "Started container".to_string()),
                    ],
                });
            }
        }
    }
    let mut body = json!({"id": g.id, "name": g.name, "type": TYPE, "location": g.location, "properties": props});
    if let Some(identity) = &g.identity {
        body["identity"] = identity_json(inner, st, identity);
    }
    if let Some(tags) = &g.tags {
        body["tags"] = tags.clone();
    }
    if let Some(zones) = &g.zones {
        body["zones"] = zones.clone();
    }
    body
}

/// Fills in the principal and client ids Azure reports for assigned identities.
fn identity_json(inner: &Inner, st: &State, identity: &Value) -> Value {
    let mut out = identity.clone();
    let ty = identity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if ty.contains("SystemAssigned") {
        out["principalId"] =
            json!(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, ty.as_bytes()).to_string());
        out["tenantId"] = json!(inner.config.tenant_id);
    }
    if let Some(map) = out
        .get_mut("userAssignedIdentities")
        .and_then(Value::as_object_mut)
    {
        for (rid, v) in map.iter_mut() {
            let known = st
                .managed_identities
                .values()
                .find(|m| m.resource_id.eq_ignore_ascii_case(rid));
            let (client, principal) = match known {
                Some(m) => (m.client_id.clone(), m.principal_id.clone()),
                None => {
                    let id = uuid::Uuid::new_v5(
                        &uuid::Uuid::NAMESPACE_URL,
                        rid.to_ascii_lowercase().as_bytes(),
                    );
                    (id.to_string(), id.to_string())
                }
            };
            *v = json!({"principalId": principal, "clientId": client});
        }
    }
    out
}

/// Removes what Azure never returns: secure environment values, storage keys, secret volume
/// contents, registry passwords, the Log Analytics key.
fn strip_secrets(props: &mut Value) {
    for list in ["containers", "initContainers"] {
        if let Some(containers) = props.get_mut(list).and_then(Value::as_array_mut) {
            for c in containers {
                if let Some(envs) = c
                    .pointer_mut("/properties/environmentVariables")
                    .and_then(Value::as_array_mut)
                {
                    for e in envs {
                        if let Some(o) = e.as_object_mut() {
                            o.remove("secureValue");
                        }
                    }
                }
            }
        }
    }
    if let Some(vols) = props.get_mut("volumes").and_then(Value::as_array_mut) {
        for v in vols {
            if let Some(af) = v.get_mut("azureFile").and_then(Value::as_object_mut) {
                af.remove("storageAccountKey");
            }
            if v.get("secret").is_some() {
                v["secret"] = json!({});
            }
        }
    }
    if let Some(creds) = props
        .get_mut("imageRegistryCredentials")
        .and_then(Value::as_array_mut)
    {
        for c in creds {
            if let Some(o) = c.as_object_mut() {
                o.remove("password");
            }
        }
    }
    if let Some(la) = props
        .pointer_mut("/diagnostics/logAnalytics")
        .and_then(Value::as_object_mut)
    {
        la.retain(|k, _| k == "workspaceId");
    }
}

fn bad(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, msg)
}

fn valid_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn validate(name: &str, body: &Value) -> ApiResult<()> {
    if !valid_name(name) {
        return Err(bad(
            "ContainerGroupNameInvalid",
            format!(
                "The container group name '{name}' is invalid. A name must be 1-63 lower-case letters, digits or '-', not starting or ending with '-'."
            ),
        ));
    }
    if body
        .get("location")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(bad(
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    }
    let props = body.get("properties").ok_or_else(|| {
        bad(
            "InvalidRequestContent",
            "The property 'properties' is required.",
        )
    })?;
    let containers = props
        .get("containers")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            bad(
                "ContainerGroupContainersRequired",
                "A container group needs at least one container.",
            )
        })?;
    for c in containers {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or_default();
        if !valid_name(cname) {
            return Err(bad(
                "InvalidContainerName",
                format!("The container name '{cname}' is invalid."),
            ));
        }
        if c.pointer("/properties/image")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(bad(
                "InvalidContainerImage",
                format!("The container '{cname}' has no image."),
            ));
        }
        let req = c.pointer("/properties/resources/requests");
        if req
            .and_then(|r| r.get("cpu"))
            .and_then(Value::as_f64)
            .is_none()
            || req
                .and_then(|r| r.get("memoryInGB"))
                .and_then(Value::as_f64)
                .is_none()
        {
            return Err(bad(
                "InvalidContainerResourceRequests",
                format!("The container '{cname}' must request 'cpu' and 'memoryInGB'."),
            ));
        }
    }
    match props.get("osType").and_then(Value::as_str) {
        Some("Linux" | "Windows") => {}
        _ => {
            return Err(bad(
                "InvalidOsType",
                "The property 'osType' must be 'Linux' or 'Windows'.",
            ));
        }
    }
    Ok(())
}

fn start_operation(
    inner: &Inner,
    sub: &str,
    location: &str,
    group_key: &str,
    api_version: &str,
) -> String {
    let op_id = uuid::Uuid::new_v4().to_string();
    lock(&inner.operations).insert(
        op_id.clone(),
        (
            group_key.to_string(),
            Instant::now() + inner.config.lro_delay,
        ),
    );
    let loc = location.to_ascii_lowercase().replace(' ', "");
    format!(
        "{}/subscriptions/{sub}/providers/Microsoft.ContainerInstance/locations/{loc}/operations/{op_id}?api-version={api_version}",
        inner.management_url()
    )
}

fn with_async(mut resp: Response, url: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(url) {
        resp.headers_mut().insert("azure-asyncoperation", v.clone());
        resp.headers_mut().insert("location", v);
    }
    if let Ok(v) = HeaderValue::from_str("1") {
        resp.headers_mut().insert("retry-after", v);
    }
    resp
}

fn not_found(id: &str) -> ApiError {
    let name = id.rsplit('/').next().unwrap_or_default();
    let rg = id.split('/').nth(4).unwrap_or_default();
    ApiError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{TYPE}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

pub(crate) fn serve(inner: &Inner, req: &Req, t: AciTarget) -> ApiResult<Response> {
    let api_version = req.query("api-version").unwrap_or_default().to_string();
    let delay_ms = inner.config.lro_delay.as_millis();
    match t {
        AciTarget::ListSubscription { sub } => {
            let mut st = lock(&inner.state);
            settle(&mut st);
            let prefix = format!("/subscriptions/{sub}/").to_ascii_lowercase();
            list(inner, req, &st, &prefix)
        }
        AciTarget::ListResourceGroup { sub, rg } => {
            let mut st = lock(&inner.state);
            settle(&mut st);
            let prefix = format!("/subscriptions/{sub}/resourceGroups/{rg}/").to_ascii_lowercase();
            list(inner, req, &st, &prefix)
        }
        AciTarget::Operation { op_id, .. } => {
            let ops = lock(&inner.operations);
            let (_, done_at) = ops.get(&op_id).cloned().ok_or_else(|| {
                ApiError::not_found(
                    "OperationNotFound",
                    format!("The operation '{op_id}' was not found."),
                )
            })?;
            let status = if Instant::now() >= done_at {
                "Succeeded"
            } else {
                "InProgress"
            };
            Ok(json(
                StatusCode::OK,
                json!({"id": req.path(), "name": op_id, "status": status, "startTime": rfc3339_now()}),
            ))
        }
        AciTarget::Group {
            sub,
            id,
            name,
            action,
        } => {
            let key = id.to_ascii_lowercase();
            let mut st = lock(&inner.state);
            settle(&mut st);
            match (action.as_deref(), &req.method) {
                (None, &Method::GET) => {
                    let g = st
                        .container_groups
                        .get(&key)
                        .ok_or_else(|| not_found(&id))?;
                    Ok(json(StatusCode::OK, group_json(inner, &st, g, true)))
                }
                (None, &Method::PUT) => {
                    let body: Value = req.json(Flavor::Arm)?;
                    validate(&name, &body)?;
                    let mut props = body["properties"].clone();
                    strip_secrets(&mut props);
                    if let Some(o) = props.as_object_mut() {
                        o.remove("provisioningState");
                        o.remove("instanceView");
                    }
                    let location = body["location"].as_str().unwrap_or_default().to_string();
                    let existing = st.container_groups.get(&key).cloned();
                    let mut g = ContainerGroup {
                        id: id.clone(),
                        name: name.clone(),
                        location: location.clone(),
                        tags: body.get("tags").cloned(),
                        identity: body.get("identity").cloned(),
                        zones: body.get("zones").cloned(),
                        properties: props,
                        ip: existing.as_ref().and_then(|e| e.ip.clone()),
                        provisioning_state: if existing.is_some() {
                            "Updating".into()
                        } else {
                            "Pending".into()
                        },
                        state: "Running".into(),
                        restart_count: existing.as_ref().map_or(0, |e| e.restart_count),
                        busy_until_ms: now_ms() + delay_ms,
                        next_ips: existing
                            .as_ref()
                            .map(|e| e.next_ips.clone())
                            .unwrap_or_default(),
                    };
                    if g.ip.is_none() {
                        if is_private(&g) {
                            st.container_groups.insert(key.clone(), g.clone());
                            g.ip = Some(next_private_ip(&mut st, &key));
                        } else if g
                            .properties
                            .pointer("/ipAddress/type")
                            .and_then(Value::as_str)
                            == Some("Public")
                        {
                            let n = st.allocate_ip();
                            g.ip = Some(n.replacen("10.0.", "20.62.", 1));
                        }
                    }
                    let body = group_json(inner, &st, &g, false);
                    st.container_groups.insert(key.clone(), g);
                    drop(st);
                    let url = start_operation(inner, &sub, &location, &key, &api_version);
                    let status = if existing.is_some() {
                        StatusCode::OK
                    } else {
                        StatusCode::CREATED
                    };
                    Ok(with_async(json(status, body), &url))
                }
                (None, &Method::PATCH) => {
                    let body: Value = req.json(Flavor::Arm)?;
                    let g = st
                        .container_groups
                        .get_mut(&key)
                        .ok_or_else(|| not_found(&id))?;
                    if let Some(tags) = body.get("tags") {
                        g.tags = Some(tags.clone());
                    }
                    let g = g.clone();
                    Ok(json(StatusCode::OK, group_json(inner, &st, &g, false)))
                }
                (None, &Method::DELETE) => {
                    let Some(g) = st.container_groups.get_mut(&key) else {
                        return Ok(empty(StatusCode::NO_CONTENT));
                    };
                    g.provisioning_state = "Deleting".into();
                    g.busy_until_ms = now_ms() + delay_ms;
                    let location = g.location.clone();
                    drop(st);
                    let url = start_operation(inner, &sub, &location, &key, &api_version);
                    Ok(with_async(empty(StatusCode::ACCEPTED), &url))
                }
                (Some(action), &Method::POST) => {
                    let (location, private) = {
                        let g = st
                            .container_groups
                            .get(&key)
                            .ok_or_else(|| not_found(&id))?;
                        (g.location.clone(), is_private(g))
                    };
                    let new_ip = match action {
                        "stop" => None,
                        _ if private => Some(next_private_ip(&mut st, &key)),
                        _ => st.container_groups.get(&key).and_then(|g| g.ip.clone()),
                    };
                    if let Some(g) = st.container_groups.get_mut(&key) {
                        g.ip = new_ip;
                        g.state = if action == "stop" {
                            "Stopped".into()
                        } else {
                            "Running".into()
                        };
                        if action == "restart" {
                            g.restart_count += 1;
                        }
                        g.busy_until_ms = now_ms() + delay_ms;
                    }
                    drop(st);
                    let url = start_operation(inner, &sub, &location, &key, &api_version);
                    Ok(with_async(
                        empty(if action == "stop" {
                            StatusCode::NO_CONTENT
                        } else {
                            StatusCode::ACCEPTED
                        }),
                        &url,
                    ))
                }
                _ => Err(ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "Method not allowed.",
                )),
            }
        }
    }
}

fn list(inner: &Inner, req: &Req, st: &State, prefix: &str) -> ApiResult<Response> {
    let (skip, top) = super::paging(req, 100)?;
    let groups: Vec<&ContainerGroup> = st
        .container_groups
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(_, g)| g)
        .collect();
    let page: Vec<Value> = groups
        .iter()
        .skip(skip)
        .take(top)
        .map(|g| group_json(inner, st, g, false))
        .collect();
    let mut body = json!({"value": page});
    if skip + top < groups.len() {
        body["nextLink"] = json!(super::next_link(inner, req, skip + top));
    }
    Ok(json(StatusCode::OK, body))
}

/// Used by the admin API: the same restart as `POST .../restart`, optionally to a given IP.
pub(crate) fn restart(inner: &Inner, id: &str, ip: Option<String>) -> Result<String, String> {
    let key = id.to_ascii_lowercase();
    let mut st = lock(&inner.state);
    if !st.container_groups.contains_key(&key) {
        return Err(format!("no container group {id}"));
    }
    let ip = match ip {
        Some(ip) => ip,
        None => next_private_ip(&mut st, &key),
    };
    let g = st
        .container_groups
        .get_mut(&key)
        .ok_or_else(|| format!("no container group {id}"))?;
    g.ip = Some(ip.clone());
    g.restart_count += 1;
    g.state = "Running".into();
    Ok(ip)
}
