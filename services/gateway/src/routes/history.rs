//! History routes: series (JSON or CSV), statistics, comparison, forecast.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures::StreamExt;
use travel_domain::ApiError;
use travel_proto::history::v1::{self as pb, rpc};

use serde::Deserialize;
use utoipa::IntoParams;

use super::Query;
use crate::AppState;
use crate::caching::CLOSED_DAYS;
use crate::envelope::{ApiResult, Failure, Freshness, Success};
use crate::openapi::schemas::{Envelope, ErrorEnvelope};
use crate::views::history::{Comparison, Forecast, Point, Series, Stats};

/// The days a history answer covers: a named period ending on the newest stored day,
/// or an explicit `start`..`end` range (which wins).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// How far back from the newest stored day.
    #[param(value_type = Option<String>, default = "1m", example = "1m", pattern = "^(1w|1m|3m|6m|1y)$")]
    period: Option<String>,
    /// First day of an explicit range (with `end`), YYYY-MM-DD.
    #[param(value_type = Option<String>, format = Date, example = "2026-01-01")]
    start: Option<String>,
    /// Last day of an explicit range (with `start`), YYYY-MM-DD; at most 3,660 days after `start`.
    #[param(value_type = Option<String>, format = Date, example = "2026-01-31")]
    end: Option<String>,
}

impl WindowQuery {
    fn window(&self) -> Option<pb::Window> {
        Some(pb::Window {
            period: self.period.clone().unwrap_or_default(),
            start: self.start.clone().unwrap_or_default(),
            end: self.end.clone().unwrap_or_default(),
        })
    }

