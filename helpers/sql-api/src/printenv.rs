//! What /api/printenv may show: the environment without anything secret. A variable is left out
//! when its name contains PASS, SECRET, TOKEN, KEY, CREDENTIAL, PRIVATE, CONNECTION_STRING,
//! CONNSTR or SAS_ or is IDENTITY_HEADER (the managed-identity endpoint's secret); when a file of
//! that name is in the secrets directory; when its value is the database password; or when its
//! value holds a URL with a password.

use std::collections::{BTreeMap, BTreeSet};

const SECRET_NAME_PARTS: &[&str] = &[
    "PASS",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "PRIVATE",
    "CONNECTION_STRING",
    "CONNSTR",
    "SAS_",
    "IDENTITY_HEADER",
];

/// Whether a variable name looks like it holds a secret.
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|p| upper.contains(p))
}

/// `scheme://user:password@…` anywhere in the value.
fn has_url_password(value: &str) -> bool {
    value.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// The environment as /api/printenv shows it.
pub fn visible_env(
    env: &BTreeMap<String, String>,
    secret_files: &BTreeSet<String>,
    secret_values: &[&str],
) -> BTreeMap<String, String> {
    env.iter()
        .filter(|(name, value)| {
            !secret_name(name)
                && !secret_files.contains(name.as_str())
                && !secret_values
                    .iter()
                    .any(|s| !s.is_empty() && value.contains(s))
                && !has_url_password(value)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_secrets() {
        let env: BTreeMap<String, String> = [
            ("PATH", "/usr/bin"),
            ("HOSTNAME", "api-0"),
            ("SQL_SERVER_FQDN", "db.example"),
            ("SQL_SERVER_PASSWORD", "pw1"),
            ("sql_server_password", "pw1"),
            ("AKV_SECRET_NAME", "dbpw"),
            ("GITHUB_TOKEN", "t"),
            ("API_KEY", "k"),
            ("IDENTITY_HEADER", "h"),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "c"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
            ("PLAIN_URL", "https://example.com/path@x"),
            ("FROM_FILE", "x"),
            ("COPY_OF_PW", "the-db-password"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let files: BTreeSet<String> = ["FROM_FILE".to_string()].into();
        let shown = visible_env(&env, &files, &["the-db-password"]);
        let names: Vec<&str> = shown.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            vec!["HOSTNAME", "PATH", "PLAIN_URL", "SQL_SERVER_FQDN"]
        );
    }
}
