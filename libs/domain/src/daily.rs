//! Daily aggregates (OHLC, average, count, volatility) of a currency's observations.
//!
//! A day's aggregate is kept together with what merging more observations into it
//! needs ([`DayAggregate`]): the sources of the opening and closing observations (time
//! ties are broken by source name) and the sum of squared deviations from the mean
//! (`m2`, combined with Chan's parallel formula). The store merges only observations it
//! did not hold before, so a replayed event changes nothing; a corrected value makes it
//! recompute the day from the stored observations instead.

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

/// A day's aggregate plus the state that lets more observations be merged into it.
#[derive(Debug, Clone, PartialEq)]
pub struct DayAggregate {
    pub rate: DailyRate,
    /// Source of the opening observation (ties on time go to the smaller name).
    pub open_source: String,
    /// Source of the closing observation (ties on time go to the larger name).
    pub close_source: String,
    /// Sum of squared deviations of the mids from their mean.
    pub m2: f64,
}

impl DayAggregate {
    /// Aggregates the observations of one currency and day. `None` for an empty slice.
    /// The result does not depend on input order.
    pub fn of(observations: &[&Observation]) -> Option<Self> {
        let first = observations.first()?;
        let order = |a: &&&Observation, b: &&&Observation| {
            (a.recorded_at, &a.source).cmp(&(b.recorded_at, &b.source))
        };
        let opening = observations.iter().min_by(order)?;
        let closing = observations.iter().max_by(order)?;
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
        // Two passes: the deviations are taken from the exact mean, and summed in
        // ascending order so that the input order cannot change the last bits.
        let mean = to_f64(sum / Decimal::from(count));
        let mut squares: Vec<f64> = observations
            .iter()
            .map(|o| (to_f64(o.mid) - mean).powi(2))
            .collect();
        squares.sort_by(f64::total_cmp);
        let m2 = squares.iter().sum::<f64>();
        let average = round(sum / Decimal::from(count), QUOTE_SCALE);
        Some(Self {
            rate: DailyRate {
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
                volatility: volatility(m2, count, average),
            },
            open_source: opening.source.clone(),
            close_source: closing.source.clone(),
            m2,
        })
    }

    /// Adds the observations another aggregate of the same currency and day covers.
    /// The caller guarantees the two sets are disjoint (the store merges only
    /// observations it did not hold). Fails only when the count would overflow.
    pub fn merge(&mut self, other: &DayAggregate) -> Option<()> {
        debug_assert_eq!(self.rate.currency, other.rate.currency);
        debug_assert_eq!(self.rate.rate_date, other.rate.rate_date);
        let (a, b) = (self.rate.clone(), &other.rate);
        let count = a.count.checked_add(b.count)?;
        let sum = a.sum.checked_add(b.sum)?;
        // Chan et al.: M2 = M2a + M2b + delta^2 * na * nb / n, delta the difference of
        // the two means.
        let delta = to_f64(b.sum / Decimal::from(b.count)) - to_f64(a.sum / Decimal::from(a.count));
        let m2 = self.m2
            + other.m2
            + delta * delta * f64::from(a.count) * f64::from(b.count) / f64::from(count);
        let average = round(sum / Decimal::from(count), QUOTE_SCALE);

        if (b.first_at, other.open_source.as_str()) < (a.first_at, self.open_source.as_str()) {
            self.rate.open = b.open;
            self.rate.first_at = b.first_at;
            self.open_source.clone_from(&other.open_source);
        }
        if (b.last_at, other.close_source.as_str()) > (a.last_at, self.close_source.as_str()) {
            self.rate.close = b.close;
            self.rate.last_at = b.last_at;
            self.close_source.clone_from(&other.close_source);
        }
        self.rate.high = self.rate.high.max(other.rate.high);
        self.rate.low = self.rate.low.min(other.rate.low);
        self.rate.sum = sum;
        self.rate.count = count;
        self.rate.average = average;
        self.rate.volatility = volatility(m2, count, average);
        self.m2 = m2;
        Some(())
    }
}

fn to_f64(value: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value.to_f64().unwrap_or(f64::NAN)
}

/// Coefficient of variation of the mids, in percent: the population standard
/// deviation over the average. `None` below two observations or for a zero average.
fn volatility(m2: f64, count: u32, average: Decimal) -> Option<f64> {
    let mean = to_f64(average);
    if count < 2 || mean == 0.0 || !m2.is_finite() {
        return None;
    }
    Some((m2.max(0.0) / f64::from(count)).sqrt() / mean * 100.0)
}

