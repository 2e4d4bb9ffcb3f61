//! Embedded SQLite adapter for the all-in-one.
//!
//! SQLite has no exact decimal type: quotes are stored as canonical decimal text and
//! parsed back into `rust_decimal`, never through floating point. Timestamps are
//! integer microseconds (UTC) so that comparisons in SQL order them correctly.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use travel_domain::price_index::BigMacPrice;
use travel_domain::{
    CountryCode, CurrencyCode, CurrencyInfo, DailyRate, DayAggregate, Observation, Quote,
};

use crate::batch::{
    DayKey, Span, aggregate_days, as_stored, day_spans, emptied_days, key_spans, merge_days,
    newest_per_currency, plan, push_span_filter, with_merge_state,
};
use crate::{CatalogRow, DatasetImport, RateStore, RecordOutcome, Result, StoreConfig, StoreError};

/// Rows per multi-row statement: 11 placeholders a row stays below SQLite's 32,766.
const CHUNK: usize = 2000;

/// The schema, embedded (see [`crate::migrations`]).
pub(crate) const MIGRATIONS: &[crate::migrations::Embedded] = crate::embedded_migrations!(
    "migrations/sqlite":
    "20261127000001_initial.sql",
    "20261127000002_daily_volatility.sql",
    "20261127000003_daily_merge_state.sql",
);

pub struct SqliteRateStore {
    pool: SqlitePool,
}

impl SqliteRateStore {
    /// Opens (creating if needed) the database file the URL names, in WAL mode so that
    /// readers are not blocked by the writer.
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(config.url.expose().as_str())
            .map_err(|e| StoreError::Config(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .min_connections(config.min_connections)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }
}

fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

fn decimal(row: &SqliteRow, column: &str) -> Result<Decimal> {
    let raw: &str = row.try_get(column)?;
    Decimal::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{column}={raw:?}: {e}")))
}

fn optional_decimal(row: &SqliteRow, column: &str) -> Result<Option<Decimal>> {
    let raw: Option<&str> = row.try_get(column)?;
    raw.map(|raw| {
        Decimal::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{column}={raw:?}: {e}")))
    })
    .transpose()
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn timestamp(row: &SqliteRow, column: &str) -> Result<DateTime<Utc>> {
    let raw: i64 = row.try_get(column)?;
    DateTime::from_timestamp_micros(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("{column}={raw} is out of range")))
}

fn code(row: &SqliteRow, column: &str) -> Result<CurrencyCode> {
    let raw: &str = row.try_get(column)?;
    CurrencyCode::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn observation_from_row(row: &SqliteRow) -> Result<Observation> {
    Ok(Observation {
        currency: code(row, "currency_code")?,
        source: row.try_get("source")?,
        recorded_at: timestamp(row, "recorded_at")?,
        rate_date: row.try_get("rate_date")?,
        mid: decimal(row, "mid")?,
        tts: optional_decimal(row, "tts")?,
        ttb: optional_decimal(row, "ttb")?,
        raw_unit: row.try_get("raw_unit")?,
        redistributable: row.try_get("redistributable")?,
    })
}

type Tx<'c> = sqlx::Transaction<'c, Sqlite>;

/// Stored observations inside the spans; `column` is the spans' column (`recorded_at`
/// in microseconds or `rate_date`).
async fn select_observations<T>(
    tx: &mut Tx<'_>,
    column: &'static str,
    spans: &[Span<T>],
) -> Result<Vec<Observation>>
where
    T: Copy + for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send + 'static,
{
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT currency_code, source, recorded_at, rate_date, mid, tts, ttb, raw_unit, \
         redistributable FROM exchange_rate_history WHERE ",
    );
    push_span_filter(&mut query, column, spans);
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
fn bind_quote(row: &mut Separated<'_, Sqlite, &'static str>, o: &Observation) {
    row.push_bind(o.currency.as_str().to_string())
        .push_bind(o.source.clone())
        .push_bind(micros(o.recorded_at))
        .push_bind(o.rate_date)
        .push_bind(text(o.mid))
        .push_bind(o.tts.map(text))
        .push_bind(o.ttb.map(text));
}

async fn insert_history(tx: &mut Tx<'_>, rows: &[&Observation], ingested_at: i64) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(
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
            " ON CONFLICT (currency_code, source, recorded_at) DO UPDATE SET \
             rate_date = excluded.rate_date, mid = excluded.mid, tts = excluded.tts, \
             ttb = excluded.ttb, raw_unit = excluded.raw_unit, \
             redistributable = excluded.redistributable",
        );
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

const DAILY_COLUMNS: &str = "currency_code, rate_date, open_rate, close_rate, high_rate, low_rate, \
     avg_rate, sum_rate, observation_count, first_at, last_at, volatility";

/// The stored rows of some days with their merge state (`None`: written before it was
/// kept).
async fn select_days<'k>(
    tx: &mut Tx<'_>,
    days: impl IntoIterator<Item = &'k DayKey>,
) -> Result<HashMap<DayKey, Option<DayAggregate>>> {
    let spans = day_spans(days);
    if spans.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {DAILY_COLUMNS}, open_source, close_source, m2 FROM daily_exchange_rates WHERE "
    ));
    push_span_filter(&mut query, "rate_date", &spans);
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

