//! Errors of the rate store, split by what a caller can do about them.

use travel_domain::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or did not answer in time: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The settings are wrong; retrying will not help.
    #[error("database configuration: {0}")]
    Config(String),
    /// A stored value could not be read back (a bug or a hand-edited row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed")]
    Query(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.to_string()),
            other => StoreError::Query(other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        // Internals stay in the logs (the cause); the client gets a clean message.
        let api = match &error {
            StoreError::Unavailable(_) => ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "the rate database is unavailable, try again shortly",
            ),
            _ => ApiError::internal("internal error while reading rates"),
        };
        api.with_cause(error)
    }
}
