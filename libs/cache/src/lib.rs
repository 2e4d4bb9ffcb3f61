//! The cache port and its adapters: Redis through fred (ElastiCache in production) and
//! an in-process moka cache for the all-in-one. The URL scheme picks one ([`connect`]).
//!
//! Every key is namespaced by a configurable prefix, so environments (and tests) can
//! share one Redis without seeing each other's entries.

mod guarded;
pub mod latest_quotes;
pub mod memory;
pub mod redis;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use travel_breaker::Breaker;
pub use travel_breaker::BreakerPolicy;
use travel_config::{ConfigError, Env, SecretUrl};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    #[error("cache configuration: {0}")]
    Config(String),
    /// Not tried: the breaker is open after repeated failures (tried again after its
    /// cool-down). Its opening was logged once; callers need not log each skip.
    #[error("cache skipped: it failed repeatedly; tried again after the breaker's cool-down")]
    Skipped,
}

/// Logs a failed cache command that the caller works around (a miss, an uncounted
/// request): a warning, except while the breaker skips the cache, whose opening was
/// logged once already.
pub fn log_failure(error: &CacheError, what: &'static str) {
    if matches!(error, CacheError::Skipped) {
        tracing::debug!(%error, "{what}");
    } else {
        tracing::warn!(%error, "{what}");
    }
}

pub type Result<T, E = CacheError> = std::result::Result<T, E>;

/// A fixed-window counter after one increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Hits in the current window, this one included.
    pub count: u64,
    /// Time until the window resets.
    pub resets_in: Duration,
}

impl WindowCount {
    /// When the window resets, in unix seconds (the `X-RateLimit-Reset` value).
    pub fn resets_at_unix(&self) -> u64 {
        std::time::SystemTime::now()
            .checked_add(self.resets_in)
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or_default()
    }
}

/// A string key-value cache with per-entry time-to-live.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// "redis" or "memory".
    fn backend(&self) -> &'static str;

    async fn ping(&self) -> Result<()>;

    async fn get(&self, key: &str) -> Result<Option<String>>;

    /// Values of several keys in one round trip, in key order.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>>;

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()>;

    /// Sets several entries with the same time-to-live in one round trip.
    async fn set_many(&self, entries: &[(String, String)], ttl: Duration) -> Result<()>;

    /// Removes a key; true when it existed.
    async fn delete(&self, key: &str) -> Result<bool>;

    /// Counts one hit in the fixed window named by `key`; the window starts with the
    /// first hit and lasts `window`. Atomic across clients of the same cache.
    async fn hit_window(&self, key: &str, window: Duration) -> Result<WindowCount>;
}

/// Cache settings.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// May hold the Redis password: shown masked.
    pub url: SecretUrl,
    /// Prepended to every key, e.g. "travel:" or a per-test namespace.
    pub prefix: String,
    /// Upper bound for one command: a slow or dead Redis must not stall reads that
    /// can be answered from the database instead.
    pub command_timeout: Duration,
    /// Entries the in-memory cache keeps at most.
    pub memory_capacity: u64,
    /// When Redis is skipped after failures, and for how long.
    pub breaker: BreakerPolicy,
}

impl CacheConfig {
    pub fn new(url: impl Into<SecretUrl>) -> Self {
        Self {
            url: url.into(),
            prefix: "travel:".to_string(),
            command_timeout: Duration::from_millis(250),
            memory_capacity: 100_000,
            breaker: BreakerPolicy::DEFAULT,
        }
    }

    /// `TRAVEL_CACHE_URL` (or `_FILE`), `TRAVEL_CACHE_PREFIX`, `TRAVEL_CACHE_TIMEOUT`,
    /// `TRAVEL_CACHE_BREAKER_THRESHOLD`, `TRAVEL_CACHE_BREAKER_COOL_DOWN`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.secret_url(
            "TRAVEL_CACHE_URL",
            "memory://",
            &["redis", "rediss", "memory"],
        )?;
        let mut config = Self::new(url);
        config.prefix = env.string("TRAVEL_CACHE_PREFIX", &config.prefix);
        config.command_timeout = env.duration_at_least(
            "TRAVEL_CACHE_TIMEOUT",
            config.command_timeout,
            Duration::from_millis(1),
        )?;
        config.breaker = BreakerPolicy::from_env(
            env,
            "TRAVEL_CACHE_BREAKER_THRESHOLD",
            "TRAVEL_CACHE_BREAKER_COOL_DOWN",
        )?;
        Ok(config)
    }
}

/// Opens the cache the URL names: `redis://…`, `rediss://…` (TLS) or `memory://`.
/// A Redis that is down does not fail this call: commands fail until it is back.
pub async fn connect(config: &CacheConfig) -> Result<Arc<dyn Cache>> {
    match config.url.scheme() {
        "redis" | "rediss" => {
            if config.url.scheme() == "rediss" {
                install_crypto_provider();
            }
            let redis: Arc<dyn Cache> = Arc::new(redis::RedisCache::connect(config).await?);
            let breaker = Breaker::new(travel_breaker::CACHE, config.breaker);
            Ok(Arc::new(guarded::Guarded::new(redis, breaker)))
        }
        "memory" => Ok(Arc::new(memory::MemoryCache::new(config))),
        other => Err(CacheError::Config(format!(
            "unsupported cache URL scheme {other:?}: expected redis://, rediss:// or memory://"
        ))),
    }
}

/// rustls needs one process-wide crypto provider and cannot pick it by itself when a
/// binary links two; every client here is built on ring, and installing it explicitly
/// keeps TLS working should a dependency bring aws-lc-rs again. A no-op when one is
/// installed already.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
