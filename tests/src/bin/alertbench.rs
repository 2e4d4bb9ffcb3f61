//! `make bench` (alerts part): the currency service's alert evaluator — the code that
//! runs on every quote change — timed per change with 100 and with 100,000 live
//! alerts, in SQLite and in MySQL, measured in the same run. Each change moves the yen
//! just past one more alert's threshold, so every change fires exactly one alert and
//! reads the others not at all; the target is at most 2× from 100 to 100,000 alerts.
//! Figures are printed, never asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Parser;
use futures::StreamExt;
use rust_decimal::Decimal;
use travel_currency::{AlertSettings, Alerts, Evaluator};
use travel_domain::alert::{Alert, AlertState, Condition};
use travel_domain::{CurrencyCode, Quote};
use travel_runtime::Env;
use travel_storage::{RateStore, StoredAlert};
use travel_tests::bench::percentile_ms;

#[derive(Parser, Debug)]
struct Args {
    /// MySQL/MariaDB server (without database) for the MySQL run; "none" skips it.
    #[arg(long, default_value = "mysql://root@127.0.0.1:3306")]
    mysql: String,
    /// Changes timed per measurement.
    #[arg(long, default_value_t = 200)]
    changes: usize,
    /// The large alert count.
    #[arg(long, default_value_t = 100_000)]
    many: usize,
}

/// Currencies the background alerts watch (in KRW), as travellers would spread them.
const WATCHED: [&str; 10] = [
    "USD", "JPY", "EUR", "GBP", "CHF", "CAD", "AUD", "CNY", "HKD", "SGD",
];
/// The yen's rate before the first change, in KRW per yen.
const START: i64 = 900;

fn code(raw: &str) -> CurrencyCode {
    CurrencyCode::parse(raw).expect("a catalog code")
}

fn alert(
    id: String,
    currency: CurrencyCode,
    condition: Condition,
    threshold: Decimal,
) -> StoredAlert {
    let now = Utc::now();
    StoredAlert {
        alert: Alert {
            id,
            currency,
            base: CurrencyCode::KRW,
            condition,
            threshold,
            reference_rate: threshold,
            webhook_url: None,
            created_at: now,
            expires_at: now + chrono::Duration::days(30),
            state: AlertState::Active,
            fired: None,
        },
        token_hash: "b".repeat(64),
        secret: "bench".to_string(),
    }
}

