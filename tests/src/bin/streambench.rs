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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use chrono::{SubsecRound, Utc};
use clap::Parser;
use rust_decimal::Decimal;
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

/// The subscribers: every connection on one thread over one epoll set, as wrk drives
/// its connections. The client shares the machine's two cores with the all-in-one, so
/// it must cost as little as it can: with a task and an SSE parser per connection
/// (reqwest and eventsource-stream) the client spent 75 ms of CPU per change at
/// 10,000 subscribers, about a third of all the CPU a change cost, and every
/// millisecond of it delayed the server's writes.
struct Subscribers {
    /// Connections that have received their snapshot.
    ready: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<anyhow::Result<Vec<(i64, i64)>>>,
}

/// One connection: the bytes of a line not yet complete, and the event being read.
struct Connection {
    stream: mio::net::TcpStream,
    request_sent: bool,
    headers_read: bool,
    partial: Vec<u8>,
    event: Vec<u8>,
    id: Option<i64>,
    snapshot_seen: bool,
}

impl Subscribers {
    /// Opens `count` streams of `path` at `addr`, in waves of 500 (so the listen
    /// backlog never overflows into SYN retries), and keeps reading them until stopped.
    fn open(addr: std::net::SocketAddr, path: String, count: usize) -> Self {
        let ready = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (ready, stop) = (ready.clone(), stop.clone());
            std::thread::spawn(move || read_all(addr, &path, count, &ready, &stop))
        };
        Self {
            ready,
            stop,
            thread,
        }
    }

    /// Every `rates` event received: (its id, the arrival time in µs).
    fn finish(self) -> anyhow::Result<Vec<(i64, i64)>> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the subscriber thread panicked"))?
    }
}

/// How long the subscriber thread lets arrivals gather between two waits.
const NAP: Duration = Duration::from_micros(500);

fn read_all(
    addr: std::net::SocketAddr,
    path: &str,
    count: usize,
    ready: &AtomicUsize,
    stop: &AtomicBool,
) -> anyhow::Result<Vec<(i64, i64)>> {
    use mio::{Events, Interest, Poll, Token};
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut connections: Vec<Connection> = Vec::with_capacity(count);
    let mut arrivals = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        if connections.len() < count && connections.len() < ready.load(Ordering::Relaxed) + 500 {
            let mut stream = mio::net::TcpStream::connect(addr)?;
            let token = Token(connections.len());
            poll.registry().register(
                &mut stream,
                token,
                Interest::READABLE | Interest::WRITABLE,
            )?;
            connections.push(Connection {
                stream,
                request_sent: false,
                headers_read: false,
                partial: Vec::new(),
                event: Vec::new(),
                id: None,
                snapshot_seen: false,
            });
            continue;
        }
        poll.poll(&mut events, Some(Duration::from_millis(10)))?;
        for event in &events {
            let connection = &mut connections[event.token().0];
            if event.is_writable() && !connection.request_sent {
                // A new connection's socket buffer takes the whole request at once.
                if std::io::Write::write(&mut connection.stream, request.as_bytes())?
                    == request.len()
                {
                    connection.request_sent = true;
                }
            }
            if event.is_readable() {
                connection.read(&mut buffer, ready, &mut arrivals)?;
            }
        }
        // While events arrive, let them gather for a moment before the next wait.
        // Waiting again at once would put the thread to sleep after nearly every
        // event, and waking it costs the sender a cross-core interrupt per event.
        // An arrival is noted when it is read, so this can only add to the delays
        // measured (at most the nap), never hide any.
        if !events.is_empty() {
            std::thread::sleep(NAP);
        }
    }
    Ok(arrivals)
}

impl Connection {
    /// Reads what has arrived and notes each complete event.
    fn read(
        &mut self,
        buffer: &mut [u8],
        ready: &AtomicUsize,
        arrivals: &mut Vec<(i64, i64)>,
    ) -> anyhow::Result<()> {
        loop {
            let read = match std::io::Read::read(&mut self.stream, buffer) {
                Ok(0) => anyhow::bail!("a stream ended early"),
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            };
            let at = micros_now();
            let mut bytes = std::mem::take(&mut self.partial);
            bytes.extend_from_slice(&buffer[..read]);
            let mut start = 0;
            while let Some(end) = bytes[start..].iter().position(|b| *b == b'\n') {
                self.line(
                    bytes[start..start + end].trim_ascii_end(),
                    at,
                    ready,
                    arrivals,
                )?;
                start += end + 1;
            }
            bytes.drain(..start);
            self.partial = bytes;
            // A short read emptied the socket: the next arrival raises a new edge, so
            // the read that would only say "would block" is saved (half the syscalls).
            if read < buffer.len() {
                return Ok(());
            }
        }
    }

    /// One line of the answer: the status line and headers, then the chunked body's
    /// size lines (ignored) and the SSE fields; a blank line ends an event.
    fn line(
        &mut self,
        line: &[u8],
        at: i64,
        ready: &AtomicUsize,
        arrivals: &mut Vec<(i64, i64)>,
    ) -> anyhow::Result<()> {
        if !self.headers_read {
            if line.starts_with(b"HTTP/") {
                anyhow::ensure!(
                    line.starts_with(b"HTTP/1.1 200"),
                    "the stream was refused: {}",
                    String::from_utf8_lossy(line)
                );
            }
            self.headers_read = line.is_empty();
            return Ok(());
        }
        if let Some(name) = line.strip_prefix(b"event: ") {
            self.event = name.to_vec();
        } else if let Some(id) = line.strip_prefix(b"id: ") {
            self.id = std::str::from_utf8(id).ok().and_then(|id| id.parse().ok());
        } else if line.is_empty() {
            match (self.event.as_slice(), self.id) {
                (b"snapshot", _) if !self.snapshot_seen => {
                    self.snapshot_seen = true;
                    ready.fetch_add(1, Ordering::Relaxed);
                }
                (b"rates", Some(id)) => arrivals.push((id, at)),
                _ => {}
            }
            self.event.clear();
            self.id = None;
        }
        Ok(())
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
    addr: std::net::SocketAddr,
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
        let path = "/api/v1/stream/rates?symbols=USD".to_string();
        let started = Instant::now();
        let clients = Subscribers::open(self.addr, path, subscribers);
        while clients.ready.load(Ordering::Relaxed) < subscribers {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if clients.thread.is_finished() {
                clients.finish()?;
                anyhow::bail!("the subscribers stopped while connecting");
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(300),
                "subscribers did not connect in time ({} of {subscribers})",
                clients.ready.load(Ordering::Relaxed)
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
        let mut delays = Vec::with_capacity(subscribers * changes);
        for (id, arrived) in clients.finish()? {
            if let Some(at) = committed.get(&id) {
                delays.push(Duration::from_micros((arrived - at).max(0) as u64));
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
    wait_healthy(&reqwest::Client::new(), &base, Duration::from_secs(300)).await?;

    let env = Env::from_pairs([
        ("TRAVEL_DATA_DIR", data.path().display().to_string()),
        ("TRAVEL_CACHE_URL", args.redis.clone()),
        ("TRAVEL_CACHE_PREFIX", prefix),
    ]);
    let settings = travel_wiring::CommonSettings::from_env(&env)?;
    let store = travel_wiring::connect_store(&settings.database).await?;
    let feed = travel_wiring::connect_feed(&settings.cache).await?;
    let mut bench = Bench {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
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
