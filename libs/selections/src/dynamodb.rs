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

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::str::FromStr;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TableDescription, TableStatus, TimeToLiveSpecification, TimeToLiveStatus, TransactWriteItem,
    Update,
};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};

use crate::{
    BaselineRank, CalculationMetadata, DayCount, RankChange, RankingEntry, RankingPeriod, Recorded,
    Result, Selection, SelectionStore, SelectionStoreConfig, SelectionStoreError, StoredRanking,
};

/// The global secondary index of selections by country and day.
pub const COUNTRY_DATE_INDEX: &str = "country-date-index";
/// Sort-key prefix of counter items; `#` sorts before the digits of timestamps.
pub const COUNTER_PREFIX: &str = "#COUNT#";
/// Counter items per day and country. Writes of one country spread over this many
/// items; a day's query reads up to this many items per country. Changing it is safe:
/// reads sum all shards by `counter_country`, whatever the count they were written with.
pub const COUNTER_SHARDS: u32 = 16;
/// The TTL attribute of raw selections (unix seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Used when neither the configuration nor the default chain names a region.
pub const DEFAULT_REGION: &str = "ap-northeast-2";

/// `day_counts` issues one query per day; a longer range is a caller bug, not a ranking.
pub const MAX_DAY_RANGE: usize = 400;
/// Transactions in flight for one `record_batch`.
const WRITE_CONCURRENCY: usize = 16;
/// Day queries in flight for one `day_counts`.
const READ_CONCURRENCY: usize = 8;
/// Attempts of one selection's transaction while it conflicts with others on the same
/// counter shard (selections of a day and country share [`COUNTER_SHARDS`] items).
const CONFLICT_ATTEMPTS: u32 = 10;
const CONFLICT_BACKOFF_BASE: Duration = Duration::from_millis(20);
const CONFLICT_BACKOFF_CAP: Duration = Duration::from_secs(1);
/// How long `ensure_schema` waits for created tables to become ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// A table's key layout: what `ensure_schema` creates and checks, and what the JSON
/// definitions in `deploy/dynamodb/` must say.
#[derive(Debug)]
pub struct TableSpec {
    /// (attribute, scalar type) of every key attribute, indexes included.
    pub attributes: &'static [(&'static str, &'static str)],
    /// (attribute, HASH or RANGE), in order.
    pub key: &'static [(&'static str, &'static str)],
    pub indexes: &'static [IndexSpec],
}

#[derive(Debug)]
pub struct IndexSpec {
    pub name: &'static str,
    pub key: &'static [(&'static str, &'static str)],
    pub projection: &'static str,
}

pub const SELECTIONS_TABLE: TableSpec = TableSpec {
    attributes: &[
        ("selection_date", "S"),
        ("selection_timestamp_userid", "S"),
        ("country_code", "S"),
    ],
    key: &[
        ("selection_date", "HASH"),
        ("selection_timestamp_userid", "RANGE"),
    ],
    indexes: &[IndexSpec {
        name: COUNTRY_DATE_INDEX,
        key: &[("country_code", "HASH"), ("selection_date", "RANGE")],
        projection: "ALL",
    }],
};

pub const RESULTS_TABLE: TableSpec = TableSpec {
    attributes: &[("period", "S")],
    key: &[("period", "HASH")],
    indexes: &[],
};

pub struct DynamoSelectionStore {
    client: Client,
    selections_table: String,
    results_table: String,
    create_tables: bool,
}

