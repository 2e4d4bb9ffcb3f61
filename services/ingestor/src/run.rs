//! One ingestion run: every enabled source in order (skipping those whose breaker is
//! open), reconciliation per currency, one event per currency published.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use travel_bus::Publisher;
use travel_cache::{Cache, latest_quotes};
use travel_domain::{CurrencyCode, Observation, Source};
use travel_events::{Provenance, encode};
use travel_sources::breaker::Breaker;
use travel_sources::reconcile::{Candidate, reconcile};

use crate::config::IngestorConfig;
use crate::fetch::Fetcher;

/// Where the ingestor reads the time: the system clock, or one tests drive.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall time that follows tokio's clock from a starting point, so a test can pause
/// and advance time for the circuit breaker.
pub struct TokioClock {
    start: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            start,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.origin.elapsed()).unwrap_or_default()
    }
}

/// How one source fared in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceOutcome {
    Fetched { quotes: usize },
    Failed { reason: String },
    Skipped { reason: String },
}

#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub published: usize,
    pub sources: Vec<(String, SourceOutcome)>,
    /// Currencies whose quotes were rejected, and why.
    pub rejected: Vec<(CurrencyCode, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("nothing could be published: {}", describe(.0))]
    NothingPublished(Vec<(String, SourceOutcome)>),
    #[error("publishing failed: {0}")]
    Bus(#[from] travel_bus::BusError),
}

