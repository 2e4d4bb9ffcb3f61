//! gRPC-Web for browsers: the gateway serves the currency, history and ranking APIs'
//! own contracts and forwards every call through the same typed clients as REST
//! (reads coalesced with REST's), statuses and details unchanged. tonic-web
//! translates the browser framing.

use std::future::Future;

use tonic::{Request, Response, Status};
use travel_proto::currency::v1::currency_service_server::CurrencyService;
use travel_proto::currency::v1::{self as pb, rpc as currency};
use travel_proto::history::v1::history_service_server::HistoryService;
use travel_proto::history::v1::{self as hpb, rpc as history};
use travel_proto::ranking::v1::ranking_service_server::RankingService;
use travel_proto::ranking::v1::{self as rpb, rpc as ranking};

use travel_proto::rpc::Unary;

use crate::streams::{Permit, Streams};
use crate::upstream::Client;

/// Runs `call` with the caller's request id (or a new one) in scope, so it travels
/// onwards. The answer has no metadata: upstream transport headers are not the
/// browser's business.
async fn forward<T, R, Fut>(
    request: Request<T>,
    call: impl FnOnce(Request<T>) -> Fut,
) -> Result<Response<R>, Status>
where
    Fut: Future<Output = Result<R, Status>>,
{
    let id = request
        .metadata()
        .get(travel_runtime::context::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    travel_runtime::context::REQUEST_ID
        .scope(id, call(request))
        .await
        .map(Response::new)
}

/// The client's address as the gateway saw it (never what the browser put in a
/// message): what per-client limits count.
fn client_ip<T>(request: &Request<T>, trust_forwarded_for: bool) -> Option<std::net::IpAddr> {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    crate::middleware::client_ip(
        &request.metadata().clone().into_headers(),
        peer,
        trust_forwarded_for,
    )
}

pub struct CurrencyProxy {
    pub client: Client<currency::CurrencyService>,
    pub streams: Streams,
    pub trust_forwarded_for: bool,
}

type RateStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<pb::WatchRatesResponse, Status>> + Send>>;

/// The upstream's messages until it ends or the gateway drains; then UNAVAILABLE,
/// which a client answers by reconnecting (to another replica).
fn until_closed(
    upstream: tonic::codec::Streaming<pb::WatchRatesResponse>,
    streams: Streams,
    permit: Permit,
) -> RateStream {
    Box::pin(futures::stream::unfold(
        Some((upstream, streams, permit)),
        |state| async move {
            let (mut upstream, streams, permit) = state?;
            tokio::select! {
                biased;
                () = streams.closed() => Some((
                    Err(Status::unavailable("the gateway is shutting down; reconnect")),
                    None,
                )),
                message = upstream.message() => match message {
                    Ok(Some(message)) => Some((Ok(message), Some((upstream, streams, permit)))),
                    Ok(None) => None,
                    Err(status) => Some((Err(status), None)),
                },
            }
        },
    ))
}

#[tonic::async_trait]
impl CurrencyService for CurrencyProxy {
    async fn get_latest_rates(
        &self,
        request: Request<pb::GetLatestRatesRequest>,
    ) -> Result<Response<pb::GetLatestRatesResponse>, Status> {
        forward(request, |r| {
            self.client.read(currency::GET_LATEST_RATES, r.into_inner())
        })
        .await
    }

    async fn get_currency(
        &self,
        request: Request<pb::GetCurrencyRequest>,
    ) -> Result<Response<pb::GetCurrencyResponse>, Status> {
        forward(request, |r| {
            self.client.read(currency::GET_CURRENCY, r.into_inner())
        })
        .await
    }

    async fn list_currencies(
        &self,
        request: Request<pb::ListCurrenciesRequest>,
    ) -> Result<Response<pb::ListCurrenciesResponse>, Status> {
        forward(request, |r| {
            self.client.read(currency::LIST_CURRENCIES, r.into_inner())
        })
        .await
    }

    async fn convert(
        &self,
        request: Request<pb::ConvertRequest>,
    ) -> Result<Response<pb::ConvertResponse>, Status> {
        forward(request, |r| {
            self.client.read(currency::CONVERT, r.into_inner())
        })
        .await
    }

    async fn get_price_index(
        &self,
        request: Request<pb::GetPriceIndexRequest>,
    ) -> Result<Response<pb::GetPriceIndexResponse>, Status> {
        forward(request, |r| {
            self.client.read(currency::GET_PRICE_INDEX, r.into_inner())
        })
        .await
    }

    type WatchRatesStream = RateStream;

    async fn watch_rates(
        &self,
        request: Request<pb::WatchRatesRequest>,
    ) -> Result<Response<Self::WatchRatesStream>, Status> {
        let ip = client_ip(&request, self.trust_forwarded_for);
        let permit = self
            .streams
            .open(ip)
            .map_err(|error| travel_runtime::status::to_status(&error))?;
        forward(request, |r| async move {
            let upstream = self
                .client
                .stream(currency::WATCH_RATES, r.into_inner())
                .await?;
            Ok(until_closed(upstream, self.streams.clone(), permit))
        })
        .await
    }
}

pub struct HistoryProxy(pub Client<history::HistoryService>);

type PointStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<hpb::HistoryPoint, Status>> + Send>>;

#[tonic::async_trait]
impl HistoryService for HistoryProxy {
    async fn get_history(
        &self,
        request: Request<hpb::GetHistoryRequest>,
    ) -> Result<Response<hpb::GetHistoryResponse>, Status> {
        forward(request, |r| {
            self.0.read(history::GET_HISTORY, r.into_inner())
        })
        .await
    }

    async fn get_stats(
        &self,
        request: Request<hpb::GetStatsRequest>,
    ) -> Result<Response<hpb::GetStatsResponse>, Status> {
        forward(request, |r| self.0.read(history::GET_STATS, r.into_inner())).await
    }

    async fn compare(
        &self,
        request: Request<hpb::CompareRequest>,
    ) -> Result<Response<hpb::CompareResponse>, Status> {
        forward(request, |r| self.0.read(history::COMPARE, r.into_inner())).await
    }

    async fn forecast(
        &self,
        request: Request<hpb::ForecastRequest>,
    ) -> Result<Response<hpb::ForecastResponse>, Status> {
        forward(request, |r| self.0.read(history::FORECAST, r.into_inner())).await
    }

    type StreamHistoryStream = PointStream;

    async fn stream_history(
        &self,
        request: Request<hpb::GetHistoryRequest>,
    ) -> Result<Response<Self::StreamHistoryStream>, Status> {
        forward(request, |r| async move {
            let points = self
                .0
                .stream(history::STREAM_HISTORY, r.into_inner())
                .await?;
            Ok(Box::pin(points) as PointStream)
        })
        .await
    }
}

pub struct RankingProxy {
    pub client: Client<ranking::RankingService>,
    pub trust_forwarded_for: bool,
}

/// A request that records selections: it carries the client facts the service hashes.
trait Recording: prost::Message + Send + Sync + 'static {
    fn set_client(&mut self, client_ip: String, user_agent: String);
}

