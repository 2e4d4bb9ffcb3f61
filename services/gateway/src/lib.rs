//! The public edge: REST/JSON v1 (`api-v1.md`) and gRPC-Web over the internal gRPC
//! services. The gateway holds no data of its own; it reaches the services only over
//! gRPC and uses the cache only to share rate-limit counters between replicas.

mod caching;
mod coalesce;
mod config;
pub mod envelope;
mod fanout;
mod grpc_web;
mod middleware;
mod openapi;
mod routes;
mod streams;
mod upstream;
mod views;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use tokio::net::TcpListener;
use tower::Layer;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use travel_cache::Cache;
use travel_proto::currency::v1::currency_service_server::{
    CurrencyServiceServer, SERVICE_NAME as CURRENCY_SERVICE,
};
use travel_proto::history::v1::history_service_server::{
    HistoryServiceServer, SERVICE_NAME as HISTORY_SERVICE,
};
use travel_proto::ranking::v1::ranking_service_server::{
    RankingServiceServer, SERVICE_NAME as RANKING_SERVICE,
};
use travel_runtime::Shutdown;
use travel_runtime::grpc::Local;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use config::GatewayConfig;

/// Where the gateway listens: all interfaces in its own binary, loopback in the
/// all-in-one (`make run`).
pub const LISTEN: travel_runtime::Listen = travel_runtime::Listen {
    variable: "TRAVEL_GATEWAY_ADDR",
    default: "0.0.0.0:8080",
};
use travel_proto::ranking::v1::rpc as ranking;
use travel_proto::{
    alerts::v1::rpc as alerts, currency::v1::rpc as currency, history::v1::rpc as history,
};
use upstream::{Client, Upstream};

/// Shared by every handler. axum clones the state for every request: one reference
/// count, not every client's channel (that was 4 % of a distinct read's CPU).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    currency: Client<currency::CurrencyService>,
    /// Served by the currency service, over the same transport.
    alerts: Client<alerts::AlertService>,
    history: Client<history::HistoryService>,
    ranking: Client<ranking::RankingService>,
    upstreams: Vec<Upstream>,
    cache: Arc<dyn Cache>,
    environment: String,
    draining: Arc<AtomicBool>,
    trust_forwarded_for: bool,
    flights: coalesce::Flights,
    streams: streams::Streams,
    /// The shared upstream rate streams of the SSE clients.
    fanout: fanout::Fanout,
}

/// The gateway, ready to serve.
pub struct Gateway {
    router: Router,
    draining: Arc<AtomicBool>,
    streams: streams::Streams,
    drain: std::time::Duration,
}

/// The services that run in the gateway's own process (the all-in-one), reached
/// through their local ends instead of over the network.
#[derive(Clone, Default)]
pub struct LocalServices {
    pub currency: Option<Local>,
    pub history: Option<Local>,
    pub ranking: Option<Local>,
}

impl Gateway {
    pub fn build(
        config: &GatewayConfig,
        cache: Arc<dyn Cache>,
        local: LocalServices,
    ) -> Result<Self, tonic::transport::Error> {
        let deadline = config.upstream_timeout;
        let currency =
            Upstream::connect_lazy("currency", &config.currency_url, deadline, local.currency)?;
        let history =
            Upstream::connect_lazy("history", &config.history_url, deadline, local.history)?;
        let ranking =
            Upstream::connect_lazy("ranking", &config.ranking_url, deadline, local.ranking)?;
        let draining = Arc::new(AtomicBool::new(false));
        let flights = coalesce::Flights::new(config.coalesce_reads);
        let state = AppState(Arc::new(Shared {
            currency: currency.client(&flights),
            alerts: currency.client(&flights),
            fanout: fanout::Fanout::new(currency.client(&flights)),
            history: history.client(&flights),
            ranking: ranking.client(&flights),
            upstreams: vec![currency, history, ranking],
            cache: cache.clone(),
            environment: config.serving.environment.clone(),
            draining: draining.clone(),
            trust_forwarded_for: config.trust_forwarded_for,
            flights,
            streams: streams::Streams::new(
                config.streams_per_client,
                config.stream_retry,
                config.stream_heartbeat,
            ),
        }));
        Ok(Self {
            streams: state.streams.clone(),
            router: router(state, config, cache),
            draining,
            drain: config.serving.drain,
        })
    }

