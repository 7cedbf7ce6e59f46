//! Throwaway database servers for tests (feature `testing`): [`TestPostgres`] and
//! [`TestMariaDb`] each start a real server from the Debian packages (`postgresql`,
//! `mariadb-server`; `make setup` installs them) on 127.0.0.1 with a random port and a fresh
//! data directory under the temp dir, and stop it and remove the directory on drop.
//!
//! Run as root (as CI does), PostgreSQL refuses to start, so `initdb` and `postgres` run as the
//! `postgres` user in a directory it owns; MariaDB runs with `--user=root`. As any other user
//! both run as that user.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{Auth, DbConfig, Engine, Password, TlsMode};

/// Why a test server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum TestingError {
    /// The server's binaries are not installed.
    #[error("{0}: run `make setup` (or scripts/setup.sh) to install the Debian packages")]
    Missing(String),
    /// The server did not start.
    #[error("{what}: {message}")]
    Failed {
        /// Which step.
        what: String,
        /// Details (with the end of the server's log when there is one).
        message: String,
    },
}

fn failed(what: impl Into<String>, message: impl std::fmt::Display) -> TestingError {
    TestingError::Failed {
        what: what.into(),
        message: message.to_string(),
    }
}

const START_TIMEOUT: Duration = Duration::from_secs(60);
const USER: &str = "acilab";

/// A throwaway PostgreSQL server on 127.0.0.1. Stopped and deleted on drop.
#[derive(Debug)]
pub struct TestPostgres {
    dir: tempfile::TempDir,
    port: u16,
    password: String,
    child: Child,
}

