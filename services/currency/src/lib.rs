//! The currency service: latest quotes (any base, cross rates through KRW), the
//! catalog, conversion and Big Mac price indices over gRPC.
//!
//! Reads go to the cache first and to the database on a miss (filling the cache);
//! every answer says which one served it. `WatchRates` streams the changes the
//! processor announces on the feed.

mod api;
mod config;
mod quotes;
mod watch;

use std::sync::Arc;

use tokio::net::TcpListener;
use travel_feed::QuoteFeed;
use travel_proto::currency::v1::currency_service_server::CurrencyServiceServer;
use travel_runtime::grpc::{GrpcServer, Identity};
use travel_runtime::{Listen, Shutdown};
use travel_wiring::Backends;

pub use api::CurrencyApi;
pub use config::CurrencyConfig;
pub use quotes::{QuoteReader, ReadFrom};

/// Where the currency service listens.
pub const LISTEN: Listen = Listen {
    variable: "TRAVEL_CURRENCY_ADDR",
    default: "0.0.0.0:50051",
};

/// Serves the currency API on `listener` until `shutdown` fires.
pub async fn serve(
    listener: TcpListener,
    deps: Backends,
    feed: Arc<dyn QuoteFeed>,
    config: &CurrencyConfig,
    shutdown: Shutdown,
) -> Result<(), tonic::transport::Error> {
    let mut server = GrpcServer::new(Identity {
        name: "currency",
        version: env!("CARGO_PKG_VERSION"),
        environment: config.serving.environment.clone(),
    });
    let reader = QuoteReader::new(
        deps.store.clone(),
        deps.cache.clone(),
        config.rate_ttl,
        config.missing_ttl,
    );
    let api = CurrencyApi::new(
        reader,
        deps.store.clone(),
        deps.catalog.clone(),
        feed,
        shutdown.clone(),
    );
    server.add_service(CurrencyServiceServer::new(api));
    travel_wiring::monitor::start_monitor(
        server.health(),
        deps.store,
        deps.cache,
        config.serving.dependency_check_interval,
        shutdown.clone(),
    )
    .await;
    server.serve(listener, shutdown, config.serving.drain).await
}
