//! The history service: rate series with any base, statistics, technical indicators,
//! multi-currency comparison and a forecast with prediction intervals, over gRPC.
//!
//! The analytics are the pure functions of `travel-analytics`; this crate loads the
//! series (daily aggregates, or intraday observations for hourly charts), crosses
//! them through KRW, and caches answers per window, base and target.

mod api;
mod config;
mod fill;
mod series;
mod window;

use travel_proto::history::v1::history_service_server::HistoryServiceServer;
use travel_runtime::grpc::{GrpcServer, Identity, Listener};
use travel_runtime::{Listen, Shutdown};
use travel_wiring::Backends;

pub use api::HistoryApi;
pub use config::HistoryConfig;
pub use series::SeriesLoader;

/// Where the history service listens.
pub const LISTEN: Listen = Listen {
    variable: "TRAVEL_HISTORY_ADDR",
    default: "0.0.0.0:50052",
};

/// Serves the history API on `listener` until `shutdown` fires.
pub async fn serve(
    listener: impl Into<Listener>,
    backends: Backends,
    config: &HistoryConfig,
    shutdown: Shutdown,
) -> Result<(), tonic::transport::Error> {
    let mut server = GrpcServer::new(Identity {
        name: "history",
        version: env!("CARGO_PKG_VERSION"),
        environment: config.serving.environment.clone(),
    });
    let api = HistoryApi::new(
        SeriesLoader::new(backends.store.clone()),
        backends.cache.clone(),
        backends.catalog.clone(),
        config.clone(),
    );
    server.add_service(HistoryServiceServer::new(api));
    travel_wiring::monitor::start_monitor(
        server.health(),
        backends.store,
        backends.cache,
        config.serving.dependency_check_interval,
        shutdown.clone(),
    )
    .await;
    server.serve(listener, shutdown, config.serving.drain).await
}
