//! The `travel.history.v1.HistoryService` implementation.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, Utc};
use futures::Stream;
use prost::Message;
use tonic::{Request, Response, Status};
use travel_analytics::Point;
use travel_analytics::forecast::{self, Z_80};
use travel_analytics::indicators::{
    BOLLINGER_K, BOLLINGER_WINDOW, RSI_PERIOD, SMA_LONG, SMA_SHORT, bollinger, rsi, sma,
};
use travel_analytics::series::rates;
use travel_analytics::stats::{self, monthly_breakdown, performance_ranks, return_correlation};
use travel_cache::Cache;
use travel_domain::{ApiError, Catalog, CurrencyCode};
use travel_proto::history::v1 as pb;
use travel_proto::history::v1::history_service_server::HistoryService;
use travel_runtime::status::respond;

use crate::config::HistoryConfig;
use crate::fill::{self, Fill};

/// How far before a window `fill=previous` looks for the close it carries into the
/// window's first days (a long holiday is shorter).
const FILL_LOOKBACK_DAYS: u64 = 14;
use crate::series::{Interval, SeriesLoader};
use crate::window::{Window, WindowSpec};

/// Most currencies one comparison takes.
pub const MAX_COMPARE: usize = 10;
/// Longest forecast horizon, in business days.
pub const MAX_FORECAST_DAYS: u32 = 30;
/// Calendar days of history read before a window so indicators (SMA 50) have data.
const INDICATOR_LOOKBACK_DAYS: u64 = 120;
/// Calendar days of history a forecast is estimated and backtested on.
const FORECAST_HISTORY_DAYS: u64 = 2 * 366;

pub struct HistoryApi {
    loader: SeriesLoader,
    cache: Arc<dyn Cache>,
    catalog: Arc<Catalog>,
    config: HistoryConfig,
}

fn timestamp_now() -> prost_types::Timestamp {
    let now = Utc::now();
    prost_types::Timestamp {
        seconds: now.timestamp(),
        nanos: now.timestamp_subsec_nanos() as i32,
    }
}

impl HistoryApi {
    pub fn new(
        loader: SeriesLoader,
        cache: Arc<dyn Cache>,
        catalog: Arc<Catalog>,
        config: HistoryConfig,
    ) -> Self {
        Self {
            loader,
            cache,
            catalog,
            config,
        }
    }

    fn currency(&self, parameter: &str, raw: &str) -> Result<CurrencyCode, ApiError> {
        if raw.trim().is_empty() {
            return Err(ApiError::missing_parameter(
                parameter,
                "ISO 4217 code of a supported currency",
            ));
        }
        let code =
            CurrencyCode::parse(raw).map_err(|_| ApiError::invalid_currency(parameter, raw))?;
        self.catalog
            .currency(code)
            .map(|c| c.code)
            .ok_or_else(|| ApiError::invalid_currency(parameter, raw))
    }

    fn base(&self, raw: &str) -> Result<CurrencyCode, ApiError> {
        if raw.trim().is_empty() {
            Ok(CurrencyCode::KRW)
        } else {
            self.currency("base", raw)
        }
    }

    fn window_spec(window: Option<&pb::Window>) -> Result<WindowSpec, ApiError> {
        let window = window.cloned().unwrap_or_default();
        WindowSpec::parse(&window.period, &window.start, &window.end, "1m")
    }

    /// Time-to-live of a cached answer: short windows change more with each new day.
    fn ttl(&self, spec: &WindowSpec) -> Duration {
        match spec.key().as_str() {
            "1w" => self.config.ttl_1w,
            "1m" => self.config.ttl_1m,
            _ => self.config.ttl_long,
        }
    }

    /// Answers from the cache when it can, otherwise computes and stores the answer.
    /// The cache is an optimisation: its failures are logged, never returned.
    async fn cached<M, F>(&self, key: String, ttl: Duration, compute: F) -> Result<M, ApiError>
    where
        M: Message + Default,
        F: std::future::Future<Output = Result<M, ApiError>>,
    {
        match self.cache.get(&key).await {
            Ok(Some(hex_value)) => {
                if let Some(message) = hex::decode(&hex_value)
                    .ok()
                    .and_then(|b| M::decode(b.as_slice()).ok())
                {
                    return Ok(message);
                }
                tracing::warn!(%key, "unreadable cache entry, recomputing");
            }
            Ok(None) => {}
            Err(error) => travel_cache::log_failure(&error, "cache read failed, computing"),
        }
        let message = compute.await?;
        if let Err(error) = self
            .cache
            .set(&key, &hex::encode(message.encode_to_vec()), ttl)
            .await
        {
            travel_cache::log_failure(&error, "cache write failed");
        }
        Ok(message)
    }

