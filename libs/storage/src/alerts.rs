//! The trip alerts' part of the store: alerts, their one firing, and the outbox of
//! their webhook deliveries.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use travel_domain::CurrencyCode;
use travel_domain::alert::Alert;

use crate::Result;

/// An alert as stored: with the hash of its management token and its signing secret,
/// which never leave the service.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAlert {
    pub alert: Alert,
    /// Hex SHA-256 of the management token.
    pub token_hash: String,
    pub secret: String,
}

impl std::fmt::Debug for StoredAlert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAlert")
            .field("alert", &self.alert)
            .field("token_hash", &"[redacted]")
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Where a webhook delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub attempts: u32,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Set when the attempts ran out.
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A delivery this caller claimed: it alone attempts it until the claim lapses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub alert: StoredAlert,
    pub url: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// Alert persistence. Every state change is conditional on the state it leaves, so
/// that several replicas may run the same step and only one of them takes it.
#[async_trait]
pub trait AlertStore: Send + Sync {
    async fn create_alert(&self, alert: &StoredAlert) -> Result<()>;

    /// The alert with this id, whatever its state.
    async fn alert(&self, id: &str) -> Result<Option<StoredAlert>>;

    /// Whether any alert, in any state, was created with this token.
    async fn token_known(&self, token_hash: &str) -> Result<bool>;

    /// Alerts of a token that are active and not expired at `now`.
    async fn live_alerts_of(&self, token_hash: &str, now: DateTime<Utc>) -> Result<u64>;

    /// Marks a visible alert deleted; `false` when there was none to delete. A pending
    /// delivery of a fired alert is still made.
    async fn delete_alert(&self, id: &str) -> Result<bool>;

    /// The (currency, base) pairs alerts were set on that involve any of `codes`, as
    /// currency or as base: what a change of `codes` must evaluate. Read from a table of
    /// pairs, not from the alerts, so its cost does not grow with their number; a pair
    /// whose alerts are all gone only costs an evaluation that fires nothing.
    async fn watched_pairs(
        &self,
        codes: &[CurrencyCode],
    ) -> Result<Vec<(CurrencyCode, CurrencyCode)>>;

    /// Fires the live alerts of a pair whose condition `rate` meets, each at most once
    /// however many callers race (the one whose conditional update succeeds fires it),
    /// and queues the webhook of each in the same transaction. Returns the alerts this
    /// call fired.
    async fn fire_alerts(
        &self,
        currency: CurrencyCode,
        base: CurrencyCode,
        rate: Decimal,
        quote_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Alert>>;

    /// Claims up to `limit` deliveries that are due at `now` and not claimed by anyone
    /// else, each for `lease`; counts the attempt.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>>;

    async fn delivery_succeeded(&self, alert_id: &str, at: DateTime<Utc>) -> Result<()>;

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    async fn delivery_failed(
        &self,
        alert_id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()>;

    async fn delivery(&self, alert_id: &str) -> Result<Option<DeliveryState>>;
}
