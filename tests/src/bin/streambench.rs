//! `make bench` (live rates part): many concurrent SSE subscribers of
//! `/api/v1/stream/rates` on the all-in-one over loopback, the process's resident
//! memory per subscriber, and the delay from a quote's store commit to its event at
//! every client.
//!
//! The all-in-one runs with the Redis change feed (the cluster's adapter). This tool
//! plays the processor: it commits a quote to the all-in-one's database, takes the
//! commit time, and announces the quote on the feed — what the processor does after
//! each transaction. Every subscriber notes when each event arrived; the delay is
//! arrival minus commit (one clock: one machine). A baseline with few subscribers is
//! measured in the same run. Figures are printed, never asserted.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use clap::Parser;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use rust_decimal::Decimal;
use tokio::sync::watch;
use travel_domain::{CurrencyCode, Observation, Quote};
use travel_runtime::Env;
use travel_tests::bench::{Guard, free_port, percentile_ms, rss_kib, wait_healthy};

#[derive(Parser, Debug)]
struct Args {
    /// The all-in-one binary (a release build for figures worth quoting).
    #[arg(long)]
    allinone: String,
    /// Subscribers of the main measurement.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Subscribers of the baseline.
    #[arg(long, default_value_t = 100)]
    baseline: usize,
    /// Quote changes per measurement.
    #[arg(long, default_value_t = 20)]
    changes: usize,
    /// The Redis of the change feed.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
}

fn micros_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// One subscriber: the arrival time (µs) of each `rates` event, by its id (the quote's
/// time in ms).
async fn subscribe(
    client: reqwest::Client,
    url: String,
    ready: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<(i64, i64)>> {
    let response = client
        .get(&url)
        .header("accept", "text/event-stream")
        .send()
        .await?;
    anyhow::ensure!(response.status() == 200, "{url}: {}", response.status());
    let mut events = response.bytes_stream().eventsource();
    let mut arrivals = Vec::new();
    loop {
        tokio::select! {
            _ = stop.changed() => return Ok(arrivals),
            event = events.next() => match event {
                Some(Ok(event)) => {
                    let at = micros_now();
                    match event.event.as_str() {
                        "snapshot" => { ready.fetch_add(1, Ordering::Relaxed); }
                        "rates" => arrivals.push((event.id.parse().unwrap_or(0), at)),
                        _ => {}
                    }
                }
                Some(Err(error)) => anyhow::bail!("{url}: {error}"),
                None => return Ok(arrivals),
            }
        }
    }
}

/// CPU time (user + system) a process has used, in ms (clock ticks of 10 ms).
fn cpu_ms(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the command's closing parenthesis; utime and stime are 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) * 10.0
}

struct Figures {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    received: usize,
    expected: usize,
    rss_per_subscriber_kib: f64,
    connect_s: f64,
    /// CPU per change of the all-in-one and of this client process.
    server_cpu_ms: f64,
    client_cpu_ms: f64,
}

struct Bench {
    client: reqwest::Client,
    base: String,
    pid: u32,
    store: Arc<dyn travel_storage::RateStore>,
    feed: Arc<dyn travel_feed::QuoteFeed>,
    step: u32,
}

impl Bench {
    /// Commits a new USD quote, then announces it; its id (ms) and commit time (µs).
    async fn change(&mut self) -> anyhow::Result<(i64, i64)> {
        self.step += 1;
        let at = Utc::now().trunc_subsecs(3);
        let observation = Observation {
            currency: CurrencyCode::parse("USD")?,
            source: "BENCH".into(),
            recorded_at: at,
            rate_date: at.date_naive(),
            mid: Decimal::new(140_000 + i64::from(self.step), 2),
            tts: None,
            ttb: None,
            raw_unit: 1,
            redistributable: true,
        };
        self.store
            .record_observations(std::slice::from_ref(&observation))
            .await?;
        let committed = micros_now();
        let quote = Quote {
            currency: observation.currency,
            mid: observation.mid,
            tts: None,
            ttb: None,
            recorded_at: at,
            rate_date: observation.rate_date,
            source: observation.source,
        };
        self.feed.announce(&[quote]).await?;
        Ok((at.timestamp_millis(), committed))
    }

    async fn measure(&mut self, subscribers: usize, changes: usize) -> anyhow::Result<Figures> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_before = rss_kib(self.pid).unwrap_or_default();
        let ready = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        let url = format!("{}/api/v1/stream/rates?symbols=USD", self.base);
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(subscribers);
        // In waves, so the listen backlog never overflows into SYN retries.
        for wave in (0..subscribers).collect::<Vec<_>>().chunks(500) {
            for _ in wave {
                tasks.push(tokio::spawn(subscribe(
                    self.client.clone(),
                    url.clone(),
                    ready.clone(),
                    stopped.clone(),
                )));
            }
            while ready.load(Ordering::Relaxed) < tasks.len() * 9 / 10 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                anyhow::ensure!(
                    started.elapsed() < Duration::from_secs(300),
                    "subscribers did not connect in time ({} of {})",
                    ready.load(Ordering::Relaxed),
                    tasks.len()
                );
            }
        }
        while ready.load(Ordering::Relaxed) < subscribers {
            tokio::time::sleep(Duration::from_millis(20)).await;
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(300),
                "subscribers did not connect in time"
            );
        }
        let connect_s = started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_with = rss_kib(self.pid).unwrap_or_default();

        let mut committed = HashMap::new();
        let pid = self.pid.to_string();
        let (server_before, client_before) = (cpu_ms(&pid), cpu_ms("self"));
        for _ in 0..changes {
            let (id, at) = self.change().await?;
            committed.insert(id, at);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let server_cpu_ms = (cpu_ms(&pid) - server_before) / changes as f64;
        let client_cpu_ms = (cpu_ms("self") - client_before) / changes as f64;
        let _ = stop.send(true);
        let mut delays = Vec::with_capacity(subscribers * changes);
        for task in tasks {
            for (id, arrived) in task.await?? {
                if let Some(at) = committed.get(&id) {
                    delays.push(Duration::from_micros((arrived - at).max(0) as u64));
                }
            }
        }
        anyhow::ensure!(!delays.is_empty(), "no subscriber saw a change");
        Ok(Figures {
            p50_ms: percentile_ms(&mut delays, 0.50),
            p99_ms: percentile_ms(&mut delays, 0.99),
            max_ms: percentile_ms(&mut delays, 1.0),
            received: delays.len(),
            expected: subscribers * changes,
            rss_per_subscriber_kib: rss_with.saturating_sub(rss_before) as f64 / subscribers as f64,
            connect_s,
            server_cpu_ms,
            client_cpu_ms,
        })
    }
}

