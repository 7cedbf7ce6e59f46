//! The database layer of acilab's apps (the SQL API and the dashboard): one connection pool for
//! PostgreSQL, MariaDB/MySQL (both through sqlx) or SQL Server (tiberius, with a password or an
//! Entra access token from the managed identity), configured from the original sample's
//! variables ([`DbConfig::from_env`]).
//!
//! Every statement is fixed text with bound parameters; nothing from a request becomes SQL.
//! Every call is bounded by the query timeout, opening a connection or waiting for a free one by
//! the connect timeout. Writes are committed (each statement runs in autocommit mode).
//!
//! The `srciplog` table is the original's: `ip varchar(45)` (15 in the original, too short for
//! IPv6) and `timestamp varchar(30)` holding UTC as `YYYY-MM-DD HH:MM:SS.ffffff`.
//!
//! With the `testing` feature, [`testing`] starts throwaway PostgreSQL and MariaDB servers.

mod config;
mod error;
mod mssql;
#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};

pub use config::{
    AZURE_SQL_SCOPE, Auth, ConfigError, DbConfig, Engine, Password, SECRET_VARIABLES, TlsMode,
    VARIABLES, read_secret_file,
};
pub use error::DbError;

/// Connections idle longer than this are closed (managed databases drop idle ones anyway).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Connections are renewed after this long.
const MAX_LIFETIME: Duration = Duration::from_secs(1800);

/// A pool of connections to one database. Cheap to clone (clones share the pool).
#[derive(Clone, Debug)]
pub struct Db {
    inner: Inner,
    engine: Engine,
    target: Arc<str>,
    query_timeout: Duration,
}

#[derive(Clone, Debug)]
enum Inner {
    Postgres(PgPool),
    Mysql(MySqlPool),
    SqlServer(Arc<mssql::Pool>),
}

impl Db {
    /// A pool for `cfg`, with one connection opened and checked before it returns (so a wrong
    /// host or password shows here).
    pub async fn connect(cfg: &DbConfig) -> Result<Db, DbError> {
        let db = Db::connect_lazy(cfg)?;
        db.ping().await?;
        Ok(db)
    }

    /// A pool for `cfg` that opens connections only when first needed: a service can start (and
    /// answer its health check) while the database is still unreachable. Must be called inside
    /// a Tokio runtime.
    pub fn connect_lazy(cfg: &DbConfig) -> Result<Db, DbError> {
        // Our rustls config names its provider, but be explicit for anything in the process that
        // relies on the default one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let target: Arc<str> = cfg.describe().into();
        let inner = match cfg.engine {
            Engine::Postgres => Inner::Postgres(
                PgPoolOptions::new()
                    .max_connections(cfg.pool_size)
                    .acquire_timeout(cfg.connect_timeout)
                    .idle_timeout(IDLE_TIMEOUT)
                    .max_lifetime(MAX_LIFETIME)
                    .connect_lazy_with(pg_options(cfg)?),
            ),
            Engine::Mysql => Inner::Mysql(
                MySqlPoolOptions::new()
                    .max_connections(cfg.pool_size)
                    .acquire_timeout(cfg.connect_timeout)
                    .idle_timeout(IDLE_TIMEOUT)
                    .max_lifetime(MAX_LIFETIME)
                    .connect_lazy_with(mysql_options(cfg)?),
            ),
            Engine::SqlServer => Inner::SqlServer(Arc::new(mssql::Pool::new(cfg)?)),
        };
        Ok(Db {
            inner,
            engine: cfg.engine,
            target,
            query_timeout: cfg.query_timeout,
        })
    }

