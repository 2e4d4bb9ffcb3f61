//! Descriptive statistics of a series. Definitions: `docs/analytics.md`.

use chrono::Datelike;

use crate::series::{Point, log_returns};

/// Trading days per year, the annualisation factor's base.
pub const TRADING_DAYS: f64 = 252.0;

/// Relative change over the window above which a trend is not "stable" (1 %).
pub const TREND_THRESHOLD: f64 = 0.01;

pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    Some(xs.iter().sum::<f64>() / xs.len() as f64)
}

pub fn min(xs: &[f64]) -> Option<f64> {
    xs.iter().copied().reduce(f64::min)
}

pub fn max(xs: &[f64]) -> Option<f64> {
    xs.iter().copied().reduce(f64::max)
}

/// Standard deviation with `ddof` degrees of freedom removed (0: population, 1:
/// sample); `None` when fewer than `ddof + 1` values.
pub fn std_dev(xs: &[f64], ddof: usize) -> Option<f64> {
    if xs.len() <= ddof {
        return None;
    }
    let m = mean(xs)?;
    let squares: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    Some((squares / (xs.len() - ddof) as f64).sqrt())
}

/// Change and change percent of every point against the previous one; `None` for the
/// first point.
pub fn changes(rates: &[f64]) -> Vec<(Option<f64>, Option<f64>)> {
    let mut out = Vec::with_capacity(rates.len());
    for (i, rate) in rates.iter().enumerate() {
        if i == 0 {
            out.push((None, None));
        } else {
            let previous = rates[i - 1];
            let percent = (previous != 0.0).then(|| (rate / previous - 1.0) * 100.0);
            out.push((Some(rate - previous), percent));
        }
    }
    out
}

/// Last minus first, and that as a percentage of the first.
pub fn total_change(rates: &[f64]) -> (Option<f64>, Option<f64>) {
    match (rates.first(), rates.last()) {
        (Some(first), Some(last)) if rates.len() >= 2 => {
            let percent = (*first != 0.0).then(|| (last / first - 1.0) * 100.0);
            (Some(last - first), percent)
        }
        _ => (None, None),
    }
}

/// Annualised volatility in percent: sample standard deviation (ddof 1) of the daily
/// log returns × √252 × 100. Needs at least two returns (three rates).
pub fn volatility(rates: &[f64]) -> Option<f64> {
    let returns = log_returns(rates);
    if returns.len() < 2 {
        return None;
    }
    std_dev(&returns, 1).map(|s| s * TRADING_DAYS.sqrt() * 100.0)
}

/// Annualised Sharpe ratio of the daily log returns with a zero risk-free rate:
/// mean / sample std × √252. `None` with fewer than two returns or no variation.
pub fn sharpe_ratio(rates: &[f64]) -> Option<f64> {
    let returns = log_returns(rates);
    if returns.len() < 2 {
        return None;
    }
    let sd = std_dev(&returns, 1)?;
    if sd == 0.0 || !sd.is_finite() {
        return None;
    }
    Some(mean(&returns)? / sd * TRADING_DAYS.sqrt())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Upward,
    Downward,
    Stable,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Upward => "upward",
            Trend::Downward => "downward",
            Trend::Stable => "stable",
        }
    }
}

/// Ordinary least-squares slope of the rates against their index 0..n-1.
pub fn ols_slope(rates: &[f64]) -> Option<f64> {
    let n = rates.len();
    if n < 2 {
        return None;
    }
    let mean_x = (n - 1) as f64 / 2.0;
    let mean_y = mean(rates)?;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in rates.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    Some(sxy / sxx)
}

/// Trend of the window: the OLS line's rise over the window, relative to the mean
/// rate, compared with ±1 %. Needs two points.
pub fn trend(rates: &[f64]) -> Option<Trend> {
    let slope = ols_slope(rates)?;
    let m = mean(rates)?;
    if m == 0.0 {
        return None;
    }
    let relative = slope * (rates.len() - 1) as f64 / m;
    Some(if relative > TREND_THRESHOLD {
        Trend::Upward
    } else if relative < -TREND_THRESHOLD {
        Trend::Downward
    } else {
        Trend::Stable
    })
}

