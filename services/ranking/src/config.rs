//! Settings of the ranking service.

use std::path::Path;
use std::time::Duration;

use chrono_tz::Tz;
use travel_runtime::{ConfigError, Env};
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
    pub hash_salt: String,
    /// Bearer key of the operator's recalculation; `None` leaves it open.
    pub operator_api_key: Option<String>,
    /// Name of this replica in calculation metadata.
    pub instance: String,
    pub dependency_check_interval: Duration,
    pub drain: Duration,
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
        store.retention = env.duration("TRAVEL_SELECTION_RETENTION", store.retention)?;
        if store.retention < Duration::from_secs(24 * 3600) {
            return Err(ConfigError {
                variable: "TRAVEL_SELECTION_RETENTION".into(),
                value: env.string("TRAVEL_SELECTION_RETENTION", ""),
                reason: "must be at least 1 day".into(),
            });
        }

        let zone = env.string("TRAVEL_RANKING_TIME_ZONE", "Asia/Seoul");
        let time_zone: Tz = zone.parse().map_err(|_| ConfigError {
            variable: "TRAVEL_RANKING_TIME_ZONE".into(),
            value: zone.clone(),
            reason: "expected an IANA time zone such as Asia/Seoul".into(),
        })?;
        let calculate_every = match env.string("TRAVEL_RANKING_EVERY", "5m").as_str() {
            "off" | "0" | "0s" => None,
            _ => Some(env.duration("TRAVEL_RANKING_EVERY", Duration::from_secs(300))?),
        };
        let selection_window =
            env.duration("TRAVEL_SELECTION_LIMIT_WINDOW", Duration::from_secs(60))?;
        if selection_window < Duration::from_secs(1) {
            return Err(ConfigError {
                variable: "TRAVEL_SELECTION_LIMIT_WINDOW".into(),
                value: env.string("TRAVEL_SELECTION_LIMIT_WINDOW", ""),
                reason: "must be at least 1s".into(),
            });
        }
        let hash_salt = match env.secret("TRAVEL_HASH_SALT")? {
            Some(salt) => salt,
            None => {
                // Hashes stay unlinkable to raw addresses, but differ between restarts
                // and replicas: fine for a laptop, not for a fleet.
                tracing::warn!("TRAVEL_HASH_SALT is not set: using a random salt for this process");
                uuid::Uuid::new_v4().to_string()
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
            instance: env
                .optional_string("TRAVEL_POD_NAME")
                .or_else(|| env.optional_string("HOSTNAME"))
                .unwrap_or_else(|| "local".to_string()),
            dependency_check_interval: env
                .duration("TRAVEL_DEPENDENCY_CHECK_INTERVAL", Duration::from_secs(5))?,
            drain: env.duration("TRAVEL_SHUTDOWN_DRAIN", Duration::ZERO)?,
        })
    }
}
