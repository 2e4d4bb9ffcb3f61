//! The end-to-end tests, in one test binary (one link instead of four): a module per
//! service or path through the system, e.g. `history::csv_export_streams_the_series`;
//! one module alone: `cargo test -p travel-tests --test e2e history::`.
//!
//! The modules share one process. The seeded template database of
//! `travel_tests::app` is built once for all of them; every test still starts its own
//! all-in-one, bus, store and cache. Two suites are binaries of their own:
//! `gateway_coalescing_e2e` installs a process-wide metrics recorder and counts calls,
//! and `processor_e2e` kills and restarts brokers and databases, which it does
//! reliably only in a process of its own: its Kafka tests failed when they shared this
//! one (the cause, most likely a port taken while a broker restarts, is not pinned
//! down).

mod alerts;
mod caching;
mod compat;
mod currency;
mod edge;
// Fault proxies in front of MariaDB and Redis: `make test-infra`.
#[cfg(feature = "infra")]
mod faults;
mod history;
mod ingestor;
mod openapi;
mod ranking;
mod stream;
mod support;
// The seven binaries as separate processes, as the chart runs them: `make test-infra`.
#[cfg(feature = "infra")]
mod topology;
mod web;
