//! Azure Resource Manager: routing by resource id, api-version checks, authentication and RBAC,
//! then the resource providers acilab calls.

mod aci;
mod dns;

use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Flavor};
use crate::http::Req;
use crate::{Inner, auth, faults};

pub(crate) use aci::restart as restart_group;
pub(crate) use dns::new_zone;

const PRIVATE_DNS_VERSIONS: &[&str] = &["2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"];
const DNS_VERSIONS: &[&str] = &[
    "2016-04-01",
    "2017-09-01",
    "2017-10-01",
    "2018-03-01-preview",
    "2018-05-01",
    "2023-07-01-preview",
];
const ACI_VERSIONS: &[&str] = &[
    "2021-09-01",
    "2021-10-01",
    "2022-09-01",
    "2022-10-01-preview",
    "2023-02-01-preview",
    "2023-05-01",
    "2024-05-01-preview",
    "2024-09-01-preview",
    "2024-10-01-preview",
    "2024-11-01-preview",
    "2025-09-01",
    "2026-05-01",
];

/// What a request addresses, after parsing the path.
#[derive(Debug)]
pub(crate) enum Target {
    Dns(dns::DnsTarget),
    Aci(aci::AciTarget),
}

/// Case-insensitive comparison of fixed path segments.
fn is(seg: Option<&String>, want: &str) -> bool {
    seg.is_some_and(|s| s.eq_ignore_ascii_case(want))
}

fn parse(req: &Req) -> Result<(Target, &'static [&'static str]), ApiError> {
    let s = &req.segments;
    let not_found = || {
        ApiError::not_found(
            "InvalidResourceType",
            format!(
                "No route for '{} {}' in the emulated resource manager.",
                req.method,
                req.path()
            ),
        )
    };
    if !is(s.first(), "subscriptions") || s.len() < 4 {
        return Err(not_found());
    }
    let sub = &s[1];
    // Subscription-level: /subscriptions/{s}/providers/Microsoft.ContainerInstance/...
    if is(s.get(2), "providers") {
        if is(s.get(3), "Microsoft.ContainerInstance") {
            return aci::parse_subscription_level(sub, &s[4..])
                .map(|t| (Target::Aci(t), ACI_VERSIONS))
                .ok_or_else(not_found);
        }
        return Err(not_found());
    }
    if !is(s.get(2), "resourceGroups") || !is(s.get(4), "providers") || s.len() < 7 {
        return Err(not_found());
    }
    let rg = &s[3];
    let (ns, rtype) = (&s[5], &s[6]);
    let rest = &s[7..];
    if ns.eq_ignore_ascii_case("Microsoft.Network") {
        if rtype.eq_ignore_ascii_case("privateDnsZones") {
            return dns::parse(false, sub, rg, rest)
                .map(|t| (Target::Dns(t), PRIVATE_DNS_VERSIONS))
                .ok_or_else(not_found);
        }
        if rtype.eq_ignore_ascii_case("dnsZones") {
            return dns::parse(true, sub, rg, rest)
                .map(|t| (Target::Dns(t), DNS_VERSIONS))
                .ok_or_else(not_found);
        }
    }
    if ns.eq_ignore_ascii_case("Microsoft.ContainerInstance")
        && rtype.eq_ignore_ascii_case("containerGroups")
    {
        return aci::parse_group(sub, rg, rest)
            .map(|t| (Target::Aci(t), ACI_VERSIONS))
            .ok_or_else(not_found);
    }
    Err(not_found())
}

fn check_api_version(req: &Req, supported: &[&str]) -> Result<(), ApiError> {
    match req.query("api-version") {
        None => Err(ApiError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(v) if supported.contains(&v) => Ok(()),
        Some(v) => Err(ApiError::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{}'.",
                supported.join(",")
            ),
        )),
    }
}

pub async fn handle(inner: &Inner, req: &Req) -> Response {
    match serve(inner, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn serve(inner: &Inner, req: &Req) -> Result<Response, ApiError> {
    let (target, versions) = parse(req)?;
    let (op, action, scope) = match &target {
        Target::Dns(t) => t.describe(&req.method)?,
        Target::Aci(t) => t.describe(&req.method)?,
    };
    let verdict = faults::observe(
        inner,
        "arm",
        op,
        req.method.as_str(),
        &req.path(),
        Flavor::Arm,
    )
    .await?;
    let caller = auth::arm_caller(inner, req)?;
    check_api_version(req, versions)?;
    auth::arm_authorize(inner, &caller, &action, &scope)?;
    match target {
        Target::Dns(t) => dns::serve(inner, req, t, verdict),
        Target::Aci(t) => aci::serve(inner, req, t),
    }
}

/// `nextLink` for a paged ARM list: the same URL with `$skipToken`.
pub(crate) fn next_link(inner: &Inner, req: &Req, skip: usize) -> String {
    let mut url = format!("{}{}?", inner.management_url(), req.path());
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &req.query {
        if !k.eq_ignore_ascii_case("$skipToken") {
            q.append_pair(k, v);
        }
    }
    q.append_pair("$skipToken", &skip.to_string());
    url.push_str(&q.finish());
    url
}

/// Offset and page size from `$skipToken` and `$top`.
pub(crate) fn paging(req: &Req, default_top: usize) -> Result<(usize, usize), ApiError> {
    let skip = match req.query("$skipToken") {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| ApiError::bad_request("InvalidSkipToken", "The skip token is invalid."))?,
    };
    let top = match req.query("$top") {
        None => default_top,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidTopParameter",
                    "$top must be a number from 1 to 1000.",
                )
            })?,
    };
    Ok((skip, top))
}
