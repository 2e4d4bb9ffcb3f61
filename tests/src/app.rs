//! An all-in-one started for a test.
//!
//! Seeding the shipped history takes seconds, so it happens once per test binary
//! into a template database; every app starts from a copy of it (the crates.io
//! pattern of a migrated template database, here a file copy).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use travel_allinone::{AllInOneConfig, RunningApp, start};
use travel_runtime::{Env, Shutdown};

/// A running all-in-one and the temporary folder that holds its database.
pub struct TestApp {
    pub base_url: String,
    pub currency_url: String,
    pub history_url: String,
    pub ranking_url: String,
    pub http: reqwest::Client,
    app: Option<RunningApp>,
    _data_dir: tempfile::TempDir,
}

/// What a browser's gRPC-Web library does, as a tower service: HTTP/1.1 to the
/// gateway with the gRPC-Web framing. Wrap it in any generated client.
pub type GrpcWeb = tonic_web::GrpcWebClientService<
    hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        tonic_web::GrpcWebCall<tonic::body::Body>,
    >,
>;

/// A gRPC-Web transport to the gateway at `base_url` and its origin, for
/// `XServiceClient::with_origin(service, origin)`.
pub fn grpc_web(base_url: &str) -> (GrpcWeb, http::Uri) {
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let service = tower::ServiceBuilder::new()
        .layer(tonic_web::GrpcWebClientLayer::new())
        .service(http);
    (service, base_url.parse().expect("the gateway URL is a URI"))
}

impl TestApp {
    /// A gRPC-Web transport to the gateway and its origin, for
    /// `XServiceClient::with_origin(service, origin)`.
    pub fn grpc_web(&self) -> (GrpcWeb, http::Uri) {
        grpc_web(&self.base_url)
    }

    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await.expect("clean shutdown");
        }
    }

    pub fn data_dir(&self) -> &Path {
        self._data_dir.path()
    }

    /// The app's SQLite database, for tests that write behind its back.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}/travel.db", self._data_dir.path().display())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// GETs a path and returns the status and the parsed JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.expect("body is JSON");
        (status, body)
    }

    /// POSTs a JSON body; returns the status, the headers and the parsed JSON answer.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        let response = self
            .http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.json().await.expect("body is JSON"),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(app) = &self.app {
            app.shutdown_handle().trigger();
        }
    }
}

fn template_dir() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("travel-template-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("template dir");
        let seed_dir = dir.clone();
        // A runtime of its own: the template outlives the test that first asks for it.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let env = Env::from_pairs([("TRAVEL_DATA_DIR", seed_dir.display().to_string())]);
                let settings = travel_wiring::CommonSettings::from_env(&env).unwrap();
                let store = travel_wiring::connect_store(&settings.database)
                    .await
                    .expect("template database");
                store.migrate().await.expect("migrations");
                let catalog = travel_domain::Catalog::new();
                travel_dataset::seed_shipped_data(store.as_ref(), &catalog, &|_| {})
                    .await
                    .expect("seeding");
                // Closing the last connection checkpoints the WAL into the main file.
                store.close().await;
            });
        })
        .join()
        .expect("template seeding thread");
        dir
    })
}

/// Copies the seeded template database into a fresh folder.
pub fn seeded_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        template_dir().join("travel.db"),
        dir.path().join("travel.db"),
    )
    .expect("copy the template database");
    dir
}

/// Starts the all-in-one on loopback port 0 with a copy of the seeded database, the
/// in-memory cache, and `overrides` applied to the environment it reads.
pub async fn spawn_app(overrides: &[(&str, &str)]) -> TestApp {
    let data_dir = seeded_data_dir();
    let mut pairs: Vec<(String, String)> = vec![
        (
            "TRAVEL_DATA_DIR".into(),
            data_dir.path().display().to_string(),
        ),
        ("TRAVEL_GATEWAY_ADDR".into(), "127.0.0.1:0".into()),
        ("TRAVEL_CURRENCY_ADDR".into(), "127.0.0.1:0".into()),
        ("TRAVEL_HISTORY_ADDR".into(), "127.0.0.1:0".into()),
        ("TRAVEL_RANKING_ADDR".into(), "127.0.0.1:0".into()),
        // Rankings are calculated when a test asks, so their baselines are known.
        ("TRAVEL_RANKING_EVERY".into(), "off".into()),
        ("TRAVEL_DEPENDENCY_CHECK_INTERVAL".into(), "200ms".into()),
        // Tests never reach the public sources; ingestion tests point them at local servers.
        ("TRAVEL_INGEST_EVERY".into(), "off".into()),
    ];
    for (key, value) in overrides {
        pairs.retain(|(k, _)| k != key);
        pairs.push((key.to_string(), value.to_string()));
    }
    let config = AllInOneConfig::from_env(&Env::from_pairs(pairs)).expect("test configuration");
    if std::env::var("TEST_LOG").is_ok() {
        let env = Env::from_process();
        let telemetry = travel_runtime::telemetry::TelemetryConfig::from_env(&env, "test").unwrap();
        std::mem::forget(travel_runtime::telemetry::init(&telemetry));
    }
    let app = start(config, Shutdown::new())
        .await
        .expect("all-in-one starts");
    TestApp {
        base_url: format!("http://{}", app.gateway_addr),
        currency_url: format!("http://{}", app.currency_addr),
        history_url: format!("http://{}", app.history_addr),
        ranking_url: format!("http://{}", app.ranking_addr),
        http: reqwest::Client::new(),
        app: Some(app),
        _data_dir: data_dir,
    }
}