impl Recording for rpb::RecordSelectionRequest {
    fn set_client(&mut self, client_ip: String, user_agent: String) {
        self.client_ip = client_ip;
        self.user_agent = user_agent;
    }
}

impl Recording for rpb::RecordSelectionsRequest {
    fn set_client(&mut self, client_ip: String, user_agent: String) {
        self.client_ip = client_ip;
        self.user_agent = user_agent;
    }
}

impl RankingProxy {
    /// Forwards a recording call with the client's address and agent as the gateway saw
    /// them, never what the browser put in the message: the per-IP limit must not be
    /// spoofable.
    async fn record<Req: Recording, Answer>(
        &self,
        method: Unary<ranking::RankingService, Req, Answer>,
        request: Request<Req>,
    ) -> Result<Response<Answer>, Status>
    where
        Answer: prost::Message + Default + Send + Sync + 'static,
    {
        let client_ip = client_ip(&request, self.trust_forwarded_for)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let user_agent = request
            .metadata()
            .get(http::header::USER_AGENT.as_str())
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        forward(request, |r| async move {
            let mut message = r.into_inner();
            message.set_client(client_ip, user_agent);
            let answer = self.client.call(method, Request::new(message)).await?;
            Ok(answer.into_inner())
        })
        .await
    }
}

#[tonic::async_trait]
impl RankingService for RankingProxy {
    async fn record_selection(
        &self,
        request: Request<rpb::RecordSelectionRequest>,
    ) -> Result<Response<rpb::RecordSelectionResponse>, Status> {
        self.record(ranking::RECORD_SELECTION, request).await
    }

    async fn record_selections(
        &self,
        request: Request<rpb::RecordSelectionsRequest>,
    ) -> Result<Response<rpb::RecordSelectionsResponse>, Status> {
        self.record(ranking::RECORD_SELECTIONS, request).await
    }

    async fn list_stored_rankings(
        &self,
        request: Request<rpb::ListStoredRankingsRequest>,
    ) -> Result<Response<rpb::ListStoredRankingsResponse>, Status> {
        forward(request, |r| {
            self.client
                .read(ranking::LIST_STORED_RANKINGS, r.into_inner())
        })
        .await
    }

    async fn get_stored_ranking(
        &self,
        request: Request<rpb::GetStoredRankingRequest>,
    ) -> Result<Response<rpb::GetStoredRankingResponse>, Status> {
        forward(request, |r| {
            self.client
                .read(ranking::GET_STORED_RANKING, r.into_inner())
        })
        .await
    }

    async fn get_rankings(
        &self,
        request: Request<rpb::GetRankingsRequest>,
    ) -> Result<Response<rpb::GetRankingsResponse>, Status> {
        forward(request, |r| {
            self.client.read(ranking::GET_RANKINGS, r.into_inner())
        })
        .await
    }

    async fn get_country_stats(
        &self,
        request: Request<rpb::GetCountryStatsRequest>,
    ) -> Result<Response<rpb::GetCountryStatsResponse>, Status> {
        forward(request, |r| {
            self.client.read(ranking::GET_COUNTRY_STATS, r.into_inner())
        })
        .await
    }

    async fn calculate_rankings(
        &self,
        request: Request<rpb::CalculateRankingsRequest>,
    ) -> Result<Response<rpb::CalculateRankingsResponse>, Status> {
        forward(request, |r| async move {
            // The operator's key goes on; nothing else of the browser's metadata does.
            let authorization = r.metadata().get("authorization").cloned();
            let mut onward = Request::new(r.into_inner());
            if let Some(value) = authorization {
                onward.metadata_mut().insert("authorization", value);
            }
            let answer = self
                .client
                .call(ranking::CALCULATE_RANKINGS, onward)
                .await?;
            Ok(answer.into_inner())
        })
        .await
    }
}
