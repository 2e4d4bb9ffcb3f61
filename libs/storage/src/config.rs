//! Connection settings of the rate store, read from `TRAVEL_DATABASE_*`.

use std::time::Duration;
use travel_breaker::BreakerPolicy;

use travel_config::{ConfigError, Env, SecretUrl};

/// Pool settings. On Aurora, `replicas × max_connections` of every service must stay
/// below the instance's `max_connections`, so the defaults are small.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// May hold the database password: shown masked.
    pub url: SecretUrl,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
    /// When the (remote) database is skipped after failures, and for how long.
    pub breaker: BreakerPolicy,
}

impl StoreConfig {
    pub fn new(url: impl Into<SecretUrl>) -> Self {
        Self {
            url: url.into(),
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(1800),
            breaker: BreakerPolicy::DEFAULT,
        }
    }

    /// `TRAVEL_DATABASE_URL` (or `_FILE`) and the pool settings; `default_url` is the
    /// embedded database of the process's data folder.
    pub fn from_env(env: &Env, default_url: &str) -> Result<Self, ConfigError> {
        let url = env.secret_url("TRAVEL_DATABASE_URL", default_url, &["mysql", "sqlite"])?;
        let mut config = Self::new(url);
        config.max_connections =
            env.parse("TRAVEL_DATABASE_MAX_CONNECTIONS", config.max_connections)?;
        config.min_connections =
            env.parse("TRAVEL_DATABASE_MIN_CONNECTIONS", config.min_connections)?;
        config.acquire_timeout =
            env.duration("TRAVEL_DATABASE_ACQUIRE_TIMEOUT", config.acquire_timeout)?;
        config.idle_timeout = env.duration("TRAVEL_DATABASE_IDLE_TIMEOUT", config.idle_timeout)?;
        config.max_lifetime = env.duration("TRAVEL_DATABASE_MAX_LIFETIME", config.max_lifetime)?;
        config.breaker = BreakerPolicy::from_env(
            env,
            "TRAVEL_DATABASE_BREAKER_THRESHOLD",
            "TRAVEL_DATABASE_BREAKER_COOL_DOWN",
        )?;
        if config.max_connections == 0 || config.min_connections > config.max_connections {
            return Err(ConfigError {
                variable: "TRAVEL_DATABASE_MAX_CONNECTIONS".to_string(),
                value: config.max_connections.to_string(),
                reason: format!(
                    "must be at least 1 and at least TRAVEL_DATABASE_MIN_CONNECTIONS ({})",
                    config.min_connections
                ),
            });
        }
        Ok(config)
    }
}
