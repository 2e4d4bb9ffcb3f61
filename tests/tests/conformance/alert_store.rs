//! The alerts' part of the rate store, on every adapter: an alert fires once however
//! many evaluators race, and its delivery outbox hands each attempt to one worker.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use travel_domain::CurrencyCode;
use travel_domain::alert::{Alert, AlertState, Condition};
use travel_storage::{RateStore, StoredAlert};
use travel_tests::adapters::TestRateStore;

async fn sqlite() -> TestRateStore {
    TestRateStore::sqlite().await
}

#[cfg(feature = "infra")]
async fn mysql() -> TestRateStore {
    TestRateStore::mysql().await
}

fn code(raw: &str) -> CurrencyCode {
    CurrencyCode::parse(raw).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
}

fn alert(id: &str, condition: Condition, threshold: Decimal, webhook: bool) -> StoredAlert {
    StoredAlert {
        alert: Alert {
            id: id.to_string(),
            currency: code("JPY"),
            base: CurrencyCode::KRW,
            condition,
            threshold,
            reference_rate: dec!(9.1),
            webhook_url: webhook.then(|| format!("https://hooks.example/{id}")),
            created_at: now(),
            expires_at: now() + chrono::Duration::days(7),
            state: AlertState::Active,
            fired: None,
        },
        token_hash: "ab".repeat(32),
        secret: format!("secret-{id}"),
    }
}

async fn alerts_round_trip_and_count_per_token(store: &dyn RateStore) {
    let below = alert("a1", Condition::Below, dec!(8.5), true);
    let change = alert("a2", Condition::ChangePercent, dec!(2.5), false);
    store.create_alert(&below).await.unwrap();
    store.create_alert(&change).await.unwrap();
    assert_eq!(store.alert("a1").await.unwrap(), Some(below.clone()));
    assert_eq!(store.alert("a2").await.unwrap(), Some(change));
    assert_eq!(store.alert("nope").await.unwrap(), None);
    assert_eq!(
        store
            .live_alerts_of(&below.token_hash, now())
            .await
            .unwrap(),
        2
    );
    let after_expiry = now() + chrono::Duration::days(8);
    assert_eq!(
        store
            .live_alerts_of(&below.token_hash, after_expiry)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.live_alerts_of("other", now()).await.unwrap(), 0);
    assert!(store.token_known(&below.token_hash).await.unwrap());
    assert!(!store.token_known("other").await.unwrap());
    assert!(store.delete_alert("a1").await.unwrap());
    assert!(!store.delete_alert("a1").await.unwrap(), "deleted once");
    assert_eq!(
        store.alert("a1").await.unwrap().unwrap().alert.state,
        AlertState::Deleted
    );
    assert_eq!(
        store
            .live_alerts_of(&below.token_hash, now())
            .await
            .unwrap(),
        1
    );
}

