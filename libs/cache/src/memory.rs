//! In-process cache on moka, for the all-in-one.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::future::Cache as MokaCache;
use moka::ops::compute::Op;

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
    prefix: String,
}

impl MemoryCache {
    pub fn new(config: &CacheConfig) -> Self {
        let entries = MokaCache::builder()
            .max_capacity(config.memory_capacity)
            .expire_after(PerEntryExpiry)
            .build();
        Self {
            entries,
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
        // and_compute_with serialises concurrent updates of one key.
        let result = self
            .entries
            .entry(self.key(key))
            .and_compute_with(|current| {
                let next = match current.map(|e| e.into_value()) {
                    Some(entry) if entry.expires_at > now => {
                        let count = entry.value.parse::<u64>().unwrap_or(0) + 1;
                        Entry {
                            value: count.to_string(),
                            expires_at: entry.expires_at,
                        }
                    }
                    _ => Entry {
                        value: "1".to_string(),
                        expires_at: now + window,
                    },
                };
                std::future::ready(Op::Put(next))
            })
            .await;
        let entry = result
            .into_entry()
            .map(|e| e.into_value())
            .unwrap_or(Entry {
                value: "1".to_string(),
                expires_at: now + window,
            });
        Ok(WindowCount {
            count: entry.value.parse().unwrap_or(1),
            resets_in: entry.expires_at.saturating_duration_since(now),
        })
    }
}
