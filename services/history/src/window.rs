//! Which days a request covers: a named period ending at the newest stored day, or
//! explicit dates.

use chrono::{Days, Months, NaiveDate};
use travel_domain::ApiError;

/// Longest explicit range accepted (about ten years of daily points).
pub const MAX_RANGE_DAYS: i64 = 3660;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The period as requested ("1m"), or "custom" for explicit dates.
    pub label: String,
}

/// A validated request for a window, before the anchor date is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSpec {
    Period {
        label: &'static str,
        months: u32,
        days: u64,
    },
    Dates {
        start: NaiveDate,
        end: NaiveDate,
    },
}

pub const PERIODS: &str = "1w, 1m, 3m, 6m or 1y";

fn parse_date(parameter: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_parameter(parameter, raw, "a date YYYY-MM-DD"))
}

impl WindowSpec {
    /// `period` wins when no dates are given; `start` and `end` go together.
    pub fn parse(
        period: &str,
        start: &str,
        end: &str,
        default_period: &str,
    ) -> Result<Self, ApiError> {
        match (start.trim().is_empty(), end.trim().is_empty()) {
            (true, true) => {}
            (false, true) => {
                return Err(ApiError::missing_parameter(
                    "end",
                    "a date YYYY-MM-DD (with start)",
                ));
            }
            (true, false) => {
                return Err(ApiError::missing_parameter(
                    "start",
                    "a date YYYY-MM-DD (with end)",
                ));
            }
            (false, false) => {
                let start_date = parse_date("start", start)?;
                let end_date = parse_date("end", end)?;
                if start_date > end_date {
                    return Err(ApiError::invalid_parameter(
                        "start",
                        start,
                        "a date not after end",
                    ));
                }
                if (end_date - start_date).num_days() > MAX_RANGE_DAYS {
                    return Err(ApiError::invalid_parameter(
                        "start",
                        start,
                        &format!("a range of at most {MAX_RANGE_DAYS} days"),
                    ));
                }
                return Ok(WindowSpec::Dates {
                    start: start_date,
                    end: end_date,
                });
            }
        }
        let period = if period.trim().is_empty() {
            default_period
        } else {
            period.trim()
        };
        let (label, months, days) = match period {
            "1w" => ("1w", 0, 7),
            "1m" => ("1m", 1, 0),
            "3m" => ("3m", 3, 0),
            "6m" => ("6m", 6, 0),
            "1y" => ("1y", 12, 0),
            other => {
                return Err(ApiError::invalid_period(other, PERIODS));
            }
        };
        Ok(WindowSpec::Period {
            label,
            months,
            days,
        })
    }

    /// The window ending at `anchor` (the newest stored day) for a period: the
    /// period's length back, the anchor day included (1m on 2026-10-30 is
    /// 2026-10-01 ..= 2026-10-30).
    pub fn resolve(&self, anchor: NaiveDate) -> Window {
        match self {
            WindowSpec::Dates { start, end } => Window {
                start: *start,
                end: *end,
                label: "custom".to_string(),
            },
            WindowSpec::Period {
                label,
                months,
                days,
            } => {
                let back = if *months > 0 {
                    anchor
                        .checked_sub_months(Months::new(*months))
                        .unwrap_or(NaiveDate::MIN)
                } else {
                    anchor
                        .checked_sub_days(Days::new(*days))
                        .unwrap_or(NaiveDate::MIN)
                };
                Window {
                    start: back.succ_opt().unwrap_or(back),
                    end: anchor,
                    label: label.to_string(),
                }
            }
        }
    }

    /// Cache key part: the period label, or the explicit dates.
    pub fn key(&self) -> String {
        match self {
            WindowSpec::Period { label, .. } => label.to_string(),
            WindowSpec::Dates { start, end } => format!("{start}_{end}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use travel_domain::ErrorCode;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_end_at_the_anchor() {
        let anchor = day(2026, 10, 30);
        let w = WindowSpec::parse("1m", "", "", "1m")
            .unwrap()
            .resolve(anchor);
        assert_eq!((w.start, w.end), (day(2026, 10, 1), anchor));
        let w = WindowSpec::parse("1w", "", "", "1m")
            .unwrap()
            .resolve(anchor);
        assert_eq!(w.start, day(2026, 10, 24));
        let w = WindowSpec::parse("1y", "", "", "1m")
            .unwrap()
            .resolve(anchor);
        assert_eq!(w.start, day(2025, 10, 31));
        let w = WindowSpec::parse("", "", "", "6m")
            .unwrap()
            .resolve(day(2026, 8, 31));
        assert_eq!(w.start, day(2026, 3, 1));
    }

    #[test]
    fn bad_windows_name_the_parameter() {
        let cases = [
            (("2y", "", ""), ErrorCode::InvalidPeriod, "period"),
            (("1M", "", ""), ErrorCode::InvalidPeriod, "period"),
            (("", "2026-01-01", ""), ErrorCode::MissingParameter, "end"),
            (("", "", "2026-01-01"), ErrorCode::MissingParameter, "start"),
            (
                ("", "2026-13-01", "2026-12-01"),
                ErrorCode::InvalidParameter,
                "start",
            ),
            (
                ("", "2026-02-01", "2026-01-01"),
                ErrorCode::InvalidParameter,
                "start",
            ),
            (
                ("", "1990-01-01", "2026-01-01"),
                ErrorCode::InvalidParameter,
                "start",
            ),
            (
                ("", "2026-01-01", "tomorrow"),
                ErrorCode::InvalidParameter,
                "end",
            ),
        ];
        for ((period, start, end), code, parameter) in cases {
            let err = WindowSpec::parse(period, start, end, "1m").unwrap_err();
            assert_eq!(err.code, code, "{period} {start} {end}");
            assert_eq!(err.parameter.as_deref(), Some(parameter));
        }
    }

    #[test]
    fn explicit_dates_win_over_the_period() {
        let spec = WindowSpec::parse("1y", "2026-01-01", "2026-01-31", "1m").unwrap();
        assert_eq!(spec.key(), "2026-01-01_2026-01-31");
        assert_eq!(spec.resolve(day(2026, 10, 30)).label, "custom");
    }
}
