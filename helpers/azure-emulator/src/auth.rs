//! Bearer-token checks for ARM and Key Vault: the same token rules, each service's own errors.

use axum::http::StatusCode;

use crate::error::{ApiError, Flavor};
use crate::http::Req;
use crate::jwt::Claims;
use crate::{Inner, lock, rbac, state};

/// Who is calling, from a verified token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub object_id: String,
}

fn bearer(req: &Req) -> Option<&str> {
    let value = req.header("authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn audience_ok(aud: &str, expected: &str) -> bool {
    aud.trim_end_matches('/')
        .eq_ignore_ascii_case(expected.trim_end_matches('/'))
}

/// ARM: 401 `AuthenticationFailed` / `InvalidAuthenticationToken*` / `ExpiredAuthenticationToken`.
pub fn arm_caller(inner: &Inner, req: &Req) -> Result<Caller, ApiError> {
    let challenge = format!(
        "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"",
        inner.login_url(),
        inner.config.tenant_id
    );
    let unauthorized = |code: &str, msg: &str| {
        ApiError::new(StatusCode::UNAUTHORIZED, code, msg).challenge(challenge.clone())
    };
    let Some(token) = bearer(req) else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let claims: Claims = inner
        .signer
        .verify(token)
        .map_err(|_| unauthorized("InvalidAuthenticationToken", "The access token is invalid."))?;
    if claims.exp <= state::now() {
        return Err(unauthorized(
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        ));
    }
    if !audience_ok(&claims.aud, &inner.management_audience()) {
        return Err(unauthorized(
            "InvalidAuthenticationTokenAudience",
            &format!(
                "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with one of the allowed audiences '{}'.",
                claims.aud,
                inner.management_audience()
            ),
        ));
    }
    Ok(Caller {
        object_id: claims.oid,
    })
}

/// ARM authorisation: 403 `AuthorizationFailed` naming the action and scope, as Azure does.
pub fn arm_authorize(
    inner: &Inner,
    caller: &Caller,
    action: &str,
    scope: &str,
) -> Result<(), ApiError> {
    if rbac::allowed(&lock(&inner.state), &caller.object_id, action, scope) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client '{oid}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            oid = caller.object_id
        ),
    ))
}

/// Key Vault: no token → 401 with the challenge the SDK's challenge policy expects; a bad one →
/// 401 `Unauthorized` with an AKV error message.
pub fn kv_caller(inner: &Inner, req: &Req, vault_tenant: &str) -> Result<Caller, ApiError> {
    let challenge = format!(
        "Bearer authorization=\"{}/{}\", resource=\"{}\"",
        inner.login_url(),
        vault_tenant,
        inner.vault_audience()
    );
    let unauthorized = |msg: &str| {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", msg)
            .flavor(Flavor::KeyVault)
            .challenge(challenge.clone())
    };
    let Some(token) = bearer(req) else {
        return Err(unauthorized(
            "AKV10000: Request is missing a Bearer or PoP token.",
        ));
    };
    let claims: Claims = inner
        .signer
        .verify(token)
        .map_err(|_| unauthorized("AKV10021: Invalid token signature."))?;
    if claims.exp <= state::now() {
        return Err(unauthorized("AKV10032: Token has expired."));
    }
    if !audience_ok(&claims.aud, &inner.vault_audience()) {
        return Err(unauthorized(&format!(
            "AKV10022: Invalid audience. Expected {}, found: {}.",
            inner.vault_audience(),
            claims.aud
        )));
    }
    if !claims.tid.eq_ignore_ascii_case(vault_tenant) {
        return Err(unauthorized(&format!(
            "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/{vault_tenant}/, found https://sts.windows.net/{}/.",
            claims.tid
        )));
    }
    Ok(Caller {
        object_id: claims.oid,
    })
}

pub fn kv_authorize(
    inner: &Inner,
    caller: &Caller,
    action: &str,
    vault_resource_id: &str,
) -> Result<(), ApiError> {
    if rbac::allowed(
        &lock(&inner.state),
        &caller.object_id,
        action,
        vault_resource_id,
    ) {
        return Ok(());
    }
    Err(ApiError::kv(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "Caller is not authorized to perform action on resource. If role assignments, deny assignments or role definitions were changed recently, please observe propagation time. Caller: oid={}; Action: '{action}'; Resource: '{vault_resource_id}'; Vault: {}",
            caller.object_id,
            vault_resource_id.rsplit('/').next().unwrap_or_default()
        ),
    )
    .inner("ForbiddenByRbac"))
}
