//! Live rates on the all-in-one: an ingested quote (a recorded Korea Eximbank day
//! served by a local HTTP server) reaches a gRPC `WatchRates` stream, a gRPC-Web one
//! through the gateway and an SSE client; a reconnect starts with a fresh snapshot;
//! bad input and too many streams are refused with the envelope; streams outlive the
//! request time-out and end with a retry hint when the app shuts down.

use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};
use tonic_types::StatusExt;
use travel_proto::currency::v1 as pb;
use travel_proto::currency::v1::currency_service_client::CurrencyServiceClient;
use travel_tests::app::{TestApp, spawn_app};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KOREAEXIM: &str =
    include_str!("../../../libs/sources/tests/fixtures/koreaexim_20190314.json");
const WAIT: Duration = Duration::from_secs(20);

pub(crate) type Events = std::pin::Pin<Box<dyn Stream<Item = Event> + Send>>;

/// An SSE client of the gateway: the response, then its events.
pub(crate) async fn sse(app: &TestApp, path: &str, last_event_id: Option<&str>) -> (u16, Events) {
    let mut request = app
        .http
        .get(app.url(path))
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    if status == 200 {
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "{path}"
        );
    }
    let events = response
        .bytes_stream()
        .eventsource()
        .map(|event| event.expect("a well-formed event stream"));
    (status, Box::pin(events))
}

pub(crate) async fn next(events: &mut Events) -> Event {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event in time")
        .expect("the stream is still open")
}

pub(crate) fn data(event: &Event) -> serde_json::Value {
    serde_json::from_str(&event.data).expect("event data is JSON")
}

/// An all-in-one whose ingestion loop reads a local Korea Eximbank stand-in every
/// second; the stand-in fails until `publish` mounts the recorded day.
pub(crate) async fn app_with_source(server: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let kexim = format!("{}/kexim", server.uri());
    let mut overrides = vec![
        ("TRAVEL_INGEST_EVERY", "1s"),
        ("TRAVEL_SOURCES", "KOREAEXIM"),
        ("TRAVEL_SOURCE_KOREAEXIM_URL", kexim.as_str()),
        ("TRAVEL_SOURCE_KOREAEXIM_KEY", "secret-key-123"),
        ("TRAVEL_SOURCE_RETRIES", "0"),
        // The recorded day is of 2019, the seeded quotes of 2026: let the jump through.
        ("TRAVEL_MAX_JUMP_PERCENT", "100"),
    ];
    overrides.extend_from_slice(extra);
    spawn_app(&overrides).await
}

