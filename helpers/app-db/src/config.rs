//! [`DbConfig`]: which database and how to reach it, from the same variables as the original
//! sample (`SQL_ENGINE`, `SQL_SERVER_FQDN`, `SQL_SERVER_DB`, `SQL_SERVER_USERNAME`,
//! `SQL_SERVER_PASSWORD`), each taken from the environment or else from a file of that name in
//! a secrets directory (the original's `/secrets`). Mistakes are one [`ConfigError`] naming the
//! variable; secret values are never echoed.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Every variable [`DbConfig::from_env`] reads, with a short description (for `--help` and docs).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "SQL_ENGINE",
        "`postgres`, `mysql` (MariaDB or MySQL) or `sqlserver` (default, as the original)",
    ),
    (
        "SQL_SERVER_FQDN",
        "host name or IP address of the database server (required)",
    ),
    (
        "SQL_SERVER_PORT",
        "TCP port (default 5432, 3306 or 1433 by engine)",
    ),
    (
        "SQL_SERVER_DB",
        "database name (default: `postgres` for PostgreSQL, the server's default otherwise)",
    ),
    (
        "SQL_SERVER_USERNAME",
        "user name (required unless SQL_AUTH=managed-identity)",
    ),
    (
        "SQL_SERVER_PASSWORD",
        "password (required unless SQL_AUTH=managed-identity); best as a file in the secrets directory",
    ),
    (
        "SQL_AUTH",
        "`password` (default) or `managed-identity` (sqlserver only: an Entra access token from the container's managed identity)",
    ),
    (
        "SQL_MI_CLIENT_ID",
        "with SQL_AUTH=managed-identity: client id of a user-assigned identity (default: the system-assigned one)",
    ),
    (
        "SQL_TOKEN_SCOPE",
        "with SQL_AUTH=managed-identity: token scope (default https://database.windows.net/.default)",
    ),
    (
        "SQL_TLS",
        "`verify-full` (default: TLS, certificate and host name checked), `require` (TLS, not checked), `prefer` or `disable`",
    ),
    (
        "USE_SSL",
        "the original's switch, read only when SQL_TLS is not set: `yes` = verify-full, `no` = disable",
    ),
    (
        "SQL_CA_FILE",
        "PEM file with the CA that signed the server's certificate (added to the built-in roots)",
    ),
    ("SQL_POOL_SIZE", "most connections kept open (default 10)"),
    (
        "SQL_CONNECT_TIMEOUT_SECS",
        "seconds to open a connection or wait for a free one (default 5)",
    ),
    (
        "SQL_QUERY_TIMEOUT_SECS",
        "seconds one query may take (default 10)",
    ),
];

/// Names of the variables that hold secrets (never logged or shown).
pub const SECRET_VARIABLES: &[&str] = &["SQL_SERVER_PASSWORD"];

/// The default token scope for Azure SQL Database.
pub const AZURE_SQL_SCOPE: &str = "https://database.windows.net/.default";

/// A database engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// PostgreSQL (also Azure Database for PostgreSQL).
    Postgres,
    /// MariaDB or MySQL (also Azure Database for MySQL).
    Mysql,
    /// Microsoft SQL Server (also Azure SQL Database).
    SqlServer,
}

impl Engine {
    /// The engine's usual TCP port.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
            Engine::SqlServer => 1433,
        }
    }

    /// The `SQL_ENGINE` spelling: `postgres`, `mysql`, `sqlserver`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::SqlServer => "sqlserver",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pgsql" => Ok(Engine::Postgres),
            "mysql" | "mariadb" => Ok(Engine::Mysql),
            "sqlserver" | "mssql" | "azuresql" => Ok(Engine::SqlServer),
            _ => Err(format!(
                "`{s}` is not an engine: use postgres, mysql or sqlserver"
            )),
        }
    }
}

/// How the connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, certificate not checked.
    Prefer,
    /// TLS always, certificate not checked.
    Require,
    /// TLS always, certificate chain and host name checked (the default).
    #[default]
    VerifyFull,
}

