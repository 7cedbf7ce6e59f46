//! [`DbError`]: what went wrong talking to the database. Messages come from the drivers and
//! the server (which never echo the password) and name the operation.

use std::time::Duration;

/// An error from [`crate::Db`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// No connection could be opened (network, TLS, login) or none became free in time.
    #[error("database {target} unavailable: {message}")]
    Unavailable {
        /// `engine://user@host:port/db` (no password).
        target: String,
        /// The driver's or server's message.
        message: String,
    },
    /// The operation took longer than the query timeout.
    #[error("{operation} timed out after {} s", .after.as_secs_f64())]
    Timeout {
        /// What was being done.
        operation: &'static str,
        /// The limit.
        after: Duration,
    },
    /// The `srciplog` table has not been created.
    #[error("table srciplog does not exist yet (create it first: /api/sqlsrcipinit)")]
    MissingTable,
    /// The server rejected or failed a statement.
    #[error("{operation} failed: {message}")]
    Query {
        /// What was being done.
        operation: &'static str,
        /// The server's message.
        message: String,
    },
    /// No Entra access token could be had from the managed identity.
    #[error("Entra access token from the managed identity: {0}")]
    Token(String),
    /// The configuration cannot be used (e.g. an unreadable CA file).
    #[error("database configuration: {0}")]
    Config(String),
}

impl DbError {
    /// Whether the database could not be reached at all (as opposed to a failing statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable { .. } | DbError::Token(_))
    }
}
