//! [`RateStore`] on any [`Dialect`]: the statements every backend runs alike.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AssertSqlSafe, Executor, FromRow, Pool, QueryBuilder};
use travel_domain::price_index::BigMacPrice;
use travel_domain::{CountryCode, CurrencyCode, CurrencyInfo, DailyRate, Observation, Quote};

use super::rows::{
    BIGMAC_COLUMNS, CURRENCY_COLUMNS, DAILY_COLUMNS, IMPORT_COLUMNS, OBSERVATION_COLUMNS,
    QUOTE_COLUMNS,
};
use super::{Dialect, Native, Rows};
use crate::batch::as_stored;
use crate::{CatalogRow, DatasetImport, RateStore, RecordOutcome, Result, StoreConfig};

/// The rate store on the database of dialect `DB`.
pub struct SqlRateStore<DB: Dialect> {
    pub(super) pool: Pool<DB>,
}

impl<DB: Dialect> SqlRateStore<DB> {
    /// Opens the pool as the dialect does (see its [`Dialect::connect`]).
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        Ok(Self {
            pool: DB::connect(config).await?,
        })
    }

    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

#[async_trait]
impl<DB: Rows> RateStore for SqlRateStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    (i64,): for<'r> FromRow<'r, DB::Row>,
    for<'c> &'c str: sqlx::ColumnIndex<DB::Row>,
    String: Native<DB>,
    Option<String>: Native<DB>,
    Option<DB::Time>: Native<DB>,
    u32: Native<DB>,
    f64: Native<DB>,
    NaiveDate: Native<DB>,
{
    fn backend(&self) -> &'static str {
        DB::BACKEND
    }

    async fn migrate(&self) -> Result<()> {
        crate::migrations::migrator(DB::MIGRATIONS)
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
        let mut query =
            QueryBuilder::<DB>::new(format!("INSERT INTO currencies ({CURRENCY_COLUMNS}) "));
        query.push_values(currencies, |mut row, c| DB::bind_currency(&mut row, c, now));
        query.push(" ").push(DB::upsert(
            &["currency_code"],
            &[
                "name_ko",
                "name_en",
                "country_code",
                "symbol",
                "decimals",
                "active",
                "updated_at",
            ],
        ));
        query.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn catalog(&self) -> Result<Vec<CatalogRow>> {
        sqlx::query("SELECT currency_code, name_en, active FROM currencies ORDER BY currency_code")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(DB::currency)
            .collect()
    }

    async fn record_observations(&self, observations: &[Observation]) -> Result<RecordOutcome> {
        if observations.is_empty() {
            return Ok(RecordOutcome::default());
        }
        self.record(&as_stored(observations)).await
    }

    async fn latest_quotes(&self, codes: &[CurrencyCode]) -> Result<Vec<Quote>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<DB>::new(format!(
            "SELECT {QUOTE_COLUMNS} FROM latest_rates WHERE currency_code IN ("
        ));
        let mut list = query.separated(", ");
        for code in codes {
            list.push_bind(code.as_str().to_string());
        }
        query.push(")");
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut quotes = rows.iter().map(DB::quote).collect::<Result<Vec<_>>>()?;
        quotes.sort_by_key(|q| codes.iter().position(|c| *c == q.currency));
        Ok(quotes)
    }

    async fn daily_rates(
        &self,
        currency: CurrencyCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRate>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {DAILY_COLUMNS} FROM daily_exchange_rates \
             WHERE currency_code = ? AND rate_date BETWEEN ? AND ? ORDER BY rate_date"
        )))
        .bind(currency.as_str().to_string())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(DB::daily)
        .collect()
    }

    async fn observations(
        &self,
        currency: CurrencyCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Observation>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {OBSERVATION_COLUMNS} FROM exchange_rate_history \
             WHERE currency_code = ? AND recorded_at >= ? AND recorded_at < ? \
             ORDER BY recorded_at, source"
        )))
        .bind(currency.as_str().to_string())
        .bind(DB::encode_time(from))
        .bind(DB::encode_time(to))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(DB::observation)
        .collect()
    }

    async fn observation_count(&self, currency: Option<CurrencyCode>) -> Result<u64> {
        let count: i64 = match currency {
            Some(currency) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM exchange_rate_history WHERE currency_code = ?",
                )
                .bind(currency.as_str().to_string())
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
        for chunk in prices.chunks(DB::CHUNK) {
            let mut query =
                QueryBuilder::<DB>::new(format!("INSERT INTO price_indices ({BIGMAC_COLUMNS}) "));
            query.push_values(chunk, |mut row, p| DB::bind_bigmac(&mut row, p));
            query.push(" ").push(DB::upsert(
                &["index_name", "country_code", "survey_date"],
                &["currency_code", "local_price", "dollar_ex"],
            ));
            query.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(prices.len() as u64)
    }

    async fn bigmac_prices(&self, country: CountryCode) -> Result<Vec<BigMacPrice>> {
        sqlx::query(
            "SELECT country_code, survey_date, currency_code, local_price, dollar_ex \
             FROM price_indices WHERE index_name = 'BIGMAC' AND country_code = ? \
             ORDER BY survey_date",
        )
        .bind(country.as_str().to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(DB::bigmac)
        .collect()
    }

    async fn dataset_import(&self, dataset: &str) -> Result<Option<DatasetImport>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {IMPORT_COLUMNS} FROM dataset_imports WHERE dataset = ?"
        )))
        .bind(dataset.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(DB::import)
        .transpose()
    }

    async fn mark_dataset_imported(&self, import: &DatasetImport) -> Result<()> {
        let mut query =
            QueryBuilder::<DB>::new(format!("INSERT INTO dataset_imports ({IMPORT_COLUMNS}) "));
        query.push_values([import], |mut row, import| {
            DB::bind_import(&mut row, import)
        });
        query.push(" ").push(DB::upsert(
            &["dataset"],
            &["sha256", "row_count", "imported_at"],
        ));
        query.build().execute(&self.pool).await?;
        Ok(())
    }
}
