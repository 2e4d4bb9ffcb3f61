//! Domain types shared by every component: validated codes, the currency and country
//! catalog, quotes and cross rates, purchasing-power price indices, and the error
//! vocabulary of the public API.
//!
//! Everything here is pure: no I/O, no clocks, no configuration.

pub mod alert;
pub mod catalog;
pub mod codes;
pub mod daily;
pub mod error;
pub mod money;
pub mod price_index;
pub mod quote;
pub mod source;

pub use catalog::{Catalog, CountryInfo, CurrencyInfo};
pub use codes::{CountryCode, CurrencyCode};
pub use daily::{DailyRate, DayAggregate, Observation};
pub use error::{ApiError, ErrorCode, shown};
pub use quote::Quote;
pub use source::Source;