impl FromStr for TlsMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "disable" | "off" | "no" | "false" => Ok(TlsMode::Disable),
            "prefer" => Ok(TlsMode::Prefer),
            "require" => Ok(TlsMode::Require),
            "verify-full" | "verify" | "on" | "yes" | "true" => Ok(TlsMode::VerifyFull),
            _ => Err(format!(
                "`{s}` is not a TLS mode: use verify-full, require, prefer or disable"
            )),
        }
    }
}

/// A password: its `Debug` shows no characters of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

/// How the application authenticates to the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// User name and password (all engines).
    Password {
        /// Login name.
        user: String,
        /// Its password (redacted in `Debug`).
        password: Password,
    },
    /// An Entra access token from the container's managed identity (SQL Server only).
    ManagedIdentity {
        /// Client id of a user-assigned identity; `None` = system-assigned.
        client_id: Option<String>,
        /// Token scope, normally [`AZURE_SQL_SCOPE`].
        scope: String,
    },
}

/// Which database and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbConfig {
    /// The engine.
    pub engine: Engine,
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name (`None`: the server's default for the login).
    pub database: Option<String>,
    /// Credentials.
    pub auth: Auth,
    /// Encryption.
    pub tls: TlsMode,
    /// Extra CA certificate(s), PEM.
    pub ca_file: Option<PathBuf>,
    /// Most connections kept open.
    pub pool_size: u32,
    /// Time to open a connection or wait for a free one.
    pub connect_timeout: Duration,
    /// Time one query may take.
    pub query_timeout: Duration,
}

impl DbConfig {
    /// A configuration with password authentication and the defaults: the engine's port,
    /// `verify-full` TLS, a pool of 10, 5 s to connect, 10 s per query.
    pub fn new(
        engine: Engine,
        host: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<Password>,
    ) -> Self {
        Self {
            engine,
            host: host.into(),
            port: engine.default_port(),
            database: None,
            auth: Auth::Password {
                user: user.into(),
                password: password.into(),
            },
            tls: TlsMode::VerifyFull,
            ca_file: None,
            pool_size: 10,
            connect_timeout: Duration::from_secs(5),
            query_timeout: Duration::from_secs(10),
        }
    }

