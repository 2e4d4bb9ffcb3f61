//! Calculating, storing, caching and serving the rankings of each period, and the
//! periodic calculation on the leader.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use travel_cache::Cache;
use travel_leadership::Leadership;
use travel_runtime::Shutdown;
use travel_selections::{
    CalculationMetadata, DayCount, RankingPeriod, Result, SelectionStore, StoredRanking,
};

use crate::periods::{bounds, local_day};
use crate::ranking::{Calculation, calculate};

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Cache,
    Store,
    /// Calculated for this request: the stored ranking was missing or of a past period
    /// (the leader has not run since the period began).
    Calculated,
}

pub struct Rankings {
    store: Arc<dyn SelectionStore>,
    cache: Arc<dyn Cache>,
    time_zone: Tz,
    cache_ttl: Duration,
    instance: String,
    /// One calculation at a time in this process: two overlapping ones would race on
    /// the stored previous ranking.
    calculating: tokio::sync::Mutex<()>,
}

fn cache_key(period: RankingPeriod) -> String {
    format!("ranking:{}", period.as_str())
}

impl Rankings {
    pub fn new(
        store: Arc<dyn SelectionStore>,
        cache: Arc<dyn Cache>,
        time_zone: Tz,
        cache_ttl: Duration,
        instance: String,
    ) -> Self {
        Self {
            store,
            cache,
            time_zone,
            cache_ttl,
            instance,
            calculating: tokio::sync::Mutex::new(()),
        }
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        local_day(now, self.time_zone)
    }

    async fn compute(
        &self,
        period: RankingPeriod,
        now: DateTime<Utc>,
        previous: Option<&StoredRanking>,
    ) -> Result<StoredRanking> {
        let started = Instant::now();
        let today = self.today(now);
        let (start, end) = bounds(period, today);
        // Days after today have no counters yet.
        let counts: Vec<DayCount> = self.store.day_counts(start, today.min(end)).await?;
        let mut ranking = calculate(
            Calculation {
                period,
                period_start: start,
                period_end: end,
                previous,
                now,
                metadata: CalculationMetadata {
                    calculated_by: self.instance.clone(),
                    duration_ms: 0.0,
                    counters_read: counts.len() as u64,
                    time_zone: self.time_zone.name().to_string(),
                },
            },
            &counts,
        );
        ranking.metadata.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(ranking)
    }

    /// Recalculates a period from its counters, stores it as the period's ranking and
    /// refreshes the cache.
    pub async fn calculate(
        &self,
        period: RankingPeriod,
        now: DateTime<Utc>,
    ) -> Result<StoredRanking> {
        let _one_at_a_time = self.calculating.lock().await;
        let previous = self.store.load_ranking(period).await?;
        let ranking = self.compute(period, now, previous.as_ref()).await?;
        self.store.save_ranking(&ranking).await?;
        self.remember(&ranking).await;
        tracing::info!(
            period = period.as_str(),
            total = ranking.total_selections,
            entries = ranking.entries.len(),
            duration_ms = ranking.metadata.duration_ms,
            "ranking calculated"
        );
        Ok(ranking)
    }

    async fn remember(&self, ranking: &StoredRanking) {
        let Ok(json) = serde_json::to_string(ranking) else {
            return;
        };
        if let Err(error) = self
            .cache
            .set(&cache_key(ranking.period), &json, self.cache_ttl)
            .await
        {
            travel_cache::log_failure(&error, "ranking not cached");
        }
    }

    /// The ranking to serve for a period now: the cached or stored one while it is of
    /// the current period, else one calculated from the counters for this answer (not
    /// stored: storing stays with the leader's schedule and the operator's action).
    pub async fn current(
        &self,
        period: RankingPeriod,
        now: DateTime<Utc>,
    ) -> Result<(StoredRanking, Served)> {
        let (start, _) = bounds(period, self.today(now));
        match self.cache.get(&cache_key(period)).await {
            Ok(Some(json)) => match serde_json::from_str::<StoredRanking>(&json) {
                Ok(ranking) if ranking.period_start == start => {
                    return Ok((ranking, Served::Cache));
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "unreadable cached ranking ignored"),
            },
            Ok(None) => {}
            Err(error) => travel_cache::log_failure(&error, "cache unavailable, reading the store"),
        }
        let stored = self.store.load_ranking(period).await?;
        if let Some(ranking) = stored.as_ref().filter(|r| r.period_start == start) {
            self.remember(ranking).await;
            return Ok((ranking.clone(), Served::Store));
        }
        let ranking = self.compute(period, now, stored.as_ref()).await?;
        self.remember(&ranking).await;
        Ok((ranking, Served::Calculated))
    }

    /// The ranking the calculator last stored for a period, whichever period it was
    /// of; `None` before its first run.
    pub async fn stored(&self, period: RankingPeriod) -> Result<Option<StoredRanking>> {
        self.store.load_ranking(period).await
    }

    /// Per-day counters of every country over `from..=to`.
    pub async fn day_counts(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayCount>> {
        self.store.day_counts(from, to).await
    }

    /// One round of the periodic work: every period, then expired raw selections.
    pub async fn calculate_all(&self, now: DateTime<Utc>) {
        for period in RankingPeriod::ALL {
            if let Err(error) = self.calculate(period, now).await {
                tracing::warn!(%error, period = period.as_str(), "ranking calculation failed");
            }
        }
        match self.store.purge_expired(now).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired selections deleted"),
            Err(error) => tracing::warn!(%error, "purging expired selections failed"),
        }
    }
}

/// Recalculates every period each `every` while this replica leads, until shutdown.
pub async fn run_calculator(
    rankings: Arc<Rankings>,
    leadership: Arc<dyn Leadership>,
    every: Duration,
    shutdown: Shutdown,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = ticks.tick() => {}
        }
        if !leadership.is_leader() {
            tracing::debug!("not the leader: ranking calculation skipped");
            continue;
        }
        // A calculation in progress finishes before shutdown completes.
        rankings.calculate_all(Utc::now()).await;
    }
}
