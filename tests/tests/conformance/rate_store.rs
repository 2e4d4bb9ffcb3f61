//! One conformance suite for the rate store port, run against every adapter:
//! SQLite always, MySQL/MariaDB with `--features infra` (make test-infra).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use travel_domain::price_index::BigMacPrice;
use travel_domain::{Catalog, CountryCode, CurrencyCode, Observation};
use travel_storage::{DatasetImport, RateStore};
use travel_tests::adapters::TestRateStore;

async fn sqlite() -> TestRateStore {
    TestRateStore::sqlite().await
}

#[cfg(feature = "infra")]
async fn mysql() -> TestRateStore {
    TestRateStore::mysql().await
}

fn code(raw: &str) -> CurrencyCode {
    CurrencyCode::parse(raw).unwrap()
}

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
}

fn obs(currency: &str, source: &str, recorded_at: DateTime<Utc>, mid: Decimal) -> Observation {
    Observation {
        currency: code(currency),
        source: source.to_string(),
        recorded_at,
        rate_date: recorded_at.date_naive(),
        mid,
        tts: None,
        ttb: None,
        raw_unit: 1,
        redistributable: true,
    }
}

async fn migrations_are_idempotent(store: &dyn RateStore) {
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

async fn catalog_sync_inserts_then_updates(store: &dyn RateStore) {
    let catalog = Catalog::new();
    store.sync_catalog(catalog.currencies()).await.unwrap();
    store.sync_catalog(catalog.currencies()).await.unwrap();
    let rows = store.catalog().await.unwrap();
    assert_eq!(rows.len(), catalog.currencies().len());
    let bgn = rows.iter().find(|r| r.code.as_str() == "BGN").unwrap();
    assert!(!bgn.active);
    let usd = rows.iter().find(|r| r.code.as_str() == "USD").unwrap();
    assert!(usd.active);
    assert_eq!(usd.name_en, "US dollar");
}

async fn replayed_observations_change_nothing(store: &dyn RateStore) {
    let batch = vec![
        obs("USD", "BOK", at(27, 1, 0), dec!(1400.5)),
        obs("USD", "BOK", at(27, 1, 5), dec!(1401.25)),
        obs("JPY", "BOK", at(27, 1, 0), dec!(9.1234567891)),
    ];
    store.record_observations(&batch).await.unwrap();
    let daily_before = store
        .daily_rates(
            code("USD"),
            at(27, 0, 0).date_naive(),
            at(27, 0, 0).date_naive(),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        store.record_observations(&batch).await.unwrap();
        store.record_observations(&batch[1..2]).await.unwrap();
    }
    assert_eq!(store.observation_count(None).await.unwrap(), 3);
    assert_eq!(store.observation_count(Some(code("USD"))).await.unwrap(), 2);
    let daily_after = store
        .daily_rates(
            code("USD"),
            at(27, 0, 0).date_naive(),
            at(27, 0, 0).date_naive(),
        )
        .await
        .unwrap();
    assert_eq!(daily_before, daily_after);
    assert_eq!(daily_after[0].count, 2);
}

async fn daily_aggregates_follow_observation_time(store: &dyn RateStore) {
    // Written out of order and across two calls: the aggregate must not care.
    store
        .record_observations(&[
            obs("EUR", "BOK", at(26, 3, 0), dec!(1500)),
            obs("EUR", "KOREAEXIM", at(26, 1, 0), dec!(1490.1)),
        ])
        .await
        .unwrap();
    store
        .record_observations(&[
            obs("EUR", "BOK", at(26, 2, 0), dec!(1510.75)),
            obs("EUR", "BOK", at(25, 2, 0), dec!(1480)),
        ])
        .await
        .unwrap();
    let days = store
        .daily_rates(
            code("EUR"),
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            at(26, 0, 0).date_naive(),
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(
        days[0].rate_date,
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    );
    let day = &days[1];
    assert_eq!(day.open, dec!(1490.1));
    assert_eq!(day.close, dec!(1500));
    assert_eq!(day.high, dec!(1510.75));
    assert_eq!(day.low, dec!(1490.1));
    assert_eq!(day.count, 3);
    assert_eq!(day.sum, dec!(4500.85));
    assert_eq!(day.average, dec!(1500.2833333333));
    assert_eq!(day.first_at, at(26, 1, 0));
    // Coefficient of variation of 1490.1, 1510.75 and 1500, in percent.
    let mean = (1490.1 + 1510.75 + 1500.0) / 3.0;
    let variance = [1490.1f64, 1510.75, 1500.0]
        .iter()
        .map(|x| (x - mean).powi(2))
        .sum::<f64>()
        / 3.0;
    let expected = variance.sqrt() / 1500.2833333333 * 100.0;
    assert!(
        (day.volatility.unwrap() - expected).abs() < 1e-9,
        "{:?}",
        day.volatility
    );
    assert_eq!(
        days[0].volatility, None,
        "one observation has no volatility"
    );
    assert_eq!(day.last_at, at(26, 3, 0));
}

async fn latest_only_moves_forward(store: &dyn RateStore) {
    let mut newer = obs("THB", "KOREAEXIM", at(27, 2, 0), dec!(42.11));
    newer.tts = Some(dec!(42.53));
    newer.ttb = Some(dec!(41.69));
    store.record_observations(&[newer.clone()]).await.unwrap();
    store
        .record_observations(&[obs("THB", "ECB", at(26, 15, 0), dec!(41.5))])
        .await
        .unwrap();
    let latest = store.latest_quotes(&[code("THB")]).await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].mid, dec!(42.11));
    assert_eq!(latest[0].tts, Some(dec!(42.53)));
    assert_eq!(latest[0].ttb, Some(dec!(41.69)));
    assert_eq!(latest[0].source, "KOREAEXIM");
    assert_eq!(latest[0].recorded_at, at(27, 2, 0));

    // A newer quote without TTS/TTB replaces them with nothing, never keeps stale ones.
    store
        .record_observations(&[obs("THB", "ECB", at(27, 15, 0), dec!(42.2))])
        .await
        .unwrap();
    let latest = store.latest_quotes(&[code("THB")]).await.unwrap();
    assert_eq!(latest[0].mid, dec!(42.2));
    assert_eq!(latest[0].tts, None);
    assert_eq!(latest[0].source, "ECB");
}