async fn only_crossed_alerts_fire_and_only_once(store: &dyn RateStore) {
    for stored in [
        alert("below-85", Condition::Below, dec!(8.5), true),
        alert("below-80", Condition::Below, dec!(8.0), false),
        alert("above-95", Condition::Above, dec!(9.5), false),
        // ±5 % around 9.1: below 8.645 or above 9.555.
        alert("move-5", Condition::ChangePercent, dec!(5), false),
    ] {
        store.create_alert(&stored).await.unwrap();
    }
    let (jpy, krw) = (code("JPY"), CurrencyCode::KRW);
    let quote_at = now() + chrono::Duration::minutes(5);
    // Exactly at the threshold: `below` is strict.
    let fired = store
        .fire_alerts(jpy, krw, dec!(8.5), quote_at, quote_at)
        .await
        .unwrap();
    let ids: Vec<&str> = fired.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["move-5"]);
    let fired = store
        .fire_alerts(jpy, krw, dec!(8.4999), quote_at, quote_at)
        .await
        .unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].id, "below-85");
    let firing = fired[0].fired.clone().unwrap();
    assert_eq!(firing.rate, dec!(8.4999));
    let stored = store.alert("below-85").await.unwrap().unwrap().alert;
    assert_eq!(stored.state, AlertState::Fired);
    assert_eq!(stored.fired, Some(firing));
    // Again: nothing left below 8.5 to fire; another pair fires nothing.
    assert!(
        store
            .fire_alerts(jpy, krw, dec!(8.1), quote_at, quote_at)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .fire_alerts(code("USD"), krw, dec!(1), quote_at, quote_at)
            .await
            .unwrap()
            .is_empty()
    );
    // The pairs a change must look at, by either side.
    assert_eq!(store.watched_pairs(&[krw]).await.unwrap(), [(jpy, krw)]);
    assert_eq!(
        store.watched_pairs(&[jpy, code("EUR")]).await.unwrap(),
        [(jpy, krw)]
    );
    assert!(
        store
            .watched_pairs(&[code("USD")])
            .await
            .unwrap()
            .is_empty()
    );
    // An expired alert no longer fires.
    let late = now() + chrono::Duration::days(8);
    assert!(
        store
            .fire_alerts(jpy, krw, dec!(7), late, late)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn racing_evaluators_fire_each_alert_once(store: Arc<dyn RateStore>) {
    for i in 0..20 {
        store
            .create_alert(&alert(
                &format!("race-{i}"),
                Condition::Above,
                dec!(9.2),
                true,
            ))
            .await
            .unwrap();
    }
    let quote_at = now() + chrono::Duration::minutes(5);
    let replicas: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .fire_alerts(
                        code("JPY"),
                        CurrencyCode::KRW,
                        dec!(9.3),
                        quote_at,
                        quote_at,
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut fired = Vec::new();
    for replica in replicas {
        fired.extend(replica.await.unwrap().into_iter().map(|a| a.id));
    }
    fired.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("race-{i}")).collect();
    expected.sort();
    assert_eq!(fired, expected, "every alert fired by exactly one replica");
    // Each queued exactly one delivery.
    let claimed = store
        .claim_deliveries(quote_at, Duration::from_secs(30), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 20);
}

async fn deliveries_are_claimed_once_retried_and_settled(store: Arc<dyn RateStore>) {
    store
        .create_alert(&alert("hook", Condition::Below, dec!(9), true))
        .await
        .unwrap();
    let t0 = now() + chrono::Duration::minutes(5);
    store
        .fire_alerts(code("JPY"), CurrencyCode::KRW, dec!(8.9), t0, t0)
        .await
        .unwrap();
    let lease = Duration::from_secs(30);
    // Two workers at once: one gets it.
    let (a, b) = tokio::join!(
        store.claim_deliveries(t0, lease, 10),
        store.claim_deliveries(t0, lease, 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 1, "claimed by one worker");
    let delivery = a.into_iter().chain(b).next().unwrap();
    assert_eq!(delivery.attempts, 1);
    assert_eq!(delivery.url, "https://hooks.example/hook");
    assert_eq!(delivery.alert.secret, "secret-hook");
    assert_eq!(delivery.alert.alert.state, AlertState::Fired);
    // While claimed, nobody else takes it.
    assert!(
        store
            .claim_deliveries(t0, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A failure puts it back for later.
    let retry_at = t0 + chrono::Duration::seconds(10);
    store
        .delivery_failed("hook", "HTTP 500", Some(retry_at), t0)
        .await
        .unwrap();
    assert!(
        store
            .claim_deliveries(t0, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "not yet due"
    );
    let again = store.claim_deliveries(retry_at, lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    // A claim that lapses (a worker that died) is taken over.
    let lapsed = retry_at + chrono::Duration::seconds(31);
    let taken_over = store.claim_deliveries(lapsed, lease, 10).await.unwrap();
    assert_eq!(taken_over.len(), 1);
    assert_eq!(taken_over[0].attempts, 3);
    store.delivery_succeeded("hook", lapsed).await.unwrap();
    let state = store.delivery("hook").await.unwrap().unwrap();
    assert_eq!(state.attempts, 3);
    assert_eq!(state.delivered_at, Some(lapsed));
    assert_eq!(state.last_error, None);
    let much_later = lapsed + chrono::Duration::days(1);
    assert!(
        store
            .claim_deliveries(much_later, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A delivery given up is recorded as failed.
    store
        .create_alert(&alert("gone", Condition::Below, dec!(9), true))
        .await
        .unwrap();
    store
        .fire_alerts(code("JPY"), CurrencyCode::KRW, dec!(8.9), t0, t0)
        .await
        .unwrap();
    store.claim_deliveries(t0, lease, 10).await.unwrap();
    store
        .delivery_failed("gone", "connection refused", None, t0)
        .await
        .unwrap();
    let state = store.delivery("gone").await.unwrap().unwrap();
    assert_eq!(state.failed_at, Some(t0));
    assert_eq!(state.last_error.as_deref(), Some("connection refused"));
    assert!(
        store
            .claim_deliveries(much_later, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.delivery("none").await.unwrap(), None);
}

travel_tests::suite! {
    adapters: [sqlite, #[cfg(feature = "infra")] mysql],
    fixture: { |make| make().await; |f| { f.finish().await } },
    cases: {
        alerts_round_trip_and_count_per_token(f.store.as_ref()),
        only_crossed_alerts_fire_and_only_once(f.store.as_ref()),
        racing_evaluators_fire_each_alert_once[4](f.store.clone()),
        deliveries_are_claimed_once_retried_and_settled[2](f.store.clone()),
    },
}
