//! Test support: starting the all-in-one on port 0 with a seeded temporary database,
//! clients for REST, gRPC and gRPC-Web, and per-test databases on the real servers.

pub mod app;
pub mod bench;
pub mod ecb;
pub mod infra;
