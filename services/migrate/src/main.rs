//! `migrate`: applies the migrations the services embed to `TRAVEL_DATABASE_URL`, then
//! exits — 0 when the schema is current, non-zero otherwise. The Helm chart runs it as
//! a pre-install/pre-upgrade hook so that services start against a migrated schema
//! (they run with `TRAVEL_DATABASE_AUTO_MIGRATE=false` in the cluster).

use anyhow::Context;
use travel_runtime::config::or_exit;
use travel_runtime::{Env, telemetry};
use travel_wiring::{CommonSettings, connect_store};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env = Env::from_process();
    let common = or_exit(CommonSettings::from_env(&env));
    let _telemetry = telemetry::init(&or_exit(telemetry::TelemetryConfig::from_env(
        &env, "migrate",
    )));
    let store = connect_store(&common.database).await?;
    store
        .migrate()
        .await
        .context("running database migrations")?;
    tracing::info!(database = store.backend(), "database schema is current");
    store.close().await;
    Ok(())
}
