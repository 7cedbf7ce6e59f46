//! The database behind `/api/counts`: [`DbSource`] asks `app-db` for the rows of `srciplog` per
//! source IP (PostgreSQL, MariaDB/MySQL or SQL Server alike). Failures are logged with their
//! details once per change (not at every poll) and reach the page only as a [`SourceError`].

use std::sync::Mutex;

use app_db::{Db, DbError};

use crate::{CountsFuture, CountsSource, SourceError};

/// Counts from one `app_db::Db` pool.
#[derive(Debug)]
pub struct DbSource {
    db: Db,
    /// The last failure logged, so that a database that stays down is logged once.
    last_error: Mutex<Option<String>>,
}

impl DbSource {
    pub fn new(db: Db) -> DbSource {
        DbSource {
            db,
            last_error: Mutex::new(None),
        }
    }

    fn note(&self, result: &Result<Vec<(String, i64)>, DbError>) {
        let Ok(mut last) = self.last_error.lock() else {
            return;
        };
        match result {
            Ok(_) => {
                if last.take().is_some() {
                    tracing::info!(database = self.db.target(), "database answers again");
                }
            }
            Err(e) => {
                let text = e.to_string();
                if last.as_deref() != Some(text.as_str()) {
                    tracing::warn!(database = self.db.target(), error = %text, "cannot count srciplog rows");
                    *last = Some(text);
                }
            }
        }
    }
}

impl CountsSource for DbSource {
    fn counts(&self) -> CountsFuture<'_> {
        Box::pin(async move {
            let result = self.db.counts_by_ip().await;
            self.note(&result);
            result.map_err(|e| classify(&e))
        })
    }
}

/// What the page may say about a database error.
pub fn classify(e: &DbError) -> SourceError {
    match e {
        DbError::Unavailable { .. } | DbError::Token(_) | DbError::Config(_) => {
            SourceError::Unavailable
        }
        DbError::Timeout { .. } => SourceError::Timeout,
        DbError::MissingTable => SourceError::MissingTable,
        _ => SourceError::Query,
    }
}
