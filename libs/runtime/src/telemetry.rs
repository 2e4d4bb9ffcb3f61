//! Logging and tracing.
//!
//! Logs go through `tracing`: human-readable by default, JSON with
//! `TRAVEL_LOG_FORMAT=json` (the cluster). Spans carry the request id, so every line
//! logged while handling a request names it. With `TRAVEL_OTLP_ENDPOINT` set, spans
//! are also exported over OTLP/gRPC; W3C trace context is propagated either way.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{ConfigError, Env};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub format: LogFormat,
    /// `tracing` filter directives, e.g. "info,sqlx=warn".
    pub filter: String,
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
}

impl TelemetryConfig {
    pub fn from_env(env: &Env, service_name: &str) -> Result<Self, ConfigError> {
        let format = match env.string("TRAVEL_LOG_FORMAT", "human").as_str() {
            "human" | "text" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError {
                    variable: "TRAVEL_LOG_FORMAT".to_string(),
                    value: other.to_string(),
                    reason: "expected human or json".to_string(),
                });
            }
        };
        let filter = env.string("TRAVEL_LOG", "info,sqlx=warn,fred=warn,h2=warn,tower=warn");
        if let Err(error) = EnvFilter::try_new(&filter) {
            return Err(ConfigError {
                variable: "TRAVEL_LOG".to_string(),
                value: filter,
                reason: error.to_string(),
            });
        }
        Ok(Self {
            format,
            filter,
            otlp_endpoint: env.optional_string("TRAVEL_OTLP_ENDPOINT"),
            service_name: service_name.to_string(),
        })
    }
}

/// Keeps the exporter alive; flushes pending spans when dropped.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("failed to flush traces: {error}");
        }
    }
}

/// Installs the global subscriber. Call once per process; later calls (tests that
/// start several apps) keep the first subscriber.
pub fn init(config: &TelemetryConfig) -> TelemetryGuard {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));

    let provider = config.otlp_endpoint.as_ref().and_then(|endpoint| {
        use opentelemetry_otlp::WithExportConfig;
        match opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
        {
            Ok(exporter) => Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(
                        Resource::builder()
                            .with_service_name(config.service_name.clone())
                            .build(),
                    )
                    .build(),
            ),
            Err(error) => {
                eprintln!("OTLP exporter disabled: {error}");
                None
            }
        }
    });
    let otel_layer = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer(config.service_name.clone()))
    });

    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    let result = match config.format {
        LogFormat::Human => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true),
            )
            .try_init(),
    };
    if result.is_err() {
        tracing::debug!("a global subscriber was already installed");
    }
    TelemetryGuard { provider }
}
