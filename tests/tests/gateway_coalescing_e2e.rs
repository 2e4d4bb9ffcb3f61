//! Request coalescing in the gateway, end to end: identical reads in flight at once
//! make one gRPC call to the currency service, counted by the service's own
//! `travel_grpc_requests_total`. One test in its own binary, not a module of the `e2e`
//! binary: the metrics recorder is global to the process (installed once, it cannot be
//! replaced), and no other test may add calls to the count.

use futures::future::join_all;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use travel_proto::currency::v1 as pb;
use travel_proto::currency::v1::currency_service_client::CurrencyServiceClient;
use travel_tests::app::{TestApp, spawn_app};

const LATEST: &str = "/travel.currency.v1.CurrencyService/GetLatestRates";

/// Served calls of one gRPC method, all status codes together.
fn served(metrics: &PrometheusHandle, method: &str) -> u64 {
    let label = format!("method=\"{method}\"");
    metrics
        .render()
        .lines()
        .filter(|line| line.starts_with("travel_grpc_requests_total{") && line.contains(&label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// A "Redis" that accepts connections and never answers: every cache command of the
/// currency service waits for its timeout, so a read stays in flight long enough for
/// a whole burst of requests to arrive while it is (the all-in-one's gateway calls the
/// service in process, where nothing else would hold a call open).
async fn unresponsive_cache() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut sink = [0u8; 1024];
                while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    format!("redis://{addr}")
}

/// `n` concurrent identical requests, each with its own request id; returns the
/// answers' `data` after checking status and request id.
async fn burst(app: &TestApp, path: &str, n: usize, tag: &str) -> Vec<Value> {
    let calls = (0..n).map(|i| {
        let id = format!("{tag}-{i}");
        let request = app
            .http
            .get(app.url(path))
            .header("x-request-id", &id)
            .send();
        async move {
            let response = request.await.expect("gateway answers");
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["x-request-id"], id.as_str());
            let body: Value = response.json().await.unwrap();
            body["data"].clone()
        }
    });
    join_all(calls).await
}

#[tokio::test]
async fn identical_reads_in_flight_share_one_upstream_call() {
    let metrics = PrometheusBuilder::new().install_recorder().unwrap();
    let cache = unresponsive_cache().await;
    // No breaker: an open one would skip the cache, and an in-process call that does
    // not wait for it ends before the rest of a burst arrives.
    let slow_cache = [
        ("TRAVEL_CACHE_URL", cache.as_str()),
        ("TRAVEL_CACHE_TIMEOUT", "1s"),
        ("TRAVEL_CACHE_BREAKER_THRESHOLD", "0"),
    ];
    let path = "/api/v1/currencies/latest?symbols=USD,JPY,EUR";

    let app = spawn_app(&slow_cache).await;
    let before = served(&metrics, LATEST);
    let answers = burst(&app, path, 16, "on").await;
    assert_eq!(
        served(&metrics, LATEST) - before,
        1,
        "one call for 16 requests"
    );
    assert!(answers.iter().all(|data| *data == answers[0]));
    assert_eq!(answers[0]["base"], "KRW");
    assert_eq!(answers[0]["source"], "database", "{}", answers[0]);
    assert!(answers[0]["rates"]["USD"].as_f64().unwrap() > 1000.0);

    // An answer is never reused once its call is over: the next burst calls again.
    burst(&app, path, 4, "again").await;
    assert_eq!(served(&metrics, LATEST) - before, 2);

    // Different questions at the same time are not merged.
    let (usd, krw) = tokio::join!(
        burst(
            &app,
            "/api/v1/currencies/latest?symbols=JPY&base=USD",
            3,
            "usd"
        ),
        burst(&app, "/api/v1/currencies/latest?symbols=JPY", 3, "krw"),
    );
    assert_eq!(served(&metrics, LATEST) - before, 4);
    assert_eq!(usd[0]["base"], "USD");
    assert_eq!(krw[0]["base"], "KRW");
    assert_ne!(usd[0]["rates"]["JPY"], krw[0]["rates"]["JPY"]);

    // REST and gRPC-Web asking the same question at the same time share the call.
    let (service, origin) = app.grpc_web();
    let web = CurrencyServiceClient::with_origin(service, origin);
    let web_calls = (0..4).map(|_| {
        let mut web = web.clone();
        async move {
            web.get_latest_rates(pb::GetLatestRatesRequest {
                symbols: vec!["USD".into(), "JPY".into(), "EUR".into()],
                base: String::new(),
            })
            .await
            .expect("gRPC-Web answers")
            .into_inner()
        }
    });
    // The REST requests first wait out the rate limiter's cache (1 s), which gRPC-Web
    // does not pass; sent half-way through that wait, the gRPC-Web calls open the call
    // that the REST requests then join.
    let web = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        join_all(web_calls).await
    };
    let (rest, web) = tokio::join!(burst(&app, path, 4, "mixed"), web);
    assert_eq!(
        served(&metrics, LATEST) - before,
        5,
        "one call for 8 requests"
    );
    let usd = web[0]
        .rates
        .iter()
        .find(|r| r.currency_code == "USD")
        .unwrap();
    let usd: f64 = usd.rate.as_ref().unwrap().value.parse().unwrap();
    assert_eq!(rest[0]["rates"]["USD"].as_f64().unwrap(), usd);
    app.stop().await;

    // Switched off, every request makes its own call.
    let mut off = slow_cache.to_vec();
    off.push(("TRAVEL_COALESCE_READS", "false"));
    let app = spawn_app(&off).await;
    let before = served(&metrics, LATEST);
    let answers = burst(&app, path, 8, "off").await;
    assert_eq!(served(&metrics, LATEST) - before, 8);
    assert!(
        answers
            .iter()
            .all(|data| data["rates"] == answers[0]["rates"])
    );
    app.stop().await;
}