    /// The engine this pool talks to.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// `engine://user@host:port/db` (no password), for logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The server's version string (`SELECT version()` / `VERSION()` / `@@VERSION`).
    pub async fn version(&self) -> Result<String, DbError> {
        const OP: &str = "version query";
        self.bounded(OP, async {
            match &self.inner {
                Inner::Postgres(p) => sqlx::query_scalar::<_, String>("SELECT version()")
                    .fetch_one(p)
                    .await
                    .map_err(|e| self.sqlx_error(OP, e)),
                Inner::Mysql(p) => sqlx::query_scalar::<_, String>("SELECT VERSION()")
                    .fetch_one(p)
                    .await
                    .map_err(|e| self.sqlx_error(OP, e)),
                Inner::SqlServer(p) => p.version(OP).await,
            }
        })
        .await
    }

    /// The client address the database sees for this application's connections (what the
    /// original's `/api/sqlsrcip` showed): `inet_client_addr()`, the process list's host
    /// without the port, `CONNECTIONPROPERTY('client_net_address')`.
    pub async fn client_address(&self) -> Result<String, DbError> {
        const OP: &str = "client address query";
        let addr = self
            .bounded(OP, async {
                match &self.inner {
                    Inner::Postgres(p) => sqlx::query_scalar::<_, Option<String>>(
                        "SELECT host(inet_client_addr())",
                    )
                    .fetch_one(p)
                    .await
                    .map_err(|e| self.sqlx_error(OP, e)),
                    Inner::Mysql(p) => sqlx::query_scalar::<_, Option<String>>(
                        "SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()",
                    )
                    .fetch_optional(p)
                    .await
                    .map(Option::flatten)
                    .map(|h| h.map(|h| strip_port(&h).to_string()))
                    .map_err(|e| self.sqlx_error(OP, e)),
                    Inner::SqlServer(p) => p.client_address(OP).await,
                }
            })
            .await?;
        match addr {
            Some(a) if !a.is_empty() => Ok(a),
            // PostgreSQL over a Unix socket has no client address.
            _ => Ok("local".to_string()),
        }
    }

    /// Creates the `srciplog` table unless it exists (safe to call any number of times, also
    /// concurrently).
    pub async fn init_srciplog(&self) -> Result<(), DbError> {
        const OP: &str = "create table srciplog";
        self.bounded(OP, async {
            let result = match &self.inner {
                Inner::Postgres(p) => sqlx::query(
                    "CREATE TABLE IF NOT EXISTS srciplog (ip varchar(45), timestamp varchar(30))",
                )
                .execute(p)
                .await
                .map(drop),
                Inner::Mysql(p) => sqlx::query(
                    "CREATE TABLE IF NOT EXISTS srciplog (ip varchar(45), timestamp varchar(30))",
                )
                .execute(p)
                .await
                .map(drop),
                Inner::SqlServer(p) => return p.init_srciplog(OP).await,
            };
            match result {
                Ok(()) => Ok(()),
                // Two concurrent CREATE TABLE IF NOT EXISTS on PostgreSQL: one of them may fail
                // with a duplicate in the catalog although the outcome is what both wanted.
                Err(sqlx::Error::Database(e))
                    if matches!(e.code().as_deref(), Some("23505" | "42P07" | "42S01")) =>
                {
                    Ok(())
                }
                Err(e) => Err(self.sqlx_error(OP, e)),
            }
        })
        .await
    }

    /// Inserts one `srciplog` row with `ip` and the current UTC time, committed. Fails with
    /// [`DbError::MissingTable`] before [`Db::init_srciplog`].
    pub async fn log_source_ip(&self, ip: &str) -> Result<(), DbError> {
        self.log_source_ip_at(ip, &utc_timestamp()).await
    }

    /// Inserts one `srciplog` row with `ip` and `timestamp` (see [`utc_timestamp`]), committed.
    pub async fn log_source_ip_at(&self, ip: &str, timestamp: &str) -> Result<(), DbError> {
        const OP: &str = "insert into srciplog";
        self.bounded(OP, async {
            match &self.inner {
                Inner::Postgres(p) => {
                    sqlx::query("INSERT INTO srciplog (ip, timestamp) VALUES ($1, $2)")
                        .bind(ip)
                        .bind(timestamp)
                        .execute(p)
                        .await
                        .map(drop)
                        .map_err(|e| self.sqlx_error(OP, e))
                }
                Inner::Mysql(p) => {
                    sqlx::query("INSERT INTO srciplog (ip, timestamp) VALUES (?, ?)")
                        .bind(ip)
                        .bind(timestamp)
                        .execute(p)
                        .await
                        .map(drop)
                        .map_err(|e| self.sqlx_error(OP, e))
                }
                Inner::SqlServer(p) => p.insert_srciplog(OP, ip, timestamp).await,
            }
        })
        .await
    }

