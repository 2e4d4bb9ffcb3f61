//! Stored quotes and the cross rates made from them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::CurrencyCode;
use crate::money::{CROSS_SCALE, QUOTE_SCALE, round};

/// A quote as stored: KRW per ONE unit of `currency`. Serialised with decimals as
/// strings (the latest-quote cache entries, `travel_cache::latest_quotes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub currency: CurrencyCode,
    pub mid: Decimal,
    /// Remittance selling rate (KRW a customer pays per unit sent abroad).
    pub tts: Option<Decimal>,
    /// Remittance buying rate (KRW a customer gets per unit received).
    pub ttb: Option<Decimal>,
    pub recorded_at: DateTime<Utc>,
    pub rate_date: NaiveDate,
    pub source: String,
}

impl Quote {
    /// Whether this quote moves its currency forward from `current`: a later
    /// observation, or a corrected one at the same time. Announcements and reads may
    /// race; an older quote never replaces a newer one.
    pub fn supersedes(&self, current: Option<&Quote>) -> bool {
        match current {
            None => true,
            Some(current) => {
                self.recorded_at > current.recorded_at
                    || (self.recorded_at == current.recorded_at && self != current)
            }
        }
    }
}

/// The identity quote of KRW itself: exact by definition, never stored.
pub fn krw_identity(at: DateTime<Utc>) -> Quote {
    Quote {
        currency: CurrencyCode::KRW,
        mid: Decimal::ONE,
        tts: None,
        ttb: None,
        recorded_at: at,
        rate_date: at.date_naive(),
        source: "IDENTITY".to_string(),
    }
}

/// Units of `base` per one unit of `target`, both given as KRW-per-unit mids.
///
/// With a KRW base the stored quote is returned unchanged (already at
/// [`QUOTE_SCALE`]); otherwise the quotient is rounded to [`CROSS_SCALE`] places.
/// Returns `None` when the base quote is zero (never stored, but not worth a panic).
pub fn cross_rate(base_krw_per_unit: Decimal, target_krw_per_unit: Decimal) -> Option<Decimal> {
    if base_krw_per_unit.is_zero() {
        return None;
    }
    if base_krw_per_unit == Decimal::ONE {
        return Some(round(target_krw_per_unit, QUOTE_SCALE));
    }
    let quotient = target_krw_per_unit.checked_div(base_krw_per_unit)?;
    Some(round(quotient, CROSS_SCALE))
}

/// KRW per unit of a currency from two rates against a common third currency (the
/// euro for the ECB): (KRW per EUR) ÷ (currency per EUR), rounded to the stored scale.
/// `None` for a zero or negative divisor.
pub fn krw_via(krw_per_common: Decimal, currency_per_common: Decimal) -> Option<Decimal> {
    if currency_per_common <= Decimal::ZERO {
        return None;
    }
    Some(round(
        krw_per_common.checked_div(currency_per_common)?,
        QUOTE_SCALE,
    ))
}

/// Converts `amount` of the currency quoted at `from_krw` into the currency quoted at
/// `to_krw`, rounded to the target's minor units. Returns `(result, rate)`.
pub fn convert(
    amount: Decimal,
    from_krw: Decimal,
    to_krw: Decimal,
    to_decimals: u32,
) -> Option<(Decimal, Decimal)> {
    let rate = cross_rate(to_krw, from_krw)?;
    // Multiply by the unrounded quotient so that large amounts do not inherit the
    // rounding error of the published rate.
    let exact = amount.checked_mul(from_krw)?.checked_div(to_krw)?;
    Some((round(exact, to_decimals), rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cross_rate_through_krw() {
        // 1 USD = 1335.27 KRW, 1 JPY = 8.49 KRW → 1 JPY = 0.006358... USD.
        let usd = dec!(1335.27);
        let jpy = dec!(8.49);
        assert_eq!(cross_rate(usd, jpy).unwrap(), dec!(0.006358264621));
        assert_eq!(cross_rate(Decimal::ONE, usd).unwrap(), usd);
        assert_eq!(cross_rate(usd, usd).unwrap(), Decimal::ONE);
        assert_eq!(cross_rate(Decimal::ZERO, usd), None);
    }

    #[test]
    fn cached_quotes_round_trip_exactly() {
        let quote = Quote {
            currency: CurrencyCode::from_static("VND"),
            mid: dec!(0.0543123456),
            tts: Some(dec!(0.06)),
            ttb: None,
            recorded_at: chrono::DateTime::from_timestamp(1_764_201_600, 0).unwrap(),
            rate_date: NaiveDate::from_ymd_opt(2025, 11, 27).unwrap(),
            source: "BOK".to_string(),
        };
        let json = serde_json::to_string(&quote).unwrap();
        assert!(
            json.contains("\"0.0543123456\""),
            "decimals travel as strings: {json}"
        );
        assert_eq!(serde_json::from_str::<Quote>(&json).unwrap(), quote);
    }

    #[test]
    fn convert_rounds_to_target_minor_units() {
        let (result, rate) = convert(dec!(100), dec!(1335.27), Decimal::ONE, 0).unwrap();
        assert_eq!(result, dec!(133527));
        assert_eq!(rate, dec!(1335.27));
        let (result, _) = convert(dec!(10000), Decimal::ONE, dec!(1335.27), 2).unwrap();
        assert_eq!(result, dec!(7.49));
    }
}
