//! The conformance suites of the adapters, in one test binary (one link instead of
//! four): a module per port, each running one suite against every adapter of that
//! port, the embedded ones always and the real servers with `--features infra`
//! (make test-infra). Test names start with the port and the adapter, e.g.
//! `rate_store::sqlite::corrections_recompute_their_days`; one port's suite alone:
//! `cargo test -p travel-tests --test conformance rate_store::`.

mod alert_store;
mod bus;
mod cache;
mod feed;
mod rate_store;
mod selection_store;
