//! `make bench`: load on the all-in-one against a bare axum baseline, in one run.
//!
//! 1. Starts the all-in-one binary with an empty data folder and measures the cold
//!    start (seeding included) until /health answers 200, then its RSS.
//! 2. Starts a bare axum server (this binary with `--bare`) that returns a constant
//!    JSON body of the same size as the measured endpoint's answer.
//! 3. Drives both with the same number of keep-alive connections for the same time
//!    and prints requests per second, p50 and p99, and the ratios.
//! 4. Repeats the gateway load on a fresh all-in-one with request coalescing off, so
//!    that every request makes its own gRPC call (what distinct requests cost): in
//!    process, as the all-in-one calls its services, and over loopback gRPC, as the
//!    cluster's gateway does (`TRAVEL_IN_PROCESS_CALLS=false`).
//!
//! Figures are printed, never asserted: shared machines make timed assertions flaky.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use travel_tests::bench::{Guard, free_port, rss_kib, wait_healthy};

#[derive(Parser, Debug)]
#[command(about = "Load generator for the Trip Currency Mesh gateway")]
struct Args {
    /// Path of the all-in-one binary to start.
    #[arg(long)]
    allinone: Option<String>,
    /// Target an already running gateway instead (no start-up figures).
    #[arg(long)]
    url: Option<String>,
    /// Path and query to load.
    #[arg(long, default_value = "/api/v1/currencies/latest?symbols=USD,JPY,EUR")]
    path: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Internal: serve the bare baseline with a body of this many bytes on this port.
    #[arg(long, num_args = 2, value_names = ["PORT", "BYTES"], hide = true)]
    bare: Option<Vec<usize>>,
}

struct LoadResult {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    histogram: Histogram<u64>,
}

impl LoadResult {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    fn p(&self, quantile: f64) -> f64 {
        self.histogram.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// `connections` keep-alive connections, each sending requests back to back; with
/// `if_none_match`, as a client that holds the answer (a 304 is then the success).
async fn drive(
    url: &str,
    if_none_match: Option<&str>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        // One client per connection: exactly `connections` sockets.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .http1_only()
            .build()?;
        let url = url.to_string();
        let held = if_none_match.map(str::to_string);
        let measuring = measuring.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut histogram =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
            let (mut requests, mut errors) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let mut request = client.get(&url);
                if let Some(tag) = &held {
                    request = request.header("if-none-match", tag);
                }
                let expected = if held.is_some() { 304 } else { 200 };
                let ok = match request.send().await {
                    Ok(response) => {
                        response.status().as_u16() == expected && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if measuring.load(Ordering::Relaxed) {
                    if ok {
                        requests += 1;
                        let micros = started.elapsed().as_micros().max(1) as u64;
                        let _ = histogram.record(micros.min(60_000_000));
                    } else {
                        errors += 1;
                    }
                }
            }
            (requests, errors, histogram)
        }));
    }
    tokio::time::sleep(warmup).await;
    measuring.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    measuring.store(false, Ordering::SeqCst);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut total = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut requests, mut errors) = (0, 0);
    for task in tasks {
        let (r, e, h) = task.await?;
        requests += r;
        errors += e;
        total.add(h)?;
    }
    Ok(LoadResult {
        requests,
        errors,
        elapsed,
        histogram: total,
    })
}

fn report(name: &str, result: &LoadResult) {
    println!(
        "{name:<28} {:>10.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
        result.rps(),
        result.p(0.50),
        result.p(0.99),
        result.requests,
        result.errors
    );
}

