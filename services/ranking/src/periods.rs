//! Calendar periods in the ranking time zone: the day, ISO week (Monday to Sunday) and
//! month that contain an instant. Day boundaries are local midnights, so in Asia/Seoul
//! (UTC+9) a selection at 15:30 UTC already counts for the next day.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use travel_selections::RankingPeriod;

/// The local day of an instant.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// First and last day (inclusive) of the period containing `today`.
pub fn bounds(period: RankingPeriod, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    match period {
        RankingPeriod::Daily => (today, today),
        RankingPeriod::Weekly => {
            let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
            (monday, monday + Days::new(6))
        }
        RankingPeriod::Monthly => {
            let first = today.with_day(1).expect("day 1 exists in every month");
            let next_month = first
                .checked_add_months(chrono::Months::new(1))
                .expect("dates far from chrono's limits");
            (first, next_month - Days::new(1))
        }
    }
}

/// The `days` days ending on `today` (inclusive): the window of a country's stats.
pub fn trailing(days: u32, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today - Days::new(u64::from(days.saturating_sub(1))), today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    #[test]
    fn seoul_midnight_is_fifteen_hundred_utc() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let before = Utc.with_ymd_and_hms(2026, 11, 29, 14, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 29, 15, 0, 0).unwrap();
        assert_eq!(local_day(before, seoul), d("2026-11-29"));
        assert_eq!(local_day(after, seoul), d("2026-11-30"));
        // In UTC itself both instants are still the 29th.
        assert_eq!(local_day(after, Tz::UTC), d("2026-11-29"));
    }

    #[test]
    fn week_boundary_sunday_to_monday_in_seoul() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        // Sunday 2026-11-29 23:59:59 KST = 14:59:59 UTC; Monday 00:00 KST = 15:00 UTC.
        let sunday = local_day(
            Utc.with_ymd_and_hms(2026, 11, 29, 14, 59, 59).unwrap(),
            seoul,
        );
        let monday = local_day(Utc.with_ymd_and_hms(2026, 11, 29, 15, 0, 0).unwrap(), seoul);
        assert_eq!(
            bounds(RankingPeriod::Weekly, sunday),
            (d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(
            bounds(RankingPeriod::Weekly, monday),
            (d("2026-11-30"), d("2026-12-06"))
        );
    }

    #[test]
    fn month_boundary_in_seoul_while_utc_is_still_in_the_old_month() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        // 2026-11-30 16:00 UTC is already 2026-12-01 01:00 in Seoul.
        let day = local_day(Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap(), seoul);
        assert_eq!(day, d("2026-12-01"));
        assert_eq!(
            bounds(RankingPeriod::Monthly, day),
            (d("2026-12-01"), d("2026-12-31"))
        );
        assert_eq!(
            bounds(RankingPeriod::Monthly, d("2028-02-10")),
            (d("2028-02-01"), d("2028-02-29"))
        );
        assert_eq!(
            bounds(RankingPeriod::Daily, day),
            (d("2026-12-01"), d("2026-12-01"))
        );
    }

    #[test]
    fn a_period_never_spans_more_than_31_days() {
        let mut day = d("2024-01-01");
        while day < d("2026-01-01") {
            for period in RankingPeriod::ALL {
                let (start, end) = bounds(period, day);
                assert!(start <= day && day <= end);
                assert!((end - start).num_days() < 31);
            }
            day = day + Days::new(1);
        }
    }

    #[test]
    fn trailing_windows_include_today() {
        assert_eq!(
            trailing(7, d("2026-11-27")),
            (d("2026-11-21"), d("2026-11-27"))
        );
        assert_eq!(
            trailing(1, d("2026-11-27")),
            (d("2026-11-27"), d("2026-11-27"))
        );
    }
}
