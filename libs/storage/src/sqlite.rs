//! Embedded SQLite adapter for the all-in-one: its [`Dialect`].
//!
//! SQLite has no exact decimal type: quotes are stored as canonical decimal text and
//! parsed back into `rust_decimal`, never through floating point. Timestamps are
//! integer microseconds (UTC) so that comparisons in SQL order them correctly.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::sql::{Dialect, SqlRateStore};
use crate::{Result, StoreConfig, StoreError};

pub type SqliteRateStore = SqlRateStore<Sqlite>;

/// The schema, embedded (see [`crate::migrations`]).
pub(crate) const MIGRATIONS: &[crate::migrations::Embedded] = crate::embedded_migrations!(
    "migrations/sqlite":
    "20261127000001_initial.sql",
    "20261127000002_daily_volatility.sql",
    "20261127000003_daily_merge_state.sql",
    "20261207000001_alerts.sql",
);

impl Dialect for Sqlite {
    const BACKEND: &'static str = "sqlite";
    const MIGRATIONS: &'static [crate::migrations::Embedded] = MIGRATIONS;
    /// 15 placeholders a row stay below SQLite's 32,766.
    const CHUNK: usize = 2000;

    /// Opens (creating if needed) the database file the URL names, in WAL mode so that
    /// readers are not blocked by the writer.
    async fn connect(config: &StoreConfig) -> Result<SqlitePool> {
        let options = SqliteConnectOptions::from_str(config.url.expose().as_str())
            .map_err(|e| StoreError::Config(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        Ok(SqlitePoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .min_connections(config.min_connections)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options)
            .await?)
    }

    /// IMMEDIATE: the transaction reads before it writes, and a deferred one could not
    /// upgrade to the write lock when another writer got in between. Holding the
    /// database's one write lock from the start, it needs no row locks and meets no
    /// conflict to retry.
    const BEGIN: Option<&'static str> = Some("BEGIN IMMEDIATE");
    const LOCKING_READ: &'static str = "";

    fn is_retryable(_error: &sqlx::Error) -> bool {
        false
    }

    fn upsert(keys: &[&str], columns: &[&str]) -> String {
        format!(
            "ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            from_excluded(columns)
        )
    }

    fn upsert_newer(table: &str, keys: &[&str], columns: &[&str], time: &str) -> String {
        format!(
            "ON CONFLICT ({}) DO UPDATE SET {}, {time} = excluded.{time} \
             WHERE excluded.{time} >= {table}.{time}",
            keys.join(", "),
            from_excluded(columns)
        )
    }

    /// Canonical decimal text.
    type Decimal = String;

    fn encode_decimal(value: Decimal) -> String {
        value.normalize().to_string()
    }

    fn decode_decimal(stored: String, column: &str) -> Result<Decimal> {
        Decimal::from_str(&stored)
            .map_err(|e| StoreError::Corrupt(format!("{column}={stored:?}: {e}")))
    }

    /// Integer microseconds since the epoch.
    type Time = i64;

    fn encode_time(at: DateTime<Utc>) -> i64 {
        at.timestamp_micros()
    }

    fn decode_time(stored: i64, column: &str) -> Result<DateTime<Utc>> {
        DateTime::from_timestamp_micros(stored)
            .ok_or_else(|| StoreError::Corrupt(format!("{column}={stored} is out of range")))
    }

    fn rows_affected(result: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    /// `INTEGER`, signed 64-bit: counts never reach its limit.
    type Count = i64;

    fn encode_count(count: u64) -> i64 {
        count as i64
    }

    fn decode_count(stored: i64) -> u64 {
        stored as u64
    }
}

/// `c = excluded.c, …`: the inserted row's values.
fn from_excluded(columns: &[&str]) -> String {
    let assignments: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    assignments.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_take_the_inserted_values() {
        assert_eq!(
            Sqlite::upsert(&["k", "l"], &["a", "b"]),
            "ON CONFLICT (k, l) DO UPDATE SET a = excluded.a, b = excluded.b"
        );
        assert_eq!(
            Sqlite::upsert_newer("t", &["k"], &["a"], "at"),
            "ON CONFLICT (k) DO UPDATE SET a = excluded.a, at = excluded.at \
             WHERE excluded.at >= t.at"
        );
    }
}
