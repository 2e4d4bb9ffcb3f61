//! Aurora MySQL 8.0 adapter (tested on MariaDB 10.11).
//!
//! Upserts use `ON DUPLICATE KEY UPDATE c = VALUES(c)`: MySQL 8.0.20 deprecates
//! `VALUES()` in favour of a row alias, but MariaDB does not understand the alias,
//! and Aurora accepts both.

use std::collections::HashMap;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::query_builder::Separated;
use sqlx::{MySql, QueryBuilder, Row};
use travel_domain::price_index::BigMacPrice;
use travel_domain::{
    CountryCode, CurrencyCode, CurrencyInfo, DailyRate, DayAggregate, Observation, Quote,
};

use crate::batch::{
    DayKey, Span, aggregate_days, as_stored, day_spans, emptied_days, key_spans, merge_days,
    newest_per_currency, plan, push_span_filter, with_merge_state,
};
use crate::{CatalogRow, DatasetImport, RateStore, RecordOutcome, Result, StoreConfig, StoreError};

/// Rows per multi-row statement: 11 placeholders a row stays far below MySQL's 65,535.
const CHUNK: usize = 1000;

/// The schema, embedded (see [`crate::migrations`]).
pub(crate) const MIGRATIONS: &[crate::migrations::Embedded] = crate::embedded_migrations!(
    "migrations/mysql":
    "20261127000001_initial.sql",
    "20261127000002_daily_volatility.sql",
    "20261127000003_daily_merge_state.sql",
);

pub struct MySqlRateStore {
    pool: MySqlPool,
}

