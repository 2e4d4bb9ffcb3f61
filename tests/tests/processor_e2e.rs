//! The processor against a real store and cache: events in, rows and cache entries
//! out; bad records dead-lettered; and the exactly-once effect while the processor is
//! killed over and over in the middle of batches. Embedded adapters always; Kafka,
//! MariaDB and Redis with `--features infra`. A binary of its own: see the note in
//! `e2e/main.rs`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use travel_bus::{Bus, DLQ_REASON_HEADER, dead_letter_topic};
use travel_cache::Cache;
use travel_domain::{CurrencyCode, Observation, Quote};
use travel_events::{Provenance, RATES_TOPIC, encode};
use travel_feed::QuoteFeed;
use travel_processor::{Processor, ProcessorConfig};
use travel_runtime::Shutdown;
use travel_storage::RateStore;
use travel_tests::adapters::{self, TestRateStore};
use travel_tests::eventually;

const CURRENCIES: [&str; 6] = ["USD", "JPY", "EUR", "THB", "VND", "TWD"];
const SOURCES: [&str; 3] = ["KOREAEXIM", "BOK", "ECB"];

struct Rig {
    bus: Arc<dyn Bus>,
    store: Arc<dyn RateStore>,
    cache: Arc<dyn Cache>,
    /// Where the processor announces the quotes it moved forward.
    feed: Arc<dyn QuoteFeed>,
    topic: String,
    group: String,
    /// The store with what must be cleaned up after the test.
    rates: TestRateStore,
}

impl Rig {
    fn config(&self) -> ProcessorConfig {
        ProcessorConfig {
            topic: self.topic.clone(),
            group: self.group.clone(),
            batch_size: 50,
            poll_wait: Duration::from_millis(50),
            ..ProcessorConfig::default()
        }
    }

    async fn finish(self) {
        self.rates.finish().await;
    }
}

/// Embedded: in-process bus, SQLite, in-memory cache.
async fn rig() -> Rig {
    let rates = TestRateStore::sqlite().await;
    Rig {
        bus: adapters::memory_bus(),
        store: rates.store.clone(),
        cache: adapters::memory_cache().await,
        feed: Arc::new(travel_feed::memory::MemoryFeed::new()),
        topic: RATES_TOPIC.to_string(),
        group: "processor".to_string(),
        rates,
    }
}

/// Real servers: Kafka (tansu), MariaDB, Redis, each with names of its own.
#[cfg(feature = "infra")]
async fn rig_infra() -> Rig {
    rig_infra_on(&travel_tests::infra::kafka_url()).await
}

#[cfg(feature = "infra")]
async fn rig_infra_on(kafka_url: &str) -> Rig {
    let rates = TestRateStore::mysql().await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    Rig {
        bus: adapters::kafka_bus(kafka_url),
        store: rates.store.clone(),
        cache: adapters::redis_cache(&travel_tests::infra::redis_url()).await,
        feed: {
            let mut config = travel_cache::CacheConfig::new(
                url::Url::parse(&travel_tests::infra::redis_url()).unwrap(),
            );
            config.prefix = format!("feed-{id}:");
            travel_feed::connect(&config).await.unwrap()
        },
        topic: format!("exchange-rates-{id}"),
        group: format!("processor-{id}"),
        rates,
    }
}

fn event(i: u32) -> Observation {
    let currency = CURRENCIES[(i % 6) as usize];
    let source = SOURCES[(i / 6 % 3) as usize];
    // Five-minute observations over several days.
    let recorded_at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap()
        + chrono::Duration::minutes(5 * i64::from(i / 18));
    Observation {
        currency: CurrencyCode::parse(currency).unwrap(),
        source: source.to_string(),
        recorded_at,
        rate_date: recorded_at.date_naive(),
        mid: Decimal::from(1000 + i),
        tts: (source == "KOREAEXIM").then(|| Decimal::from(1010 + i)),
        ttb: (source == "KOREAEXIM").then(|| Decimal::from(990 + i)),
        raw_unit: 1,
        redistributable: true,
    }
}

