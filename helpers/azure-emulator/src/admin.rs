//! The admin API (plain HTTP on loopback, under `/admin`): seed state, inject faults, read
//! request counters, restart container groups, mint tokens for tests. Test tooling, never an
//! Azure API.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::http::{Req, json};
use crate::jwt::Claims;
use crate::{FaultRule, Inner, lock, seed, state};

fn err(status: StatusCode, msg: impl Into<String>) -> Response {
    json(status, json!({"error": msg.into()}))
}

fn body<T: for<'de> Deserialize<'de>>(req: &Req) -> Result<T, String> {
    let bytes: &[u8] = if req.body.is_empty() {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON body: {e}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestartBody {
    id: String,
    #[serde(default)]
    ip: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seconds {
    #[serde(default)]
    seconds: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcBody {
    subject: String,
    #[serde(default = "default_oidc_audience")]
    audience: String,
    #[serde(default = "default_lifetime")]
    lifetime_secs: i64,
}

fn default_oidc_audience() -> String {
    "api://AzureADTokenExchange".into()
}
fn default_lifetime() -> i64 {
    600
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    audience: String,
    object_id: String,
    #[serde(default = "default_lifetime")]
    lifetime_secs: i64,
}

pub async fn handle(inner: &Inner, req: &Req) -> Response {
    let segs: Vec<&str> = req.segments.iter().skip(1).map(String::as_str).collect();
    match (&req.method, segs.as_slice()) {
        (&Method::GET, ["health"]) => {
            let (endpoint, header) = (
                format!("http://127.0.0.1:{}/msi/token", inner.http_port),
                inner.identity_header.clone(),
            );
            json(
                StatusCode::OK,
                json!({
                    "status": "ok",
                    "tenant_id": inner.config.tenant_id,
                    "domain": inner.config.domain,
                    "login_url": inner.login_url(),
                    "management_url": inner.management_url(),
                    "management_scope": format!("{}.default", inner.management_audience()),
                    "keyvault_suffix": format!("vault.{}:{}", inner.config.domain, inner.https_port),
                    "dns_port": inner.dns_port,
                    "imds_token_url": format!("http://127.0.0.1:{}/metadata/identity/oauth2/token", inner.http_port),
                    "identity_endpoint": endpoint,
                    "identity_header": header,
                    "oidc_issuer": inner.oidc_issuer(),
                }),
            )
        }
        (&Method::POST, ["seed"]) => match body::<seed::Seed>(req) {
            Ok(s) => match seed::apply(inner, s, seed::Existing::Replace) {
                Ok(()) => json(StatusCode::OK, json!({"status": "seeded"})),
                Err(e) => err(StatusCode::BAD_REQUEST, e.to_string()),
            },
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        (&Method::GET, ["state"]) => json(StatusCode::OK, json!(*lock(&inner.state))),
        (&Method::GET, ["counters"]) => json(StatusCode::OK, json!(*lock(&inner.counters))),
        (&Method::DELETE, ["counters"]) => {
            lock(&inner.counters).clear();
            json(StatusCode::OK, json!({}))
        }
        (&Method::GET, ["faults"]) => json(StatusCode::OK, json!(*lock(&inner.faults))),
        (&Method::POST, ["faults"]) => match body::<FaultRule>(req) {
            Ok(mut rule) => {
                let mut rules = lock(&inner.faults);
                rule.id = rules.iter().map(|r| r.id).max().unwrap_or(0) + 1;
                rule.seen = 0;
                rule.applied = 0;
                let out = json!(rule);
                rules.push(rule);
                json(StatusCode::CREATED, out)
            }
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        (&Method::DELETE, ["faults"]) => {
            lock(&inner.faults).clear();
            json(StatusCode::OK, json!({}))
        }
        (&Method::POST, ["container-groups", "restart"]) => match body::<RestartBody>(req) {
            Ok(b) => match seed::restart(inner, &b.id, b.ip) {
                Ok(ip) => json(StatusCode::OK, json!({"id": b.id, "ip": ip})),
                Err(e) => err(StatusCode::NOT_FOUND, e),
            },
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        (&Method::POST, ["identity", "not-ready"]) => match body::<Seconds>(req) {
            Ok(b) => {
                *lock(&inner.identity_not_ready_until) =
                    Some(Instant::now() + Duration::from_secs_f64(b.seconds.max(0.0)));
                json(StatusCode::OK, json!({"not_ready_for_seconds": b.seconds}))
            }
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        (&Method::POST, ["keyvault", "delete-delay"]) => match body::<Seconds>(req) {
            Ok(b) => {
                *lock(&inner.kv_delete_delay) = Duration::from_secs_f64(b.seconds.max(0.0));
                json(StatusCode::OK, json!({"delete_delay_seconds": b.seconds}))
            }
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        // GitHub Actions' shape: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=… with a bearer
        // request token; here the subject comes from the query.
        (&Method::GET, ["github-oidc"]) => {
            if req
                .header("authorization")
                .is_none_or(|a| !a.starts_with("Bearer ") || a.len() < 8)
            {
                return err(StatusCode::UNAUTHORIZED, "missing bearer request token");
            }
            let (Some(subject), Some(audience)) = (req.query("subject"), req.query("audience"))
            else {
                return err(
                    StatusCode::BAD_REQUEST,
                    "subject and audience query parameters are required",
                );
            };
            let now = state::now() as i64;
            let claims = json!({"iss": inner.oidc_issuer(), "sub": subject, "aud": audience, "iat": now, "nbf": now, "exp": now + 600});
            json(
                StatusCode::OK,
                json!({"count": 1, "value": inner.signer.sign(&claims)}),
            )
        }
        (&Method::POST, ["oidc-token"]) => match body::<OidcBody>(req) {
            // A GitHub-Actions-like ID token the emulator's Entra accepts as a client assertion.
            Ok(b) => {
                let now = state::now() as i64;
                let claims = json!({
                    "iss": inner.oidc_issuer(), "sub": b.subject, "aud": b.audience,
                    "iat": now, "nbf": now, "exp": now + b.lifetime_secs,
                });
                json(
                    StatusCode::OK,
                    json!({"value": inner.signer.sign(&claims), "issuer": inner.oidc_issuer()}),
                )
            }
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        (&Method::POST, ["token"]) => match body::<TokenBody>(req) {
            // A token with any lifetime (negative: already expired) for tests of 401 handling.
            Ok(b) => {
                let now = state::now() as i64;
                let claims = Claims {
                    aud: b.audience,
                    iss: format!("https://sts.windows.net/{}/", inner.config.tenant_id),
                    iat: now.max(0) as u64,
                    nbf: (now + b.lifetime_secs.min(0) - 60).max(0) as u64,
                    exp: (now + b.lifetime_secs).max(0) as u64,
                    tid: inner.config.tenant_id.clone(),
                    oid: b.object_id.clone(),
                    sub: b.object_id,
                    appid: String::new(),
                };
                json(
                    StatusCode::OK,
                    json!({"access_token": inner.signer.sign(&claims)}),
                )
            }
            Err(e) => err(StatusCode::BAD_REQUEST, e),
        },
        _ => err(
            StatusCode::NOT_FOUND,
            format!("no admin route {} {}", req.method, req.path()),
        ),
    }
}
