//! History series, statistics, comparison and forecast.

use std::collections::BTreeMap;

use serde::Serialize;
use travel_proto::history::v1 as pb;
use utoipa::ToSchema;

use super::{rfc3339, text_or_null};

/// GET /api/v1/history
#[derive(Serialize, ToSchema)]
pub struct Series {
    base: String,
    target: String,
    period: String,
    interval: String,
    start_date: Option<String>,
    end_date: Option<String>,
    data_points: usize,
    results: Vec<Point>,
    statistics: SeriesStatistics,
}

#[derive(Serialize, ToSchema)]
pub struct Point {
    date: String,
    rate: f64,
    change: Option<f64>,
    change_percent: Option<f64>,
    volume: u32,
    /// Only on a day filled by `fill=previous`: the observed day whose rate it carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    carried_from: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SeriesStatistics {
    average: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    volatility: Option<f64>,
    trend: Option<String>,
    data_points: u32,
}

impl From<pb::HistoryPoint> for Point {
    fn from(p: pb::HistoryPoint) -> Self {
        Self {
            date: p.date,
            rate: p.rate,
            change: p.change,
            change_percent: p.change_percent,
            volume: p.volume,
            carried_from: text_or_null(p.carried_from),
        }
    }
}

impl From<pb::GetHistoryResponse> for Series {
    fn from(r: pb::GetHistoryResponse) -> Self {
        let statistics = r.statistics.unwrap_or_default();
        let results: Vec<Point> = r.results.into_iter().map(Point::from).collect();
        Self {
            base: r.base,
            target: r.target,
            period: r.period,
            interval: r.interval,
            start_date: text_or_null(r.start_date),
            end_date: text_or_null(r.end_date),
            data_points: results.len(),
            results,
            statistics: SeriesStatistics {
                average: statistics.average,
                min: statistics.min,
                max: statistics.max,
                volatility: statistics.volatility,
                trend: text_or_null(statistics.trend),
                data_points: statistics.data_points,
            },
        }
    }
}

/// GET /api/v1/history/stats
#[derive(Serialize, ToSchema)]
pub struct Stats {
    currency_pair: String,
    period: String,
    analysis_date: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    data_points: u32,
    current_rate: Option<f64>,
    statistics: PeriodStatistics,
    technical_indicators: Indicators,
    monthly_breakdown: Vec<Month>,
}