async fn publish(bus: &dyn Bus, topic: &str, observation: &Observation) {
    bus.publisher()
        .unwrap()
        .publish(
            topic,
            observation.currency.as_str(),
            &encode(observation, &Provenance::default()),
            &[],
        )
        .await
        .unwrap();
}

/// Events `range`, every tenth twice, as a retrying ingestor would publish them.
#[cfg(feature = "infra")]
fn with_redeliveries(range: std::ops::Range<u32>) -> Vec<Observation> {
    range
        .flat_map(|i| std::iter::repeat_n(i, if i % 10 == 0 { 2 } else { 1 }))
        .map(event)
        .collect()
}

/// How many distinct observations the first `count` events are.
#[cfg(feature = "infra")]
fn distinct_events(count: u32) -> u64 {
    (0..count)
        .map(event)
        .map(|e| (e.currency, e.source, e.recorded_at))
        .collect::<BTreeSet<_>>()
        .len() as u64
}

/// A processor running in the background with small batches (a stream still flows
/// when a fault strikes); stop it with the shutdown, or abort the task to kill it.
#[cfg(feature = "infra")]
fn spawn_processor(
    rig: &Rig,
    batch_size: usize,
) -> (
    Shutdown,
    tokio::task::JoinHandle<Result<(), travel_bus::BusError>>,
) {
    let processor = Processor::new(
        rig.bus.clone(),
        rig.store.clone(),
        rig.cache.clone(),
        ProcessorConfig {
            batch_size,
            ..rig.config()
        },
    );
    let shutdown = Shutdown::new();
    let task = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { processor.run(shutdown).await })
    };
    (shutdown, task)
}

/// Runs a processor until the store holds `expected` observations, then stops it
/// gracefully.
async fn run_until(rig: &Rig, expected: u64) {
    let processor = Processor::new(
        rig.bus.clone(),
        rig.store.clone(),
        rig.cache.clone(),
        rig.config(),
    )
    .with_feed(rig.feed.clone());
    let shutdown = Shutdown::new();
    let task = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { processor.run(shutdown).await })
    };
    eventually(
        Duration::from_secs(120),
        Duration::from_millis(20),
        async || rig.store.observation_count(None).await.unwrap(),
        |&stored| stored >= expected,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown.trigger();
    task.await.unwrap().unwrap();
}

async fn events_become_rows_daily_aggregates_and_cache_entries(rig: Rig) {
    let dlq_topic = dead_letter_topic(&rig.topic);
    rig.bus
        .ensure_topics(&[&rig.topic, &dlq_topic])
        .await
        .unwrap();
    let events: Vec<Observation> = (0..360).map(event).collect();
    for e in &events {
        publish(rig.bus.as_ref(), &rig.topic, e).await;
    }
    // Redelivered duplicates and two bad records in the middle.
    for e in &events[100..150] {
        publish(rig.bus.as_ref(), &rig.topic, e).await;
    }
    let publisher = rig.bus.publisher().unwrap();
    publisher
        .publish(&rig.topic, "USD", b"\x08\xff garbage", &[])
        .await
        .unwrap();
    let mut negative = event(0);
    negative.mid = Decimal::from(-5);
    publish(rig.bus.as_ref(), &rig.topic, &negative).await;

    // Watching from before the first event: it sees each currency move forward.
    let mut watch = rig.feed.watch();
    run_until(&rig, 360).await;
    assert_eq!(rig.store.observation_count(None).await.unwrap(), 360);
    let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let usd_that_day = events
        .iter()
        .filter(|e| e.currency.as_str() == "USD" && e.rate_date == day)
        .count();
    let daily = rig
        .store
        .daily_rates(CurrencyCode::parse("USD").unwrap(), day, day)
        .await
        .unwrap();
    assert_eq!(daily[0].count as usize, usd_that_day);

    // The cache holds the newest quote of each currency, TTS/TTB included when given.
    for currency in CURRENCIES {
        let raw = rig
            .cache
            .get(&format!("rate:{currency}"))
            .await
            .unwrap()
            .unwrap();
        let cached: Quote = serde_json::from_str(&raw).unwrap();
        let stored = rig.store.latest_quotes(&[cached.currency]).await.unwrap();
        assert_eq!(cached, stored[0], "{currency}");
        let newest = events
            .iter()
            .filter(|e| e.currency.as_str() == currency)
            .map(|e| e.recorded_at)
            .max()
            .unwrap();
        assert_eq!(cached.recorded_at, newest, "{currency}");
    }

    // The feed announced the stored latest quotes: the watcher's last word on each
    // currency is the store's.
    let mut announced: std::collections::BTreeMap<CurrencyCode, Quote> = Default::default();
    let all: Vec<CurrencyCode> = CURRENCIES
        .iter()
        .map(|c| CurrencyCode::parse(c).unwrap())
        .collect();
    let mut stored = rig.store.latest_quotes(&all).await.unwrap();
    stored.sort_by_key(|q| q.currency);
    eventually(
        Duration::from_secs(10),
        Duration::ZERO,
        async || {
            if let Ok(changes) =
                tokio::time::timeout(Duration::from_millis(200), watch.changes()).await
            {
                announced.extend(changes.into_iter().map(|q| (q.currency, q)));
            }
            announced.values().cloned().collect::<Vec<_>>()
        },
        |seen| *seen == stored,
    )
    .await;
    assert_eq!(announced.into_values().collect::<Vec<_>>(), stored);

    // Both bad records are in the dead-letter topic with their reasons.
    let mut dlq = rig
        .bus
        .consumer(&format!("inspect-{}", rig.group), &[&dlq_topic])
        .await
        .unwrap();
    let mut dead = Vec::new();
    eventually(
        Duration::from_secs(30),
        Duration::ZERO,
        async || {
            dead.extend(dlq.poll(10, Duration::from_millis(500)).await.unwrap());
            dead.len()
        },
        |&received| received >= 2,
    )
    .await;
    assert_eq!(dead.len(), 2);
    let reasons: Vec<&str> = dead
        .iter()
        .map(|d| d.header(DLQ_REASON_HEADER).unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("undecodable")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("mid")), "{reasons:?}");
    drop(dlq);
    rig.finish().await;
}

