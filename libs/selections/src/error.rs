//! Errors of the selection store, split by what a caller can do about them.

use travel_domain::{ApiError, ErrorCode};

pub type Result<T, E = SelectionStoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum SelectionStoreError {
    /// The store cannot be reached, throttles, or did not answer in time: retry later.
    #[error("selection store unavailable: {0}")]
    Unavailable(String),
    /// The settings are wrong; retrying will not help.
    #[error("selection store configuration: {0}")]
    Config(String),
    /// A stored item could not be read back.
    #[error("stored selection data is corrupt: {0}")]
    Corrupt(String),
    /// Any other failure of the backend.
    #[error("selection store request failed: {0}")]
    Backend(String),
}

impl From<sqlx::Error> for SelectionStoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error.to_string()),
            other => Self::Backend(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for SelectionStoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Backend(format!("migration failed: {error}"))
    }
}

impl From<SelectionStoreError> for ApiError {
    fn from(error: SelectionStoreError) -> Self {
        // Internals stay in the logs (the cause); the client gets a clean message.
        let api = match &error {
            SelectionStoreError::Unavailable(_) => ApiError::new(
                ErrorCode::DatabaseUnavailable,
                "the selection store is unavailable, try again shortly",
            ),
            _ => ApiError::internal("internal error in the selection store"),
        };
        api.with_cause(error)
    }
}
