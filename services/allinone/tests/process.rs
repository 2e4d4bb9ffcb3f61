//! The all-in-one as a user runs it: a process configured by environment variables.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_travel-allinone");

fn run_to_exit(env: &[(&str, &str)]) -> (i32, String) {
    let data_dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .env("TRAVEL_DATA_DIR", data_dir.path())
        .env("TRAVEL_INGEST_EVERY", "off")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn bad_configuration_stops_start_up_naming_the_variable() {
    for (name, value) in [
        ("TRAVEL_GATEWAY_ADDR", "localhost:http"),
        ("TRAVEL_DATABASE_URL", "postgres://db/travel"),
        ("TRAVEL_CACHE_URL", "memcached://127.0.0.1"),
        ("TRAVEL_RATE_LIMIT", "-1"),
        ("TRAVEL_REQUEST_TIMEOUT", "forever"),
        ("TRAVEL_SEED", "perhaps"),
        ("TRAVEL_LOG_FORMAT", "xml"),
    ] {
        let (code, stderr) = run_to_exit(&[(name, value)]);
        assert_eq!(code, 2, "{name}={value}: {stderr}");
        assert!(
            stderr.contains(name),
            "{name}={value} not named in: {stderr}"
        );
        assert!(stderr.contains(value), "{value} not shown in: {stderr}");
    }
}

/// Starts the binary and returns it with every line it writes (stdout and stderr).
fn start(data_dir: &std::path::Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(BINARY)
        .env("TRAVEL_DATA_DIR", data_dir)
        .env("TRAVEL_GATEWAY_ADDR", "127.0.0.1:0")
        .env("TRAVEL_INGEST_EVERY", "off")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, receiver) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
    }
    (child, receiver)
}

/// Reads lines until one contains `needle`; returns every line read.
fn read_until(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no {needle:?} in output: {seen:#?}"));
        let found = line.contains(needle);
        seen.push(line);
        if found {
            return seen;
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}

#[tokio::test]
async fn seeds_once_serves_and_stops_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().unwrap();

    let (mut child, lines) = start(data_dir.path());
    let output = read_until(&lines, "gateway (REST + gRPC-Web):");
    assert!(
        output
            .iter()
            .any(|l| l.contains("seeding ECB reference rates")),
        "progress is visible"
    );
    let url = output
        .last()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    let example = read_until(&lines, "curl ");
    assert!(
        example
            .last()
            .unwrap()
            .contains("/api/v1/currencies/latest")
    );

    let body: serde_json::Value =
        reqwest::get(format!("{url}/api/v1/currencies/latest?symbols=USD"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(body["data"]["rates"]["USD"], 1335.2667382743);
    let status = terminate(&mut child);
    assert!(
        status.success(),
        "SIGTERM ends the process cleanly: {status:?}"
    );

    // Second start: the datasets are recognised and not loaded again.
    let (mut child, lines) = start(data_dir.path());
    let output = read_until(&lines, "gateway (REST + gRPC-Web):");
    let already = output
        .iter()
        .filter(|l| l.contains("already loaded"))
        .count();
    assert_eq!(already, 2, "{output:#?}");
    assert!(
        !output
            .iter()
            .any(|l| l.contains("seeding ECB reference rates"))
    );
    let status = terminate(&mut child);
    assert!(status.success());
}