pub(crate) async fn publish(server: &MockServer) {
    Mock::given(path("/kexim"))
        .respond_with(ResponseTemplate::new(200).set_body_string(KOREAEXIM))
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_ingested_quote_reaches_grpc_grpc_web_and_sse_streams_and_a_reconnect_resumes() {
    let server = MockServer::start().await;
    let app = app_with_source(&server, &[]).await;
    let (_, latest) = app
        .get_json("/api/v1/currencies/latest?symbols=USD,JPY")
        .await;

    // Three watchers of USD and JPY in KRW, each starting with the shipped quotes.
    let (status, mut events) = sse(&app, "/api/v1/stream/rates?symbols=usd,JPY", None).await;
    assert_eq!(status, 200);
    let snapshot = next(&mut events).await;
    assert_eq!(snapshot.event, "snapshot");
    assert!(
        snapshot.retry.is_some(),
        "the first event says when to reconnect"
    );
    let first = data(&snapshot);
    assert_eq!(first["snapshot"], true);
    assert_eq!(first["base"], "KRW");
    assert_eq!(first["rates"], latest["data"]["rates"], "{first}");
    assert_eq!(first["rate_sources"]["USD"], "ECB");

    let request = pb::WatchRatesRequest {
        symbols: vec!["USD".into(), "JPY".into()],
        base: String::new(),
    };
    let mut grpc = CurrencyServiceClient::connect(app.currency_url.clone())
        .await
        .unwrap()
        .watch_rates(request.clone())
        .await
        .unwrap()
        .into_inner();
    let (service, origin) = app.grpc_web();
    let mut grpc_web = CurrencyServiceClient::with_origin(service, origin)
        .watch_rates(request)
        .await
        .unwrap()
        .into_inner();
    for stream in [&mut grpc, &mut grpc_web] {
        let message = stream.message().await.unwrap().unwrap();
        assert!(message.snapshot);
        assert_eq!(message.rates.len(), 2);
    }

    publish(&server).await;

    // The ingested day moves both: 1134.5 won per dollar, 10.1945 per yen.
    let change = next(&mut events).await;
    assert_eq!(change.event, "rates");
    let moved = data(&change);
    assert_eq!(moved["snapshot"], false);
    assert_eq!(moved["rates"]["USD"], 1134.5, "{moved}");
    assert_eq!(moved["rates"]["JPY"], 10.1945, "{moved}");
    assert_eq!(moved["rate_sources"]["USD"], "KOREAEXIM");
    let id: i64 = change.id.parse().expect("the id is the quote time in ms");
    assert_eq!(id / 1000, moved["timestamp"].as_i64().unwrap());
    for stream in [&mut grpc, &mut grpc_web] {
        let message = tokio::time::timeout(WAIT, stream.message())
            .await
            .expect("a change in time")
            .unwrap()
            .unwrap();
        assert!(!message.snapshot);
        let usd = message
            .rates
            .iter()
            .find(|r| r.currency_code == "USD")
            .expect("USD moved");
        assert_eq!(usd.rate.as_ref().unwrap().value, "1134.5");
        assert_eq!(usd.source, "KOREAEXIM");
    }

    // A client that lost the stream comes back with the last id: a fresh snapshot,
    // already holding what it saw.
    drop(events);
    let (status, mut resumed) = sse(
        &app,
        "/api/v1/stream/rates?symbols=USD,JPY",
        Some(&change.id),
    )
    .await;
    assert_eq!(status, 200);
    let again = next(&mut resumed).await;
    assert_eq!(again.event, "snapshot");
    assert_eq!(data(&again)["rates"]["USD"], 1134.5);
    assert_eq!(again.id, change.id);

    // Another base prices every symbol through it.
    let (_, mut in_usd) = sse(&app, "/api/v1/stream/rates?symbols=JPY,KRW&base=USD", None).await;
    let usd_based = data(&next(&mut in_usd).await);
    assert_eq!(usd_based["base"], "USD");
    let krw = usd_based["rates"]["KRW"].as_f64().unwrap();
    assert!((krw - 1.0 / 1134.5).abs() < 1e-6, "{usd_based}");
    app.stop().await;
}

#[tokio::test]
async fn bad_stream_requests_get_the_envelope_and_a_client_holds_a_bounded_number() {
    let app = spawn_app(&[
        ("TRAVEL_INGEST_EVERY", "off"),
        ("TRAVEL_STREAMS_PER_CLIENT", "2"),
        ("TRAVEL_STREAM_HEARTBEAT", "200ms"),
    ])
    .await;
    for (query, code, parameter) in [
        ("symbols=XYZ", "INVALID_CURRENCY_CODE", "symbols"),
        ("symbols=USD,12", "INVALID_CURRENCY_CODE", "symbols"),
        ("symbols=", "INVALID_PARAMETER", "symbols"),
        ("base=ZZZ", "INVALID_CURRENCY_CODE", "base"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/stream/rates?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
        assert_eq!(body["error"]["details"]["parameter"], parameter, "{query}");
    }

    let (_, mut one) = sse(&app, "/api/v1/stream/rates?symbols=JPY", None).await;
    let (_, _two) = sse(&app, "/api/v1/stream/rates", None).await;
    assert_eq!(next(&mut one).await.event, "snapshot");
    let (status, body) = app.get_json("/api/v1/stream/rates?symbols=JPY").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(body["error"]["details"]["parameter"], "client_ip");
    // gRPC-Web counts against the same share.
    let (service, origin) = app.grpc_web();
    let refused = CurrencyServiceClient::with_origin(service, origin)
        .watch_rates(pb::WatchRatesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    assert_eq!(
        refused.get_details_error_info().unwrap().reason,
        "RATE_LIMIT_EXCEEDED"
    );

    // A closed stream frees its place (the gateway notices at the next heartbeat).
    drop(one);
    let (status, _) = travel_tests::eventually(
        Duration::from_secs(5),
        Duration::from_millis(100),
        async || sse(&app, "/api/v1/stream/rates?symbols=JPY", None).await,
        |(status, _)| *status == 200,
    )
    .await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_stream_outlives_the_request_time_out_and_ends_with_a_retry_hint_on_shutdown() {
    let app = spawn_app(&[
        ("TRAVEL_INGEST_EVERY", "off"),
        ("TRAVEL_REQUEST_TIMEOUT", "1s"),
        ("TRAVEL_UPSTREAM_TIMEOUT", "1s"),
        ("TRAVEL_STREAM_HEARTBEAT", "300ms"),
        ("TRAVEL_STREAM_RETRY", "1500ms"),
    ])
    .await;
    let (_, mut events) = sse(&app, "/api/v1/stream/rates?symbols=JPY", None).await;
    assert_eq!(next(&mut events).await.event, "snapshot");
    let (service, origin) = app.grpc_web();
    let mut grpc_web = CurrencyServiceClient::with_origin(service, origin)
        .watch_rates(pb::WatchRatesRequest {
            symbols: vec!["JPY".into()],
            base: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(grpc_web.message().await.unwrap().unwrap().snapshot);

    // Past both deadlines, still open: the heartbeats are comments, not events, so
    // the stream simply has nothing to say.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let stopping = tokio::spawn(app.stop());
    let last = next(&mut events).await;
    assert_eq!(last.event, "closing");
    assert_eq!(last.retry, Some(Duration::from_millis(1500)));
    assert!(
        data(&last)["reason"]
            .as_str()
            .unwrap()
            .contains("shutting down")
    );
    assert!(
        tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap()
            .is_none(),
        "the stream ends after it"
    );
    let status = tokio::time::timeout(WAIT, grpc_web.message())
        .await
        .expect("the gRPC-Web stream ends")
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    tokio::time::timeout(WAIT, stopping)
        .await
        .expect("open streams do not hold the shutdown")
        .unwrap();
}
