//! `Db` against real PostgreSQL and MariaDB servers started by `app_db::testing`.
#![allow(clippy::unwrap_used)]

use app_db::testing::{TestMariaDb, TestPostgres};
use app_db::{Auth, Db, DbConfig, DbError, Engine, Password};
use sqlx::Connection as _;

/// Every `Db` call on one engine, rows read back over a separate, fresh connection.
async fn exercise(cfg: &DbConfig, expected_version: &str) {
    let db = Db::connect(cfg).await.unwrap();
    assert_eq!(db.engine(), cfg.engine);
    assert!(!db.target().contains("pw"), "{}", db.target());
    db.ping().await.unwrap();

    let version = db.version().await.unwrap();
    assert!(version.contains(expected_version), "{version}");
    assert_eq!(db.client_address().await.unwrap(), "127.0.0.1");

    // Before the table exists: no rows for the dashboard, a clear error for a write.
    assert_eq!(db.counts_by_ip().await.unwrap(), vec![]);
    assert!(matches!(
        db.log_source_ip("10.0.0.1").await,
        Err(DbError::MissingTable)
    ));

    // Idempotent, also when racing.
    let (a, b, c) = tokio::join!(db.init_srciplog(), db.init_srciplog(), db.init_srciplog());
    a.unwrap();
    b.unwrap();
    c.unwrap();
    db.init_srciplog().await.unwrap();

    db.log_source_ip("10.0.1.4").await.unwrap();
    db.log_source_ip("10.0.1.4").await.unwrap();
    db.log_source_ip("10.0.1.5").await.unwrap();
    // A value that would break string-built SQL is stored as it is.
    db.log_source_ip_at("x'); DROP TABLE srciplog; --", "2024-01-01 00:00:00.000000")
        .await
        .unwrap();
    db.log_source_ip("2001:db8::ffff:10.0.1.4").await.unwrap();

    let counts = db.counts_by_ip().await.unwrap();
    assert_eq!(
        counts,
        vec![
            ("10.0.1.4".to_string(), 2),
            ("10.0.1.5".to_string(), 1),
            ("2001:db8::ffff:10.0.1.4".to_string(), 1),
            ("x'); DROP TABLE srciplog; --".to_string(), 1),
        ]
    );

    // Committed: a brand-new connection (not from the pool) sees the rows.
    let rows = read_back(cfg).await;
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(
        rows.iter()
            .any(|(ip, ts)| ip == "10.0.1.5" && ts.len() == 26)
    );

    // Another pool on the same database agrees.
    let other = Db::connect(cfg).await.unwrap();
    assert_eq!(other.counts_by_ip().await.unwrap(), counts);

    db.close().await;
    assert!(db.ping().await.unwrap_err().is_unavailable());
}

async fn read_back(cfg: &DbConfig) -> Vec<(String, String)> {
    let Auth::Password { user, password } = &cfg.auth else {
        unreachable!()
    };
    let db = cfg.database.as_deref().unwrap();
    match cfg.engine {
        Engine::Postgres => {
            let opts = sqlx::postgres::PgConnectOptions::new_without_pgpass()
                .host(&cfg.host)
                .port(cfg.port)
                .username(user)
                .password(password.expose())
                .database(db)
                .ssl_mode(sqlx::postgres::PgSslMode::Disable);
            let mut c = sqlx::PgConnection::connect_with(&opts).await.unwrap();
            sqlx::query_as("SELECT ip, timestamp FROM srciplog ORDER BY ip")
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        Engine::Mysql => {
            let opts = sqlx::mysql::MySqlConnectOptions::new()
                .host(&cfg.host)
                .port(cfg.port)
                .username(user)
                .password(password.expose())
                .database(db)
                .ssl_mode(sqlx::mysql::MySqlSslMode::Disabled);
            let mut c = sqlx::MySqlConnection::connect_with(&opts).await.unwrap();
            sqlx::query_as("SELECT ip, timestamp FROM srciplog ORDER BY ip")
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        Engine::SqlServer => unreachable!(),
    }
}

async fn wrong_password_is_unavailable(cfg: &DbConfig) {
    let mut bad = cfg.clone();
    bad.auth = Auth::Password {
        user: cfg.user().unwrap().to_string(),
        password: Password::new("wrong-hunter2"),
    };
    let e = Db::connect(&bad).await.unwrap_err();
    assert!(e.is_unavailable(), "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(!text.contains("wrong-hunter2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let server = TestPostgres::start().unwrap();
    let cfg = server.config();
    Box::pin(exercise(&cfg, "PostgreSQL")).await;
    wrong_password_is_unavailable(&cfg).await;
    // from_env with the server's variables gives the same configuration (defaults aside).
    let from_env = DbConfig::from_env(&server.env_vars(), None).unwrap();
    assert_eq!(from_env.port, cfg.port);
    Db::connect(&from_env).await.unwrap().ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb() {
    let server = TestMariaDb::start().unwrap();
    let cfg = server.config();
    Box::pin(exercise(&cfg, "MariaDB")).await;
    wrong_password_is_unavailable(&cfg).await;
    let from_env = DbConfig::from_env(&server.env_vars(), None).unwrap();
    Db::connect(&from_env).await.unwrap().ping().await.unwrap();
}