    /// Reads the configuration from `env` (normally the process environment), each variable
    /// falling back to a file of the same name in `secrets_dir` (trailing newlines removed), as
    /// the original did with `/secrets`. A missing `secrets_dir` is no error.
    pub fn from_env(
        env: &BTreeMap<String, String>,
        secrets_dir: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let src = Source { env, secrets_dir };
        let engine = match src.get("SQL_ENGINE")? {
            Some(v) => v.parse().map_err(|reason| ConfigError::Invalid {
                var: "SQL_ENGINE",
                reason,
            })?,
            None => Engine::SqlServer,
        };
        let host = src.require("SQL_SERVER_FQDN")?;
        if host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(ConfigError::Invalid {
                var: "SQL_SERVER_FQDN",
                reason: format!("`{host}` is not a host name or IP address"),
            });
        }
        let port = match src.get("SQL_SERVER_PORT")? {
            Some(v) => v
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| ConfigError::Invalid {
                    var: "SQL_SERVER_PORT",
                    reason: format!("`{v}` is not a TCP port (1-65535)"),
                })?,
            None => engine.default_port(),
        };
        let database = src.get("SQL_SERVER_DB")?.or_else(|| {
            // The original connected PostgreSQL to `postgres` when no database was given.
            (engine == Engine::Postgres).then(|| "postgres".to_string())
        });
        let auth_kind = src
            .get("SQL_AUTH")?
            .unwrap_or_else(|| "password".to_string());
        let auth = match auth_kind.trim().to_ascii_lowercase().as_str() {
            "password" => Auth::Password {
                user: src.require("SQL_SERVER_USERNAME")?,
                password: Password(src.require("SQL_SERVER_PASSWORD")?),
            },
            "managed-identity" | "managed_identity" | "msi" => {
                if engine != Engine::SqlServer {
                    return Err(ConfigError::Invalid {
                        var: "SQL_AUTH",
                        reason: format!(
                            "managed-identity works with SQL_ENGINE=sqlserver only (not {engine})"
                        ),
                    });
                }
                Auth::ManagedIdentity {
                    client_id: src.get("SQL_MI_CLIENT_ID")?,
                    scope: src
                        .get("SQL_TOKEN_SCOPE")?
                        .unwrap_or_else(|| AZURE_SQL_SCOPE.to_string()),
                }
            }
            other => {
                return Err(ConfigError::Invalid {
                    var: "SQL_AUTH",
                    reason: format!(
                        "`{other}` is not an authentication: use password or managed-identity"
                    ),
                });
            }
        };
        let tls = match src.get("SQL_TLS")? {
            Some(v) => v.parse().map_err(|reason| ConfigError::Invalid {
                var: "SQL_TLS",
                reason,
            })?,
            None => match src.get("USE_SSL")? {
                Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                    "yes" | "true" | "1" => TlsMode::VerifyFull,
                    "no" | "false" | "0" => TlsMode::Disable,
                    _ => {
                        return Err(ConfigError::Invalid {
                            var: "USE_SSL",
                            reason: format!("`{v}` is neither yes nor no"),
                        });
                    }
                },
                None => TlsMode::VerifyFull,
            },
        };
        let ca_file = match src.get("SQL_CA_FILE")? {
            Some(p) => {
                let path = PathBuf::from(p);
                if !path.is_file() {
                    return Err(ConfigError::Invalid {
                        var: "SQL_CA_FILE",
                        reason: format!("{} is not a readable file", path.display()),
                    });
                }
                Some(path)
            }
            None => None,
        };
        let pool_size = src.number("SQL_POOL_SIZE", 10, 1, 1000)?;
        let connect_timeout =
            Duration::from_secs(src.number("SQL_CONNECT_TIMEOUT_SECS", 5, 1, 600)?.into());
        let query_timeout =
            Duration::from_secs(src.number("SQL_QUERY_TIMEOUT_SECS", 10, 1, 3600)?.into());
        Ok(Self {
            engine,
            host,
            port,
            database,
            auth,
            tls,
            ca_file,
            pool_size,
            connect_timeout,
            query_timeout,
        })
    }

    /// The login name (`None` with a managed identity).
    pub fn user(&self) -> Option<&str> {
        match &self.auth {
            Auth::Password { user, .. } => Some(user),
            Auth::ManagedIdentity { .. } => None,
        }
    }

    /// `engine://user@host:port/database`, for logs and errors: never the password.
    pub fn describe(&self) -> String {
        let user = match &self.auth {
            Auth::Password { user, .. } => format!("{user}@"),
            Auth::ManagedIdentity { .. } => "(managed identity)@".to_string(),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{}://{user}{host}:{}/{}",
            self.engine,
            self.port,
            self.database.as_deref().unwrap_or("")
        )
    }
}

/// A configuration mistake, naming the variable; never contains a secret value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is neither set nor in the secrets directory.
    #[error("{var} is not set{}", missing_hint(.secrets_dir.as_deref(), .var))]
    Missing {
        /// The variable.
        var: &'static str,
        /// Where a file would have been looked for.
        secrets_dir: Option<PathBuf>,
    },
    /// A variable has a value that cannot be used.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong (no secret values).
        reason: String,
    },
    /// The variable's file in the secrets directory exists but cannot be read.
    #[error("{var}: cannot read {}: {source}", .path.display())]
    Unreadable {
        /// The variable.
        var: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

fn missing_hint(dir: Option<&Path>, var: &str) -> String {
    match dir {
        Some(d) => format!(
            " (set the environment variable or write it to {})",
            d.join(var).display()
        ),
        None => " (set the environment variable)".to_string(),
    }
}

impl ConfigError {
    /// The variable the error is about.
    pub fn variable(&self) -> &'static str {
        match self {
            ConfigError::Missing { var, .. }
            | ConfigError::Invalid { var, .. }
            | ConfigError::Unreadable { var, .. } => var,
        }
    }
}

