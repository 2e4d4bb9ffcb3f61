//! SIGTERM under steady load: the process reports itself unhealthy for the drain
//! period (a load balancer stops routing to it), keeps answering meanwhile, finishes
//! what is in flight, and exits 0 — with not one failed request.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_drops_no_request() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_travel-allinone"))
        .env("TRAVEL_DATA_DIR", data_dir.path())
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_RANKING_EVERY", "off")
        .env("TRAVEL_RATE_LIMIT", "100000000")
        .env("TRAVEL_SELECTION_LIMIT", "0")
        .env("TRAVEL_SHUTDOWN_DRAIN", "1s")
        .env("TRAVEL_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
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
