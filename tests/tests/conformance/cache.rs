//! One conformance suite for the cache port: the in-memory adapter always, Redis with
//! `--features infra` (make test-infra). Each test uses its own key prefix.

use std::sync::Arc;
use std::time::{Duration, Instant};

use travel_cache::{Cache, CacheConfig, CacheError};

async fn memory() -> Arc<dyn Cache> {
    let mut config = CacheConfig::new(url::Url::parse("memory://").unwrap());
    config.prefix = travel_tests::infra::unique_prefix();
    travel_cache::connect(&config).await.unwrap()
}

#[cfg(feature = "infra")]
async fn redis() -> Arc<dyn Cache> {
    travel_tests::adapters::redis_cache(&travel_tests::infra::redis_url()).await
}

/// Redis over TLS (`rediss://`, as ElastiCache with in-transit encryption): the
/// server `make infra-up` starts with a certificate of its own test CA, which the
/// suite trusts through `SSL_CERT_FILE`.
#[cfg(feature = "infra")]
async fn redis_tls() -> Arc<dyn Cache> {
    travel_tests::adapters::redis_cache(&travel_tests::infra::redis_tls_url()).await
}

async fn set_get_delete(cache: Arc<dyn Cache>) {
    assert_eq!(cache.get("rate:USD").await.unwrap(), None);
    cache
        .set("rate:USD", "{\"mid\":\"1\"}", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get("rate:USD").await.unwrap().as_deref(),
        Some("{\"mid\":\"1\"}")
    );
    cache
        .set("rate:USD", "2", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(cache.get("rate:USD").await.unwrap().as_deref(), Some("2"));
    assert!(cache.delete("rate:USD").await.unwrap());
    assert!(!cache.delete("rate:USD").await.unwrap());
    assert_eq!(cache.get("rate:USD").await.unwrap(), None);
}

async fn get_many_keeps_key_order(cache: Arc<dyn Cache>) {
    cache
        .set_many(
            &[("a".into(), "1".into()), ("c".into(), "3".into())],
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let values = cache
        .get_many(&["c".into(), "b".into(), "a".into()])
        .await
        .unwrap();
    assert_eq!(values, vec![Some("3".into()), None, Some("1".into())]);
    assert!(cache.get_many(&[]).await.unwrap().is_empty());
    cache.set_many(&[], Duration::from_secs(1)).await.unwrap();
}

async fn entries_expire(cache: Arc<dyn Cache>) {
    cache
        .set("short", "x", Duration::from_millis(150))
        .await
        .unwrap();
    cache
        .set("long", "y", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(cache.get("short").await.unwrap().as_deref(), Some("x"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(cache.get("short").await.unwrap(), None);
    assert_eq!(cache.get("long").await.unwrap().as_deref(), Some("y"));
}

async fn window_counts_are_atomic(cache: Arc<dyn Cache>) {
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let cache = cache.clone();
        tasks.push(tokio::spawn(async move {
            cache
                .hit_window("ratelimit:10.0.0.1", Duration::from_secs(60))
                .await
                .unwrap()
        }));
    }
    let mut counts = Vec::new();
    for task in tasks {
        let hit = task.await.unwrap();
        assert!(hit.resets_in <= Duration::from_secs(60));
        assert!(hit.resets_in > Duration::from_secs(50));
        counts.push(hit.count);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=50).collect::<Vec<u64>>());
    let other = cache
        .hit_window("ratelimit:10.0.0.2", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(other.count, 1);
}

async fn window_restarts_after_it_ends(cache: Arc<dyn Cache>) {
    let window = Duration::from_millis(200);
    assert_eq!(cache.hit_window("w", window).await.unwrap().count, 1);
    assert_eq!(cache.hit_window("w", window).await.unwrap().count, 2);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(cache.hit_window("w", window).await.unwrap().count, 1);
}

async fn prefixes_isolate(cache: Arc<dyn Cache>, other: Arc<dyn Cache>) {
    cache
        .set("k", "mine", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(other.get("k").await.unwrap(), None);
}

travel_tests::suite! {
    adapters: [memory, #[cfg(feature = "infra")] redis, #[cfg(feature = "infra")] redis_tls],
    fixture: { |make| make().await; |cache| {} },
    cases: {
        set_get_delete(cache),
        get_many_keeps_key_order(cache),
        entries_expire(cache),
        window_counts_are_atomic[4](cache),
        window_restarts_after_it_ends(cache),
        prefixes_isolate(cache, make().await),
    },
}

#[tokio::test]
async fn unreachable_redis_fails_fast_with_unavailable() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    let mut config = CacheConfig::new(url::Url::parse("redis://127.0.0.1:1").unwrap());
    config.command_timeout = Duration::from_millis(200);
    let cache = travel_cache::connect(&config)
        .await
        .expect("connecting does not wait");
    let started = Instant::now();
    let result = cache.get("rate:USD").await;
    assert!(
        matches!(result, Err(CacheError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(cache.ping().await.is_err());
}
