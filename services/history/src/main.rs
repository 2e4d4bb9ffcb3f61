//! The history service as its own process (a Deployment in the cluster).

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use travel_domain::Catalog;
use travel_runtime::config::or_exit;
use travel_runtime::settings::{CommonSettings, connect_cache, connect_store};
use travel_runtime::{Backends, Env, Shutdown, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let addr = or_exit(env.addr("TRAVEL_HISTORY_ADDR", "0.0.0.0:50052"));
    let config = or_exit(travel_history::HistoryConfig::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "history",
    )));

    let store = connect_store(&common.database).await?;
    if common.auto_migrate {
        store
            .migrate()
            .await
            .context("running database migrations")?;
    }
    let cache = connect_cache(&common.cache).await?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding TRAVEL_HISTORY_ADDR={addr}"))?;
    tracing::info!(%addr, database = store.backend(), cache = cache.backend(), "history service listening");
    let backends = Backends {
        store,
        cache,
        catalog: Arc::new(Catalog::new()),
    };
    travel_history::serve(listener, backends, &config, common.environment, shutdown).await?;
    Ok(())
}