/// An SDK client for the configured endpoint and region. Credentials come from the
/// default chain (environment, profile, IRSA web identity, container or instance role).
pub async fn client(config: &SelectionStoreConfig) -> Client {
    let region = RegionProviderChain::first_try(config.region.clone().map(Region::new))
        .or_default_provider()
        .or_else(Region::from_static(DEFAULT_REGION));
    // Bounded attempts: a hung connection must surface as Unavailable, not a stuck
    // request; the SDK's standard retries (throttling, 5xx) fit inside.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(20))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .timeout_config(timeouts);
    if let Some(endpoint) = &config.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    Client::new(&loader.load().await)
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

    /// The table's description, `None` when it does not exist.
    async fn describe(&self, table: &str) -> Result<Option<TableDescription>> {
        match self.client.describe_table().table_name(table).send().await {
            Ok(output) => Ok(output.table),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(error) => Err(sdk_error(&format!("DescribeTable {table}"), error)),
        }
    }

    async fn create(&self, table: &str, spec: &TableSpec) -> Result<()> {
        let indexes = spec
            .indexes
            .iter()
            .map(|index| {
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(index.key)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(index.projection))
                            .build(),
                    )
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>>>()?;
        let attributes = spec
            .attributes
            .iter()
            .map(|(name, kind)| {
                AttributeDefinition::builder()
                    .attribute_name(*name)
                    .attribute_type(ScalarAttributeType::from(*kind))
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>>>()?;
        let result = self
            .client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(spec.key)?))
            .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
            .send()
            .await;
        match result {
            Ok(_) => {
                tracing::info!(table, "created DynamoDB table");
                Ok(())
            }
            // Another replica or test created it meanwhile: wait for it like for ours.
            Err(error) if error.code() == Some("ResourceInUseException") => Ok(()),
            Err(error) => Err(sdk_error(&format!("CreateTable {table}"), error)),
        }
    }

    /// Polls until the table and its indexes are ACTIVE.
    async fn wait_active(&self, table: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(description) = self.describe(table).await?
                && description.table_status() == Some(&TableStatus::Active)
                && description
                    .global_secondary_indexes()
                    .iter()
                    .all(|index| index.index_status() == Some(&IndexStatus::Active))
            {
                return Ok(());
            }
            if started.elapsed() > ACTIVE_TIMEOUT {
                return Err(SelectionStoreError::Unavailable(format!(
                    "DynamoDB table {table} did not become ACTIVE within {ACTIVE_TIMEOUT:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Enables TTL on `expires_at` unless it is already on (or being switched on).
    async fn enable_ttl(&self) -> Result<()> {
        let table = &self.selections_table;
        if self.ttl_enabled().await? {
            return Ok(());
        }
        let specification = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(specification)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A concurrent start-up may have enabled it between our two calls.
            Err(error) => match self.ttl_enabled().await {
                Ok(true) => Ok(()),
                _ => Err(sdk_error(&format!("UpdateTimeToLive {table}"), error)),
            },
        }
    }

    async fn ttl_enabled(&self) -> Result<bool> {
        let table = &self.selections_table;
        let output = self
            .client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("DescribeTimeToLive {table}"), e))?;
        let Some(description) = output.time_to_live_description() else {
            return Ok(false);
        };
        let on = matches!(
            description.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        );
        match description.attribute_name() {
            Some(attribute) if on && attribute != TTL_ATTRIBUTE => {
                Err(SelectionStoreError::Config(format!(
                    "DynamoDB table {table} expires items by {attribute:?}, expected {TTL_ATTRIBUTE:?}"
                )))
            }
            _ => Ok(on),
        }
    }

    /// The non-zero counts of one day, summed over each country's shards, ordered by
    /// country.
    async fn counts_of_day(&self, day: NaiveDate) -> Result<Vec<DayCount>> {
        let date = format_day(day);
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.selections_table)
                .key_condition_expression(
                    "selection_date = :d AND begins_with(selection_timestamp_userid, :p)",
                )
                .expression_attribute_values(":d", s(&date))
                .expression_attribute_values(":p", s(COUNTER_PREFIX))
                .projection_expression("counter_country, selection_count")
                // Counters are few and small; a strong read lets a ranking calculated
                // right after a write see it.
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("Query counters of {date}"), e))?;
            for item in page.items() {
                let item = Item::new(item, "counter");
                let count: u64 = item.number("selection_count")?;
                // The country comes from the attribute, not the sort key, so the shard
                // suffix (or its absence on an unsharded counter) does not matter.
                let country = item.string("counter_country")?;
                let total = counts.entry(country.to_string()).or_default();
                *total = total.checked_add(count).ok_or_else(|| {
                    SelectionStoreError::Corrupt(format!(
                        "counters of {country} on {date} overflow u64"
                    ))
                })?;
            }
            start = next_page(page.last_evaluated_key());
            if start.is_none() {
                break;
            }
        }
        Ok(counts
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|(country_code, count)| DayCount {
                day,
                country_code,
                count,
            })
            .collect())
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

/// Why a transaction was cancelled, as far as `record` cares.
#[derive(Debug, PartialEq, Eq)]
enum Cancellation {
    /// The conditional put found the key taken.
    Duplicate,
    /// Another transaction held one of the items: try again.
    Conflict,
    Throttled,
    Other,
}

