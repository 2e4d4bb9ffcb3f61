//! [`AlertStore`] on any [`Dialect`].

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::{AssertSqlSafe, Executor, FromRow, QueryBuilder, Row};
use travel_domain::CurrencyCode;
use travel_domain::alert::{Alert, AlertState};

use super::record::retried;
use super::rows::{ALERT_COLUMNS, code};
use super::{Native, Rows, SqlRateStore};
use crate::alerts::{AlertStore, Delivery, DeliveryState, StoredAlert};
use crate::{Result, StoreError};

/// Longest error text kept with a delivery.
const MAX_ERROR: usize = 500;

#[async_trait]
impl<DB: Rows> AlertStore for SqlRateStore<DB>
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
    async fn create_alert(&self, alert: &StoredAlert) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let mut query = QueryBuilder::<DB>::new(format!("INSERT INTO alerts ({ALERT_COLUMNS}) "));
        query.push_values([alert], |mut row, alert| DB::bind_alert(&mut row, alert));
        query.build().execute(&mut *tx).await?;
        let mut pair = QueryBuilder::<DB>::new(
            "INSERT INTO alert_pairs (currency_code, base_code, last_created_at) ",
        );
        pair.push_values([&alert.alert], |mut row, a| {
            row.push_bind(a.currency.as_str().to_string())
                .push_bind(a.base.as_str().to_string())
                .push_bind(DB::encode_time(a.created_at));
        });
        pair.push(" ").push(DB::upsert(
            &["currency_code", "base_code"],
            &["last_created_at"],
        ));
        pair.build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn alert(&self, id: &str) -> Result<Option<StoredAlert>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE alert_id = ?"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(DB::alert)
        .transpose()
    }

    async fn token_known(&self, token_hash: &str) -> Result<bool> {
        let found = sqlx::query("SELECT alert_id FROM alerts WHERE token_hash = ? LIMIT 1")
            .bind(token_hash.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn live_alerts_of(&self, token_hash: &str, now: DateTime<Utc>) -> Result<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM alerts \
             WHERE token_hash = ? AND state = 'active' AND expires_at > ?",
        )
        .bind(token_hash.to_string())
        .bind(DB::encode_time(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(count as u64)
    }

    async fn delete_alert(&self, id: &str) -> Result<bool> {
        let result = sqlx::query(
            "UPDATE alerts SET state = 'deleted' \
             WHERE alert_id = ? AND (state = 'fired' OR (state = 'active' AND expires_at > ?))",
        )
        .bind(id.to_string())
        .bind(DB::encode_time(Utc::now()))
        .execute(&self.pool)
        .await?;
        Ok(DB::rows_affected(&result) > 0)
    }

    async fn watched_pairs(
        &self,
        codes: &[CurrencyCode],
    ) -> Result<Vec<(CurrencyCode, CurrencyCode)>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<DB>::new("");
        for (i, column) in ["currency_code", "base_code"].into_iter().enumerate() {
            if i > 0 {
                query.push(" UNION ");
            }
            query.push(format!(
                "SELECT currency_code, base_code FROM alert_pairs WHERE {column} IN ("
            ));
            let mut list = query.separated(", ");
            for code in codes {
                list.push_bind(code.as_str().to_string());
            }
            query.push(")");
        }
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut pairs = rows
            .iter()
            .map(|row| {
                Ok((
                    code(row.try_get("currency_code")?)?,
                    code(row.try_get("base_code")?)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        pairs.sort_by(|a, b| (a.0.as_str(), a.1.as_str()).cmp(&(b.0.as_str(), b.1.as_str())));
        Ok(pairs)
    }

    async fn fire_alerts(
        &self,
        currency: CurrencyCode,
        base: CurrencyCode,
        rate: Decimal,
        quote_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Alert>> {
        retried::<DB, _, _>(|| self.fire_once(currency, base, rate, quote_at, now)).await
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let now_stored = DB::encode_time(now);
        let due = sqlx::query(
            "SELECT alert_id FROM alert_deliveries \
             WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? \
             AND (claimed_until IS NULL OR claimed_until <= ?) \
             ORDER BY next_attempt_at LIMIT ?",
        )
        .bind(now_stored)
        .bind(now_stored)
        .bind(DB::encode_count(u64::from(limit)))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>("alert_id"))
        .collect::<Result<Vec<_>, _>>()?;
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let mut claimed = Vec::new();
        for alert_id in due {
            // Whoever moves the claim first owns the attempt.
            let result = sqlx::query(
                "UPDATE alert_deliveries SET claimed_until = ?, attempts = attempts + 1 \
                 WHERE alert_id = ? AND delivered_at IS NULL AND failed_at IS NULL \
                 AND (claimed_until IS NULL OR claimed_until <= ?)",
            )
            .bind(DB::encode_time(until))
            .bind(alert_id.clone())
            .bind(now_stored)
            .execute(&self.pool)
            .await?;
            if DB::rows_affected(&result) == 0 {
                continue;
            }
            let row = sqlx::query("SELECT url, attempts FROM alert_deliveries WHERE alert_id = ?")
                .bind(alert_id.clone())
                .fetch_one(&self.pool)
                .await?;
            let Some(alert) = self.alert(&alert_id).await? else {
                return Err(StoreError::Corrupt(format!(
                    "delivery of unknown alert {alert_id}"
                )));
            };
            claimed.push(Delivery {
                alert,
                url: row.try_get("url")?,
                attempts: row.try_get("attempts")?,
            });
        }
        Ok(claimed)
    }

    async fn delivery_succeeded(&self, alert_id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE alert_deliveries SET delivered_at = ?, claimed_until = NULL, \
             last_error = NULL WHERE alert_id = ?",
        )
        .bind(DB::encode_time(at))
        .bind(alert_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delivery_failed(
        &self,
        alert_id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let error: String = error.chars().take(MAX_ERROR).collect();
        let statement = match retry_at {
            Some(_) => {
                "UPDATE alert_deliveries SET last_error = ?, claimed_until = NULL, \
                 next_attempt_at = ? WHERE alert_id = ?"
            }
            None => {
                "UPDATE alert_deliveries SET last_error = ?, claimed_until = NULL, \
                 failed_at = ? WHERE alert_id = ?"
            }
        };
        sqlx::query(statement)
            .bind(error)
            .bind(DB::encode_time(retry_at.unwrap_or(at)))
            .bind(alert_id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delivery(&self, alert_id: &str) -> Result<Option<DeliveryState>> {
        let Some(row) = sqlx::query(
            "SELECT attempts, delivered_at, failed_at, last_error FROM alert_deliveries \
             WHERE alert_id = ?",
        )
        .bind(alert_id.to_string())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let time = |column: &str| -> Result<Option<DateTime<Utc>>> {
            row.try_get::<Option<DB::Time>, _>(column)?
                .map(|stored| DB::decode_time(stored, column))
                .transpose()
        };
        Ok(Some(DeliveryState {
            attempts: row.try_get("attempts")?,
            delivered_at: time("delivered_at")?,
            failed_at: time("failed_at")?,
            last_error: row.try_get("last_error")?,
        }))
    }
}

impl<DB: Rows> SqlRateStore<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c str: sqlx::ColumnIndex<DB::Row>,
    String: Native<DB>,
    Option<String>: Native<DB>,
    f64: Native<DB>,
{
    /// One attempt of [`AlertStore::fire_alerts`], in one transaction.
    async fn fire_once(
        &self,
        currency: CurrencyCode,
        base: CurrencyCode,
        rate: Decimal,
        quote_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Alert>> {
        let Some(level) = rate.to_f64() else {
            return Ok(Vec::new());
        };
        let mut tx = match DB::BEGIN {
            Some(statement) => self.pool.begin_with(statement).await?,
            None => self.pool.begin().await?,
        };
        let mut query = QueryBuilder::<DB>::new("");
        for (i, bound) in ["level_low >= ", "level_high <= "].into_iter().enumerate() {
            if i > 0 {
                query.push(" UNION ");
            }
            query
                .push(format!(
                    "SELECT {ALERT_COLUMNS} FROM alerts WHERE state = 'active' AND currency_code = "
                ))
                .push_bind(currency.as_str().to_string())
                .push(" AND base_code = ")
                .push_bind(base.as_str().to_string())
                .push(format!(" AND {bound}"))
                .push_bind(level)
                .push(" AND expires_at > ")
                .push_bind(DB::encode_time(now));
        }
        let candidates = query
            .build()
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(DB::alert)
            .collect::<Result<Vec<_>>>()?;
        let mut fired = Vec::new();
        for stored in candidates {
            let mut alert = stored.alert;
            if !alert.holds(rate) {
                continue;
            }
            // The conditional update decides: a replica that lost the race changes
            // nothing.
            let result = sqlx::query(
                "UPDATE alerts SET state = 'fired', fired_at = ?, fired_rate = ?, \
                 fired_quote_at = ? WHERE alert_id = ? AND state = 'active'",
            )
            .bind(DB::encode_time(now))
            .bind(DB::encode_decimal(rate))
            .bind(DB::encode_time(quote_at))
            .bind(alert.id.clone())
            .execute(&mut *tx)
            .await?;
            if DB::rows_affected(&result) == 0 {
                continue;
            }
            if let Some(url) = &alert.webhook_url {
                sqlx::query(
                    "INSERT INTO alert_deliveries (alert_id, url, attempts, next_attempt_at) \
                     VALUES (?, ?, 0, ?)",
                )
                .bind(alert.id.clone())
                .bind(url.clone())
                .bind(DB::encode_time(now))
                .execute(&mut *tx)
                .await?;
            }
            alert.state = AlertState::Fired;
            alert.fired = Some(travel_domain::alert::Firing {
                at: now,
                rate,
                quote_at,
            });
            fired.push(alert);
        }
        tx.commit().await?;
        Ok(fired)
    }
}
