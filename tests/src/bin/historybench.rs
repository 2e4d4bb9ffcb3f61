//! `make bench` (history part): latency of the history routes on the all-in-one with
//! the full shipped history, in SQLite and in MySQL, against the bare SQL query that
//! fetches the same rows, measured in the same run; and the forecast backtest.
//!
//! Cold requests use a window no earlier request used (shifted a day each time), so
//! every one misses the cache; warm requests repeat one window. Figures are printed,
//! never asserted.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Days, NaiveDate};
use clap::Parser;
use rust_decimal::prelude::ToPrimitive;
use travel_analytics::forecast::backtest;
use travel_domain::CurrencyCode;
use travel_runtime::{Env, Shutdown};
use travel_storage::RateStore;
use travel_tests::bench::percentile_ms;

#[derive(Parser, Debug)]
struct Args {
    /// MySQL/MariaDB server (without database) for the MySQL run; "none" skips it.
    #[arg(long, default_value = "mysql://root@127.0.0.1:3306")]
    mysql: String,
    /// Requests per measurement.
    #[arg(long, default_value_t = 100)]
    samples: usize,
}

const TEN: [&str; 10] = [
    "USD", "JPY", "EUR", "GBP", "CHF", "CAD", "AUD", "CNY", "HKD", "SGD",
];
const END: (i32, u32, u32) = (2026, 10, 30);
/// Calendar days the stats route reads before a window for its indicators.
const LOOKBACK_DAYS: u64 = 120;

struct Figures {
    p50: f64,
    p99: f64,
}

fn figures(mut samples: Vec<Duration>) -> Figures {
    Figures {
        p50: percentile_ms(&mut samples, 0.50),
        p99: percentile_ms(&mut samples, 0.99),
    }
}

async fn time_get(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = client.get(url).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.bytes().await?;
    Ok(started.elapsed())
}

fn window(shift: u64) -> (NaiveDate, NaiveDate) {
    let end = NaiveDate::from_ymd_opt(END.0, END.1, END.2).unwrap() - Days::new(shift);
    let start = end.checked_sub_months(chrono::Months::new(12)).unwrap() + Days::new(1);
    (start, end)
}

