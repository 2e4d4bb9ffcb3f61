//! The processor as its own process (a Deployment, one Kafka consumer group).

use travel_runtime::config::or_exit;
use travel_runtime::settings::{CommonSettings, open_backends};
use travel_runtime::{Env, Shutdown, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let config = or_exit(travel_processor::ProcessorConfig::from_env(&env));
    let bus_config = or_exit(travel_runtime::settings::bus_config(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env,
        "processor",
    )));

    let backends = open_backends(&common).await?;
    let bus = travel_bus::connect(&bus_config)?;
    if bus.backend() == "memory" {
        tracing::warn!(
            "TRAVEL_BUS_URL is memory://: only events published in this process are seen"
        );
    }
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let processor =
        travel_processor::Processor::new(bus, backends.store.clone(), backends.cache, config);
    processor.run(shutdown).await?;
    backends.store.close().await;
    Ok(())
}
