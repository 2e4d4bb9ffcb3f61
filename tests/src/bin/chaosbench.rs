//! `make chaos`: the fault drill as a benchmark, in one run. The all-in-one runs on
//! MariaDB and Redis, each behind a fault proxy (`travel_tests::fault`); clients read a
//! mix of latest, detail, history, rankings and convert through the gateway while the
//! proxies pass, refuse or black-hole, phase by phase. Printed per phase: requests,
//! statuses, p50/p99; then the ratios against the healthy phase and how long the cache
//! took to serve hits again after Redis came back.
//!
//! Figures are printed, never asserted: shared machines make timed assertions flaky.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use tokio::sync::Mutex;
use travel_tests::bench::{Guard, free_port, wait_healthy};
use travel_tests::fault::{Backends, Mode};
use travel_tests::infra::MySqlDatabase;

#[derive(Parser, Debug)]
#[command(about = "Throughput and latency of the gateway through backend outages")]
struct Args {
    /// Path of the all-in-one binary to start.
    #[arg(long)]
    allinone: String,
    #[arg(long, default_value_t = 6)]
    clients: usize,
    /// Length of each phase, in seconds.
    #[arg(long, default_value_t = 8)]
    phase_secs: u64,
    /// The breakers' cool-down given to the all-in-one, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    cool_down_ms: u64,
}

const MIX: [&str; 5] = [
    "/api/v1/currencies/latest?symbols=USD,JPY,EUR",
    "/api/v1/currencies/USD",
    "/api/v1/history?period=1m&target=JPY",
    "/api/v1/rankings?period=daily",
    "/api/v1/convert?from=USD&to=KRW&amount=100",
];

#[derive(Default)]
struct Phase {
    statuses: BTreeMap<u16, u64>,
    histogram: Option<Histogram<u64>>,
}

impl Phase {
    fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }
    fn p(&self, quantile: f64) -> f64 {
        self.histogram
            .as_ref()
            .map_or(0.0, |h| h.value_at_quantile(quantile) as f64 / 1000.0)
    }
}

/// `clients` clients reading the mix back to back for `length`.
async fn run_phase(base: &str, clients: usize, length: Duration) -> Phase {
    let phase = Arc::new(Mutex::new(Phase {
        histogram: Some(Histogram::new_with_bounds(1, 60_000_000, 3).unwrap()),
        ..Phase::default()
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for client_index in 0..clients {
        let (base, phase, stop) = (base.to_string(), phase.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap();
            let mut n = client_index;
            while !stop.load(Ordering::Relaxed) {
                let path = MIX[n % MIX.len()];
                n += 1;
                let started = Instant::now();
                let status = match http.get(format!("{base}{path}")).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                let micros = started.elapsed().as_micros().max(1) as u64;
                let mut phase = phase.lock().await;
                *phase.statuses.entry(status).or_default() += 1;
                if let Some(h) = phase.histogram.as_mut() {
                    let _ = h.record(micros.min(60_000_000));
                }
            }
        }));
    }
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        let _ = task.await;
    }
    Arc::try_unwrap(phase).ok().unwrap().into_inner()
}

/// Time until `latest` is served from the cache again after Redis came back.
async fn until_cache_hits(base: &str, limit: Duration) -> Option<Duration> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(response) = http.get(format!("{base}{}", MIX[0])).send().await
            && let Ok(body) = response.json::<serde_json::Value>().await
            && body["data"]["cache_hit"] == true
        {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let database = MySqlDatabase::create().await;
    let proxies = Backends::start().await;
    let (url, cache_url) = (proxies.database_url(&database), proxies.cache_url());
    let (mysql, redis) = (&proxies.mysql, &proxies.redis);
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let data_dir = tempfile::tempdir()?;
    let cool_down = Duration::from_millis(args.cool_down_ms);
    let cool_down_text = format!("{}ms", args.cool_down_ms);
    let child = Command::new(&args.allinone)
        .env("TRAVEL_DATA_DIR", data_dir.path())
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_DATABASE_URL", &url)
        .env("TRAVEL_CACHE_URL", &cache_url)
        .env("TRAVEL_CACHE_PREFIX", travel_tests::infra::unique_prefix())
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_RATE_LIMIT", "100000000")
        .env("TRAVEL_DATABASE_ACQUIRE_TIMEOUT", "1s")
        .env("TRAVEL_DATABASE_BREAKER_COOL_DOWN", &cool_down_text)
        .env("TRAVEL_CACHE_BREAKER_COOL_DOWN", &cool_down_text)
        .env("TRAVEL_DEPENDENCY_CHECK_INTERVAL", "1s")
        .env("TRAVEL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let _guard = Guard(child);
    let http = reqwest::Client::new();
    // Seeding MariaDB with the ECB history comes first.
    wait_healthy(&http, &base, Duration::from_secs(600)).await?;
    // Warm the caches.
    run_phase(&base, args.clients, Duration::from_secs(2)).await;

    let length = Duration::from_secs(args.phase_secs);
    let phases: [(&str, Mode, Mode); 9] = [
        ("healthy", Mode::Pass, Mode::Pass),
        ("Redis refused", Mode::Pass, Mode::Refuse),
        ("recovery", Mode::Pass, Mode::Pass),
        ("Redis black-holed", Mode::Pass, Mode::BlackHole),
        ("recovery", Mode::Pass, Mode::Pass),
        ("DB refused", Mode::Refuse, Mode::Pass),
        ("DB black-holed", Mode::BlackHole, Mode::Pass),
        ("both refused", Mode::Refuse, Mode::Refuse),
        ("recovery", Mode::Pass, Mode::Pass),
    ];
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>9}  statuses",
        "phase", "requests", "req/s", "p50 ms", "p99 ms"
    );
    let mut results = Vec::new();
    let mut cache_back = Vec::new();
    for (name, db_mode, cache_mode) in phases {
        let redis_returns = cache_mode == Mode::Pass
            && results
                .last()
                .is_some_and(|(_, cache, _): &(&str, Mode, Phase)| *cache != Mode::Pass);
        mysql.set(db_mode);
        redis.set(cache_mode);
        if redis_returns {
            cache_back.push(until_cache_hits(&base, 10 * cool_down).await);
        }
        let phase = run_phase(&base, args.clients, length).await;
        println!(
            "{name:<20} {:>9} {:>9.0} {:>9.2} {:>9.2}  {:?}",
            phase.requests(),
            phase.requests() as f64 / length.as_secs_f64(),
            phase.p(0.50),
            phase.p(0.99),
            phase.statuses
        );
        results.push((name, cache_mode, phase));
    }
    let healthy = &results[0].2;
    for (name, _, phase) in &results[1..] {
        if name.starts_with("Redis") {
            println!(
                "{name}: throughput {:.2} x healthy (target >= 0.5), p99 {:.2} x healthy (target <= 3)",
                phase.requests() as f64 / healthy.requests().max(1) as f64,
                phase.p(0.99) / healthy.p(0.99).max(0.001)
            );
        }
    }
    for back in cache_back {
        match back {
            Some(after) => println!(
                "cache hits again {:.2} s after Redis returned = {:.2} x the cool-down (target <= 2)",
                after.as_secs_f64(),
                after.as_secs_f64() / cool_down.as_secs_f64()
            ),
            None => println!("cache hits did not resume within 10 cool-downs"),
        }
    }
    drop(_guard);
    database.drop_database().await;
    Ok(())
}
