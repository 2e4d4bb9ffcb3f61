//! `make bench` (pipeline part): processor throughput for a burst of 100k rate events,
//! into SQLite and into MySQL, against the raw batched upsert of the same rows without
//! the bus, measured in the same run. Figures are printed, never asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use clap::Parser;
use rust_decimal::Decimal;
use travel_bus::BusConfig;
use travel_cache::CacheConfig;
use travel_domain::{Catalog, Observation};
use travel_events::{Provenance, RATES_TOPIC, encode};
use travel_processor::{Processor, ProcessorConfig};
use travel_runtime::Shutdown;
use travel_storage::{RateStore, StoreConfig};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    events: u32,
    /// MySQL/MariaDB server (without database); "none" skips the MySQL run.
    #[arg(long, default_value = "mysql://root@127.0.0.1:3306")]
    mysql: String,
    #[arg(long, default_value_t = 500)]
    batch: usize,
}

/// Distinct observations: every active currency, three sources, five-minute steps.
fn observations(count: u32) -> Vec<Observation> {
    let catalog = Catalog::new();
    let currencies: Vec<_> = catalog
        .active_currencies()
        .map(|c| c.code)
        .filter(|c| c.as_str() != "KRW")
        .collect();
    let sources = ["KOREAEXIM", "BOK", "ECB"];
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (0..count)
        .map(|i| {
            let currency = currencies[i as usize % currencies.len()];
            let step = i as usize / currencies.len();
            let recorded_at = start + chrono::Duration::minutes(5 * (step / sources.len()) as i64);
            Observation {
                currency,
                source: sources[step % sources.len()].to_string(),
                recorded_at,
                rate_date: recorded_at.date_naive(),
                mid: Decimal::new(1_000_000 + i64::from(i), 3),
                tts: None,
                ttb: None,
                raw_unit: 1,
                redistributable: true,
            }
        })
        .collect()
}

async fn store(url: &str) -> anyhow::Result<Arc<dyn RateStore>> {
    let mut config = StoreConfig::new(url::Url::parse(url)?);
    config.max_connections = 4;
    let store = travel_storage::connect(&config).await?;
    store.migrate().await?;
    Ok(store)
}

async fn raw(
    store: &dyn RateStore,
    observations: &[Observation],
    batch: usize,
) -> anyhow::Result<f64> {
    // Grouped by currency, as a partitioned topic delivers them: each batch then
    // touches few (currency, day) aggregates, the raw path's best case.
    let mut observations = observations.to_vec();
    observations.sort_by_key(|o| (o.currency, o.recorded_at));
    let started = Instant::now();
    for chunk in observations.chunks(batch) {
        store.record_observations(chunk).await?;
    }
    Ok(observations.len() as f64 / started.elapsed().as_secs_f64())
}

async fn pipeline(
    store: Arc<dyn RateStore>,
    observations: &[Observation],
    batch: usize,
) -> anyhow::Result<f64> {
    let bus = travel_bus::connect(&BusConfig::new(url::Url::parse("memory://")?))?;
    bus.ensure_topics(&[RATES_TOPIC]).await?;
    let publisher = bus.publisher()?;
    for o in observations {
        publisher
            .publish(
                RATES_TOPIC,
                o.currency.as_str(),
                &encode(o, &Provenance::default()),
                &[],
            )
            .await?;
    }
    let cache = travel_cache::connect(&CacheConfig::new(url::Url::parse("memory://")?)).await?;
    let config = ProcessorConfig {
        batch_size: batch,
        poll_wait: Duration::from_millis(20),
        ..ProcessorConfig::default()
    };
    let processor = Processor::new(bus, store.clone(), cache, config);
    let shutdown = Shutdown::new();
    let started = Instant::now();
    let task = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { processor.run(shutdown).await })
    };
    let want = observations.len() as u64;
    while store.observation_count(None).await? < want {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(900),
            "processor did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rate = want as f64 / started.elapsed().as_secs_f64();
    shutdown.trigger();
    task.await??;
    Ok(rate)
}

fn report(label: &str, pipeline: f64, raw: f64) {
    println!(
        "{label:<16} processor {pipeline:>9.0} events/s | raw batched upsert {raw:>9.0} rows/s | ratio {:.2} (target >= 0.5)",
        pipeline / raw
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let events = observations(args.events);
    println!(
        "-- processor throughput, burst of {} events, batches of {}",
        events.len(),
        args.batch
    );

    let dir = tempfile::tempdir()?;
    let raw_rate = raw(
        store(&format!("sqlite://{}/raw.db", dir.path().display()))
            .await?
            .as_ref(),
        &events,
        args.batch,
    )
    .await?;
    let pipeline_rate = pipeline(
        store(&format!("sqlite://{}/pipeline.db", dir.path().display())).await?,
        &events,
        args.batch,
    )
    .await?;
    report("SQLite", pipeline_rate, raw_rate);

    if args.mysql != "none" {
        let mut admin = <sqlx::MySqlConnection as sqlx::Connection>::connect(&args.mysql)
            .await
            .with_context(|| format!("MySQL at {}", args.mysql))?;
        let mut rates = Vec::new();
        for kind in ["raw", "pipeline"] {
            let name = format!("travel_bench_{kind}_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await?;
            let url = format!("{}/{name}", args.mysql.trim_end_matches('/'));
            let store = store(&url).await?;
            let rate = if kind == "raw" {
                raw(store.as_ref(), &events, args.batch).await
            } else {
                pipeline(store.clone(), &events, args.batch).await
            };
            store.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
                .execute(&mut admin)
                .await?;
            rates.push(rate?);
        }
        report("MySQL (MariaDB)", rates[1], rates[0]);
    }
    Ok(())
}