fn describe(sources: &[(String, SourceOutcome)]) -> String {
    if sources.is_empty() {
        return "no source is enabled".to_string();
    }
    sources
        .iter()
        .map(|(name, outcome)| match outcome {
            SourceOutcome::Fetched { quotes } => format!("{name}: {quotes} quotes, all rejected"),
            SourceOutcome::Failed { reason } => format!("{name}: {reason}"),
            SourceOutcome::Skipped { reason } => format!("{name}: {reason}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub struct Ingestor {
    config: IngestorConfig,
    fetcher: Fetcher,
    publisher: Arc<dyn Publisher>,
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    /// The mid this process last published per currency: the jump guard's reference
    /// when the cache has none (its entry expired while the pipeline stalled, or the
    /// cache is down), since an older reference still catches a wild jump.
    published: Mutex<HashMap<CurrencyCode, Decimal>>,
}

/// Korea has no daylight saving time: KST is UTC+9 all year.
fn korean_date(now: DateTime<Utc>) -> chrono::NaiveDate {
    now.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("valid offset"))
        .date_naive()
}

impl Ingestor {
    pub fn new(
        config: IngestorConfig,
        publisher: Arc<dyn Publisher>,
        cache: Arc<dyn Cache>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            fetcher: Fetcher::new(&config),
            config,
            publisher,
            cache,
            clock,
            published: Mutex::default(),
        }
    }

    async fn breaker(&self, source: &str) -> Breaker {
        match self.cache.get(&format!("breaker:{source}")).await {
            Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_default(),
            Ok(None) => Breaker::default(),
            Err(error) => {
                tracing::warn!(%error, source, "breaker state unreadable, assuming closed");
                Breaker::default()
            }
        }
    }

    async fn save_breaker(&self, source: &str, breaker: &Breaker) {
        let ttl = self.config.breaker.cool_down.max(Duration::from_secs(60)) * 4;
        if let Ok(json) = serde_json::to_string(breaker)
            && let Err(error) = self
                .cache
                .set(&format!("breaker:{source}"), &json, ttl)
                .await
        {
            tracing::warn!(%error, source, "breaker state not saved");
        }
    }

    /// The jump guard's reference: the last stored quote's mid as the latest-quote
    /// cache entry holds it, else the mid this process last published.
    async fn last_stored(&self, currency: CurrencyCode) -> Option<Decimal> {
        match latest_quotes::stored_mid(&*self.cache, currency).await {
            Ok(Some(mid)) => return Some(mid),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, %currency, "last stored quote unreadable"),
        }
        self.published_mid(currency)
    }

    fn published_mid(&self, currency: CurrencyCode) -> Option<Decimal> {
        let published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        published.get(&currency).copied()
    }

    #[tracing::instrument(skip_all)]
    pub async fn run_once(&self) -> Result<RunReport, IngestError> {
        let now = self.clock.now();
        let today = korean_date(now);
        let mut report = RunReport::default();
        let mut candidates: BTreeMap<CurrencyCode, Vec<Candidate>> = BTreeMap::new();
        for source in &self.config.sources {
            let name = source.name.stored_name();
            let mut breaker = self.breaker(name).await;
            if !breaker.allows(now) {
                let until = breaker
                    .open_until
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                report.sources.push((
                    name.into(),
                    SourceOutcome::Skipped {
                        reason: format!("circuit open until {until}"),
                    },
                ));
                continue;
            }
            match self.fetcher.fetch(source, today).await {
                Ok(quotes) => {
                    breaker.record_success();
                    report.sources.push((
                        name.into(),
                        SourceOutcome::Fetched {
                            quotes: quotes.len(),
                        },
                    ));
                    for quote in quotes {
                        candidates
                            .entry(quote.currency)
                            .or_default()
                            .push(Candidate {
                                source: name.to_string(),
                                quote,
                            });
                    }
                }
                Err(error) => {
                    tracing::warn!(source = name, %error, "source failed");
                    breaker.record_failure(now, self.config.breaker);
                    report.sources.push((
                        name.into(),
                        SourceOutcome::Failed {
                            reason: error.to_string(),
                        },
                    ));
                }
            }
            self.save_breaker(name, &breaker).await;
        }

        // One trace per run: every record of it carries the same trace id.
        let headers = travel_runtime::context::message_trace_headers();

        for (currency, mut list) in candidates {
            // Only the newest business day counts: an older day is not a second opinion.
            let newest = list.iter().map(|c| c.quote.rate_date).max();
            list.retain(|c| Some(c.quote.rate_date) == newest);
            let last = self.last_stored(currency).await;
            match reconcile(&list, last, self.config.max_jump_percent) {
                Ok(reconciled) => {
                    let observation = Observation {
                        currency,
                        source: reconciled.source.clone(),
                        recorded_at: now,
                        rate_date: reconciled.quote.rate_date,
                        mid: reconciled.quote.mid,
                        tts: reconciled.quote.tts,
                        ttb: reconciled.quote.ttb,
                        raw_unit: reconciled.quote.raw_unit,
                        redistributable: reconciled.sources.iter().all(|s| {
                            Source::from_stored_name(s).is_none_or(Source::redistributable)
                        }),
                    };
                    let provenance = Provenance {
                        raw_code: reconciled.quote.raw_code.clone(),
                        fetched_at: Some(now),
                        contributing_sources: reconciled.sources.clone(),
                        spread: Some(reconciled.spread),
                    };
                    self.publisher
                        .publish(
                            &self.config.topic,
                            currency.as_str(),
                            &encode(&observation, &provenance),
                            &headers,
                        )
                        .await?;
                    self.published
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(currency, observation.mid);
                    report.published += 1;
                }
                Err(rejection) => {
                    tracing::warn!(%currency, %rejection, "quote rejected");
                    report.rejected.push((currency, rejection.to_string()));
                }
            }
        }
        if report.published == 0 {
            return Err(IngestError::NothingPublished(report.sources));
        }
        tracing::info!(
            published = report.published,
            rejected = report.rejected.len(),
            "ingestion run done"
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn korean_dates_turn_at_15_utc() {
        let before = Utc.with_ymd_and_hms(2026, 11, 27, 14, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap();
        assert_eq!(korean_date(before).to_string(), "2026-11-27");
        assert_eq!(korean_date(after).to_string(), "2026-11-28");
    }
}
