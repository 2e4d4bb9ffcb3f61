//! Settings of the ingestor: which sources, in which order, where, with which keys,
//! and how patiently.

use std::time::Duration;

use rust_decimal::Decimal;
use travel_domain::Source;
use travel_runtime::config::SecretString;
use travel_runtime::{ConfigError, Env};
use travel_sources::breaker::BreakerPolicy;

/// Per-source variables; `<NAME>` stands for the source's configuration name.
const SOURCE_URL: &str = "TRAVEL_SOURCE_<NAME>_URL";
const SOURCE_KEY: &str = "TRAVEL_SOURCE_<NAME>_KEY";

fn per_source(template: &str, name: Source) -> String {
    template.replace("<NAME>", name.config_name())
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: Source,
    pub url: url::Url,
    /// Empty for a source without a key; shown masked.
    pub key: SecretString,
}

#[derive(Debug, Clone)]
pub struct IngestorConfig {
    /// Enabled sources in priority order (a source needing a key and having none is
    /// left out, with a warning).
    pub sources: Vec<SourceConfig>,
    pub timeout: Duration,
    /// Attempts after the first for a failure that may pass.
    pub retries: u32,
    pub breaker: BreakerPolicy,
    /// A mid further than this from the stored quote needs a second source.
    pub max_jump_percent: Decimal,
    pub topic: String,
    /// Days a Korean source is walked back to find the last published day.
    pub walk_back_days: u32,
}

impl IngestorConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let order = env.string("TRAVEL_SOURCES", "KOREAEXIM,ECOS,ECB,ERAPI");
        let mut sources = Vec::new();
        for raw in order.split(',').filter(|s| !s.trim().is_empty()) {
            let name = Source::from_config_name(raw).ok_or_else(|| ConfigError {
                variable: "TRAVEL_SOURCES".into(),
                value: order.clone(),
                reason: format!("unknown source {raw:?}; expected KOREAEXIM, ECOS, ECB, ERAPI"),
            })?;
            let url = env.url(
                &per_source(SOURCE_URL, name),
                name.default_url(),
                &["http", "https"],
            )?;
            let key_variable = per_source(SOURCE_KEY, name);
            let key = env.secret(&key_variable)?;
            if name.needs_key() && key.is_none() {
                tracing::warn!(
                    source = name.config_name(),
                    "no {key_variable}: source disabled"
                );
                continue;
            }
            sources.push(SourceConfig {
                name,
                url,
                key: key.unwrap_or_else(|| SecretString::from(String::new())),
            });
        }
        let threshold = env.parse("TRAVEL_BREAKER_THRESHOLD", 3u32)?;
        Ok(Self {
            sources,
            timeout: env.duration("TRAVEL_SOURCE_TIMEOUT", Duration::from_secs(10))?,
            retries: env.parse("TRAVEL_SOURCE_RETRIES", 2u32)?,
            breaker: BreakerPolicy {
                threshold: threshold.max(1),
                cool_down: env
                    .duration("TRAVEL_BREAKER_COOL_DOWN", Duration::from_secs(15 * 60))?,
            },
            max_jump_percent: env.parse("TRAVEL_MAX_JUMP_PERCENT", Decimal::from(5))?,
            topic: travel_wiring::rates_topic(env),
            walk_back_days: env.parse("TRAVEL_SOURCE_WALK_BACK_DAYS", 7u32)?,
        })
    }
}
