//! Connection settings of the rate store.

use std::time::Duration;

use url::Url;

/// Pool settings. On Aurora, `replicas × max_connections` of every service must stay
/// below the instance's `max_connections`, so the defaults are small.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub url: Url,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
}

impl StoreConfig {
    pub fn new(url: Url) -> Self {
        Self {
            url,
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(1800),
        }
    }
}
