//! Settings of the currency service.

use std::time::Duration;

use travel_runtime::{ConfigError, Env};

use travel_domain::quote::RATE_CACHE_TTL;

#[derive(Debug, Clone)]
pub struct CurrencyConfig {
    /// How long a `rate:{code}` entry lives. The processor refreshes it on every new
    /// quote, so this only bounds staleness when the pipeline stops.
    pub rate_ttl: Duration,
    /// How long "no quote stored yet" is remembered for a currency.
    pub missing_ttl: Duration,
    pub dependency_check_interval: Duration,
    /// Time between reporting NOT_SERVING and closing the listener on shutdown.
    pub drain: Duration,
}

impl Default for CurrencyConfig {
    fn default() -> Self {
        Self {
            rate_ttl: RATE_CACHE_TTL,
            missing_ttl: Duration::from_secs(60),
            dependency_check_interval: Duration::from_secs(5),
            drain: Duration::ZERO,
        }
    }
}

impl CurrencyConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        Ok(Self {
            rate_ttl: env.duration("TRAVEL_RATE_CACHE_TTL", defaults.rate_ttl)?,
            missing_ttl: env.duration("TRAVEL_MISSING_RATE_CACHE_TTL", defaults.missing_ttl)?,
            dependency_check_interval: env.duration(
                "TRAVEL_DEPENDENCY_CHECK_INTERVAL",
                defaults.dependency_check_interval,
            )?,
            drain: env.duration("TRAVEL_SHUTDOWN_DRAIN", defaults.drain)?,
        })
    }
}
