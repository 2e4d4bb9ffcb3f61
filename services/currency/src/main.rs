//! The currency service as its own process (a Deployment in the cluster).

use travel_runtime::config::or_exit;
use travel_runtime::{Env, Shutdown, telemetry};
use travel_wiring::{CommonSettings, open_backends};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    travel_runtime::cli::command_line(
        "currency",
        "The currency service (gRPC): latest quotes, currency details, conversion, the Big Mac price index",
    );
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let addr = or_exit(travel_currency::LISTEN.read(&env));
    let config = or_exit(travel_currency::CurrencyConfig::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "currency",
    )));
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "0.0.0.0:9464")) {
        travel_runtime::metrics::serve(addr)?;
    }

    let backends = open_backends(&common).await?;
    let feed = travel_wiring::connect_feed(&common.cache).await?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = travel_currency::LISTEN.bind(addr).await?;
    tracing::info!(%addr, database = backends.store.backend(), cache = backends.cache.backend(), "currency service listening");
    travel_currency::serve(listener, backends, feed, &config, shutdown).await?;
    Ok(())
}
