//! SQL Server through tiberius: a small pool (a semaphore and a stack of idle connections),
//! TLS by [`TlsMode`], SQL authentication or an Entra access token from the managed identity,
//! and Azure SQL's redirect (the gateway hands out the node to reconnect to).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use tiberius::{AuthMethod, Client, EncryptionLevel, Query};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::{Auth, DbConfig, DbError, TlsMode};

type Conn = Client<Compat<TcpStream>>;

/// Idle connections older than this are not reused.
const MAX_IDLE: Duration = Duration::from_secs(300);

pub(crate) struct Pool {
    base: tiberius::Config,
    auth: PoolAuth,
    target: String,
    connect_timeout: Duration,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<(Conn, Instant)>>,
}

enum PoolAuth {
    Password {
        user: String,
        password: String,
    },
    Token {
        credential: Arc<dyn TokenCredential>,
        scope: String,
    },
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlServerPool")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// What the configuration asks of tiberius, apart from authentication.
pub(crate) fn base_config(cfg: &DbConfig) -> tiberius::Config {
    let mut c = tiberius::Config::new();
    c.host(&cfg.host);
    c.port(cfg.port);
    if let Some(db) = &cfg.database {
        c.database(db);
    }
    c.application_name("acilab");
    match cfg.tls {
        TlsMode::Disable => c.encryption(EncryptionLevel::NotSupported),
        TlsMode::Prefer => {
            c.encryption(EncryptionLevel::On);
            c.trust_cert();
        }
        TlsMode::Require => {
            c.encryption(EncryptionLevel::Required);
            c.trust_cert();
        }
        TlsMode::VerifyFull => {
            c.encryption(EncryptionLevel::Required);
            if let Some(ca) = &cfg.ca_file {
                c.trust_cert_ca(ca.display());
            }
        }
    }
    c
}

impl Pool {
    pub(crate) fn new(cfg: &DbConfig) -> Result<Self, DbError> {
        let auth = match &cfg.auth {
            Auth::Password { user, password } => PoolAuth::Password {
                user: user.clone(),
                password: password.expose().to_string(),
            },
            Auth::ManagedIdentity { client_id, scope } => {
                let transport = azure_client::HttpTransport::new(None)
                    .map_err(|e| DbError::Token(e.to_string()))?;
                let id = client_id
                    .clone()
                    .map(azure_identity::UserAssignedId::ClientId);
                let credential = azure_client::managed_identity_credential(&transport, id)
                    .map_err(|e| DbError::Token(e.to_string()))?;
                PoolAuth::Token {
                    credential,
                    scope: scope.clone(),
                }
            }
        };
        Ok(Self {
            base: base_config(cfg),
            auth,
            target: cfg.describe(),
            connect_timeout: cfg.connect_timeout,
            permits: Arc::new(Semaphore::new(cfg.pool_size as usize)),
            idle: Mutex::new(Vec::new()),
        })
    }

    fn unavailable(&self, message: impl std::fmt::Display) -> DbError {
        DbError::Unavailable {
            target: self.target.clone(),
            message: message.to_string(),
        }
    }

    async fn auth_method(&self) -> Result<AuthMethod, DbError> {
        match &self.auth {
            PoolAuth::Password { user, password } => Ok(AuthMethod::sql_server(user, password)),
            PoolAuth::Token { credential, scope } => {
                // azure_identity caches the token until shortly before it expires.
                let token = credential
                    .get_token(&[scope.as_str()], None)
                    .await
                    .map_err(|e| DbError::Token(e.to_string()))?;
                Ok(AuthMethod::aad_token(token.token.secret()))
            }
        }
    }

