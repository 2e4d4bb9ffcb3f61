//! Ranking benchmarks, every figure with its baseline from the same run:
//! - selections per second through the gateway of a release all-in-one (64
//!   connections), against the embedded selection store written directly by as many
//!   tasks (what the gateway, gRPC hop and validation cost on top of the write);
//! - ranking calculation time after 10k and after 1M stored selections (target: the
//!   1M time at most 2× the 10k time, since a calculation reads counters only).

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate, Utc};
use clap::Parser;
use hdrhistogram::Histogram;
use travel_ranking::Rankings;
use travel_selections::{RankingPeriod, Selection, SelectionStore, SelectionStoreConfig};
use travel_tests::bench::{Guard, free_port, wait_healthy};

#[derive(Parser)]
#[command(about = "Selections through the gateway and ranking calculation time")]
struct Args {
    /// The release all-in-one binary.
    #[arg(long)]
    allinone: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Selections stored for the large calculation.
    #[arg(long, default_value_t = 1_000_000)]
    large: u64,
}

const COUNTRIES: [&str; 20] = [
    "JP", "US", "VN", "TH", "EU", "GB", "AU", "CN", "TW", "HK", "SG", "PH", "ID", "MY", "CA", "NZ",
    "CH", "TR", "AE", "MN",
];

struct Rate {
    done: u64,
    errors: u64,
    elapsed: Duration,
    histogram: Histogram<u64>,
}

impl Rate {
    fn per_second(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }
    fn p(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }
}

/// Runs `op(task, i)` from `tasks` tasks back to back for `duration`.
async fn drive<F, Fut>(tasks: usize, duration: Duration, op: F) -> Rate
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let sequence = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (op, stop, sequence) = (op.clone(), stop.clone(), sequence.clone());
        handles.push(tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            let (mut done, mut errors) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let i = sequence.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                if op(task, i).await {
                    done += 1;
                    let _ = histogram.record(t.elapsed().as_micros().clamp(1, 60_000_000) as u64);
                } else {
                    errors += 1;
                }
            }
            (done, errors, histogram)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::SeqCst);
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let (mut done, mut errors) = (0, 0);
    for handle in handles {
        let (d, e, h) = handle.await.expect("task");
        done += d;
        errors += e;
        total.add(h).unwrap();
    }
    Rate {
        done,
        errors,
        elapsed: started.elapsed(),
        histogram: total,
    }
}

fn report(name: &str, rate: &Rate) {
    println!(
        "{name:<40} {:>9.0} /s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} done, {} errors)",
        rate.per_second(),
        rate.p(0.50),
        rate.p(0.99),
        rate.done,
        rate.errors
    );
}

fn selection(i: u64, day: NaiveDate) -> Selection {
    let at = Utc::now();
    Selection {
        selection_id: format!("bench-{i}"),
        user_id: format!("user-{i}"),
        // A skewed popularity: low indices win more often.
        country_code: COUNTRIES[((i * 7919) % 210).isqrt() as usize % COUNTRIES.len()].to_string(),
        selected_at: at + chrono::Duration::microseconds(i as i64),
        day,
        session_id: None,
        referrer: None,
        ip_hash: None,
        user_agent_hash: None,
        expires_at: at + chrono::Duration::days(90),
    }
}

/// Stores selections `from..to`, spread over the days of the current month up to
/// today (Seoul), in batches.
async fn fill(
    store: &dyn SelectionStore,
    from: u64,
    to: u64,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let days = u64::from(today.day());
    let first = today.with_day(1).expect("day 1");
    let mut i = from;
    while i < to {
        let end = (i + 10_000).min(to);
        let batch: Vec<Selection> = (i..end)
            .map(|n| selection(n, first + Days::new(n % days)))
            .collect();
        store.record_batch(&batch).await?;
        i = end;
    }
    Ok(())
}

