//! The hook binary against a real (embedded) database: it migrates, is idempotent,
//! and refuses an unusable URL with the configuration exit code.

use std::process::Command;

use sqlx::Connection;

fn migrate(url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .env_clear()
        .env("TRAVEL_DATABASE_URL", url)
        .env("TRAVEL_LOG", "warn")
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

#[test]
fn an_unusable_url_is_a_configuration_error() {
    let output = migrate("postgres://db/travel");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TRAVEL_DATABASE_URL"), "{stderr}");
}