async fn latest_keeps_request_order_and_skips_missing(store: &dyn RateStore) {
    store
        .record_observations(&[
            obs("USD", "ECB", at(27, 15, 0), dec!(1335.2667382743)),
            obs("JPY", "ECB", at(27, 15, 0), dec!(8.4913479053)),
        ])
        .await
        .unwrap();
    let quotes = store
        .latest_quotes(&[code("JPY"), code("TWD"), code("USD")])
        .await
        .unwrap();
    let codes: Vec<&str> = quotes.iter().map(|q| q.currency.as_str()).collect();
    assert_eq!(codes, ["JPY", "USD"]);
    assert!(store.latest_quotes(&[]).await.unwrap().is_empty());
}

async fn decimals_round_trip_exactly(store: &dyn RateStore) {
    // VND/IDR need ten decimal places; KWD-sized quotes need the integer digits.
    let values = [
        ("VND", dec!(0.0543123457)),
        ("IDR", dec!(0.0000000001)),
        ("KWD", dec!(4567.8912345678)),
        ("TRL", dec!(12345678901234.5)),
    ];
    let batch: Vec<Observation> = values
        .iter()
        .map(|(c, v)| obs(c, "TEST", at(20, 0, 0), *v))
        .collect();
    store.record_observations(&batch).await.unwrap();
    let codes: Vec<CurrencyCode> = values.iter().map(|(c, _)| code(c)).collect();
    let quotes = store.latest_quotes(&codes).await.unwrap();
    for ((_, expected), quote) in values.iter().zip(&quotes) {
        assert_eq!(quote.mid, *expected, "{}", quote.currency);
    }
}

