//! The rate store port and its adapters.
//!
//! [`RateStore`] is what the services need from a relational database. Two adapters
//! implement it: [`mysql::MySqlRateStore`] for Aurora MySQL in production and
//! [`sqlite::SqliteRateStore`] for the embedded all-in-one. Both are the one SQL core
//! ([`sql::SqlRateStore`]) with their own [`sql::Dialect`]. The URL scheme picks one
//! ([`connect`]); both create their schema with embedded migrations.

pub mod alerts;
mod batch;
pub mod config;
pub mod error;
mod guarded;
pub mod migrations;
pub mod mysql;
pub mod sql;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use travel_domain::price_index::BigMacPrice;
use travel_domain::{CountryCode, CurrencyCode, CurrencyInfo, DailyRate, Observation, Quote};

pub use alerts::{AlertStore, Delivery, DeliveryState, StoredAlert};
pub use config::StoreConfig;
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A shipped dataset that has been loaded, identified by the hash of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetImport {
    pub dataset: String,
    pub sha256: String,
    pub row_count: u64,
    pub imported_at: DateTime<Utc>,
}

/// What [`RateStore::record_observations`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOutcome {
    /// Observations written: new or different from the stored row under their key
    /// (identical replays write nothing).
    pub observations: u64,
    /// Daily aggregate rows written (merged or recomputed).
    pub daily_rows: u64,
}

/// A row of the currency catalog table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow {
    pub code: CurrencyCode,
    pub name_en: String,
    pub active: bool,
}

/// Exchange-rate persistence. Every write is an idempotent upsert. The same database
/// holds the trip alerts ([`AlertStore`]).
#[async_trait]
pub trait RateStore: AlertStore + Send + Sync + 'static {
    /// "mysql" or "sqlite", for health reports and logs.
    fn backend(&self) -> &'static str;

    /// Runs the embedded migrations of this backend.
    async fn migrate(&self) -> Result<()>;

    /// Cheap round trip, for health checks.
    async fn ping(&self) -> Result<()>;

    /// Closes every connection, waiting for them to be returned (graceful shutdown).
    async fn close(&self);

    /// Makes the catalog table equal to `currencies` (insert or update by code).
    async fn sync_catalog(&self, currencies: &[CurrencyInfo]) -> Result<()>;

    async fn catalog(&self) -> Result<Vec<CatalogRow>>;

    /// Stores observations, keyed by (currency, source, recorded time), and in the same
    /// transaction merges the new ones into their days' aggregates (a corrected value
    /// recomputes its day from the stored observations instead) and moves the latest
    /// quote of each currency forward. Replaying a batch changes nothing.
    async fn record_observations(&self, observations: &[Observation]) -> Result<RecordOutcome>;

    /// The newest quote of each requested currency that has one, in request order.
    async fn latest_quotes(&self, codes: &[CurrencyCode]) -> Result<Vec<Quote>>;

    /// Daily aggregates of one currency between two dates, inclusive, oldest first.
    async fn daily_rates(
        &self,
        code: CurrencyCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRate>>;

    /// Observations of one currency recorded in `[from, to)`, oldest first (the
    /// intraday series; daily ones come from [`RateStore::daily_rates`]).
    async fn observations(
        &self,
        code: CurrencyCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Observation>>;

    /// Number of stored observations, of one currency or of all.
    async fn observation_count(&self, code: Option<CurrencyCode>) -> Result<u64>;

    async fn upsert_bigmac_prices(&self, prices: &[BigMacPrice]) -> Result<u64>;

    /// Every Big Mac survey row of a country, oldest first.
    async fn bigmac_prices(&self, country: CountryCode) -> Result<Vec<BigMacPrice>>;

    async fn dataset_import(&self, dataset: &str) -> Result<Option<DatasetImport>>;

    async fn mark_dataset_imported(&self, import: &DatasetImport) -> Result<()>;
}

/// Opens the store the URL names: `mysql://…` or `sqlite://…`.
pub async fn connect(config: &StoreConfig) -> Result<Arc<dyn RateStore>> {
    match config.url.scheme() {
        // Every call traced; a remote database behind its breaker (the embedded one
        // cannot be unreachable).
        "mysql" => Ok(Arc::new(guarded::Guarded::new(
            Arc::new(mysql::MySqlRateStore::connect(config).await?),
            Some(travel_breaker::Breaker::new(
                travel_breaker::DATABASE,
                config.breaker,
            )),
        ))),
        "sqlite" => Ok(Arc::new(guarded::Guarded::new(
            Arc::new(sqlite::SqliteRateStore::connect(config).await?),
            None,
        ))),
        other => Err(StoreError::Config(format!(
            "unsupported database URL scheme {other:?}: expected mysql:// or sqlite://"
        ))),
    }
}
