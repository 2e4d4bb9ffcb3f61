//! The ranking service: travellers' destination selections and the daily, weekly and
//! monthly popularity rankings computed from per-day counters, over gRPC.
//!
//! Selections are written with their counters in one atomic step (see
//! `travel-selections`); rankings are calculated from at most 31 days of counters by
//! the leader replica every few minutes and on demand, stored as the period's ranking
//! and cached. Rank changes compare with the previous calculation (see `ranking`).

mod api;
mod config;
mod periods;
mod ranking;
mod rankings;
mod stats;

use std::sync::Arc;

use travel_cache::Cache;
use travel_domain::Catalog;
use travel_leadership::Leadership;
use travel_proto::ranking::v1::ranking_service_server::RankingServiceServer;
use travel_runtime::grpc::{GrpcServer, Identity, Listener};
use travel_runtime::{Listen, Shutdown};
use travel_selections::SelectionStore;

pub use api::RankingApi;
pub use config::RankingConfig;
pub use periods::{bounds, local_day};
pub use ranking::{Calculation, calculate};
pub use rankings::{Rankings, Served, run_calculator};

/// What the ranking service works with.
#[derive(Clone)]
pub struct RankingBackends {
    pub store: Arc<dyn SelectionStore>,
    pub cache: Arc<dyn Cache>,
    pub catalog: Arc<Catalog>,
    pub leadership: Arc<dyn Leadership>,
}

/// Opens the selection store the configuration names (creating the embedded one's
/// tables, and DynamoDB tables when told to).
pub async fn open_store(config: &RankingConfig) -> anyhow::Result<Arc<dyn SelectionStore>> {
    let store = travel_selections::connect(&config.store).await?;
    store.ensure_schema().await?;
    Ok(store)
}

/// Where the ranking service listens.
pub const LISTEN: Listen = Listen {
    variable: "TRAVEL_RANKING_ADDR",
    default: "0.0.0.0:50053",
};

/// Serves the ranking API on `listener` and runs the periodic calculation (on the
/// leader) until `shutdown` fires.
pub async fn serve(
    listener: impl Into<Listener>,
    backends: RankingBackends,
    config: &RankingConfig,
    shutdown: Shutdown,
) -> Result<(), tonic::transport::Error> {
    let mut server = GrpcServer::new(Identity {
        name: "ranking",
        version: env!("CARGO_PKG_VERSION"),
        environment: config.serving.environment.clone(),
    });
    let rankings = Arc::new(Rankings::new(
        backends.store.clone(),
        backends.cache.clone(),
        config.time_zone,
        config.cache_ttl,
        config.instance.clone(),
    ));
    server.add_service(RankingServiceServer::new(RankingApi::new(
        backends.store.clone(),
        backends.cache.clone(),
        rankings.clone(),
        backends.catalog.clone(),
        config.clone(),
    )));
    let calculator = config.calculate_every.map(|every| {
        tokio::spawn(run_calculator(
            rankings,
            backends.leadership.clone(),
            every,
            shutdown.clone(),
        ))
    });
    let store = backends.store.clone();
    let database: travel_wiring::monitor::DatabasePing = Arc::new(move || {
        let store = store.clone();
        Box::pin(async move { store.ping().await.is_ok() })
    });
    travel_wiring::monitor::start_monitor_with(
        server.health(),
        database,
        backends.cache,
        config.serving.dependency_check_interval,
        shutdown.clone(),
    )
    .await;
    let served = server.serve(listener, shutdown, config.serving.drain).await;
    if let Some(calculator) = calculator {
        // Let a calculation in progress finish and store its result.
        let _ = calculator.await;
    }
    served
}