async fn run(label: &str, store: &dyn RateStore, base: &str, samples: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let code = |c: &str| CurrencyCode::parse(c).unwrap();
    println!("-- {label}");

    // /history/stats for USD over one year.
    let (mut cold, mut warm, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples {
        let (start, end) = window(i as u64 + 1);
        cold.push(
            time_get(
                &client,
                &format!("{base}/api/v1/history/stats?target=USD&start={start}&end={end}"),
            )
            .await?,
        );
        let from = start - Days::new(LOOKBACK_DAYS);
        let started = Instant::now();
        let rows = store.daily_rates(code("USD"), from, end).await?;
        bare.push(started.elapsed());
        anyhow::ensure!(rows.len() > 200, "the full history is loaded");
    }
    let url = format!("{base}/api/v1/history/stats?target=USD&period=1y");
    time_get(&client, &url).await?;
    for _ in 0..samples {
        warm.push(time_get(&client, &url).await?);
    }
    report("stats 1y (USD)", cold, warm, bare);

    // /history/compare for ten currencies over one month... and one year.
    let (mut cold, mut warm, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    let targets = TEN.join(",");
    for i in 0..samples {
        let (start, end) = window(i as u64 + 1);
        cold.push(
            time_get(
                &client,
                &format!("{base}/api/v1/history/compare?targets={targets}&start={start}&end={end}"),
            )
            .await?,
        );
        let started = Instant::now();
        for target in TEN {
            store.daily_rates(code(target), start, end).await?;
        }
        bare.push(started.elapsed());
    }
    let url = format!("{base}/api/v1/history/compare?targets={targets}&period=1y");
    time_get(&client, &url).await?;
    for _ in 0..samples {
        warm.push(time_get(&client, &url).await?);
    }
    report("compare 1y (10 currencies)", cold, warm, bare);
    Ok(())
}

fn report(name: &str, cold: Vec<Duration>, warm: Vec<Duration>, bare: Vec<Duration>) {
    let (cold, warm, bare) = (figures(cold), figures(warm), figures(bare));
    println!(
        "{name:<28} cold p50 {:>7.2} ms p99 {:>7.2} ms | warm p50 {:>6.2} ms p99 {:>6.2} ms | bare SQL p50 {:>6.2} ms p99 {:>6.2} ms | cold/bare p50 {:.2}x (target <= 2x)",
        cold.p50,
        cold.p99,
        warm.p50,
        warm.p99,
        bare.p50,
        bare.p99,
        cold.p50 / bare.p50
    );
}

async fn start_app(pairs: Vec<(String, String)>) -> anyhow::Result<travel_allinone::RunningApp> {
    let config = travel_allinone::AllInOneConfig::from_env(&Env::from_pairs(pairs))?;
    travel_allinone::start(config, Shutdown::new()).await
}

fn common_pairs(data_dir: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("TRAVEL_DATA_DIR".into(), data_dir.display().to_string()),
        ("TRAVEL_GATEWAY_ADDR".into(), "127.0.0.1:0".into()),
        ("TRAVEL_RATE_LIMIT".into(), "1000000000".into()),
        ("TRAVEL_INGEST_EVERY".into(), "off".into()),
    ]
}

async fn backtests(store: &dyn RateStore) -> anyhow::Result<()> {
    println!(
        "-- forecast backtest on the shipped ECB history (KRW per unit, rolling origin every 5 days, 250-day estimation window)"
    );
    let start = NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(END.0, END.1, END.2).unwrap();
    for currency in ["USD", "JPY", "EUR", "CNY", "THB"] {
        let rows = store
            .daily_rates(CurrencyCode::parse(currency).unwrap(), start, end)
            .await?;
        let rates: Vec<f64> = rows.iter().filter_map(|r| r.close.to_f64()).collect();
        for horizon in [1, 7] {
            if let Some(b) = backtest(&rates, horizon, 5) {
                println!(
                    "{currency} h={horizon:<2} origins {:>4}  MASE drift {:.3}  naive {:.3}  ({})  80% coverage drift {:.1}%  naive {:.1}%",
                    b.origins,
                    b.mase_drift,
                    b.mase_naive,
                    if b.drift_is_worse() {
                        "drift worse: naive served"
                    } else {
                        "drift kept"
                    },
                    b.coverage_drift * 100.0,
                    b.coverage_naive * 100.0
                );
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();

    let dir = tempfile::tempdir()?;
    let app = start_app(common_pairs(dir.path()))
        .await
        .context("all-in-one on SQLite")?;
    let settings =
        travel_wiring::CommonSettings::from_env(&Env::from_pairs(common_pairs(dir.path())))?;
    let store = travel_wiring::connect_store(&settings.database).await?;
    run(
        "SQLite",
        store.as_ref(),
        &format!("http://{}", app.gateway_addr),
        args.samples,
    )
    .await?;
    backtests(store.as_ref()).await?;
    app.stop().await?;

    if args.mysql != "none" {
        let name = format!("travel_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = <sqlx::MySqlConnection as sqlx::Connection>::connect(&args.mysql)
            .await
            .with_context(|| format!("MySQL at {}", args.mysql))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        let url = format!("{}/{name}", args.mysql.trim_end_matches('/'));
        let dir = tempfile::tempdir()?;
        let mut pairs = common_pairs(dir.path());
        pairs.push(("TRAVEL_DATABASE_URL".into(), url.clone()));
        let started = Instant::now();
        let app = start_app(pairs.clone())
            .await
            .context("all-in-one on MySQL")?;
        println!(
            "(MySQL: migrations and seeding of the full history took {:.1} s)",
            started.elapsed().as_secs_f64()
        );
        let settings = travel_wiring::CommonSettings::from_env(&Env::from_pairs(pairs))?;
        let store = travel_wiring::connect_store(&settings.database).await?;
        let result = run(
            "MySQL (MariaDB)",
            store.as_ref(),
            &format!("http://{}", app.gateway_addr),
            args.samples,
        )
        .await;
        app.stop().await?;
        store.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        result?;
    }
    Ok(())
}
