//! Redis adapter on fred.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::*;
use fred::types::config::UnresponsiveConfig;
use fred::types::{Expiration, ExpireOptions};

use crate::{Cache, CacheConfig, CacheError, Result, WindowCount};

pub struct RedisCache {
    client: Client,
    prefix: String,
}

fn unavailable(error: fred::error::Error) -> CacheError {
    CacheError::Unavailable(error.to_string())
}

impl RedisCache {
    /// Starts the connection task and returns at once; fred reconnects in the
    /// background, and each command gives up after the configured timeout.
    pub async fn connect(config: &CacheConfig) -> Result<Self> {
        let redis_config = Config::from_url(config.url.expose().as_str())
            .map_err(|e| CacheError::Config(e.to_string()))?;
        let timeout = config.command_timeout;
        let client = Builder::from_config(redis_config)
            .with_connection_config(|c| {
                c.connection_timeout = timeout.max(Duration::from_millis(500));
                c.internal_command_timeout = timeout.max(Duration::from_millis(500));
                c.max_command_attempts = 1;
                c.max_command_buffer_len = 10_000;
                // A connection that stops answering (a black-holed network) is closed and
                // reconnected instead of timing out every command on it for ever.
                let unresponsive = (timeout * 4).max(Duration::from_secs(1));
                c.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(unresponsive),
                    interval: (unresponsive / 4).max(Duration::from_millis(50)),
                };
            })
            .with_performance_config(|p| {
                p.default_command_timeout = timeout;
            })
            // Reconnect attempts back off, but never wait longer than half the
            // breaker's cool-down: the probe after an outage finds a connection, so
            // cache hits resume within about one cool-down of Redis returning.
            .set_policy(ReconnectPolicy::new_exponential(
                0,
                100,
                reconnect_ceiling_ms(config.breaker.cool_down),
                2,
            ))
            .build()
            .map_err(|e| CacheError::Config(e.to_string()))?;
        client.connect();
        Ok(Self {
            client,
            prefix: config.prefix.clone(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

#[async_trait]
impl Cache for RedisCache {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        let _: String = self.client.ping(None).await.map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.client.get(self.key(key)).await.map_err(unavailable)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        self.client.mget(keys).await.map_err(unavailable)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        let _: () = self
            .client
            .set(
                self.key(key),
                value,
                Some(Expiration::PX(millis(ttl))),
                None,
                false,
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn set_many(&self, entries: &[(String, String)], ttl: Duration) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let pipeline = self.client.pipeline();
        for (key, value) in entries {
            let _: () = pipeline
                .set(
                    self.key(key),
                    value.as_str(),
                    Some(Expiration::PX(millis(ttl))),
                    None,
                    false,
                )
                .await
                .map_err(unavailable)?;
        }
        let _: Vec<Value> = pipeline.all().await.map_err(unavailable)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let removed: u64 = self.client.del(self.key(key)).await.map_err(unavailable)?;
        Ok(removed > 0)
    }

    async fn hit_window(&self, key: &str, window: Duration) -> Result<WindowCount> {
        // One round trip: count, start the window if this hit opened it, read its age.
        let key = self.key(key);
        let pipeline = self.client.pipeline();
        let _: () = pipeline.incr(&key).await.map_err(unavailable)?;
        let _: () = pipeline
            .pexpire(&key, millis(window), Some(ExpireOptions::NX))
            .await
            .map_err(unavailable)?;
        let _: () = pipeline.pttl(&key).await.map_err(unavailable)?;
        let (count, _, ttl): (i64, i64, i64) = pipeline.all().await.map_err(unavailable)?;
        let resets_in = if ttl > 0 {
            Duration::from_millis(ttl as u64)
        } else {
            window
        };
        Ok(WindowCount {
            count: count.max(0) as u64,
            resets_in,
        })
    }
}

/// The longest wait between reconnect attempts: half the breaker's cool-down, between
/// 100 ms and 5 s.
fn reconnect_ceiling_ms(cool_down: Duration) -> u32 {
    (cool_down.as_millis() / 2).clamp(100, 5_000) as u32
}
