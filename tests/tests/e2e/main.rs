//! The end-to-end tests, in one test binary (one link instead of five): a module per
//! service or path through the system, e.g. `history::csv_export_streams_the_series`;
//! one module alone: `cargo test -p travel-tests --test e2e history::`.
//!
//! The modules share one process. The seeded template database of
//! `travel_tests::app` is built once for all of them; every test still starts its own
//! all-in-one, bus, store and cache. Process-wide state is set up once
//! (`processor::log_if_asked`) or not at all: the test that installs a metrics
//! recorder and counts calls is a binary of its own, `gateway_coalescing_e2e`.

mod currency;
mod history;
mod ingestor;
mod processor;
mod ranking;
mod support;
