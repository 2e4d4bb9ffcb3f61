//! Settings of the gateway.

use std::net::SocketAddr;
use std::time::Duration;

use travel_runtime::{ConfigError, Env, ServingSettings};

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub addr: SocketAddr,
    /// gRPC URL of the currency service.
    pub currency_url: String,
    /// gRPC URL of the history service.
    pub history_url: String,
    /// gRPC URL of the ranking service.
    pub ranking_url: String,
    /// Deadline of one call to an internal service.
    pub upstream_timeout: Duration,
    /// Deadline of one HTTP request, end to end.
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Allowed browser origins; empty or "*" allows any.
    pub cors_origins: Vec<String>,
    /// Requests per client IP and window.
    pub rate_limit: u64,
    pub rate_limit_window: Duration,
    pub trust_forwarded_for: bool,
    /// Environment name and the drain: /health reports 503 for `serving.drain`
    /// before the listener closes on shutdown.
    pub serving: ServingSettings,
    /// Identical reads in flight at once share one upstream call.
    pub coalesce_reads: bool,
    /// Rate streams (SSE, gRPC-Web) one client IP may hold open at once.
    pub streams_per_client: usize,
    /// The reconnection delay a rate stream asks of its client (SSE `retry`).
    pub stream_retry: Duration,
    /// How often an idle SSE stream sends a comment line.
    pub stream_heartbeat: Duration,
}

impl GatewayConfig {
    pub fn from_env(env: &Env, default_addr: &str) -> Result<Self, ConfigError> {
        let rate_limit = env.parse("TRAVEL_RATE_LIMIT", 1000u64)?;
        if rate_limit == 0 {
            return Err(ConfigError {
                variable: "TRAVEL_RATE_LIMIT".into(),
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        let rate_limit_window = env.duration_at_least(
            "TRAVEL_RATE_LIMIT_WINDOW",
            Duration::from_secs(3600),
            Duration::from_secs(1),
        )?;
        let currency_url = env.url(
            "TRAVEL_CURRENCY_URL",
            "http://127.0.0.1:50051",
            &["http", "https"],
        )?;
        let history_url = env.url(
            "TRAVEL_HISTORY_URL",
            "http://127.0.0.1:50052",
            &["http", "https"],
        )?;
        let ranking_url = env.url(
            "TRAVEL_RANKING_URL",
            "http://127.0.0.1:50053",
            &["http", "https"],
        )?;
        Ok(Self {
            addr: crate::LISTEN.read_or(env, default_addr)?,
            currency_url: currency_url.to_string().trim_end_matches('/').to_string(),
            history_url: history_url.to_string().trim_end_matches('/').to_string(),
            ranking_url: ranking_url.to_string().trim_end_matches('/').to_string(),
            upstream_timeout: env.duration("TRAVEL_UPSTREAM_TIMEOUT", Duration::from_secs(5))?,
            request_timeout: env.duration("TRAVEL_REQUEST_TIMEOUT", Duration::from_secs(10))?,
            body_limit: env.parse("TRAVEL_BODY_LIMIT_BYTES", 64 * 1024usize)?,
            cors_origins: env
                .string("TRAVEL_CORS_ORIGINS", "*")
                .split(',')
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            rate_limit,
            rate_limit_window,
            trust_forwarded_for: env.bool("TRAVEL_TRUST_FORWARDED_FOR", false)?,
            serving: ServingSettings::from_env(env)?,
            coalesce_reads: env.bool("TRAVEL_COALESCE_READS", true)?,
            streams_per_client: env.parse("TRAVEL_STREAMS_PER_CLIENT", 10usize)?,
            stream_retry: env.duration("TRAVEL_STREAM_RETRY", Duration::from_secs(3))?,
            stream_heartbeat: env.duration_at_least(
                "TRAVEL_STREAM_HEARTBEAT",
                Duration::from_secs(15),
                Duration::from_millis(100),
            )?,
        })
    }
}