fn cancellation(error: &SdkError<TransactWriteItemsError>) -> Cancellation {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            let codes: Vec<&str> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().unwrap_or("None"))
                .collect();
            cancellation_of(&codes)
        }
        // An SDK retry of ours met the first attempt still running; that attempt either
        // commits (and a new try finds the key taken) or not (and a new try stores it).
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => Cancellation::Conflict,
        _ => Cancellation::Other,
    }
}

/// Classifies the reason codes of a cancelled `record` transaction, which are in
/// request order: the put first, then the counter update.
fn cancellation_of(codes: &[&str]) -> Cancellation {
    if codes.first() == Some(&"ConditionalCheckFailed") {
        Cancellation::Duplicate
    } else if codes.contains(&"TransactionConflict") {
        Cancellation::Conflict
    } else if codes
        .iter()
        .any(|code| matches!(*code, "ThrottlingError" | "ProvisionedThroughputExceeded"))
    {
        Cancellation::Throttled
    } else {
        Cancellation::Other
    }
}

/// The counter shard of a selection, in `0..COUNTER_SHARDS`: 64-bit FNV-1a of its key
/// ([`Selection::selection_key`]), folded to 32 bits. Stable across processes and
/// releases (unlike `std`'s randomly seeded hasher), so a retried write of the same
/// selection updates the same counter item.
pub fn counter_shard(selection: &Selection) -> u32 {
    let hash = fnv1a_64(selection.selection_key().as_bytes());
    // The high half mixes in every input bit; the low bits alone would depend only on
    // the low bits of each byte.
    let folded = (hash ^ (hash >> 32)) as u32;
    folded % COUNTER_SHARDS
}

/// 64-bit FNV-1a.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The sort key of the counter item a selection increments:
/// `#COUNT#<country>#<shard>`.
pub fn counter_key(selection: &Selection) -> String {
    format!(
        "{COUNTER_PREFIX}{}#{}",
        selection.country_code,
        counter_shard(selection)
    )
}

/// Exponential backoff with jitter (half fixed, half random) so that writers colliding
/// on a counter spread out.
fn conflict_backoff(attempt: u32) -> Duration {
    let ceiling = CONFLICT_BACKOFF_BASE
        .saturating_mul(1 << attempt.min(10))
        .min(CONFLICT_BACKOFF_CAP);
    let half = u64::try_from(ceiling.as_millis() / 2).unwrap_or(u64::MAX);
    let random = RandomState::new().hash_one(attempt) % (half + 1);
    Duration::from_millis(half + random)
}

/// Maps an SDK failure to what a caller can do about it.
fn sdk_error<E>(context: &str, error: SdkError<E>) -> SelectionStoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = format!("{context}: {}", DisplayErrorContext(&error));
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            SelectionStoreError::Unavailable(detail)
        }
        SdkError::ServiceError(service) => match error.code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "LimitExceededException",
            ) => SelectionStoreError::Unavailable(detail),
            // A 5xx the SDK's retries did not get past, modelled or not.
            _ if service.raw().status().is_server_error() => {
                SelectionStoreError::Unavailable(detail)
            }
            Some(
                "ResourceNotFoundException"
                | "AccessDeniedException"
                | "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "MissingAuthenticationTokenException",
            ) => SelectionStoreError::Config(detail),
            _ => SelectionStoreError::Backend(detail),
        },
        _ => SelectionStoreError::Backend(detail),
    }
}

fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> SelectionStoreError {
    SelectionStoreError::Backend(format!("building a DynamoDB request: {error}"))
}

fn key_schema(key: &[(&str, &str)]) -> Result<Vec<KeySchemaElement>> {
    key.iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(*name)
                .key_type(KeyType::from(*kind))
                .build()
                .map_err(build_error)
        })
        .collect()
}

