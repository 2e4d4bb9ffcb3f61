//! The hook binary against a real (embedded) database: it migrates, is idempotent,
//! and refuses an unusable URL with the configuration exit code.

use std::process::Command;

use sqlx::Connection;

fn migrate(url: &str) -> std::process::Output {
    run(url, &[], "warn")
}

fn run(url: &str, args: &[&str], log: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .env_clear()
        .env("TRAVEL_DATABASE_URL", url)
        .env("TRAVEL_LOG", log)
        .args(args)
        .output()
        .expect("migrate runs")
}

#[tokio::test]
async fn migrates_a_new_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hook.db", dir.path().display());
    for _ in 0..2 {
        let output = migrate(&url);
        assert!(output.status.success(), "{output:?}");
    }
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert!(applied >= 2, "{applied} migrations applied");
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'latest_rates'",
    )
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!(tables, 1);
}

async fn count(url: &str, table: &str) -> i64 {
    let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
    // The table names are this file's own literals.
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(&mut connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn seed_loads_the_shipped_datasets_once() {
    // The chart's post-install hook: a new database gets the real history.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/seed.db", dir.path().display());
    let first = run(&url, &["--seed"], "info");
    assert!(first.status.success(), "{first:?}");
    let history = count(&url, "exchange_rate_history").await;
    // ECB reference rates since 1999: tens of thousands of KRW quotes.
    assert!(history > 100_000, "{history} history rows");
    assert!(count(&url, "price_indices").await > 1_000);
    assert_eq!(count(&url, "dataset_imports").await, 2);

    // A second run (every upgrade) finds the same content and writes nothing.
    let again = run(&url, &["--seed"], "info");
    assert!(again.status.success(), "{again:?}");
    let log = String::from_utf8_lossy(&again.stdout).to_string()
        + &String::from_utf8_lossy(&again.stderr);
    assert_eq!(log.matches("already loaded").count(), 2, "{log}");
    assert_eq!(count(&url, "exchange_rate_history").await, history);

    // Without the flag, only the schema.
    let plain = tempfile::tempdir().unwrap();
    let plain_url = format!("sqlite://{}/plain.db", plain.path().display());
    assert!(migrate(&plain_url).status.success());
    assert_eq!(count(&plain_url, "exchange_rate_history").await, 0);
}

#[test]
fn an_unusable_url_is_a_configuration_error() {
    let output = migrate("postgres://db/travel");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TRAVEL_DATABASE_URL"), "{stderr}");
}
