//! The history service as its own process (a Deployment in the cluster).

use travel_runtime::config::or_exit;
use travel_runtime::{Env, Shutdown, telemetry};
use travel_wiring::{CommonSettings, open_backends};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    travel_runtime::cli::command_line(
        "history",
        "The history service (gRPC): rate series, statistics and indicators, comparison, forecast",
    );
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let addr = or_exit(travel_history::LISTEN.read(&env));
    let config = or_exit(travel_history::HistoryConfig::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "history",
    )));
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "0.0.0.0:9464")) {
        travel_runtime::metrics::serve(addr)?;
    }

    let backends = open_backends(&common).await?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = travel_history::LISTEN.bind(addr).await?;
    tracing::info!(%addr, database = backends.store.backend(), cache = backends.cache.backend(), "history service listening");
    travel_history::serve(listener, backends, &config, shutdown).await?;
    Ok(())
}
