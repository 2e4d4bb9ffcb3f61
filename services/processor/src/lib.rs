//! The processor: consumes `exchange-rates`, stores every observation with an
//! idempotent upsert (the store recomputes the touched days' aggregates in the same
//! transaction), refreshes `rate:{code}` in the cache, and commits the batch's offsets
//! only after the write is durable. Records that cannot be decoded or validated go to
//! `exchange-rates.dlq` with the reason; processing continues.
//!
//! At-least-once delivery plus idempotent writes: an event delivered twice — after a
//! crash, a rebalance, a replay — changes nothing the second time.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;
use travel_bus::{Bus, BusError, Consumer, Publisher, Record, dead_letter, dead_letter_topic};
use travel_cache::Cache;
use travel_cache::latest_quotes;
use travel_domain::{Catalog, CurrencyCode, Observation};
use travel_events::{RATES_TOPIC, decode};
use travel_feed::QuoteFeed;
use travel_runtime::context::{TRACEPARENT, continue_message_trace, trace_id};
use travel_runtime::{ConfigError, Env, Shutdown};
use travel_storage::{RateStore, StoreError};

#[derive(Debug, Clone)]
pub struct ProcessorConfig {
    /// Topic consumed; its dead letters go to `<topic>.dlq`.
    pub topic: String,
    pub group: String,
    /// Records per batch (one database transaction).
    pub batch_size: usize,
    pub poll_wait: Duration,
    /// Lifetime of the `rate:{code}` entries it writes.
    pub rate_ttl: Duration,
    /// Longest pause between retries of a failed batch.
    pub max_backoff: Duration,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        Self {
            topic: RATES_TOPIC.to_string(),
            group: "processor".to_string(),
            batch_size: 500,
            poll_wait: Duration::from_millis(500),
            rate_ttl: latest_quotes::DEFAULT_TTL,
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl ProcessorConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let batch_size = env.parse("TRAVEL_PROCESSOR_BATCH_SIZE", d.batch_size)?;
        if batch_size == 0 {
            return Err(ConfigError {
                variable: "TRAVEL_PROCESSOR_BATCH_SIZE".into(),
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            topic: travel_wiring::rates_topic(env),
            group: env.string("TRAVEL_PROCESSOR_GROUP", &d.group),
            batch_size,
            poll_wait: env.duration("TRAVEL_PROCESSOR_POLL_WAIT", d.poll_wait)?,
            rate_ttl: travel_wiring::rate_cache_ttl(env)?,
            max_backoff: env.duration("TRAVEL_PROCESSOR_MAX_BACKOFF", d.max_backoff)?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
enum BatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] BusError),
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub stored: usize,
    pub dead_lettered: usize,
}

pub struct Processor {
    bus: Arc<dyn Bus>,
    store: Arc<dyn RateStore>,
    cache: Arc<dyn Cache>,
    /// Where moved-forward latest quotes are announced (rate streams, alerts).
    feed: Option<Arc<dyn QuoteFeed>>,
    catalog: Catalog,
    config: ProcessorConfig,
}

impl Processor {
    pub fn new(
        bus: Arc<dyn Bus>,
        store: Arc<dyn RateStore>,
        cache: Arc<dyn Cache>,
        config: ProcessorConfig,
    ) -> Self {
        Self {
            bus,
            store,
            cache,
            feed: None,
            catalog: Catalog::new(),
            config,
        }
    }

    /// Announces each batch's now-latest quotes on `feed` after they are stored.
    pub fn with_feed(mut self, feed: Arc<dyn QuoteFeed>) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Consumes until `shutdown` fires. A batch in progress is finished (written and
    /// committed) before returning; a batch that keeps failing is retried with backoff
    /// and left uncommitted if shutdown comes first, so it is delivered again.
    pub async fn run(&self, shutdown: Shutdown) -> Result<(), BusError> {
        let topic = self.config.topic.as_str();
        self.bus
            .ensure_topics(&[topic, &dead_letter_topic(topic)])
            .await?;
        let publisher = self.bus.publisher()?;
        let mut consumer = self.bus.consumer(&self.config.group, &[topic]).await?;
        tracing::info!(group = %self.config.group, topic, bus = self.bus.backend(), "processor consuming");
        loop {
            let batch = tokio::select! {
                _ = shutdown.wait() => break,
                batch = consumer.poll(self.config.batch_size, self.config.poll_wait) => batch,
            };
            let batch = match batch {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "poll failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if batch.is_empty() {
                continue;
            }
            if !self
                .settle(consumer.as_mut(), publisher.as_ref(), &batch, &shutdown)
                .await
            {
                break;
            }
        }
        tracing::info!("processor stopped");
        Ok(())
    }

    /// Handles a batch until it is stored, then commits it; false when shutdown came
    /// before the batch could be stored.
    ///
    /// A failed store is retried with backoff. A failed commit is not: after a broker
    /// restart or a session time-out the consumer must poll to rejoin its group before
    /// any commit can succeed, so the processor goes back to polling. The batch is
    /// stored, and the next commit (or a redelivery, which the store ignores as a
    /// replay) settles its offsets.
    async fn settle(
        &self,
        consumer: &mut dyn Consumer,
        publisher: &dyn Publisher,
        batch: &[Record],
        shutdown: &Shutdown,
    ) -> bool {
        let mut backoff = Duration::from_millis(100);
        let outcome = loop {
            match self.handle(publisher, batch).await {
                Ok(outcome) => break outcome,
                Err(error) => {
                    tracing::warn!(%error, records = batch.len(), "batch failed, retrying")
                }
            }
            tokio::select! {
                _ = shutdown.wait() => return false,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(self.config.max_backoff);
        };
        metrics::counter!("travel_processor_records_total", "outcome" => "stored")
            .increment(outcome.stored as u64);
        metrics::counter!("travel_processor_records_total", "outcome" => "dead_letter")
            .increment(outcome.dead_lettered as u64);
        match consumer.commit(batch).await {
            Ok(()) => tracing::debug!(
                records = batch.len(),
                stored = outcome.stored,
                dead_lettered = outcome.dead_lettered,
                "batch committed"
            ),
            Err(error) => {
                metrics::counter!("travel_processor_commit_failures_total").increment(1);
                tracing::warn!(%error, "commit failed; the stored batch may be delivered again")
            }
        }
        true
    }

    async fn handle(
        &self,
        publisher: &dyn Publisher,
        batch: &[Record],
    ) -> Result<BatchOutcome, BatchError> {
        // The batch continues the trace of its first record (the ingestion run that
        // published it); a batch spanning runs names the first one.
        let first = batch
            .first()
            .map(|r| r.headers.as_slice())
            .unwrap_or_default();
        let trace_id = first
            .iter()
            .find(|(k, _)| k == TRACEPARENT)
            .and_then(|(_, v)| trace_id(v))
            .unwrap_or("-")
            .to_string();
        let span =
            tracing::info_span!("process_batch", records = batch.len(), trace_id = %trace_id);
        continue_message_trace(&span, first);
        self.handle_in_span(publisher, batch).instrument(span).await
    }

    async fn handle_in_span(
        &self,
        publisher: &dyn Publisher,
        batch: &[Record],
    ) -> Result<BatchOutcome, BatchError> {
        let mut good: Vec<Observation> = Vec::with_capacity(batch.len());
        let mut dead_lettered = 0;
        for record in batch {
            match decode(&record.key, &record.payload, &self.catalog) {
                Ok(observation) => good.push(observation),
                Err(reason) => {
                    tracing::warn!(%reason, partition = record.partition, offset = record.offset, "record dead-lettered");
                    dead_letter(publisher, record, &reason.to_string()).await?;
                    dead_lettered += 1;
                }
            }
        }
        self.store.record_observations(&good).await?;
        self.refresh_cache(&good).await;
        // For the "ingestion failing" alert: when rates were last stored.
        if !good.is_empty() {
            metrics::gauge!("travel_processor_last_stored_timestamp_seconds")
                .set(unix_now_seconds());
        }
        Ok(BatchOutcome {
            stored: good.len(),
            dead_lettered,
        })
    }

    /// Puts the now-latest quote of every touched currency into the cache and announces
    /// it on the feed (read back from the store: a replayed old event must not
    /// overwrite a newer quote; the feed passes on only quotes that moved forward).
    async fn refresh_cache(&self, observations: &[Observation]) {
        let touched: Vec<CurrencyCode> = observations
            .iter()
            .map(|o| o.currency)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if touched.is_empty() {
            return;
        }
        let quotes = match self.store.latest_quotes(&touched).await {
            Ok(quotes) => quotes,
            Err(error) => {
                tracing::warn!(
                    %error,
                    "latest quotes not re-read; cache entries expire on their own"
                );
                return;
            }
        };
        if let Err(error) = latest_quotes::write(&*self.cache, &quotes, self.config.rate_ttl).await
        {
            travel_cache::log_failure(&error, "cache refresh failed");
        }
        if let Some(feed) = &self.feed
            && let Err(error) = feed.announce(&quotes).await
        {
            // Stored and cached all the same: watchers catch up from the feed's state.
            tracing::warn!(%error, "latest quotes not announced");
        }
    }
}

fn unix_now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}
