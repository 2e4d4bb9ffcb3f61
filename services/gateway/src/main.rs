//! The gateway as its own process (a Deployment behind the Ingress in the cluster).

use anyhow::Context;
use travel_runtime::config::or_exit;
use travel_runtime::{Env, Shutdown, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    travel_runtime::cli::command_line(
        "gateway",
        "The public edge: REST/JSON v1, gRPC-Web, the OpenAPI document and /docs, over the internal gRPC services",
    );
    let env = Env::from_process();
    let cache_config = or_exit(travel_cache::CacheConfig::from_env(&env));
    let config = or_exit(travel_gateway::GatewayConfig::from_env(
        &env,
        travel_gateway::LISTEN.default,
    ));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "gateway",
    )));
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "0.0.0.0:9464")) {
        travel_runtime::metrics::serve(addr)?;
    }
    let cache = travel_cache::connect(&cache_config)
        .await
        .with_context(|| format!("opening TRAVEL_CACHE_URL ({})", cache_config.url))?;
    // In its own process, the gateway reaches every service over the network.
    let local = travel_gateway::LocalServices::default();
    let gateway =
        travel_gateway::Gateway::build(&config, cache, local).context("TRAVEL_CURRENCY_URL")?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = travel_gateway::LISTEN.bind(config.addr).await?;
    tracing::info!(addr = %config.addr, "gateway listening");
    gateway.serve(listener, shutdown).await?;
    Ok(())
}
