//! The Redis cache behind its breaker (`travel_breaker`): while Redis refuses or
//! black-holes connections, commands fail at once instead of each waiting out the
//! command time-out. Every caller already treats a failed command as a miss (reads go
//! to the store, the rate limiter lets the request through), so an outage costs one
//! time-out per cool-down, not one per request.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use travel_breaker::Breaker;

use crate::{Cache, CacheError, Result, WindowCount};

pub struct Guarded {
    inner: Arc<dyn Cache>,
    breaker: Breaker,
}

impl Guarded {
    pub fn new(inner: Arc<dyn Cache>, breaker: Breaker) -> Self {
        Self { inner, breaker }
    }

    async fn guard<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        self.breaker
            .run(call, |e| matches!(e, CacheError::Unavailable(_)))
            .await
            .unwrap_or(Err(CacheError::Skipped))
    }
}

#[async_trait]
impl Cache for Guarded {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn ping(&self) -> Result<()> {
        self.guard(self.inner.ping()).await
    }

    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.guard(self.inner.get(key)).await
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>> {
        self.guard(self.inner.get_many(keys)).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.guard(self.inner.set(key, value, ttl)).await
    }

    async fn set_many(&self, entries: &[(String, String)], ttl: Duration) -> Result<()> {
        self.guard(self.inner.set_many(entries, ttl)).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.guard(self.inner.delete(key)).await
    }

    async fn hit_window(&self, key: &str, window: Duration) -> Result<WindowCount> {
        self.guard(self.inner.hit_window(key, window)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use travel_breaker::BreakerPolicy;

    use super::*;

    /// A cache that is down: every command fails, and is counted.
    #[derive(Default)]
    struct Down {
        calls: AtomicU32,
    }

    impl Down {
        fn fail<T>(&self) -> Result<T> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(CacheError::Unavailable("connection refused".into()))
        }
    }

    #[async_trait]
    impl Cache for Down {
        fn backend(&self) -> &'static str {
            "redis"
        }
        async fn ping(&self) -> Result<()> {
            self.fail()
        }
        async fn get(&self, _: &str) -> Result<Option<String>> {
            self.fail()
        }
        async fn get_many(&self, _: &[String]) -> Result<Vec<Option<String>>> {
            self.fail()
        }
        async fn set(&self, _: &str, _: &str, _: Duration) -> Result<()> {
            self.fail()
        }
        async fn set_many(&self, _: &[(String, String)], _: Duration) -> Result<()> {
            self.fail()
        }
        async fn delete(&self, _: &str) -> Result<bool> {
            self.fail()
        }
        async fn hit_window(&self, _: &str, _: Duration) -> Result<WindowCount> {
            self.fail()
        }
    }

    #[tokio::test]
    async fn a_down_cache_is_skipped_after_the_threshold_then_probed_once() {
        let down = Arc::new(Down::default());
        let policy = BreakerPolicy {
            threshold: 3,
            cool_down: Duration::from_millis(50),
        };
        let cache = Guarded::new(down.clone(), Breaker::new("cache", policy));
        for _ in 0..3 {
            assert!(cache.get("k").await.is_err());
        }
        // Open: a hundred reads, the rate limiter's counts too, never reach Redis.
        for _ in 0..100 {
            assert!(cache.get("k").await.is_err());
            assert!(cache.hit_window("w", Duration::from_secs(1)).await.is_err());
        }
        assert_eq!(down.calls.load(Ordering::SeqCst), 3);
        assert!(matches!(cache.get("k").await, Err(CacheError::Skipped)));

        // After the cool-down one command probes; it fails, so the breaker opens again.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(cache.ping().await.is_err());
        assert!(cache.get("k").await.is_err());
        assert_eq!(down.calls.load(Ordering::SeqCst), 4);
    }
}
