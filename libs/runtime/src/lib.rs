//! Process plumbing shared by every component: configuration from `TRAVEL_*`
//! variables, logging and tracing, serving gRPC with health, reflection and service
//! info, mapping API errors onto gRPC statuses, and graceful shutdown.

pub mod config;
pub mod context;
pub mod dependencies;
pub mod grpc;
mod grpc_metrics;
pub mod metrics;
pub mod settings;
pub mod shutdown;
pub mod status;
pub mod telemetry;

pub use config::{ConfigError, Env};
pub use settings::Backends;
pub use shutdown::Shutdown;