    /// An explicit `start`..`end` window that ended before today holds closed days
    /// only: long-lived. A named period ends on the newest stored day, which moves.
    fn freshness(&self) -> Freshness {
        let ended = self
            .end
            .as_deref()
            .and_then(|end| end.trim().parse::<chrono::NaiveDate>().ok())
            .is_some_and(|end| self.start.is_some() && end < Utc::now().date_naive());
        Freshness {
            max_age: ended.then_some(CLOSED_DAYS),
            last_modified: None,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// ISO 4217 code of the currency whose rate is followed.
    #[param(required = true, example = "USD", pattern = "^[A-Za-z]{3}$")]
    target: Option<String>,
    /// The currency the rate is expressed in.
    #[param(default = "KRW", example = "KRW", pattern = "^[A-Za-z]{3}$")]
    base: Option<String>,
    /// One point per day, or per hour where intraday observations exist.
    #[param(value_type = Option<String>, default = "daily", pattern = "^(daily|hourly)$")]
    interval: Option<String>,
    /// `previous`: days without an observation (weekends, holidays) carry the last
    /// observed close, marked with `carried_from`. Daily interval only.
    #[param(value_type = Option<String>, pattern = "^previous$")]
    fill: Option<String>,
    /// The answer's format; without it the Accept header decides (text/csv,
    /// application/x-ndjson), else JSON.
    #[param(value_type = Option<String>, pattern = "^(json|csv|ndjson)$")]
    format: Option<String>,
}

/// How a series is answered: the JSON envelope, or a streamed export.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Ndjson,
}

impl Format {
    /// `format=` wins; else the first export type the `Accept` header names.
    fn negotiate(format: Option<&str>, headers: &HeaderMap) -> Result<Self, Failure> {
        match format {
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some("ndjson") => Ok(Format::Ndjson),
            Some(other) => Err(Failure(ApiError::invalid_parameter(
                "format",
                other,
                "json, csv or ndjson",
            ))),
            None => Ok(headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .and_then(|accept| {
                    accept
                        .split(',')
                        .find_map(|t| match t.split(';').next()?.trim() {
                            "text/csv" => Some(Format::Csv),
                            "application/x-ndjson" => Some(Format::Ndjson),
                            _ => None,
                        })
                })
                .unwrap_or(Format::Json)),
        }
    }
}

/// A rate's history
///
/// One point per day (or hour) of the window with its change from the previous point,
/// and the window's statistics. Also as CSV or NDJSON (one `Point` object per line),
/// streamed (`format`, or the Accept header).
#[utoipa::path(
    get,
    path = "/api/v1/history",
    operation_id = "history",
    tag = "history",
    params(SeriesQuery, WindowQuery),
    responses(
        (status = 200, description = "The series", content(
            (Envelope<Series> = "application/json"),
            (String = "text/csv", example = "date,rate,change,change_percent,volume\n2026-11-02,1379.61,,,1\n"),
            (String = "application/x-ndjson", example = "{\"date\":\"2026-11-02\",\"rate\":1379.61,\"change\":null,\"change_percent\":null,\"volume\":1}\n"),
        ), headers(("Vary" = String, description = "accept: the answer depends on the Accept header"))),
        (status = 400, description = "MISSING_PARAMETER (target, start or end alone), INVALID_CURRENCY_CODE, INVALID_PERIOD or INVALID_PARAMETER (start, end, interval, fill, format)", body = ErrorEnvelope),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SeriesQuery>,
    Query(window): Query<WindowQuery>,
) -> Result<Response, Failure> {
    let format = Format::negotiate(query.format.as_deref(), &headers)?;
    let freshness = window.freshness();
    let request = pb::GetHistoryRequest {
        target: query.target.unwrap_or_default(),
        base: query.base.unwrap_or_default(),
        window: window.window(),
        interval: query.interval.unwrap_or_default(),
        fill: query.fill.unwrap_or_default(),
    };
    let mut response = if format == Format::Json {
        let response = state.history.read(rpc::GET_HISTORY, request).await?;
        Success::ok(Series::from(response))
            .fresh(freshness)
            .into_response()
    } else {
        export(state, request, format).await?
    };
    // The same URL answers JSON, CSV or NDJSON by the Accept header.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(response)
}

/// The series as CSV or NDJSON, streamed row by row as the service sends points.
async fn export(
    state: AppState,
    request: pb::GetHistoryRequest,
    format: Format,
) -> Result<Response, Failure> {
    let (extension, content_type) = match format {
        Format::Ndjson => ("ndjson", "application/x-ndjson"),
        _ => ("csv", "text/csv; charset=utf-8"),
    };
    let period = request
        .window
        .as_ref()
        .map(|w| w.period.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "history".to_string());
    let base = if request.base.is_empty() {
        "KRW".to_string()
    } else {
        request.base.to_uppercase()
    };
    let name = format!(
        "{base}_{}_{period}.{extension}",
        request.target.to_uppercase()
    );
    let filled = !request.fill.is_empty();
    let stream = state.history.stream(rpc::STREAM_HISTORY, request).await?;
    let header_row = (format == Format::Csv).then(|| {
        if filled {
            "date,rate,change,change_percent,volume,carried_from\n"
        } else {
            "date,rate,change,change_percent,volume\n"
        }
        .to_string()
    });
    let rows = stream.map(move |item| match item {
        Ok(p) if format == Format::Csv => {
            let mut row = format!(
                "{},{},{},{},{}",
                p.date,
                p.rate,
                p.change.map(|c| c.to_string()).unwrap_or_default(),
                p.change_percent.map(|c| c.to_string()).unwrap_or_default(),
                p.volume
            );
            if filled {
                row.push(',');
                row.push_str(&p.carried_from);
            }
            row.push('\n');
            Ok(row)
        }
        Ok(p) => {
            let mut line = serde_json::to_string(&Point::from(p)).map_err(std::io::Error::other)?;
            line.push('\n');
            Ok(line)
        }
        // A failure mid-stream can only end the body; the client sees a short file.
        Err(status) => Err(std::io::Error::other(status.message().to_string())),
    });
    let body = futures::stream::iter(header_row.map(Ok::<_, std::io::Error>)).chain(rows);
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PairQuery {
    /// ISO 4217 code of the currency analysed.
    #[param(required = true, example = "USD", pattern = "^[A-Za-z]{3}$")]
    target: Option<String>,
    /// The currency the rate is expressed in.
    #[param(default = "KRW", example = "KRW", pattern = "^[A-Za-z]{3}$")]
    base: Option<String>,
}

/// Statistics and indicators
///
/// The window's average, range, change, volatility, support and resistance, SMA 20/50,
/// RSI 14 and Bollinger bands (docs/analytics.md has each definition), and a monthly
/// breakdown. An indicator without enough observed days is null.
#[utoipa::path(
    get,
    path = "/api/v1/history/stats",
    operation_id = "history_stats",
    tag = "history",
    params(PairQuery, WindowQuery),
    responses(
        (status = 200, description = "The statistics", body = Envelope<Stats>),
        (status = 400, description = "MISSING_PARAMETER (target), INVALID_CURRENCY_CODE, INVALID_PERIOD or INVALID_PARAMETER (start, end)", body = ErrorEnvelope),
    )
)]
pub async fn stats(
    State(state): State<AppState>,
    Query(pair): Query<PairQuery>,
    Query(window): Query<WindowQuery>,
) -> ApiResult<Stats> {
    let request = pb::GetStatsRequest {
        target: pair.target.unwrap_or_default(),
        base: pair.base.unwrap_or_default(),
        window: window.window(),
    };
    let response = state.history.read(rpc::GET_STATS, request).await?;
    Ok(Success::ok(response.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// Comma-separated ISO 4217 codes, at most 10.
    #[param(required = true, example = "USD,JPY,EUR")]
    targets: Option<String>,
    /// The currency the rates are expressed in.
    #[param(default = "KRW", example = "KRW", pattern = "^[A-Za-z]{3}$")]
    base: Option<String>,
}

/// Compare currencies
///
/// Each currency's change, volatility and Sharpe ratio over the window, their ranking,
/// and the correlations of their daily returns.
#[utoipa::path(
    get,
    path = "/api/v1/history/compare",
    operation_id = "history_compare",
    tag = "history",
    params(CompareQuery, WindowQuery),
    responses(
        (status = 200, description = "The comparison", body = Envelope<Comparison>),
        (status = 400, description = "MISSING_PARAMETER (targets), INVALID_CURRENCY_CODE, INVALID_PERIOD or INVALID_PARAMETER", body = ErrorEnvelope),
    )
)]
pub async fn compare(
    State(state): State<AppState>,
    Query(query): Query<CompareQuery>,
    Query(window): Query<WindowQuery>,
) -> ApiResult<Comparison> {
    let targets: Vec<String> = match query.targets.as_deref() {
        None => Vec::new(),
        Some(raw) if raw.trim().is_empty() => Vec::new(),
        Some(raw) => raw.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let request = pb::CompareRequest {
        targets,
        base: query.base.unwrap_or_default(),
        window: window.window(),
    };
    let response = state.history.read(rpc::COMPARE, request).await?;
    Ok(Success::ok(response.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Days ahead.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 30, default = 7)]
    days: Option<String>,
    /// The currency the rate is expressed in.
    #[param(default = "KRW", example = "KRW", pattern = "^[A-Za-z]{3}$")]
    base: Option<String>,
}

/// Forecast
///
/// The next days' rates with a calibrated prediction interval, the method, and its
/// back-test on the stored history (docs/analytics.md).
#[utoipa::path(
    get,
    path = "/api/v1/history/forecast/{currency_code}",
    operation_id = "forecast",
    tag = "history",
    params(
        ("currency_code" = String, Path, description = "ISO 4217 code, any case", example = "USD", pattern = "^[A-Za-z]{3}$"),
        ForecastQuery,
    ),
    responses(
        (status = 200, description = "The forecast", body = Envelope<Forecast>),
        (status = 400, description = "INVALID_CURRENCY_CODE or INVALID_PARAMETER (days)", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: not in the catalog, or too little stored history to fit the method", body = ErrorEnvelope),
    )
)]
pub async fn forecast(
    State(state): State<AppState>,
    Path(currency): Path<String>,
    Query(query): Query<ForecastQuery>,
) -> ApiResult<Forecast> {
    let days = match query.days.as_deref() {
        None => 0,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(days) if (1..=30).contains(&days) => days,
            _ => {
                return Err(Failure(ApiError::invalid_parameter(
                    "days",
                    raw,
                    "a whole number from 1 to 30",
                )));
            }
        },
    };
    let request = pb::ForecastRequest {
        currency,
        base: query.base.unwrap_or_default(),
        days,
    };
    let response = state.history.read(rpc::FORECAST, request).await?;
    Ok(Success::ok(response.into()))
}