/// The aggregate of the observations of one currency and day (see [`DayAggregate::of`]).
pub fn aggregate_day(observations: &[&Observation]) -> Option<DailyRate> {
    DayAggregate::of(observations).map(|day| day.rate)
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

    fn assert_same_aggregate(merged: &DayAggregate, whole: &DayAggregate) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(merged.m2, whole.m2), "{} vs {}", merged.m2, whole.m2);
        match (merged.rate.volatility, whole.rate.volatility) {
            (Some(a), Some(b)) => assert!(close(a, b), "{a} vs {b}"),
            (a, b) => assert_eq!(a, b),
        }
        let exact = |d: &DayAggregate| {
            let mut d = d.clone();
            d.m2 = 0.0;
            d.rate.volatility = None;
            d
        };
        assert_eq!(exact(merged), exact(whole));
    }

    #[test]
    fn merging_equals_aggregating_everything_at_once() {
        let all = [
            obs(7, "KOREAEXIM", dec!(1401.1)),
            obs(0, "ECB", dec!(1398.75)),
            obs(0, "BOK", dec!(1399.5)),
            obs(30, "BOK", dec!(1405)),
            obs(30, "ECB", dec!(1404.9)),
            obs(12, "ECB", dec!(1396.0001)),
        ];
        let refs: Vec<&Observation> = all.iter().collect();
        let whole = DayAggregate::of(&refs).unwrap();
        for split in 1..refs.len() {
            let mut merged = DayAggregate::of(&refs[..split]).unwrap();
            merged
                .merge(&DayAggregate::of(&refs[split..]).unwrap())
                .unwrap();
            assert_same_aggregate(&merged, &whole);
            // The other way round too: the batch may hold the earlier observations.
            let mut merged = DayAggregate::of(&refs[split..]).unwrap();
            merged
                .merge(&DayAggregate::of(&refs[..split]).unwrap())
                .unwrap();
            assert_same_aggregate(&merged, &whole);
        }
        // Time ties are broken by source name whatever the order of arrival.
        assert_eq!(
            (whole.open_source.as_str(), whole.rate.open),
            ("BOK", dec!(1399.5))
        );
        assert_eq!(
            (whole.close_source.as_str(), whole.rate.close),
            ("ECB", dec!(1404.9))
        );
    }

    #[test]
    fn one_observation_then_another_gets_a_volatility() {
        let a = obs(0, "BOK", dec!(1400));
        let b = obs(5, "BOK", dec!(1402));
        let mut day = DayAggregate::of(&[&a]).unwrap();
        assert_eq!(day.rate.volatility, None);
        assert_eq!(day.m2, 0.0);
        day.merge(&DayAggregate::of(&[&b]).unwrap()).unwrap();
        // Population sd of (1400, 1402) is 1; over the average 1401, in percent.
        assert!((day.rate.volatility.unwrap() - 100.0 / 1401.0).abs() < 1e-12);
        assert_eq!(day.rate.average, dec!(1401));
    }

    proptest::proptest! {
        /// Any arrival order in any batch sizes gives the aggregate of the whole day.
        #[test]
        fn merged_batches_match_the_whole_day(
            mids in proptest::collection::vec((0u32..60, 0usize..3, 1i64..100_000_000), 1..40),
            batch in 1usize..8,
        ) {
            let sources = ["BOK", "ECB", "KOREAEXIM"];
            let mut seen = std::collections::HashSet::new();
            let all: Vec<Observation> = mids
                .into_iter()
                .filter(|(minute, source, _)| seen.insert((*minute, *source)))
                .map(|(minute, source, mid)| obs(minute, sources[source], Decimal::new(mid, 4)))
                .collect();
            let refs: Vec<&Observation> = all.iter().collect();
            let whole = DayAggregate::of(&refs).unwrap();
            let mut chunks = refs.chunks(batch);
            let mut merged = DayAggregate::of(chunks.next().unwrap()).unwrap();
            for chunk in chunks {
                merged.merge(&DayAggregate::of(chunk).unwrap()).unwrap();
            }
            assert_same_aggregate(&merged, &whole);
        }
    }
}
