//! The API's configuration: the database ([`app_db::DbConfig::from_env`], same variables as the
//! original) and the API's own settings, from environment variables or files of the same name
//! in the secrets directory. Every mistake is one [`ConfigError`] naming the variable.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use app_db::DbConfig;
use url::Url;

/// The variables the API reads itself (the database's are [`app_db::VARIABLES`]).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "BIND_ADDRESS",
        "address to listen on (default 127.0.0.1; the image sets 0.0.0.0)",
    ),
    (
        "PORT",
        "TCP port to listen on (default 8080, as the original)",
    ),
    (
        "SECRETS_DIR",
        "directory whose files supply variables not set in the environment (default /secrets, as the original)",
    ),
    (
        "PI_MAX_DIGITS",
        "largest `digits` /api/pi accepts (default 20000); larger requests get 400",
    ),
    (
        "PUBLIC_IP_ECHO_URL",
        "URL answering with the caller's public IP (plain text or JSON {\"ip\": ...}); /api/ip reports my_public_ip only when set",
    ),
    (
        "CURL_ALLOWED_URLS",
        "comma-separated http(s) URLs /api/curl may fetch (exactly these); unset: /api/curl is disabled",
    ),
    (
        "LOG_LEVEL",
        "error, warn, info (default) or debug (debug logs every request)",
    ),
];

/// Default secrets directory (the original read `/secrets`).
pub const DEFAULT_SECRETS_DIR: &str = "/secrets";

/// Everything the API needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen.
    pub bind: SocketAddr,
    /// The database.
    pub db: DbConfig,
    /// The secrets directory, if it exists.
    pub secrets_dir: Option<PathBuf>,
    /// Names of the files in the secrets directory (never shown by /api/printenv).
    pub secret_names: BTreeSet<String>,
    /// Largest `digits` for /api/pi.
    pub pi_max_digits: u32,
    /// Echo service for the egress public IP.
    pub public_ip_echo_url: Option<Url>,
    /// What /api/curl may fetch.
    pub curl_allowed_urls: Vec<Url>,
    /// Log level.
    pub log_level: tracing::Level,
}

/// A configuration mistake (no secret values in it).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A database variable.
    #[error(transparent)]
    Db(#[from] app_db::ConfigError),
    /// One of the API's own variables.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl ConfigError {
    /// The variable the error is about.
    pub fn variable(&self) -> &'static str {
        match self {
            ConfigError::Db(e) => e.variable(),
            ConfigError::Invalid { var, .. } => var,
        }
    }
}

fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        reason: reason.into(),
    }
}

