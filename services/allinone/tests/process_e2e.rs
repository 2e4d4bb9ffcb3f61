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
/// A port found free can be taken before the child binds it (the other tests'
/// processes bind ephemeral ports too): a child that exits early is started again on
/// another port.
async fn spawn(
    data_dir: &std::path::Path,
    extra: &[(&str, String)],
) -> (tokio::process::Child, String) {
    for _attempt in 0..5 {
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
        let mut child = command.spawn().unwrap();
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = http.get(format!("{base}/health")).send().await
                && r.status().is_success()
            {
                return (child, base);
            }
            if child.try_wait().unwrap().is_some() {
                eprintln!("the all-in-one exited before answering on port {port}; again");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "all-in-one did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("the all-in-one exited before answering, five times");
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

    // The "load balancer": routes while /readyz says so, as the chart's readiness probe.
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
                match http.get(format!("{base}/readyz")).send().await {
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
    // The balancer learnt from /readyz (503 while draining), not from a refused connection.
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

/// Distinctive values in every secret-bearing variable, with everything logged: none
/// may show in the output, in `/metrics`, in `/health` or in an error body. The
/// database and cache are unreachable, so the paths that name them in errors and
/// retries run too. The all-in-one has no Kafka client (`make run` builds none): a
/// `kafka://` bus URL stops it at start-up, and that error must not show the
/// password either.
#[tokio::test]
async fn secrets_never_reach_logs_metrics_health_or_error_bodies() {
    let secrets = [
        "db-pw-7Qx3vJ",
        "cache-pw-9Lm2kP",
        "bus-pw-4Kd8sW",
        "exim-key-2Rw5nB",
        "ecos-key-8Hn4tC",
        "salt-5Jp7yD",
        "operator-3Zc9qF",
    ];
    let data_dir = tempfile::tempdir().unwrap();
    let (port, metrics_port, closed) = (free_port(), free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    let output_path = data_dir.path().join("output.log");
    let output = std::fs::File::create(&output_path).unwrap();
    let key_file = data_dir.path().join("ecos.key");
    std::fs::write(&key_file, format!("{}\n", secrets[4])).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_travel-allinone"))
        .env("TRAVEL_DATA_DIR", data_dir.path())
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("TRAVEL_LOG", "trace")
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_RANKING_EVERY", "off")
        .env("TRAVEL_SEED", "false")
        .env("TRAVEL_DATABASE_AUTO_MIGRATE", "false")
        .env(
            "TRAVEL_DATABASE_URL",
            format!("mysql://app:{}@127.0.0.1:{closed}/travel", secrets[0]),
        )
        .env(
            "TRAVEL_CACHE_URL",
            format!("redis://:{}@127.0.0.1:{closed}", secrets[1]),
        )
        .env("TRAVEL_SOURCE_KOREAEXIM_KEY", secrets[3])
        .env("TRAVEL_SOURCE_ECOS_KEY_FILE", &key_file)
        .env("TRAVEL_HASH_SALT", secrets[5])
        .env("TRAVEL_OPERATOR_API_KEY", secrets[6])
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the gateway never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut answers = Vec::new();
    let mut keep = |what: &str, status: u16, body: String| {
        answers.push((what.to_string(), status, body));
    };
    for path in [
        "/health",
        "/readyz",
        "/livez",
        "/api/v1/currencies/latest?symbols=USD",
        "/api/v1/currencies/XYZ",
        "/api/v1/history/stats?target=USD&period=1m",
    ] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        keep(
            path,
            response.status().as_u16(),
            response.text().await.unwrap(),
        );
    }
    let response = http
        .post(format!("{base}/api/v1/rankings/calculate"))
        .bearer_auth("not-the-key")
        .send()
        .await
        .unwrap();
    keep(
        "calculate",
        response.status().as_u16(),
        response.text().await.unwrap(),
    );
    let response = http
        .post(format!("{base}/api/v1/rankings/selections"))
        .json(&serde_json::json!({"user_id": "u1", "country_code": "JP"}))
        .send()
        .await
        .unwrap();
    keep(
        "selection",
        response.status().as_u16(),
        response.text().await.unwrap(),
    );
    // Let the cache's reconnect loop log a few rounds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let metrics = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    keep("metrics", 200, metrics);

    let pid = child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    let log = std::fs::read_to_string(&output_path).unwrap();

    // The answers are the ones that should name no secret even by accident: a dead
    // database and cache, a refused operator call, a stored selection.
    let status_of = |what: &str| answers.iter().find(|a| a.0 == what).unwrap().1;
    // The database and cache are down, the selection store is not: degraded, and this
    // replica stays ready — readiness never asks a shared backend.
    let body_of = |what: &str| answers.iter().find(|a| a.0 == what).unwrap().2.clone();
    assert_eq!(status_of("/health"), 200, "{answers:?}");
    assert!(
        body_of("/health").contains(r#""status":"degraded""#),
        "{answers:?}"
    );
    assert!(
        body_of("/health").contains(r#""database":"unhealthy""#),
        "{answers:?}"
    );
    assert_eq!(status_of("/readyz"), 200, "{answers:?}");
    assert_eq!(status_of("/livez"), 200, "{answers:?}");
    assert_eq!(status_of("/api/v1/currencies/latest?symbols=USD"), 503);
    assert_eq!(status_of("/api/v1/currencies/XYZ"), 404);
    assert_eq!(status_of("calculate"), 401);
    assert_eq!(status_of("selection"), 201, "{answers:?}");
    // Everything was logged, the start-up line shows the URLs masked.
    assert!(log.contains("TRACE"), "not a trace-level log");
    assert!(log.contains("starting the all-in-one"), "{log}");
    assert!(log.contains("mysql://app:***@127.0.0.1"), "{log}");
    assert!(log.contains("redis://:***@127.0.0.1"), "{log}");
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "{secret} in the output:\n{}",
            log.lines()
                .filter(|l| l.contains(secret))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
        for (what, _, body) in &answers {
            assert!(!body.contains(secret), "{secret} in {what}: {body}");
        }
    }

    // The bus URL with its SASL password, refused at start-up by this build.
    let bus_url = format!(
        "kafka://svc:{}@127.0.0.1:{closed}?security.protocol=SASL_PLAINTEXT&sasl.mechanism=PLAIN",
        secrets[2]
    );
    let refused = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(env!("CARGO_BIN_EXE_travel-allinone"))
            .env("TRAVEL_DATA_DIR", data_dir.path())
            .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("TRAVEL_LOG", "trace")
            .env("TRAVEL_SEED", "false")
            .env("TRAVEL_BUS_URL", &bus_url)
            .output(),
    )
    .await
    .expect("the all-in-one did not stop on a Kafka bus URL")
    .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!refused.status.success(), "{output}");
    assert!(output.contains("TRAVEL_BUS_URL"), "{output}");
    assert!(output.contains("Kafka"), "{output}");
    assert!(!output.contains(secrets[2]), "{output}");
}

#[test]
fn help_and_version_answer_and_unknown_arguments_are_refused() {
    let run = |arg: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_travel-allinone"))
            .arg(arg)
            .env_clear()
            .output()
            .unwrap()
    };
    let help = run("--help");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("TRAVEL_"), "{text}");
    let version = run("--version");
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
    // Not started with a typo on the command line: refused with the usage.
    let typo = run("--prot=9000");
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("--prot"));
}
