//! DynamoDB adapter: the layout of the system this replaces, kept name for name.
//!
//! `travel_destination_selections` holds the raw selections (partition `selection_date`,
//! sort key `selection_timestamp_userid`) and, in the same partitions, the counters of
//! each day and country, sharded over [`COUNTER_SHARDS`] items under the sort keys
//! `#COUNT#<country>#<shard>`. A selection's shard is a stable hash of its key
//! ([`counter_shard`]), so the writes of a popular country spread over several items
//! instead of all updating (and conflicting on) one hot item, and a retried write hits
//! the same shard. A selection and its counter increment are written in one transaction
//! whose put is conditional on the key being new, so a retried write is neither stored
//! nor counted twice. Reading sums every `#COUNT#` item of a day by its
//! `counter_country` attribute, whatever the shard (or the number of shards) it was
//! written under. Counter items carry no `country_code` (they stay out of
//! `country-date-index`) and no `expires_at` (they outlive the raw selections, which
//! DynamoDB's TTL deletes).
//!
//! `RankingResults` holds one item per period with the ranking as a native list of maps.
//! The JSON definitions in `deploy/dynamodb/` describe the same tables; a unit test
//! keeps them in step with [`SELECTIONS_TABLE`] and [`RESULTS_TABLE`].

mod attribute;
mod codec;
mod counter;
mod error;
mod schema;
mod transaction;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_smithy_http_client::tls;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};

use crate::{
    DayCount, RankingPeriod, Recorded, Result, Selection, SelectionStore, SelectionStoreConfig,
    SelectionStoreError, StoredRanking,
};
use attribute::{format_day, s};
use codec::{parse_ranking, parse_selection, ranking_item, selection_item};
use error::{build_error, sdk_error};
use schema::check_layout;
use transaction::{CONFLICT_ATTEMPTS, Cancellation, cancellation, conflict_backoff};

pub use counter::{COUNTER_PREFIX, COUNTER_SHARDS, counter_key, counter_shard};
pub use schema::{
    COUNTRY_DATE_INDEX, IndexSpec, RESULTS_TABLE, SELECTIONS_TABLE, TTL_ATTRIBUTE, TableSpec,
};

/// Used when neither the configuration nor the default chain names a region.
pub const DEFAULT_REGION: &str = "ap-northeast-2";

/// `day_counts` issues one query per day; a longer range is a caller bug, not a ranking.
pub const MAX_DAY_RANGE: usize = 400;
/// Transactions in flight for one `record_batch`.
const WRITE_CONCURRENCY: usize = 16;
/// Day queries in flight for one `day_counts`.
const READ_CONCURRENCY: usize = 8;

pub struct DynamoSelectionStore {
    client: Client,
    selections_table: String,
    results_table: String,
    create_tables: bool,
}

/// An SDK client for the configured endpoint and region. Credentials come from the
/// default chain (environment, profile, IRSA web identity, container or instance role).
pub async fn client(config: &SelectionStoreConfig) -> Client {
    // Bounded attempts: a hung connection must surface as Unavailable, not a stuck
    // request; the SDK's standard retries (throttling, 5xx) fit inside.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(20))
        .build();
    // rustls on ring, the crypto stack of every other client in the workspace (the
    // SDK's default client would link aws-lc), with the platform's trust store.
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    // Without a configured region the loader's own chain (environment, profile,
    // instance metadata) looks for one, through the client above; then the default.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https)
        .timeout_config(timeouts);
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &config.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let mut sdk = loader.load().await;
    if sdk.region().is_none() {
        sdk = sdk
            .into_builder()
            .region(Region::from_static(DEFAULT_REGION))
            .build();
    }
    Client::new(&sdk)
}

impl DynamoSelectionStore {
    /// Builds the client and runs [`ensure_schema`](SelectionStore::ensure_schema), so a
    /// missing table fails start-up rather than the first request.
    pub async fn connect(config: &SelectionStoreConfig) -> Result<Self> {
        let store = Self::with_client(client(config).await, config);
        store.ensure_schema().await?;
        Ok(store)
    }