impl Config {
    /// Reads the configuration from `env` (normally the process environment). The secrets
    /// directory is `SECRETS_DIR` (default `/secrets`); a missing directory is no error.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let secrets_dir = match env.get("SECRETS_DIR").filter(|v| !v.trim().is_empty()) {
            Some(d) => {
                let p = PathBuf::from(d);
                if !p.is_dir() {
                    return Err(invalid(
                        "SECRETS_DIR",
                        format!("{} is not a directory", p.display()),
                    ));
                }
                Some(p)
            }
            None => Some(PathBuf::from(DEFAULT_SECRETS_DIR)).filter(|p| p.is_dir()),
        };
        let dir = secrets_dir.as_deref();
        let get = |var: &'static str| -> Result<Option<String>, ConfigError> {
            if let Some(v) = env.get(var).filter(|v| !v.trim().is_empty()) {
                return Ok(Some(v.trim().to_string()));
            }
            Ok(app_db::read_secret_file(dir, var)?.map(|v| v.trim().to_string()))
        };

        let host: IpAddr = match get("BIND_ADDRESS")? {
            Some(v) => v
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| invalid("BIND_ADDRESS", format!("`{v}` is not an IP address")))?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let port = match get("PORT")? {
            Some(v) => v
                .parse::<u16>()
                .map_err(|_| invalid("PORT", format!("`{v}` is not a TCP port (0-65535)")))?,
            None => 8080,
        };
        let pi_max_digits = match get("PI_MAX_DIGITS")? {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "PI_MAX_DIGITS",
                        format!("`{v}` is not a whole number from 1 to 1000000"),
                    )
                })?,
            None => 20_000,
        };
        let public_ip_echo_url = get("PUBLIC_IP_ECHO_URL")?
            .map(|v| http_url("PUBLIC_IP_ECHO_URL", &v))
            .transpose()?;
        let curl_allowed_urls = match get("CURL_ALLOWED_URLS")? {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| http_url("CURL_ALLOWED_URLS", s))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let log_level = match get("LOG_LEVEL")?.map(|v| v.to_ascii_lowercase()) {
            None => tracing::Level::INFO,
            Some(v) => match v.as_str() {
                "error" => tracing::Level::ERROR,
                "warn" | "warning" => tracing::Level::WARN,
                "info" => tracing::Level::INFO,
                "debug" => tracing::Level::DEBUG,
                "trace" => tracing::Level::TRACE,
                _ => {
                    return Err(invalid(
                        "LOG_LEVEL",
                        format!("`{v}` is not one of error, warn, info, debug"),
                    ));
                }
            },
        };
        let db = DbConfig::from_env(env, dir)?;
        Ok(Self {
            bind: SocketAddr::new(host, port),
            db,
            secret_names: secret_names(dir),
            secrets_dir,
            pi_max_digits,
            public_ip_echo_url,
            curl_allowed_urls,
            log_level,
        })
    }

    /// Every variable (the API's and the database's) with its description, for `--help`.
    pub fn all_variables() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
        VARIABLES.iter().chain(app_db::VARIABLES.iter())
    }
}

fn http_url(var: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| invalid(var, format!("`{value}`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(var, format!("`{value}` is not an http(s) URL")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(var, "URLs with credentials are not allowed"));
    }
    Ok(url)
}

/// File names in the secrets directory.
fn secret_names(dir: Option<&Path>) -> BTreeSet<String> {
    let Some(dir) = dir else {
        return BTreeSet::new();
    };
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = [
            ("SQL_ENGINE", "postgres"),
            ("SQL_SERVER_FQDN", "db"),
            ("SQL_SERVER_USERNAME", "u"),
            ("SQL_SERVER_PASSWORD", "p"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    #[test]
    fn defaults() {
        let c = Config::from_env(&env(&[])).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.pi_max_digits, 20_000);
        assert!(c.public_ip_echo_url.is_none());
        assert!(c.curl_allowed_urls.is_empty());
        assert_eq!(c.log_level, tracing::Level::INFO);
    }

    #[test]
    fn bind_and_lists() {
        let c = Config::from_env(&env(&[
            ("BIND_ADDRESS", "0.0.0.0"),
            ("PORT", "9000"),
            (
                "CURL_ALLOWED_URLS",
                "http://a.example/x, https://b.example/",
            ),
            ("PUBLIC_IP_ECHO_URL", "https://ifconfig.example/json"),
        ]))
        .unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.curl_allowed_urls.len(), 2);
        let c = Config::from_env(&env(&[("BIND_ADDRESS", "::")])).unwrap();
        assert!(c.bind.is_ipv6());
    }

    #[test]
    fn mistakes_name_the_variable() {
        for (var, value) in [
            ("BIND_ADDRESS", "localhost"),
            ("PORT", "http"),
            ("PI_MAX_DIGITS", "0"),
            ("PUBLIC_IP_ECHO_URL", "file:///etc/passwd"),
            ("CURL_ALLOWED_URLS", "http://ok.example,gopher://x"),
            ("CURL_ALLOWED_URLS", "http://user:pw@ok.example/"),
            ("LOG_LEVEL", "loud"),
            ("SECRETS_DIR", "/nonexistent/secrets"),
            ("SQL_ENGINE", "oracle"),
        ] {
            let e = Config::from_env(&env(&[(var, value)])).unwrap_err();
            assert_eq!(e.variable(), var, "{e}");
        }
        let mut m = env(&[]);
        m.remove("SQL_SERVER_FQDN");
        assert_eq!(
            Config::from_env(&m).unwrap_err().variable(),
            "SQL_SERVER_FQDN"
        );
    }
}