    async fn open(&self) -> Result<Conn, DbError> {
        let mut config = self.base.clone();
        config.authentication(self.auth_method().await?);
        // Azure SQL's gateway may redirect once to the database's node.
        for _ in 0..2 {
            let tcp = TcpStream::connect(config.get_addr())
                .await
                .map_err(|e| self.unavailable(e))?;
            tcp.set_nodelay(true).map_err(|e| self.unavailable(e))?;
            match Client::connect(config.clone(), tcp.compat_write()).await {
                Ok(c) => return Ok(c),
                Err(tiberius::error::Error::Routing { host, port }) => {
                    tracing::debug!(%host, port, "SQL Server redirected the connection");
                    config.host(&host);
                    config.port(port);
                }
                Err(e) => return Err(self.unavailable(e)),
            }
        }
        Err(self.unavailable("redirected more than once"))
    }

    async fn get(&self) -> Result<Lease<'_>, DbError> {
        let acquire = async {
            let permit = self
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| self.unavailable("pool closed"))?;
            let reused = {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                let mut found = None;
                while let Some((conn, since)) = idle.pop() {
                    if since.elapsed() < MAX_IDLE {
                        found = Some(conn);
                        break;
                    }
                }
                found
            };
            let conn = match reused {
                Some(c) => c,
                None => self.open().await?,
            };
            Ok(Lease {
                pool: self,
                conn: Some(conn),
                _permit: permit,
            })
        };
        match tokio::time::timeout(self.connect_timeout, acquire).await {
            Ok(r) => r,
            Err(_) => Err(self
                .unavailable("no connection could be opened or freed within the connect timeout")),
        }
    }

    fn error(&self, operation: &'static str, e: tiberius::error::Error) -> DbError {
        match &e {
            // 208: invalid object name
            tiberius::error::Error::Server(t) if t.code() == 208 => DbError::MissingTable,
            tiberius::error::Error::Server(t) => DbError::Query {
                operation,
                message: t.message().to_string(),
            },
            tiberius::error::Error::Io { .. } | tiberius::error::Error::Tls(_) => {
                self.unavailable(e)
            }
            _ => DbError::Query {
                operation,
                message: e.to_string(),
            },
        }
    }

    async fn scalar(
        &self,
        operation: &'static str,
        sql: &'static str,
    ) -> Result<Option<String>, DbError> {
        let mut lease = self.get().await?;
        let conn = lease.conn()?;
        let row = conn
            .simple_query(sql)
            .await
            .map_err(|e| self.error(operation, e))?
            .into_row()
            .await
            .map_err(|e| self.error(operation, e))?;
        let value = match row {
            Some(r) => r
                .try_get::<&str, _>(0)
                .map_err(|e| self.error(operation, e))?
                .map(str::to_string),
            None => None,
        };
        lease.release();
        Ok(value)
    }

    pub(crate) async fn version(&self, operation: &'static str) -> Result<String, DbError> {
        Ok(self
            .scalar(operation, "SELECT CAST(@@VERSION AS nvarchar(4000))")
            .await?
            .unwrap_or_default())
    }

    pub(crate) async fn client_address(
        &self,
        operation: &'static str,
    ) -> Result<Option<String>, DbError> {
        self.scalar(
            operation,
            "SELECT CAST(CONNECTIONPROPERTY('client_net_address') AS nvarchar(48))",
        )
        .await
    }

    pub(crate) async fn init_srciplog(&self, operation: &'static str) -> Result<(), DbError> {
        let mut lease = self.get().await?;
        let conn = lease.conn()?;
        let r = conn
            .execute(
                "IF OBJECT_ID(N'srciplog', N'U') IS NULL CREATE TABLE srciplog (ip varchar(45), timestamp varchar(30))",
                &[],
            )
            .await;
        match r {
            Ok(_) => {}
            // 2714: there is already an object named … (a concurrent creation won)
            Err(tiberius::error::Error::Server(t)) if t.code() == 2714 => {}
            Err(e) => return Err(self.error(operation, e)),
        }
        lease.release();
        Ok(())
    }

    pub(crate) async fn insert_srciplog(
        &self,
        operation: &'static str,
        ip: &str,
        timestamp: &str,
    ) -> Result<(), DbError> {
        let mut lease = self.get().await?;
        let conn = lease.conn()?;
        let mut q = Query::new("INSERT INTO srciplog (ip, timestamp) VALUES (@P1, @P2)");
        q.bind(ip);
        q.bind(timestamp);
        q.execute(conn)
            .await
            .map_err(|e| self.error(operation, e))?;
        lease.release();
        Ok(())
    }

    pub(crate) async fn counts_by_ip(
        &self,
        operation: &'static str,
    ) -> Result<Vec<(Option<String>, i64)>, DbError> {
        let mut lease = self.get().await?;
        let conn = lease.conn()?;
        let rows = conn
            .simple_query("SELECT ip, COUNT_BIG(*) FROM srciplog GROUP BY ip ORDER BY ip")
            .await
            .map_err(|e| self.error(operation, e))?
            .into_first_result()
            .await
            .map_err(|e| self.error(operation, e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let ip = r
                .try_get::<&str, _>(0)
                .map_err(|e| self.error(operation, e))?
                .map(str::to_string);
            let n = r
                .try_get::<i64, _>(1)
                .map_err(|e| self.error(operation, e))?
                .unwrap_or(0);
            out.push((ip, n));
        }
        lease.release();
        Ok(out)
    }

    pub(crate) async fn ping(&self, operation: &'static str) -> Result<(), DbError> {
        self.scalar(operation, "SELECT CAST(1 AS nvarchar(1))")
            .await
            .map(drop)
    }

    pub(crate) async fn close(&self) {
        self.permits.close();
        let conns: Vec<_> =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for (c, _) in conns {
            let _ = c.close().await;
        }
    }
}

