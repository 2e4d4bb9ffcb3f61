//! The currency service: latest quotes (any base, cross rates through KRW), the
//! catalog, conversion and Big Mac price indices over gRPC.
//!
//! Reads go to the cache first and to the database on a miss (filling the cache);
//! every answer says which one served it. `WatchRates` streams the changes the
//! processor announces on the feed. The same process serves the trip alerts
//! (`travel.alerts.v1.AlertService`), evaluates them on those changes and delivers
//! their webhooks.

mod alerts;
mod api;
mod config;
mod quotes;
mod watch;

use std::sync::Arc;

use travel_feed::QuoteFeed;
use travel_proto::alerts::v1::alert_service_server::AlertServiceServer;
use travel_proto::currency::v1::currency_service_server::CurrencyServiceServer;
use travel_runtime::grpc::{GrpcServer, Identity, Listener};
use travel_runtime::{Listen, Shutdown};
use travel_wiring::Backends;

pub use alerts::{Alerts, Evaluator, webhook};
pub use api::CurrencyApi;
pub use config::{AlertSettings, CurrencyConfig, WebhookSettings};
pub use quotes::{QuoteReader, ReadFrom};

/// Where the currency service listens.
pub const LISTEN: Listen = Listen {
    variable: "TRAVEL_CURRENCY_ADDR",
    default: "0.0.0.0:50051",
};

/// Serves the currency API on `listener` until `shutdown` fires.
pub async fn serve(
    listener: impl Into<Listener>,
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
    let api = Arc::new(CurrencyApi::new(
        reader,
        deps.store.clone(),
        deps.catalog.clone(),
        feed.clone(),
        shutdown.clone(),
    ));
    server.add_service(CurrencyServiceServer::from_arc(api.clone()));
    let alerts = alerts::Alerts {
        store: deps.store.clone(),
        settings: config.alerts.clone(),
        changed: Arc::default(),
        queued: Arc::default(),
    };
    // Building the client only fails without a TLS backend, which is compiled in.
    let sender = alerts::Sender::new(&config.alerts.webhook)
        .expect("the webhook client builds with the compiled-in TLS");
    server.add_service(AlertServiceServer::new(alerts::AlertApi::new(
        alerts.clone(),
        api,
        deps.cache.clone(),
        sender.clone(),
        shutdown.clone(),
    )));
    tokio::spawn(alerts::evaluate_alerts(
        alerts.clone(),
        feed,
        shutdown.clone(),
    ));
    tokio::spawn(alerts::deliver_webhooks(alerts, sender, shutdown.clone()));
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
