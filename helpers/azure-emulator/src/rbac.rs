//! Azure RBAC, reduced to what acilab needs: built-in roles as action patterns, assignments at a
//! scope inherited by everything below it.

use crate::state::{RoleAssignment, State};

/// A built-in role: control-plane `Actions` and data-plane `DataActions`, kept apart as in Azure
/// (no control-plane pattern, not even `*`, grants a data action).
#[derive(Debug)]
pub struct Role {
    pub actions: &'static [&'static str],
    pub data_actions: &'static [&'static str],
}

/// The built-in roles acilab's identities use. `None` for unknown roles.
pub fn role(name: &str) -> Option<Role> {
    let control = |actions| Role {
        actions,
        data_actions: &[],
    };
    let data = |data_actions| Role {
        actions: &[],
        data_actions,
    };
    Some(match name {
        "Owner" | "Contributor" => control(&["*"]),
        "Reader" => control(&["*/read"]),
        "Private DNS Zone Contributor" => {
            control(&["Microsoft.Network/privateDnsZones/*", "*/read"])
        }
        "DNS Zone Contributor" => control(&["Microsoft.Network/dnsZones/*", "*/read"]),
        "Key Vault Administrator" => data(&["Microsoft.KeyVault/vaults/*"]),
        "Key Vault Certificates Officer" => data(&[
            "Microsoft.KeyVault/vaults/certificates/*",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ]),
        "Key Vault Certificate User" => data(&[
            "Microsoft.KeyVault/vaults/certificates/read",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ]),
        "Key Vault Secrets Officer" => data(&["Microsoft.KeyVault/vaults/secrets/*"]),
        "Key Vault Secrets User" => data(&[
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ]),
        "Key Vault Reader" => data(&[
            "Microsoft.KeyVault/vaults/certificates/read",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
        ]),
        _ => return None,
    })
}

/// Key Vault certificate and secret operations are data actions.
fn is_data_action(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a.starts_with("microsoft.keyvault/vaults/certificates/")
        || a.starts_with("microsoft.keyvault/vaults/secrets/")
}

fn pattern_matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    if p == "*" {
        return true;
    }
    if let Some(suffix) = p.strip_prefix('*') {
        return a.ends_with(suffix);
    }
    if let Some(prefix) = p.strip_suffix('*') {
        return a.starts_with(prefix);
    }
    p == a
}

/// `scope` covers `resource` when it is the same id or an ancestor of it.
fn scope_covers(scope: &str, resource: &str) -> bool {
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    let resource = resource.to_ascii_lowercase();
    scope.is_empty()
        || scope == "/"
        || resource == scope
        || resource.starts_with(&format!("{scope}/"))
}

pub fn allowed(state: &State, principal: &str, action: &str, resource: &str) -> bool {
    state.role_assignments.iter().any(
        |RoleAssignment {
             principal_id,
             role: name,
             scope,
         }| {
            principal_id.eq_ignore_ascii_case(principal)
                && scope_covers(scope, resource)
                && role(name).is_some_and(|r| {
                    let patterns = if is_data_action(action) {
                        r.data_actions
                    } else {
                        r.actions
                    };
                    patterns.iter().any(|p| pattern_matches(p, action))
                })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(role: &str, scope: &str) -> State {
        State {
            role_assignments: vec![RoleAssignment {
                principal_id: "p".into(),
                role: role.into(),
                scope: scope.into(),
            }],
            ..State::default()
        }
    }

    #[test]
    fn inheritance_and_actions() {
        let s = state(
            "Private DNS Zone Contributor",
            "/subscriptions/s/resourceGroups/rg",
        );
        let rec =
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/privateDnsZones/z/A/x";
        assert!(allowed(
            &s,
            "p",
            "Microsoft.Network/privateDnsZones/A/write",
            rec
        ));
        assert!(!allowed(
            &s,
            "q",
            "Microsoft.Network/privateDnsZones/A/write",
            rec
        ));
        assert!(!allowed(
            &s,
            "p",
            "Microsoft.Network/dnsZones/TXT/write",
            rec
        ));
        assert!(!allowed(
            &s,
            "p",
            "Microsoft.Network/privateDnsZones/A/write",
            "/subscriptions/s/resourceGroups/rg2/x"
        ));
        // "rg" must not cover "rg2" by string prefix.
        assert!(!allowed(
            &s,
            "p",
            "Microsoft.Network/privateDnsZones/A/write",
            "/subscriptions/s/resourceGroups/rg2"
        ));
    }

    #[test]
    fn contributor_has_no_vault_data_actions() {
        let s = state("Contributor", "/subscriptions/s");
        assert!(allowed(
            &s,
            "p",
            "Microsoft.ContainerInstance/containerGroups/read",
            "/subscriptions/s/x"
        ));
        assert!(!allowed(
            &s,
            "p",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "/subscriptions/s/x"
        ));
        // `*/read` is a control-plane pattern: it does not read certificates.
        let s = state("Reader", "/subscriptions/s");
        assert!(!allowed(
            &s,
            "p",
            "Microsoft.KeyVault/vaults/certificates/read",
            "/subscriptions/s/x"
        ));
        let s = state("Key Vault Secrets User", "/subscriptions/s");
        assert!(allowed(
            &s,
            "p",
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "/subscriptions/s/x"
        ));
        assert!(!allowed(
            &s,
            "p",
            "Microsoft.KeyVault/vaults/certificates/create/action",
            "/subscriptions/s/x"
        ));
    }
}
