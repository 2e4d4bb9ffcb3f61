//! Publishes the state of a service's dependencies through `grpc.health.v1`, under
//! the names of `travel_runtime::dependencies`, so the gateway's /health can report
//! them without a second protocol.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use travel_cache::Cache;
use travel_runtime::Shutdown;
use travel_runtime::dependencies::{CACHE, CACHE_BREAKER, DATABASE, DATABASE_BREAKER};
use travel_storage::RateStore;

fn status(ok: bool) -> ServingStatus {
    if ok {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    }
}

/// A database round trip: true when it answered. Lets services whose database is not
/// the rate store (the ranking service's selection store) publish the same states.
pub type DatabasePing = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

struct Monitor {
    health: HealthReporter,
    database: DatabasePing,
    cache: Arc<dyn Cache>,
    timeout: Duration,
    last: Option<(bool, bool)>,
}

impl Monitor {
    async fn check(&mut self) {
        let database_ok = tokio::time::timeout(self.timeout, (self.database)())
            .await
            .unwrap_or(false);
        let cache_ok = tokio::time::timeout(self.timeout, self.cache.ping())
            .await
            .is_ok_and(|r| r.is_ok());
        if self.last != Some((database_ok, cache_ok)) {
            tracing::info!(database_ok, cache_ok, "dependency state changed");
            self.last = Some((database_ok, cache_ok));
        }
        self.health
            .set_service_status(DATABASE, status(database_ok))
            .await;
        self.health
            .set_service_status(CACHE, status(cache_ok))
            .await;
        // Only backends that have a breaker publish one.
        let breakers = travel_breaker::states();
        for (backend, name) in [
            (travel_breaker::DATABASE, DATABASE_BREAKER),
            (travel_breaker::CACHE, CACHE_BREAKER),
        ] {
            if let Some(state) = breakers.get(backend) {
                self.health
                    .set_service_status(name, status(*state == "closed"))
                    .await;
            }
        }
    }
}

/// Publishes the first state before returning (so /health never sees "unknown"), then
/// re-checks every `interval` until shutdown.
pub async fn start_monitor(
    health: HealthReporter,
    store: Arc<dyn RateStore>,
    cache: Arc<dyn Cache>,
    interval: Duration,
    shutdown: Shutdown,
) {
    let database: DatabasePing = Arc::new(move || {
        let store = store.clone();
        Box::pin(async move { store.ping().await.is_ok() })
    });
    start_monitor_with(health, database, cache, interval, shutdown).await;
}

/// [`start_monitor`] with any database.
pub async fn start_monitor_with(
    health: HealthReporter,
    database: DatabasePing,
    cache: Arc<dyn Cache>,
    interval: Duration,
    shutdown: Shutdown,
) {
    let mut monitor = Monitor {
        health,
        database,
        cache,
        timeout: interval.max(Duration::from_secs(1)),
        last: None,
    };
    monitor.check().await;
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = ticker.tick() => monitor.check().await,
                _ = shutdown.wait() => break,
            }
        }
    });
}
