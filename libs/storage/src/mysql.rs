//! Aurora MySQL 8.0 adapter (tested on MariaDB 10.11): its [`Dialect`].
//!
//! Upserts use `ON DUPLICATE KEY UPDATE c = VALUES(c)`: MySQL 8.0.20 deprecates
//! `VALUES()` in favour of a row alias, but MariaDB does not understand the alias,
//! and Aurora accepts both.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::MySql;
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlPool, MySqlPoolOptions};

use crate::sql::{Dialect, SqlRateStore};
use crate::{Result, StoreConfig, StoreError};

pub type MySqlRateStore = SqlRateStore<MySql>;

/// The schema, embedded (see [`crate::migrations`]).
pub(crate) const MIGRATIONS: &[crate::migrations::Embedded] = crate::embedded_migrations!(
    "migrations/mysql":
    "20261127000001_initial.sql",
    "20261127000002_daily_volatility.sql",
    "20261127000003_daily_merge_state.sql",
    "20261207000001_alerts.sql",
);

impl Dialect for MySql {
    const BACKEND: &'static str = "mysql";
    const MIGRATIONS: &'static [crate::migrations::Embedded] = MIGRATIONS;
    /// 15 placeholders a row stay far below MySQL's 65,535.
    const CHUNK: usize = 1000;

    /// Builds the pool without connecting: a database that is down at start-up makes
    /// reads fail with `Unavailable` until it is back, instead of a crash loop.
    async fn connect(config: &StoreConfig) -> Result<MySqlPool> {
        let options = MySqlConnectOptions::from_str(config.url.expose().as_str())
            .map_err(|e| StoreError::Config(e.to_string()))?;
        Ok(MySqlPoolOptions::new()
            .max_connections(config.max_connections)
            .min_connections(config.min_connections)
            .acquire_timeout(config.acquire_timeout)
            .idle_timeout(Some(config.idle_timeout))
            .max_lifetime(Some(config.max_lifetime))
            .connect_lazy_with(options))
    }

    const BEGIN: Option<&'static str> = None;
    /// InnoDB locks the rows read (and the gaps between them) until the commit.
    const LOCKING_READ: &'static str = " FOR UPDATE";

    /// InnoDB deadlock (1213) and lock wait time-out (1205): the transaction was rolled
    /// back.
    fn is_retryable(error: &sqlx::Error) -> bool {
        error
            .as_database_error()
            .and_then(|e| e.try_downcast_ref::<MySqlDatabaseError>())
            .is_some_and(|e| matches!(e.number(), 1213 | 1205))
    }

    /// The key is whichever unique key the row collides with: each table has one
    /// besides an auto-increment id.
    fn upsert(_keys: &[&str], columns: &[&str]) -> String {
        let assignments: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = VALUES({c})"))
            .collect();
        format!("ON DUPLICATE KEY UPDATE {}", assignments.join(", "))
    }

    /// Assignments run left to right with the values already updated, so `time` moves
    /// last and the `IF()`s still compare against the stored time.
    fn upsert_newer(_table: &str, _keys: &[&str], columns: &[&str], time: &str) -> String {
        let mut assignments: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = IF(VALUES({time}) >= {time}, VALUES({c}), {c})"))
            .collect();
        assignments.push(format!("{time} = GREATEST({time}, VALUES({time}))"));
        format!("ON DUPLICATE KEY UPDATE {}", assignments.join(", "))
    }

    /// `DECIMAL(24, 10)`, read back without trailing zeros.
    type Decimal = Decimal;

    fn encode_decimal(value: Decimal) -> Decimal {
        value
    }

    fn decode_decimal(stored: Decimal, _column: &str) -> Result<Decimal> {
        Ok(stored.normalize())
    }

    /// `DATETIME(6)` in UTC.
    type Time = DateTime<Utc>;

    fn encode_time(at: DateTime<Utc>) -> DateTime<Utc> {
        at
    }

    fn decode_time(stored: DateTime<Utc>, _column: &str) -> Result<DateTime<Utc>> {
        Ok(stored)
    }

    fn rows_affected(result: &sqlx::mysql::MySqlQueryResult) -> u64 {
        result.rows_affected()
    }

    /// `BIGINT UNSIGNED`.
    type Count = u64;

    fn encode_count(count: u64) -> u64 {
        count
    }

    fn decode_count(stored: u64) -> u64 {
        stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upserts_take_the_inserted_values() {
        assert_eq!(
            MySql::upsert(&["k"], &["a", "b"]),
            "ON DUPLICATE KEY UPDATE a = VALUES(a), b = VALUES(b)"
        );
        assert_eq!(
            MySql::upsert_newer("t", &["k"], &["a"], "at"),
            "ON DUPLICATE KEY UPDATE a = IF(VALUES(at) >= at, VALUES(a), a), \
             at = GREATEST(at, VALUES(at))"
        );
    }
}
