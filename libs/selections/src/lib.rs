//! The selection store port: travellers' destination selections, the per-day
//! per-country counters maintained as they are written, and the latest calculated
//! ranking of each period.
//!
//! Rankings are computed from the counters only (at most 31 days × countries), so the
//! cost of a calculation does not grow with the number of selections. Adapters: SQLite
//! for the all-in-one and DynamoDB (the layout of the system this replaces) in the
//! cluster (the `dynamodb` feature: the AWS SDK is a long build the all-in-one does
//! without).

mod config;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
mod error;
mod model;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

pub use config::SelectionStoreConfig;
pub use error::{Result, SelectionStoreError};
pub use model::{
    BaselineRank, CalculationMetadata, DayCount, RankChange, RankingEntry, RankingPeriod, Recorded,
    Selection, StoredRanking,
};

/// Where selections, counters and ranking results live.
#[async_trait]
pub trait SelectionStore: Send + Sync {
    /// "sqlite" or "dynamodb", for logs and health.
    fn backend(&self) -> &'static str;

    /// Creates missing tables (SQLite: always, via its migrations; DynamoDB: only when
    /// configured to, for development and tests).
    async fn ensure_schema(&self) -> Result<()>;

    /// A cheap round trip proving the store answers.
    async fn ping(&self) -> Result<()>;

    /// Stores one selection and counts it for its day and country, atomically. A
    /// selection whose key (`selection_date`, `selection_key()`) is already stored is
    /// not counted again: a retried write returns [`Recorded::Duplicate`].
    async fn record(&self, selection: &Selection) -> Result<Recorded>;

    /// [`record`](Self::record) for many selections; returns how many were new.
    async fn record_batch(&self, selections: &[Selection]) -> Result<u64>;

    /// The non-zero counters of the days `from..=to`, ordered by day then country.
    async fn day_counts(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayCount>>;

    /// Stored selections of one country on the days `from..=to` (the country-date
    /// index), ordered by day then key, at most `limit`.
    async fn selections_for_country(
        &self,
        country_code: &str,
        from: NaiveDate,
        to: NaiveDate,
        limit: usize,
    ) -> Result<Vec<Selection>>;

    /// Replaces the stored ranking of `ranking.period`.
    async fn save_ranking(&self, ranking: &StoredRanking) -> Result<()>;

    /// The stored ranking of a period, if one was ever calculated.
    async fn load_ranking(&self, period: RankingPeriod) -> Result<Option<StoredRanking>>;

    /// Deletes raw selections whose expiry has passed; returns how many. DynamoDB
    /// expires items itself through its TTL attribute and returns 0.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64>;
}

/// Opens the store the URL names: `sqlite://path` or `dynamodb://`.
pub async fn connect(config: &SelectionStoreConfig) -> Result<Arc<dyn SelectionStore>> {
    let store: Arc<dyn SelectionStore> = match config.url.scheme() {
        "sqlite" => Arc::new(sqlite::SqliteSelectionStore::connect(config).await?),
        #[cfg(feature = "dynamodb")]
        "dynamodb" => Arc::new(dynamodb::DynamoSelectionStore::connect(config).await?),
        #[cfg(not(feature = "dynamodb"))]
        "dynamodb" => {
            return Err(SelectionStoreError::Config(
                "this build has no DynamoDB adapter (cargo feature travel-selections/dynamodb; the ranking binary has it)".to_string(),
            ));
        }
        other => {
            return Err(SelectionStoreError::Config(format!(
                "unsupported selection store scheme {other:?} (expected sqlite or dynamodb)"
            )));
        }
    };
    Ok(store)
}

/// Built without the adapter (the all-in-one), a DynamoDB URL is refused with the
/// feature it needs; with it, the URL opens the store (tested against moto).
#[cfg(all(test, not(feature = "dynamodb")))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dynamodb_without_its_feature_names_the_feature() {
        let config = SelectionStoreConfig::new("dynamodb://".parse().unwrap());
        let Err(SelectionStoreError::Config(message)) = connect(&config).await else {
            panic!("a build without the dynamodb feature opened dynamodb://");
        };
        assert!(message.contains("travel-selections/dynamodb"), "{message}");
    }
}
