//! The currency service as its own process (a Deployment in the cluster).

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use travel_domain::Catalog;
use travel_runtime::config::or_exit;
use travel_runtime::settings::{CommonSettings, connect_cache, connect_store};
use travel_runtime::{Env, Shutdown, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let addr = or_exit(env.addr("TRAVEL_CURRENCY_ADDR", "0.0.0.0:50051"));
    let config = or_exit(travel_currency::CurrencyConfig::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "currency",
    )));

    let store = connect_store(&common.database).await?;
    if common.auto_migrate {
        store
            .migrate()
            .await
            .context("running database migrations")?;
    }
    let catalog = Arc::new(Catalog::new());
    if let Err(error) = store.sync_catalog(catalog.currencies()).await {
        tracing::warn!(%error, "catalog table not synchronised, will serve from the built-in catalog");
    }
    let cache = connect_cache(&common.cache).await?;

    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding TRAVEL_CURRENCY_ADDR={addr}"))?;
    tracing::info!(%addr, database = store.backend(), cache = cache.backend(), "currency service listening");
    travel_currency::serve(
        listener,
        travel_runtime::Backends {
            store,
            cache,
            catalog,
        },
        &config,
        common.environment,
        shutdown,
    )
    .await?;
    Ok(())
}
