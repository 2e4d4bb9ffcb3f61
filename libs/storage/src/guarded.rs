//! A remote database behind its breaker (`travel_breaker`): while it refuses or
//! black-holes connections, reads and writes fail at once with
//! `StoreError::Unavailable` (503 DATABASE_UNAVAILABLE at the edge) instead of each
//! waiting out the pool's acquire time-out; answers the cache holds are still served.
//! Only "unreachable" counts as a failure: a query the database refuses is an answer.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use travel_breaker::Breaker;
use travel_domain::price_index::BigMacPrice;
use travel_domain::{CountryCode, CurrencyCode, CurrencyInfo, DailyRate, Observation, Quote};

use crate::{CatalogRow, DatasetImport, RateStore, RecordOutcome, Result, StoreError};

pub struct Guarded {
    inner: Arc<dyn RateStore>,
    breaker: Breaker,
}

impl Guarded {
    pub fn new(inner: Arc<dyn RateStore>, breaker: Breaker) -> Self {
        Self { inner, breaker }
    }

    async fn guard<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        let Some(permit) = self.breaker.permit() else {
            return Err(StoreError::Unavailable(
                "database skipped: it failed repeatedly; retried after the breaker's cool-down"
                    .to_string(),
            ));
        };
        let result = call.await;
        let reachable = !matches!(result, Err(StoreError::Unavailable(_)));
        self.breaker.record(permit, reachable);
        result
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

    async fn ping(&self) -> Result<()> {
        self.guard(self.inner.ping()).await
    }

    async fn sync_catalog(&self, currencies: &[CurrencyInfo]) -> Result<()> {
        self.guard(self.inner.sync_catalog(currencies)).await
    }

    async fn catalog(&self) -> Result<Vec<CatalogRow>> {
        self.guard(self.inner.catalog()).await
    }

    async fn record_observations(&self, observations: &[Observation]) -> Result<RecordOutcome> {
        self.guard(self.inner.record_observations(observations))
            .await
    }

    async fn latest_quotes(&self, codes: &[CurrencyCode]) -> Result<Vec<Quote>> {
        self.guard(self.inner.latest_quotes(codes)).await
    }

    async fn daily_rates(
        &self,
        code: CurrencyCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRate>> {
        self.guard(self.inner.daily_rates(code, from, to)).await
    }

    async fn observations(
        &self,
        code: CurrencyCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Observation>> {
        self.guard(self.inner.observations(code, from, to)).await
    }

    async fn observation_count(&self, code: Option<CurrencyCode>) -> Result<u64> {
        self.guard(self.inner.observation_count(code)).await
    }

    async fn upsert_bigmac_prices(&self, prices: &[BigMacPrice]) -> Result<u64> {
        self.guard(self.inner.upsert_bigmac_prices(prices)).await
    }

    async fn bigmac_prices(&self, country: CountryCode) -> Result<Vec<BigMacPrice>> {
        self.guard(self.inner.bigmac_prices(country)).await
    }

    async fn dataset_import(&self, dataset: &str) -> Result<Option<DatasetImport>> {
        self.guard(self.inner.dataset_import(dataset)).await
    }

    async fn mark_dataset_imported(&self, import: &DatasetImport) -> Result<()> {
        self.guard(self.inner.mark_dataset_imported(import)).await
    }
}