/// Refuses an existing table whose keys differ from the layout: every read and write
/// would fail or, worse, land somewhere else.
fn check_layout(table: &str, spec: &TableSpec, description: &TableDescription) -> Result<()> {
    let keys = |schema: &[KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_string(),
                    k.key_type().as_str().to_string(),
                )
            })
            .collect()
    };
    let wanted = |key: &[(&str, &str)]| -> Vec<(String, String)> {
        key.iter()
            .map(|(name, kind)| (name.to_string(), kind.to_string()))
            .collect()
    };
    if keys(description.key_schema()) != wanted(spec.key) {
        return Err(SelectionStoreError::Config(format!(
            "DynamoDB table {table:?} has key schema {:?}, expected {:?}",
            keys(description.key_schema()),
            wanted(spec.key)
        )));
    }
    for index in spec.indexes {
        let found = description
            .global_secondary_indexes()
            .iter()
            .find(|i| i.index_name() == Some(index.name));
        match found {
            Some(found) if keys(found.key_schema()) == wanted(index.key) => {}
            _ => {
                return Err(SelectionStoreError::Config(format!(
                    "DynamoDB table {table:?} lacks the index {} on {:?}",
                    index.name, index.key
                )));
            }
        }
    }
    Ok(())
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

fn format_day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A float as a DynamoDB number; Rust prints the shortest text that parses back to the
/// same value, so the round trip is exact.
fn float(name: &str, value: f64) -> Result<AttributeValue> {
    if value.is_finite() {
        Ok(n(value))
    } else {
        Err(SelectionStoreError::Backend(format!(
            "{name}={value} cannot be stored as a DynamoDB number"
        )))
    }
}

fn selection_item(selection: &Selection) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("selection_date".to_string(), s(selection.selection_date())),
        (
            "selection_timestamp_userid".to_string(),
            s(selection.selection_key()),
        ),
        ("selection_id".to_string(), s(&selection.selection_id)),
        ("user_id".to_string(), s(&selection.user_id)),
        ("country_code".to_string(), s(&selection.country_code)),
        (
            "selected_at".to_string(),
            s(selection
                .selected_at
                .to_rfc3339_opts(SecondsFormat::Micros, true)),
        ),
        (
            TTL_ATTRIBUTE.to_string(),
            n(selection.expires_at.timestamp()),
        ),
    ]);
    let optional = [
        ("session_id", &selection.session_id),
        ("referrer", &selection.referrer),
        ("ip_hash", &selection.ip_hash),
        ("user_agent_hash", &selection.user_agent_hash),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_string(), s(value));
        }
    }
    item
}

/// A selection and its stored sort key.
fn parse_selection(raw: &HashMap<String, AttributeValue>) -> Result<(String, Selection)> {
    let item = Item::new(raw, "selection");
    let expires_at: i64 = item.number(TTL_ATTRIBUTE)?;
    let selection = Selection {
        selection_id: item.string("selection_id")?.to_string(),
        user_id: item.string("user_id")?.to_string(),
        country_code: item.string("country_code")?.to_string(),
        selected_at: item.timestamp("selected_at")?,
        day: item.date("selection_date")?,
        session_id: item.optional_string("session_id")?,
        referrer: item.optional_string("referrer")?,
        ip_hash: item.optional_string("ip_hash")?,
        user_agent_hash: item.optional_string("user_agent_hash")?,
        expires_at: DateTime::from_timestamp(expires_at, 0).ok_or_else(|| {
            SelectionStoreError::Corrupt(format!("expires_at={expires_at} is out of range"))
        })?,
    };
    Ok((
        item.string("selection_timestamp_userid")?.to_string(),
        selection,
    ))
}

