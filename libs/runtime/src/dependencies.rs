//! The names under which a service publishes the state of its dependencies through
//! `grpc.health.v1`, so the gateway's /health can report them without a second
//! protocol. The monitor that publishes them lives with the backends
//! (`travel_wiring::monitor`); the gateway only reads them.

pub const DATABASE: &str = "dependency/database";
pub const CACHE: &str = "dependency/cache";
