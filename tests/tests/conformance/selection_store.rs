//! One conformance suite for the selection store port, run against every adapter:
//! SQLite always, DynamoDB (moto_server) with `--features infra` (make test-infra).
//! Each DynamoDB test creates its own tables through the store and deletes them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use travel_selections::{
    BaselineRank, CalculationMetadata, DayCount, RankChange, RankingEntry, RankingPeriod, Recorded,
    Selection, SelectionStore, SelectionStoreConfig, SelectionStoreError, StoredRanking,
};

/// A store with its schema in place, and what must happen after the test.
struct Fixture {
    store: Arc<dyn SelectionStore>,
    _dir: Option<tempfile::TempDir>,
    #[cfg(feature = "infra")]
    dynamo: Option<travel_tests::infra::DynamoDbTables>,
}

impl Fixture {
    async fn finish(self) {
        #[cfg(feature = "infra")]
        if let Some(tables) = self.dynamo {
            tables.delete().await;
        }
    }
}

async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = url::Url::parse(&format!("sqlite://{}/selections.db", dir.path().display())).unwrap();
    let store = travel_selections::connect(&SelectionStoreConfig::new(url))
        .await
        .unwrap();
    Fixture {
        store,
        _dir: Some(dir),
        #[cfg(feature = "infra")]
        dynamo: None,
    }
}

#[cfg(feature = "infra")]
async fn dynamodb() -> Fixture {
    let tables = travel_tests::infra::DynamoDbTables::new().await;
    let store = travel_selections::connect(&tables.config).await.unwrap();
    assert_eq!(store.backend(), "dynamodb");
    Fixture {
        store,
        _dir: None,
        dynamo: Some(tables),
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// Selection `n` of `user`: a distinct instant (to the microsecond, like the key) on
/// `on`, kept for 90 days.
fn selection(user: &str, country: &str, on: NaiveDate, n: i64) -> Selection {
    let selected_at = Utc.from_utc_datetime(&on.and_hms_opt(1, 0, 0).unwrap())
        + Duration::microseconds(n * 1_001);
    Selection {
        selection_id: format!("sel-{user}-{country}-{on}-{n}"),
        user_id: user.to_string(),
        country_code: country.to_string(),
        selected_at,
        day: on,
        session_id: Some(format!("session-{user}")),
        referrer: (n % 2 == 0).then(|| "https://example.com/search?q=여행".to_string()),
        ip_hash: Some(format!("{:064x}", n)),
        user_agent_hash: None,
        expires_at: DateTime::from_timestamp(selected_at.timestamp() + 90 * 86_400, 0).unwrap(),
    }
}

fn count(on: NaiveDate, country: &str, count: u64) -> DayCount {
    DayCount {
        day: on,
        country_code: country.to_string(),
        count,
    }
}

async fn record_then_day_counts(store: &dyn SelectionStore) {
    let selections = [
        selection("u1", "JP", day(2), 1),
        selection("u2", "JP", day(2), 2),
        selection("u3", "US", day(2), 3),
        selection("u1", "JP", day(2), 4),
        selection("u1", "JP", day(3), 1),
        selection("u4", "VN", day(3), 2),
        selection("u4", "VN", day(3), 3),
        selection("u5", "FR", day(5), 1),
    ];
    for s in &selections {
        assert_eq!(store.record(s).await.unwrap(), Recorded::New, "{s:?}");
    }
    assert_eq!(
        store.day_counts(day(1), day(4)).await.unwrap(),
        vec![
            count(day(2), "JP", 3),
            count(day(2), "US", 1),
            count(day(3), "JP", 1),
            count(day(3), "VN", 2),
        ]
    );
    assert_eq!(
        store.day_counts(day(5), day(5)).await.unwrap(),
        vec![count(day(5), "FR", 1)]
    );
    assert!(store.day_counts(day(4), day(4)).await.unwrap().is_empty());
    assert!(store.day_counts(day(5), day(2)).await.unwrap().is_empty());
}

/// 32 writers × 12 selections over 3 countries and 2 days: every counter is exact.
/// (moto copies the whole table for every transaction, so its cost grows with the
/// square of the selections written; 384 keep this test at a few seconds.)
async fn concurrent_counters_are_exact(store: Arc<dyn SelectionStore>) {
    const COUNTRIES: [&str; 3] = ["JP", "US", "VN"];
    let mut writers = Vec::new();
    let mut expected: BTreeMap<(NaiveDate, String), u64> = BTreeMap::new();
    for task in 0..32_i64 {
        let batch: Vec<Selection> = (0..12_i64)
            .map(|n| {
                let country = COUNTRIES[((task + n) % 3) as usize];
                let on = day(10 + (n % 2) as u32);
                selection(&format!("user-{task}"), country, on, n)
            })
            .collect();
        for s in &batch {
            *expected.entry((s.day, s.country_code.clone())).or_default() += 1;
        }
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut new = 0;
            for s in &batch {
                new += u64::from(store.record(s).await.unwrap() == Recorded::New);
            }
            new
        }));
    }
    let mut new = 0;
    for writer in writers {
        new += writer.await.unwrap();
    }
    assert_eq!(new, 32 * 12);
    let expected: Vec<DayCount> = expected
        .into_iter()
        .map(|((on, country), n)| count(on, &country, n))
        .collect();
    assert_eq!(store.day_counts(day(10), day(11)).await.unwrap(), expected);
}

