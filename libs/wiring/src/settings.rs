//! The backend settings of the data services (data folder, database, cache, rate
//! cache lifetime) and opening them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use travel_cache::{Cache, CacheConfig};
use travel_storage::{RateStore, StoreConfig};
use url::Url;

use travel_cache::latest_quotes::DEFAULT_TTL as RATE_CACHE_TTL;
use travel_config::{ConfigError, Env};

/// What the data services read from and write to.
#[derive(Clone)]
pub struct Backends {
    pub store: Arc<dyn RateStore>,
    pub cache: Arc<dyn Cache>,
    pub catalog: Arc<travel_domain::Catalog>,
}

/// The backend settings of a data service.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    /// Where the embedded setup keeps its files.
    pub data_dir: PathBuf,
    pub database: StoreConfig,
    /// Run the embedded migrations at start-up (the chart runs them in a hook Job
    /// instead and turns this off).
    pub auto_migrate: bool,
    pub cache: CacheConfig,
}

/// Lifetime of `rate:{code}` entries: written by the processor, read through and
/// refilled by the currency service, so both take it from here.
pub fn rate_cache_ttl(env: &Env) -> Result<Duration, ConfigError> {
    env.duration("TRAVEL_RATE_CACHE_TTL", RATE_CACHE_TTL)
}

/// The topic of rate events: the ingestor publishes to it, the processor consumes it
/// (dead letters go to `<topic>.dlq`).
pub fn rates_topic(env: &Env) -> String {
    env.string("TRAVEL_RATES_TOPIC", travel_events::RATES_TOPIC)
}

/// The embedded database inside a data folder.
pub fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}/travel.db", data_dir.display())
}

impl CommonSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(env.string("TRAVEL_DATA_DIR", "./var"));
        Ok(Self {
            database: StoreConfig::from_env(env, &sqlite_url(&data_dir))?,
            data_dir,
            auto_migrate: env.bool("TRAVEL_DATABASE_AUTO_MIGRATE", true)?,
            cache: CacheConfig::from_env(env)?,
        })
    }
}

/// Opens the database (migrating it when configured to), keeps its catalog table in
/// step with the built-in catalog, and opens the cache: what every data service does
/// on start-up.
pub async fn open_backends(settings: &CommonSettings) -> anyhow::Result<Backends> {
    let store = connect_store(&settings.database).await?;
    if settings.auto_migrate {
        store
            .migrate()
            .await
            .context("running database migrations")?;
    }
    let catalog = Arc::new(travel_domain::Catalog::new());
    if let Err(error) = store.sync_catalog(catalog.currencies()).await {
        tracing::warn!(%error, "catalog table not synchronised; serving the built-in catalog");
    }
    let cache = connect_cache(&settings.cache).await?;
    Ok(Backends {
        store,
        cache,
        catalog,
    })
}

/// Opens the rate store, creating the embedded database's folder when needed.
pub async fn connect_store(config: &StoreConfig) -> anyhow::Result<Arc<dyn RateStore>> {
    if config.url.scheme() == "sqlite"
        && let Some(parent) =
            sqlite_path(config.url.expose()).and_then(|p| p.parent().map(PathBuf::from))
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating the data folder {}", parent.display()))?;
    }
    travel_storage::connect(config)
        .await
        .with_context(|| format!("opening TRAVEL_DATABASE_URL ({})", config.url))
}

/// The latest quotes' change feed, on the cache's server and prefix: in-process for
/// `memory://`, Redis pub/sub across processes otherwise.
pub async fn connect_feed(config: &CacheConfig) -> anyhow::Result<Arc<dyn travel_feed::QuoteFeed>> {
    travel_feed::connect(config).await.with_context(|| {
        format!(
            "opening the change feed on TRAVEL_CACHE_URL ({})",
            config.url
        )
    })
}

pub async fn connect_cache(config: &CacheConfig) -> anyhow::Result<Arc<dyn Cache>> {
    travel_cache::connect(config)
        .await
        .with_context(|| format!("opening TRAVEL_CACHE_URL ({})", config.url))
}

fn sqlite_path(url: &Url) -> Option<PathBuf> {
    let raw = url.as_str().strip_prefix("sqlite://")?;
    let path = raw.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_setup() {
        let settings =
            CommonSettings::from_env(&Env::from_pairs([("TRAVEL_DATA_DIR", "/tmp/x")])).unwrap();
        assert_eq!(
            settings.database.url.expose().as_str(),
            "sqlite:///tmp/x/travel.db"
        );
        assert_eq!(settings.cache.url.scheme(), "memory");
        assert!(settings.auto_migrate);
    }

    #[test]
    fn the_rate_cache_lifetime_has_one_default() {
        assert_eq!(rate_cache_ttl(&Env::default()).unwrap(), RATE_CACHE_TTL);
        let bad = Env::from_pairs([("TRAVEL_RATE_CACHE_TTL", "a while")]);
        assert_eq!(
            rate_cache_ttl(&bad).unwrap_err().variable,
            "TRAVEL_RATE_CACHE_TTL"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("TRAVEL_DATABASE_URL", "postgres://db/x"),
            ("TRAVEL_CACHE_URL", "memcached://x"),
            ("TRAVEL_DATABASE_MAX_CONNECTIONS", "0"),
            ("TRAVEL_DATABASE_MAX_CONNECTIONS", "many"),
            ("TRAVEL_CACHE_TIMEOUT", "0ms"),
            ("TRAVEL_DATABASE_AUTO_MIGRATE", "sometimes"),
        ] {
            let err = CommonSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(err.variable, name, "{err}");
        }
    }

    #[test]
    fn passwords_are_masked_in_the_settings() {
        let env = Env::from_pairs([
            (
                "TRAVEL_DATABASE_URL",
                "mysql://app:s3cret-db@db:3306/travel",
            ),
            ("TRAVEL_CACHE_URL", "redis://:s3cret-cache@cache:6379"),
        ]);
        let settings = CommonSettings::from_env(&env).unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(settings.database.url.expose().password(), Some("s3cret-db"));
        assert_eq!(settings.cache.url.expose().password(), Some("s3cret-cache"));
    }
}
