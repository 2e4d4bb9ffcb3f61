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
    pub alerts: AlertSettings,
    pub serving: ServingSettings,
}

/// The trip alerts: their lifetime, the limits on creating them, and their webhooks.
#[derive(Debug, Clone)]
pub struct AlertSettings {
    /// Lifetime of an alert created without `expires_at`.
    pub default_lifetime: Duration,
    /// The latest `expires_at` may be.
    pub max_lifetime: Duration,
    /// Alerts one client IP may create per window (0: unlimited).
    pub create_limit: u64,
    pub create_window: Duration,
    /// Live alerts one token may hold.
    pub per_token: u64,
    pub webhook: WebhookSettings,
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `http://` webhooks (tests, a receiver inside the cluster); otherwise https only.
    pub allow_http: bool,
    /// Webhooks to loopback, private, link-local, unique-local and metadata addresses.
    pub allow_private: bool,
    /// Attempts before a delivery is given up.
    pub attempts: u32,
    /// Delay before the first retry; doubled for each next one, at most an hour.
    pub backoff: Duration,
    /// Bound of connecting and of the whole exchange.
    pub timeout: Duration,
}

impl Default for CurrencyConfig {
    fn default() -> Self {
        Self {
            rate_ttl: latest_quotes::DEFAULT_TTL,
            missing_ttl: Duration::from_secs(60),
            alerts: AlertSettings::default(),
            serving: ServingSettings::default(),
        }
    }
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            default_lifetime: Duration::from_secs(30 * 86_400),
            max_lifetime: Duration::from_secs(90 * 86_400),
            create_limit: 20,
            create_window: Duration::from_secs(3600),
            per_token: 20,
            webhook: WebhookSettings {
                allow_http: false,
                allow_private: false,
                attempts: 8,
                backoff: Duration::from_secs(5),
                timeout: Duration::from_secs(10),
            },
        }
    }
}

impl CurrencyConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        Ok(Self {
            rate_ttl: travel_wiring::rate_cache_ttl(env)?,
            missing_ttl: env.duration("TRAVEL_MISSING_RATE_CACHE_TTL", defaults.missing_ttl)?,
            alerts: AlertSettings::from_env(env, defaults.alerts)?,
            serving: ServingSettings::from_env(env)?,
        })
    }
}

impl AlertSettings {
    fn from_env(env: &Env, defaults: Self) -> Result<Self, ConfigError> {
        let hook = defaults.webhook;
        Ok(Self {
            default_lifetime: env.duration_at_least(
                "TRAVEL_ALERT_DEFAULT_LIFETIME",
                defaults.default_lifetime,
                Duration::from_secs(60),
            )?,
            max_lifetime: env.duration_at_least(
                "TRAVEL_ALERT_MAX_LIFETIME",
                defaults.max_lifetime,
                Duration::from_secs(60),
            )?,
            create_limit: env.parse("TRAVEL_ALERT_CREATE_LIMIT", defaults.create_limit)?,
            create_window: env.duration_at_least(
                "TRAVEL_ALERT_CREATE_WINDOW",
                defaults.create_window,
                Duration::from_secs(1),
            )?,
            per_token: env.parse("TRAVEL_ALERTS_PER_TOKEN", defaults.per_token)?,
            webhook: WebhookSettings {
                allow_http: env.bool("TRAVEL_ALERT_WEBHOOK_ALLOW_HTTP", hook.allow_http)?,
                allow_private: env
                    .bool("TRAVEL_ALERT_WEBHOOK_ALLOW_PRIVATE", hook.allow_private)?,
                attempts: env
                    .parse("TRAVEL_ALERT_WEBHOOK_ATTEMPTS", hook.attempts)?
                    .max(1),
                backoff: env.duration_at_least(
                    "TRAVEL_ALERT_WEBHOOK_BACKOFF",
                    hook.backoff,
                    Duration::from_millis(10),
                )?,
                timeout: env.duration_at_least(
                    "TRAVEL_ALERT_WEBHOOK_TIMEOUT",
                    hook.timeout,
                    Duration::from_millis(100),
                )?,
            },
        })
    }
}
