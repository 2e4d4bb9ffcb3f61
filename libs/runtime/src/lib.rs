//! Process plumbing shared by every component: the environment reader (re-exported
//! from `travel-config`), logging and tracing, serving gRPC with health, reflection
//! and service info, mapping API errors onto gRPC statuses, and graceful shutdown.
//! It knows no backend: opening databases, caches and buses is `travel-wiring`'s job,
//! so the gateway links none of them.

pub use travel_config as config;

pub mod cli;
pub mod context;
pub mod dependencies;
pub mod grpc;
mod grpc_metrics;
pub mod metrics;
pub mod serving;
pub mod shutdown;
pub mod status;
pub mod telemetry;

pub use config::{ConfigError, Env};
pub use serving::{Listen, ServingSettings, pod_name};
pub use shutdown::Shutdown;
