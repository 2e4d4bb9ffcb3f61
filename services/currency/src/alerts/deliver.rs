//! The webhook worker: claims due deliveries from the outbox, POSTs each signed, and
//! records the outcome — delivered, retried later with back-off, or given up. A claim
//! is a lease: a worker that dies mid-delivery leaves it to another once the lease
//! lapses, so a delivery is made at least once; the `Idempotency-Key` (the alert id)
//! lets a receiver drop a repeat.

use std::time::Duration;

use chrono::Utc;
use travel_runtime::Shutdown;
use travel_storage::Delivery;

use super::webhook::Sender;
use super::{Alerts, retry_at};

/// How often the outbox is looked at without a wake-up (deliveries due for a retry,
/// ones queued by another replica).
const POLL: Duration = Duration::from_secs(1);
/// Deliveries claimed at once.
const BATCH: u32 = 16;

/// Runs until `shutdown`.
pub async fn deliver_webhooks(alerts: Alerts, sender: Sender, shutdown: Shutdown) {
    // A claim outlives the slowest exchange, so no two workers send at once.
    let lease = alerts.settings.webhook.timeout * 3;
    loop {
        match alerts
            .store
            .claim_deliveries(Utc::now(), lease, BATCH)
            .await
        {
            Ok(claimed) => {
                let full = claimed.len() as u32 == BATCH;
                let sends = claimed.into_iter().map(|d| deliver(&alerts, &sender, d));
                futures::future::join_all(sends).await;
                if full {
                    continue;
                }
            }
            Err(error) => tracing::warn!(error = %error, "webhook outbox unreadable"),
        }
        tokio::select! {
            biased;
            () = shutdown.wait() => return,
            () = alerts.queued.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// The body of a firing's webhook.
fn body(delivery: &Delivery) -> Vec<u8> {
    let alert = &delivery.alert.alert;
    let fired = alert.fired.as_ref();
    serde_json::to_vec(&serde_json::json!({
        "type": "alert.fired",
        "alert_id": alert.id,
        "currency": alert.currency.as_str(),
        "base": alert.base.as_str(),
        "condition": alert.condition.as_str(),
        "threshold": alert.threshold.normalize().to_string(),
        "reference_rate": alert.reference_rate.normalize().to_string(),
        "rate": fired.map(|f| f.rate.normalize().to_string()),
        "quote_at": fired.map(|f| f.quote_at.to_rfc3339()),
        "fired_at": fired.map(|f| f.at.to_rfc3339()),
        "attempt": delivery.attempts,
    }))
    .unwrap_or_default()
}

async fn deliver(alerts: &Alerts, sender: &Sender, delivery: Delivery) {
    let id = delivery.alert.alert.id.clone();
    let outcome = sender
        .send(&delivery.url, &id, &delivery.alert.secret, body(&delivery))
        .await;
    let now = Utc::now();
    let recorded = match &outcome {
        Ok(()) => {
            tracing::info!(alert_id = %id, attempts = delivery.attempts, "webhook delivered");
            metrics::counter!("travel_alert_webhooks_total", "outcome" => "delivered").increment(1);
            alerts.store.delivery_succeeded(&id, now).await
        }
        Err(error) => {
            let retry = retry_at(delivery.attempts, &alerts.settings.webhook, now);
            let outcome = if retry.is_some() { "retried" } else { "failed" };
            tracing::warn!(
                alert_id = %id,
                attempts = delivery.attempts,
                error = %error,
                retry_at = ?retry,
                "webhook not delivered"
            );
            metrics::counter!("travel_alert_webhooks_total", "outcome" => outcome).increment(1);
            alerts.store.delivery_failed(&id, error, retry, now).await
        }
    };
    match recorded {
        Ok(()) => alerts.changed.notify_waiters(),
        // The claim lapses and the delivery is made again: at least once.
        Err(error) => {
            tracing::warn!(alert_id = %id, error = %error, "webhook outcome not recorded")
        }
    }
}