/// A connection on loan; dropped (not returned) unless [`Lease::release`] is called after a
/// successful statement, so a connection in an unknown state is never reused.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    _permit: OwnedSemaphorePermit,
}

impl Lease<'_> {
    fn conn(&mut self) -> Result<&mut Conn, DbError> {
        self.conn
            .as_mut()
            .ok_or_else(|| self.pool.unavailable("connection already released"))
    }

    fn release(mut self) {
        if let Some(c) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((c, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Engine, Password};

    fn cfg(tls: TlsMode) -> DbConfig {
        let mut c = DbConfig::new(
            Engine::SqlServer,
            "acilab.database.windows.net",
            "azure",
            Password::new("pw"),
        );
        c.database = Some("mydb".into());
        c.tls = tls;
        c
    }

    #[test]
    fn tls_modes_map_to_encryption_levels() {
        let c = base_config(&cfg(TlsMode::VerifyFull));
        let dbg = format!("{c:?}");
        assert!(dbg.contains("Required"), "{dbg}");
        assert!(
            dbg.contains("Default"),
            "verify-full keeps the default trust: {dbg}"
        );
        assert_eq!(c.get_addr(), "acilab.database.windows.net:1433");
        let dbg = format!("{:?}", base_config(&cfg(TlsMode::Require)));
        assert!(
            dbg.contains("Required") && dbg.contains("TrustAll"),
            "{dbg}"
        );
        let dbg = format!("{:?}", base_config(&cfg(TlsMode::Disable)));
        assert!(dbg.contains("NotSupported"), "{dbg}");
    }

    #[test]
    fn pool_debug_has_no_password() {
        let p = Pool::new(&cfg(TlsMode::VerifyFull)).unwrap();
        let dbg = format!("{p:?}");
        assert!(
            dbg.contains("azure@acilab.database.windows.net:1433/mydb"),
            "{dbg}"
        );
        assert!(!dbg.contains("pw)"));
    }

    #[tokio::test]
    async fn managed_identity_pool_is_built_without_io() {
        // Building the pool creates the credential only; the token is asked for when the first
        // connection opens (never here: that would go to IMDS off this machine).
        let mut c = cfg(TlsMode::VerifyFull);
        c.auth = Auth::ManagedIdentity {
            client_id: Some("11111111-1111-1111-1111-111111111111".into()),
            scope: crate::AZURE_SQL_SCOPE.into(),
        };
        let p = Pool::new(&c).unwrap();
        let dbg = format!("{p:?}");
        assert!(dbg.contains("(managed identity)@"), "{dbg}");
    }
}
