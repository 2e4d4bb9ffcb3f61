//! The event bus port: keyed records on partitioned topics, consumer groups that
//! commit what they have durably processed, and dead-lettering.
//!
//! Adapters: [`kafka::KafkaBus`] on rdkafka (MSK in production) and
//! [`memory::MemoryBus`], an in-process log with the same semantics for the all-in-one
//! (partitions by key, committed offsets per group, redelivery of what was not
//! committed, rebalancing when members join or leave). The URL picks one
//! ([`connect`]): `kafka://host:9092,host2:9092?…` or `memory://`.
//!
//! The Kafka adapter is the `kafka` feature (librdkafka is a long C build): the
//! cluster binaries enable it, the all-in-one does without.

#[cfg(feature = "kafka")]
pub mod kafka;
pub mod memory;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use travel_config::{ConfigError, Env, SecretUrl};

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus unavailable: {0}")]
    Unavailable(String),
    #[error("bus configuration: {0}")]
    Config(String),
}

pub type Result<T, E = BusError> = std::result::Result<T, E>;

/// The variable that names the bus.
const URL_VARIABLE: &str = "TRAVEL_BUS_URL";

/// Header naming why a record was dead-lettered.
pub const DLQ_REASON_HEADER: &str = "dlq-reason";
/// Headers naming where a dead-lettered record came from.
pub const DLQ_SOURCE_HEADER: &str = "dlq-source";

/// The dead-letter topic of a topic.
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}

/// One consumed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: String,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[async_trait]
pub trait Publisher: Send + Sync + 'static {
    /// Appends a record; returns once the bus has acknowledged it durably
    /// (Kafka: acks=all, idempotent producer).
    async fn publish(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        headers: &[(String, String)],
    ) -> Result<()>;
}

#[async_trait]
pub trait Consumer: Send + 'static {
    /// Up to `max` records of the assigned partitions, waiting at most `wait` for the
    /// first one. Records of one key come in the order they were published.
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>>;

    /// Marks these records (and everything before them in their partitions) processed.
    /// Uncommitted records are delivered again after a restart or rebalance.
    async fn commit(&mut self, records: &[Record]) -> Result<()>;
}

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    fn backend(&self) -> &'static str;

    /// Creates the topics that do not exist yet.
    async fn ensure_topics(&self, topics: &[&str]) -> Result<()>;

    fn publisher(&self) -> Result<Arc<dyn Publisher>>;

    /// Joins `group` as a new member consuming `topics`.
    async fn consumer(&self, group: &str, topics: &[&str]) -> Result<Box<dyn Consumer>>;
}

/// Sends a record that could not be processed to the dead-letter topic, with the reason
/// and its origin in headers, so nothing is dropped silently.
pub async fn dead_letter(publisher: &dyn Publisher, record: &Record, reason: &str) -> Result<()> {
    let mut headers = record.headers.clone();
    headers.push((DLQ_REASON_HEADER.to_string(), reason.to_string()));
    headers.push((
        DLQ_SOURCE_HEADER.to_string(),
        format!("{}/{}/{}", record.topic, record.partition, record.offset),
    ));
    publisher
        .publish(
            &dead_letter_topic(&record.topic),
            &record.key,
            &record.payload,
            &headers,
        )
        .await
}

/// Settings shared by the adapters.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// May hold SASL credentials: shown masked.
    pub url: SecretUrl,
    /// Partitions of topics this service creates.
    pub partitions: i32,
    /// Consumer-group session time-out (Kafka); shorter means faster rebalances.
    pub session_timeout: Duration,
}

impl BusConfig {
    pub fn new(url: impl Into<SecretUrl>) -> Self {
        Self {
            url: url.into(),
            partitions: 6,
            session_timeout: Duration::from_secs(10),
        }
    }

    /// `TRAVEL_BUS_URL` (or `_FILE`), the partitions of topics a service creates and
    /// the consumer-group session time-out.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.secret_url(URL_VARIABLE, "memory://", &["kafka", "memory"])?;
        let mut config = Self::new(url);
        config.partitions = env.parse("TRAVEL_BUS_PARTITIONS", config.partitions)?;
        config.session_timeout =
            env.duration("TRAVEL_BUS_SESSION_TIMEOUT", config.session_timeout)?;
        if config.partitions < 1 {
            return Err(ConfigError {
                variable: "TRAVEL_BUS_PARTITIONS".into(),
                value: config.partitions.to_string(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(config)
    }
}

/// Opens the bus the URL names.
pub fn connect(config: &BusConfig) -> Result<Arc<dyn Bus>> {
    match config.url.scheme() {
        #[cfg(feature = "kafka")]
        "kafka" => Ok(Arc::new(kafka::KafkaBus::new(config)?)),
        #[cfg(not(feature = "kafka"))]
        "kafka" => Err(BusError::Config(format!(
            "{URL_VARIABLE} names a Kafka broker, but this build has no Kafka adapter (cargo \
             feature travel-bus/kafka; the processor and ingestor binaries have it)"
        ))),
        "memory" => Ok(Arc::new(memory::MemoryBus::new(config.partitions))),
        other => Err(BusError::Config(format!(
            "{URL_VARIABLE}: unsupported scheme {other:?}; expected kafka:// or memory://"
        ))),
    }
}

/// Stable partition of a key (FNV-1a), so one key always lands on one partition.
pub(crate) fn partition_of(key: &str, partitions: i32) -> i32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % partitions.max(1) as u64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kafka_url_lists_every_bootstrap_broker() {
        let env = Env::from_pairs([(
            "TRAVEL_BUS_URL",
            "kafka://svc:pw-1@b-1.msk:9096,b-2.msk:9096,b-3.msk:9096?security.protocol=SASL_SSL",
        )]);
        let config = BusConfig::from_env(&env).unwrap();
        assert_eq!(
            config.url.hosts(),
            ["b-1.msk:9096", "b-2.msk:9096", "b-3.msk:9096"]
        );
        assert!(!format!("{config:?}").contains("pw-1"));
        // The client is configured (no connection is made until it is used).
        #[cfg(feature = "kafka")]
        assert!(connect(&config).is_ok());
        #[cfg(not(feature = "kafka"))]
        assert!(matches!(connect(&config), Err(BusError::Config(m)) if m.contains("feature")));
    }

    #[test]
    fn bad_bus_settings_name_their_variable() {
        for (name, value) in [
            ("TRAVEL_BUS_URL", "amqp://broker"),
            ("TRAVEL_BUS_PARTITIONS", "0"),
            ("TRAVEL_BUS_SESSION_TIMEOUT", "soon"),
        ] {
            let err = BusConfig::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(err.variable, name);
        }
    }
}
