//! Dated series and their alignment.

use chrono::NaiveDate;

/// One observation of a series: the rate on a business day (or in an hour) and how
/// many observations were aggregated into it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub date: NaiveDate,
    pub rate: f64,
    pub volume: u32,
}

/// The rates of a series, oldest first.
pub fn rates(points: &[Point]) -> Vec<f64> {
    points.iter().map(|p| p.rate).collect()
}

/// Daily log returns ln(r_t / r_{t-1}) between consecutive points (gaps such as
/// weekends and holidays are not filled: a return spans whatever time lies between
/// two observations).
pub fn log_returns(rates: &[f64]) -> Vec<f64> {
    rates.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
}

/// Cross series `target / base` on the dates both series have (inner join), for a
/// base other than the quote currency of both. The volume is the target's.
pub fn cross(target: &[Point], base: &[Point]) -> Vec<Point> {
    let mut result = Vec::with_capacity(target.len().min(base.len()));
    let mut j = 0;
    for t in target {
        while j < base.len() && base[j].date < t.date {
            j += 1;
        }
        if j < base.len() && base[j].date == t.date && base[j].rate != 0.0 {
            result.push(Point {
                date: t.date,
                rate: t.rate / base[j].rate,
                volume: t.volume,
            });
        }
    }
    result
}

/// The rates of two series on their common dates, in date order.
pub fn align(a: &[Point], b: &[Point]) -> (Vec<f64>, Vec<f64>) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut j = 0;
    for p in a {
        while j < b.len() && b[j].date < p.date {
            j += 1;
        }
        if j < b.len() && b[j].date == p.date {
            xs.push(p.rate);
            ys.push(b[j].rate);
        }
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(day: u32, rate: f64) -> Point {
        Point {
            date: NaiveDate::from_ymd_opt(2026, 1, day).unwrap(),
            rate,
            volume: 1,
        }
    }

    #[test]
    fn cross_and_align_use_common_dates_only() {
        let target = [p(1, 10.0), p(2, 12.0), p(5, 15.0)];
        let base = [p(2, 4.0), p(3, 5.0), p(5, 3.0)];
        let crossed = cross(&target, &base);
        assert_eq!(crossed.len(), 2);
        assert_eq!(crossed[0].rate, 3.0);
        assert_eq!(crossed[1].rate, 5.0);
        assert_eq!(crossed[1].volume, 1);
        assert_eq!(align(&target, &base), (vec![12.0, 15.0], vec![4.0, 3.0]));
    }

    #[test]
    fn log_returns_of_short_series() {
        assert!(log_returns(&[]).is_empty());
        assert!(log_returns(&[1.0]).is_empty());
        assert!((log_returns(&[1.0, std::f64::consts::E])[0] - 1.0).abs() < 1e-15);
    }
}
