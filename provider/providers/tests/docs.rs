//! The registry docs document exactly what the providers serve: every argument and attribute,
//! and no name that does not exist.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use tfplugin6::{Provider, Schema};

/// Names documented as `- \`name\` (Type) …` list items.
fn documented(path: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path),
    )
    .unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once("` ("))
        .map(|(name, _)| name.to_string())
        .collect()
}

fn served(schema: &Schema) -> BTreeSet<String> {
    schema
        .attributes
        .iter()
        .map(|a| a.name.to_string())
        .collect()
}

#[test]
fn provider_and_resource_docs_match_the_schema() {
    let aci = acilab_providers::aci::AciProvider;
    assert_eq!(documented("docs/index.md"), served(&aci.schema()));
    for r in aci.resources() {
        let page = format!(
            "docs/resources/{}.md",
            r.type_name().trim_start_matches("aci_")
        );
        assert_eq!(documented(&page), served(&r.schema()), "{page}");
    }
    let le = acilab_providers::letsencrypt::LetsEncryptProvider;
    assert_eq!(
        served(&le.schema()),
        served(&aci.schema()),
        "both providers share docs/index.md"
    );
    for r in le.resources() {
        let page = format!(
            "docs/resources/{}.md",
            r.type_name().trim_start_matches("letsencrypt_")
        );
        assert_eq!(documented(&page), served(&r.schema()), "{page}");
    }
}