    /// Serves until `shutdown` fires; then /readyz (and /health) answer 503 for the
    /// drain period (so balancers stop routing here), the rate streams end with a
    /// retry hint, and in-flight requests finish.
    pub async fn serve(self, listener: TcpListener, shutdown: Shutdown) -> std::io::Result<()> {
        let draining = self.draining.clone();
        let drain = self.drain;
        let streams = self.streams.clone();
        let stop = async move {
            shutdown.wait().await;
            draining.store(true, Ordering::SeqCst);
            streams.close_all();
            tokio::time::sleep(drain).await;
        };
        // No Nagle delay on responses written in more than one segment.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
    }
}

fn router(state: AppState, config: &GatewayConfig, cache: Arc<dyn Cache>) -> Router {
    let rate_limit = middleware::RateLimit {
        cache,
        limit: config.rate_limit,
        window: config.rate_limit_window,
        trust_forwarded_for: config.trust_forwarded_for,
    };
    let (rest, document) = api_routes()
        .route_layer(axum::middleware::from_fn_with_state(
            rate_limit,
            middleware::rate_limit,
        ))
        .merge(service_routes())
        .split_for_parts();

    let currency_web =
        tonic_web::GrpcWebLayer::new().layer(CurrencyServiceServer::new(grpc_web::CurrencyProxy {
            client: state.currency.clone(),
            streams: state.streams.clone(),
            trust_forwarded_for: config.trust_forwarded_for,
        }));
    let history_web = tonic_web::GrpcWebLayer::new().layer(HistoryServiceServer::new(
        grpc_web::HistoryProxy(state.history.clone()),
    ));
    let ranking_web =
        tonic_web::GrpcWebLayer::new().layer(RankingServiceServer::new(grpc_web::RankingProxy {
            client: state.ranking.clone(),
            trust_forwarded_for: config.trust_forwarded_for,
        }));

    let http_stack = ServiceBuilder::new()
        .layer(axum::middleware::from_fn(middleware::request_context))
        .layer(TraceLayer::new_for_http().make_span_with(middleware::request_span))
        .layer(middleware::cors(&config.cors_origins))
        // JSON, CSV and NDJSON above 1 KiB, as gzip or br; never gRPC-Web frames.
        .layer(
            CompressionLayer::new().compress_when(
                SizeAbove::new(1024)
                    .and(NotForContentType::GRPC)
                    .and(NotForContentType::IMAGES)
                    .and(NotForContentType::SSE),
            ),
        )
        .layer(axum::middleware::from_fn(caching::conditional))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::custom(middleware::PanicToEnvelope))
        .layer(RequestBodyLimitLayer::new(config.body_limit));

    let docs = utoipa_swagger_ui::SwaggerUi::new(openapi::DOCS_PATH)
        .external_url_unchecked(openapi::DOCUMENT_PATH, openapi::document(document))
        .config(
            utoipa_swagger_ui::Config::default()
                // No badge from validator.swagger.io: nothing leaves the machine.
                .validator_url("none")
                .try_it_out_enabled(true)
                .display_request_duration(true),
        );

    Router::new()
        .merge(rest)
        .merge(docs)
        .route_service(&format!("/{CURRENCY_SERVICE}/{{*method}}"), currency_web)
        .route_service(&format!("/{HISTORY_SERVICE}/{{*method}}"), history_web)
        .route_service(&format!("/{RANKING_SERVICE}/{{*method}}"), ranking_web)
        .fallback(web::fallback)
        .with_state(state)
        .layer(http_stack)
}

/// The REST operations; each handler's `#[utoipa::path]` gives both its route and its
/// entry in the document, so the two cannot drift apart.
fn api_routes() -> OpenApiRouter<AppState> {
    use routes::{alerts, currency, history, ranking, stream};
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(currency::catalog))
        .routes(routes!(currency::latest))
        .routes(routes!(currency::price_index_under_currencies))
        .routes(routes!(currency::detail))
        .routes(routes!(currency::price_index_at_root))
        .routes(routes!(currency::convert))
        .routes(routes!(stream::rates))
        .routes(routes!(history::history))
        .routes(routes!(history::stats))
        .routes(routes!(history::compare))
        .routes(routes!(history::forecast))
        .routes(routes!(ranking::record_selection))
        .routes(routes!(ranking::rankings))
        .routes(routes!(ranking::country_stats))
        .routes(routes!(ranking::calculate))
        .routes(routes!(ranking::record_comparison))
        .routes(routes!(ranking::stored_rankings, ranking::refuse_store))
        .routes(routes!(ranking::stored_ranking))
        .routes(routes!(alerts::create))
        .routes(routes!(alerts::get, alerts::delete))
        .routes(routes!(alerts::events))
}

/// Probes, /health and /version: documented, outside the rate limit.
fn service_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(routes::service::livez))
        .routes(routes!(routes::service::readyz))
        .routes(routes!(routes::service::health))
        .routes(routes!(routes::service::version))
}