/// Kills the processor `kills` times at pseudo-random points (about `pause_ms` apart)
/// while events flow; afterwards every distinct observation is stored exactly once.
async fn killed_mid_batch_again_and_again(rig: Rig, kills: usize, pause_ms: u64) {
    log_if_asked();
    rig.bus
        .ensure_topics(&[&rig.topic, &dead_letter_topic(&rig.topic)])
        .await
        .unwrap();
    let producer = {
        let bus = rig.bus.clone();
        let topic = rig.topic.clone();
        tokio::spawn(async move {
            for i in 0..1500u32 {
                publish(bus.as_ref(), &topic, &event(i)).await;
                // Every tenth event is published twice, as a retrying ingestor would.
                if i % 10 == 0 {
                    publish(bus.as_ref(), &topic, &event(i)).await;
                }
                if i % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..kills {
        let processor = Processor::new(
            rig.bus.clone(),
            rig.store.clone(),
            rig.cache.clone(),
            rig.config(),
        );
        let before = rig.store.observation_count(None).await.unwrap();
        let task = tokio::spawn(async move { processor.run(Shutdown::new()).await });
        // Each life first gets partitions and stores something (while events remain),
        // so that the kill lands in a running stream, not in the group join.
        if before < 1500 {
            eventually(
                Duration::from_secs(15),
                Duration::from_millis(5),
                async || rig.store.observation_count(None).await.unwrap(),
                |&stored| stored != before,
            )
            .await;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(
            pause_ms / 4 + seed % (pause_ms * 3 / 2).max(1),
        ))
        .await;
        // A crash: no shutdown signal, no commit of the batch in flight.
        task.abort();
        let _ = task.await;
    }
    producer.await.unwrap();
    run_until(&rig, 1500).await;

    assert_each_event_stored_once(&rig, 1500).await;
    rig.finish().await;
}

/// `TEST_LOG=1` (with `RUST_LOG`) shows the processor's and the bus's logs. The
/// subscriber is global to the process, which every end-to-end module shares: set up
/// once, whichever test asks first (`telemetry::init` keeps the first subscriber).
fn log_if_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if std::env::var("TEST_LOG").is_ok() {
        ONCE.call_once(|| {
            let env = travel_runtime::Env::from_process();
            let config =
                travel_runtime::telemetry::TelemetryConfig::from_env(&env, "test").unwrap();
            std::mem::forget(travel_runtime::telemetry::init(&config));
        });
    }
}

/// Events `0..count` are stored exactly once, and the daily rows count each once.
async fn assert_each_event_stored_once(rig: &Rig, count: u32) {
    let distinct: BTreeSet<(String, String, DateTime<Utc>)> = (0..count)
        .map(event)
        .map(|e| (e.currency.to_string(), e.source, e.recorded_at))
        .collect();
    assert_eq!(
        rig.store.observation_count(None).await.unwrap(),
        distinct.len() as u64
    );
    for currency in CURRENCIES {
        let code = CurrencyCode::parse(currency).unwrap();
        let expected = distinct.iter().filter(|(c, _, _)| c == currency).count() as u64;
        assert_eq!(
            rig.store.observation_count(Some(code)).await.unwrap(),
            expected,
            "{currency}"
        );
        let days = rig
            .store
            .daily_rates(
                code,
                NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            )
            .await
            .unwrap();
        let counted: u64 = days.iter().map(|d| u64::from(d.count)).sum();
        assert_eq!(counted, expected, "{currency} daily counts");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_events_become_rows_daily_aggregates_and_cache_entries() {
    events_become_rows_daily_aggregates_and_cache_entries(rig().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_killed_mid_batch_nothing_is_lost_or_doubled() {
    killed_mid_batch_again_and_again(rig().await, 25, 20).await;
}

#[cfg(feature = "infra")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_mysql_redis_events_become_rows_daily_aggregates_and_cache_entries() {
    events_become_rows_daily_aggregates_and_cache_entries(rig_infra().await).await;
}

#[cfg(feature = "infra")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_mysql_killed_mid_batch_nothing_is_lost_or_doubled() {
    // A broker of its own, so no other test's group churn shares it. Each life waits
    // for its partitions before it can be killed: tansu 0.6 never expires a member
    // that died inside the group join, and keeps partitions assigned to it (seen
    // here: every run stalled with kills during the join; Kafka/MSK expire it).
    let broker = travel_tests::infra::RestartableBroker::start().await;
    // A group join takes about a second on the test broker: fewer, longer lives.
    killed_mid_batch_again_and_again(rig_infra_on(&broker.url()).await, 8, 400).await;
}

/// The broker killed (SIGKILL) and restarted three times while the processor is in
/// the middle of a stream; afterwards every distinct event is stored exactly once.
/// Events are published in waves between the restarts: tansu 0.6 can lose records it
/// acknowledged to an idempotent producer that was sending at the moment of the kill
/// (a broker defect seen while probing it, not something a consumer can repair).
#[cfg(feature = "infra")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_broker_restarted_mid_stream_nothing_is_lost_or_doubled() {
    const WAVE: u32 = 150;
    const WAVES: u32 = 4;
    log_if_asked();
    let mut broker = travel_tests::infra::RestartableBroker::start().await;
    let rig = rig_infra_on(&broker.url()).await;
    rig.bus
        .ensure_topics(&[&rig.topic, &dead_letter_topic(&rig.topic)])
        .await
        .unwrap();
    // Small batches: the stream is still flowing when the broker goes down.
    let (shutdown, task) = spawn_processor(&rig, 10);
    let distinct_before = |wave: u32| distinct_events(wave * WAVE);
    let mut restarts_mid_stream = 0;
    for wave in 0..WAVES {
        // All in flight at once (the broker writes each record to S3), every tenth
        // twice; all acknowledged before any kill.
        let events = with_redeliveries(wave * WAVE..(wave + 1) * WAVE);
        futures::future::join_all(
            events
                .iter()
                .map(|e| publish(rig.bus.as_ref(), &rig.topic, e)),
        )
        .await;
        if wave + 1 == WAVES {
            break;
        }
        // Wait until the processor is into this wave, then pull the broker away.
        let floor = distinct_before(wave);
        let stored = eventually(
            Duration::from_secs(60),
            Duration::from_millis(5),
            async || rig.store.observation_count(None).await.unwrap(),
            |&stored| stored > floor,
        )
        .await;
        assert!(stored > floor, "wave {wave} not consumed");
        broker.kill();
        let at_kill = rig.store.observation_count(None).await.unwrap();
        if at_kill < distinct_before(wave + 1) {
            restarts_mid_stream += 1;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        broker.restart().await;
    }
    let total = WAVES * WAVE;
    let expected = distinct_before(WAVES);
    let stored = eventually(
        Duration::from_secs(60),
        Duration::from_millis(50),
        async || rig.store.observation_count(None).await.unwrap(),
        |&stored| stored >= expected,
    )
    .await;
    if stored < expected {
        for currency in CURRENCIES {
            let code = CurrencyCode::parse(currency).unwrap();
            eprintln!(
                "{currency}: {}",
                rig.store.observation_count(Some(code)).await.unwrap()
            );
        }
    }
    assert!(
        stored >= expected,
        "stored {stored} of {expected} after the restarts"
    );
    // Anything redelivered late would show up now as a doubled daily count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.trigger();
    task.await.unwrap().unwrap();
    assert!(
        restarts_mid_stream >= 1,
        "no restart hit the processor mid-stream; the test proved nothing"
    );
    assert_each_event_stored_once(&rig, total).await;
    rig.finish().await;
}

/// The broker partitioned from everyone mid-stream (a fault proxy in front of it
/// black-holes, then refuses): the ingestor's publishes wait it out, the processor is
/// killed while it lasts, a new one starts when it ends. Every event published before
/// and during the outage is stored exactly once, with no step by hand.
#[cfg(feature = "infra")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_partitioned_while_ingesting_and_the_processor_killed_nothing_is_lost_or_doubled() {
    use travel_tests::fault::Mode;
    const BEFORE: u32 = 150;
    const DURING: u32 = 60;
    log_if_asked();
    let (broker, proxy) = travel_tests::infra::RestartableBroker::start_behind_proxy().await;
    let rig = rig_infra_on(&broker.url()).await;
    rig.bus
        .ensure_topics(&[&rig.topic, &dead_letter_topic(&rig.topic)])
        .await
        .unwrap();
    let publish_all = |range: std::ops::Range<u32>| {
        let bus = rig.bus.clone();
        let topic = rig.topic.clone();
        async move {
            let events = with_redeliveries(range);
            futures::future::join_all(events.iter().map(|e| publish(bus.as_ref(), &topic, e)))
                .await;
        }
    };
    publish_all(0..BEFORE).await;
    // Small batches: the stream is still flowing when the partition starts.
    let start = || spawn_processor(&rig, 5);
    let (_, first) = start();
    let stored = eventually(
        Duration::from_secs(60),
        Duration::from_millis(5),
        async || rig.store.observation_count(None).await.unwrap(),
        |&stored| stored > 0,
    )
    .await;
    assert!(stored > 0, "nothing consumed before the partition");
    proxy.set(Mode::BlackHole);
    let at_partition = rig.store.observation_count(None).await.unwrap();
    // The ingestor publishes into the outage; its deliveries wait for the broker.
    let during = tokio::spawn(publish_all(BEFORE..BEFORE + DURING));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The processor dies without a goodbye while the broker is out of reach.
    first.abort();
    let _ = first.await;
    proxy.set(Mode::Refuse);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !during.is_finished(),
        "publishes went through the partition"
    );
    proxy.set(Mode::Pass);
    during.await.expect("every publish of the outage delivered");
    let (shutdown, second) = start();
    let expected = distinct_events(BEFORE + DURING);
    let stored = eventually(
        Duration::from_secs(90),
        Duration::from_millis(50),
        async || rig.store.observation_count(None).await.unwrap(),
        |&stored| stored >= expected,
    )
    .await;
    assert_eq!(
        stored, expected,
        "stored after the partition (at its start: {at_partition})"
    );
    assert!(
        at_partition < expected,
        "the partition came after the stream; the test proved nothing"
    );
    // Anything redelivered late would show up now as a doubled daily count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.trigger();
    second.await.unwrap().unwrap();
    assert_each_event_stored_once(&rig, BEFORE + DURING).await;
    rig.finish().await;
}
