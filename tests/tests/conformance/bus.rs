//! One conformance suite for the bus port: the in-process adapter always, Kafka (a
//! real Kafka-protocol broker) with `--features infra`. Every test uses its own topics
//! and consumer groups.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use travel_bus::{Bus, Consumer, DLQ_REASON_HEADER, Record, dead_letter, dead_letter_topic};
use travel_tests::eventually;

const DEADLINE: Duration = Duration::from_secs(60);

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

fn memory() -> Arc<dyn Bus> {
    travel_tests::adapters::memory_bus()
}

#[cfg(feature = "infra")]
fn kafka() -> Arc<dyn Bus> {
    travel_tests::adapters::kafka_bus(&travel_tests::infra::kafka_url())
}

/// Polls until `want` records arrived or the deadline passes, committing as it goes
/// when asked to.
async fn drain(consumer: &mut Box<dyn Consumer>, want: usize, commit: bool) -> Vec<Record> {
    let mut records = Vec::new();
    eventually(
        DEADLINE,
        Duration::ZERO,
        async || {
            let batch = consumer
                .poll(100, Duration::from_millis(500))
                .await
                .expect("poll");
            if commit {
                consumer.commit(&batch).await.expect("commit");
            }
            records.extend(batch);
            records.len()
        },
        |&received| received >= want,
    )
    .await;
    records
}

async fn records_of_one_key_keep_their_order(bus: Arc<dyn Bus>) {
    let topic = unique("order");
    bus.ensure_topics(&[&topic]).await.unwrap();
    let publisher = bus.publisher().unwrap();
    for i in 0..30 {
        for key in ["USD", "JPY", "EUR"] {
            publisher
                .publish(&topic, key, format!("{key}-{i}").as_bytes(), &[])
                .await
                .unwrap();
        }
    }
    let mut consumer = bus.consumer(&unique("group"), &[&topic]).await.unwrap();
    let records = drain(&mut consumer, 90, true).await;
    assert_eq!(records.len(), 90);
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    for record in &records {
        let text = String::from_utf8(record.payload.clone()).unwrap();
        let (key, i) = text.split_once('-').unwrap();
        assert_eq!(key, record.key);
        seen.entry(record.key.clone())
            .or_default()
            .push(i.parse().unwrap());
    }
    for (key, sequence) in seen {
        assert_eq!(sequence, (0..30).collect::<Vec<_>>(), "{key} out of order");
    }
}

async fn uncommitted_records_are_delivered_again(bus: Arc<dyn Bus>) {
    let topic = unique("redeliver");
    let group = unique("group");
    bus.ensure_topics(&[&topic]).await.unwrap();
    let publisher = bus.publisher().unwrap();
    let headers = vec![(
        "traceparent".to_string(),
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_string(),
    )];
    for i in 0..10 {
        publisher
            .publish(&topic, "KRW", format!("{i}").as_bytes(), &headers)
            .await
            .unwrap();
    }
    {
        let mut first = bus.consumer(&group, &[&topic]).await.unwrap();
        let records = drain(&mut first, 10, false).await;
        assert_eq!(records.len(), 10);
        assert_eq!(
            records[0].header("traceparent"),
            Some(headers[0].1.as_str())
        );
        // Only the first four were processed durably before the "crash".
        first.commit(&records[..4]).await.unwrap();
    }
    let mut second = bus.consumer(&group, &[&topic]).await.unwrap();
    let records = drain(&mut second, 6, true).await;
    let payloads: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.payload.clone()).unwrap())
        .collect();
    assert_eq!(payloads, ["4", "5", "6", "7", "8", "9"]);
    // Nothing more: the commit holds.
    assert!(
        second
            .poll(10, Duration::from_millis(800))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn unprocessable_records_go_to_the_dead_letter_topic(bus: Arc<dyn Bus>) {
    let topic = unique("events");
    let dlq = dead_letter_topic(&topic);
    bus.ensure_topics(&[&topic, &dlq]).await.unwrap();
    let publisher = bus.publisher().unwrap();
    publisher
        .publish(&topic, "USD", b"\xff\xfenot protobuf", &[])
        .await
        .unwrap();
    let mut consumer = bus.consumer(&unique("group"), &[&topic]).await.unwrap();
    let records = drain(&mut consumer, 1, false).await;
    dead_letter(
        publisher.as_ref(),
        &records[0],
        "undecodable: invalid wire type",
    )
    .await
    .unwrap();
    consumer.commit(&records).await.unwrap();

    let mut inspector = bus.consumer(&unique("group"), &[&dlq]).await.unwrap();
    let dead = drain(&mut inspector, 1, true).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "USD");
    assert_eq!(dead[0].payload, b"\xff\xfenot protobuf");
    assert_eq!(
        dead[0].header(DLQ_REASON_HEADER),
        Some("undecodable: invalid wire type")
    );
    assert!(dead[0].header("dlq-source").unwrap().starts_with(&topic));
}

async fn rebalancing_loses_nothing(bus: Arc<dyn Bus>) {
    let topic = unique("rebalance");
    let group = unique("group");
    bus.ensure_topics(&[&topic]).await.unwrap();
    let publisher = bus.publisher().unwrap();
    let keys: Vec<String> = (0..12).map(|i| format!("K{i}")).collect();
    for i in 0..60 {
        publisher
            .publish(&topic, &keys[i % 12], format!("{i}").as_bytes(), &[])
            .await
            .unwrap();
    }
    let mut seen = BTreeSet::new();
    let mut a = bus.consumer(&group, &[&topic]).await.unwrap();
    for record in drain(&mut a, 20, true).await {
        seen.insert(String::from_utf8(record.payload).unwrap());
    }
    // A second member joins: the partitions are spread over both.
    let mut b = bus.consumer(&group, &[&topic]).await.unwrap();
    if seen.len() < 60 {
        eventually(
            DEADLINE,
            Duration::ZERO,
            async || {
                for consumer in [&mut a, &mut b] {
                    let batch = consumer.poll(50, Duration::from_millis(300)).await.unwrap();
                    consumer.commit(&batch).await.unwrap();
                    seen.extend(
                        batch
                            .into_iter()
                            .map(|r| String::from_utf8(r.payload).unwrap()),
                    );
                }
                seen.len()
            },
            |&delivered| delivered >= 60,
        )
        .await;
    }
    assert_eq!(
        seen.len(),
        60,
        "every record delivered at least once across the rebalance"
    );
    // The first member leaves: the other takes over its partitions.
    drop(a);
    for i in 60..80 {
        publisher
            .publish(&topic, &keys[i % 12], format!("{i}").as_bytes(), &[])
            .await
            .unwrap();
    }
    let rest: BTreeSet<String> = drain(&mut b, 20, true)
        .await
        .into_iter()
        .map(|r| String::from_utf8(r.payload).unwrap())
        .collect();
    let expected: BTreeSet<String> = (60..80).map(|i| i.to_string()).collect();
    assert!(
        expected.is_subset(&rest),
        "missing after the member left: {:?}",
        expected.difference(&rest).collect::<Vec<_>>()
    );
}

travel_tests::suite! {
    adapters: [memory, #[cfg(feature = "infra")] kafka],
    fixture: { |make| make(); |bus| {} },
    cases: {
        records_of_one_key_keep_their_order[2](bus),
        uncommitted_records_are_delivered_again[2](bus),
        unprocessable_records_go_to_the_dead_letter_topic[2](bus),
        rebalancing_loses_nothing[2](bus),
    },
}
