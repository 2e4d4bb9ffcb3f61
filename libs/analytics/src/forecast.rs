//! Forecast: a random walk on log rates, with or without drift, and its prediction
//! interval; a rolling-origin backtest that decides whether the drift earns its place.
//! Definitions: `docs/analytics.md`.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::series::log_returns;
use crate::stats::{mean, std_dev};

/// z of the central 80 % interval of a normal distribution.
pub const Z_80: f64 = 1.281_551_565_544_600_4;

/// Daily log returns the model is estimated from (about a year of business days).
pub const ESTIMATION_WINDOW: usize = 250;

/// Fewest returns a model is estimated from.
pub const MIN_RETURNS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// Mean daily log return (0 for the naive random walk).
    pub drift: f64,
    /// Sample standard deviation of the daily log returns.
    pub sigma: f64,
}

/// Estimates the model from the last [`ESTIMATION_WINDOW`] returns of `rates`.
pub fn fit(rates: &[f64], with_drift: bool) -> Option<Model> {
    let returns = log_returns(rates);
    let tail = &returns[returns.len().saturating_sub(ESTIMATION_WINDOW)..];
    if tail.len() < MIN_RETURNS {
        return None;
    }
    Some(Model {
        drift: if with_drift { mean(tail)? } else { 0.0 },
        sigma: std_dev(tail, 1)?,
    })
}

/// Median forecast and interval `steps` business days after a rate:
/// r·exp(h·μ) and r·exp(h·μ ± z·σ·√h).
pub fn at_step(last: f64, model: Model, step: usize, z: f64) -> (f64, f64, f64) {
    let h = step as f64;
    let centre = h * model.drift;
    let spread = z * model.sigma * h.sqrt();
    (
        last * centre.exp(),
        last * (centre - spread).exp(),
        last * (centre + spread).exp(),
    )
}

/// The next business day (Monday to Friday; holidays are not modelled).
pub fn next_business_day(date: NaiveDate) -> NaiveDate {
    let mut next = date + Days::new(1);
    while matches!(next.weekday(), Weekday::Sat | Weekday::Sun) {
        next = next + Days::new(1);
    }
    next
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastPoint {
    pub date: NaiveDate,
    pub rate: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Forecasts `days` business days after the last observation on `last_date`.
pub fn forecast(
    last_date: NaiveDate,
    last: f64,
    model: Model,
    days: usize,
    z: f64,
) -> Vec<ForecastPoint> {
    let mut date = last_date;
    (1..=days)
        .map(|step| {
            date = next_business_day(date);
            let (rate, lower, upper) = at_step(last, model, step, z);
            ForecastPoint {
                date,
                rate,
                lower,
                upper,
            }
        })
        .collect()
}

/// Rolling-origin evaluation of both variants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtest {
    pub origins: usize,
    pub horizon: usize,
    /// Mean absolute scaled error: absolute error divided by the in-sample mean
    /// absolute one-step change of the estimation window, averaged over every origin
    /// and step.
    pub mase_drift: f64,
    pub mase_naive: f64,
    /// Share of actual rates inside the 80 % interval, per variant.
    pub coverage_drift: f64,
    pub coverage_naive: f64,
}

impl Backtest {
    /// True when the drift did worse than the naive random walk.
    pub fn drift_is_worse(&self) -> bool {
        self.mase_drift > self.mase_naive
    }
}

/// Origins every `step` points, from the first with a full estimation window to the
/// last whose `horizon` actuals are known; each origin estimates on the
/// [`ESTIMATION_WINDOW`] returns before it and forecasts 1..=horizon steps ahead.
pub fn backtest(rates: &[f64], horizon: usize, step: usize) -> Option<Backtest> {
    if horizon == 0 || step == 0 || rates.len() < ESTIMATION_WINDOW + 1 + horizon {
        return None;
    }
    let (mut scaled_drift, mut scaled_naive) = (0.0, 0.0);
    let (mut inside_drift, mut inside_naive) = (0usize, 0usize);
    let (mut count, mut origins) = (0usize, 0usize);
    let mut origin = ESTIMATION_WINDOW;
    while origin + horizon < rates.len() {
        let history = &rates[origin - ESTIMATION_WINDOW..=origin];
        let scale = mean(
            &history
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .collect::<Vec<_>>(),
        )?;
        if scale > 0.0
            && let (Some(drift), Some(naive)) = (fit(history, true), fit(history, false))
        {
            origins += 1;
            for h in 1..=horizon {
                let actual = rates[origin + h];
                let (d, d_low, d_high) = at_step(rates[origin], drift, h, Z_80);
                let (n, n_low, n_high) = at_step(rates[origin], naive, h, Z_80);
                scaled_drift += (actual - d).abs() / scale;
                scaled_naive += (actual - n).abs() / scale;
                inside_drift += usize::from((d_low..=d_high).contains(&actual));
                inside_naive += usize::from((n_low..=n_high).contains(&actual));
                count += 1;
            }
        }
        origin += step;
    }
    if count == 0 {
        return None;
    }
    let n = count as f64;
    Some(Backtest {
        origins,
        horizon,
        mase_drift: scaled_drift / n,
        mase_naive: scaled_naive / n,
        coverage_drift: inside_drift as f64 / n,
        coverage_naive: inside_naive as f64 / n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_days_skip_weekends() {
        let friday = NaiveDate::from_ymd_opt(2026, 10, 30).unwrap();
        assert_eq!(
            next_business_day(friday),
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
        );
        let points = forecast(
            friday,
            100.0,
            Model {
                drift: 0.0,
                sigma: 0.01,
            },
            3,
            Z_80,
        );
        assert_eq!(points[0].date.weekday(), Weekday::Mon);
        assert_eq!(
            points[2].date,
            NaiveDate::from_ymd_opt(2026, 11, 4).unwrap()
        );
        // The interval widens with the horizon and contains the median.
        assert!(points[2].upper - points[2].lower > points[0].upper - points[0].lower);
        assert!(points.iter().all(|p| p.lower < p.rate && p.rate < p.upper));
    }

    #[test]
    fn needs_enough_history() {
        assert_eq!(fit(&[1.0; 10], true), None);
        assert!(backtest(&[1.0; 100], 5, 5).is_none());
    }

    #[test]
    fn a_pure_trend_is_forecast_better_with_drift() {
        let rates: Vec<f64> = (0..400)
            .map(|i| {
                100.0 * (0.001 * i as f64).exp() * (1.0 + 0.002 * ((i * 7919) % 13) as f64 / 13.0)
            })
            .collect();
        let result = backtest(&rates, 5, 5).unwrap();
        assert!(result.origins > 10);
        assert!(!result.drift_is_worse(), "{result:?}");
    }
}
