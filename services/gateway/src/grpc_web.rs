//! gRPC-Web for browsers: the gateway serves the currency, history and ranking APIs'
//! own contracts and forwards every call to the service over gRPC, statuses and
//! details unchanged. tonic-web translates the browser framing.

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};
use travel_proto::currency::v1 as pb;
use travel_proto::currency::v1::currency_service_server::CurrencyService;

use travel_proto::history::v1 as hpb;
use travel_proto::history::v1::history_service_server::HistoryService;

use travel_proto::ranking::v1 as rpb;
use travel_proto::ranking::v1::ranking_service_server::RankingService;

use crate::coalesce::Flights;
use crate::upstream::{CurrencyClient, HistoryClient, RankingClient};

pub struct CurrencyProxy {
    client: CurrencyClient,
    flights: Flights,
}

impl CurrencyProxy {
    pub fn new(client: CurrencyClient, flights: Flights) -> Self {
        Self { client, flights }
    }
}

/// Carries the caller's request id (or a new one) and trace context onwards.
fn forward<T>(request: Request<T>) -> (T, Option<String>) {
    let id = request
        .metadata()
        .get(travel_runtime::context::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (request.into_inner(), id)
}

async fn call<T, R, F, Fut>(
    message: T,
    request_id: Option<String>,
    f: F,
) -> Result<Response<R>, Status>
where
    F: FnOnce(T) -> Fut,
    Fut: std::future::Future<Output = Result<Response<R>, Status>>,
{
    let id = request_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let result = travel_runtime::context::REQUEST_ID
        .scope(id, f(message))
        .await;
    // Upstream response metadata (transport headers) is not the browser's business.
    result.map(|response| {
        let (_, message, extensions) = response.into_parts();
        Response::from_parts(MetadataMap::new(), message, extensions)
    })
}

/// `call` for an idempotent read: coalesced with an identical read in flight, from
/// REST or gRPC-Web alike (`method` is the key both use).
async fn read<T, R, F, Fut>(
    flights: &Flights,
    method: &'static str,
    message: T,
    request_id: Option<String>,
    f: F,
) -> Result<Response<R>, Status>
where
    T: prost::Message,
    R: Clone + Send + Sync + 'static,
    F: FnOnce(T) -> Fut,
    Fut: std::future::Future<Output = Result<Response<R>, Status>> + Send + 'static,
{
    call(message, request_id, |m| async move {
        flights.call(method, m, f).await.map(Response::new)
    })
    .await
}

#[tonic::async_trait]
impl CurrencyService for CurrencyProxy {
    async fn get_latest_rates(
        &self,
        request: Request<pb::GetLatestRatesRequest>,
    ) -> Result<Response<pb::GetLatestRatesResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "currency.GetLatestRates",
            message,
            id,
            |m| async move { client.get_latest_rates(m).await },
        )
        .await
    }

    async fn get_currency(
        &self,
        request: Request<pb::GetCurrencyRequest>,
    ) -> Result<Response<pb::GetCurrencyResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "currency.GetCurrency",
            message,
            id,
            |m| async move { client.get_currency(m).await },
        )
        .await
    }

    async fn list_currencies(
        &self,
        request: Request<pb::ListCurrenciesRequest>,
    ) -> Result<Response<pb::ListCurrenciesResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "currency.ListCurrencies",
            message,
            id,
            |m| async move { client.list_currencies(m).await },
        )
        .await
    }

    async fn convert(
        &self,
        request: Request<pb::ConvertRequest>,
    ) -> Result<Response<pb::ConvertResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "currency.Convert",
            message,
            id,
            |m| async move { client.convert(m).await },
        )
        .await
    }

    async fn get_price_index(
        &self,
        request: Request<pb::GetPriceIndexRequest>,
    ) -> Result<Response<pb::GetPriceIndexResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "currency.GetPriceIndex",
            message,
            id,
            |m| async move { client.get_price_index(m).await },
        )
        .await
    }
}

pub struct HistoryProxy {
    client: HistoryClient,
    flights: Flights,
}

