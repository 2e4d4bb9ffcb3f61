//! The processor as its own process (a Deployment, one Kafka consumer group). Besides
//! consuming, it answers `grpc.health.v1` on `TRAVEL_PROCESSOR_HEALTH_ADDR` (the
//! cluster's probes, with its database and cache states) and serves metrics.

use travel_runtime::config::or_exit;
use travel_runtime::grpc::{GrpcServer, Identity};
use travel_runtime::{Env, Listen, ServingSettings, Shutdown, telemetry};
use travel_wiring::{CommonSettings, open_backends};

/// The processor's `grpc.health.v1` endpoint (the cluster's probes).
const HEALTH: Listen = Listen {
    variable: "TRAVEL_PROCESSOR_HEALTH_ADDR",
    default: "0.0.0.0:50054",
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    travel_runtime::cli::command_line(
        "processor",
        "Consumes rate events from the bus and stores them: history, daily aggregates, latest quotes, cache",
    );
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let config = or_exit(travel_processor::ProcessorConfig::from_env(&env));
    let bus_config = or_exit(travel_bus::BusConfig::from_env(&env));
    let health_addr = or_exit(HEALTH.read(&env));
    let serving = or_exit(ServingSettings::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env,
        "processor",
    )));
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "0.0.0.0:9464")) {
        travel_runtime::metrics::serve(addr)?;
    }

    let backends = open_backends(&common).await?;
    let bus = travel_bus::connect(&bus_config)?;
    if bus.backend() == "memory" {
        tracing::warn!(
            "TRAVEL_BUS_URL is memory://: only events published in this process are seen"
        );
    }
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();

    let health = GrpcServer::new(Identity {
        name: "processor",
        version: env!("CARGO_PKG_VERSION"),
        environment: serving.environment.clone(),
    });
    travel_wiring::monitor::start_monitor(
        health.health(),
        backends.store.clone(),
        backends.cache.clone(),
        serving.dependency_check_interval,
        shutdown.clone(),
    )
    .await;
    let listener = HEALTH.bind(health_addr).await?;
    let health_shutdown = shutdown.clone();
    let health_server =
        tokio::spawn(async move { health.serve(listener, health_shutdown, serving.drain).await });

    let feed = travel_wiring::connect_feed(&common.cache).await?;
    let processor =
        travel_processor::Processor::new(bus, backends.store.clone(), backends.cache, config)
            .with_feed(feed);
    let processed = processor.run(shutdown.clone()).await;
    // A consumer that failed takes the health endpoint down with it.
    shutdown.trigger();
    health_server.await??;
    backends.store.close().await;
    processed?;
    Ok(())
}