/// Largest file read from the secrets directory.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Environment first, then `<secrets_dir>/<NAME>`; empty values count as unset.
pub(crate) struct Source<'a> {
    pub(crate) env: &'a BTreeMap<String, String>,
    pub(crate) secrets_dir: Option<&'a Path>,
}

impl Source<'_> {
    pub(crate) fn get(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        if let Some(v) = self.env.get(var).filter(|v| !v.trim().is_empty()) {
            return Ok(Some(v.clone()));
        }
        read_secret_file(self.secrets_dir, var)
    }

    fn require(&self, var: &'static str) -> Result<String, ConfigError> {
        self.get(var)?.ok_or_else(|| ConfigError::Missing {
            var,
            secrets_dir: self.secrets_dir.map(Path::to_path_buf),
        })
    }

    fn number(
        &self,
        var: &'static str,
        default: u32,
        min: u32,
        max: u32,
    ) -> Result<u32, ConfigError> {
        match self.get(var)? {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    var,
                    reason: format!("`{v}` is not a whole number from {min} to {max}"),
                }),
        }
    }
}

/// `<dir>/<var>` as a string without trailing newlines, `None` when the directory or the file
/// does not exist.
pub fn read_secret_file(
    dir: Option<&Path>,
    var: &'static str,
) -> Result<Option<String>, ConfigError> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(var);
    let unreadable = |source: io::Error| ConfigError::Unreadable {
        var,
        path: path.clone(),
        source,
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory =>
        {
            return Ok(None);
        }
        Err(e) => return Err(unreadable(e)),
    };
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_SECRET_FILE {
        return Err(unreadable(io::Error::other(format!(
            "larger than {MAX_SECRET_FILE} bytes"
        ))));
    }
    let text = std::fs::read_to_string(&path).map_err(unreadable)?;
    let value = text.trim_end_matches(['\n', '\r']).to_string();
    Ok((!value.trim().is_empty()).then_some(value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn postgres_from_env_with_defaults() {
        let cfg = DbConfig::from_env(
            &env(&[
                ("SQL_ENGINE", "postgres"),
                ("SQL_SERVER_FQDN", "db.example.com"),
                ("SQL_SERVER_USERNAME", "app"),
                ("SQL_SERVER_PASSWORD", "s3cret!"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(cfg.engine, Engine::Postgres);
        assert_eq!(cfg.port, 5432);
        assert_eq!(cfg.database.as_deref(), Some("postgres"));
        assert_eq!(cfg.tls, TlsMode::VerifyFull);
        assert_eq!(cfg.user(), Some("app"));
        assert_eq!(cfg.pool_size, 10);
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert_eq!(
            cfg.describe(),
            "postgres://app@db.example.com:5432/postgres"
        );
    }

    #[test]
    fn engine_defaults_to_sqlserver_like_the_original() {
        let cfg = DbConfig::from_env(
            &env(&[
                ("SQL_SERVER_FQDN", "x.database.windows.net"),
                ("SQL_SERVER_USERNAME", "azure"),
                ("SQL_SERVER_PASSWORD", "pw"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(cfg.engine, Engine::SqlServer);
        assert_eq!(cfg.port, 1433);
        assert_eq!(cfg.database, None);
    }

    #[test]
    fn missing_variables_are_named() {
        let e = DbConfig::from_env(&env(&[("SQL_ENGINE", "mysql")]), None).unwrap_err();
        assert_eq!(e.variable(), "SQL_SERVER_FQDN");
        assert_eq!(
            e.to_string(),
            "SQL_SERVER_FQDN is not set (set the environment variable)"
        );
        let e = DbConfig::from_env(
            &env(&[("SQL_ENGINE", "mysql"), ("SQL_SERVER_FQDN", "h")]),
            Some(Path::new("/nonexistent-secrets")),
        )
        .unwrap_err();
        assert_eq!(e.variable(), "SQL_SERVER_USERNAME");
        assert!(
            e.to_string()
                .contains("/nonexistent-secrets/SQL_SERVER_USERNAME"),
            "{e}"
        );
        let e = DbConfig::from_env(
            &env(&[
                ("SQL_ENGINE", "mysql"),
                ("SQL_SERVER_FQDN", "h"),
                ("SQL_SERVER_USERNAME", "u"),
                ("SQL_SERVER_PASSWORD", ""),
            ]),
            None,
        )
        .unwrap_err();
        assert_eq!(e.variable(), "SQL_SERVER_PASSWORD");
    }

    #[test]
    fn invalid_values_are_named_without_secrets() {
        for (var, value) in [
            ("SQL_ENGINE", "oracle"),
            ("SQL_SERVER_PORT", "99999"),
            ("SQL_TLS", "maybe"),
            ("USE_SSL", "perhaps"),
            ("SQL_POOL_SIZE", "0"),
            ("SQL_QUERY_TIMEOUT_SECS", "x"),
            ("SQL_AUTH", "kerberos"),
            ("SQL_CA_FILE", "/nonexistent/ca.pem"),
        ] {
            let mut e = env(&[
                ("SQL_ENGINE", "postgres"),
                ("SQL_SERVER_FQDN", "h"),
                ("SQL_SERVER_USERNAME", "u"),
                ("SQL_SERVER_PASSWORD", "topsecret"),
            ]);
            e.insert(var.to_string(), value.to_string());
            let err = DbConfig::from_env(&e, None).unwrap_err();
            assert_eq!(err.variable(), var, "{err}");
            assert!(!err.to_string().contains("topsecret"));
        }
    }

    #[test]
    fn secrets_dir_fills_in_and_env_wins() {
        let dir = std::env::temp_dir().join(format!("app-db-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("SQL_SERVER_PASSWORD"), "from-file\n").unwrap();
        std::fs::write(dir.join("SQL_SERVER_USERNAME"), "file-user\n").unwrap();
        std::fs::write(dir.join("SQL_ENGINE"), "mysql\r\n").unwrap();
        let cfg = DbConfig::from_env(
            &env(&[
                ("SQL_SERVER_FQDN", "h"),
                ("SQL_SERVER_USERNAME", "env-user"),
            ]),
            Some(&dir),
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(cfg.engine, Engine::Mysql);
        assert_eq!(cfg.user(), Some("env-user"));
        match cfg.auth {
            Auth::Password { password, .. } => assert_eq!(password.expose(), "from-file"),
            Auth::ManagedIdentity { .. } => panic!("password expected"),
        }
    }

    #[test]
    fn use_ssl_maps_to_tls_when_sql_tls_is_absent() {
        let base = [
            ("SQL_ENGINE", "mysql"),
            ("SQL_SERVER_FQDN", "h"),
            ("SQL_SERVER_USERNAME", "u"),
            ("SQL_SERVER_PASSWORD", "p"),
        ];
        let mut e = env(&base);
        e.insert("USE_SSL".into(), "no".into());
        assert_eq!(DbConfig::from_env(&e, None).unwrap().tls, TlsMode::Disable);
        e.insert("SQL_TLS".into(), "require".into());
        assert_eq!(DbConfig::from_env(&e, None).unwrap().tls, TlsMode::Require);
    }

    #[test]
    fn managed_identity_only_for_sqlserver() {
        let cfg = DbConfig::from_env(
            &env(&[
                ("SQL_ENGINE", "sqlserver"),
                ("SQL_SERVER_FQDN", "x.database.windows.net"),
                ("SQL_SERVER_DB", "mydb"),
                ("SQL_AUTH", "managed-identity"),
                ("SQL_MI_CLIENT_ID", "1111"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            cfg.auth,
            Auth::ManagedIdentity {
                client_id: Some("1111".into()),
                scope: AZURE_SQL_SCOPE.into()
            }
        );
        assert_eq!(cfg.user(), None);
        let e = DbConfig::from_env(
            &env(&[
                ("SQL_ENGINE", "postgres"),
                ("SQL_SERVER_FQDN", "h"),
                ("SQL_AUTH", "managed-identity"),
            ]),
            None,
        )
        .unwrap_err();
        assert_eq!(e.variable(), "SQL_AUTH");
    }
}
