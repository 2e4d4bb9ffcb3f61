//! The feed across processes: the announcing processor writes each currency's
//! current quote into a hash (`{prefix}feed:latest`, for watchers that start later)
//! and publishes the change on a channel (`{prefix}feed:changes`); every process
//! holds one subscription and fans the changes out to its own watchers through the
//! hub. After a reconnect the hash is read again, so changes published while a
//! subscriber was cut off are not lost — only collapsed to the newest, as the feed's
//! semantics allow.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::*;
use tokio::task::JoinHandle;
use travel_cache::CacheConfig;
use travel_domain::Quote;

use crate::hub::{Hub, Watch};
use crate::{FeedError, QuoteFeed, Result};

pub struct RedisFeed {
    hub: Arc<Hub>,
    client: Client,
    subscriber: SubscriberClient,
    key: String,
    channel: String,
    task: JoinHandle<()>,
}

fn unavailable(error: impl std::fmt::Display) -> FeedError {
    FeedError::Unavailable(error.to_string())
}

fn decode(json: &str) -> Option<Quote> {
    match serde_json::from_str(json) {
        Ok(quote) => Some(quote),
        Err(error) => {
            tracing::warn!(%error, "feed: an undecodable quote was ignored");
            None
        }
    }
}

impl RedisFeed {
    /// Starts the connections and the subscription and returns at once: Redis may be
    /// down at start; the feed catches up (from the hash) once it answers.
    pub async fn connect(config: &CacheConfig) -> Result<Self> {
        if config.url.scheme() == "rediss" {
            travel_cache::install_crypto_provider();
        }
        let redis_config = Config::from_url(config.url.expose().as_str())
            .map_err(|e| FeedError::Config(e.to_string()))?;
        let timeout = config.command_timeout;
        let policy = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
        let client = Builder::from_config(redis_config.clone())
            .with_performance_config(|p| p.default_command_timeout = timeout)
            .set_policy(policy.clone())
            .build()
            .map_err(|e| FeedError::Config(e.to_string()))?;
        let subscriber = Builder::from_config(redis_config)
            .set_policy(policy)
            .build_subscriber_client()
            .map_err(|e| FeedError::Config(e.to_string()))?;
        client.connect();
        subscriber.connect();
        let hub = Arc::new(Hub::new());
        let key = format!("{}feed:latest", config.prefix);
        let channel = format!("{}feed:changes", config.prefix);
        let task = tokio::spawn(follow(
            hub.clone(),
            client.clone(),
            subscriber.clone(),
            key.clone(),
            channel.clone(),
        ));
        Ok(Self {
            hub,
            client,
            subscriber,
            key,
            channel,
            task,
        })
    }
}

/// Subscribes, reads the current quotes, then applies every change; again after each
/// reconnect.
async fn follow(
    hub: Arc<Hub>,
    client: Client,
    subscriber: SubscriberClient,
    key: String,
    channel: String,
) {
    let mut messages = subscriber.message_rx();
    let mut reconnects = subscriber.reconnect_rx();
    let _resubscribe = subscriber.manage_subscriptions();
    loop {
        // Subscribed before reading the hash: a change in between arrives twice at
        // worst, and the hub keeps the newest.
        match subscriber.subscribe(channel.as_str()).await {
            Ok(()) if resync(&hub, &client, &key).await => break,
            Ok(()) => {}
            Err(error) => tracing::warn!(%error, "feed: not subscribed; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Some(text) = message.value.as_string() else { continue };
                    match serde_json::from_str::<Vec<Quote>>(&text) {
                        Ok(quotes) => {
                            hub.apply(&quotes);
                        }
                        Err(error) => tracing::warn!(%error, "feed: an undecodable change was ignored"),
                    }
                }
                // Fell behind the client's buffer: the hash has the newest of everything.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    resync(&hub, &client, &key).await;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            reconnected = reconnects.recv() => match reconnected {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    resync(&hub, &client, &key).await;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// Applies the current quotes from the hash; false when Redis did not answer.
async fn resync(hub: &Hub, client: &Client, key: &str) -> bool {
    match client.hgetall::<HashMap<String, String>, _>(key).await {
        Ok(current) => {
            let quotes: Vec<Quote> = current.values().filter_map(|v| decode(v)).collect();
            hub.apply(&quotes);
            true
        }
        Err(error) => {
            tracing::warn!(%error, "feed: current quotes not read");
            false
        }
    }
}

#[async_trait::async_trait]
impl QuoteFeed for RedisFeed {
    async fn announce(&self, quotes: &[Quote]) -> Result<()> {
        if quotes.is_empty() {
            return Ok(());
        }
        let fields: Vec<(String, String)> = quotes
            .iter()
            .map(|q| {
                let json = serde_json::to_string(q).map_err(unavailable)?;
                Ok((q.currency.to_string(), json))
            })
            .collect::<Result<_>>()?;
        let change = serde_json::to_string(quotes).map_err(unavailable)?;
        // This process's watchers at once; the others through the channel.
        self.hub.apply(quotes);
        let () = self
            .client
            .hset(self.key.as_str(), fields)
            .await
            .map_err(unavailable)?;
        let _receivers: i64 = self
            .client
            .publish(self.channel.as_str(), change)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn watch(&self) -> Watch {
        self.hub.watch()
    }
}

impl Drop for RedisFeed {
    fn drop(&mut self) {
        self.task.abort();
        let (client, subscriber) = (self.client.clone(), self.subscriber.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = subscriber.quit().await;
                let _ = client.quit().await;
            });
        }
    }
}
