//! Live rates as Server-Sent Events: the currency service's `WatchRates` stream (one
//! per query, shared: `crate::fanout`), one event per message; and the relay every
//! event stream of the gateway goes through.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use tonic::codec::Streaming;
use travel_proto::currency::v1 as pb;

use super::Query;
use super::currency::LatestQuery;
use crate::AppState;
use crate::envelope::Failure;
use crate::fanout::Update;
use crate::openapi::schemas::ErrorEnvelope;
use crate::streams::{Permit, Streams};
use crate::views::currency::RateUpdate;

/// Live rates (Server-Sent Events)
///
/// `text/event-stream`. The first event (`snapshot`) holds the latest rates of every
/// asked currency, in the shape of `/api/v1/currencies/latest`; each later one (`rates`)
/// the rates a new quote moved. Every event's `id` is the time of the newest quote
/// sent (Unix milliseconds); a client that reconnects (an `EventSource` does so on its
/// own, sending `Last-Event-ID`) gets a fresh snapshot. A comment line keeps an idle
/// stream open. When the gateway shuts down, or the currency service goes, the stream
/// ends with a `closing` event and a `retry` hint. A client may hold a limited number
/// of streams at once (429 beyond it); the request time-out does not apply.
#[utoipa::path(
    get,
    path = "/api/v1/stream/rates",
    operation_id = "stream_rates",
    tag = "currency",
    params(
        LatestQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received; the stream starts again with a snapshot"),
    ),
    responses(
        (status = 200, description = "An event stream of `RateUpdate`s (`snapshot`, then `rates`) and a final `closing`", content_type = "text/event-stream", body = RateUpdate),
        (status = 400, description = "INVALID_CURRENCY_CODE (a symbol or base), INVALID_PARAMETER (an empty symbols list)", body = ErrorEnvelope),
        (status = 429, description = "RATE_LIMIT_EXCEEDED: this client holds as many streams as it may", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: the currency service cannot be reached", body = ErrorEnvelope),
    )
)]
pub async fn rates(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Query(query): Query<LatestQuery>,
) -> Result<Response, Failure> {
    let request = pb::WatchRatesRequest {
        symbols: super::currency::symbols(query.symbols)?,
        base: query.base.unwrap_or_default(),
    };
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let ip = crate::middleware::client_ip(&headers, peer, state.trust_forwarded_for);
    let permit = state.streams.open(ip)?;
    // Validation and the snapshot read happen before the stream starts: their errors
    // are ordinary error answers. Clients of the same query share one upstream stream.
    let subscription = state.fanout.subscribe(request).await?;
    let events = futures::stream::unfold(subscription, |mut subscription| async move {
        let item = match subscription.next().await {
            Update::Frame(frame) => Ok(Event::default()
                .id(frame.id.as_str())
                .event(frame.name)
                .data(frame.data.as_str())),
            Update::Ended(Ok(())) => Err(None),
            Update::Ended(Err(status)) => Err(Some(status)),
        };
        Some((item, subscription))
    });
    Ok(sse(events, state.streams.clone(), permit, |end| {
        let reason = match end {
            None => "the rate stream ended",
            Some(_) => "the rate stream was interrupted",
        };
        closing(reason)
    }))
}

/// A stream of events as Server-Sent Events: the first with the `retry` hint,
/// heartbeats, and a last event when the source ends (`end`, told whether by an error)
/// or the gateway drains (`closing`). The client's stream permit is held as long.
/// `Err(None)` from the source is a clean end.
pub(crate) fn sse<S>(
    source: S,
    streams: Streams,
    permit: Permit,
    end: fn(Option<tonic::Status>) -> Event,
) -> Response
where
    S: Stream<Item = Result<Event, Option<tonic::Status>>> + Send + 'static,
{
    let keep_alive = KeepAlive::new()
        .interval(streams.heartbeat)
        .text("heartbeat");
    let mut response = Sse::new(events(Box::pin(source), streams, permit, end))
        .keep_alive(keep_alive)
        .into_response();
    // Proxies that buffer responses (nginx) would hold the events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// A gRPC server stream as a source of [`sse`]: an event per message, its end clean
/// or not.
pub(crate) fn messages<M: Send + 'static>(
    upstream: Streaming<M>,
    event: fn(M) -> Event,
) -> impl Stream<Item = Result<Event, Option<tonic::Status>>> + Send {
    futures::stream::unfold(Some(upstream), move |upstream| async move {
        let mut upstream = upstream?;
        match upstream.message().await {
            Ok(Some(message)) => Some((Ok(event(message)), Some(upstream))),
            Ok(None) => Some((Err(None), None)),
            Err(status) => Some((Err(Some(status)), None)),
        }
    })
}

/// The last event of a stream that the client should open again: why it ends (and
/// the retry hint, added by the relay).
pub(crate) fn closing(reason: &str) -> Event {
    Event::default()
        .event("closing")
        .json_data(serde_json::json!({ "reason": reason }))
        .unwrap_or_else(|_| Event::default().event("closing"))
}

type Source = std::pin::Pin<Box<dyn Stream<Item = Result<Event, Option<tonic::Status>>> + Send>>;

struct Relay {
    source: Source,
    streams: Streams,
    first: bool,
    end: fn(Option<tonic::Status>) -> Event,
    // Held for the life of the stream: the client's place among its open streams.
    _permit: Permit,
}

fn events(
    source: Source,
    streams: Streams,
    permit: Permit,
    end: fn(Option<tonic::Status>) -> Event,
) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    let relay = Relay {
        source,
        streams,
        first: true,
        end,
        _permit: permit,
    };
    futures::stream::unfold(Some(relay), |relay| async move {
        let mut relay = relay?;
        let retry = relay.streams.retry;
        let next = tokio::select! {
            biased;
            () = relay.streams.closed() => {
                Err(closing("the gateway is shutting down"))
            }
            item = relay.source.next() => match item {
                Some(Ok(event)) => Ok(event),
                None | Some(Err(None)) => Err((relay.end)(None)),
                Some(Err(Some(status))) => {
                    tracing::info!(code = ?status.code(), message = status.message(), "stream ended upstream");
                    Err((relay.end)(Some(status)))
                }
            },
        };
        match next {
            Ok(event) => {
                let event = if relay.first {
                    event.retry(retry)
                } else {
                    event
                };
                relay.first = false;
                Some((Ok(event), Some(relay)))
            }
            Err(last) => Some((Ok(last.retry(retry)), None)),
        }
    })
}