    /// The window of a request, or `None` when the pair has no stored data at all.
    async fn resolve(
        &self,
        spec: &WindowSpec,
        codes: &[CurrencyCode],
    ) -> Result<Option<Window>, ApiError> {
        match spec {
            WindowSpec::Dates { .. } => Ok(Some(spec.resolve(chrono::NaiveDate::MIN))),
            WindowSpec::Period { .. } => Ok(self
                .loader
                .anchor(codes)
                .await?
                .map(|anchor| spec.resolve(anchor))),
        }
    }

    pub async fn history(
        &self,
        request: pb::GetHistoryRequest,
    ) -> Result<pb::GetHistoryResponse, ApiError> {
        let target = self.currency("target", &request.target)?;
        let base = self.base(&request.base)?;
        if target == base {
            return Err(ApiError::invalid_parameter(
                "target",
                &request.target,
                "a currency other than the base",
            ));
        }
        let interval = Interval::parse(&request.interval)?;
        let fill = Fill::parse(&request.fill, interval)?;
        let spec = Self::window_spec(request.window.as_ref())?;
        let key = format!("chart:{}:{base}:{target}:{}", spec.key(), interval.as_str());
        let ttl = self.ttl(&spec);
        // The observed series is what is cached; filling is cheap and done per answer.
        let mut response = self
            .cached(key, ttl, async {
                let mut response = pb::GetHistoryResponse {
                    base: base.to_string(),
                    target: target.to_string(),
                    period: spec_label(&spec),
                    interval: interval.as_str().to_string(),
                    ..Default::default()
                };
                let Some(window) = self.resolve(&spec, &[target, base]).await? else {
                    response.statistics = Some(series_statistics(&[]));
                    return Ok(response);
                };
                response.start_date = window.start.to_string();
                response.end_date = window.end.to_string();
                let (labels, values, volumes): (Vec<String>, Vec<f64>, Vec<u32>) = match interval {
                    Interval::Daily => {
                        let points = self
                            .loader
                            .daily(target, base, window.start, window.end)
                            .await?;
                        (
                            points.iter().map(|p| p.date.to_string()).collect(),
                            rates(&points),
                            points.iter().map(|p| p.volume).collect(),
                        )
                    }
                    Interval::Hourly => {
                        let points = self
                            .loader
                            .hourly(target, base, window.start, window.end)
                            .await?;
                        (
                            points
                                .iter()
                                .map(|p| p.hour.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                                .collect(),
                            points.iter().map(|p| p.rate).collect(),
                            points.iter().map(|p| p.volume).collect(),
                        )
                    }
                };
                response.results = stats::changes(&values)
                    .into_iter()
                    .enumerate()
                    .map(|(i, (change, change_percent))| pb::HistoryPoint {
                        date: labels[i].clone(),
                        rate: values[i],
                        change,
                        change_percent,
                        volume: volumes[i],
                        carried_from: String::new(),
                    })
                    .collect();
                response.statistics = Some(series_statistics(&values));
                Ok(response)
            })
            .await?;
        if fill == Fill::Previous
            && let (Ok(start), Ok(end)) = (
                response.start_date.parse::<chrono::NaiveDate>(),
                response.end_date.parse::<chrono::NaiveDate>(),
            )
        {
            // The last close before the window carries into its first days.
            let lookback = start
                .checked_sub_days(Days::new(FILL_LOOKBACK_DAYS))
                .unwrap_or(start);
            let before = match start.pred_opt() {
                Some(eve) => self
                    .loader
                    .daily(target, base, lookback, eve)
                    .await?
                    .last()
                    .map(|p| (p.date, p.rate)),
                None => None,
            };
            // Never past today: a window may end in the future.
            let end = end.min(Utc::now().date_naive());
            response.results =
                fill::previous(std::mem::take(&mut response.results), before, start, end);
        }
        Ok(response)
    }

    pub async fn stats(
        &self,
        request: pb::GetStatsRequest,
    ) -> Result<pb::GetStatsResponse, ApiError> {
        let target = self.currency("target", &request.target)?;
        let base = self.base(&request.base)?;
        if target == base {
            return Err(ApiError::invalid_parameter(
                "target",
                &request.target,
                "a currency other than the base",
            ));
        }
        let spec = Self::window_spec(request.window.as_ref())?;
        let key = format!("stats:{}:{base}:{target}", spec.key());
        let ttl = self.ttl(&spec);
        self.cached(key, ttl, async {
            let mut response = pb::GetStatsResponse {
                currency_pair: format!("{base}/{target}"),
                period: spec_label(&spec),
                analysis_date: Some(timestamp_now()),
                ..Default::default()
            };
            let Some(window) = self.resolve(&spec, &[target, base]).await? else {
                return Ok(response);
            };
            let lookback_start = window
                .start
                .checked_sub_days(Days::new(INDICATOR_LOOKBACK_DAYS))
                .unwrap_or(window.start);
            let with_lookback = self
                .loader
                .daily(target, base, lookback_start, window.end)
                .await?;
            let in_window: Vec<Point> = with_lookback
                .iter()
                .copied()
                .filter(|p| p.date >= window.start)
                .collect();
            let values = rates(&in_window);
            let all = rates(&with_lookback);
            let (total_change, total_change_percent) = stats::total_change(&values);
            let (support, resistance) = stats::support_resistance(&values);
            let bands = bollinger(&all, BOLLINGER_WINDOW, BOLLINGER_K);
            response.start_date = window.start.to_string();
            response.end_date = window.end.to_string();
            response.data_points = values.len() as u32;
            response.current_rate = values.last().copied();
            response.period_average = stats::mean(&values);
            response.period_min = stats::min(&values);
            response.period_max = stats::max(&values);
            response.total_change = total_change;
            response.total_change_percent = total_change_percent;
            response.volatility_index = stats::volatility(&values);
            response.trend_direction = stats::trend(&values)
                .map(|t| t.as_str().to_string())
                .unwrap_or_default();
            response.support_level = support;
            response.resistance_level = resistance;
            response.sma_20 = sma(&all, SMA_SHORT);
            response.sma_50 = sma(&all, SMA_LONG);
            response.rsi = rsi(&all, RSI_PERIOD);
            response.bollinger_upper = bands.map(|b| b.0);
            response.bollinger_lower = bands.map(|b| b.1);
            response.monthly_breakdown = monthly_breakdown(&in_window)
                .into_iter()
                .map(|m| pb::MonthlyBreakdown {
                    month: m.month,
                    average: m.average,
                    min: m.min,
                    max: m.max,
                    change_percent: m.change_percent,
                    volatility: m.volatility,
                })
                .collect();
            Ok(response)
        })
        .await
    }

    pub async fn compare(
        &self,
        request: pb::CompareRequest,
    ) -> Result<pb::CompareResponse, ApiError> {
        let base = self.base(&request.base)?;
        if request.targets.is_empty() {
            return Err(ApiError::missing_parameter(
                "targets",
                "comma-separated ISO 4217 codes",
            ));
        }
        if request.targets.len() > MAX_COMPARE {
            return Err(ApiError::invalid_parameter(
                "targets",
                &format!("{} codes", request.targets.len()),
                &format!("at most {MAX_COMPARE} currencies"),
            ));
        }
        let mut targets: Vec<CurrencyCode> = Vec::new();
        for raw in &request.targets {
            let code = self.currency("targets", raw)?;
            if code == base {
                return Err(ApiError::invalid_parameter(
                    "targets",
                    raw,
                    "currencies other than the base",
                ));
            }
            if !targets.contains(&code) {
                targets.push(code);
            }
        }
        let spec = Self::window_spec(request.window.as_ref())?;
        let names: Vec<String> = targets.iter().map(|c| c.to_string()).collect();
        let key = format!("compare:{}:{base}:{}", spec.key(), names.join(","));
        let ttl = self.ttl(&spec);
        self.cached(key, ttl, async {
            let mut response = pb::CompareResponse {
                base: base.to_string(),
                period: spec_label(&spec),
                comparison_date: Some(timestamp_now()),
                ..Default::default()
            };
            let mut codes = targets.clone();
            codes.push(base);
            // One window for all: it ends on the newest day every currency has.
            let Some(window) = self.resolve(&spec, &codes).await? else {
                return Ok(response);
            };
            response.start_date = window.start.to_string();
            response.end_date = window.end.to_string();
            let mut series = Vec::with_capacity(targets.len());
            for target in &targets {
                series.push(
                    self.loader
                        .daily(*target, base, window.start, window.end)
                        .await?,
                );
            }
            let changes: Vec<Option<f64>> = series
                .iter()
                .map(|s| stats::total_change(&rates(s)).1)
                .collect();
            let ranked: Vec<(&str, Option<f64>)> = names
                .iter()
                .map(String::as_str)
                .zip(changes.iter().copied())
                .collect();
            let ranks = performance_ranks(&ranked);
            for (i, points) in series.iter().enumerate() {
                let values = rates(points);
                response.currencies.push(pb::CurrencyPerformance {
                    currency: names[i].clone(),
                    current_rate: values.last().copied(),
                    period_change_percent: changes[i],
                    volatility: stats::volatility(&values),
                    performance_rank: ranks[i],
                    sharpe_ratio: stats::sharpe_ratio(&values),
                });
            }
            for i in 0..series.len() {
                for j in i + 1..series.len() {
                    response.correlation_matrix.push(pb::Correlation {
                        pair: format!("{}_{}", names[i], names[j]),
                        r: return_correlation(&series[i], &series[j]),
                    });
                }
            }
            let by_rank = |rank: u32| {
                response
                    .currencies
                    .iter()
                    .find(|c| c.performance_rank == rank)
            };
            response.best_performer = by_rank(1)
                .filter(|c| c.period_change_percent.is_some())
                .map(|c| c.currency.clone())
                .unwrap_or_default();
            response.worst_performer = response
                .currencies
                .iter()
                .filter(|c| c.period_change_percent.is_some())
                .max_by_key(|c| c.performance_rank)
                .map(|c| c.currency.clone())
                .unwrap_or_default();
            let volatile: Vec<(&str, f64)> = response
                .currencies
                .iter()
                .filter_map(|c| Some((c.currency.as_str(), c.volatility?)))
                .collect();
            response.most_volatile = volatile
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))
                .map(|v| v.0.to_string())
                .unwrap_or_default();
            response.least_volatile = volatile
                .iter()
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)))
                .map(|v| v.0.to_string())
                .unwrap_or_default();
            Ok(response)
        })
        .await
    }

    pub async fn forecast(
        &self,
        request: pb::ForecastRequest,
    ) -> Result<pb::ForecastResponse, ApiError> {
        let raw = request.currency.clone();
        let target = CurrencyCode::parse(&raw)
            .map_err(|_| ApiError::invalid_currency("currency_code", &raw))?;
        if self.catalog.currency(target).is_none() {
            return Err(
                ApiError::not_found(format!("currency {target} is not in the catalog"))
                    .with_detail(
                        "currency_code",
                        &raw,
                        "ISO 4217 code of a supported currency",
                    ),
            );
        }
        let base = self.base(&request.base)?;
        if target == base {
            return Err(ApiError::invalid_parameter(
                "currency_code",
                &raw,
                "a currency other than the base",
            ));
        }
        let days = if request.days == 0 { 7 } else { request.days };
        if days > MAX_FORECAST_DAYS {
            return Err(ApiError::invalid_parameter(
                "days",
                &days.to_string(),
                "a whole number from 1 to 30",
            ));
        }
        let no_history = || {
            ApiError::not_found(format!(
                "not enough history of {target} in {base} to forecast"
            ))
            .with_detail(
                "currency_code",
                &raw,
                "a currency with at least 21 stored days",
            )
        };
        let anchor = self
            .loader
            .anchor(&[target, base])
            .await?
            .ok_or_else(no_history)?;
        let start = anchor
            .checked_sub_days(Days::new(FORECAST_HISTORY_DAYS))
            .unwrap_or(anchor);
        let points = self.loader.daily(target, base, start, anchor).await?;
        let values = rates(&points);
        let last = points.last().ok_or_else(no_history)?;
        let backtest = forecast::backtest(&values, days as usize, 5);
        // The drift is kept only when it backtested at least as well as the naive walk.
        let with_drift = backtest.is_none_or(|b| !b.drift_is_worse());
        let model = forecast::fit(&values, with_drift).ok_or_else(no_history)?;
        let method = method_text(
            with_drift,
            backtest.as_ref(),
            values.len().min(forecast::ESTIMATION_WINDOW + 1),
        );
        Ok(pb::ForecastResponse {
            currency: target.to_string(),
            base: base.to_string(),
            method,
            generated_at: Some(timestamp_now()),
            forecast: forecast::forecast(last.date, last.rate, model, days as usize, Z_80)
                .into_iter()
                .map(|p| pb::ForecastPoint {
                    date: p.date.to_string(),
                    rate: p.rate,
                    lower: p.lower,
                    upper: p.upper,
                })
                .collect(),
            interval_level: 0.8,
            last_date: last.date.to_string(),
            last_rate: last.rate,
            backtest_mase: backtest.map(|b| {
                if with_drift {
                    b.mase_drift
                } else {
                    b.mase_naive
                }
            }),
            backtest_mase_naive: backtest.map(|b| b.mase_naive),
            backtest_coverage: backtest.map(|b| {
                if with_drift {
                    b.coverage_drift
                } else {
                    b.coverage_naive
                }
            }),
        })
    }
}

