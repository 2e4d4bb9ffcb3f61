//! `ingestor run-once` (the CronJob), `ingestor run --every 5m` (a loop), and
//! `ingestor backfill` (the shipped ECB history through the bus).

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use travel_runtime::config::or_exit;
use travel_runtime::{Env, Shutdown, telemetry};
use travel_wiring::{CommonSettings, connect_cache};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(about = "Pulls the exchange-rate sources and publishes rate events")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One run; exits non-zero when nothing could be published.
    RunOnce,
    /// Runs now and then every interval until stopped.
    Run {
        #[arg(long, value_parser = humantime::parse_duration, default_value = "5m")]
        every: Duration,
    },
    /// Publishes history through the rates topic: the shipped ECB history (1999
    /// onwards) by default, or a BOK ECOS range with --ecos-from/--ecos-to.
    Backfill {
        /// First day of an ECOS range (YYYY-MM-DD).
        #[arg(long, requires = "ecos_to")]
        ecos_from: Option<chrono::NaiveDate>,
        /// Last day of an ECOS range (YYYY-MM-DD).
        #[arg(long, requires = "ecos_from")]
        ecos_to: Option<chrono::NaiveDate>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let bus = or_exit(travel_bus::BusConfig::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "ingestor",
    )));
    let config = or_exit(travel_ingestor::IngestorConfig::from_env(&env));

    let bus = travel_bus::connect(&bus)?;
    bus.ensure_topics(&[&config.topic, &travel_bus::dead_letter_topic(&config.topic)])
        .await?;
    let publisher = bus.publisher()?;
    match cli.command {
        Command::Backfill { ecos_from, ecos_to } => {
            let published = match (ecos_from, ecos_to) {
                (Some(from), Some(to)) => {
                    travel_ingestor::backfill::ecos_range(&config, publisher.as_ref(), from, to)
                        .await?
                }
                _ => {
                    travel_ingestor::backfill::ecb_history(publisher.as_ref(), &config.topic)
                        .await?
                }
            };
            tracing::info!(published, "backfill done");
            Ok(())
        }
        Command::RunOnce | Command::Run { .. } => {
            let cache = connect_cache(&common.cache).await?;
            let ingestor = travel_ingestor::Ingestor::new(
                config,
                publisher,
                cache,
                Arc::new(travel_ingestor::SystemClock),
            );
            if let Command::Run { every } = cli.command {
                let shutdown = Shutdown::new();
                shutdown.trigger_on_signals();
                travel_ingestor::run_every(&ingestor, every, &shutdown).await;
                return Ok(());
            }
            if let Err(error) = ingestor.run_once().await {
                tracing::error!(%error, "ingestion failed");
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
