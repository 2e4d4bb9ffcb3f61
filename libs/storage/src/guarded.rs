//! The store's boundary, around every backend: each call is a `db` span (the trace of
//! a request reaches the database), and a remote database sits behind its breaker
//! (`travel_breaker`): while it refuses or black-holes connections, reads and writes
//! fail at once with `StoreError::Unavailable` (503 DATABASE_UNAVAILABLE at the edge)
//! instead of each waiting out the pool's acquire time-out; answers the cache holds are
//! still served. Only "unreachable" counts as a failure: a query the database refuses
//! is an answer.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tracing::Instrument;
use travel_breaker::Breaker;
use travel_domain::alert::Alert;
use travel_domain::price_index::BigMacPrice;
use travel_domain::{CountryCode, CurrencyCode, CurrencyInfo, DailyRate, Observation, Quote};

use crate::alerts::{AlertStore, Delivery, DeliveryState, StoredAlert};
use crate::{CatalogRow, DatasetImport, RateStore, RecordOutcome, Result, StoreError};

pub struct Guarded {
    inner: Arc<dyn RateStore>,
    /// None for the embedded database, which cannot be unreachable.
    breaker: Option<Breaker>,
}

impl Guarded {
    pub fn new(inner: Arc<dyn RateStore>, breaker: Option<Breaker>) -> Self {
        Self { inner, breaker }
    }

    /// A traced call through the breaker.
    async fn guard<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let span = tracing::info_span!(
            "db",
            db.system = self.inner.backend(),
            db.operation = operation
        );
        self.through_breaker(call.instrument(span)).await
    }

    async fn through_breaker<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        let Some(breaker) = &self.breaker else {
            return call.await;
        };
        breaker
            .run(call, |e| matches!(e, StoreError::Unavailable(_)))
            .await
            .unwrap_or_else(|| {
                Err(StoreError::Unavailable(
                    "database skipped: it failed repeatedly; retried after the breaker's cool-down"
                        .to_string(),
                ))
            })
    }
}

#[async_trait]
impl RateStore for Guarded {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    // Start-up and shutdown steps wait for the database on purpose.
    async fn migrate(&self) -> Result<()> {
        self.inner.migrate().await
    }

    async fn close(&self) {
        self.inner.close().await
    }

    // Health checks every few seconds: through the breaker, but no span of their own.
    async fn ping(&self) -> Result<()> {
        self.through_breaker(self.inner.ping()).await
    }

    async fn sync_catalog(&self, currencies: &[CurrencyInfo]) -> Result<()> {
        self.guard("sync_catalog", self.inner.sync_catalog(currencies))
            .await
    }

    async fn catalog(&self) -> Result<Vec<CatalogRow>> {
        self.guard("catalog", self.inner.catalog()).await
    }

    async fn record_observations(&self, observations: &[Observation]) -> Result<RecordOutcome> {
        self.guard(
            "record_observations",
            self.inner.record_observations(observations),
        )
        .await
    }

    async fn latest_quotes(&self, codes: &[CurrencyCode]) -> Result<Vec<Quote>> {
        self.guard("latest_quotes", self.inner.latest_quotes(codes))
            .await
    }

    async fn daily_rates(
        &self,
        code: CurrencyCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRate>> {
        self.guard("daily_rates", self.inner.daily_rates(code, from, to))
            .await
    }

    async fn observations(
        &self,
        code: CurrencyCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Observation>> {
        self.guard("observations", self.inner.observations(code, from, to))
            .await
    }

    async fn observation_count(&self, code: Option<CurrencyCode>) -> Result<u64> {
        self.guard("observation_count", self.inner.observation_count(code))
            .await
    }

    async fn upsert_bigmac_prices(&self, prices: &[BigMacPrice]) -> Result<u64> {
        self.guard(
            "upsert_bigmac_prices",
            self.inner.upsert_bigmac_prices(prices),
        )
        .await
    }

    async fn bigmac_prices(&self, country: CountryCode) -> Result<Vec<BigMacPrice>> {
        self.guard("bigmac_prices", self.inner.bigmac_prices(country))
            .await
    }

    async fn dataset_import(&self, dataset: &str) -> Result<Option<DatasetImport>> {
        self.guard("dataset_import", self.inner.dataset_import(dataset))
            .await
    }

    async fn mark_dataset_imported(&self, import: &DatasetImport) -> Result<()> {
        self.guard(
            "mark_dataset_imported",
            self.inner.mark_dataset_imported(import),
        )
        .await
    }
}

#[async_trait]
impl AlertStore for Guarded {
    async fn create_alert(&self, alert: &StoredAlert) -> Result<()> {
        self.guard("create_alert", self.inner.create_alert(alert))
            .await
    }

    async fn alert(&self, id: &str) -> Result<Option<StoredAlert>> {
        self.guard("alert", self.inner.alert(id)).await
    }

    async fn token_known(&self, token_hash: &str) -> Result<bool> {
        self.guard("token_known", self.inner.token_known(token_hash))
            .await
    }

    async fn live_alerts_of(&self, token_hash: &str, now: DateTime<Utc>) -> Result<u64> {
        self.guard("live_alerts_of", self.inner.live_alerts_of(token_hash, now))
            .await
    }

    async fn delete_alert(&self, id: &str) -> Result<bool> {
        self.guard("delete_alert", self.inner.delete_alert(id))
            .await
    }

    async fn watched_pairs(
        &self,
        codes: &[CurrencyCode],
    ) -> Result<Vec<(CurrencyCode, CurrencyCode)>> {
        self.guard("watched_pairs", self.inner.watched_pairs(codes))
            .await
    }

    async fn fire_alerts(
        &self,
        currency: CurrencyCode,
        base: CurrencyCode,
        rate: Decimal,
        quote_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Alert>> {
        self.guard(
            "fire_alerts",
            self.inner.fire_alerts(currency, base, rate, quote_at, now),
        )
        .await
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        self.guard(
            "claim_deliveries",
            self.inner.claim_deliveries(now, lease, limit),
        )
        .await
    }

    async fn delivery_succeeded(&self, alert_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.guard(
            "delivery_succeeded",
            self.inner.delivery_succeeded(alert_id, at),
        )
        .await
    }

    async fn delivery_failed(
        &self,
        alert_id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.guard(
            "delivery_failed",
            self.inner.delivery_failed(alert_id, error, retry_at, at),
        )
        .await
    }

    async fn delivery(&self, alert_id: &str) -> Result<Option<DeliveryState>> {
        self.guard("delivery", self.inner.delivery(alert_id)).await
    }
}
