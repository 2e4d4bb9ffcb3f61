//! Settings of the ranking service.

use std::path::Path;
use std::time::Duration;

use chrono_tz::Tz;
use travel_runtime::config::SecretString;
use travel_runtime::{ConfigError, Env, ServingSettings};
use travel_selections::SelectionStoreConfig;

#[derive(Debug, Clone)]
pub struct RankingConfig {
    pub store: SelectionStoreConfig,
    /// Day boundaries of selections, periods and stats.
    pub time_zone: Tz,
    /// How often the leader recalculates every period; `None` turns the loop off.
    pub calculate_every: Option<Duration>,
    /// Lifetime of `ranking:{period}` and stats entries in the cache.
    pub cache_ttl: Duration,
    /// Selections per client IP and window; 0 turns the limit off.
    pub selection_limit: u64,
    pub selection_window: Duration,
    /// Salt of the IP and User-Agent hashes.
    pub hash_salt: SecretString,
    /// Bearer key of the operator's recalculation; `None` leaves it open.
    pub operator_api_key: Option<SecretString>,
    /// Name of this replica in calculation metadata.
    pub instance: String,
    pub serving: ServingSettings,
}

impl RankingConfig {
    /// `data_dir` holds the embedded store (`selections.db`) unless
    /// `TRAVEL_SELECTIONS_URL` says otherwise.
    pub fn from_env(env: &Env, data_dir: &Path) -> Result<Self, ConfigError> {
        let default_url = format!("sqlite://{}/selections.db", data_dir.display());
        let url = env.url(
            "TRAVEL_SELECTIONS_URL",
            &default_url,
            &["sqlite", "dynamodb"],
        )?;
        let mut store = SelectionStoreConfig::new(url);
        store.selections_table = env.string("TRAVEL_SELECTIONS_TABLE", &store.selections_table);
        store.results_table = env.string("TRAVEL_RANKING_RESULTS_TABLE", &store.results_table);
        store.endpoint = env.optional_string("TRAVEL_DYNAMODB_ENDPOINT");
        store.region = env.optional_string("TRAVEL_DYNAMODB_REGION");
        store.create_tables = env.bool("TRAVEL_DYNAMODB_CREATE_TABLES", store.create_tables)?;
        store.retention = env.duration_at_least(
            "TRAVEL_SELECTION_RETENTION",
            store.retention,
            Duration::from_secs(24 * 3600),
        )?;

        let zone = env.string("TRAVEL_RANKING_TIME_ZONE", "Asia/Seoul");
        let time_zone: Tz = zone.parse().map_err(|_| ConfigError {
            variable: "TRAVEL_RANKING_TIME_ZONE".into(),
            value: zone.clone(),
            reason: "expected an IANA time zone such as Asia/Seoul".into(),
        })?;
        let calculate_every =
            env.interval_or_off("TRAVEL_RANKING_EVERY", Duration::from_secs(300))?;
        let selection_window = env.duration_at_least(
            "TRAVEL_SELECTION_LIMIT_WINDOW",
            Duration::from_secs(60),
            Duration::from_secs(1),
        )?;
        let hash_salt = match env.secret("TRAVEL_HASH_SALT")? {
            Some(salt) => salt,
            None => {
                // Hashes stay unlinkable to raw addresses, but differ between restarts
                // and replicas: fine for a laptop, not for a fleet.
                tracing::warn!("TRAVEL_HASH_SALT is not set: using a random salt for this process");
                SecretString::from(uuid::Uuid::new_v4().to_string())
            }
        };
        Ok(Self {
            store,
            time_zone,
            calculate_every,
            cache_ttl: env.duration("TRAVEL_RANKING_CACHE_TTL", Duration::from_secs(60))?,
            selection_limit: env.parse("TRAVEL_SELECTION_LIMIT", 30)?,
            selection_window,
            hash_salt,
            operator_api_key: env.secret("TRAVEL_OPERATOR_API_KEY")?,
            instance: travel_runtime::pod_name(env).unwrap_or_else(|| "local".to_string()),
            serving: ServingSettings::from_env(env)?,
        })
    }
}
