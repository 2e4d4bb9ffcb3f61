//! Test support: starting the all-in-one on port 0 with a seeded temporary database,
//! clients for REST, gRPC and gRPC-Web, per-test databases on the real servers, the
//! adapters a test builds for itself, a TCP fault proxy, and waiting for what happens
//! in the background.

pub mod adapters;
pub mod app;
pub mod bench;
pub mod ecb;
pub mod fault;
pub mod infra;
pub mod otlp;
mod suite;
pub mod wait;

pub use wait::eventually;
