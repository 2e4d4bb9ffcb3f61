//! The alert evaluator: on every quote change from the feed, the rate of each pair
//! that alerts watch and the change touches, and the alerts that rate crosses fired —
//! a change reads the pairs and, per pair, only the alerts it crosses (two index
//! ranges), so its cost does not grow with the number of alerts. Every replica may run it: the store's conditional update fires each alert
//! once. The feed starts with the current quotes, so alerts whose condition came to
//! hold while no evaluator ran fire at start-up.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use travel_domain::quote::{cross_rate, krw_identity};
use travel_domain::{CurrencyCode, Quote};
use travel_feed::QuoteFeed;
use travel_runtime::Shutdown;
use travel_storage::StoreError;

use super::Alerts;

/// Runs until `shutdown`.
pub async fn evaluate_alerts(alerts: Alerts, feed: Arc<dyn QuoteFeed>, shutdown: Shutdown) {
    let mut watch = feed.watch();
    let mut evaluator = Evaluator::new(alerts);
    loop {
        let changes = tokio::select! {
            biased;
            () = shutdown.wait() => return,
            changes = watch.changes() => changes,
        };
        if let Err(error) = evaluator.apply(changes).await {
            // The next change evaluates again; an alert whose rate stays crossed fires
            // then.
            tracing::warn!(error = %error, "alert evaluation failed");
        }
    }
}

/// The quotes an evaluator has seen, and what it does with a change.
pub struct Evaluator {
    alerts: Alerts,
    held: HashMap<CurrencyCode, Quote>,
}

impl Evaluator {
    pub fn new(alerts: Alerts) -> Self {
        Self {
            alerts,
            held: HashMap::new(),
        }
    }

    /// Takes the changes that move a currency forward and fires what they cross; the
    /// number of alerts fired.
    pub async fn apply(&mut self, changes: Vec<Quote>) -> Result<usize, StoreError> {
        let mut moved = Vec::new();
        for quote in changes {
            if quote.supersedes(self.held.get(&quote.currency)) {
                moved.push(quote.currency);
                self.held.insert(quote.currency, quote);
            }
        }
        if moved.is_empty() {
            return Ok(0);
        }
        self.evaluate(&moved).await
    }

    async fn evaluate(&mut self, moved: &[CurrencyCode]) -> Result<usize, StoreError> {
        let started = std::time::Instant::now();
        let alerts = &self.alerts;
        let pairs = alerts.store.watched_pairs(moved).await?;
        if pairs.is_empty() {
            return Ok(0);
        }
        let missing: Vec<CurrencyCode> = pairs
            .iter()
            .flat_map(|(currency, base)| [*currency, *base])
            .filter(|code| *code != CurrencyCode::KRW && !self.held.contains_key(code))
            .collect();
        if !missing.is_empty() {
            for quote in alerts.store.latest_quotes(&missing).await? {
                self.held.entry(quote.currency).or_insert(quote);
            }
        }
        let mut fired = 0;
        for (currency, base) in pairs {
            let (Some(quote), Some(base_quote)) =
                (quote_of(&self.held, currency), quote_of(&self.held, base))
            else {
                continue;
            };
            let Some(rate) = cross_rate(base_quote.mid, quote.mid) else {
                continue;
            };
            let quote_at = quote.recorded_at.max(base_quote.recorded_at);
            let done = alerts
                .store
                .fire_alerts(currency, base, rate, quote_at, Utc::now())
                .await?;
            for alert in &done {
                tracing::info!(
                    alert_id = %alert.id,
                    currency = %currency,
                    base = %base,
                    condition = %alert.condition,
                    threshold = %alert.threshold,
                    rate = %rate,
                    "alert fired"
                );
            }
            if done.iter().any(|a| a.webhook_url.is_some()) {
                alerts.queued.notify_one();
            }
            fired += done.len();
        }
        if fired > 0 {
            metrics::counter!("travel_alerts_fired_total").increment(fired as u64);
            alerts.changed.notify_waiters();
        }
        metrics::histogram!("travel_alert_evaluation_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(fired)
    }
}

/// A currency's quote; KRW's is the identity, as current as the newest quote held.
fn quote_of(held: &HashMap<CurrencyCode, Quote>, code: CurrencyCode) -> Option<Quote> {
    if code == CurrencyCode::KRW {
        let newest = held.values().map(|q| q.recorded_at).max()?;
        return Some(krw_identity(newest));
    }
    held.get(&code).cloned()
}
