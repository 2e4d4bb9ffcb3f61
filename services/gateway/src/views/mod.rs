//! The `data` of each REST answer as a serde struct, built from the service's message.
//! The JSON edge is the one place the messages become api-v1's field names and types:
//! decimals become JSON numbers, timestamps RFC 3339 text, empty strings `null`.

pub mod alerts;
pub mod currency;
pub mod history;
pub mod ranking;
pub mod service;

use travel_proto::common::v1::{Decimal, ReadSource};

/// A decimal as a JSON number (floating point only here, at the edge); `None` when
/// absent or unreadable.
fn number(value: Option<&Decimal>) -> Option<f64> {
    value
        .and_then(|d| d.value.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

fn rfc3339(timestamp: Option<&prost_types::Timestamp>) -> Option<String> {
    timestamp
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Where the service read the answer: `"cache"` or `"database"`.
fn read_source_name(read_source: i32) -> &'static str {
    match ReadSource::try_from(read_source) {
        Ok(ReadSource::Cache) => "cache",
        _ => "database",
    }
}

/// Proto3 has no absent string: empty means "none", which JSON says as `null`.
fn text_or_null(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}
