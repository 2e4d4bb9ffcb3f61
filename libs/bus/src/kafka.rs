//! Kafka (MSK) adapter on rdkafka.
//!
//! URL: `kafka://host1:9092,host2:9092?key=value…`. Query parameters are passed to
//! librdkafka as they are (`security.protocol=SASL_SSL`, `sasl.mechanism=SCRAM-SHA-512`,
//! …); a user and password in the URL become `sasl.username`/`sasl.password`. The
//! producer is idempotent with `acks=all`; consumers never auto-commit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::ClientConfig;
use rdkafka::Message as _;
use rdkafka::TopicPartitionList;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, Headers as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

use crate::{Bus, BusConfig, BusError, Consumer, Publisher, Record, Result};

/// How long a publish may wait for the broker's acknowledgement.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct KafkaBus {
    base: ClientConfig,
    partitions: i32,
    replication: i32,
    session_timeout: Duration,
    producer: std::sync::OnceLock<Arc<KafkaPublisher>>,
}

fn unavailable(error: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(error.to_string())
}

impl KafkaBus {
    pub fn new(config: &BusConfig) -> Result<Self> {
        let url = config.url.expose();
        if config.url.hosts().is_empty() {
            return Err(BusError::Config("kafka URL without brokers".into()));
        }
        let brokers = config.url.hosts().join(",");
        let mut base = ClientConfig::new();
        base.set("bootstrap.servers", &brokers);
        if !url.username().is_empty() {
            base.set("sasl.username", url.username());
            base.set("sasl.password", url.password().unwrap_or_default());
        }
        let mut replication = 1;
        for (key, value) in url.query_pairs() {
            if key == "replication" {
                replication = value.parse().map_err(|_| {
                    BusError::Config(format!("replication={value:?} is not a number"))
                })?;
            } else {
                base.set(key.as_ref(), value.as_ref());
            }
        }
        Ok(Self {
            base,
            partitions: config.partitions,
            replication,
            session_timeout: config.session_timeout,
            producer: std::sync::OnceLock::new(),
        })
    }
}

#[async_trait]
impl Bus for KafkaBus {
    fn backend(&self) -> &'static str {
        "kafka"
    }

    async fn ensure_topics(&self, topics: &[&str]) -> Result<()> {
        let admin: AdminClient<DefaultClientContext> = self.base.create().map_err(unavailable)?;
        let new: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| {
                NewTopic::new(
                    t,
                    self.partitions,
                    TopicReplication::Fixed(self.replication),
                )
            })
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = admin
            .create_topics(&new, &options)
            .await
            .map_err(unavailable)?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(unavailable(format!("creating {topic}: {code}"))),
            }
        }
        Ok(())
    }

    fn publisher(&self) -> Result<Arc<dyn Publisher>> {
        if let Some(producer) = self.producer.get() {
            return Ok(producer.clone());
        }
        let producer: FutureProducer = self
            .base
            .clone()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set(
                "message.timeout.ms",
                DELIVERY_TIMEOUT.as_millis().to_string(),
            )
            .create()
            .map_err(unavailable)?;
        let publisher = Arc::new(KafkaPublisher { producer });
        Ok(self.producer.get_or_init(|| publisher).clone())
    }

    async fn consumer(&self, group: &str, topics: &[&str]) -> Result<Box<dyn Consumer>> {
        let session = self.session_timeout.as_millis().max(1000);
        let consumer: StreamConsumer = self
            .base
            .clone()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", session.to_string())
            .set("heartbeat.interval.ms", (session / 3).to_string())
            .create()
            .map_err(unavailable)?;
        consumer.subscribe(topics).map_err(unavailable)?;
        Ok(Box::new(KafkaConsumer {
            consumer: Arc::new(consumer),
        }))
    }
}

pub struct KafkaPublisher {
    producer: FutureProducer,
}

#[async_trait]
impl Publisher for KafkaPublisher {
    async fn publish(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        headers: &[(String, String)],
    ) -> Result<()> {
        let mut owned = OwnedHeaders::new_with_capacity(headers.len());
        for (name, value) in headers {
            owned = owned.insert(Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
        let record = FutureRecord::to(topic)
            .key(key)
            .payload(payload)
            .headers(owned);
        self.producer
            .send(record, Timeout::After(DELIVERY_TIMEOUT))
            .await
            .map(|_| ())
            .map_err(|(error, _)| unavailable(error))
    }
}

struct KafkaConsumer {
    consumer: Arc<StreamConsumer>,
}

fn record_of(message: &rdkafka::message::BorrowedMessage<'_>) -> Record {
    let headers = message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .map(|h| {
                    (
                        h.key.to_string(),
                        String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Record {
        topic: message.topic().to_string(),
        partition: message.partition(),
        offset: message.offset(),
        key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
        payload: message.payload().unwrap_or_default().to_vec(),
        headers,
    }
}

#[async_trait]
impl Consumer for KafkaConsumer {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>> {
        let mut records = Vec::new();
        // Wait for the first record; then take only what is already there.
        let mut limit = wait;
        while records.len() < max.max(1) {
            match tokio::time::timeout(limit, self.consumer.recv()).await {
                Ok(Ok(message)) => records.push(record_of(&message)),
                Ok(Err(error)) => {
                    if records.is_empty() {
                        return Err(unavailable(error));
                    }
                    break;
                }
                Err(_) => break,
            }
            limit = Duration::from_millis(5);
        }
        Ok(records)
    }

    async fn commit(&mut self, records: &[Record]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
        for record in records {
            let entry = next
                .entry((record.topic.clone(), record.partition))
                .or_insert(0);
            *entry = (*entry).max(record.offset + 1);
        }
        let mut list = TopicPartitionList::new();
        for ((topic, partition), offset) in next {
            list.add_partition_offset(&topic, partition, rdkafka::Offset::Offset(offset))
                .map_err(unavailable)?;
        }
        // A synchronous commit blocks its thread until the broker answers.
        let consumer = self.consumer.clone();
        tokio::task::spawn_blocking(move || consumer.commit(&list, CommitMode::Sync))
            .await
            .map_err(unavailable)?
            .map_err(unavailable)
    }
}
