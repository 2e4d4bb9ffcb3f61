//! gRPC clients of the internal services. Channels connect lazily, so the gateway
//! starts (and reports them unhealthy) while a service is still down.

use std::time::Duration;

use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use travel_proto::currency::v1::currency_service_client::CurrencyServiceClient;
use travel_proto::history::v1::history_service_client::HistoryServiceClient;
use travel_proto::meta::v1::service_info_client::ServiceInfoClient;
use travel_proto::ranking::v1::ranking_service_client::RankingServiceClient;

/// The interceptor that forwards request id and trace context.
pub type Propagate = fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>;

pub type CurrencyClient = CurrencyServiceClient<InterceptedService<Channel, Propagate>>;
pub type HistoryClient = HistoryServiceClient<InterceptedService<Channel, Propagate>>;
pub type RankingClient = RankingServiceClient<InterceptedService<Channel, Propagate>>;

/// One internal service as the gateway sees it.
#[derive(Clone)]
pub struct Upstream {
    pub name: &'static str,
    pub channel: Channel,
}

impl Upstream {
    pub fn connect_lazy(
        name: &'static str,
        url: &str,
        timeout: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let channel = Endpoint::from_shared(url.to_string())?
            .connect_timeout(Duration::from_secs(1))
            .timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .connect_lazy();
        Ok(Self { name, channel })
    }

    pub fn info(&self) -> ServiceInfoClient<InterceptedService<Channel, Propagate>> {
        ServiceInfoClient::with_interceptor(
            self.channel.clone(),
            travel_runtime::context::propagate as Propagate,
        )
    }

    pub fn health(&self) -> tonic_health::pb::health_client::HealthClient<Channel> {
        tonic_health::pb::health_client::HealthClient::new(self.channel.clone())
    }
}

pub fn currency_client(upstream: &Upstream) -> CurrencyClient {
    CurrencyServiceClient::with_interceptor(
        upstream.channel.clone(),
        travel_runtime::context::propagate as Propagate,
    )
}

pub fn history_client(upstream: &Upstream) -> HistoryClient {
    HistoryServiceClient::with_interceptor(
        upstream.channel.clone(),
        travel_runtime::context::propagate as Propagate,
    )
}

pub fn ranking_client(upstream: &Upstream) -> RankingClient {
    RankingServiceClient::with_interceptor(
        upstream.channel.clone(),
        travel_runtime::context::propagate as Propagate,
    )
}
