//! The cluster topology as a test (`make test-infra`): the seven binaries as separate
//! processes, wired as the Helm chart wires them — `migrate --seed` (the chart's hooks),
//! then currency and history on MariaDB and Redis, ranking on DynamoDB (moto), the
//! processor on Kafka (tansu), the gateway in front; then an `ingestor run-once`
//! against a local server with a recorded Korea Eximbank answer. Checked through the
//! gateway: the ingested rate, a history window, a selection and a ranking; a trip
//! alert the ingested rate crosses, evaluated by two currency replicas on the Redis
//! change feed, fires once and its webhook is delivered once after a failed attempt;
//! the ingested rate reaches, over that feed, an SSE and a gRPC-Web client of the
//! gateway and a gRPC client of the second replica, and an SSE reconnect resumes;
//! and, from
//! the spans every process exports to a local OTLP receiver, one trace per path across
//! the processes: gateway → currency service → database for a REST read, ingestor →
//! Kafka record headers → processor → database for an ingested rate.
//!
//! The binaries come from `make test-infra`, which builds them with their cluster
//! features first and names their folder in `TRAVEL_TEST_BIN_DIR`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::Value;
use tokio::process::{Child, Command};
use travel_proto::currency::v1::currency_service_client::CurrencyServiceClient;
use travel_tests::bench::{free_port, wait_healthy};
use travel_tests::eventually;
use travel_tests::infra::{DynamoDbTables, MySqlDatabase, kafka_url, redis_url, unique_prefix};
use travel_tests::otlp::{self, Received};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KOREAEXIM: &str =
    include_str!("../../../libs/sources/tests/fixtures/koreaexim_20190314.json");

fn binary(name: &str) -> PathBuf {
    let dir = std::env::var("TRAVEL_TEST_BIN_DIR").unwrap_or_else(|_| {
        panic!("TRAVEL_TEST_BIN_DIR is not set: run this through `make test-infra`")
    });
    let file = PathBuf::from(dir).join(name);
    assert!(
        file.exists(),
        "{} is missing: `make test-infra` builds it",
        file.display()
    );
    file
}

