//! A country's selection statistics over a trailing window of days, from the per-day
//! counters of every country (its rank on a day needs the other countries' counts).
//!
//! - `daily_average`: total ÷ days of the window, two decimals.
//! - `peak_day`: the day with most selections (the earliest of equals); none when the
//!   window has no selection.
//! - `growth_rate`: selections in the window's second half against its first half, in
//!   percent, two decimals: (second − first) ÷ first × 100. Halves have ⌊days ÷ 2⌋
//!   days each (the middle day of an odd window is in neither); `None` when the first
//!   half has no selection.
//! - a day's `rank`: the country's place in that day's ranking (same order as the
//!   period rankings); `None` on a day without selections of the country.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use travel_selections::DayCount;

use crate::ranking::order;

#[derive(Debug, Clone, PartialEq)]
pub struct DayEntry {
    pub day: NaiveDate,
    pub count: u64,
    pub rank: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CountryStats {
    pub total: u64,
    pub daily_average: f64,
    pub peak_day: Option<NaiveDate>,
    pub peak_selections: u64,
    pub growth_rate: Option<f64>,
    pub breakdown: Vec<DayEntry>,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub fn country_stats(
    country: &str,
    from: NaiveDate,
    to: NaiveDate,
    counts: &[DayCount],
) -> CountryStats {
    let mut by_day: HashMap<NaiveDate, Vec<DayCount>> = HashMap::new();
    for count in counts {
        by_day.entry(count.day).or_default().push(count.clone());
    }
    let mut breakdown = Vec::new();
    let mut day = from;
    while day <= to {
        let (count, rank) = match by_day.get(&day) {
            Some(of_day) => {
                let ranked = order(of_day);
                ranked
                    .iter()
                    .position(|(code, _)| code == country)
                    .map(|i| (ranked[i].1, u32::try_from(i + 1).ok()))
                    .unwrap_or((0, None))
            }
            None => (0, None),
        };
        breakdown.push(DayEntry { day, count, rank });
        day = day + Days::new(1);
    }

    let total: u64 = breakdown.iter().map(|d| d.count).sum();
    let days = breakdown.len().max(1);
    let peak =
        breakdown
            .iter()
            .filter(|d| d.count > 0)
            .fold(None::<&DayEntry>, |best, d| match best {
                Some(b) if b.count >= d.count => Some(b),
                _ => Some(d),
            });
    let half = breakdown.len() / 2;
    let first: u64 = breakdown[..half].iter().map(|d| d.count).sum();
    let second: u64 = breakdown[breakdown.len() - half..]
        .iter()
        .map(|d| d.count)
        .sum();
    let growth_rate =
        (first > 0).then(|| round2((second as f64 - first as f64) / first as f64 * 100.0));
    CountryStats {
        total,
        daily_average: round2(total as f64 / days as f64),
        peak_day: peak.map(|p| p.day),
        peak_selections: peak.map(|p| p.count).unwrap_or(0),
        growth_rate,
        breakdown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn c(day: &str, code: &str, count: u64) -> DayCount {
        DayCount {
            day: d(day),
            country_code: code.into(),
            count,
        }
    }

    #[test]
    fn seven_day_window_with_ranks_peak_and_growth() {
        let counts = [
            c("2026-11-21", "JP", 2),
            c("2026-11-21", "VN", 5),
            c("2026-11-22", "JP", 4),
            c("2026-11-24", "JP", 1),
            c("2026-11-24", "US", 1),
            c("2026-11-26", "JP", 4),
            c("2026-11-27", "JP", 3),
            c("2026-11-27", "TH", 9),
        ];
        let stats = country_stats("JP", d("2026-11-21"), d("2026-11-27"), &counts);
        let days: Vec<(u64, Option<u32>)> =
            stats.breakdown.iter().map(|e| (e.count, e.rank)).collect();
        // 24th: JP and US tie on 1, JP first by code.
        assert_eq!(
            days,
            [
                (2, Some(2)),
                (4, Some(1)),
                (0, None),
                (1, Some(1)),
                (0, None),
                (4, Some(1)),
                (3, Some(2))
            ]
        );
        assert_eq!(stats.total, 14);
        assert_eq!(stats.daily_average, 2.0);
        // 22nd and 26th both have 4: the earlier one.
        assert_eq!(stats.peak_day, Some(d("2026-11-22")));
        assert_eq!(stats.peak_selections, 4);
        // First half 21–23: 6; second half 25–27: 7; the 24th is the middle.
        assert_eq!(stats.growth_rate, Some(16.67));
    }

    #[test]
    fn a_window_without_selections() {
        let stats = country_stats(
            "FR",
            d("2026-11-21"),
            d("2026-11-27"),
            &[c("2026-11-25", "JP", 3)],
        );
        assert_eq!(stats.total, 0);
        assert_eq!(stats.peak_day, None);
        assert_eq!(stats.peak_selections, 0);
        assert_eq!(stats.growth_rate, None);
        assert_eq!(stats.breakdown.len(), 7);
        assert!(
            stats
                .breakdown
                .iter()
                .all(|e| e.count == 0 && e.rank.is_none())
        );
    }
}
