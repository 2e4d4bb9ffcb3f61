//! The ranking service as its own process (a Deployment in the cluster).

use travel_runtime::config::or_exit;
use travel_runtime::{Env, Shutdown, telemetry};
use travel_wiring::{CommonSettings, connect_cache};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    travel_runtime::cli::command_line(
        "ranking",
        "The ranking service (gRPC): destination selections and daily, weekly and monthly popularity rankings",
    );
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let addr = or_exit(travel_ranking::LISTEN.read(&env));
    let config = or_exit(travel_ranking::RankingConfig::from_env(
        &env,
        &common.data_dir,
    ));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "ranking",
    )));
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "0.0.0.0:9464")) {
        travel_runtime::metrics::serve(addr)?;
    }

    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let backends = travel_ranking::RankingBackends {
        store: travel_ranking::open_store(&config).await?,
        cache: connect_cache(&common.cache).await?,
        catalog: std::sync::Arc::new(travel_domain::Catalog::new()),
        leadership: travel_leadership::from_env(&env, shutdown.clone()).await?,
    };
    let listener = travel_ranking::LISTEN.bind(addr).await?;
    tracing::info!(
        %addr,
        store = backends.store.backend(),
        cache = backends.cache.backend(),
        leadership = backends.leadership.backend(),
        "ranking service listening"
    );
    let leadership = backends.leadership.clone();
    travel_ranking::serve(listener, backends, &config, shutdown).await?;
    // Hand the lease over before exiting, bounded so a hung API server cannot hold
    // the pod past its grace period.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), leadership.stopped()).await;
    Ok(())
}
