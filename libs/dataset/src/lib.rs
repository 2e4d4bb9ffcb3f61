//! The real datasets shipped with the product, and idempotent seeding of a rate store
//! from them, so the embedded mode serves real history with no network.
//!
//! - ECB euro reference rates since 1999 (`data/ecb/`), turned into KRW quotes: KRW per
//!   unit of X on a day = (KRW per EUR) ÷ (X per EUR) of that day.
//! - The Economist's Big Mac index (`data/bigmac/`).
//!
//! The files are compiled into the binary, so seeding works from any directory.

pub mod bigmac;
pub mod ecb;
pub mod seed;

pub use seed::{SeedProgress, SeedReport, log_progress, seed_shipped_data};

/// Why a dataset could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{dataset}: line {line}: {message}")]
    Malformed {
        dataset: &'static str,
        line: u64,
        message: String,
    },
    #[error("{dataset}: {message}")]
    Unreadable {
        dataset: &'static str,
        message: String,
    },
}

/// Parses a number as published (plain or scientific notation, e.g. "4e+06") into an
/// exact decimal.
pub(crate) fn parse_decimal(raw: &str) -> Option<rust_decimal::Decimal> {
    let raw = raw.trim();
    if raw.is_empty() || raw.eq_ignore_ascii_case("N/A") {
        return None;
    }
    if raw.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(raw).ok()
    } else {
        raw.parse().ok()
    }
}