/// Percentile with linear interpolation between closest ranks (numpy's default).
pub fn percentile(rates: &[f64], q: f64) -> Option<f64> {
    if rates.is_empty() || !(0.0..=100.0).contains(&q) {
        return None;
    }
    let mut sorted = rates.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let lower = position.floor() as usize;
    let upper = position.ceil() as usize;
    let fraction = position - lower as f64;
    Some(sorted[lower] + (sorted[upper] - sorted[lower]) * fraction)
}

/// Support and resistance: the 10th and 90th percentiles of the window's rates.
/// Needs five points.
pub fn support_resistance(rates: &[f64]) -> (Option<f64>, Option<f64>) {
    if rates.len() < 5 {
        return (None, None);
    }
    (percentile(rates, 10.0), percentile(rates, 90.0))
}

/// Pearson correlation of two equally long samples; `None` below three values or
/// when either has no variation.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 3 {
        return None;
    }
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Correlation of two dated series: Pearson correlation of the log returns of their
/// rates on common dates.
pub fn return_correlation(a: &[Point], b: &[Point]) -> Option<f64> {
    let (xs, ys) = crate::series::align(a, b);
    pearson(&log_returns(&xs), &log_returns(&ys))
}

/// One calendar month of the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    /// "YYYY-MM".
    pub month: String,
    pub average: f64,
    pub min: f64,
    pub max: f64,
    /// Last over first rate of the month, in percent; `None` with one point.
    pub change_percent: Option<f64>,
    /// [`volatility`] of the month's rates.
    pub volatility: Option<f64>,
}

pub fn monthly_breakdown(points: &[Point]) -> Vec<Month> {
    let mut months = Vec::new();
    let mut start = 0;
    while start < points.len() {
        let key = (points[start].date.year(), points[start].date.month());
        let mut end = start;
        while end < points.len() && (points[end].date.year(), points[end].date.month()) == key {
            end += 1;
        }
        let rates: Vec<f64> = points[start..end].iter().map(|p| p.rate).collect();
        months.push(Month {
            month: format!("{:04}-{:02}", key.0, key.1),
            average: mean(&rates).unwrap_or_default(),
            min: min(&rates).unwrap_or_default(),
            max: max(&rates).unwrap_or_default(),
            change_percent: total_change(&rates).1,
            volatility: volatility(&rates),
        });
        start = end;
    }
    months
}

/// Ranks by change percent, largest first (1 = the currency that gained most against
/// the base); ties by code; currencies without a change rank last.
pub fn performance_ranks(changes: &[(&str, Option<f64>)]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by(|&a, &b| {
        let (code_a, change_a) = changes[a];
        let (code_b, change_b) = changes[b];
        match (change_a, change_b) {
            (Some(x), Some(y)) => y.total_cmp(&x).then(code_a.cmp(code_b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => code_a.cmp(code_b),
        }
    });
    let mut ranks = vec![0; changes.len()];
    for (rank, index) in order.into_iter().enumerate() {
        ranks[index] = rank as u32 + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_series_has_zero_volatility_and_no_correlation() {
        let flat = [5.0; 30];
        assert_eq!(volatility(&flat), Some(0.0));
        assert_eq!(sharpe_ratio(&flat), None);
        assert_eq!(pearson(&flat, &flat), None);
        assert_eq!(trend(&flat), Some(Trend::Stable));
    }

    #[test]
    fn too_little_data_gives_none() {
        assert_eq!(volatility(&[1.0, 2.0]), None);
        assert_eq!(trend(&[1.0]), None);
        assert_eq!(total_change(&[1.0]), (None, None));
        assert_eq!(support_resistance(&[1.0, 2.0, 3.0, 4.0]), (None, None));
        assert_eq!(pearson(&[1.0, 2.0], &[1.0, 2.0]), None);
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn ranks_put_missing_changes_last_and_break_ties_by_code() {
        let ranks = performance_ranks(&[
            ("JPY", Some(1.0)),
            ("USD", None),
            ("EUR", Some(1.0)),
            ("GBP", Some(3.0)),
        ]);
        assert_eq!(ranks, vec![3, 4, 2, 1]);
    }
}