async fn upsert_daily(tx: &mut Tx<'_>, rows: &[DayAggregate]) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "INSERT INTO daily_exchange_rates ({DAILY_COLUMNS}, open_source, close_source, m2) "
        ));
        query.push_values(chunk, |mut row, day| {
            let daily = &day.rate;
            row.push_bind(daily.currency.as_str().to_string())
                .push_bind(daily.rate_date)
                .push_bind(text(daily.open))
                .push_bind(text(daily.close))
                .push_bind(text(daily.high))
                .push_bind(text(daily.low))
                .push_bind(text(daily.average))
                .push_bind(text(daily.sum))
                .push_bind(daily.count)
                .push_bind(micros(daily.first_at))
                .push_bind(micros(daily.last_at))
                .push_bind(daily.volatility)
                .push_bind(day.open_source.clone())
                .push_bind(day.close_source.clone())
                .push_bind(day.m2);
        });
        query.push(
            " ON CONFLICT (currency_code, rate_date) DO UPDATE SET \
             open_rate = excluded.open_rate, close_rate = excluded.close_rate, \
             high_rate = excluded.high_rate, low_rate = excluded.low_rate, \
             avg_rate = excluded.avg_rate, sum_rate = excluded.sum_rate, \
             observation_count = excluded.observation_count, \
             first_at = excluded.first_at, last_at = excluded.last_at, \
             volatility = excluded.volatility, open_source = excluded.open_source, \
             close_source = excluded.close_source, m2 = excluded.m2",
        );
        query.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn daily_from_row(row: &SqliteRow) -> Result<DailyRate> {
    Ok(DailyRate {
        currency: code(row, "currency_code")?,
        rate_date: row.try_get("rate_date")?,
        open: decimal(row, "open_rate")?,
        close: decimal(row, "close_rate")?,
        high: decimal(row, "high_rate")?,
        low: decimal(row, "low_rate")?,
        average: decimal(row, "avg_rate")?,
        sum: decimal(row, "sum_rate")?,
        count: row.try_get("observation_count")?,
        first_at: timestamp(row, "first_at")?,
        last_at: timestamp(row, "last_at")?,
        volatility: row.try_get("volatility")?,
    })
}

