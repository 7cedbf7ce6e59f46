//! The dashboard's own settings (the database's come from `app_db::DbConfig::from_env`). Every
//! mistake is one line naming the variable (`main` prints it and exits with code 2).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The dashboard's own variables, with a short description (`--help` prints them with the
/// database's).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "LISTEN_ADDR",
        "address and port to listen on (default 0.0.0.0:8050)",
    ),
    (
        "SECRETS_DIR",
        "directory where each SQL_* variable may instead be a file of that name (default /secrets, as the original)",
    ),
    (
        "LOG_LEVEL",
        "log level: error, warn, info (default), debug or trace",
    ),
];

pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:8050";
pub const DEFAULT_SECRETS_DIR: &str = "/secrets";

/// A configuration mistake: which variable and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub secrets_dir: PathBuf,
    pub log_level: tracing::Level,
}

impl Config {
    /// Reads the variables from `env`; an empty value counts as unset.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let get = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let listen_addr = get("LISTEN_ADDR")
            .unwrap_or(DEFAULT_LISTEN_ADDR)
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError {
                variable: "LISTEN_ADDR",
                message: "expected an address and port such as 0.0.0.0:8050 or [::]:8050".into(),
            })?;
        let secrets_dir = PathBuf::from(get("SECRETS_DIR").unwrap_or(DEFAULT_SECRETS_DIR));
        let log_level = match get("LOG_LEVEL") {
            None => tracing::Level::INFO,
            Some(v) => v.parse::<tracing::Level>().map_err(|_| ConfigError {
                variable: "LOG_LEVEL",
                message: format!("expected error, warn, info, debug or trace, got {v:?}"),
            })?,
        };
        Ok(Config {
            listen_addr,
            secrets_dir,
            log_level,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = Config::from_env(&BTreeMap::new()).unwrap();
        assert_eq!(c.listen_addr, "0.0.0.0:8050".parse().unwrap());
        assert_eq!(c.secrets_dir, PathBuf::from("/secrets"));
        for (k, v) in [("LISTEN_ADDR", "8050"), ("LOG_LEVEL", "noisy")] {
            let env = BTreeMap::from([(k.to_owned(), v.to_owned())]);
            let e = Config::from_env(&env).unwrap_err();
            assert_eq!(e.variable, k);
            assert!(e.to_string().starts_with(&format!("{k}: ")));
        }
    }
}