    /// A store on an existing client; performs no request.
    pub fn with_client(client: Client, config: &SelectionStoreConfig) -> Self {
        Self {
            client,
            selections_table: config.selections_table.clone(),
            results_table: config.results_table.clone(),
            create_tables: config.create_tables,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl SelectionStore for DynamoSelectionStore {
    fn backend(&self) -> &'static str {
        "dynamodb"
    }

    async fn ensure_schema(&self) -> Result<()> {
        let tables = [
            (&self.selections_table, &SELECTIONS_TABLE),
            (&self.results_table, &RESULTS_TABLE),
        ];
        for (table, spec) in tables {
            match self.describe(table).await? {
                Some(description) => check_layout(table, spec, &description)?,
                None if self.create_tables => self.create(table, spec).await?,
                None => {
                    return Err(SelectionStoreError::Config(format!(
                        "DynamoDB table {table:?} does not exist (create it from \
                         deploy/dynamodb/, or enable create_tables in development)"
                    )));
                }
            }
        }
        if self.create_tables {
            for (table, _) in tables {
                self.wait_active(table).await?;
            }
            self.enable_ttl().await?;
        }
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        match self.describe(&self.selections_table).await? {
            Some(_) => Ok(()),
            None => Err(SelectionStoreError::Config(format!(
                "DynamoDB table {:?} does not exist",
                self.selections_table
            ))),
        }
    }

    async fn record(&self, selection: &Selection) -> Result<Recorded> {
        let table = &self.selections_table;
        let date = selection.selection_date();
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(selection_item(selection)))
            .condition_expression("attribute_not_exists(selection_date)")
            .build()
            .map_err(build_error)?;
        let update = Update::builder()
            .table_name(table)
            .key("selection_date", s(&date))
            .key("selection_timestamp_userid", s(counter_key(selection)))
            .update_expression("ADD selection_count :one SET counter_country = :c")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":c", s(&selection.country_code))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(update).build(),
        ];
        let mut attempt = 0;
        loop {
            // The SDK fills in a fresh ClientRequestToken per send and keeps it across
            // its own retries, so DynamoDB answers a retry after a lost response with
            // success, not a failed condition. (moto ignores the token: there a timed
            // out but committed attempt comes back as Duplicate, still counted once.)
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Recorded::New),
                Err(error) => error,
            };
            match cancellation(&error) {
                Cancellation::Duplicate => return Ok(Recorded::Duplicate),
                Cancellation::Conflict if attempt + 1 < CONFLICT_ATTEMPTS => {
                    tokio::time::sleep(conflict_backoff(attempt)).await;
                    attempt += 1;
                }
                Cancellation::Conflict => {
                    return Err(SelectionStoreError::Unavailable(format!(
                        "selection {} on {date} still conflicts after {CONFLICT_ATTEMPTS} \
                         attempts: {}",
                        selection.selection_key(),
                        DisplayErrorContext(&error)
                    )));
                }
                Cancellation::Throttled => {
                    return Err(SelectionStoreError::Unavailable(format!(
                        "TransactWriteItems {table} throttled: {}",
                        DisplayErrorContext(&error)
                    )));
                }
                Cancellation::Other => {
                    return Err(sdk_error(&format!("TransactWriteItems {table}"), error));
                }
            }
        }
    }

    async fn record_batch(&self, selections: &[Selection]) -> Result<u64> {
        // Collected first: a lazy `map` closure in the stream type trips the compiler's
        // higher-ranked lifetime check inside an async-trait future.
        let writes: Vec<_> = selections.iter().map(|s| self.record(s)).collect();
        // On the first error the remaining writes are dropped; the caller retries the
        // batch and the conditional puts keep the counters exact.
        futures::stream::iter(writes)
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_fold(0u64, |new, recorded| async move {
                Ok(new + u64::from(recorded == Recorded::New))
            })
            .await
    }

    async fn day_counts(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayCount>> {
        let days = day_range(from, to)?;
        // `buffered` keeps the input order, so days come back in order.
        let reads: Vec<_> = days
            .into_iter()
            .map(|day| self.counts_of_day(day))
            .collect();
        let per_day: Vec<Vec<DayCount>> = futures::stream::iter(reads)
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(per_day.into_iter().flatten().collect())
    }

    async fn selections_for_country(
        &self,
        country_code: &str,
        from: NaiveDate,
        to: NaiveDate,
        limit: usize,
    ) -> Result<Vec<Selection>> {
        if limit == 0 || from > to {
            return Ok(Vec::new());
        }
        // The index sorts by day only; within a day the order is unspecified. To return
        // the first `limit` by (day, key) the last day reached must be read to its end.
        let mut found: Vec<(String, Selection)> = Vec::new();
        let mut cutoff: Option<NaiveDate> = None;
        let mut start = None;
        'pages: loop {
            let wanted = if found.len() < limit {
                limit - found.len() + 1
            } else {
                100
            };
            let page = self
                .client
                .query()
                .table_name(&self.selections_table)
                .index_name(COUNTRY_DATE_INDEX)
                .key_condition_expression(
                    "country_code = :c AND selection_date BETWEEN :from AND :to",
                )
                .expression_attribute_values(":c", s(country_code))
                .expression_attribute_values(":from", s(format_day(from)))
                .expression_attribute_values(":to", s(format_day(to)))
                .limit(i32::try_from(wanted.min(1000)).unwrap_or(1000))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| {
                    sdk_error(&format!("Query {COUNTRY_DATE_INDEX} for {country_code}"), e)
                })?;
            for item in page.items() {
                let (key, selection) = parse_selection(item)?;
                if cutoff.is_some_and(|last_day| selection.day > last_day) {
                    break 'pages;
                }
                if found.len() + 1 == limit {
                    cutoff = Some(selection.day);
                }
                found.push((key, selection));
            }
            start = next_page(page.last_evaluated_key());
            if start.is_none() {
                break;
            }
        }
        found.sort_by(|(a_key, a), (b_key, b)| a.day.cmp(&b.day).then_with(|| a_key.cmp(b_key)));
        found.truncate(limit);
        Ok(found.into_iter().map(|(_, selection)| selection).collect())
    }

    async fn save_ranking(&self, ranking: &StoredRanking) -> Result<()> {
        let table = &self.results_table;
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(ranking_item(ranking)?))
            .send()
            .await
            .map_err(|e| sdk_error(&format!("PutItem {table}"), e))?;
        Ok(())
    }

    async fn load_ranking(&self, period: RankingPeriod) -> Result<Option<StoredRanking>> {
        let table = &self.results_table;
        let output = self
            .client
            .get_item()
            .table_name(table)
            .key("period", s(period.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("GetItem {table}"), e))?;
        output.item().map(parse_ranking).transpose()
    }

    async fn purge_expired(&self, _now: DateTime<Utc>) -> Result<u64> {
        // DynamoDB deletes expired selections itself (TTL on `expires_at`).
        Ok(0)
    }
}