    /// Rows of `srciplog` per source IP, ordered by IP (what the dashboard charts). A table
    /// that does not exist yet counts as no rows.
    pub async fn counts_by_ip(&self) -> Result<Vec<(String, i64)>, DbError> {
        const OP: &str = "count srciplog rows";
        let result = self
            .bounded(OP, async {
                match &self.inner {
                    Inner::Postgres(p) => sqlx::query_as::<_, (Option<String>, i64)>(
                        "SELECT ip, COUNT(*) FROM srciplog GROUP BY ip ORDER BY ip",
                    )
                    .fetch_all(p)
                    .await
                    .map_err(|e| self.sqlx_error(OP, e)),
                    Inner::Mysql(p) => sqlx::query_as::<_, (Option<String>, i64)>(
                        "SELECT ip, COUNT(*) FROM srciplog GROUP BY ip ORDER BY ip",
                    )
                    .fetch_all(p)
                    .await
                    .map_err(|e| self.sqlx_error(OP, e)),
                    Inner::SqlServer(p) => p.counts_by_ip(OP).await,
                }
            })
            .await;
        match result {
            Ok(rows) => Ok(rows
                .into_iter()
                .map(|(ip, n)| (ip.unwrap_or_default(), n))
                .collect()),
            Err(DbError::MissingTable) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// One round trip (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), DbError> {
        const OP: &str = "ping";
        self.bounded(OP, async {
            match &self.inner {
                Inner::Postgres(p) => sqlx::query("SELECT 1")
                    .execute(p)
                    .await
                    .map(drop)
                    .map_err(|e| self.sqlx_error(OP, e)),
                Inner::Mysql(p) => sqlx::query("SELECT 1")
                    .execute(p)
                    .await
                    .map(drop)
                    .map_err(|e| self.sqlx_error(OP, e)),
                Inner::SqlServer(p) => p.ping(OP).await,
            }
        })
        .await
    }

    /// Closes every connection (graceful shutdown); later calls fail.
    pub async fn close(&self) {
        match &self.inner {
            Inner::Postgres(p) => p.close().await,
            Inner::Mysql(p) => p.close().await,
            Inner::SqlServer(p) => p.close().await,
        }
    }

    async fn bounded<T>(
        &self,
        operation: &'static str,
        fut: impl Future<Output = Result<T, DbError>>,
    ) -> Result<T, DbError> {
        match tokio::time::timeout(self.query_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(DbError::Timeout {
                operation,
                after: self.query_timeout,
            }),
        }
    }

    fn sqlx_error(&self, operation: &'static str, e: sqlx::Error) -> DbError {
        match e {
            sqlx::Error::Database(d) => {
                // undefined_table (PostgreSQL), ER_NO_SUCH_TABLE (MySQL/MariaDB)
                if matches!(d.code().as_deref(), Some("42P01" | "42S02")) {
                    return DbError::MissingTable;
                }
                // Login failures arrive as database errors while connecting.
                if matches!(d.code().as_deref(), Some(c) if c.starts_with("28") || c == "08004")
                    || d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                        .is_some_and(|m| matches!(m.number(), 1044 | 1045 | 1049))
                    || d.code().as_deref() == Some("3D000")
                {
                    return DbError::Unavailable {
                        target: self.target.to_string(),
                        message: d.message().to_string(),
                    };
                }
                DbError::Query {
                    operation,
                    message: d.message().to_string(),
                }
            }
            sqlx::Error::PoolTimedOut => DbError::Unavailable {
                target: self.target.to_string(),
                message: "no connection could be opened or freed within the connect timeout"
                    .to_string(),
            },
            e @ (sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Configuration(_)) => DbError::Unavailable {
                target: self.target.to_string(),
                message: e.to_string(),
            },
            e => DbError::Query {
                operation,
                message: e.to_string(),
            },
        }
    }
}

/// The current UTC time as the original wrote it: `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn utc_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

/// `10.0.0.4:51234` → `10.0.0.4`, `[::1]:5000` → `::1`, `::1:5000` → `::1` (MariaDB's process
/// list), `localhost` → `localhost`.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port))
            if !h.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            h
        }
        _ => host,
    }
}

