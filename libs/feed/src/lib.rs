//! The change feed of the latest quotes: when the processor moves a currency's latest
//! quote forward it announces it, and watchers (rate streams, alert evaluation) see
//! it. State, not a log: a watcher gets the current quotes when it starts watching,
//! then every change; one that falls behind gets only the newest quote of each
//! currency it missed — its backlog is bounded by the number of currencies, never by
//! the number of changes.
//!
//! Two adapters share the in-process fan-out ([`hub::Hub`]): [`memory`] for the
//! all-in-one, [`redis`] (pub/sub plus a hash of the current quotes) for the cluster,
//! where the announcing processor and the watching services are different processes.

pub mod hub;
pub mod memory;
pub mod redis;

use std::sync::Arc;

use travel_cache::CacheConfig;
use travel_domain::Quote;

pub use hub::Watch;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("change feed unavailable: {0}")]
    Unavailable(String),
    #[error("change feed configuration: {0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, FeedError>;

#[async_trait::async_trait]
pub trait QuoteFeed: Send + Sync {
    /// `quotes` are now the latest of their currencies (as stored). A quote older
    /// than the one a currency already has is ignored: announcements may race.
    async fn announce(&self, quotes: &[Quote]) -> Result<()>;

    /// The current quotes first, then each change.
    fn watch(&self) -> Watch;
}

/// The feed for a cache URL: `memory://` in one process, `redis://` / `rediss://`
/// across processes (the same Redis and key prefix as the cache).
pub async fn connect(config: &CacheConfig) -> Result<Arc<dyn QuoteFeed>> {
    match config.url.scheme() {
        "memory" => Ok(Arc::new(memory::MemoryFeed::new())),
        "redis" | "rediss" => Ok(Arc::new(redis::RedisFeed::connect(config).await?)),
        other => Err(FeedError::Config(format!(
            "unsupported feed URL scheme {other:?}: expected redis://, rediss:// or memory://"
        ))),
    }
}