impl MySqlRateStore {
    /// Builds the pool without connecting: a database that is down at start-up makes
    /// reads fail with `Unavailable` until it is back, instead of a crash loop.
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        let options = MySqlConnectOptions::from_str(config.url.expose().as_str())
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let pool = MySqlPoolOptions::new()
            .max_connections(config.max_connections)
            .min_connections(config.min_connections)
            .acquire_timeout(config.acquire_timeout)
            .idle_timeout(Some(config.idle_timeout))
            .max_lifetime(Some(config.max_lifetime))
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    /// One attempt at [`RateStore::record_observations`], in one transaction. Its reads
    /// are locking reads: they see rows other transactions committed meanwhile and keep
    /// them until the commit, so no aggregate misses or double-counts an observation.
    async fn record_once(&self, batch: &[Observation]) -> Result<RecordOutcome> {
        let ingested_at = Utc::now();
        let mut tx = self.pool.begin().await?;
        let stored = select_observations(&mut tx, "recorded_at", &key_spans(batch)).await?;
        let mut plan = plan(batch, &stored);
        insert_history(&mut tx, &plan.writes, ingested_at).await?;

        let existing = select_days(&mut tx, plan.merges.keys()).await?;
        let mut days = merge_days(&plan.merges, &existing, &mut plan.recompute);
        if !plan.recompute.is_empty() {
            let stored =
                select_observations(&mut tx, "rate_date", &day_spans(&plan.recompute)).await?;
            let recomputed = aggregate_days(&stored, &plan.recompute);
            let emptied = emptied_days(&plan.recompute, &recomputed);
            delete_days(&mut tx, &emptied).await?;
            days.extend(recomputed);
        }
        upsert_daily(&mut tx, &days).await?;

        let newest = newest_per_currency(&plan.writes);
        if !newest.is_empty() {
            // Assignments run left to right, so recorded_at moves last and the IF()s
            // still compare against the stored time.
            let mut query = QueryBuilder::<MySql>::new(
                "INSERT INTO latest_rates (currency_code, source, recorded_at, rate_date, mid, tts, ttb) ",
            );
            query.push_values(newest, |mut row, o| {
                bind_quote(&mut row, o);
            });
            query.push(
                " ON DUPLICATE KEY UPDATE \
                 source = IF(VALUES(recorded_at) >= recorded_at, VALUES(source), source), \
                 rate_date = IF(VALUES(recorded_at) >= recorded_at, VALUES(rate_date), rate_date), \
                 mid = IF(VALUES(recorded_at) >= recorded_at, VALUES(mid), mid), \
                 tts = IF(VALUES(recorded_at) >= recorded_at, VALUES(tts), tts), \
                 ttb = IF(VALUES(recorded_at) >= recorded_at, VALUES(ttb), ttb), \
                 recorded_at = GREATEST(recorded_at, VALUES(recorded_at))",
            );
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(RecordOutcome {
            observations: plan.writes.len() as u64,
            daily_rows: days.len() as u64,
        })
    }
}

type Tx<'c> = sqlx::Transaction<'c, MySql>;

/// Stored observations inside the spans, locked until the commit; `column` is the
/// spans' column (`recorded_at` or `rate_date`), both leading columns of an index
/// after the currency.
async fn select_observations<T>(
    tx: &mut Tx<'_>,
    column: &'static str,
    spans: &[Span<T>],
) -> Result<Vec<Observation>>
where
    T: Copy + for<'q> sqlx::Encode<'q, MySql> + sqlx::Type<MySql> + Send + 'static,
{
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<MySql>::new(
        "SELECT currency_code, source, recorded_at, rate_date, mid, tts, ttb, raw_unit, \
         redistributable FROM exchange_rate_history WHERE ",
    );
    push_span_filter(&mut query, column, spans);
    query.push(" FOR UPDATE");
    query
        .build()
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(observation_from_row)
        .collect()
}

/// The quote columns that history and latest rows share, in this order:
/// `currency_code, source, recorded_at, rate_date, mid, tts, ttb`.
fn bind_quote(row: &mut Separated<'_, MySql, &'static str>, o: &Observation) {
    row.push_bind(o.currency.as_str().to_string())
        .push_bind(o.source.clone())
        .push_bind(o.recorded_at)
        .push_bind(o.rate_date)
        .push_bind(o.mid)
        .push_bind(o.tts)
        .push_bind(o.ttb);
}

async fn insert_history(
    tx: &mut Tx<'_>,
    rows: &[&Observation],
    ingested_at: DateTime<Utc>,
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO exchange_rate_history (currency_code, source, recorded_at, rate_date, \
             mid, tts, ttb, raw_unit, redistributable, ingested_at) ",
        );
        query.push_values(chunk, |mut row, o| {
            bind_quote(&mut row, o);
            row.push_bind(o.raw_unit)
                .push_bind(o.redistributable)
                .push_bind(ingested_at);
        });
        query.push(
            " ON DUPLICATE KEY UPDATE rate_date = VALUES(rate_date), mid = VALUES(mid), \
             tts = VALUES(tts), ttb = VALUES(ttb), raw_unit = VALUES(raw_unit), \
             redistributable = VALUES(redistributable)",
        );
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

const DAILY_COLUMNS: &str = "currency_code, rate_date, open_rate, close_rate, high_rate, low_rate, \
     avg_rate, sum_rate, observation_count, first_at, last_at, volatility";

/// The stored rows of some days with their merge state (`None`: written before it was
/// kept), locked until the commit.
async fn select_days<'k>(
    tx: &mut Tx<'_>,
    days: impl IntoIterator<Item = &'k DayKey>,
) -> Result<HashMap<DayKey, Option<DayAggregate>>> {
    let spans = day_spans(days);
    if spans.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = QueryBuilder::<MySql>::new(format!(
        "SELECT {DAILY_COLUMNS}, open_source, close_source, m2 FROM daily_exchange_rates WHERE "
    ));
    push_span_filter(&mut query, "rate_date", &spans);
    query.push(" FOR UPDATE");
    let mut days = HashMap::new();
    for row in query.build().fetch_all(&mut **tx).await? {
        let rate = daily_from_row(&row)?;
        let key = (rate.currency, rate.rate_date);
        let aggregate = with_merge_state(
            rate,
            row.try_get("open_source")?,
            row.try_get("close_source")?,
            row.try_get("m2")?,
        );
        days.insert(key, aggregate);
    }
    Ok(days)
}