/// The environment every process shares, as the chart's ConfigMaps give it.
fn command(name: &str, env: &[(String, String)]) -> Command {
    let mut command = Command::new(binary(name));
    command
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        // Spans are exported at info; the log lines go nowhere.
        .env("TRAVEL_LOG", "info")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn wait_port(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "nothing listens on {port} after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seven_binaries_serve_rates_history_selections_and_rankings() {
    let database = MySqlDatabase::create().await;
    let tables = DynamoDbTables::new().await;
    let traces = otlp::Receiver::start().await;
    let source = MockServer::start().await;
    Mock::given(path("/kexim"))
        .respond_with(ResponseTemplate::new(200).set_body_string(KOREAEXIM))
        .mount(&source)
        .await;
    let topic = format!("travel_t_{}", uuid::Uuid::new_v4().simple());
    // The webhook receiver fails the first delivery, then takes it.
    let receiver = MockServer::start().await;
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&receiver)
        .await;
    let ports: Vec<u16> = (0..6).map(|_| free_port().unwrap()).collect();
    let (currency, history, ranking, processor, gateway, replica) =
        (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
    let env: Vec<(String, String)> = [
        (
            "TRAVEL_DATABASE_URL",
            database.config.url.expose().to_string(),
        ),
        ("TRAVEL_DATABASE_AUTO_MIGRATE", "false".into()),
        ("TRAVEL_CACHE_URL", redis_url()),
        ("TRAVEL_CACHE_PREFIX", unique_prefix()),
        ("TRAVEL_BUS_URL", kafka_url()),
        ("TRAVEL_BUS_SESSION_TIMEOUT", "1s".into()),
        ("TRAVEL_RATES_TOPIC", topic.clone()),
        ("TRAVEL_PROCESSOR_GROUP", format!("{topic}_processor")),
        ("TRAVEL_SELECTIONS_URL", "dynamodb://".into()),
        (
            "TRAVEL_SELECTIONS_TABLE",
            tables.config.selections_table.clone(),
        ),
        (
            "TRAVEL_RANKING_RESULTS_TABLE",
            tables.config.results_table.clone(),
        ),
        (
            "TRAVEL_DYNAMODB_ENDPOINT",
            tables.config.endpoint.clone().unwrap(),
        ),
        ("TRAVEL_DYNAMODB_REGION", "ap-northeast-2".into()),
        ("TRAVEL_DYNAMODB_CREATE_TABLES", "true".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("TRAVEL_RANKING_EVERY", "off".into()),
        ("TRAVEL_HASH_SALT", "topology-salt".into()),
        ("TRAVEL_CURRENCY_ADDR", format!("127.0.0.1:{currency}")),
        ("TRAVEL_HISTORY_ADDR", format!("127.0.0.1:{history}")),
        ("TRAVEL_RANKING_ADDR", format!("127.0.0.1:{ranking}")),
        (
            "TRAVEL_PROCESSOR_HEALTH_ADDR",
            format!("127.0.0.1:{processor}"),
        ),
        ("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{gateway}")),
        (
            "TRAVEL_CURRENCY_URL",
            format!("http://127.0.0.1:{currency}"),
        ),
        ("TRAVEL_HISTORY_URL", format!("http://127.0.0.1:{history}")),
        ("TRAVEL_RANKING_URL", format!("http://127.0.0.1:{ranking}")),
        // Five processes on one host: no shared metrics port.
        ("TRAVEL_METRICS_ADDR", "off".into()),
        ("TRAVEL_SOURCES", "KOREAEXIM".into()),
        (
            "TRAVEL_SOURCE_KOREAEXIM_URL",
            format!("{}/kexim", source.uri()),
        ),
        ("TRAVEL_SOURCE_KOREAEXIM_KEY", "recorded".into()),
        // The recorded answer is of 2019, the seeded history of 2026: a jump the guard
        // (tested on its own) would hold back from a single source.
        ("TRAVEL_MAX_JUMP_PERCENT", "100".into()),
        ("TRAVEL_OTLP_ENDPOINT", traces.endpoint()),
        ("TRAVEL_SHUTDOWN_DRAIN", "0s".into()),
        // The webhook receiver is a local http server.
        ("TRAVEL_ALERT_WEBHOOK_ALLOW_HTTP", "true".into()),
        ("TRAVEL_ALERT_WEBHOOK_ALLOW_PRIVATE", "true".into()),
        ("TRAVEL_ALERT_WEBHOOK_BACKOFF", "300ms".into()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    // The chart's hooks: the schema, then the shipped history.
    let migrated = command("migrate", &env)
        .arg("--seed")
        .status()
        .await
        .unwrap();
    assert!(migrated.success(), "migrate --seed failed");

    let mut children: Vec<Child> = Vec::new();
    for name in ["currency", "history", "ranking", "processor"] {
        children.push(command(name, &env).spawn().unwrap());
    }
    // A second currency replica: it evaluates the same alerts on the same feed.
    children.push(
        command("currency", &env)
            .env("TRAVEL_CURRENCY_ADDR", format!("127.0.0.1:{replica}"))
            .spawn()
            .unwrap(),
    );
    for port in [currency, history, ranking, processor, replica] {
        wait_port(port, Duration::from_secs(60)).await;
    }
    children.push(command("gateway", &env).spawn().unwrap());
    let base = format!("http://127.0.0.1:{gateway}");
    wait_healthy(&reqwest::Client::new(), &base, Duration::from_secs(60))
        .await
        .unwrap();

    // An alert the ingested yen (10.1945 won, from 8.49) crosses.
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{base}/api/v1/alerts"))
        .json(&serde_json::json!({
            "currency": "JPY", "condition": "above", "threshold": 9.5,
            "webhook_url": format!("{}/hook", receiver.uri()),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alert_id = created["data"]["alert_id"]
        .as_str()
        .expect("created")
        .to_string();
    let token = created["data"]["token"].as_str().unwrap().to_string();
    let secret = created["data"]["secret"].as_str().unwrap().to_string();

    // Live watchers of the yen (the alert has read it already: the dollar's first read
    // below must still miss the cache), before the rate moves: SSE and gRPC-Web through
    // the gateway (its currency service), gRPC on the other replica.
    let mut sse = http
        .get(format!("{base}/api/v1/stream/rates?symbols=JPY"))
        .send()
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let snapshot = sse.next().await.unwrap().unwrap();
    assert_eq!(snapshot.event, "snapshot");
    let request = travel_proto::currency::v1::WatchRatesRequest {
        symbols: vec!["JPY".into()],
        base: String::new(),
    };
    let (web, origin) = travel_tests::app::grpc_web(&base);
    let mut grpc_web = CurrencyServiceClient::with_origin(web, origin)
        .watch_rates(request.clone())
        .await
        .unwrap()
        .into_inner();
    let mut grpc = CurrencyServiceClient::connect(format!("http://127.0.0.1:{replica}"))
        .await
        .unwrap()
        .watch_rates(request)
        .await
        .unwrap()
        .into_inner();
    for stream in [&mut grpc_web, &mut grpc] {
        assert!(stream.message().await.unwrap().unwrap().snapshot);
    }

    // The CronJob's run: fetch, publish to Kafka; the processor stores it.
    let ingested = command("ingestor", &env)
        .arg("run-once")
        .status()
        .await
        .unwrap();
    assert!(ingested.success(), "ingestor run-once failed");
    let get = async |path: &str| -> (u16, Value) {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    };
    let (_, detail) = eventually(
        Duration::from_secs(30),
        Duration::from_millis(200),
        async || get("/api/v1/currencies/USD").await,
        |(_, body)| body["data"]["source"] == "KOREAEXIM",
    )
    .await;
    assert_eq!(detail["data"]["current_rate"], 1134.5, "{detail}");
    assert_eq!(detail["data"]["tts"], 1145.84);

    // Announced on the Redis feed by the processor, seen by every watcher.
    let moved = tokio::time::timeout(Duration::from_secs(20), sse.next())
        .await
        .expect("an SSE change in time")
        .unwrap()
        .unwrap();
    assert_eq!(moved.event, "rates");
    let rates: Value = serde_json::from_str(&moved.data).unwrap();
    assert_eq!(rates["rates"]["JPY"], 10.1945, "{rates}");
    for stream in [&mut grpc_web, &mut grpc] {
        let message = tokio::time::timeout(Duration::from_secs(20), stream.message())
            .await
            .expect("a gRPC change in time")
            .unwrap()
            .unwrap();
        assert_eq!(message.rates[0].rate.as_ref().unwrap().value, "10.1945");
    }
    // A client that lost its stream comes back with the last id: a fresh snapshot.
    drop(sse);
    let mut resumed = http
        .get(format!("{base}/api/v1/stream/rates?symbols=JPY"))
        .header("last-event-id", moved.id.clone())
        .send()
        .await
        .unwrap()
        .bytes_stream()
        .eventsource();
    let again = resumed.next().await.unwrap().unwrap();
    assert_eq!(again.event, "snapshot");
    assert_eq!(again.id, moved.id);

    // The seeded ECB history answers through the history service.
    let (status, series) = get("/api/v1/history?target=EUR&start=2026-10-01&end=2026-10-30").await;
    assert_eq!(status, 200, "{series}");
    assert!(
        series["data"]["data_points"].as_u64().unwrap() >= 20,
        "{series}"
    );

    // A selection lands in DynamoDB and counts in the ranking.
    let response = http
        .post(format!("{base}/api/v1/rankings/selections"))
        .json(&serde_json::json!({"user_id": "topology", "country_code": "JP"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let response = http
        .post(format!("{base}/api/v1/rankings/calculate?period=daily"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, ranking_body) = get("/api/v1/rankings?period=daily").await;
    assert_eq!(status, 200, "{ranking_body}");
    assert_eq!(
        ranking_body["data"]["ranking"][0]["country_code"], "JP",
        "{ranking_body}"
    );

    // Fired once by one of the two evaluators; delivered on the second attempt.
    let (_, alert) = eventually(
        Duration::from_secs(30),
        Duration::from_millis(200),
        async || {
            let response = http
                .get(format!("{base}/api/v1/alerts/{alert_id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        },
        |(_, body)| body["data"]["delivery"] == "delivered",
    )
    .await;
    assert_eq!(alert["data"]["state"], "fired", "{alert}");
    assert_eq!(alert["data"]["fired_rate"], 10.1945, "{alert}");
    assert_eq!(alert["data"]["delivery_attempts"], 2, "{alert}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hooks = receiver.received_requests().await.unwrap();
    assert_eq!(
        hooks.len(),
        2,
        "one failed attempt, one delivery, nothing doubled"
    );
    for hook in &hooks {
        assert_eq!(hook.headers["idempotency-key"], alert_id.as_str());
        let signature = hook.headers["x-travel-signature"].to_str().unwrap();
        assert!(crate::alerts::signed_by(signature, &secret, &hook.body));
    }

    // Every service healthy behind the gateway.
    let (status, health) = get("/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["data"]["status"], "healthy", "{health}");

    // A clean stop flushes the spans each process still holds.
    for child in &children {
        let pid = child.id().unwrap().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
    }
    for child in &mut children {
        let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
    }
    let spans = traces.spans();
    assert_rest_trace(&spans);
    assert_ingestion_trace(&spans);
    tables.delete().await;
    database.drop_database().await;
}

fn find<'a>(
    spans: &'a [Received],
    service: &str,
    name: &str,
    attribute: Option<(&str, &str)>,
) -> Vec<&'a Received> {
    spans
        .iter()
        .filter(|s| s.service == service && s.name() == name)
        .filter(|s| attribute.is_none_or(|(key, value)| s.attribute(key).as_deref() == Some(value)))
        .collect()
}

/// A detail read that missed the cache: one trace from the gateway's HTTP span
/// through the currency service's gRPC span (its child, across the processes) to the
/// database span.
fn assert_rest_trace(spans: &[Received]) {
    let reads = find(
        spans,
        "gateway",
        "http",
        Some(("path", "/api/v1/currencies/USD")),
    );
    assert!(
        !reads.is_empty(),
        "no gateway span of the detail read among {} spans",
        spans.len()
    );
    let found = reads.iter().any(|http| {
        spans.iter().any(|grpc| {
            grpc.service == "currency"
                && grpc.name() == "grpc"
                && grpc.span.parent_span_id == http.span.span_id
                && grpc.span.trace_id == http.span.trace_id
                && spans.iter().any(|db| {
                    db.service == "currency"
                        && db.name() == "db"
                        && db.attribute("db.system").as_deref() == Some("mysql")
                        && otlp::descends_from(spans, db, grpc)
                })
        })
    });
    assert!(
        found,
        "no gateway → currency → database trace among {spans:#?}"
    );
}

/// The ingestion run's trace continues in the processor (through the records'
/// traceparent header) down to the database write.
fn assert_ingestion_trace(spans: &[Received]) {
    let runs = find(spans, "ingestor", "run_once", None);
    assert_eq!(runs.len(), 1, "one ingestion run: {runs:#?}");
    let run = runs[0];
    let batches: Vec<_> = find(spans, "processor", "process_batch", None)
        .into_iter()
        .filter(|b| b.span.trace_id == run.span.trace_id)
        .collect();
    assert!(
        !batches.is_empty(),
        "no processor batch in the run's trace: {spans:#?}"
    );
    assert!(batches.iter().all(|b| otlp::descends_from(spans, b, run)));
    let writes = find(
        spans,
        "processor",
        "db",
        Some(("db.operation", "record_observations")),
    );
    assert!(
        writes
            .iter()
            .any(|w| batches.iter().any(|b| otlp::descends_from(spans, w, b))),
        "no database write inside the run's batches: {writes:#?}"
    );
}
