//! Technical indicators on the closing rates. Definitions: `docs/analytics.md`.

use crate::stats::{mean, std_dev};

pub const SMA_SHORT: usize = 20;
pub const SMA_LONG: usize = 50;
pub const RSI_PERIOD: usize = 14;
pub const BOLLINGER_WINDOW: usize = 20;
pub const BOLLINGER_K: f64 = 2.0;

/// Simple moving average of the last `window` rates.
pub fn sma(rates: &[f64], window: usize) -> Option<f64> {
    if window == 0 || rates.len() < window {
        return None;
    }
    mean(&rates[rates.len() - window..])
}

/// Relative strength index with Wilder's smoothing: the first average gain and loss
/// are the plain means of the first `period` changes, each later one is
/// (previous × (period − 1) + current) / period. RSI = 100 − 100 / (1 + gain/loss);
/// 100 when there were no losses, 50 when the rate never moved. Needs period + 1 rates.
pub fn rsi(rates: &[f64], period: usize) -> Option<f64> {
    if period == 0 || rates.len() < period + 1 {
        return None;
    }
    let deltas: Vec<f64> = rates.windows(2).map(|w| w[1] - w[0]).collect();
    let gain = |d: f64| d.max(0.0);
    let loss = |d: f64| (-d).max(0.0);
    let mut avg_gain = deltas[..period].iter().map(|&d| gain(d)).sum::<f64>() / period as f64;
    let mut avg_loss = deltas[..period].iter().map(|&d| loss(d)).sum::<f64>() / period as f64;
    let p = period as f64;
    for &d in &deltas[period..] {
        avg_gain = (avg_gain * (p - 1.0) + gain(d)) / p;
        avg_loss = (avg_loss * (p - 1.0) + loss(d)) / p;
    }
    Some(if avg_loss == 0.0 {
        if avg_gain == 0.0 { 50.0 } else { 100.0 }
    } else {
        100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    })
}

/// Bollinger bands of the last `window` rates: SMA ± k × population standard deviation
/// (ddof 0). Returns (upper, lower).
pub fn bollinger(rates: &[f64], window: usize, k: f64) -> Option<(f64, f64)> {
    if window == 0 || rates.len() < window {
        return None;
    }
    let tail = &rates[rates.len() - window..];
    let middle = mean(tail)?;
    let sd = std_dev(tail, 0)?;
    Some((middle + k * sd, middle - k * sd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsi_extremes() {
        let rising: Vec<f64> = (0..20).map(f64::from).collect();
        assert_eq!(rsi(&rising, 14), Some(100.0));
        assert_eq!(rsi(&[3.0; 20], 14), Some(50.0));
        assert_eq!(rsi(&rising[..14], 14), None);
    }

    #[test]
    fn windows_need_enough_points() {
        assert_eq!(sma(&[1.0; 19], 20), None);
        assert_eq!(sma(&[2.0; 20], 20), Some(2.0));
        assert_eq!(bollinger(&[2.0; 20], 20, 2.0), Some((2.0, 2.0)));
        assert_eq!(bollinger(&[2.0; 5], 20, 2.0), None);
    }
}