/// A retried write (sequentially, then from 8 tasks at once) is stored and counted once.
async fn retried_selection_is_counted_once(store: Arc<dyn SelectionStore>) {
    let first = selection("u1", "TH", day(7), 1);
    assert_eq!(store.record(&first).await.unwrap(), Recorded::New);
    assert_eq!(store.record(&first).await.unwrap(), Recorded::Duplicate);

    let raced = selection("u2", "TH", day(7), 2);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let raced = raced.clone();
            tokio::spawn(async move { store.record(&raced).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let new = outcomes.iter().filter(|o| **o == Recorded::New).count();
    assert_eq!(new, 1, "{outcomes:?}");

    assert_eq!(
        store.day_counts(day(7), day(7)).await.unwrap(),
        vec![count(day(7), "TH", 2)]
    );
    let stored = store
        .selections_for_country("TH", day(7), day(7), 100)
        .await
        .unwrap();
    assert_eq!(stored, vec![first, raced]);
}

async fn record_batch_counts_new_only(store: &dyn SelectionStore) {
    let earlier = selection("u0", "KR", day(8), 0);
    store.record(&earlier).await.unwrap();
    let repeated = selection("u1", "KR", day(8), 1);
    let mut batch = vec![earlier.clone(), repeated.clone()];
    batch.extend((2..10).map(|n| selection("u2", if n % 2 == 0 { "KR" } else { "SG" }, day(8), n)));
    batch.push(repeated.clone());
    batch.push(repeated.clone());
    batch.push(earlier.clone());
    // 13 entries: 8 distinct new ones plus `repeated` once, the rest repeats.
    assert_eq!(store.record_batch(&batch).await.unwrap(), 9);
    assert_eq!(store.record_batch(&batch).await.unwrap(), 0);
    assert_eq!(store.record_batch(&[]).await.unwrap(), 0);
    assert_eq!(
        store.day_counts(day(8), day(8)).await.unwrap(),
        vec![count(day(8), "KR", 6), count(day(8), "SG", 4)]
    );
}

/// The country-date index: boundaries inclusive, other countries and days excluded,
/// ordered by day then key, limit honoured (also when it cuts a day short).
async fn selections_by_country_and_days(store: &dyn SelectionStore) {
    let mut japan = Vec::new();
    for on in [day(14), day(15), day(16), day(17)] {
        // Written latest first, so write order differs from key order.
        for n in (0..4).rev() {
            let s = selection(&format!("u{n}"), "JP", on, n);
            store.record(&s).await.unwrap();
            japan.push(s);
        }
        store
            .record(&selection("other", "US", on, 1))
            .await
            .unwrap();
    }
    let key = |s: &Selection| (s.day, s.selection_key());
    japan.sort_by_key(key);
    let in_range: Vec<Selection> = japan
        .iter()
        .filter(|s| (day(15)..=day(16)).contains(&s.day))
        .cloned()
        .collect();
    assert_eq!(in_range.len(), 8);

    let found = store
        .selections_for_country("JP", day(15), day(16), 100)
        .await
        .unwrap();
    assert_eq!(found, in_range);
    for limit in [1, 3, 4, 5, 8] {
        let found = store
            .selections_for_country("JP", day(15), day(16), limit)
            .await
            .unwrap();
        assert_eq!(found, in_range[..limit], "limit {limit}");
    }
    assert!(
        store
            .selections_for_country("JP", day(15), day(16), 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .selections_for_country("US", day(14), day(17), 100)
            .await
            .unwrap()
            .len(),
        4
    );
    assert!(
        store
            .selections_for_country("FR", day(14), day(17), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .selections_for_country("JP", day(18), day(30), 100)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Counter items share the selections' partitions but never show up as selections.
async fn counters_stay_out_of_the_country_index(f: &Fixture) {
    let store = f.store.as_ref();
    let selections: Vec<Selection> = (0..5).map(|n| selection("u1", "IT", day(20), n)).collect();
    store.record_batch(&selections).await.unwrap();
    assert_eq!(
        store
            .selections_for_country("IT", day(1), day(30), 1000)
            .await
            .unwrap(),
        selections
    );
    assert_eq!(
        store.day_counts(day(20), day(20)).await.unwrap(),
        vec![count(day(20), "IT", 5)]
    );
    match store.backend() {
        "sqlite" => {}
        #[cfg(feature = "infra")]
        "dynamodb" => dynamodb_raw::counters_outside_index(f.dynamo.as_ref().unwrap()).await,
        other => panic!("no raw checks for {other}"),
    }
}

/// Raw selections expire; counters do not. DynamoDB: native TTL on `expires_at`.
/// SQLite: `purge_expired` deletes exactly the expired rows.
async fn selections_expire_counters_stay(f: &Fixture) {
    let store = f.store.as_ref();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut expired = selection("u1", "GB", day(21), 1);
    expired.expires_at = now - Duration::seconds(1);
    let mut at_now = selection("u2", "GB", day(21), 2);
    at_now.expires_at = now;
    let kept = selection("u3", "GB", day(21), 3);
    store
        .record_batch(&[expired.clone(), at_now.clone(), kept.clone()])
        .await
        .unwrap();
    match store.backend() {
        "sqlite" => {
            assert_eq!(store.purge_expired(now).await.unwrap(), 2);
            assert_eq!(store.purge_expired(now).await.unwrap(), 0);
            assert_eq!(
                store
                    .selections_for_country("GB", day(21), day(21), 10)
                    .await
                    .unwrap(),
                vec![kept]
            );
        }
        #[cfg(feature = "infra")]
        "dynamodb" => {
            assert_eq!(store.purge_expired(now).await.unwrap(), 0);
            dynamodb_raw::ttl_on_expires_at(f.dynamo.as_ref().unwrap(), &[expired, at_now, kept])
                .await;
        }
        other => panic!("no expiry checks for {other}"),
    }
    assert_eq!(
        store.day_counts(day(21), day(21)).await.unwrap(),
        vec![count(day(21), "GB", 3)]
    );
}

fn ranking(period: RankingPeriod, first: &str) -> StoredRanking {
    StoredRanking {
        period,
        period_start: day(23),
        period_end: day(29),
        total_selections: 3,
        entries: vec![
            RankingEntry {
                rank: 1,
                country_code: first.to_string(),
                score: 2,
                percentage: 66.67,
                change: RankChange::Up,
                change_value: Some(2),
                previous_rank: Some(3),
            },
            RankingEntry {
                rank: 2,
                country_code: "VN".to_string(),
                score: 1,
                percentage: 1.0 / 3.0 * 100.0,
                change: RankChange::Down,
                change_value: Some(-1),
                previous_rank: Some(1),
            },
            RankingEntry {
                rank: 3,
                country_code: "TW".to_string(),
                score: 0,
                percentage: 0.0,
                change: RankChange::New,
                change_value: None,
                previous_rank: None,
            },
        ],
        // Nanoseconds, as `Utc::now()` yields them: stored to full precision.
        last_updated: Utc.with_ymd_and_hms(2026, 11, 29, 3, 4, 5).unwrap()
            + Duration::nanoseconds(123_456_789),
        metadata: CalculationMetadata {
            calculated_by: "ranking-7d9f-abcde".to_string(),
            duration_ms: 12.345_678,
            counters_read: 42,
            time_zone: "Asia/Seoul".to_string(),
        },
        baseline: vec![
            BaselineRank {
                country_code: "VN".to_string(),
                rank: 1,
            },
            BaselineRank {
                country_code: first.to_string(),
                rank: 3,
            },
        ],
    }
}

async fn rankings_round_trip(store: &dyn SelectionStore) {
    assert_eq!(
        store.load_ranking(RankingPeriod::Weekly).await.unwrap(),
        None
    );
    let weekly = ranking(RankingPeriod::Weekly, "JP");
    store.save_ranking(&weekly).await.unwrap();
    assert_eq!(
        store.load_ranking(RankingPeriod::Weekly).await.unwrap(),
        Some(weekly.clone())
    );

    let mut replaced = ranking(RankingPeriod::Weekly, "TH");
    replaced.entries.truncate(1);
    replaced.baseline.clear();
    replaced.total_selections = 2;
    replaced.last_updated = weekly.last_updated + Duration::minutes(5);
    store.save_ranking(&replaced).await.unwrap();
    assert_eq!(
        store.load_ranking(RankingPeriod::Weekly).await.unwrap(),
        Some(replaced)
    );

    let mut empty = ranking(RankingPeriod::Daily, "JP");
    empty.entries.clear();
    empty.baseline.clear();
    empty.total_selections = 0;
    store.save_ranking(&empty).await.unwrap();
    assert_eq!(
        store.load_ranking(RankingPeriod::Daily).await.unwrap(),
        Some(empty)
    );
    assert_eq!(
        store.load_ranking(RankingPeriod::Monthly).await.unwrap(),
        None
    );
}

/// DynamoDB without `create_tables` refuses missing tables with a Config error that
/// names the table; SQLite always migrates its own schema.
async fn schema_is_checked(f: &Fixture) {
    let store = f.store.as_ref();
    store.ensure_schema().await.unwrap();
    store.ping().await.unwrap();
    let unsupported = SelectionStoreConfig::new(url::Url::parse("postgres://db/x").unwrap());
    let Err(error) = travel_selections::connect(&unsupported).await else {
        panic!("postgres:// must be refused");
    };
    assert!(matches!(error, SelectionStoreError::Config(_)), "{error}");
    match store.backend() {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let url = url::Url::parse(&format!("sqlite://{}/new.db", dir.path().display()));
            let mut config = SelectionStoreConfig::new(url.unwrap());
            config.create_tables = false;
            let fresh = travel_selections::connect(&config).await.unwrap();
            fresh.ping().await.unwrap();
            assert!(fresh.day_counts(day(1), day(30)).await.unwrap().is_empty());
        }
        #[cfg(feature = "infra")]
        "dynamodb" => dynamodb_raw::missing_tables_are_refused(f.dynamo.as_ref().unwrap()).await,
        other => panic!("no schema checks for {other}"),
    }
}

#[cfg(feature = "infra")]
mod dynamodb_raw {
    //! Checks below the port: what DynamoDB itself holds.

    use std::collections::BTreeSet;

    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    use aws_sdk_dynamodb::types::{AttributeValue, Select, TimeToLiveStatus};
    use travel_selections::{Selection, SelectionStoreError};
    use travel_tests::infra::DynamoDbTables;

    fn s(value: &str) -> AttributeValue {
        AttributeValue::S(value.to_string())
    }

    pub async fn counters_outside_index(tables: &DynamoDbTables) {
        let table = &tables.config.selections_table;
        let partition = tables
            .client
            .query()
            .table_name(table)
            .key_condition_expression("selection_date = :d")
            .expression_attribute_values(":d", s("2026-11-20"))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        // Five selections and, first in the partition, their counter shards: one item
        // per shard the selections' keys hash to, together counting five.
        let selections: Vec<Selection> = (0..5)
            .map(|n| super::selection("u1", "IT", super::day(20), n))
            .collect();
        let shards: BTreeSet<String> = selections
            .iter()
            .map(travel_selections::dynamodb::counter_key)
            .collect();
        assert_eq!(partition.count() as usize, 5 + shards.len());
        let counters = &partition.items()[..shards.len()];
        let keys: BTreeSet<String> = counters
            .iter()
            .map(|c| c["selection_timestamp_userid"].as_s().unwrap().clone())
            .collect();
        assert_eq!(keys, shards);
        let mut total = 0;
        for counter in counters {
            assert!(
                counter["selection_timestamp_userid"]
                    .as_s()
                    .unwrap()
                    .starts_with("#COUNT#IT#")
            );
            assert_eq!(counter["counter_country"], s("IT"));
            total += counter["selection_count"]
                .as_n()
                .unwrap()
                .parse::<u64>()
                .unwrap();
            assert!(!counter.contains_key("country_code"));
            assert!(!counter.contains_key("expires_at"));
        }
        assert_eq!(total, 5);

        let indexed = tables
            .client
            .query()
            .table_name(table)
            .index_name("country-date-index")
            .key_condition_expression("country_code = :c AND selection_date = :d")
            .expression_attribute_values(":c", s("IT"))
            .expression_attribute_values(":d", s("2026-11-20"))
            .select(Select::Count)
            .send()
            .await
            .unwrap();
        assert_eq!(indexed.count(), 5);
    }

    pub async fn ttl_on_expires_at(tables: &DynamoDbTables, selections: &[Selection]) {
        let table = &tables.config.selections_table;
        let ttl = tables
            .client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let ttl = ttl.time_to_live_description().unwrap();
        assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
        assert_eq!(ttl.attribute_name(), Some("expires_at"));
        for selection in selections {
            let item = tables
                .client
                .get_item()
                .table_name(table)
                .key("selection_date", s(&selection.selection_date()))
                .key("selection_timestamp_userid", s(&selection.selection_key()))
                .consistent_read(true)
                .send()
                .await
                .unwrap();
            let item = item.item().expect("stored selection");
            assert_eq!(
                item["expires_at"],
                AttributeValue::N(selection.expires_at.timestamp().to_string())
            );
            assert_eq!(item["country_code"], s(&selection.country_code));
        }
    }

    pub async fn missing_tables_are_refused(existing: &DynamoDbTables) {
        // Neither table exists: the selections table is named first.
        let absent = DynamoDbTables::new().await;
        let mut config = absent.config.clone();
        config.create_tables = false;
        let Err(error) = travel_selections::connect(&config).await else {
            panic!("missing tables must be refused");
        };
        match &error {
            SelectionStoreError::Config(message) => {
                assert!(message.contains(&config.selections_table), "{message}")
            }
            other => panic!("expected a Config error, got {other}"),
        }

        // The selections table exists, the results table does not.
        config.selections_table = existing.config.selections_table.clone();
        let Err(error) = travel_selections::connect(&config).await else {
            panic!("a missing results table must be refused");
        };
        match &error {
            SelectionStoreError::Config(message) => {
                assert!(message.contains(&config.results_table), "{message}");
                assert!(!message.contains(&config.selections_table), "{message}");
            }
            other => panic!("expected a Config error, got {other}"),
        }

        // Both present, create_tables off: accepted without any write.
        let mut config = existing.config.clone();
        config.create_tables = false;
        let store = travel_selections::connect(&config).await.unwrap();
        store.ping().await.unwrap();

        // Nothing was created along the way.
        for table in [
            &absent.config.selections_table,
            &absent.config.results_table,
        ] {
            let described = absent
                .client
                .describe_table()
                .table_name(table)
                .send()
                .await;
            let error = described.expect_err("the table must not exist");
            assert_eq!(error.code(), Some("ResourceNotFoundException"), "{table}");
        }
        absent.delete().await;
    }
}

travel_tests::suite! {
    adapters: [sqlite, #[cfg(feature = "infra")] dynamodb],
    fixture: { |make| make().await; |f| { f.finish().await } },
    cases: {
        record_then_day_counts(f.store.as_ref()),
        concurrent_counters_are_exact[4](f.store.clone()),
        retried_selection_is_counted_once[4](f.store.clone()),
        record_batch_counts_new_only(f.store.as_ref()),
        selections_by_country_and_days(f.store.as_ref()),
        counters_stay_out_of_the_country_index(&f),
        selections_expire_counters_stay(&f),
        rankings_round_trip(f.store.as_ref()),
        schema_is_checked(&f),
    },
}
