//! Settings of the history service.

use std::time::Duration;

use travel_runtime::{ConfigError, Env, ServingSettings};

#[derive(Debug, Clone)]
pub struct HistoryConfig {
    /// Lifetime of cached answers for a one-week window.
    pub ttl_1w: Duration,
    /// … for a one-month window.
    pub ttl_1m: Duration,
    /// … for longer windows and explicit dates.
    pub ttl_long: Duration,
    pub serving: ServingSettings,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        Self {
            ttl_1w: Duration::from_secs(300),
            ttl_1m: Duration::from_secs(900),
            ttl_long: Duration::from_secs(3600),
            serving: ServingSettings::default(),
        }
    }
}

impl HistoryConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            ttl_1w: env.duration("TRAVEL_CHART_CACHE_TTL_1W", d.ttl_1w)?,
            ttl_1m: env.duration("TRAVEL_CHART_CACHE_TTL_1M", d.ttl_1m)?,
            ttl_long: env.duration("TRAVEL_CHART_CACHE_TTL_LONG", d.ttl_long)?,
            serving: ServingSettings::from_env(env)?,
        })
    }
}
