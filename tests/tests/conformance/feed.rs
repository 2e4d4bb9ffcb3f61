//! One conformance suite for the change feed: the in-process adapter always, Redis
//! pub/sub with `--features infra` (make test-infra). Each case gets two handles on
//! one feed — an announcer and a watcher side: the same object in-process, two
//! connections (two processes, as the processor and the currency service) on Redis.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use travel_domain::{CurrencyCode, Quote};
use travel_feed::{QuoteFeed, Watch};

type Pair = (Arc<dyn QuoteFeed>, Arc<dyn QuoteFeed>);

async fn memory() -> Pair {
    let feed: Arc<dyn QuoteFeed> = Arc::new(travel_feed::memory::MemoryFeed::new());
    (feed.clone(), feed)
}

#[cfg(feature = "infra")]
async fn redis() -> Pair {
    let mut config =
        travel_cache::CacheConfig::new(url::Url::parse(&travel_tests::infra::redis_url()).unwrap());
    config.prefix = travel_tests::infra::unique_prefix();
    (
        travel_feed::connect(&config).await.unwrap(),
        travel_feed::connect(&config).await.unwrap(),
    )
}

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap() + chrono::Duration::seconds(second.into())
}

fn quote(code: &str, mid: i64, second: u32) -> Quote {
    Quote {
        currency: CurrencyCode::parse(code).unwrap(),
        mid: Decimal::from(mid),
        tts: None,
        ttb: None,
        recorded_at: at(second),
        rate_date: at(second).date_naive(),
        source: "TEST".to_string(),
    }
}

/// The next changes, or a failure after a few seconds (Redis delivers asynchronously).
async fn next(watch: &mut Watch) -> Vec<Quote> {
    tokio::time::timeout(Duration::from_secs(5), watch.changes())
        .await
        .expect("a change within 5 s")
}

/// Reads changes until one of `code` arrives; returns everything read.
async fn until(watch: &mut Watch, code: &str) -> Vec<Quote> {
    let mut seen = Vec::new();
    while !seen.iter().any(|q: &Quote| q.currency.as_str() == code) {
        seen.extend(next(watch).await);
    }
    seen
}

async fn a_watcher_gets_the_current_quotes_then_each_change((announcer, watcher): Pair) {
    let usd = quote("USD", 1380, 0);
    announcer
        .announce(std::slice::from_ref(&usd))
        .await
        .unwrap();
    // A watcher that starts later still gets the current quote first.
    let mut watch = watcher.watch();
    assert_eq!(until(&mut watch, "USD").await, vec![usd]);
    let jpy = quote("JPY", 9, 1);
    announcer
        .announce(std::slice::from_ref(&jpy))
        .await
        .unwrap();
    assert_eq!(until(&mut watch, "JPY").await, vec![jpy]);
}

async fn an_older_quote_does_not_move_a_currency_back((announcer, watcher): Pair) {
    let mut watch = watcher.watch();
    let newer = quote("USD", 1390, 10);
    announcer
        .announce(std::slice::from_ref(&newer))
        .await
        .unwrap();
    assert_eq!(until(&mut watch, "USD").await, vec![newer.clone()]);
    // A replayed or raced announcement of an older quote, then a sentinel.
    announcer.announce(&[quote("USD", 1370, 5)]).await.unwrap();
    announcer.announce(&[quote("EUR", 1500, 11)]).await.unwrap();
    let seen = until(&mut watch, "EUR").await;
    assert!(
        seen.iter().all(|q| q.currency.as_str() != "USD"),
        "an older USD quote was announced: {seen:?}"
    );
    // And a new watcher's current USD is still the newer one.
    let mut late = watcher.watch();
    let current = until(&mut late, "USD").await;
    assert!(current.contains(&newer), "{current:?}");
}

async fn a_slow_watcher_gets_only_the_newest_quote_per_currency((announcer, watcher): Pair) {
    let mut slow = watcher.watch();
    // A second watcher reads along to know when everything has arrived.
    let mut probe = watcher.watch();
    for second in 0..100u32 {
        announcer
            .announce(&[quote("USD", 1300 + i64::from(second), second)])
            .await
            .unwrap();
    }
    announcer
        .announce(&[quote("EUR", 1500, 200)])
        .await
        .unwrap();
    until(&mut probe, "EUR").await;
    // The slow one missed 100 changes; it gets two quotes: the newest of each.
    let backlog = next(&mut slow).await;
    assert_eq!(
        backlog,
        vec![quote("EUR", 1500, 200), quote("USD", 1399, 99)],
        "the backlog is the newest per currency, in currency order"
    );
}

async fn every_watcher_gets_every_change((announcer, watcher): Pair) {
    let mut watches: Vec<Watch> = (0..20).map(|_| watcher.watch()).collect();
    announcer
        .announce(&[quote("THB", 40, 0), quote("VND", 0, 0)])
        .await
        .unwrap();
    for watch in &mut watches {
        let mut seen = until(watch, "THB").await;
        if !seen.iter().any(|q| q.currency.as_str() == "VND") {
            seen.extend(until(watch, "VND").await);
        }
        assert_eq!(seen.len(), 2, "{seen:?}");
    }
}

travel_tests::suite! {
    adapters: [memory, #[cfg(feature = "infra")] redis],
    fixture: { |make| make().await; |pair| {} },
    cases: {
        a_watcher_gets_the_current_quotes_then_each_change(pair),
        an_older_quote_does_not_move_a_currency_back(pair),
        a_slow_watcher_gets_only_the_newest_quote_per_currency(pair),
        every_watcher_gets_every_change(pair),
    },
}

/// A watcher's process cut off from Redis (a fault proxy refuses, cutting its
/// connections) misses the changes published meanwhile; once it reconnects it reads
/// the current quotes again and its watchers get the newest.
#[cfg(feature = "infra")]
#[tokio::test]
async fn redis_a_watcher_cut_off_catches_up_after_reconnecting() {
    use travel_tests::fault::{FaultProxy, Mode};
    let server = url::Url::parse(&travel_tests::infra::redis_url()).unwrap();
    let proxy = FaultProxy::start(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        server.port_or_known_default().unwrap(),
    )))
    .await;
    let prefix = travel_tests::infra::unique_prefix();
    let config = |url: &str| {
        let mut config = travel_cache::CacheConfig::new(url::Url::parse(url).unwrap());
        config.prefix = prefix.clone();
        config
    };
    let announcer = travel_feed::connect(&config(server.as_str()))
        .await
        .unwrap();
    let watcher = travel_feed::connect(&config(&format!(
        "redis://127.0.0.1:{}",
        proxy.addr().port()
    )))
    .await
    .unwrap();
    let mut watch = watcher.watch();
    announcer.announce(&[quote("USD", 1380, 0)]).await.unwrap();
    assert_eq!(until(&mut watch, "USD").await, vec![quote("USD", 1380, 0)]);

    proxy.set(Mode::Refuse);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for second in 1..=5u32 {
        announcer
            .announce(&[quote("USD", 1380 + i64::from(second), second)])
            .await
            .unwrap();
    }
    proxy.set(Mode::Pass);
    let caught_up = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let seen = watch.changes().await;
            if seen.contains(&quote("USD", 1385, 5)) {
                return seen;
            }
        }
    })
    .await
    .expect("the newest quote after the reconnect");
    assert_eq!(caught_up, vec![quote("USD", 1385, 5)]);
}
