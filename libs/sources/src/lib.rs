//! Parsers for the wire formats of the external exchange-rate sources
//! (`shared/sources.md`), turning each payload into KRW-per-ONE-unit quotes.
//!
//! Pure functions over bytes: no I/O, no clock. They never panic on any input
//! (property-tested over arbitrary bytes); "no data today" is an empty result, not an
//! error; errors say whether retrying can help.

pub mod breaker;
pub mod ecb;
pub mod ecos;
pub mod erapi;
pub mod koreaexim;
mod number;
pub mod reconcile;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use travel_domain::CurrencyCode;

/// One quote as a source published it, normalised to KRW per ONE unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceQuote {
    pub currency: CurrencyCode,
    /// The business day the source published the rate for.
    pub rate_date: NaiveDate,
    pub mid: Decimal,
    /// Remittance selling / buying rates, only where the source publishes them.
    pub tts: Option<Decimal>,
    pub ttb: Option<Decimal>,
    /// Units the source quoted in (100 for "JPY(100)").
    pub raw_unit: u32,
    /// The source's own name for the currency ("JPY(100)", "0000002").
    pub raw_code: String,
}

/// A row the parser read but did not turn into a quote, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub raw_code: String,
    pub reason: String,
}

/// What a payload held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub quotes: Vec<SourceQuote>,
    pub skipped: Vec<Skipped>,
}

/// Why a payload gave no quotes. Messages never contain keys or URLs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The key was refused: retrying will not help until the configuration changes.
    #[error("authentication refused: {0}")]
    Auth(String),
    /// The source throttles us: back off.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// The source had a problem of its own (maintenance page, server error): retry later.
    #[error("source unavailable: {0}")]
    Transient(String),
    /// The request was wrong (a bug on our side or a changed API).
    #[error("request rejected: {0}")]
    Rejected(String),
    /// The payload is not in the documented format.
    #[error("malformed payload: {0}")]
    Malformed(String),
}

impl SourceError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            SourceError::Transient(_) | SourceError::RateLimited(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Whatever arrives, every parser returns instead of panicking.
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
            let _ = koreaexim::parse(&bytes, day);
            let _ = ecos::parse(&bytes);
            let _ = ecb::parse_xml(&bytes);
            let _ = erapi::parse(&bytes);
        }

        #[test]
        fn parsers_never_panic_on_near_valid_json(
            body in "\\[\\{\"result\":[0-9],\"cur_unit\":\"[A-Z()0-9]{0,9}\",\"deal_bas_r\":\"[0-9,.-]{0,12}\",\"tts\":\"[0-9,.]{0,8}\"\\}\\]"
        ) {
            let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
            let _ = koreaexim::parse(body.as_bytes(), day);
        }
    }
}