fn ranking_item(ranking: &StoredRanking) -> Result<HashMap<String, AttributeValue>> {
    let entries = ranking
        .entries
        .iter()
        .map(|entry| {
            Ok(AttributeValue::M(HashMap::from([
                ("rank".to_string(), n(entry.rank)),
                ("country_code".to_string(), s(&entry.country_code)),
                ("score".to_string(), n(entry.score)),
                (
                    "percentage".to_string(),
                    float("percentage", entry.percentage)?,
                ),
                ("change".to_string(), s(entry.change.as_str())),
                (
                    "change_value".to_string(),
                    optional_number(entry.change_value),
                ),
                (
                    "previous_rank".to_string(),
                    optional_number(entry.previous_rank),
                ),
            ])))
        })
        .collect::<Result<Vec<_>>>()?;
    let baseline = ranking
        .baseline
        .iter()
        .map(|rank| {
            AttributeValue::M(HashMap::from([
                ("country_code".to_string(), s(&rank.country_code)),
                ("rank".to_string(), n(rank.rank)),
            ]))
        })
        .collect();
    let metadata = &ranking.metadata;
    Ok(HashMap::from([
        ("period".to_string(), s(ranking.period.as_str())),
        (
            "period_start".to_string(),
            s(format_day(ranking.period_start)),
        ),
        ("period_end".to_string(), s(format_day(ranking.period_end))),
        ("total_selections".to_string(), n(ranking.total_selections)),
        ("ranking".to_string(), AttributeValue::L(entries)),
        (
            "last_updated".to_string(),
            // Full precision: the loaded ranking must equal the saved one.
            s(ranking
                .last_updated
                .to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        ),
        ("baseline".to_string(), AttributeValue::L(baseline)),
        ("calculated_by".to_string(), s(&metadata.calculated_by)),
        (
            "duration_ms".to_string(),
            float("duration_ms", metadata.duration_ms)?,
        ),
        ("counters_read".to_string(), n(metadata.counters_read)),
        ("time_zone".to_string(), s(&metadata.time_zone)),
    ]))
}

/// An absent value is stored as NULL, like a JSON null, so readers see the key.
fn optional_number(value: Option<impl ToString>) -> AttributeValue {
    value.map_or(AttributeValue::Null(true), n)
}

fn parse_ranking(raw: &HashMap<String, AttributeValue>) -> Result<StoredRanking> {
    let item = Item::new(raw, "ranking");
    let period_raw = item.string("period")?;
    let period = RankingPeriod::parse(period_raw)
        .ok_or_else(|| SelectionStoreError::Corrupt(format!("ranking period={period_raw:?}")))?;
    let entries = item
        .list("ranking")?
        .iter()
        .map(|value| {
            let entry = Item::new(as_map(value, "ranking entry")?, "ranking entry");
            let change = entry.string("change")?;
            Ok(RankingEntry {
                rank: entry.number("rank")?,
                country_code: entry.string("country_code")?.to_string(),
                score: entry.number("score")?,
                percentage: entry.number("percentage")?,
                change: parse_change(change).ok_or_else(|| {
                    SelectionStoreError::Corrupt(format!("ranking entry change={change:?}"))
                })?,
                change_value: entry.optional_number("change_value")?,
                previous_rank: entry.optional_number("previous_rank")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let baseline = item
        .list("baseline")?
        .iter()
        .map(|value| {
            let rank = Item::new(as_map(value, "baseline rank")?, "baseline rank");
            Ok(BaselineRank {
                country_code: rank.string("country_code")?.to_string(),
                rank: rank.number("rank")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StoredRanking {
        period,
        period_start: item.date("period_start")?,
        period_end: item.date("period_end")?,
        total_selections: item.number("total_selections")?,
        entries,
        last_updated: item.timestamp("last_updated")?,
        metadata: CalculationMetadata {
            calculated_by: item.string("calculated_by")?.to_string(),
            duration_ms: item.number("duration_ms")?,
            counters_read: item.number("counters_read")?,
            time_zone: item.string("time_zone")?.to_string(),
        },
        baseline,
    })
}

fn parse_change(raw: &str) -> Option<RankChange> {
    [
        RankChange::Up,
        RankChange::Down,
        RankChange::Same,
        RankChange::New,
    ]
    .into_iter()
    .find(|change| change.as_str() == raw)
}

fn as_map<'a>(
    value: &'a AttributeValue,
    what: &str,
) -> Result<&'a HashMap<String, AttributeValue>> {
    value
        .as_m()
        .map_err(|_| SelectionStoreError::Corrupt(format!("{what} is not a map")))
}

/// Typed reads of an item's attributes; a missing or mistyped one is corrupt data.
struct Item<'a> {
    raw: &'a HashMap<String, AttributeValue>,
    what: &'static str,
}

impl<'a> Item<'a> {
    fn new(raw: &'a HashMap<String, AttributeValue>, what: &'static str) -> Self {
        Self { raw, what }
    }

    fn corrupt(&self, name: &str, problem: impl std::fmt::Display) -> SelectionStoreError {
        SelectionStoreError::Corrupt(format!("{} attribute {name}: {problem}", self.what))
    }

    /// The attribute, `None` when absent or NULL.
    fn get(&self, name: &str) -> Option<&'a AttributeValue> {
        self.raw
            .get(name)
            .filter(|value| !matches!(value, AttributeValue::Null(true)))
    }

    fn string(&self, name: &str) -> Result<&'a str> {
        match self.get(name) {
            Some(AttributeValue::S(value)) => Ok(value),
            Some(other) => Err(self.corrupt(name, format!("expected a string, got {other:?}"))),
            None => Err(self.corrupt(name, "missing")),
        }
    }

    fn optional_string(&self, name: &str) -> Result<Option<String>> {
        self.get(name)
            .map(|_| self.string(name).map(str::to_string))
            .transpose()
    }

    fn number<T: FromStr>(&self, name: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            Some(AttributeValue::N(raw)) => raw.parse().map_err(|e| self.corrupt(name, e)),
            Some(other) => Err(self.corrupt(name, format!("expected a number, got {other:?}"))),
            None => Err(self.corrupt(name, "missing")),
        }
    }

    fn optional_number<T: FromStr>(&self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name).map(|_| self.number(name)).transpose()
    }

    fn list(&self, name: &str) -> Result<&'a [AttributeValue]> {
        match self.get(name) {
            Some(AttributeValue::L(values)) => Ok(values),
            Some(other) => Err(self.corrupt(name, format!("expected a list, got {other:?}"))),
            None => Err(self.corrupt(name, "missing")),
        }
    }

    fn date(&self, name: &str) -> Result<NaiveDate> {
        let raw = self.string(name)?;
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|e| self.corrupt(name, e))
    }

    fn timestamp(&self, name: &str) -> Result<DateTime<Utc>> {
        let raw = self.string(name)?;
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| self.corrupt(name, e))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    /// (name, key schema, projection type) of a global secondary index.
    type Index = (String, Vec<(String, String)>, String);

    /// The definitions in `deploy/dynamodb/` (for `aws dynamodb create-table
    /// --cli-input-json`) must describe exactly what `ensure_schema` creates.
    fn check_definition(file: &str, table: &str, spec: &TableSpec) {
        let path = format!(
            "{}/../../deploy/dynamodb/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let pairs = |value: &Value, a: &str, b: &str| -> Vec<(String, String)> {
            value
                .as_array()
                .unwrap_or_else(|| panic!("{path}: expected an array, got {value}"))
                .iter()
                .map(|entry| {
                    (
                        entry[a].as_str().unwrap().into(),
                        entry[b].as_str().unwrap().into(),
                    )
                })
                .collect()
        };
        let owned = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };

        assert_eq!(json["TableName"], table, "{path}: TableName");
        assert_eq!(
            json["BillingMode"], "PAY_PER_REQUEST",
            "{path}: BillingMode"
        );
        assert_eq!(
            pairs(&json["KeySchema"], "AttributeName", "KeyType"),
            owned(spec.key),
            "{path}: KeySchema"
        );
        assert_eq!(
            pairs(
                &json["AttributeDefinitions"],
                "AttributeName",
                "AttributeType"
            )
            .into_iter()
            .collect::<BTreeSet<_>>(),
            owned(spec.attributes).into_iter().collect::<BTreeSet<_>>(),
            "{path}: AttributeDefinitions"
        );
        let indexes: Vec<Index> = json
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|index| {
                        (
                            index["IndexName"].as_str().unwrap().to_string(),
                            pairs(&index["KeySchema"], "AttributeName", "KeyType"),
                            index["Projection"]["ProjectionType"]
                                .as_str()
                                .unwrap()
                                .to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let wanted: Vec<_> = spec
            .indexes
            .iter()
            .map(|index| {
                (
                    index.name.to_string(),
                    owned(index.key),
                    index.projection.to_string(),
                )
            })
            .collect();
        assert_eq!(indexes, wanted, "{path}: GlobalSecondaryIndexes");
    }

    #[test]
    fn deploy_definitions_match_the_created_tables() {
        let defaults = SelectionStoreConfig::new("dynamodb://".parse().unwrap());
        check_definition(
            "travel_destination_selections.json",
            &defaults.selections_table,
            &SELECTIONS_TABLE,
        );
        check_definition(
            "RankingResults.json",
            &defaults.results_table,
            &RESULTS_TABLE,
        );
    }

    #[test]
    fn key_attributes_are_defined_and_only_those() {
        for spec in [&SELECTIONS_TABLE, &RESULTS_TABLE] {
            let keyed: BTreeSet<&str> = spec
                .key
                .iter()
                .chain(spec.indexes.iter().flat_map(|i| i.key.iter()))
                .map(|(name, _)| *name)
                .collect();
            let defined: BTreeSet<&str> = spec.attributes.iter().map(|(name, _)| *name).collect();
            // CreateTable rejects definitions of attributes that are not keys.
            assert_eq!(keyed, defined);
        }
    }

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

    #[test]
    fn counter_keys_sort_before_selection_keys() {
        // Timestamps start with a digit; `#` (0x23) sorts before every digit.
        assert!(format!("{COUNTER_PREFIX}ZZ#15").as_str() < "0000-01-01T00:00:00.000000Z#a");
    }

    fn selection(user: &str, country: &str, micros: i64) -> Selection {
        let selected_at = DateTime::from_timestamp_micros(1_795_000_000_000_000 + micros).unwrap();
        Selection {
            selection_id: format!("sel-{user}-{micros}"),
            user_id: user.to_string(),
            country_code: country.to_string(),
            selected_at,
            day: selected_at.date_naive(),
            session_id: None,
            referrer: None,
            ip_hash: None,
            user_agent_hash: None,
            expires_at: selected_at + chrono::Days::new(90),
        }
    }

    #[test]
    fn counter_shard_is_stable_and_in_range() {
        let first = selection("user-1", "JP", 0);
        let shard = counter_shard(&first);
        assert!(shard < COUNTER_SHARDS, "{shard}");
        // A retry (a copy, computed again) hits the same shard and item.
        assert_eq!(counter_shard(&first.clone()), shard);
        assert_eq!(counter_key(&first), format!("#COUNT#JP#{shard}"));
        // Only the key counts: the same key under another id still maps alike.
        let mut renamed = first.clone();
        renamed.selection_id = "another-id".to_string();
        renamed.session_id = Some("s".to_string());
        assert_eq!(counter_shard(&renamed), shard);
        // Fixed by the algorithm, not by the process (std's hasher is seeded randomly):
        // FNV-1a's published test vectors.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(first.selection_key(), "2026-11-18T11:06:40.000000Z#user-1");
        assert_eq!(shard, 5);
    }

    #[test]
    fn counter_shards_spread_over_all_items() {
        // 1000 keys a microsecond apart from one user, and 1000 users at one instant.
        let families: [Vec<Selection>; 2] = [
            (0..1000).map(|n| selection("user-1", "JP", n)).collect(),
            (0..1000)
                .map(|n| selection(&format!("user-{n}"), "JP", 0))
                .collect(),
        ];
        for family in families {
            let mut per_shard = vec![0u32; COUNTER_SHARDS as usize];
            for s in &family {
                let shard = counter_shard(s);
                assert!(shard < COUNTER_SHARDS, "{shard}");
                per_shard[shard as usize] += 1;
            }
            // Every shard is used, none far off the average of 62.5.
            assert!(
                per_shard.iter().all(|&n| (25..=110).contains(&n)),
                "{per_shard:?}"
            );
        }
    }

    #[test]
    fn cancellations_are_classified_by_reason() {
        use Cancellation::*;
        let cases: [(&[&str], Cancellation); 7] = [
            (&["ConditionalCheckFailed", "None"], Duplicate),
            // The key is taken whatever else happened: retrying cannot store it.
            (
                &["ConditionalCheckFailed", "TransactionConflict"],
                Duplicate,
            ),
            (&["None", "TransactionConflict"], Conflict),
            (&["TransactionConflict", "None"], Conflict),
            (&["None", "ThrottlingError"], Throttled),
            (&["ProvisionedThroughputExceeded", "None"], Throttled),
            (&["ValidationError", "None"], Other),
        ];
        for (codes, expected) in cases {
            assert_eq!(cancellation_of(codes), expected, "{codes:?}");
        }
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 0..CONFLICT_ATTEMPTS {
            let delay = conflict_backoff(attempt);
            let ceiling = CONFLICT_BACKOFF_BASE
                .saturating_mul(1 << attempt)
                .min(CONFLICT_BACKOFF_CAP);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{attempt}: {delay:?}"
            );
        }
    }

    #[test]
    fn floats_round_trip_through_number_text() {
        for value in [
            0.0,
            33.33,
            100.0,
            1.0 / 3.0,
            12.345_678_9,
            1e-7,
            98_765.432_1,
        ] {
            let AttributeValue::N(text) = float("x", value).unwrap() else {
                unreachable!()
            };
            assert_eq!(text.parse::<f64>().unwrap(), value, "{text}");
        }
        assert!(float("x", f64::NAN).is_err());
        assert!(float("x", f64::INFINITY).is_err());
    }
}
