//! Purchasing-power price indices from The Economist's Big Mac survey.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::codes::CountryCode;
use crate::money::round;

/// One country's Big Mac price on one survey date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BigMacPrice {
    pub survey_date: NaiveDate,
    pub country: CountryCode,
    /// ISO 4217 code of the local price (not necessarily in the currency catalog).
    pub currency: String,
    pub local_price: Decimal,
    /// Local currency units per US dollar on the survey date.
    pub dollar_ex: Decimal,
}

impl BigMacPrice {
    /// The local price in US dollars, or `None` for a zero exchange rate.
    pub fn dollar_price(&self) -> Option<Decimal> {
        self.local_price
            .checked_div(self.dollar_ex)
            .map(|price| round(price, 6))
    }
}

/// Price level of `country` relative to `base`: 100 means a Big Mac costs the same in
/// dollars in both; 120 means 20 % more expensive in `country`. Rounded to 2 places.
pub fn bigmac_index(country: &BigMacPrice, base: &BigMacPrice) -> Option<f64> {
    let country_usd = country.local_price.checked_div(country.dollar_ex)?;
    let base_usd = base.local_price.checked_div(base.dollar_ex)?;
    let ratio = country_usd.checked_div(base_usd)?;
    let index = round(ratio * Decimal::ONE_HUNDRED, 2);
    index.to_f64()
}

/// Mean of the indices that have data; `None` when none has.
pub fn composite_index(indices: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = indices.iter().flatten().copied().collect();
    if present.is_empty() {
        return None;
    }
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    Some((mean * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn price(country: &str, local: Decimal, dollar_ex: Decimal) -> BigMacPrice {
        BigMacPrice {
            survey_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            country: CountryCode::parse(country).unwrap(),
            currency: String::new(),
            local_price: local,
            dollar_ex,
        }
    }

    #[test]
    fn index_against_the_shipped_2026_survey() {
        // 2026-01-01 rows: Korea 5500 KRW at 1469.85; United States 6.12 USD.
        let korea = price("KR", dec!(5500), dec!(1469.85));
        let usa = price("US", dec!(6.12), dec!(1));
        // 3.741878 / 6.12 × 100 = 61.14 (the Economist's USD_raw is −0.38858).
        assert_eq!(bigmac_index(&korea, &usa), Some(61.14));
        assert_eq!(bigmac_index(&usa, &korea), Some(163.55));
        assert_eq!(bigmac_index(&korea, &korea), Some(100.0));
        assert_eq!(korea.dollar_price(), Some(dec!(3.741878)));
    }

    #[test]
    fn zero_exchange_rate_gives_no_index() {
        let broken = price("VE", dec!(1), dec!(0));
        let usa = price("US", dec!(6.12), dec!(1));
        assert_eq!(bigmac_index(&broken, &usa), None);
        assert_eq!(broken.dollar_price(), None);
    }

    #[test]
    fn composite_is_the_mean_of_present_indices() {
        assert_eq!(composite_index(&[Some(80.0), None]), Some(80.0));
        assert_eq!(composite_index(&[Some(80.0), Some(90.0)]), Some(85.0));
        assert_eq!(composite_index(&[None, None]), None);
    }
}
