//! Backend wiring: what a data service reads about its rate store, cache and bus, how
//! it opens them, and the monitor that publishes their health. Kept apart from
//! `travel-runtime` so a component that needs none of them (the gateway) links no
//! database or broker client.

pub mod budget;
pub mod monitor;
pub mod settings;

pub use settings::{
    Backends, CommonSettings, connect_cache, connect_feed, connect_store, open_backends,
    rate_cache_ttl, rates_topic,
};