/// A throwaway MariaDB server on 127.0.0.1. Stopped and deleted on drop.
#[derive(Debug)]
pub struct TestMariaDb {
    dir: tempfile::TempDir,
    port: u16,
    password: String,
    child: Child,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb` and `postgres`.
pub fn postgres_bin_dir() -> Result<PathBuf, TestingError> {
    let root = Path::new("/usr/lib/postgresql");
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(entries) = fs::read_dir(root) {
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(v) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let bin = e.path().join("bin");
            if bin.join("postgres").is_file()
                && bin.join("initdb").is_file()
                && best.as_ref().is_none_or(|(b, _)| v > *b)
            {
                best = Some((v, bin));
            }
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| {
        TestingError::Missing(
            "PostgreSQL not found (no /usr/lib/postgresql/*/bin/postgres; Debian package postgresql)"
                .to_string(),
        )
    })
}

/// `mariadbd` and `mariadb-install-db` (or their older mysql names).
pub fn mariadb_bins() -> Result<(PathBuf, PathBuf), TestingError> {
    let first = |c: &[&str]| c.iter().map(PathBuf::from).find(|p| p.is_file());
    let server = first(&["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]);
    let install = first(&[
        "/usr/bin/mariadb-install-db",
        "/usr/bin/mysql_install_db",
        "/usr/sbin/mariadb-install-db",
    ]);
    match (server, install) {
        (Some(s), Some(i)) => Ok((s, i)),
        _ => Err(TestingError::Missing(
            "MariaDB not found (no /usr/sbin/mariadbd or mariadb-install-db; Debian package mariadb-server)"
                .to_string(),
        )),
    }
}

fn free_port() -> Result<u16, TestingError> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| failed("free port", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| failed("free port", e))
}

fn new_password() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("pw{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id())
}

/// The effective uid of this process (from /proc, no libc call needed).
fn euid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// uid and gid of `user` from /etc/passwd.
fn passwd_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == user).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// The last lines of a log file, for error messages.
fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(15);
    lines[start..].join("\n")
}

fn run(what: &str, cmd: &mut Command, log: &Path) -> Result<(), TestingError> {
    let out = File::create(log).map_err(|e| failed(what, e))?;
    let err = out.try_clone().map_err(|e| failed(what, e))?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| failed(what, e))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(what, format!("{status}\n{}", log_tail(log))))
    }
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// Polls `ready` until it holds, the child exits, or the start timeout passes.
fn wait_ready(
    what: &str,
    child: &mut Child,
    log: &Path,
    mut ready: impl FnMut() -> bool,
) -> Result<(), TestingError> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(failed(
                what,
                format!("server exited with {status}\n{}", log_tail(log)),
            ));
        }
        if Instant::now() > deadline {
            return Err(failed(
                what,
                format!("not ready after {START_TIMEOUT:?}\n{}", log_tail(log)),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits up to 5 s for the child to exit after a stop signal, then kills it.
fn reap(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl TestPostgres {
    /// Initialises a cluster (superuser `acilab` with a password, scram-sha-256 over TCP) and
    /// starts `postgres` on 127.0.0.1 with a free port; returns when it accepts connections.
    /// Durability is off (`fsync=off`): it is thrown away anyway.
    pub fn start() -> Result<Self, TestingError> {
        let mut last = None;
        for _ in 0..3 {
            match Self::try_start() {
                Ok(s) => return Ok(s),
                Err(e @ TestingError::Missing(_)) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| failed("postgres", "did not start")))
    }

    fn try_start() -> Result<Self, TestingError> {
        let bin = postgres_bin_dir()?;
        let as_postgres = if euid() == Some(0) {
            Some(passwd_ids("postgres").ok_or_else(|| {
                TestingError::Missing(
                    "running as root but there is no `postgres` user (Debian package postgresql creates it)"
                        .to_string(),
                )
            })?)
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("acilab-pg-")
            .tempdir()
            .map_err(|e| failed("temp dir", e))?;
        let password = new_password();
        let pwfile = dir.path().join("pw");
        fs::write(&pwfile, format!("{password}\n")).map_err(|e| failed("password file", e))?;
        if let Some((uid, gid)) = as_postgres {
            for p in [dir.path(), &pwfile] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))
                    .map_err(|e| failed("chown temp dir to postgres", e))?;
            }
        }
        let data = dir.path().join("data");
        let command = |program: PathBuf| {
            let mut c = Command::new(program);
            if let Some((uid, gid)) = as_postgres {
                c.uid(uid).gid(gid);
            }
            c.current_dir(dir.path()).env_remove("PGDATA");
            c
        };
        run(
            "initdb",
            command(bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    USER,
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ])
                .args(["--no-sync", "--no-instructions"])
                .arg(format!("--pwfile={}", pwfile.display())),
            &dir.path().join("initdb.log"),
        )?;
        let port = free_port()?;
        let log = dir.path().join("postgres.log");
        let out = File::create(&log).map_err(|e| failed("postgres log", e))?;
        let err = out.try_clone().map_err(|e| failed("postgres log", e))?;
        let mut child = command(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .args(["-c", "shared_buffers=16MB", "-c", "max_connections=100"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| failed("postgres", e))?;
        // pg_ctl's own test: the postmaster.pid status line says `ready`.
        let pidfile = data.join("postmaster.pid");
        let ready = wait_ready("postgres", &mut child, &log, || {
            fs::read_to_string(&pidfile)
                .map(|s| s.lines().nth(7).map(str::trim) == Some("ready"))
                .unwrap_or(false)
                && port_open(port)
        });
        let server = Self {
            dir,
            port,
            password,
            child,
        };
        ready.map(|()| server)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A configuration for the `postgres` database as superuser `acilab`, no TLS.
    pub fn config(&self) -> DbConfig {
        test_config(Engine::Postgres, self.port, "postgres", &self.password)
    }

    /// The same as the variables [`DbConfig::from_env`] reads (password included).
    pub fn env_vars(&self) -> BTreeMap<String, String> {
        env_vars(&self.config(), &self.password)
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Immediate shutdown (SIGQUIT) of the postmaster, which takes its backends along.
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        reap(&mut self.child);
    }
}

impl TestMariaDb {
    /// Initialises a data directory, starts `mariadbd` on 127.0.0.1 with a free port and
    /// creates database `acilab` with user `acilab` (password, any host); returns when it
    /// accepts connections. Commits are not flushed to disk: it is thrown away anyway.
    pub fn start() -> Result<Self, TestingError> {
        let mut last = None;
        for _ in 0..3 {
            match Self::try_start() {
                Ok(s) => return Ok(s),
                Err(e @ TestingError::Missing(_)) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| failed("mariadb", "did not start")))
    }

    fn try_start() -> Result<Self, TestingError> {
        let (server, install) = mariadb_bins()?;
        let dir = tempfile::Builder::new()
            .prefix("acilab-mariadb-")
            .tempdir()
            .map_err(|e| failed("temp dir", e))?;
        let data = dir.path().join("data");
        let user_arg = if euid() == Some(0) {
            Some("--user=root")
        } else {
            None
        };
        run(
            "mariadb-install-db",
            Command::new(&install)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
                .args(["--skip-name-resolve", "--innodb-buffer-pool-size=16M"])
                .args(user_arg),
            &dir.path().join("install.log"),
        )?;
        let password = new_password();
        let init = dir.path().join("init.sql");
        fs::write(
            &init,
            format!(
                "CREATE DATABASE IF NOT EXISTS acilab;\n\
                 CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED BY '{password}';\n\
                 GRANT ALL PRIVILEGES ON acilab.* TO '{USER}'@'%';\n"
            ),
        )
        .map_err(|e| failed("init file", e))?;
        let port = free_port()?;
        let log = dir.path().join("error.log");
        let mut child = Command::new(&server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                dir.path().join("mysqld.sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                dir.path().join("mysqld.pid").display()
            ))
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--init-file={}", init.display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--skip-log-bin",
            ])
            .args([
                "--innodb-buffer-pool-size=16M",
                "--innodb-flush-log-at-trx-commit=0",
            ])
            .args(["--max-connections=200", "--skip-host-cache"])
            .args(user_arg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed("mariadbd", e))?;
        let ready = wait_ready("mariadbd", &mut child, &log, || {
            fs::read_to_string(&log)
                .map(|s| s.contains("ready for connections"))
                .unwrap_or(false)
                && port_open(port)
        });
        let server = Self {
            dir,
            port,
            password,
            child,
        };
        ready.map(|()| server)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A configuration for database `acilab` as user `acilab`, no TLS.
    pub fn config(&self) -> DbConfig {
        test_config(Engine::Mysql, self.port, "acilab", &self.password)
    }

    /// The same as the variables [`DbConfig::from_env`] reads (password included).
    pub fn env_vars(&self) -> BTreeMap<String, String> {
        env_vars(&self.config(), &self.password)
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("error.log")
    }
}

impl Drop for TestMariaDb {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        reap(&mut self.child);
    }
}

fn test_config(engine: Engine, port: u16, database: &str, password: &str) -> DbConfig {
    DbConfig {
        engine,
        host: "127.0.0.1".to_string(),
        port,
        database: Some(database.to_string()),
        auth: Auth::Password {
            user: USER.to_string(),
            password: Password::new(password),
        },
        tls: TlsMode::Disable,
        ca_file: None,
        pool_size: 5,
        connect_timeout: Duration::from_secs(10),
        query_timeout: Duration::from_secs(10),
    }
}

fn env_vars(cfg: &DbConfig, password: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("SQL_ENGINE".into(), cfg.engine.to_string());
    m.insert("SQL_SERVER_FQDN".into(), cfg.host.clone());
    m.insert("SQL_SERVER_PORT".into(), cfg.port.to_string());
    if let Some(db) = &cfg.database {
        m.insert("SQL_SERVER_DB".into(), db.clone());
    }
    m.insert("SQL_SERVER_USERNAME".into(), USER.into());
    m.insert("SQL_SERVER_PASSWORD".into(), password.into());
    m.insert("SQL_TLS".into(), "disable".into());
    m
}
