//! Per-test resources on the real servers of `make test-infra`.
//!
//! Every test gets its own MySQL database (created, migrated, dropped) and its own
//! Redis key prefix, so the suites run in parallel against one server.

use std::time::Duration;

use sqlx::Connection;
use travel_storage::StoreConfig;
use url::Url;

/// Server URL without a database; `TRAVEL_TEST_MYSQL_URL` overrides the default.
pub fn mysql_server_url() -> String {
    std::env::var("TRAVEL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_string())
}

pub fn redis_url() -> String {
    std::env::var("TRAVEL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// A database that exists for one test.
pub struct MySqlDatabase {
    pub config: StoreConfig,
    name: String,
}

impl MySqlDatabase {
    /// Creates `travel_t_<random>`. Fails loudly when the server is unreachable:
    /// an infra suite that cannot reach its server must not pass.
    pub async fn create() -> Self {
        let server = mysql_server_url();
        let name = format!("travel_t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::MySqlConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("MySQL/MariaDB at {server} is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} CHARACTER SET utf8mb4"
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        let mut url = Url::parse(&server).expect("server URL");
        url.set_path(&format!("/{name}"));
        let mut config = StoreConfig::new(url);
        config.max_connections = 8;
        config.acquire_timeout = Duration::from_secs(10);
        Self { config, name }
    }

    pub async fn drop_database(self) {
        if let Ok(mut admin) = sqlx::MySqlConnection::connect(&mysql_server_url()).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {}",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// A key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("travel-test:{}:", uuid::Uuid::new_v4().simple())
}

/// Kafka-protocol broker of `make test-infra` (tansu); `TRAVEL_TEST_KAFKA_URL` overrides.
///
/// One record per produce batch: tansu 0.6 stops serving a partition to a consumer
/// whose committed offset lies inside a record batch (seen here after a few kills of
/// the processor; Apache Kafka and MSK resume inside batches). Batching is a broker
/// and client optimisation, not part of the semantics under test.
pub fn kafka_url() -> String {
    std::env::var("TRAVEL_TEST_KAFKA_URL")
        .unwrap_or_else(|_| "kafka://127.0.0.1:9092?linger.ms=0&batch.num.messages=1".to_string())
}