/// The days `from..=to`, refusing ranges that would mean hundreds of queries.
fn day_range(from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>> {
    if from > to {
        return Ok(Vec::new());
    }
    let days = usize::try_from((to - from).num_days() + 1).unwrap_or(usize::MAX);
    if days > MAX_DAY_RANGE {
        return Err(SelectionStoreError::Config(format!(
            "day_counts over {days} days ({from}..={to}); at most {MAX_DAY_RANGE} are read"
        )));
    }
    Ok(from.iter_days().take(days).collect())
}

fn next_page(
    last: Option<&HashMap<String, AttributeValue>>,
) -> Option<HashMap<String, AttributeValue>> {
    last.filter(|key| !key.is_empty()).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_are_bounded() {
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(
            day_range(day("2026-11-27"), day("2026-11-26")).unwrap(),
            vec![]
        );
        assert_eq!(
            day_range(day("2026-02-27"), day("2026-03-01")).unwrap(),
            vec![day("2026-02-27"), day("2026-02-28"), day("2026-03-01")]
        );
        let to = day("2026-01-01") + chrono::Days::new(MAX_DAY_RANGE as u64 - 1);
        assert_eq!(
            day_range(day("2026-01-01"), to).unwrap().len(),
            MAX_DAY_RANGE
        );
        let error = day_range(day("2026-01-01"), to + chrono::Days::new(1)).unwrap_err();
        assert!(matches!(error, SelectionStoreError::Config(_)), "{error}");
    }
}
