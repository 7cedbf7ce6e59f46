//! Azure resource ids acilab takes from users, parsed once so every tool gives the same answer.

/// A Private DNS zone id, normalised (no trailing slash) with the zone name in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateZoneId {
    pub id: String,
    pub zone: String,
}

fn segments(id: &str) -> Vec<&str> {
    id.trim_end_matches('/').split('/').collect()
}

/// `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>`.
pub fn parse_private_zone_id(id: &str) -> Option<PrivateZoneId> {
    let parts = segments(id);
    match parts.as_slice() {
        ["", s, sub, r, rg, p, ns, t, zone]
            if s.eq_ignore_ascii_case("subscriptions")
                && !sub.is_empty()
                && r.eq_ignore_ascii_case("resourceGroups")
                && !rg.is_empty()
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.Network")
                && t.eq_ignore_ascii_case("privateDnsZones")
                && !zone.is_empty() =>
        {
            Some(PrivateZoneId {
                id: parts.join("/"),
                zone: zone.to_ascii_lowercase(),
            })
        }
        _ => None,
    }
}

/// `/subscriptions/<s>/resourceGroups/<rg>` of a container group id
/// (`…/providers/Microsoft.ContainerInstance/containerGroups/<name>`), or `None` if `id` is not one.
pub fn container_group_resource_group(id: &str) -> Option<String> {
    let parts = segments(id);
    match parts.as_slice() {
        ["", s, sub, r, rg, p, ns, t, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && !sub.is_empty()
                && r.eq_ignore_ascii_case("resourceGroups")
                && !rg.is_empty()
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.ContainerInstance")
                && t.eq_ignore_ascii_case("containerGroups")
                && !name.is_empty() =>
        {
            Some(format!("/subscriptions/{sub}/resourceGroups/{rg}"))
        }
        _ => None,
    }
}

/// A relative DNS record name: `@` for the apex, or dot-separated labels of letters, digits,
/// `-` and `_` (1–63 characters each, 253 in all).
pub fn valid_record_name(name: &str) -> bool {
    name == "@"
        || (!name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        let z = parse_private_zone_id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/Acilab.Internal/").expect("zone");
        assert_eq!(z.zone, "acilab.internal");
        assert!(!z.id.ends_with('/'));
        assert!(
            parse_private_zone_id(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/dnsZones/x"
            )
            .is_none()
        );
        assert!(parse_private_zone_id("acilab.internal").is_none());
        assert_eq!(
            container_group_resource_group("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/app").as_deref(),
            Some("/subscriptions/s/resourceGroups/rg")
        );
        assert!(container_group_resource_group("/subscriptions/s/resourceGroups/rg").is_none());
        assert!(valid_record_name("app") && valid_record_name("@") && valid_record_name("a.b"));
        assert!(
            !valid_record_name("bad name") && !valid_record_name("") && !valid_record_name("a..b")
        );
    }
}