async fn concurrent_writers_lose_and_duplicate_nothing(store: Arc<dyn RateStore>) {
    // Eight writers, overlapping batches: every distinct (currency, source, time)
    // is stored exactly once.
    let mut tasks = Vec::new();
    for writer in 0..8u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..5u32 {
                let batch: Vec<Observation> = (0..20u32)
                    .map(|i| {
                        let minute = (writer * 3 + round * 7 + i) % 60;
                        obs(
                            "CHF",
                            "BOK",
                            at(10, 1, minute),
                            Decimal::from(1600 + minute),
                        )
                    })
                    .collect();
                store.record_observations(&batch).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        store.observation_count(Some(code("CHF"))).await.unwrap(),
        60
    );
    let day = store
        .daily_rates(
            code("CHF"),
            at(10, 0, 0).date_naive(),
            at(10, 0, 0).date_naive(),
        )
        .await
        .unwrap();
    assert_eq!(day[0].count, 60);
    assert_eq!(day[0].open, dec!(1600));
    assert_eq!(day[0].close, dec!(1659));
}

async fn corrections_recompute_their_days(store: &dyn RateStore) {
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    store
        .record_observations(&[
            obs("GBP", "BOK", at(20, 1, 0), dec!(1800)),
            obs("GBP", "BOK", at(20, 2, 0), dec!(1810)),
            obs("GBP", "ECB", at(21, 2, 0), dec!(1805)),
        ])
        .await
        .unwrap();
    // The source corrects the 02:00 quote: same key, another mid.
    let outcome = store
        .record_observations(&[obs("GBP", "BOK", at(20, 2, 0), dec!(1790))])
        .await
        .unwrap();
    assert_eq!(outcome.observations, 1);
    let days = store
        .daily_rates(code("GBP"), day(20), day(21))
        .await
        .unwrap();
    assert_eq!(days[0].count, 2, "a correction is no new observation");
    assert_eq!(days[0].sum, dec!(3590));
    assert_eq!((days[0].high, days[0].low), (dec!(1800), dec!(1790)));
    assert_eq!(days[0].close, dec!(1790));

    // A correction that moves the only observation of the 21st to the 20th (another
    // business-day rule): the 21st disappears, the 20th gains it.
    let mut moved = obs("GBP", "ECB", at(21, 2, 0), dec!(1805));
    moved.rate_date = day(20);
    store.record_observations(&[moved]).await.unwrap();
    let days = store
        .daily_rates(code("GBP"), day(20), day(21))
        .await
        .unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0].count, 3);
    assert_eq!(days[0].close, dec!(1805));
    assert_eq!(days[0].last_at, at(21, 2, 0));

    // Replaying what is stored writes nothing.
    let outcome = store
        .record_observations(&[obs("GBP", "BOK", at(20, 1, 0), dec!(1800))])
        .await
        .unwrap();
    assert_eq!(outcome, travel_storage::RecordOutcome::default());
}

