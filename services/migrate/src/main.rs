//! `migrate`: applies the migrations the services embed to `TRAVEL_DATABASE_URL`, then
//! exits — 0 when the schema is current, non-zero otherwise. The Helm chart runs it as
//! a pre-install/pre-upgrade hook so that services start against a migrated schema
//! (they run with `TRAVEL_DATABASE_AUTO_MIGRATE=false` in the cluster).
//!
//! `migrate --seed` also loads the shipped datasets (the ECB history since 1999, the
//! Big Mac index), skipping each whose content was loaded before: the chart's
//! post-install/post-upgrade hook, so a new database serves real history at once.

use anyhow::Context;
use clap::Parser;
use travel_runtime::config::or_exit;
use travel_runtime::{Env, telemetry};
use travel_wiring::{CommonSettings, connect_store};

#[derive(Parser)]
#[command(about = "Migrates the database schema, and optionally seeds the shipped datasets")]
struct Cli {
    /// After migrating, load the shipped ECB history and Big Mac index (skipped when
    /// the same files were loaded before; every write is an upsert).
    #[arg(long)]
    seed: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
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
    if cli.seed {
        let catalog = travel_domain::Catalog::new();
        store
            .sync_catalog(catalog.currencies())
            .await
            .context("synchronising the catalog table")?;
        let reports = travel_dataset::seed_shipped_data(
            store.as_ref(),
            &catalog,
            &travel_dataset::log_progress,
        )
        .await
        .context("seeding the shipped datasets")?;
        for report in &reports {
            report.log();
        }
    }
    store.close().await;
    Ok(())
}
