//! Settings of the currency service.

use std::time::Duration;

use travel_cache::latest_quotes;
use travel_runtime::{ConfigError, Env, ServingSettings};

#[derive(Debug, Clone)]
pub struct CurrencyConfig {
    /// How long a `rate:{code}` entry lives. The processor refreshes it on every new
    /// quote, so this only bounds staleness when the pipeline stops.
    pub rate_ttl: Duration,
    /// How long "no quote stored yet" is remembered for a currency.
    pub missing_ttl: Duration,
    pub serving: ServingSettings,
}

impl Default for CurrencyConfig {
    fn default() -> Self {
        Self {
            rate_ttl: latest_quotes::DEFAULT_TTL,
            missing_ttl: Duration::from_secs(60),
            serving: ServingSettings::default(),
        }
    }
}

impl CurrencyConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        Ok(Self {
            rate_ttl: travel_wiring::rate_cache_ttl(env)?,
            missing_ttl: env.duration("TRAVEL_MISSING_RATE_CACHE_TTL", defaults.missing_ttl)?,
            serving: ServingSettings::from_env(env)?,
        })
    }
}
