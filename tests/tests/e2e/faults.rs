//! Backend outages as clients see them (`make test-infra`): the all-in-one on MariaDB
//! and Redis, each behind a fault proxy that refuses or black-holes connections.
//! Asserted: statuses, error codes, where answers came from, /health and /readyz, and
//! recovery without a restart.

use std::time::Duration;

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::Value;
use travel_domain::{CurrencyCode, Observation};
use travel_tests::app::{TestApp, spawn_app};
use travel_tests::eventually;
use travel_tests::fault::{Backends, FaultProxy, Mode};
use travel_tests::infra::{MySqlDatabase, unique_prefix};

struct Rig {
    app: TestApp,
    database: MySqlDatabase,
    mysql: FaultProxy,
    redis: FaultProxy,
}

/// A migrated database with today's USD, JPY and EUR quotes, the all-in-one on it.
async fn rig() -> Rig {
    let database = MySqlDatabase::create().await;
    let store = travel_storage::connect(&database.config).await.unwrap();
    store.migrate().await.unwrap();
    store
        .sync_catalog(travel_domain::Catalog::new().currencies())
        .await
        .unwrap();
    let now = Utc::now();
    let quotes: Vec<Observation> = [("USD", 1380), ("JPY", 9), ("EUR", 1500)]
        .into_iter()
        .map(|(code, mid)| Observation {
            currency: CurrencyCode::parse(code).unwrap(),
            source: "TEST".into(),
            recorded_at: now,
            rate_date: now.date_naive(),
            mid: Decimal::from(mid),
            tts: None,
            ttb: None,
            raw_unit: 1,
            redistributable: true,
        })
        .collect();
    store.record_observations(&quotes).await.unwrap();
    store.close().await;

    let proxies = Backends::start().await;
    let url = proxies.database_url(&database);
    let cache_url = proxies.cache_url();
    let prefix = unique_prefix();
    let app = spawn_app(&[
        ("TRAVEL_DATABASE_URL", &url),
        ("TRAVEL_SEED", "false"),
        ("TRAVEL_CACHE_URL", &cache_url),
        ("TRAVEL_CACHE_PREFIX", &prefix),
        ("TRAVEL_CACHE_TIMEOUT", "200ms"),
        ("TRAVEL_DATABASE_ACQUIRE_TIMEOUT", "500ms"),
        ("TRAVEL_CACHE_BREAKER_COOL_DOWN", "300ms"),
        ("TRAVEL_DATABASE_BREAKER_COOL_DOWN", "300ms"),
    ])
    .await;
    Rig {
        app,
        database,
        mysql: proxies.mysql,
        redis: proxies.redis,
    }
}

const LATEST: &str = "/api/v1/currencies/latest?symbols=USD,JPY,EUR";

async fn health(app: &TestApp) -> (u16, Value) {
    app.get_json("/health").await
}

/// Waits until /health reports the dependency as `state`.
async fn dependency_becomes(app: &TestApp, name: &str, state: &str) -> (u16, Value) {
    eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || health(app).await,
        |(_, body)| body["data"]["dependencies"][name] == state,
    )
    .await
}

/// Waits until /health reports the breaker (`process/backend`) as `state`, reading
/// meanwhile so that the breaker sees traffic.
async fn breaker_becomes(app: &TestApp, name: &str, state: &str) -> Value {
    let (_, report) = eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || {
            app.get_json(LATEST).await;
            health(app).await
        },
        |(_, body)| body["data"]["breakers"][name] == state,
    )
    .await;
    report
}

async fn served_from_cache_again(app: &TestApp) {
    let (_, body) = eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || app.get_json(LATEST).await,
        |(status, body)| *status == 200 && body["data"]["cache_hit"] == true,
    )
    .await;
    assert_eq!(body["data"]["source"], "cache", "{body}");
}