impl HistoryProxy {
    pub fn new(client: HistoryClient, flights: Flights) -> Self {
        Self { client, flights }
    }
}

type PointStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<hpb::HistoryPoint, Status>> + Send>>;

#[tonic::async_trait]
impl HistoryService for HistoryProxy {
    async fn get_history(
        &self,
        request: Request<hpb::GetHistoryRequest>,
    ) -> Result<Response<hpb::GetHistoryResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "history.GetHistory",
            message,
            id,
            |m| async move { client.get_history(m).await },
        )
        .await
    }

    async fn get_stats(
        &self,
        request: Request<hpb::GetStatsRequest>,
    ) -> Result<Response<hpb::GetStatsResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "history.GetStats",
            message,
            id,
            |m| async move { client.get_stats(m).await },
        )
        .await
    }

    async fn compare(
        &self,
        request: Request<hpb::CompareRequest>,
    ) -> Result<Response<hpb::CompareResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "history.Compare",
            message,
            id,
            |m| async move { client.compare(m).await },
        )
        .await
    }

    async fn forecast(
        &self,
        request: Request<hpb::ForecastRequest>,
    ) -> Result<Response<hpb::ForecastResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "history.Forecast",
            message,
            id,
            |m| async move { client.forecast(m).await },
        )
        .await
    }

    type StreamHistoryStream = PointStream;

    async fn stream_history(
        &self,
        request: Request<hpb::GetHistoryRequest>,
    ) -> Result<Response<Self::StreamHistoryStream>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        let response = call(
            message,
            id,
            |m| async move { client.stream_history(m).await },
        )
        .await?;
        Ok(Response::new(Box::pin(response.into_inner()) as PointStream))
    }
}

pub struct RankingProxy {
    client: RankingClient,
    flights: Flights,
    trust_forwarded_for: bool,
}

impl RankingProxy {
    pub fn new(client: RankingClient, flights: Flights, trust_forwarded_for: bool) -> Self {
        Self {
            client,
            flights,
            trust_forwarded_for,
        }
    }
}

#[tonic::async_trait]
impl RankingService for RankingProxy {
    async fn record_selection(
        &self,
        request: Request<rpb::RecordSelectionRequest>,
    ) -> Result<Response<rpb::RecordSelectionResponse>, Status> {
        // The client's address and agent are what the gateway saw, never what the
        // browser put in the message: the per-IP limit must not be spoofable.
        let peer = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0);
        let headers = request.metadata().clone().into_headers();
        let client_ip = crate::middleware::client_ip(&headers, peer, self.trust_forwarded_for)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let (mut message, id) = forward(request);
        message.client_ip = client_ip;
        message.user_agent = user_agent;
        let mut client = self.client.clone();
        call(
            message,
            id,
            |m| async move { client.record_selection(m).await },
        )
        .await
    }

    async fn get_rankings(
        &self,
        request: Request<rpb::GetRankingsRequest>,
    ) -> Result<Response<rpb::GetRankingsResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "ranking.GetRankings",
            message,
            id,
            |m| async move { client.get_rankings(m).await },
        )
        .await
    }

    async fn get_country_stats(
        &self,
        request: Request<rpb::GetCountryStatsRequest>,
    ) -> Result<Response<rpb::GetCountryStatsResponse>, Status> {
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        read(
            &self.flights,
            "ranking.GetCountryStats",
            message,
            id,
            |m| async move { client.get_country_stats(m).await },
        )
        .await
    }

    async fn calculate_rankings(
        &self,
        request: Request<rpb::CalculateRankingsRequest>,
    ) -> Result<Response<rpb::CalculateRankingsResponse>, Status> {
        let authorization = request.metadata().get("authorization").cloned();
        let (message, id) = forward(request);
        let mut client = self.client.clone();
        call(message, id, |m| async move {
            let mut request = Request::new(m);
            if let Some(value) = authorization {
                request.metadata_mut().insert("authorization", value);
            }
            client.calculate_rankings(request).await
        })
        .await
    }
}
