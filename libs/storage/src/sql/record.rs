//! The transaction of [`crate::RateStore::record_observations`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Executor, QueryBuilder};
use travel_domain::{DayAggregate, Observation};

use super::rows::{DAY_COLUMNS, HISTORY_COLUMNS, OBSERVATION_COLUMNS, QUOTE_COLUMNS};
use super::{Native, Rows, SqlRateStore};
use crate::batch::{
    DayKey, Span, aggregate_days, day_spans, emptied_days, key_spans, merge_days,
    newest_per_currency, plan, push_span_filter,
};
use crate::{RecordOutcome, Result, StoreError};

/// Transaction attempts after a conflict the backend rolled back.
const MAX_RETRIES: u32 = 6;

/// Runs a transaction again after a conflict the backend rolled back whole.
pub(super) async fn retried<DB: super::Dialect, T, F: Future<Output = Result<T>>>(
    mut attempt: impl FnMut() -> F,
) -> Result<T> {
    let mut retries = 0u32;
    loop {
        match attempt().await {
            Err(StoreError::Query(error)) if retries < MAX_RETRIES && DB::is_retryable(&error) => {
                retries += 1;
                tracing::debug!(%error, retries, "transaction conflict, retrying");
                tokio::time::sleep(std::time::Duration::from_millis(5 << retries)).await;
            }
            other => return other,
        }
    }
}

