//! In-process cache on moka, for the all-in-one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::future::Cache as MokaCache;

use crate::{Cache, CacheConfig, Result, WindowCount};

#[derive(Clone)]
struct Entry {
    value: String,
    expires_at: Instant,
}

/// Lets every entry carry its own time-to-live.
struct PerEntryExpiry;

impl Expiry<String, Entry> for PerEntryExpiry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, now: Instant) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(now))
    }
}

pub struct MemoryCache {
    entries: MokaCache<String, Entry>,
    /// Fixed-window counters: (count, window end). A plain mutex: the critical section
    /// is a hash lookup, far cheaper than an async compute on a contended key (every
    /// request of one client IP hits the same counter).
    windows: Mutex<HashMap<String, (u64, Instant)>>,
    prefix: String,
}

/// Counters kept before expired windows are swept.
const WINDOW_SWEEP_AT: usize = 10_000;

impl MemoryCache {
    pub fn new(config: &CacheConfig) -> Self {
        let entries = MokaCache::builder()
            .max_capacity(config.memory_capacity)
            .expire_after(PerEntryExpiry)
            .build();
        Self {
            entries,
            windows: Mutex::new(HashMap::new()),
            prefix: config.prefix.clone(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    async fn live(&self, key: &str) -> Option<String> {
        // moka expires lazily; an entry past its deadline must already read as absent.
        self.entries
            .get(&self.key(key))
            .await
            .filter(|entry| entry.expires_at > Instant::now())
            .map(|entry| entry.value)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.live(key).await)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.live(key).await);
        }
        Ok(values)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        let entry = Entry {
            value: value.to_string(),
            expires_at: Instant::now() + ttl,
        };
        self.entries.insert(self.key(key), entry).await;
        Ok(())
    }

    async fn set_many(&self, entries: &[(String, String)], ttl: Duration) -> Result<()> {
        for (key, value) in entries {
            self.set(key, value, ttl).await?;
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.entries.remove(&self.key(key)).await.is_some())
    }

    async fn hit_window(&self, key: &str, window: Duration) -> Result<WindowCount> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= WINDOW_SWEEP_AT {
            windows.retain(|_, (_, ends)| *ends > now);
        }
        // Look up before allocating the prefixed key: nearly every hit finds its window.
        let full_key = self.key(key);
        let slot = match windows.get_mut(&full_key) {
            Some(slot) => slot,
            None => windows.entry(full_key).or_insert((0, now + window)),
        };
        if slot.1 <= now {
            *slot = (0, now + window);
        }
        slot.0 += 1;
        Ok(WindowCount {
            count: slot.0,
            resets_in: slot.1.saturating_duration_since(now),
        })
    }
}
