//! The ingestor against local HTTP servers serving recorded payloads (the public
//! sources are out of reach here): fallbacks, garbage, time-outs, the circuit breaker
//! on tokio's clock, keys kept out of errors, and the whole pipeline on the all-in-one.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use travel_bus::{Bus, Publisher, Record};
use travel_cache::Cache;
use travel_domain::Catalog;
use travel_ingestor::{IngestError, Ingestor, IngestorConfig, SourceOutcome, TokioClock};
use travel_runtime::Env;
use travel_tests::eventually;
use wiremock::matchers::{path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KOREAEXIM: &str =
    include_str!("../../../libs/sources/tests/fixtures/koreaexim_20190314.json");
const ECOS: &str = include_str!("../../../libs/sources/tests/fixtures/ecos_20190314.json");
const ECB: &str = include_str!("../../../libs/sources/tests/fixtures/ecb_daily_20261030.xml");
const KEY: &str = "secret-key-123";

async fn serve(server: &MockServer, route: &str, status: u16, body: &str) {
    Mock::given(path(route))
        .respond_with(ResponseTemplate::new(status).set_body_string(body))
        .mount(server)
        .await;
}

fn env(server: &MockServer, extra: &[(&str, &str)]) -> Env {
    let base = server.uri();
    let mut pairs: Vec<(String, String)> = vec![
        ("TRAVEL_SOURCES".into(), "KOREAEXIM,ECOS,ECB".into()),
        (
            "TRAVEL_SOURCE_KOREAEXIM_URL".into(),
            format!("{base}/kexim"),
        ),
        ("TRAVEL_SOURCE_KOREAEXIM_KEY".into(), KEY.into()),
        ("TRAVEL_SOURCE_ECOS_URL".into(), format!("{base}/ecos")),
        ("TRAVEL_SOURCE_ECOS_KEY".into(), KEY.into()),
        ("TRAVEL_SOURCE_ECB_URL".into(), format!("{base}/ecb.xml")),
        ("TRAVEL_SOURCE_TIMEOUT".into(), "300ms".into()),
        ("TRAVEL_SOURCE_RETRIES".into(), "1".into()),
        ("TRAVEL_SOURCE_WALK_BACK_DAYS".into(), "2".into()),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    Env::from_pairs(pairs)
}

struct Rig {
    bus: Arc<dyn Bus>,
    publisher: Arc<dyn Publisher>,
    cache: Arc<dyn Cache>,
}

async fn rig() -> Rig {
    let bus = travel_tests::adapters::memory_bus();
    let cache = travel_tests::adapters::memory_cache().await;
    Rig {
        publisher: bus.publisher().unwrap(),
        bus,
        cache,
    }
}

fn ingestor(rig: &Rig, env: &Env) -> Ingestor {
    let clock =
        TokioClock::starting_at(chrono::Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap());
    Ingestor::new(
        IngestorConfig::from_env(env).unwrap(),
        rig.publisher.clone(),
        rig.cache.clone(),
        Arc::new(clock),
    )
}

/// What was published to the rates topic, read by a consumer group of its own.
async fn published_records(rig: &Rig, group: &str) -> Vec<Record> {
    let mut consumer = rig
        .bus
        .consumer(group, &[travel_events::RATES_TOPIC])
        .await
        .unwrap();
    consumer
        .poll(1000, Duration::from_millis(200))
        .await
        .unwrap()
}

async fn published_events(rig: &Rig) -> Vec<travel_domain::Observation> {
    let catalog = Catalog::new();
    published_records(rig, "inspect")
        .await
        .iter()
        .map(|r| travel_events::decode(&r.key, &r.payload, &catalog).unwrap())
        .collect()
}

/// The trace ids in the `traceparent` headers of the published records.
async fn published_trace_ids(rig: &Rig) -> Vec<String> {
    published_records(rig, "inspect-traces")
        .await
        .iter()
        .map(|r| {
            let value = r
                .header(travel_runtime::context::TRACEPARENT)
                .expect("traceparent");
            travel_runtime::context::trace_id(value)
                .expect("a well-formed traceparent")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn all_sources_up_the_newest_day_wins_with_real_tts_ttb() {
    let server = MockServer::start().await;
    Mock::given(path("/kexim"))
        .and(query_param("authkey", KEY))
        .and(query_param("searchdate", "20261127"))
        .and(query_param("data", "AP01"))
        .respond_with(ResponseTemplate::new(200).set_body_string(KOREAEXIM))
        .mount(&server)
        .await;
    Mock::given(path_regex(format!(
        "^/ecos/{KEY}/json/kr/1/1000/731Y001/D/20261125/20261127$"
    )))
    .respond_with(ResponseTemplate::new(200).set_body_string(ECOS))
    .mount(&server)
    .await;
    serve(&server, "/ecb.xml", 200, ECB).await;
    let rig = rig().await;
    let report = ingestor(&rig, &env(&server, &[])).run_once().await.unwrap();
    assert!(
        report
            .sources
            .iter()
            .all(|(_, o)| matches!(o, SourceOutcome::Fetched { .. })),
        "{report:?}"
    );
    let events = published_events(&rig).await;
    assert_eq!(events.len(), report.published);
    // Every record carries W3C trace context, without a tracer too: one trace per run.
    let traces = published_trace_ids(&rig).await;
    assert_eq!(traces.len(), report.published);
    assert!(
        traces.iter().all(|t| t.len() == 32 && t == &traces[0]),
        "{traces:?}"
    );
    // USD: Korea Eximbank's day (searched 2026-11-27) is the newest; its TTS/TTB travel.
    let usd = events
        .iter()
        .find(|e| e.currency.as_str() == "USD")
        .unwrap();
    assert_eq!(usd.source, "KOREAEXIM");
    assert_eq!(usd.rate_date.to_string(), "2026-11-27");
    assert_eq!(usd.tts.unwrap().to_string(), "1145.84");
    // JPY(100) normalised to one yen.
    let jpy = events
        .iter()
        .find(|e| e.currency.as_str() == "JPY")
        .unwrap();
    assert_eq!(jpy.mid.to_string(), "10.1945");
    // THB only via the ECB (2026-10-30) and Korea Eximbank: the newer wins.
    assert!(events.iter().all(|e| e.redistributable));
}

#[tokio::test]
async fn a_failing_source_falls_through_to_the_next_and_keys_stay_secret() {
    let server = MockServer::start().await;
    serve(&server, "/kexim", 500, "<html>oops</html>").await;
    Mock::given(path_regex("^/ecos/.*"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{garbage"))
        .mount(&server)
        .await;
    serve(&server, "/ecb.xml", 200, ECB).await;
    let rig = rig().await;
    let report = ingestor(&rig, &env(&server, &[])).run_once().await.unwrap();
    let reasons: Vec<String> = report
        .sources
        .iter()
        .filter_map(|(name, o)| match o {
            SourceOutcome::Failed { reason } => Some(format!("{name}: {reason}")),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("HTTP 500"), "{reasons:?}");
    assert!(reasons[1].contains("malformed"), "{reasons:?}");
    assert!(
        reasons.iter().all(|r| !r.contains(KEY)),
        "keys never appear in errors"
    );
    let events = published_events(&rig).await;
    assert!(events.iter().all(|e| e.source == "ECB"));
    assert_eq!(
        events
            .iter()
            .find(|e| e.currency.as_str() == "USD")
            .unwrap()
            .mid
            .to_string(),
        "1335.2667382743"
    );
}

#[tokio::test]
async fn all_failing_is_an_error_with_every_reason_and_slow_sources_time_out() {
    let server = MockServer::start().await;
    Mock::given(path("/kexim"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(KOREAEXIM)
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    Mock::given(path_regex("^/ecos/.*"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"RESULT":{"CODE":"INFO-100","MESSAGE":"invalid key"}}"#),
        )
        .mount(&server)
        .await;
    serve(&server, "/ecb.xml", 503, "").await;
    let rig = rig().await;
    let started = std::time::Instant::now();
    let error = ingestor(&rig, &env(&server, &[]))
        .run_once()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "time-outs bound the run"
    );
    let IngestError::NothingPublished(sources) = &error else {
        panic!("{error}")
    };
    assert_eq!(sources.len(), 3);
    let text = error.to_string();
    assert!(
        text.contains("KOREAEXIM: request failed")
            && text.contains("authentication refused")
            && text.contains("HTTP 503"),
        "{text}"
    );
    assert!(published_events(&rig).await.is_empty());
}

#[tokio::test]
async fn the_breaker_opens_after_three_failures_and_closes_after_the_cool_down() {
    let server = MockServer::start().await;
    serve(&server, "/ecb.xml", 500, "").await;
    let rig = rig().await;
    let env = env(
        &server,
        &[
            ("TRAVEL_SOURCES", "ECB"),
            ("TRAVEL_SOURCE_RETRIES", "0"),
            ("TRAVEL_BREAKER_COOL_DOWN", "10m"),
        ],
    );
    let ingestor = ingestor(&rig, &env);
    for _ in 0..3 {
        assert!(ingestor.run_once().await.is_err());
    }
    let calls = server.received_requests().await.unwrap().len();
    assert_eq!(calls, 3);
    // Open: skipped without a request.
    let IngestError::NothingPublished(sources) = ingestor.run_once().await.unwrap_err() else {
        panic!()
    };
    assert!(
        matches!(&sources[0].1, SourceOutcome::Skipped { reason } if reason.contains("circuit open"))
    );
    assert_eq!(server.received_requests().await.unwrap().len(), calls);

    // Ten minutes later on tokio's clock the source is tried again.
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(9 * 60)).await;
    assert!(ingestor.run_once().await.is_err());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        calls,
        "still open after nine minutes"
    );
    tokio::time::advance(Duration::from_secs(61)).await;
    tokio::time::resume();
    server.reset().await;
    serve(&server, "/ecb.xml", 200, ECB).await;
    let report = ingestor.run_once().await.unwrap();
    assert!(report.published > 0);
}

/// The recorded Korea Eximbank day with USD's mid replaced.
fn koreaexim_with_usd(mid: &str) -> String {
    let recorded = "\"deal_bas_r\":\"1,134.5\"";
    assert!(KOREAEXIM.contains(recorded));
    KOREAEXIM.replace(recorded, &format!("\"deal_bas_r\":\"{mid}\""))
}

fn rejected(report: &travel_ingestor::RunReport, currency: &str) -> bool {
    report.rejected.iter().any(|(c, _)| c.as_str() == currency)
}

#[tokio::test]
async fn the_jump_guard_compares_with_the_stored_quote_and_else_the_last_published() {
    let server = MockServer::start().await;
    serve(&server, "/kexim", 200, KOREAEXIM).await;
    let rig = rig().await;
    let env = env(&server, &[("TRAVEL_SOURCES", "KOREAEXIM")]);
    let ingestor = ingestor(&rig, &env);
    let usd = travel_domain::CurrencyCode::parse("USD").unwrap();

    // The stored quote (the processor's cache entry) says 1000: 1134.5 from one source
    // is a 13 % jump, held back.
    let mut stored = travel_domain::quote::krw_identity(chrono::Utc::now());
    stored.currency = usd;
    stored.mid = rust_decimal::Decimal::from(1000);
    stored.source = "ECB".into();
    let ttl = Duration::from_secs(60);
    travel_cache::latest_quotes::write(&*rig.cache, &[stored], ttl)
        .await
        .unwrap();
    let report = ingestor.run_once().await.unwrap();
    assert!(rejected(&report, "USD"), "{report:?}");

    // No entry (expired) and nothing published yet: no reference, accepted.
    rig.cache
        .delete(&travel_cache::latest_quotes::key(usd))
        .await
        .unwrap();
    let report = ingestor.run_once().await.unwrap();
    assert!(!rejected(&report, "USD"), "{report:?}");

    // Still no entry: the mid published last (1134.5) is the reference, so a 26 %
    // jump is held back, and a 1 % move passes.
    server.reset().await;
    serve(&server, "/kexim", 200, &koreaexim_with_usd("1,434.5")).await;
    let report = ingestor.run_once().await.unwrap();
    assert!(rejected(&report, "USD"), "{report:?}");
    server.reset().await;
    serve(&server, "/kexim", 200, &koreaexim_with_usd("1,145.5")).await;
    let report = ingestor.run_once().await.unwrap();
    assert!(!rejected(&report, "USD"), "{report:?}");
}

#[tokio::test]
async fn the_pipeline_on_the_all_in_one_serves_ingested_quotes_with_tts_ttb() {
    let server = MockServer::start().await;
    serve(&server, "/kexim", 200, KOREAEXIM).await;
    let base = server.uri();
    let kexim = format!("{base}/kexim");
    let app = travel_tests::app::spawn_app(&[
        ("TRAVEL_INGEST_EVERY", "1h"),
        ("TRAVEL_SOURCES", "KOREAEXIM"),
        ("TRAVEL_SOURCE_KOREAEXIM_URL", &kexim),
        ("TRAVEL_SOURCE_KOREAEXIM_KEY", KEY),
        // The recorded payload is of 2019 and the seeded quotes of 2026: a 15 % "jump"
        // the guard (tested on its own) would rightly hold back from a single source.
        ("TRAVEL_MAX_JUMP_PERCENT", "100"),
    ])
    .await;
    // The first run happens right after start-up; the processor stores it.
    let (_, detail) = eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || app.get_json("/api/v1/currencies/USD").await,
        |(_, body)| body["data"]["source"] == "KOREAEXIM",
    )
    .await;
    assert_eq!(detail["data"]["source"], "KOREAEXIM", "{detail}");
    assert_eq!(detail["data"]["current_rate"], 1134.5);
    assert_eq!(detail["data"]["tts"], 1145.84);
    assert_eq!(detail["data"]["ttb"], 1123.15);
    let response = app
        .http
        .get(app.url("/api/v1/currencies/latest?symbols=JPY,CNH"))
        .send()
        .await
        .unwrap();
    // Just ingested: fresh until the next ingestion is due (the 5-minute rate cache
    // lifetime after the quote), so browsers and CDNs may hold it that long.
    let control = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string();
    let max_age: u64 = control
        .strip_prefix("public, max-age=")
        .and_then(|age| age.parse().ok())
        .unwrap_or_else(|| panic!("{control}"));
    assert!((250..=300).contains(&max_age), "{control}");
    let latest: serde_json::Value = response.json().await.unwrap();
    assert_eq!(latest["data"]["rates"]["JPY"], 10.1945);
    assert_eq!(latest["data"]["rate_sources"]["CNH"], "KOREAEXIM");
    // And the history has the intraday observation.
    let (_, history) = app
        .get_json("/api/v1/history?period=1w&target=USD&interval=hourly")
        .await;
    let last = history["data"]["results"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["rate"], 1134.5);
    app.stop().await;
}

#[tokio::test]
async fn ecos_range_backfill_reads_every_page_and_publishes_stable_keys() {
    let server = MockServer::start().await;
    // Page one says there are 1,003 rows; page two holds the rest.
    let first_page = ECOS.replacen("\"list_total_count\": 3", "\"list_total_count\": 1003", 1);
    Mock::given(path(format!(
        "/ecos/{KEY}/json/kr/1/1000/731Y001/D/20190311/20190315"
    )))
    .respond_with(ResponseTemplate::new(200).set_body_string(first_page))
    .mount(&server)
    .await;
    let second_page = r#"{"StatisticSearch":{"list_total_count":1003,"row":[
        {"ITEM_CODE1":"0000035","TIME":"20190315","DATA_VALUE":"4.89"}]}}"#;
    Mock::given(path(format!(
        "/ecos/{KEY}/json/kr/1001/2000/731Y001/D/20190311/20190315"
    )))
    .respond_with(ResponseTemplate::new(200).set_body_string(second_page))
    .mount(&server)
    .await;
    let rig = rig().await;
    let config = IngestorConfig::from_env(&env(&server, &[("TRAVEL_SOURCES", "ECOS")])).unwrap();
    let from = chrono::NaiveDate::from_ymd_opt(2019, 3, 11).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2019, 3, 15).unwrap();
    let published =
        travel_ingestor::backfill::ecos_range(&config, rig.publisher.as_ref(), from, to)
            .await
            .unwrap();
    assert_eq!(published, 4);
    let events = published_events(&rig).await;
    let vnd = events
        .iter()
        .find(|e| e.currency.as_str() == "VND")
        .unwrap();
    assert_eq!(vnd.mid.to_string(), "0.0489", "per 100 dong in the payload");
    assert_eq!(vnd.source, "BOK");
    assert_eq!(
        vnd.recorded_at.to_rfc3339(),
        "2019-03-15T09:00:00+00:00",
        "18:00 KST of the rate's day"
    );
    // A reversed range is refused before any request.
    assert!(
        travel_ingestor::backfill::ecos_range(&config, rig.publisher.as_ref(), to, from)
            .await
            .is_err()
    );
}