async fn delete_days(tx: &mut Tx<'_>, days: &[DayKey]) -> Result<()> {
    for (currency, date) in days {
        sqlx::query("DELETE FROM daily_exchange_rates WHERE currency_code = ? AND rate_date = ?")
            .bind(currency.as_str())
            .bind(date)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Transaction attempts after a deadlock or lock wait time-out.
const MAX_RETRIES: u32 = 6;

/// InnoDB deadlock (1213) and lock wait time-out (1205): the transaction was rolled
/// back and can be run again as a whole.
fn is_retryable(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .is_some_and(|e| matches!(e.number(), 1213 | 1205))
}

fn code(raw: &str) -> Result<CurrencyCode> {
    CurrencyCode::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn observation_from_row(row: &MySqlRow) -> Result<Observation> {
    Ok(Observation {
        currency: code(row.try_get::<&str, _>("currency_code")?)?,
        source: row.try_get("source")?,
        recorded_at: row.try_get("recorded_at")?,
        rate_date: row.try_get("rate_date")?,
        mid: row.try_get::<Decimal, _>("mid")?.normalize(),
        tts: row
            .try_get::<Option<Decimal>, _>("tts")?
            .map(|d| d.normalize()),
        ttb: row
            .try_get::<Option<Decimal>, _>("ttb")?
            .map(|d| d.normalize()),
        raw_unit: row.try_get("raw_unit")?,
        redistributable: row.try_get("redistributable")?,
    })
}

async fn upsert_daily(tx: &mut Tx<'_>, rows: &[DayAggregate]) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut query = QueryBuilder::<MySql>::new(format!(
            "INSERT INTO daily_exchange_rates ({DAILY_COLUMNS}, open_source, close_source, m2) "
        ));
        query.push_values(chunk, |mut row, day| {
            let daily = &day.rate;
            row.push_bind(daily.currency.as_str().to_string())
                .push_bind(daily.rate_date)
                .push_bind(daily.open)
                .push_bind(daily.close)
                .push_bind(daily.high)
                .push_bind(daily.low)
                .push_bind(daily.average)
                .push_bind(daily.sum)
                .push_bind(daily.count)
                .push_bind(daily.first_at)
                .push_bind(daily.last_at)
                .push_bind(daily.volatility)
                .push_bind(day.open_source.clone())
                .push_bind(day.close_source.clone())
                .push_bind(day.m2);
        });
        query.push(
            " ON DUPLICATE KEY UPDATE open_rate = VALUES(open_rate), close_rate = VALUES(close_rate), \
             high_rate = VALUES(high_rate), low_rate = VALUES(low_rate), avg_rate = VALUES(avg_rate), \
             sum_rate = VALUES(sum_rate), observation_count = VALUES(observation_count), \
             first_at = VALUES(first_at), last_at = VALUES(last_at), volatility = VALUES(volatility), \
             open_source = VALUES(open_source), close_source = VALUES(close_source), m2 = VALUES(m2)",
        );
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn daily_from_row(row: &MySqlRow) -> Result<DailyRate> {
    Ok(DailyRate {
        currency: code(row.try_get::<&str, _>("currency_code")?)?,
        rate_date: row.try_get("rate_date")?,
        open: row.try_get::<Decimal, _>("open_rate")?.normalize(),
        close: row.try_get::<Decimal, _>("close_rate")?.normalize(),
        high: row.try_get::<Decimal, _>("high_rate")?.normalize(),
        low: row.try_get::<Decimal, _>("low_rate")?.normalize(),
        average: row.try_get::<Decimal, _>("avg_rate")?.normalize(),
        sum: row.try_get::<Decimal, _>("sum_rate")?.normalize(),
        count: row.try_get("observation_count")?,
        first_at: row.try_get("first_at")?,
        last_at: row.try_get("last_at")?,
        volatility: row.try_get("volatility")?,
    })
}

#[async_trait]
impl RateStore for MySqlRateStore {
    fn backend(&self) -> &'static str {
        "mysql"
    }

    async fn migrate(&self) -> Result<()> {
        crate::migrations::migrator(MIGRATIONS)
            .await?
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn sync_catalog(&self, currencies: &[CurrencyInfo]) -> Result<()> {
        let now = Utc::now();
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO currencies (currency_code, name_ko, name_en, country_code, symbol, \
             decimals, active, updated_at) ",
        );
        query.push_values(currencies, |mut row, c| {
            row.push_bind(c.code.as_str().to_string())
                .push_bind(c.name_ko)
                .push_bind(c.name_en)
                .push_bind(c.country.as_str().to_string())
                .push_bind(c.symbol)
                .push_bind(c.decimals)
                .push_bind(c.active)
                .push_bind(now);
        });
        query.push(
            " ON DUPLICATE KEY UPDATE name_ko = VALUES(name_ko), name_en = VALUES(name_en), \
             country_code = VALUES(country_code), symbol = VALUES(symbol), \
             decimals = VALUES(decimals), active = VALUES(active), updated_at = VALUES(updated_at)",
        );
        query.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn catalog(&self) -> Result<Vec<CatalogRow>> {
        let rows = sqlx::query(
            "SELECT currency_code, name_en, active FROM currencies ORDER BY currency_code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CatalogRow {
                    code: code(row.try_get::<&str, _>("currency_code")?)?,
                    name_en: row.try_get("name_en")?,
                    active: row.try_get("active")?,
                })
            })
            .collect()
    }

    async fn record_observations(&self, observations: &[Observation]) -> Result<RecordOutcome> {
        if observations.is_empty() {
            return Ok(RecordOutcome::default());
        }
        // Writes go in key order (see `plan`): concurrent batches then take their locks
        // in the same order, which makes deadlocks rare; the ones InnoDB still detects
        // are retried whole.
        let batch = as_stored(observations);
        let mut attempt = 0u32;
        loop {
            match self.record_once(&batch).await {
                Err(StoreError::Query(error)) if attempt < MAX_RETRIES && is_retryable(&error) => {
                    attempt += 1;
                    tracing::debug!(%error, attempt, "transaction conflict, retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn latest_quotes(&self, codes: &[CurrencyCode]) -> Result<Vec<Quote>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<MySql>::new(
            "SELECT currency_code, source, recorded_at, rate_date, mid, tts, ttb \
             FROM latest_rates WHERE currency_code IN (",
        );
        let mut list = query.separated(", ");
        for code in codes {
            list.push_bind(code.as_str().to_string());
        }
        query.push(")");
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut quotes = rows
            .iter()
            .map(|row| {
                Ok(Quote {
                    currency: code(row.try_get::<&str, _>("currency_code")?)?,
                    mid: row.try_get::<Decimal, _>("mid")?.normalize(),
                    tts: row
                        .try_get::<Option<Decimal>, _>("tts")?
                        .map(|d| d.normalize()),
                    ttb: row
                        .try_get::<Option<Decimal>, _>("ttb")?
                        .map(|d| d.normalize()),
                    recorded_at: row.try_get("recorded_at")?,
                    rate_date: row.try_get("rate_date")?,
                    source: row.try_get("source")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        quotes.sort_by_key(|q| codes.iter().position(|c| *c == q.currency));
        Ok(quotes)
    }

    async fn daily_rates(
        &self,
        currency: CurrencyCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRate>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DAILY_COLUMNS} FROM daily_exchange_rates \
             WHERE currency_code = ? AND rate_date BETWEEN ? AND ? ORDER BY rate_date"
        )))
        .bind(currency.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(daily_from_row)
        .collect()
    }

    async fn observations(
        &self,
        currency: CurrencyCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Observation>> {
        sqlx::query(
            "SELECT currency_code, source, recorded_at, rate_date, mid, tts, ttb, raw_unit, \
             redistributable FROM exchange_rate_history \
             WHERE currency_code = ? AND recorded_at >= ? AND recorded_at < ? \
             ORDER BY recorded_at, source",
        )
        .bind(currency.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(observation_from_row)
        .collect()
    }

    async fn observation_count(&self, currency: Option<CurrencyCode>) -> Result<u64> {
        let count: i64 = match currency {
            Some(currency) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM exchange_rate_history WHERE currency_code = ?",
                )
                .bind(currency.as_str())
                .fetch_one(&self.pool)
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT COUNT(*) FROM exchange_rate_history")
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(count as u64)
    }

    async fn upsert_bigmac_prices(&self, prices: &[BigMacPrice]) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        for chunk in prices.chunks(CHUNK) {
            let mut query = QueryBuilder::<MySql>::new(
                "INSERT INTO price_indices (index_name, country_code, survey_date, currency_code, \
                 local_price, dollar_ex) ",
            );
            query.push_values(chunk, |mut row, p| {
                row.push_bind("BIGMAC")
                    .push_bind(p.country.as_str().to_string())
                    .push_bind(p.survey_date)
                    .push_bind(p.currency.clone())
                    .push_bind(p.local_price)
                    .push_bind(p.dollar_ex);
            });
            query.push(
                " ON DUPLICATE KEY UPDATE currency_code = VALUES(currency_code), \
                 local_price = VALUES(local_price), dollar_ex = VALUES(dollar_ex)",
            );
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(prices.len() as u64)
    }

    async fn bigmac_prices(&self, country: CountryCode) -> Result<Vec<BigMacPrice>> {
        let rows = sqlx::query(
            "SELECT country_code, survey_date, currency_code, local_price, dollar_ex \
             FROM price_indices WHERE index_name = 'BIGMAC' AND country_code = ? \
             ORDER BY survey_date",
        )
        .bind(country.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BigMacPrice {
                    survey_date: row.try_get("survey_date")?,
                    country: CountryCode::parse(row.try_get::<&str, _>("country_code")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    currency: row.try_get("currency_code")?,
                    local_price: row.try_get::<Decimal, _>("local_price")?.normalize(),
                    dollar_ex: row.try_get::<Decimal, _>("dollar_ex")?.normalize(),
                })
            })
            .collect()
    }

    async fn dataset_import(&self, dataset: &str) -> Result<Option<DatasetImport>> {
        let row = sqlx::query(
            "SELECT dataset, sha256, row_count, imported_at FROM dataset_imports WHERE dataset = ?",
        )
        .bind(dataset)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(DatasetImport {
                dataset: row.try_get("dataset")?,
                sha256: row.try_get("sha256")?,
                row_count: row.try_get("row_count")?,
                imported_at: row.try_get::<DateTime<Utc>, _>("imported_at")?,
            })
        })
        .transpose()
    }

    async fn mark_dataset_imported(&self, import: &DatasetImport) -> Result<()> {
        sqlx::query(
            "INSERT INTO dataset_imports (dataset, sha256, row_count, imported_at) VALUES (?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE sha256 = VALUES(sha256), row_count = VALUES(row_count), \
             imported_at = VALUES(imported_at)",
        )
        .bind(&import.dataset)
        .bind(&import.sha256)
        .bind(import.row_count)
        .bind(import.imported_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