/// Median wall time of `runs` calculations of every period.
async fn calculation_ms(rankings: &Rankings, runs: usize) -> anyhow::Result<(f64, u64, u64)> {
    let mut times = Vec::new();
    let (mut counters, mut total) = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        for period in RankingPeriod::ALL {
            let ranking = rankings.calculate(period, Utc::now()).await?;
            if period == RankingPeriod::Monthly {
                counters = ranking.metadata.counters_read;
                total = ranking.total_selections;
            }
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], counters, total))
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seoul = chrono_tz::Asia::Seoul;
    let today = Utc::now().with_timezone(&seoul).date_naive();

    // 1. Selections through the gateway.
    let data_dir = tempfile::tempdir()?;
    let port = free_port()?;
    let child = Command::new(&args.allinone)
        .env("TRAVEL_DATA_DIR", data_dir.path())
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_RATE_LIMIT", "1000000000")
        .env("TRAVEL_SELECTION_LIMIT", "0")
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_RANKING_EVERY", "off")
        .env("TRAVEL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", args.allinone))?;
    let _guard = Guard(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(&reqwest::Client::new(), &base, Duration::from_secs(120)).await?;
    let clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..args.connections)
            .map(|_| {
                reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .http1_only()
                    .build()
                    .expect("client")
            })
            .collect(),
    );
    let url = format!("{base}/api/v1/rankings/selections");
    println!(
        "selections: {} connections, {:?} each",
        args.connections, args.duration
    );
    let through_gateway = {
        let (clients, url) = (clients.clone(), url.clone());
        drive(args.connections, args.duration, move |task, i| {
            let (client, url) = (clients[task].clone(), url.clone());
            async move {
                let body = serde_json::json!({
                    "user_id": format!("load-{i}"),
                    "country_code": COUNTRIES[(i % 20) as usize],
                });
                matches!(client.post(&url).json(&body).send().await, Ok(r) if r.status().as_u16() == 201)
            }
        })
        .await
    };
    report("gateway POST /rankings/selections", &through_gateway);

    let direct_dir = tempfile::tempdir()?;
    let direct_url = format!("sqlite://{}/direct.db", direct_dir.path().display());
    let direct: Arc<dyn SelectionStore> =
        travel_selections::connect(&SelectionStoreConfig::new(direct_url.parse()?)).await?;
    let direct_rate = {
        let store = direct.clone();
        drive(args.connections, args.duration, move |_, i| {
            let store = store.clone();
            async move { store.record(&selection(i, today)).await.is_ok() }
        })
        .await
    };
    report("selection store record() directly", &direct_rate);
    println!(
        "ratio gateway/direct: {:.2}",
        through_gateway.per_second() / direct_rate.per_second()
    );

    // 2. Calculation time after 10k and after `large` selections.
    let calc_dir = tempfile::tempdir()?;
    let calc_url = format!("sqlite://{}/calc.db", calc_dir.path().display());
    let store: Arc<dyn SelectionStore> =
        travel_selections::connect(&SelectionStoreConfig::new(calc_url.parse()?)).await?;
    let cache = travel_cache::connect(&travel_cache::CacheConfig::new(
        "memory://".parse::<url::Url>()?,
    ))
    .await?;
    let rankings = Rankings::new(
        store.clone(),
        cache,
        seoul,
        Duration::from_secs(60),
        "bench".into(),
    );
    let started = Instant::now();
    fill(store.as_ref(), 0, 10_000, today).await?;
    println!(
        "stored 10k selections in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (small_ms, small_counters, small_total) = calculation_ms(&rankings, 21).await?;
    let started = Instant::now();
    fill(store.as_ref(), 10_000, args.large, today).await?;
    println!(
        "stored {} selections in {:.1} s",
        args.large,
        started.elapsed().as_secs_f64()
    );
    let (large_ms, large_counters, large_total) = calculation_ms(&rankings, 21).await?;
    println!(
        "ranking calculation (daily+weekly+monthly, median of 21), 10k: {small_ms:.3} ms ({small_counters} counters, monthly total {small_total})"
    );
    println!(
        "ranking calculation (daily+weekly+monthly, median of 21), {}: {large_ms:.3} ms ({large_counters} counters, monthly total {large_total})",
        args.large
    );
    println!(
        "ratio large/10k calculation time: {:.2} (target <= 2.0)",
        large_ms / small_ms
    );
    Ok(())
}
