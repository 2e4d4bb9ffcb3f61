//! Daily aggregates (OHLC, average, count) of a currency's observations.
//!
//! Aggregates are always recomputed from the stored observations of the day, never
//! patched by adding one observation: replaying an event then changes nothing, which is
//! what makes the pipeline's effect exactly-once.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::codes::CurrencyCode;
use crate::money::{QUOTE_SCALE, round};

/// One stored observation: KRW per one unit of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub currency: CurrencyCode,
    pub source: String,
    pub recorded_at: DateTime<Utc>,
    pub rate_date: NaiveDate,
    pub mid: Decimal,
    pub tts: Option<Decimal>,
    pub ttb: Option<Decimal>,
    /// Units the source quoted in (100 for "JPY(100)"); the mid is already per one.
    pub raw_unit: u32,
    /// False when the source's terms forbid bulk redistribution.
    pub redistributable: bool,
}

/// The aggregate of one currency on one business day.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRate {
    pub currency: CurrencyCode,
    pub rate_date: NaiveDate,
    pub open: Decimal,
    pub close: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub average: Decimal,
    pub sum: Decimal,
    pub count: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// Intraday volatility: the population standard deviation of the day's mids as a
    /// percentage of their average (coefficient of variation); `None` below two
    /// observations.
    pub volatility: Option<f64>,
}

/// Coefficient of variation of the mids, in percent.
fn intraday_volatility(observations: &[&Observation], average: Decimal) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    if observations.len() < 2 {
        return None;
    }
    let mean = average.to_f64()?;
    if mean == 0.0 {
        return None;
    }
    let n = observations.len() as f64;
    let variance = observations
        .iter()
        .filter_map(|o| o.mid.to_f64())
        .map(|x| (x - mean) * (x - mean))
        .sum::<f64>()
        / n;
    Some(variance.sqrt() / mean * 100.0)
}

/// Aggregates the observations of one currency and day. Open and close are the
/// earliest and latest by observation time (ties broken by source name, so the result
/// does not depend on input order). `None` for an empty slice.
pub fn aggregate_day(observations: &[&Observation]) -> Option<DailyRate> {
    let first = observations.first()?;
    let key = |o: &&&Observation| (o.recorded_at, o.source.clone());
    let opening = observations.iter().min_by_key(key)?;
    let closing = observations.iter().max_by_key(key)?;
    let mut high = first.mid;
    let mut low = first.mid;
    let mut sum = Decimal::ZERO;
    for observation in observations {
        debug_assert_eq!(observation.currency, first.currency);
        debug_assert_eq!(observation.rate_date, first.rate_date);
        high = high.max(observation.mid);
        low = low.min(observation.mid);
        sum += observation.mid;
    }
    let count = u32::try_from(observations.len()).ok()?;
    let average = round(sum / Decimal::from(count), QUOTE_SCALE);
    Some(DailyRate {
        currency: first.currency,
        rate_date: first.rate_date,
        open: opening.mid,
        close: closing.mid,
        high,
        low,
        average,
        sum,
        count,
        first_at: opening.recorded_at,
        last_at: closing.recorded_at,
        volatility: intraday_volatility(observations, average),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn obs(minute: u32, source: &str, mid: Decimal) -> Observation {
        Observation {
            currency: CurrencyCode::from_static("USD"),
            source: source.to_string(),
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 27, 1, minute, 0).unwrap(),
            rate_date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            mid,
            tts: None,
            ttb: None,
            raw_unit: 1,
            redistributable: true,
        }
    }

    #[test]
    fn aggregates_in_time_order_whatever_the_input_order() {
        let a = obs(5, "BOK", dec!(1400.5));
        let b = obs(0, "BOK", dec!(1399.0));
        let c = obs(10, "BOK", dec!(1402.25));
        let day = aggregate_day(&[&a, &b, &c]).unwrap();
        assert_eq!(day.open, dec!(1399.0));
        assert_eq!(day.close, dec!(1402.25));
        assert_eq!(day.high, dec!(1402.25));
        assert_eq!(day.low, dec!(1399.0));
        assert_eq!(day.count, 3);
        assert_eq!(day.average, dec!(1400.5833333333));
        // Population std of (1400.5, 1399, 1402.25) over their mean, in percent.
        let mean = (1400.5 + 1399.0 + 1402.25) / 3.0;
        let sd = (((1400.5f64 - mean).powi(2)
            + (1399.0f64 - mean).powi(2)
            + (1402.25f64 - mean).powi(2))
            / 3.0)
            .sqrt();
        assert!((day.volatility.unwrap() - sd / 1400.5833333333 * 100.0).abs() < 1e-9);
        assert_eq!(aggregate_day(&[&c, &b, &a]).unwrap(), day);
        assert_eq!(aggregate_day(&[&a]).unwrap().volatility, None);
    }

    #[test]
    fn empty_day_has_no_aggregate() {
        assert!(aggregate_day(&[]).is_none());
    }
}
