//! Settings every component shares: environment name, data folder, database and cache.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use travel_cache::{Cache, CacheConfig};
use travel_storage::{RateStore, StoreConfig};
use url::Url;

use crate::config::{ConfigError, Env};

/// What the data services read from and write to.
#[derive(Clone)]
pub struct Backends {
    pub store: Arc<dyn RateStore>,
    pub cache: Arc<dyn Cache>,
    pub catalog: Arc<travel_domain::Catalog>,
}

#[derive(Debug, Clone)]
pub struct CommonSettings {
    /// Free-form deployment name reported by /version, e.g. "local", "production".
    pub environment: String,
    /// Where the embedded setup keeps its files.
    pub data_dir: PathBuf,
    pub database: StoreConfig,
    /// Run the embedded migrations at start-up (the chart runs them in a hook Job
    /// instead and turns this off).
    pub auto_migrate: bool,
    pub cache: CacheConfig,
}

/// The embedded database inside a data folder.
pub fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}/travel.db", data_dir.display())
}

impl CommonSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(env.string("TRAVEL_DATA_DIR", "./var"));
        let database_url = env.url(
            "TRAVEL_DATABASE_URL",
            &sqlite_url(&data_dir),
            &["mysql", "sqlite"],
        )?;
        let mut database = StoreConfig::new(database_url);
        database.max_connections =
            env.parse("TRAVEL_DATABASE_MAX_CONNECTIONS", database.max_connections)?;
        database.min_connections =
            env.parse("TRAVEL_DATABASE_MIN_CONNECTIONS", database.min_connections)?;
        database.acquire_timeout =
            env.duration("TRAVEL_DATABASE_ACQUIRE_TIMEOUT", database.acquire_timeout)?;
        database.idle_timeout =
            env.duration("TRAVEL_DATABASE_IDLE_TIMEOUT", database.idle_timeout)?;
        database.max_lifetime =
            env.duration("TRAVEL_DATABASE_MAX_LIFETIME", database.max_lifetime)?;
        if database.max_connections == 0 || database.min_connections > database.max_connections {
            return Err(ConfigError {
                variable: "TRAVEL_DATABASE_MAX_CONNECTIONS".to_string(),
                value: database.max_connections.to_string(),
                reason: format!(
                    "must be at least 1 and at least TRAVEL_DATABASE_MIN_CONNECTIONS ({})",
                    database.min_connections
                ),
            });
        }

        let cache_url = env.url(
            "TRAVEL_CACHE_URL",
            "memory://",
            &["redis", "rediss", "memory"],
        )?;
        let mut cache = CacheConfig::new(cache_url);
        cache.prefix = env.string("TRAVEL_CACHE_PREFIX", &cache.prefix);
        cache.command_timeout = env.duration("TRAVEL_CACHE_TIMEOUT", cache.command_timeout)?;
        if cache.command_timeout < Duration::from_millis(1) {
            return Err(ConfigError {
                variable: "TRAVEL_CACHE_TIMEOUT".to_string(),
                value: env.string("TRAVEL_CACHE_TIMEOUT", ""),
                reason: "must be at least 1ms".to_string(),
            });
        }
        Ok(Self {
            environment: env.string("TRAVEL_ENVIRONMENT", "local"),
            data_dir,
            database,
            auto_migrate: env.bool("TRAVEL_DATABASE_AUTO_MIGRATE", true)?,
            cache,
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

/// Binds a listener, naming the variable that configured the address on failure.
pub async fn bind(
    variable: &str,
    addr: std::net::SocketAddr,
) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {variable}={addr}"))
}

/// The bus settings: `TRAVEL_BUS_URL` (`kafka://…` or `memory://`), partitions of the
/// topics a service creates, and the consumer-group session time-out.
pub fn bus_config(env: &Env) -> Result<travel_bus::BusConfig, ConfigError> {
    let url = env.url("TRAVEL_BUS_URL", "memory://", &["kafka", "memory"])?;
    let mut config = travel_bus::BusConfig::new(url);
    config.partitions = env.parse("TRAVEL_BUS_PARTITIONS", config.partitions)?;
    config.session_timeout = env.duration("TRAVEL_BUS_SESSION_TIMEOUT", config.session_timeout)?;
    if config.partitions < 1 {
        return Err(ConfigError {
            variable: "TRAVEL_BUS_PARTITIONS".into(),
            value: config.partitions.to_string(),
            reason: "must be at least 1".into(),
        });
    }
    Ok(config)
}

/// Opens the rate store, creating the embedded database's folder when needed.
pub async fn connect_store(config: &StoreConfig) -> anyhow::Result<Arc<dyn RateStore>> {
    if config.url.scheme() == "sqlite"
        && let Some(parent) = sqlite_path(&config.url).and_then(|p| p.parent().map(PathBuf::from))
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("creating the data folder {}", parent.display()))?;
    }
    travel_storage::connect(config)
        .await
        .with_context(|| format!("opening TRAVEL_DATABASE_URL ({})", redact(&config.url)))
}

pub async fn connect_cache(config: &CacheConfig) -> anyhow::Result<Arc<dyn Cache>> {
    travel_cache::connect(config)
        .await
        .with_context(|| format!("opening TRAVEL_CACHE_URL ({})", redact(&config.url)))
}

fn sqlite_path(url: &Url) -> Option<PathBuf> {
    let raw = url.as_str().strip_prefix("sqlite://")?;
    let path = raw.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// A URL without its password, for logs and errors.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_setup() {
        let settings =
            CommonSettings::from_env(&Env::from_pairs([("TRAVEL_DATA_DIR", "/tmp/x")])).unwrap();
        assert_eq!(settings.database.url.as_str(), "sqlite:///tmp/x/travel.db");
        assert_eq!(settings.cache.url.scheme(), "memory");
        assert!(settings.auto_migrate);
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
    fn passwords_are_redacted() {
        let url = Url::parse("mysql://app:s3cret@db:3306/travel").unwrap();
        assert!(!redact(&url).contains("s3cret"));
    }
}
