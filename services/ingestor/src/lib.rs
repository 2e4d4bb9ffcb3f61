//! The ingestor: pulls the external rate sources (Korea Eximbank, BOK ECOS, ECB,
//! open.er-api) in a configured order, reconciles them per currency, and publishes one
//! `travel.ingest.v1.RateObservation` per currency to `exchange-rates` (key = currency
//! code, W3C trace context in the headers). In the cluster it is a CronJob running
//! `ingestor run-once` every five minutes; locally a loop; `ingestor backfill` sends
//! the shipped ECB history through the same topic.

pub mod backfill;
pub mod config;
pub mod fetch;
pub mod run;

pub use config::IngestorConfig;
pub use run::{Clock, IngestError, Ingestor, RunReport, SourceOutcome, SystemClock, TokioClock};

/// Runs now, then every `every`, until `shutdown`; failures are logged and the loop
/// goes on (the next run may find the sources back).
pub async fn run_every(
    ingestor: &Ingestor,
    every: std::time::Duration,
    shutdown: &travel_runtime::Shutdown,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = ticker.tick() => {}
        }
        if let Err(error) = ingestor.run_once().await {
            tracing::warn!(%error, "ingestion run failed");
        }
    }
}