#[async_trait]
impl RateStore for SqliteRateStore {
    fn backend(&self) -> &'static str {
        "sqlite"
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
        let now = micros(Utc::now());
        let mut query = QueryBuilder::<Sqlite>::new(
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
            " ON CONFLICT (currency_code) DO UPDATE SET name_ko = excluded.name_ko, \
             name_en = excluded.name_en, country_code = excluded.country_code, \
             symbol = excluded.symbol, decimals = excluded.decimals, active = excluded.active, \
             updated_at = excluded.updated_at",
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
                    code: code(row, "currency_code")?,
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
        let batch = as_stored(observations);
        let ingested_at = micros(Utc::now());
        // IMMEDIATE: the transaction reads before it writes, and a deferred one could
        // not upgrade to the write lock when another writer got in between.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let key_spans: Vec<Span<i64>> = key_spans(&batch)
            .into_iter()
            .map(|span| Span {
                currency: span.currency,
                from: micros(span.from),
                to: micros(span.to),
            })
            .collect();
        let stored = select_observations(&mut tx, "recorded_at", &key_spans).await?;
        let mut plan = plan(&batch, &stored);
        insert_history(&mut tx, &plan.writes, ingested_at).await?;

        let existing = select_days(&mut tx, plan.merges.keys()).await?;
        let mut days = merge_days(&plan.merges, &existing, &mut plan.recompute);
        if !plan.recompute.is_empty() {
            let stored =
                select_observations(&mut tx, "rate_date", &day_spans(&plan.recompute)).await?;
            let recomputed = aggregate_days(&stored, &plan.recompute);
            delete_days(&mut tx, &emptied_days(&plan.recompute, &recomputed)).await?;
            days.extend(recomputed);
        }
        upsert_daily(&mut tx, &days).await?;

        let newest = newest_per_currency(&plan.writes);
        if !newest.is_empty() {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO latest_rates (currency_code, source, recorded_at, rate_date, mid, tts, ttb) ",
            );
            query.push_values(newest, |mut row, o| {
                bind_quote(&mut row, o);
            });
            query.push(
                " ON CONFLICT (currency_code) DO UPDATE SET source = excluded.source, \
                 recorded_at = excluded.recorded_at, rate_date = excluded.rate_date, \
                 mid = excluded.mid, tts = excluded.tts, ttb = excluded.ttb \
                 WHERE excluded.recorded_at >= latest_rates.recorded_at",
            );
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(RecordOutcome {
            observations: plan.writes.len() as u64,
            daily_rows: days.len() as u64,
        })
    }

    async fn latest_quotes(&self, codes: &[CurrencyCode]) -> Result<Vec<Quote>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new(
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
                    currency: code(row, "currency_code")?,
                    mid: decimal(row, "mid")?,
                    tts: optional_decimal(row, "tts")?,
                    ttb: optional_decimal(row, "ttb")?,
                    recorded_at: timestamp(row, "recorded_at")?,
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
        .bind(micros(from))
        .bind(micros(to))
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
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO price_indices (index_name, country_code, survey_date, currency_code, \
                 local_price, dollar_ex) ",
            );
            query.push_values(chunk, |mut row, p| {
                row.push_bind("BIGMAC")
                    .push_bind(p.country.as_str().to_string())
                    .push_bind(p.survey_date)
                    .push_bind(p.currency.clone())
                    .push_bind(text(p.local_price))
                    .push_bind(text(p.dollar_ex));
            });
            query.push(
                " ON CONFLICT (index_name, country_code, survey_date) DO UPDATE SET \
                 currency_code = excluded.currency_code, local_price = excluded.local_price, \
                 dollar_ex = excluded.dollar_ex",
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
                    local_price: decimal(row, "local_price")?,
                    dollar_ex: decimal(row, "dollar_ex")?,
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
                row_count: row.try_get::<i64, _>("row_count")? as u64,
                imported_at: timestamp(&row, "imported_at")?,
            })
        })
        .transpose()
    }

    async fn mark_dataset_imported(&self, import: &DatasetImport) -> Result<()> {
        sqlx::query(
            "INSERT INTO dataset_imports (dataset, sha256, row_count, imported_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (dataset) DO UPDATE SET sha256 = excluded.sha256, \
             row_count = excluded.row_count, imported_at = excluded.imported_at",
        )
        .bind(&import.dataset)
        .bind(&import.sha256)
        .bind(import.row_count as i64)
        .bind(micros(import.imported_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