fn pg_options(cfg: &DbConfig) -> Result<PgConnectOptions, DbError> {
    let Auth::Password { user, password } = &cfg.auth else {
        return Err(DbError::Config(
            "PostgreSQL needs a user name and password".to_string(),
        ));
    };
    let mut o = PgConnectOptions::new_without_pgpass()
        .host(&cfg.host)
        .port(cfg.port)
        .username(user)
        .password(password.expose())
        .application_name("acilab")
        .ssl_mode(match cfg.tls {
            TlsMode::Disable => PgSslMode::Disable,
            TlsMode::Prefer => PgSslMode::Prefer,
            TlsMode::Require => PgSslMode::Require,
            TlsMode::VerifyFull => PgSslMode::VerifyFull,
        });
    if let Some(db) = &cfg.database {
        o = o.database(db);
    }
    if let Some(ca) = &cfg.ca_file {
        o = o.ssl_root_cert(ca);
    }
    Ok(o)
}

fn mysql_options(cfg: &DbConfig) -> Result<MySqlConnectOptions, DbError> {
    let Auth::Password { user, password } = &cfg.auth else {
        return Err(DbError::Config(
            "MySQL/MariaDB needs a user name and password".to_string(),
        ));
    };
    let mut o = MySqlConnectOptions::new()
        .host(&cfg.host)
        .port(cfg.port)
        .username(user)
        .password(password.expose())
        .ssl_mode(match cfg.tls {
            TlsMode::Disable => MySqlSslMode::Disabled,
            TlsMode::Prefer => MySqlSslMode::Preferred,
            TlsMode::Require => MySqlSslMode::Required,
            TlsMode::VerifyFull => MySqlSslMode::VerifyIdentity,
        });
    if let Some(db) = &cfg.database {
        o = o.database(db);
    }
    if let Some(ca) = &cfg.ca_file {
        o = o.ssl_ca(ca);
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn strip_port_handles_the_process_list_forms() {
        assert_eq!(strip_port("10.0.0.4:51234"), "10.0.0.4");
        assert_eq!(strip_port("127.0.0.1"), "127.0.0.1");
        assert_eq!(strip_port("localhost"), "localhost");
        assert_eq!(strip_port("[::1]:5000"), "::1");
        assert_eq!(strip_port("::1:5000"), "::1");
        assert_eq!(strip_port("host.example:3306"), "host.example");
    }

    #[test]
    fn timestamp_has_the_original_shape() {
        let t = utc_timestamp();
        assert_eq!(t.len(), 26, "{t}");
        assert_eq!(&t[4..5], "-");
        assert_eq!(&t[10..11], " ");
        assert_eq!(&t[19..20], ".");
    }

    #[tokio::test]
    async fn unreachable_database_is_unavailable_not_a_panic() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for engine in [Engine::Postgres, Engine::Mysql, Engine::SqlServer] {
            let mut cfg = DbConfig::new(engine, "127.0.0.1", "u", "hunter2");
            cfg.port = port;
            cfg.tls = TlsMode::Disable;
            cfg.connect_timeout = Duration::from_secs(1);
            let db = Db::connect_lazy(&cfg).unwrap();
            let e = db.version().await.unwrap_err();
            assert!(e.is_unavailable(), "{engine}: {e:?}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
            assert!(Db::connect(&cfg).await.is_err());
        }
    }
}
