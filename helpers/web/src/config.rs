//! The frontend's configuration, from environment variables only. Every mistake is one line
//! naming the variable (`main` prints it and exits with code 2).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

/// Every variable the frontend reads, with a short description (`--help` prints them).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "API_URL",
        "base URL of the SQL API, http:// or https:// (default http://127.0.0.1:8080)",
    ),
    (
        "LISTEN_ADDR",
        "address and port to listen on (default 0.0.0.0:80)",
    ),
    (
        "API_TIMEOUT_SECONDS",
        "time allowed for each call to the API (default 8)",
    ),
    (
        "LOG_LEVEL",
        "log level: error, warn, info (default), debug or trace",
    ),
];

pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8080";
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:80";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

/// A configuration mistake: which variable, and what is wrong with it (never its whole value
/// when that could hold a secret).
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn err(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL of the API, without a trailing slash in its path.
    pub api_url: Url,
    pub listen_addr: SocketAddr,
    pub api_timeout: Duration,
    pub log_level: tracing::Level,
}

impl Config {
    /// Reads the variables from `env` (the process environment in `main`, a map in tests). An
    /// empty value counts as unset.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let get = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

        let api_url = parse_api_url(get("API_URL").unwrap_or(DEFAULT_API_URL))?;

        let listen_addr = get("LISTEN_ADDR")
            .unwrap_or(DEFAULT_LISTEN_ADDR)
            .parse::<SocketAddr>()
            .map_err(|_| {
                err(
                    "LISTEN_ADDR",
                    "expected an address and port such as 0.0.0.0:80 or [::]:80",
                )
            })?;

        let api_timeout = match get("API_TIMEOUT_SECONDS") {
            None => DEFAULT_TIMEOUT,
            Some(v) => match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 && s <= 300.0 => Duration::from_secs_f64(s),
                _ => {
                    return Err(err(
                        "API_TIMEOUT_SECONDS",
                        format!("expected a number of seconds above 0 and at most 300, got {v:?}"),
                    ));
                }
            },
        };

        let log_level = match get("LOG_LEVEL") {
            None => tracing::Level::INFO,
            Some(v) => v.parse::<tracing::Level>().map_err(|_| {
                err(
                    "LOG_LEVEL",
                    format!("expected error, warn, info, debug or trace, got {v:?}"),
                )
            })?,
        };

        Ok(Config {
            api_url,
            listen_addr,
            api_timeout,
            log_level,
        })
    }

    /// The API's URL as shown on the page and in logs: without user name or password.
    pub fn api_url_display(&self) -> String {
        redact(&self.api_url)
    }
}

fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.as_str().trim_end_matches('/').to_owned()
}

fn parse_api_url(raw: &str) -> Result<Url, ConfigError> {
    const NAME: &str = "API_URL";
    let mut url = Url::parse(raw).map_err(|e| {
        err(
            NAME,
            format!("not a URL ({e}); expected something like http://127.0.0.1:8080"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err(
            NAME,
            format!(
                "scheme must be http or https, got {:?} in {}",
                url.scheme(),
                redact(&url)
            ),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err(NAME, "the URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err(
            NAME,
            format!(
                "must be a base URL without query or fragment, got {}",
                redact(&url)
            ),
        ));
    }
    // `/api/...` paths are appended to the base path, so it must end in exactly one slash.
    let path = format!("{}/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::from_env(&env(&[])).unwrap();
        assert_eq!(c.api_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.listen_addr, "0.0.0.0:80".parse().unwrap());
        assert_eq!(c.api_timeout, Duration::from_secs(8));
        assert_eq!(c.log_level, tracing::Level::INFO);
        assert_eq!(c.api_url_display(), "http://127.0.0.1:8080");
    }

    #[test]
    fn base_path_and_redaction() {
        let c = Config::from_env(&env(&[
            ("API_URL", "https://user:secret@api.example:8443/prefix"),
            ("LISTEN_ADDR", "127.0.0.1:8081"),
            ("API_TIMEOUT_SECONDS", "0.5"),
            ("LOG_LEVEL", "debug"),
        ]))
        .unwrap();
        assert_eq!(c.api_url.path(), "/prefix/");
        assert_eq!(c.api_url_display(), "https://api.example:8443/prefix");
        assert_eq!(c.api_timeout, Duration::from_millis(500));
        assert_eq!(c.log_level, tracing::Level::DEBUG);
    }

    #[test]
    fn errors_name_the_variable() {
        for (name, value) in [
            ("API_URL", "api:8080"),
            ("API_URL", "ftp://x/"),
            ("API_URL", "not a url"),
            ("API_URL", "http://x/?q=1"),
            ("LISTEN_ADDR", "80"),
            ("API_TIMEOUT_SECONDS", "0"),
            ("API_TIMEOUT_SECONDS", "soon"),
            ("LOG_LEVEL", "loud"),
        ] {
            let e = Config::from_env(&env(&[(name, value)])).unwrap_err();
            assert_eq!(e.variable, name, "{value}");
            let line = e.to_string();
            assert!(line.starts_with(&format!("{name}: ")), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
        let e = Config::from_env(&env(&[("API_URL", "ftp://u:hunter2@x/")])).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