fn spec_label(spec: &WindowSpec) -> String {
    match spec {
        WindowSpec::Period { label, .. } => label.to_string(),
        WindowSpec::Dates { .. } => "custom".to_string(),
    }
}

fn series_statistics(values: &[f64]) -> pb::SeriesStatistics {
    pb::SeriesStatistics {
        average: stats::mean(values),
        min: stats::min(values),
        max: stats::max(values),
        volatility: stats::volatility(values),
        trend: stats::trend(values)
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        data_points: values.len() as u32,
    }
}

fn method_text(
    with_drift: bool,
    backtest: Option<&forecast::Backtest>,
    observations: usize,
) -> String {
    let model = if with_drift {
        "random walk with drift on log rates"
    } else {
        "random walk without drift (naive) on log rates"
    };
    let mut text = format!(
        "{model}; drift and volatility estimated from the last {} daily log returns; \
         80% prediction interval exp(h·mu ± 1.2816·sigma·√h); business days only",
        observations.saturating_sub(1)
    );
    match backtest {
        Some(b) if with_drift => text.push_str(&format!(
            "; rolling-origin backtest ({} origins, horizon {}): MASE {:.3} vs naive {:.3}, 80% interval coverage {:.0}%",
            b.origins, b.horizon, b.mase_drift, b.mase_naive, b.coverage_drift * 100.0
        )),
        Some(b) => text.push_str(&format!(
            "; the drift model backtested worse than the naive forecast (MASE {:.3} vs {:.3}, {} origins, horizon {}), \
             so the naive random walk is used; its 80% interval coverage was {:.0}%",
            b.mase_drift, b.mase_naive, b.origins, b.horizon, b.coverage_naive * 100.0
        )),
        None => text.push_str("; too little history to backtest, treat with extra caution"),
    }
    text
}

