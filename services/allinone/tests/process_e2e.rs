//! The real all-in-one process. SIGTERM under steady load: it reports itself unhealthy
//! for the drain period (a load balancer stops routing to it), keeps answering
//! meanwhile, finishes what is in flight, and exits 0 — with not one failed request.
//! And its Prometheus endpoint counts what the chart's alerts read.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real all-in-one binary on a free port; returns it once /health is 200.
async fn spawn(
    data_dir: &std::path::Path,
    extra: &[(&str, String)],
) -> (tokio::process::Child, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_travel-allinone"));
    command
        .env("TRAVEL_DATA_DIR", data_dir)
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_RANKING_EVERY", "off")
        .env("TRAVEL_RATE_LIMIT", "100000000")
        .env("TRAVEL_SELECTION_LIMIT", "0")
        .env("TRAVEL_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in extra {
        command.env(key, value);
    }
    let child = command.spawn().unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "all-in-one did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_drops_no_request() {
    let data_dir = tempfile::tempdir().unwrap();
    let (mut child, base) = spawn(
        data_dir.path(),
        &[("TRAVEL_SHUTDOWN_DRAIN", "1s".to_string())],
    )
    .await;
    let http = reqwest::Client::new();

    // The "load balancer": routes while /health says so, like a readiness probe.
    let routing = Arc::new(AtomicBool::new(true));
    let (sent, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut clients = Vec::new();
    for worker in 0..8u64 {
        let (http, base, routing) = (http.clone(), base.clone(), routing.clone());
        let (sent, failed) = (sent.clone(), failed.clone());
        clients.push(tokio::spawn(async move {
            let mut i = 0u64;
            while routing.load(Ordering::SeqCst) {
                i += 1;
                // Reads through two services and a write through a third.
                let request = match i % 3 {
                    0 => http.get(format!("{base}/api/v1/currencies/latest?symbols=USD,JPY")),
                    1 => http.get(format!("{base}/api/v1/history/stats?target=USD&period=1m")),
                    _ => http
                        .post(format!("{base}/api/v1/rankings/selections"))
                        .json(&serde_json::json!({"user_id": format!("w{worker}-{i}"), "country_code": "JP"})),
                };
                sent.fetch_add(1, Ordering::SeqCst);
                match request.send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => {
                        failed.fetch_add(1, Ordering::SeqCst);
                        eprintln!("failed: {}", r.status());
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::SeqCst);
                        eprintln!("failed: {e}");
                    }
                }
            }
        }));
    }
    let probe = {
        let (http, base, routing) = (http.clone(), base.clone(), routing.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                match http.get(format!("{base}/health")).send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => {
                        routing.store(false, Ordering::SeqCst);
                        return Some(r.status().as_u16());
                    }
                    Err(_) => {
                        routing.store(false, Ordering::SeqCst);
                        return None;
                    }
                }
            }
        })
    };

    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_signal = sent.load(Ordering::SeqCst);
    let pid = child.id().unwrap().to_string();
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());

    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    let exited_after = signalled.elapsed();
    for client in clients {
        client.await.unwrap();
    }
    let probe_saw = probe.await.unwrap();

    assert!(status.success(), "exit status {status}");
    // The balancer learnt from /health (503 while draining), not from a refused connection.
    assert_eq!(probe_saw, Some(503));
    // The drain period was honoured.
    assert!(
        exited_after >= Duration::from_millis(900),
        "{exited_after:?}"
    );
    let (sent, failed) = (sent.load(Ordering::SeqCst), failed.load(Ordering::SeqCst));
    assert!(sent > before_signal, "load continued after the signal");
    assert!(sent > 50, "steady load: {sent} requests");
    assert_eq!(failed, 0, "{failed} of {sent} requests failed");
}

/// The Prometheus endpoint the chart's ServiceMonitor scrapes, with the series its
/// alerts use: gateway requests by route and status, gRPC calls by method and code.
#[tokio::test]
async fn metrics_count_requests_by_route_and_grpc_code() {
    let data_dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let (_child, base) = spawn(
        data_dir.path(),
        &[("TRAVEL_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))],
    )
    .await;
    let http = reqwest::Client::new();
    for path in [
        "/api/v1/currencies/latest?symbols=USD",
        "/api/v1/currencies/latest?symbols=USD",
        "/api/v1/currencies/latest?symbols=XYZ",
    ] {
        http.get(format!("{base}{path}")).send().await.unwrap();
    }
    let text = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |needle: &[&str]| -> f64 {
        text.lines()
            .find(|line| needle.iter().all(|n| line.contains(n)))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no series with {needle:?} in:\n{text}"))
    };
    let latest = "route=\"/api/v1/currencies/latest\"";
    assert_eq!(
        value(&["travel_http_requests_total{", latest, "status=\"200\""]),
        2.0
    );
    assert_eq!(
        value(&["travel_http_requests_total{", latest, "status=\"400\""]),
        1.0
    );
    assert!(text.contains("travel_http_request_duration_seconds_bucket{"));
    let method = "method=\"/travel.currency.v1.CurrencyService/GetLatestRates\"";
    assert_eq!(
        value(&["travel_grpc_requests_total{", method, "code=\"0\""]),
        2.0
    );
    // INVALID_ARGUMENT
    assert_eq!(
        value(&["travel_grpc_requests_total{", method, "code=\"3\""]),
        1.0
    );
}
