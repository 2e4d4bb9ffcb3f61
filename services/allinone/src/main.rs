//! `make run`: the whole mesh in one process, offline, with real data.

use travel_runtime::config::or_exit;
use travel_runtime::{Env, Shutdown, telemetry};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    travel_runtime::cli::command_line(
        "travel-allinone",
        "Every component of Trip Currency Mesh in one process, offline, with the shipped data (make run)",
    );
    let env = Env::from_process();
    let config = or_exit(travel_allinone::AllInOneConfig::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "allinone",
    )));
    tracing::info!(
        data_dir = %config.common.data_dir.display(),
        database = %config.common.database.url,
        cache = %config.common.cache.url,
        "starting the all-in-one"
    );

    // Off unless asked for: one exporter for every component of the process.
    if let Some(addr) = or_exit(travel_runtime::metrics::metrics_addr(&env, "off")) {
        travel_runtime::metrics::serve(addr)?;
    }
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let app = travel_allinone::start(config, shutdown).await?;
    for report in &app.seed_reports {
        report.log();
    }
    let base = format!("http://{}", app.gateway_addr);
    println!();
    println!(
        "Trip Currency Mesh is running (started in {:.2}s)",
        app.startup.as_secs_f64()
    );
    println!("  gateway (REST + gRPC-Web): {base}");
    println!("  currency service (gRPC):   http://{}", app.currency_addr);
    println!("  history service (gRPC):    http://{}", app.history_addr);
    println!("  ranking service (gRPC):    http://{}", app.ranking_addr);
    println!("Try:");
    println!("  curl '{base}/api/v1/currencies/latest?symbols=USD,JPY,EUR'");
    println!("Press Ctrl-C to stop.");
    app.wait().await
}