fn print(label: &str, subscribers: usize, f: &Figures) {
    println!(
        "  {label:<9} {subscribers:>6} subscribers: commit → client p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         {}/{} events; {:.1} KiB RSS per subscriber; connected in {:.1} s; CPU per change: \
         all-in-one {:.0} ms, client {:.0} ms",
        f.p50_ms,
        f.p99_ms,
        f.max_ms,
        f.received,
        f.expected,
        f.rss_per_subscriber_kib,
        f.connect_s,
        f.server_cpu_ms,
        f.client_cpu_ms
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = tempfile::tempdir()?;
    let port = free_port()?;
    let prefix = format!("streambench{}:", uuid::Uuid::new_v4().simple());
    let child = Command::new(&args.allinone)
        .env("TRAVEL_DATA_DIR", data.path())
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_CACHE_URL", &args.redis)
        .env("TRAVEL_CACHE_PREFIX", &prefix)
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_RATE_LIMIT", "1000000000")
        .env("TRAVEL_STREAMS_PER_CLIENT", "1000000")
        .env("TRAVEL_METRICS_ADDR", "off")
        .env("TRAVEL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", args.allinone))?;
    let pid = child.id();
    let _process = Guard(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    wait_healthy(&client, &base, Duration::from_secs(300)).await?;

    let env = Env::from_pairs([
        ("TRAVEL_DATA_DIR", data.path().display().to_string()),
        ("TRAVEL_CACHE_URL", args.redis.clone()),
        ("TRAVEL_CACHE_PREFIX", prefix),
    ]);
    let settings = travel_wiring::CommonSettings::from_env(&env)?;
    let store = travel_wiring::connect_store(&settings.database).await?;
    let feed = travel_wiring::connect_feed(&settings.cache).await?;
    let mut bench = Bench {
        client,
        base,
        pid,
        store,
        feed,
        step: 0,
    };
    println!(
        "live rates over SSE on the all-in-one (Redis change feed), one client process on loopback:"
    );
    let baseline = bench.measure(args.baseline, args.changes).await?;
    print("baseline", args.baseline, &baseline);
    let main = bench.measure(args.subscribers, args.changes).await?;
    print("measured", args.subscribers, &main);
    println!(
        "  ratio {} / {}: p99 {:.2}x (target: p99 ≤ 100 ms at 10,000)",
        args.subscribers,
        args.baseline,
        main.p99_ms / baseline.p99_ms
    );
    Ok(())
}