async fn merged_days_equal_aggregating_the_whole_day(store: &dyn RateStore) {
    // Three sources on shared times (ties on open and close), two currencies, fed in
    // small batches out of time order with replays of earlier batches mixed in.
    let mut all = Vec::new();
    for step in 0..40u32 {
        for (s, source) in ["BOK", "ECB", "KOREAEXIM"].iter().enumerate() {
            let minute = (step * 17) % 60;
            let hour = 1 + (step * 7) % 20;
            let wiggle = Decimal::from((step * 31 + s as u32 * 13) % 97);
            all.push(obs(
                "USD",
                source,
                at(12, hour, minute),
                dec!(1390) + (wiggle / dec!(7)).round_dp(4),
            ));
            all.push(obs(
                "SGD",
                source,
                at(12, hour, minute),
                dec!(1050.5) + (wiggle / dec!(3)).round_dp(4),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|o| seen.insert((o.currency, o.source.clone(), o.recorded_at)));
    let batches: Vec<&[Observation]> = all.chunks(7).collect();
    for (i, batch) in batches.iter().enumerate() {
        store.record_observations(batch).await.unwrap();
        if i % 3 == 2 {
            store.record_observations(batches[i / 2]).await.unwrap();
        }
    }
    for currency in ["USD", "SGD"] {
        let mine: Vec<&Observation> = all
            .iter()
            .filter(|o| o.currency.as_str() == currency)
            .collect();
        let whole = travel_domain::DayAggregate::of(&mine).unwrap().rate;
        let stored = store
            .daily_rates(
                code(currency),
                at(12, 0, 0).date_naive(),
                at(12, 0, 0).date_naive(),
            )
            .await
            .unwrap();
        let (a, b) = (stored[0].volatility.unwrap(), whole.volatility.unwrap());
        assert!(
            (a - b).abs() <= 1e-9 * b,
            "{currency}: volatility {a} vs {b}"
        );
        let exact = |mut d: travel_domain::DailyRate| {
            d.volatility = None;
            d
        };
        assert_eq!(exact(stored[0].clone()), exact(whole), "{currency}");
    }
}

async fn bigmac_prices_round_trip(store: &dyn RateStore) {
    let kr = CountryCode::parse("KR").unwrap();
    let price = |date: (i32, u32), local: Decimal, ex: Decimal| BigMacPrice {
        survey_date: NaiveDate::from_ymd_opt(date.0, date.1, 1).unwrap(),
        country: kr,
        currency: "KRW".to_string(),
        local_price: local,
        dollar_ex: ex,
    };
    let rows = vec![
        price((2026, 1), dec!(5500), dec!(1469.85)),
        price((2025, 1), dec!(5500), dec!(1404.7)),
    ];
    store.upsert_bigmac_prices(&rows).await.unwrap();
    store.upsert_bigmac_prices(&rows[..1]).await.unwrap();
    let stored = store.bigmac_prices(kr).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].survey_date, rows[1].survey_date, "oldest first");
    assert_eq!(stored[1], rows[0]);
    assert!(
        store
            .bigmac_prices(CountryCode::parse("JP").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn dataset_imports_are_remembered(store: &dyn RateStore) {
    assert!(store.dataset_import("ecb").await.unwrap().is_none());
    let import = DatasetImport {
        dataset: "ecb".into(),
        sha256: "ab".repeat(32),
        row_count: 221_702,
        imported_at: Utc.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap(),
    };
    store.mark_dataset_imported(&import).await.unwrap();
    store.mark_dataset_imported(&import).await.unwrap();
    assert_eq!(store.dataset_import("ecb").await.unwrap(), Some(import));
}

travel_tests::suite! {
    adapters: [sqlite, #[cfg(feature = "infra")] mysql],
    fixture: { |make| make().await; |f| { f.finish().await } },
    cases: {
        migrations_are_idempotent(f.store.as_ref()),
        catalog_sync_inserts_then_updates(f.store.as_ref()),
        replayed_observations_change_nothing(f.store.as_ref()),
        daily_aggregates_follow_observation_time(f.store.as_ref()),
        latest_only_moves_forward(f.store.as_ref()),
        latest_keeps_request_order_and_skips_missing(f.store.as_ref()),
        decimals_round_trip_exactly(f.store.as_ref()),
        concurrent_writers_lose_and_duplicate_nothing[4](f.store.clone()),
        corrections_recompute_their_days(f.store.as_ref()),
        merged_days_equal_aggregating_the_whole_day(f.store.as_ref()),
        bigmac_prices_round_trip(f.store.as_ref()),
        dataset_imports_are_remembered(f.store.as_ref()),
    },
}