type PointStream = Pin<Box<dyn Stream<Item = Result<pb::HistoryPoint, Status>> + Send>>;

#[tonic::async_trait]
impl HistoryService for HistoryApi {
    async fn get_history(
        &self,
        request: Request<pb::GetHistoryRequest>,
    ) -> Result<Response<pb::GetHistoryResponse>, Status> {
        respond(self.history(request.into_inner()).await)
    }

    async fn get_stats(
        &self,
        request: Request<pb::GetStatsRequest>,
    ) -> Result<Response<pb::GetStatsResponse>, Status> {
        respond(self.stats(request.into_inner()).await)
    }

    async fn compare(
        &self,
        request: Request<pb::CompareRequest>,
    ) -> Result<Response<pb::CompareResponse>, Status> {
        respond(self.compare(request.into_inner()).await)
    }

    async fn forecast(
        &self,
        request: Request<pb::ForecastRequest>,
    ) -> Result<Response<pb::ForecastResponse>, Status> {
        respond(self.forecast(request.into_inner()).await)
    }

    type StreamHistoryStream = PointStream;

    async fn stream_history(
        &self,
        request: Request<pb::GetHistoryRequest>,
    ) -> Result<Response<Self::StreamHistoryStream>, Status> {
        let history = respond(self.history(request.into_inner()).await)?.into_inner();
        let stream = tokio_stream::iter(history.results.into_iter().map(Ok));
        Ok(Response::new(Box::pin(stream) as PointStream))
    }
}