#[tokio::test]
async fn redis_down_reads_come_from_the_database_and_hits_resume() {
    let rig = rig().await;
    let app = &rig.app;
    served_from_cache_again(app).await;
    for mode in [Mode::Refuse, Mode::BlackHole] {
        rig.redis.set(mode);
        for _ in 0..20 {
            let (status, body) = app.get_json(LATEST).await;
            assert_eq!(status, 200, "{mode:?}: {body}");
            assert_eq!(body["data"]["rates"]["USD"], 1380.0, "{body}");
        }
        let (_, body) = app.get_json(LATEST).await;
        assert_eq!(body["data"]["source"], "database", "{mode:?}: {body}");
        assert_eq!(body["data"]["cache_hit"], false);
        let (status, report) = dependency_becomes(app, "cache", "unhealthy").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["data"]["status"], "degraded");
        assert_eq!(app.get_json("/readyz").await.0, 200);
        // Both the gateway's and the services' breakers skip Redis, and /health says so.
        for name in ["gateway/cache", "currency/cache"] {
            let report = breaker_becomes(app, name, "open").await;
            assert_eq!(report["data"]["status"], "degraded", "{report}");
        }
        // Back without a restart.
        rig.redis.set(Mode::Pass);
        served_from_cache_again(app).await;
        dependency_becomes(app, "cache", "healthy").await;
        for name in ["gateway/cache", "currency/cache"] {
            breaker_becomes(app, name, "closed").await;
        }
    }
    rig.app.stop().await;
    rig.database.drop_database().await;
}

#[tokio::test]
async fn database_down_cached_reads_answer_others_fail_fast_and_selections_are_kept() {
    let rig = rig().await;
    let app = &rig.app;
    served_from_cache_again(app).await;
    for mode in [Mode::Refuse, Mode::BlackHole] {
        rig.mysql.set(mode);
        // The cache still holds the latest quotes.
        let (status, body) = app.get_json(LATEST).await;
        assert_eq!(status, 200, "{mode:?}: {body}");
        assert_eq!(body["data"]["source"], "cache");
        // History needs the database: a clear 503 with its code, again and again.
        for _ in 0..5 {
            let (status, body) = app
                .get_json(
                    "/api/v1/history/stats?target=USD&period=1w&start=2025-01-01&end=2025-01-31",
                )
                .await;
            assert_eq!(status, 503, "{mode:?}: {body}");
            assert_eq!(body["error"]["code"], "DATABASE_UNAVAILABLE", "{body}");
        }
        // Selections live in another store.
        let (status, _, body) = app
            .post_json(
                "/api/v1/rankings/selections",
                &serde_json::json!({"user_id": "fault-drill", "country_code": "JP"}),
            )
            .await;
        assert_eq!(status, 201, "{mode:?}: {body}");
        let (status, report) = dependency_becomes(app, "database", "unhealthy").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["data"]["status"], "degraded");
        assert_eq!(app.get_json("/readyz").await.0, 200);
        breaker_becomes(app, "history/database", "open").await;

        rig.mysql.set(Mode::Pass);
        eventually(
            Duration::from_secs(10),
            Duration::from_millis(100),
            async || {
                app.get_json("/api/v1/history/stats?target=USD&period=1w")
                    .await
            },
            |(status, _)| *status == 200,
        )
        .await;
        dependency_becomes(app, "database", "healthy").await;
        breaker_becomes(app, "history/database", "closed").await;
    }
    rig.app.stop().await;
    rig.database.drop_database().await;
}

#[tokio::test]
async fn both_down_only_coded_503s_and_full_recovery() {
    let rig = rig().await;
    let app = &rig.app;
    served_from_cache_again(app).await;
    rig.mysql.set(Mode::Refuse);
    rig.redis.set(Mode::Refuse);
    // The in-process cache entries of the currency service expire with the rate
    // cache; until then answers may still come from memory, so wait for the 503.
    let (status, body) = eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || app.get_json("/api/v1/currencies/USD").await,
        |(status, _)| *status == 503,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "DATABASE_UNAVAILABLE", "{body}");
    for path in [LATEST, "/api/v1/history?target=USD&period=1w"] {
        let (status, body) = app.get_json(path).await;
        assert!(status == 503, "{path}: {status} {body}");
        assert!(body["error"]["code"].as_str().is_some(), "{body}");
    }
    assert_eq!(app.get_json("/readyz").await.0, 200);
    assert_eq!(app.get_json("/livez").await.0, 200);

    rig.mysql.set(Mode::Pass);
    rig.redis.set(Mode::Pass);
    served_from_cache_again(app).await;
    let (status, report) = eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || health(app).await,
        |(_, body)| body["data"]["status"] == "healthy",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(report["data"]["status"], "healthy", "{report}");
    rig.app.stop().await;
    rig.database.drop_database().await;
}
