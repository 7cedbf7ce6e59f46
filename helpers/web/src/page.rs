//! The HTML pages, rendered with maud: every value from the API, the request or the system is
//! inserted as text, so maud escapes it (`<script>` from the API shows as text, never runs).

use maud::{DOCTYPE, Markup, html};
use serde_json::{Map, Value};

use crate::api::{ApiFailure, ApiReport};

/// Where the nav bar's documentation links point.
const API_DOCS: &str = "https://github.com/acilab/acilab/blob/main/helpers/sql-api/README.md";
const WEB_DOCS: &str = "https://github.com/acilab/acilab/blob/main/helpers/web/README.md";

/// The connectivity fields of `/api/ip` the page lists, with their labels (the original's).
const IP_FIELDS: &[(&str, &str)] = &[
    ("my_private_ip", "Private IP address"),
    ("my_public_ip", "Public (egress) IP address"),
    ("my_default_gateway", "Default gateway"),
    ("my_dns_servers", "DNS servers"),
    ("your_address", "HTTP request source IP address"),
    ("x-forwarded-for", "HTTP request X-Forwarded-For header"),
    ("host", "HTTP request Host header"),
    ("path_accessed", "HTTP requested path"),
];

/// What the nav bar and headings need from the request and the system.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub hostname: &'a str,
    /// `Hello, <name>` from the request's (unverified) JWT, or `None`: "Not authenticated".
    pub user: Option<&'a str>,
}

/// Local facts for the Info page.
#[derive(Debug, Clone, Default)]
pub struct LocalInfo {
    pub software: String,
    pub kernel: Option<String>,
    pub server_address: Option<String>,
    pub remote_address: Option<String>,
    pub forwarded_for: Option<String>,
    pub real_ip: Option<String>,
    pub host_header: Option<String>,
}

fn layout(ctx: &Context<'_>, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="description" content="acilab sample web frontend";
                title { (title) " · " (ctx.hostname) }
                link rel="stylesheet" href="/styles.css";
            }
            body {
                header.header {
                    div.container {
                        h1.header-heading { "Welcome to " (ctx.hostname) }
                    }
                }
                nav.nav-bar {
                    div.container {
                        ul.nav {
                            li { a href="/" { "Home" } }
                            li { a href="/info" { "Info" } }
                            li { a href="/healthcheck.html" { "Healthcheck" } }
                            li { a href=(API_DOCS) { "API docs" } }
                            li { a href=(WEB_DOCS) { "Web docs" } }
                            li.user {
                                @match ctx.user {
                                    Some(name) => { "Hello, " (name) }
                                    None => { "Not authenticated" }
                                }
                            }
                        }
                    }
                }
                main.content {
                    div.container { (main) }
                }
                footer.footer {
                    div.container { "acilab web " (env!("CARGO_PKG_VERSION")) }
                }
            }
        }
    }
}

/// The home page: hostname and what the API reports.
pub fn home(ctx: &Context<'_>, api_url: &str, report: &ApiReport) -> Markup {
    let all_down = [
        &report.health,
        &report.sql_version,
        &report.sql_src_ip,
        &report.ip,
    ]
    .iter()
    .all(|r| matches!(r, Err(ApiFailure::Connect(_) | ApiFailure::Timeout(_))));
    let main = html! {
        h1 { (ctx.hostname) }
        h3 { "Information retrieved from API " code { (api_url) } ":" }
        @if all_down {
            p.error role="alert" id="api-down" {
                "The API at " code { (api_url) } " is not reachable; the parts below that need it are marked."
            }
        }
        ul id="api" {
            li id="health" {
                "Healthcheck: " (field(&report.health, "health"))
            }
            li id="sqlversion" {
                "SQL version: " (field(&report.sql_version, "sql_output"))
            }
            li id="sqlsrcip" {
                "Source IP address seen by SQL: " (field(&report.sql_src_ip, "sql_output"))
            }
            li id="ip" {
                "Connectivity info for SQL API pod:"
                @match &report.ip {
                    Ok(map) => {
                        ul {
                            @for (key, label) in IP_FIELDS {
                                li data-field=(key) { (label) ": " (value(map.get(*key))) }
                            }
                        }
                    }
                    Err(failure) => { " " (unavailable(failure)) }
                }
            }
        }
        h3 { "Direct access to API" }
        p {
            "These links work when a reverse proxy (the nginx sidecar, Application Gateway or an \
             ingress controller) sends /api/ to the API:"
        }
        ul {
            li { a href="/api/healthcheck" { "API health status" } }
            li { a href="/api/sqlversion" { "SQL version" } }
            li { a href="/api/sqlsrcip" { "Source IP address seen by SQL" } }
            li { a href="/api/ip" { "API connectivity information" } }
        }
    };
    layout(ctx, "Sample container", main)
}

/// The Info page: facts about this container and the request, none from a shell.
pub fn info(ctx: &Context<'_>, local: &LocalInfo) -> Markup {
    let main = html! {
        h1 { (ctx.hostname) }
        h3 { "Local information" }
        ul id="local" {
            li { "Name: " (ctx.hostname) }
            li { "Software: " (local.software) }
            li { "Kernel: " (opt(local.kernel.as_deref())) }
            li { "Server address: " (opt(local.server_address.as_deref())) }
        }
        h3 { "What I see about you" }
        ul id="client" {
            li { "Remote address: " (opt(local.remote_address.as_deref())) }
            li { "X-Forwarded-For: " (opt(local.forwarded_for.as_deref())) }
            li { "X-Real-IP: " (opt(local.real_ip.as_deref())) }
            li { "Host header: " (opt(local.host_header.as_deref())) }
        }
    };
    layout(ctx, "Info", main)
}

/// A page for unknown paths (status 404 is set by the caller).
pub fn not_found(ctx: &Context<'_>, path: &str) -> Markup {
    let main = html! {
        h1 { "Not found" }
        p { "There is no page at " code { (path) } ". " a href="/" { "Home" } }
    };
    layout(ctx, "Not found", main)
}

fn field(result: &Result<Map<String, Value>, ApiFailure>, key: &str) -> Markup {
    match result {
        Ok(map) => value(map.get(key)),
        Err(failure) => unavailable(failure),
    }
}

fn unavailable(failure: &ApiFailure) -> Markup {
    html! { span.error.unavailable { "unavailable: " (failure.to_string()) } }
}

fn opt(v: Option<&str>) -> Markup {
    match v {
        Some(s) if !s.is_empty() => html! { (s) },
        _ => missing(),
    }
}

fn missing() -> Markup {
    html! { span.missing { "not reported" } }
}

/// One JSON value as text: strings as they are, lists joined by commas, `null` or an absent
/// field as "not reported".
fn value(v: Option<&Value>) -> Markup {
    match v {
        None | Some(Value::Null) => missing(),
        Some(Value::String(s)) if s.is_empty() => missing(),
        Some(v) => html! { (text(v)) },
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
