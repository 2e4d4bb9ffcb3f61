//! What differs between the SQL backends of the rate store, in one trait.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::migrate::Migrate;
use sqlx::{Database, Decode, Encode, IntoArguments, Pool, Type};

use crate::migrations::Embedded;
use crate::{Result, StoreConfig};

/// A Rust type that a backend binds and reads without conversion.
pub trait Native<DB: Database>:
    for<'e> Encode<'e, DB> + for<'r> Decode<'r, DB> + Type<DB> + Send + Sync
{
}

impl<DB: Database, T> Native<DB> for T where
    T: for<'e> Encode<'e, DB> + for<'r> Decode<'r, DB> + Type<DB> + Send + Sync
{
}

/// A SQL backend of the rate store: everything [`super::SqlRateStore`] does not do
/// alike on every backend. Implemented for [`sqlx::MySql`] and [`sqlx::Sqlite`].
pub trait Dialect: Database<Connection: Migrate, Arguments: IntoArguments<Self>> {
    /// The name [`crate::RateStore::backend`] reports.
    const BACKEND: &'static str;

    /// The schema, embedded (see [`crate::migrations`]).
    const MIGRATIONS: &'static [Embedded];

    /// Rows per multi-row statement, so that the placeholders (at most 15 a row) stay
    /// below the backend's limit.
    const CHUNK: usize;

    /// Opens the pool the configuration names.
    fn connect(config: &StoreConfig) -> impl Future<Output = Result<Pool<Self>>> + Send;

    /// The statement that opens the transaction of
    /// [`crate::RateStore::record_observations`]; `None`: the driver's `BEGIN`.
    const BEGIN: Option<&'static str>;

    /// Appended to that transaction's reads, so that they see the rows other
    /// transactions committed meanwhile and keep them locked until the commit.
    const LOCKING_READ: &'static str;

    /// Whether that transaction failed in a conflict that rolled it back whole, so
    /// that it may simply run again.
    fn is_retryable(error: &sqlx::Error) -> bool;

    /// What follows `INSERT … VALUES …` to update `columns` of a row whose unique key
    /// `keys` is taken, from the inserted row.
    fn upsert(keys: &[&str], columns: &[&str]) -> String;

    /// The same, but only while the inserted row's `time` is not older than the stored
    /// one's; `time` itself moves forward too.
    fn upsert_newer(table: &str, keys: &[&str], columns: &[&str], time: &str) -> String;

    /// How a quote column holds a decimal.
    type Decimal: Native<Self>;
    fn encode_decimal(value: Decimal) -> Self::Decimal;
    fn decode_decimal(stored: Self::Decimal, column: &str) -> Result<Decimal>;

    /// How a timestamp column holds an instant.
    type Time: Native<Self> + Copy;
    fn encode_time(at: DateTime<Utc>) -> Self::Time;
    fn decode_time(stored: Self::Time, column: &str) -> Result<DateTime<Utc>>;

    /// Rows an `UPDATE` or `DELETE` matched: how a conditional update tells whether
    /// it won.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// How an unsigned 64-bit count column holds one.
    type Count: Native<Self>;
    fn encode_count(count: u64) -> Self::Count;
    fn decode_count(stored: Self::Count) -> u64;
}
