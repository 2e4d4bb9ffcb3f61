//! The names under which a service publishes the state of its dependencies through
//! `grpc.health.v1`, so the gateway's /health can report them without a second
//! protocol. The monitor that publishes them lives with the backends
//! (`travel_wiring::monitor`); the gateway only reads them.

pub const DATABASE: &str = "dependency/database";
pub const CACHE: &str = "dependency/cache";

/// Published NOT_SERVING while this process's breaker for the backend is open or
/// probing (`travel_breaker::states`): the backend is being skipped, not merely slow.
pub const DATABASE_BREAKER: &str = "breaker/database";
pub const CACHE_BREAKER: &str = "breaker/cache";
