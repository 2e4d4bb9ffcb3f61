//! Adapters a test builds for itself, shared by the conformance suites and the
//! end-to-end tests: the embedded ones always, those on the real servers of
//! `make test-infra` with `--features infra`.

use std::sync::Arc;
#[cfg(feature = "infra")]
use std::time::Duration;

use travel_bus::{Bus, BusConfig};
use travel_cache::{Cache, CacheConfig};
use travel_storage::{RateStore, StoreConfig};

/// The in-process bus.
pub fn memory_bus() -> Arc<dyn Bus> {
    travel_bus::connect(&BusConfig::new(url("memory://"))).expect("in-process bus")
}

/// The in-memory cache, without a key prefix.
pub async fn memory_cache() -> Arc<dyn Cache> {
    travel_cache::connect(&CacheConfig::new(url("memory://")))
        .await
        .expect("in-memory cache")
}

/// A Kafka-protocol broker at `bus_url` (see [`crate::infra::kafka_url`]): topics of
/// three partitions, short consumer-group sessions.
#[cfg(feature = "infra")]
pub fn kafka_bus(bus_url: &str) -> Arc<dyn Bus> {
    let mut config = BusConfig::new(url(bus_url));
    config.partitions = 3;
    // Short sessions: a group join costs about half of it on the test broker.
    config.session_timeout = Duration::from_secs(2);
    travel_bus::connect(&config).expect("Kafka bus")
}

/// Redis at `cache_url` under a key prefix of its own, commands bounded to two
/// seconds. Fails loudly, never skips, when the server does not answer.
#[cfg(feature = "infra")]
pub async fn redis_cache(cache_url: &str) -> Arc<dyn Cache> {
    let mut config = CacheConfig::new(url(cache_url));
    config.prefix = crate::infra::unique_prefix();
    config.command_timeout = Duration::from_secs(2);
    let cache = travel_cache::connect(&config).await.expect("Redis cache");
    let ping = crate::eventually(
        Duration::from_secs(5),
        Duration::from_millis(100),
        async || cache.ping().await,
        |ping| ping.is_ok(),
    )
    .await;
    if let Err(error) = ping {
        panic!("Redis at {cache_url} is unreachable: {error}");
    }
    cache
}

/// A migrated rate store of one test, and what must be cleaned up after it.
pub struct TestRateStore {
    pub store: Arc<dyn RateStore>,
    _dir: Option<tempfile::TempDir>,
    #[cfg(feature = "infra")]
    mysql: Option<crate::infra::MySqlDatabase>,
}

impl TestRateStore {
    /// SQLite in a temporary folder of its own.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = url(&format!("sqlite://{}/rates.db", dir.path().display()));
        let store = travel_storage::connect(&StoreConfig::new(url))
            .await
            .expect("SQLite rate store");
        store.migrate().await.expect("migrations");
        Self {
            store,
            _dir: Some(dir),
            #[cfg(feature = "infra")]
            mysql: None,
        }
    }

    /// A database of its own on the MySQL/MariaDB server, dropped by
    /// [`finish`](Self::finish).
    #[cfg(feature = "infra")]
    pub async fn mysql() -> Self {
        let db = crate::infra::MySqlDatabase::create().await;
        let store = travel_storage::connect(&db.config)
            .await
            .expect("MySQL rate store");
        store.migrate().await.expect("migrations");
        Self {
            store,
            _dir: None,
            mysql: Some(db),
        }
    }

    /// Drops the MySQL database; the SQLite folder goes with the value.
    pub async fn finish(self) {
        #[cfg(feature = "infra")]
        if let Some(db) = self.mysql {
            db.drop_database().await;
        }
    }
}

fn url(raw: &str) -> url::Url {
    url::Url::parse(raw).expect("adapter URL")
}