#[derive(Serialize, ToSchema)]
pub struct PeriodStatistics {
    period_average: Option<f64>,
    period_min: Option<f64>,
    period_max: Option<f64>,
    total_change: Option<f64>,
    total_change_percent: Option<f64>,
    volatility_index: Option<f64>,
    trend_direction: Option<String>,
    support_level: Option<f64>,
    resistance_level: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Indicators {
    sma_20: Option<f64>,
    sma_50: Option<f64>,
    rsi: Option<f64>,
    bollinger_upper: Option<f64>,
    bollinger_lower: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Month {
    month: String,
    average: f64,
    min: f64,
    max: f64,
    change_percent: Option<f64>,
    volatility: Option<f64>,
}

impl From<pb::GetStatsResponse> for Stats {
    fn from(r: pb::GetStatsResponse) -> Self {
        Self {
            analysis_date: rfc3339(r.analysis_date.as_ref()),
            start_date: text_or_null(r.start_date),
            end_date: text_or_null(r.end_date),
            data_points: r.data_points,
            current_rate: r.current_rate,
            statistics: PeriodStatistics {
                period_average: r.period_average,
                period_min: r.period_min,
                period_max: r.period_max,
                total_change: r.total_change,
                total_change_percent: r.total_change_percent,
                volatility_index: r.volatility_index,
                trend_direction: text_or_null(r.trend_direction),
                support_level: r.support_level,
                resistance_level: r.resistance_level,
            },
            technical_indicators: Indicators {
                sma_20: r.sma_20,
                sma_50: r.sma_50,
                rsi: r.rsi,
                bollinger_upper: r.bollinger_upper,
                bollinger_lower: r.bollinger_lower,
            },
            monthly_breakdown: r
                .monthly_breakdown
                .into_iter()
                .map(|m| Month {
                    month: m.month,
                    average: m.average,
                    min: m.min,
                    max: m.max,
                    change_percent: m.change_percent,
                    volatility: m.volatility,
                })
                .collect(),
            currency_pair: r.currency_pair,
            period: r.period,
        }
    }
}

/// GET /api/v1/history/compare
#[derive(Serialize, ToSchema)]
pub struct Comparison {
    base: String,
    period: String,
    comparison_date: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    currencies: Vec<Performance>,
    /// The same list under the name the original system's clients read.
    comparison: Vec<Performance>,
    /// Pearson r of daily returns by pair ("USD-JPY").
    correlation_matrix: BTreeMap<String, Option<f64>>,
    portfolio_analysis: Portfolio,
}

#[derive(Serialize, Clone, ToSchema)]
pub struct Performance {
    currency: String,
    current_rate: Option<f64>,
    period_change_percent: Option<f64>,
    volatility: Option<f64>,
    performance_rank: u32,
    sharpe_ratio: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Portfolio {
    best_performer: Option<String>,
    worst_performer: Option<String>,
    most_volatile: Option<String>,
    least_volatile: Option<String>,
}

impl From<pb::CompareResponse> for Comparison {
    fn from(r: pb::CompareResponse) -> Self {
        let currencies: Vec<Performance> = r
            .currencies
            .into_iter()
            .map(|c| Performance {
                currency: c.currency,
                current_rate: c.current_rate,
                period_change_percent: c.period_change_percent,
                volatility: c.volatility,
                performance_rank: c.performance_rank,
                sharpe_ratio: c.sharpe_ratio,
            })
            .collect();
        Self {
            comparison_date: rfc3339(r.comparison_date.as_ref()),
            start_date: text_or_null(r.start_date),
            end_date: text_or_null(r.end_date),
            comparison: currencies.clone(),
            currencies,
            correlation_matrix: r
                .correlation_matrix
                .into_iter()
                .map(|c| (c.pair, c.r))
                .collect(),
            portfolio_analysis: Portfolio {
                best_performer: text_or_null(r.best_performer),
                worst_performer: text_or_null(r.worst_performer),
                most_volatile: text_or_null(r.most_volatile),
                least_volatile: text_or_null(r.least_volatile),
            },
            base: r.base,
            period: r.period,
        }
    }
}

/// GET /api/v1/history/forecast/{currency_code}
#[derive(Serialize, ToSchema)]
pub struct Forecast {
    currency: String,
    base: String,
    method: String,
    generated_at: Option<String>,
    interval_level: f64,
    last_date: String,
    last_rate: f64,
    forecast: Vec<ForecastPoint>,
    backtest: Backtest,
    // The same forecast as the original system's clients read it.
    forecast_data: Vec<PredictedPoint>,
    /// `interval_level` under its original name.
    confidence_level: f64,
    /// "7 days".
    forecast_period: String,
    /// `generated_at` under its original name.
    forecast_date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PredictedPoint {
    date: String,
    predicted_rate: f64,
    confidence_interval: Interval,
}

#[derive(Serialize, ToSchema)]
pub struct Interval {
    lower: f64,
    upper: f64,
}

#[derive(Serialize, ToSchema)]
pub struct ForecastPoint {
    date: String,
    rate: f64,
    lower: f64,
    upper: f64,
}

#[derive(Serialize, ToSchema)]
pub struct Backtest {
    mase: Option<f64>,
    mase_naive: Option<f64>,
    interval_coverage: Option<f64>,
}

impl From<pb::ForecastResponse> for Forecast {
    fn from(r: pb::ForecastResponse) -> Self {
        let generated_at = rfc3339(r.generated_at.as_ref());
        let days = r.forecast.len();
        Self {
            forecast_data: r
                .forecast
                .iter()
                .map(|p| PredictedPoint {
                    date: p.date.clone(),
                    predicted_rate: p.rate,
                    confidence_interval: Interval {
                        lower: p.lower,
                        upper: p.upper,
                    },
                })
                .collect(),
            confidence_level: r.interval_level,
            forecast_period: if days == 1 {
                "1 day".to_string()
            } else {
                format!("{days} days")
            },
            forecast_date: generated_at.clone(),
            generated_at,
            interval_level: r.interval_level,
            last_rate: r.last_rate,
            forecast: r
                .forecast
                .into_iter()
                .map(|p| ForecastPoint {
                    date: p.date,
                    rate: p.rate,
                    lower: p.lower,
                    upper: p.upper,
                })
                .collect(),
            backtest: Backtest {
                mase: r.backtest_mase,
                mase_naive: r.backtest_mase_naive,
                interval_coverage: r.backtest_coverage,
            },
            currency: r.currency,
            base: r.base,
            method: r.method,
            last_date: r.last_date,
        }
    }
}