async fn serve_bare(port: u16, bytes: usize) -> anyhow::Result<()> {
    // A constant JSON document of the requested size.
    let padding = bytes.saturating_sub(r#"{"data":""}"#.len());
    let body: &'static str =
        Box::leak(format!(r#"{{"data":"{}"}}"#, "x".repeat(padding)).into_boxed_str());
    let app = axum::Router::new().fallback(move || async move {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

// The same allocator as the product binaries, so the baseline differs only in what
// the handler does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(bare) = &args.bare {
        return serve_bare(bare[0] as u16, bare[1]).await;
    }
    let client = reqwest::Client::new();

    let (base, allinone) = match (&args.url, &args.allinone) {
        (Some(url), _) => (url.trim_end_matches('/').to_string(), None),
        (None, Some(binary)) => {
            let started = start_allinone(&client, binary, &[]).await?;
            println!(
                "all-in-one cold start (seeding included): {:.2} s   (target <= 5 s)",
                started.cold_start.as_secs_f64()
            );
            println!(
                "all-in-one RSS after seeding:             {:.1} MiB (target <= 200 MB)",
                started.rss_kib as f64 / 1024.0
            );
            (started.base.clone(), Some(started))
        }
        (None, None) => bail!("give --allinone BINARY or --url URL"),
    };

    let url = format!("{base}{}", args.path);
    let sample = client.get(&url).send().await?;
    if !sample.status().is_success() {
        bail!("{url} answered {}", sample.status());
    }
    let size = sample.bytes().await?.len();

    let bare_port = free_port()?;
    let me = std::env::current_exe()?;
    let _bare = Guard(
        Command::new(me)
            .args(["--bare", &bare_port.to_string(), &size.to_string()])
            .stdout(Stdio::null())
            .spawn()?,
    );
    let bare_base = format!("http://127.0.0.1:{bare_port}");
    wait_healthy(&client, &bare_base, Duration::from_secs(10)).await?;
    let bare_size = client
        .get(format!("{bare_base}/x"))
        .send()
        .await?
        .bytes()
        .await?
        .len();

    println!(
        "load: {} connections, {:?} warm-up, {:?} measured; body {size} bytes (bare: {bare_size})",
        args.connections, args.warmup, args.duration
    );
    let gateway = drive(&url, None, args.connections, args.warmup, args.duration).await?;
    report("gateway latest (USD,JPY,EUR)", &gateway);
    // The tag of the answer as it is now served (the first read filled the cache).
    let tag = client
        .get(&url)
        .send()
        .await?
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let revalidated = match &tag {
        Some(tag) => Some(
            drive(
                &url,
                Some(tag),
                args.connections,
                args.warmup,
                args.duration,
            )
            .await?,
        ),
        None => None,
    };
    if let Some(revalidated) = &revalidated {
        report("gateway latest, 304 (If-None-Match)", revalidated);
    }
    let bare = drive(
        &format!("{bare_base}/x"),
        None,
        args.connections,
        args.warmup,
        args.duration,
    )
    .await?;
    report("bare axum, same body size", &bare);
    println!(
        "ratio gateway/bare RPS: {:.2} (target >= 0.40); gateway p99 {:.2} ms (target <= 10 ms)",
        gateway.rps() / bare.rps(),
        gateway.p(0.99)
    );
    match &revalidated {
        Some(revalidated) => println!(
            "ratio 304/200 RPS: {:.2}; 304/bare: {:.2}",
            revalidated.rps() / gateway.rps(),
            revalidated.rps() / bare.rps()
        ),
        None => println!("no ETag on {url}: the 304 path was not measured"),
    }

    // The same load with request coalescing off: every request makes its own gRPC
    // call, which is what distinct requests cost. Once as the all-in-one makes it (in
    // process), once over loopback gRPC, as the cluster's gateway makes it.
    if let Some(binary) = &args.allinone {
        drop(allinone);
        for (label, in_process) in [("in process", "true"), ("over loopback gRPC", "false")] {
            let started = start_allinone(
                &client,
                binary,
                &[
                    ("TRAVEL_COALESCE_READS", "false"),
                    ("TRAVEL_IN_PROCESS_CALLS", in_process),
                ],
            )
            .await?;
            let uncoalesced = drive(
                &format!("{}{}", started.base, args.path),
                None,
                args.connections,
                args.warmup,
                args.duration,
            )
            .await?;
            report(&format!("coalescing off, {label}"), &uncoalesced);
            println!(
                "ratio gateway (one gRPC call per request, {label})/bare RPS: {:.2}{}",
                uncoalesced.rps() / bare.rps(),
                if in_process == "true" {
                    " (target >= 0.40)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

/// A running all-in-one with an empty data folder of its own.
struct StartedAllInOne {
    base: String,
    cold_start: Duration,
    rss_kib: u64,
    _process: Guard,
    _data: tempfile::TempDir,
}

async fn start_allinone(
    client: &reqwest::Client,
    binary: &str,
    env: &[(&str, &str)],
) -> anyhow::Result<StartedAllInOne> {
    let data = tempfile::tempdir()?;
    let port = free_port()?;
    let started = Instant::now();
    let child = Command::new(binary)
        .env("TRAVEL_DATA_DIR", data.path())
        .env("TRAVEL_GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("TRAVEL_RATE_LIMIT", "1000000000")
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("TRAVEL_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {binary}"))?;
    let pid = child.id();
    let process = Guard(child);
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(client, &base, Duration::from_secs(120)).await?;
    Ok(StartedAllInOne {
        base,
        cold_start: started.elapsed(),
        rss_kib: rss_kib(pid).unwrap_or_default(),
        _process: process,
        _data: data,
    })
}