impl<DB: Rows> SqlRateStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    String: Native<DB>,
    NaiveDate: Native<DB>,
{
    /// Records a batch already in its stored form (`batch::as_stored`). Writes go in
    /// key order (see `plan`): concurrent batches then take their locks in the same
    /// order, which makes deadlocks rare; the conflicts the backend still detects are
    /// retried whole.
    pub(super) async fn record(&self, batch: &[Observation]) -> Result<RecordOutcome> {
        retried::<DB, _, _>(|| self.record_once(batch)).await
    }

    /// One attempt, in one transaction. Its reads lock what they read (see
    /// [`super::Dialect::LOCKING_READ`]), so no aggregate misses or double-counts an
    /// observation that another transaction commits meanwhile.
    async fn record_once(&self, batch: &[Observation]) -> Result<RecordOutcome> {
        let ingested_at = Utc::now();
        let mut tx = match DB::BEGIN {
            Some(statement) => self.pool.begin_with(statement).await?,
            None => self.pool.begin().await?,
        };
        // Compared in SQL, so in the column's own form.
        let key_spans: Vec<Span<DB::Time>> = key_spans(batch)
            .into_iter()
            .map(|span| Span {
                currency: span.currency,
                from: DB::encode_time(span.from),
                to: DB::encode_time(span.to),
            })
            .collect();
        let stored = Self::select_observations(&mut tx, "recorded_at", &key_spans).await?;
        let mut plan = plan(batch, &stored);
        Self::insert_history(&mut tx, &plan.writes, ingested_at).await?;

        let existing = Self::select_days(&mut tx, plan.merges.keys()).await?;
        let mut days = merge_days(&plan.merges, &existing, &mut plan.recompute);
        if !plan.recompute.is_empty() {
            let spans = day_spans(&plan.recompute);
            let stored = Self::select_observations(&mut tx, "rate_date", &spans).await?;
            let recomputed = aggregate_days(&stored, &plan.recompute);
            let emptied = emptied_days(&plan.recompute, &recomputed);
            Self::delete_days(&mut tx, &emptied).await?;
            days.extend(recomputed);
        }
        Self::upsert_daily(&mut tx, &days).await?;
        Self::move_latest(&mut tx, &newest_per_currency(&plan.writes)).await?;
        tx.commit().await?;
        Ok(RecordOutcome {
            observations: plan.writes.len() as u64,
            daily_rows: days.len() as u64,
        })
    }

    /// The rows of `table` inside the spans, locked until the commit (see
    /// [`super::Dialect::LOCKING_READ`]); `column` is the spans' column (`recorded_at`
    /// or `rate_date`), in either table the leading column of an index after the
    /// currency.
    async fn locking_read<T: Native<DB> + Copy>(
        tx: &mut DB::Connection,
        table: &str,
        columns: &str,
        column: &'static str,
        spans: &[Span<T>],
    ) -> Result<Vec<DB::Row>> {
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<DB>::new(format!("SELECT {columns} FROM {table} WHERE "));
        push_span_filter(&mut query, column, spans);
        query.push(DB::LOCKING_READ);
        Ok(query.build().fetch_all(tx).await?)
    }

    async fn select_observations<T: Native<DB> + Copy>(
        tx: &mut DB::Connection,
        column: &'static str,
        spans: &[Span<T>],
    ) -> Result<Vec<Observation>> {
        Self::locking_read(
            tx,
            "exchange_rate_history",
            OBSERVATION_COLUMNS,
            column,
            spans,
        )
        .await?
        .iter()
        .map(DB::observation)
        .collect()
    }

    async fn insert_history(
        tx: &mut DB::Connection,
        rows: &[&Observation],
        ingested_at: DateTime<Utc>,
    ) -> Result<()> {
        for chunk in rows.chunks(DB::CHUNK) {
            let mut query = QueryBuilder::<DB>::new(format!(
                "INSERT INTO exchange_rate_history ({HISTORY_COLUMNS}) "
            ));
            query.push_values(chunk, |mut row, o| {
                DB::bind_history(&mut row, o, ingested_at)
            });
            query.push(" ").push(DB::upsert(
                &["currency_code", "source", "recorded_at"],
                &[
                    "rate_date",
                    "mid",
                    "tts",
                    "ttb",
                    "raw_unit",
                    "redistributable",
                ],
            ));
            query.build().execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// The stored rows of some days with their merge state.
    async fn select_days<'k>(
        tx: &mut DB::Connection,
        days: impl IntoIterator<Item = &'k DayKey>,
    ) -> Result<HashMap<DayKey, Option<DayAggregate>>> {
        let spans = day_spans(days);
        Self::locking_read(tx, "daily_exchange_rates", DAY_COLUMNS, "rate_date", &spans)
            .await?
            .iter()
            .map(DB::day)
            .collect()
    }

    async fn delete_days(tx: &mut DB::Connection, days: &[DayKey]) -> Result<()> {
        for (currency, date) in days {
            sqlx::query(
                "DELETE FROM daily_exchange_rates WHERE currency_code = ? AND rate_date = ?",
            )
            .bind(currency.as_str().to_string())
            .bind(*date)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    async fn upsert_daily(tx: &mut DB::Connection, rows: &[DayAggregate]) -> Result<()> {
        for chunk in rows.chunks(DB::CHUNK) {
            let mut query = QueryBuilder::<DB>::new(format!(
                "INSERT INTO daily_exchange_rates ({DAY_COLUMNS}) "
            ));
            query.push_values(chunk, |mut row, day| DB::bind_day(&mut row, day));
            query.push(" ").push(DB::upsert(
                &["currency_code", "rate_date"],
                &[
                    "open_rate",
                    "close_rate",
                    "high_rate",
                    "low_rate",
                    "avg_rate",
                    "sum_rate",
                    "observation_count",
                    "first_at",
                    "last_at",
                    "volatility",
                    "open_source",
                    "close_source",
                    "m2",
                ],
            ));
            query.build().execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// Moves each currency's latest quote forward; an older one leaves it as it is.
    async fn move_latest(tx: &mut DB::Connection, newest: &[&Observation]) -> Result<()> {
        if newest.is_empty() {
            return Ok(());
        }
        let mut query =
            QueryBuilder::<DB>::new(format!("INSERT INTO latest_rates ({QUOTE_COLUMNS}) "));
        query.push_values(newest, |mut row, o| DB::bind_quote(&mut row, o));
        query.push(" ").push(DB::upsert_newer(
            "latest_rates",
            &["currency_code"],
            &["source", "rate_date", "mid", "tts", "ttb"],
            "recorded_at",
        ));
        query.build().execute(tx).await?;
        Ok(())
    }
}
