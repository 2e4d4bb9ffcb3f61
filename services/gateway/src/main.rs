//! The gateway as its own process (a Deployment behind the Ingress in the cluster).

use anyhow::Context;
use tokio::net::TcpListener;
use travel_runtime::config::or_exit;
use travel_runtime::settings::{CommonSettings, connect_cache};
use travel_runtime::{Env, Shutdown, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let config = or_exit(travel_gateway::GatewayConfig::from_env(
        &env,
        "0.0.0.0:8080",
    ));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "gateway",
    )));
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "0.0.0.0:9464")) {
        travel_runtime::metrics::serve(addr)?;
    }
    let cache = connect_cache(&common.cache).await?;
    let gateway = travel_gateway::Gateway::build(&config, cache, common.environment)
        .context("TRAVEL_CURRENCY_URL")?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding TRAVEL_GATEWAY_ADDR={}", config.addr))?;
    tracing::info!(addr = %config.addr, "gateway listening");
    gateway.serve(listener, shutdown).await?;
    Ok(())
}
