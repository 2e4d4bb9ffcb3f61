//! `fill=previous`: every calendar day of a daily series, a day without an observation
//! (a weekend, a holiday) carrying the rate of the last observed day before it.

use chrono::NaiveDate;
use travel_domain::ApiError;
use travel_proto::history::v1 as pb;

use crate::series::Interval;

/// How a series treats days without an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Observed days only (the default).
    None,
    Previous,
}

impl Fill {
    pub fn parse(raw: &str, interval: Interval) -> Result<Self, ApiError> {
        match (raw.trim(), interval) {
            ("", _) => Ok(Fill::None),
            ("previous", Interval::Daily) => Ok(Fill::Previous),
            ("previous", Interval::Hourly) => Err(ApiError::invalid_parameter(
                "fill",
                raw,
                "fill=previous with interval=daily (hours are not filled)",
            )),
            (other, _) => Err(ApiError::invalid_parameter("fill", other, "previous")),
        }
    }
}

/// The observed daily `points` (ascending) of the window `start..=end`, with every
/// missing day added. `before` is the last observation before the window: it carries
/// into the window's first days (a window that starts on a Saturday). A carried day
/// has the carried rate, no change, volume 0 and `carried_from` set.
pub fn previous(
    points: Vec<pb::HistoryPoint>,
    before: Option<(NaiveDate, f64)>,
    start: NaiveDate,
    end: NaiveDate,
) -> Vec<pb::HistoryPoint> {
    let mut filled = Vec::with_capacity(points.len() * 7 / 5 + 3);
    // The next day to emit, and the observation it would carry.
    let mut next = start;
    let mut last = before;
    for point in points {
        let Ok(day) = point.date.parse::<NaiveDate>() else {
            // Not a daily label: nothing to fill between.
            filled.push(point);
            continue;
        };
        if let Some(observed) = last {
            carry(&mut filled, observed, next, day);
        }
        last = Some((day, point.rate));
        next = day.succ_opt().unwrap_or(day);
        filled.push(point);
    }
    if let (Some(observed), Some(after_end)) = (last, end.succ_opt()) {
        carry(&mut filled, observed, next, after_end);
    }
    filled
}

/// Adds the days `from..until`, each carrying the rate observed on `observed`.
fn carry(
    filled: &mut Vec<pb::HistoryPoint>,
    (observed, rate): (NaiveDate, f64),
    from: NaiveDate,
    until: NaiveDate,
) {
    let carried_from = observed.to_string();
    for day in from.iter_days().take_while(|day| *day < until) {
        filled.push(pb::HistoryPoint {
            date: day.to_string(),
            rate,
            change: Some(0.0),
            change_percent: Some(0.0),
            volume: 0,
            carried_from: carried_from.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(date: &str, rate: f64, change: Option<f64>) -> pb::HistoryPoint {
        pb::HistoryPoint {
            date: date.into(),
            rate,
            change,
            change_percent: change.map(|c| c / rate * 100.0),
            volume: 1,
            carried_from: String::new(),
        }
    }

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    #[test]
    fn a_weekend_carries_fridays_rate_and_monday_is_unchanged() {
        // 2026-10-23 is a Friday.
        let friday = observed("2026-10-23", 1400.0, None);
        let monday = observed("2026-10-26", 1410.0, Some(10.0));
        let filled = previous(
            vec![friday.clone(), monday.clone()],
            None,
            day("2026-10-23"),
            day("2026-10-26"),
        );
        let dates: Vec<&str> = filled.iter().map(|p| p.date.as_str()).collect();
        assert_eq!(
            dates,
            ["2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26"]
        );
        assert_eq!(filled[0], friday);
        assert_eq!(filled[3], monday);
        for carried in &filled[1..3] {
            assert_eq!(carried.rate, 1400.0);
            assert_eq!(carried.carried_from, "2026-10-23");
            assert_eq!(carried.change, Some(0.0));
            assert_eq!(carried.volume, 0);
        }
    }

    #[test]
    fn the_days_after_the_last_observation_are_carried_to_the_end() {
        let filled = previous(
            vec![observed("2026-10-30", 1.0, None)],
            None,
            day("2026-10-30"),
            day("2026-11-01"),
        );
        assert_eq!(filled.len(), 3);
        assert_eq!(filled[2].date, "2026-11-01");
        assert_eq!(filled[2].carried_from, "2026-10-30");
        assert!(previous(Vec::new(), None, day("2026-10-30"), day("2026-11-01")).is_empty());
    }

    #[test]
    fn a_window_that_starts_on_a_weekend_carries_the_observation_before_it() {
        // Saturday 2026-10-24 .. Monday 2026-10-26; Friday's close is before the window.
        let monday = observed("2026-10-26", 1410.0, Some(10.0));
        let filled = previous(
            vec![monday],
            Some((day("2026-10-23"), 1400.0)),
            day("2026-10-24"),
            day("2026-10-26"),
        );
        let dates: Vec<&str> = filled.iter().map(|p| p.date.as_str()).collect();
        assert_eq!(dates, ["2026-10-24", "2026-10-25", "2026-10-26"]);
        assert_eq!(filled[0].carried_from, "2026-10-23");
        assert_eq!(filled[0].rate, 1400.0);
        // Nothing observed in the window at all: every day carries the earlier one.
        let empty = previous(
            Vec::new(),
            Some((day("2026-10-23"), 1400.0)),
            day("2026-10-24"),
            day("2026-10-25"),
        );
        assert_eq!(empty.len(), 2);
    }

    #[test]
    fn fill_takes_previous_for_daily_series_only() {
        assert_eq!(Fill::parse("", Interval::Hourly).unwrap(), Fill::None);
        assert_eq!(
            Fill::parse("previous", Interval::Daily).unwrap(),
            Fill::Previous
        );
        for (raw, interval) in [("previous", Interval::Hourly), ("next", Interval::Daily)] {
            let error = Fill::parse(raw, interval).unwrap_err();
            assert_eq!(error.parameter.as_deref(), Some("fill"));
        }
    }
}