/// `count` alerts none of the timed changes crosses: thresholds far below and above
/// the rates, on every watched currency; and the alerts the changes will cross one by
/// one (yen above 9.00 + k/1000).
async fn fill(store: &Arc<dyn RateStore>, count: usize, changes: usize) -> anyhow::Result<()> {
    let mut alerts = Vec::with_capacity(count + changes);
    for i in 0..count {
        let currency = code(WATCHED[i % WATCHED.len()]);
        let (condition, threshold) = if i % 2 == 0 {
            (Condition::Below, Decimal::new(1 + (i % 500) as i64, 3))
        } else {
            (Condition::Above, Decimal::new(1_000_000 + i as i64, 0))
        };
        alerts.push(alert(format!("bg-{i}"), currency, condition, threshold));
    }
    for k in 0..changes {
        let threshold = Decimal::new(START * 1000 + k as i64 + 1, 5);
        alerts.push(alert(
            format!("x-{k}"),
            code("JPY"),
            Condition::Above,
            threshold,
        ));
    }
    let results: Vec<_> = futures::stream::iter(alerts)
        .map(|alert| {
            let store = store.clone();
            async move { store.create_alert(&alert).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for result in results {
        result?;
    }
    Ok(())
}

fn yen(mid: Decimal, at: DateTime<Utc>) -> Quote {
    Quote {
        currency: code("JPY"),
        mid,
        tts: None,
        ttb: None,
        recorded_at: at,
        rate_date: at.date_naive(),
        source: "BENCH".into(),
    }
}

/// Per-change evaluation times with `count` background alerts.
async fn measure(
    store: Arc<dyn RateStore>,
    count: usize,
    changes: usize,
) -> anyhow::Result<Vec<Duration>> {
    let started = Instant::now();
    fill(&store, count, changes).await?;
    println!(
        "  ({count} alerts stored in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let mut evaluator = Evaluator::new(Alerts {
        store,
        settings: AlertSettings::default(),
        changed: Arc::default(),
        queued: Arc::default(),
    });
    let t0 = Utc::now();
    // The first quote: nothing crossed yet.
    evaluator
        .apply(vec![yen(Decimal::new(START, 2), t0)])
        .await?;
    let mut samples = Vec::with_capacity(changes);
    for k in 0..changes {
        // Just past alert x-k's threshold (9.00 + (k+1)/100000), below the next one's.
        let mid = Decimal::new(START * 1000 + k as i64 + 1, 5) + Decimal::new(5, 7);
        let at = t0 + chrono::Duration::seconds(k as i64 + 1);
        let started = Instant::now();
        let fired = evaluator.apply(vec![yen(mid, at)]).await?;
        samples.push(started.elapsed());
        anyhow::ensure!(fired == 1, "change {k} fired {fired} alerts, not one");
    }
    Ok(samples)
}

async fn sqlite_store(dir: &std::path::Path) -> anyhow::Result<Arc<dyn RateStore>> {
    let env = Env::from_pairs([("TRAVEL_DATA_DIR", dir.display().to_string())]);
    let settings = travel_wiring::CommonSettings::from_env(&env)?;
    let store = travel_wiring::connect_store(&settings.database).await?;
    store.migrate().await?;
    Ok(store)
}

async fn run(
    backend: &str,
    make: impl AsyncFn() -> anyhow::Result<Arc<dyn RateStore>>,
    args: &Args,
) -> anyhow::Result<()> {
    println!("alert evaluation per quote change, {backend}:");
    let mut few = measure(make().await?, 100, args.changes).await?;
    let mut many = measure(make().await?, args.many, args.changes).await?;
    let (few50, few99) = (percentile_ms(&mut few, 0.5), percentile_ms(&mut few, 0.99));
    let (many50, many99) = (
        percentile_ms(&mut many, 0.5),
        percentile_ms(&mut many, 0.99),
    );
    println!("  100 alerts:      p50 {few50:.3} ms  p99 {few99:.3} ms");
    println!(
        "  {} alerts:  p50 {many50:.3} ms  p99 {many99:.3} ms",
        args.many
    );
    println!(
        "  ratio {} / 100: p50 {:.2}x  p99 {:.2}x (target ≤ 2x)",
        args.many,
        many50 / few50,
        many99 / few99
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dirs = std::sync::Mutex::new(Vec::new());
    run(
        "SQLite",
        async || {
            let dir = tempfile::tempdir()?;
            let store = sqlite_store(dir.path()).await;
            dirs.lock().unwrap().push(dir);
            store
        },
        &args,
    )
    .await?;

    if args.mysql != "none" {
        let mut admin = <sqlx::MySqlConnection as sqlx::Connection>::connect(&args.mysql)
            .await
            .with_context(|| format!("MySQL at {}", args.mysql))?;
        let names = std::sync::Mutex::new(Vec::new());
        let result = run(
            "MySQL (MariaDB)",
            async || {
                let name = format!("travel_bench_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    <sqlx::MySqlConnection as sqlx::Connection>::connect(&args.mysql).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
                names.lock().unwrap().push(name.clone());
                let url = format!("{}/{name}", args.mysql.trim_end_matches('/'));
                let env = Env::from_pairs([("TRAVEL_DATABASE_URL", url)]);
                let settings = travel_wiring::CommonSettings::from_env(&env)?;
                let store = travel_wiring::connect_store(&settings.database).await?;
                store.migrate().await?;
                Ok(store)
            },
            &args,
        )
        .await;
        for name in names.into_inner().unwrap() {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
                .execute(&mut admin)
                .await?;
        }
        result?;
    }
    Ok(())
}
