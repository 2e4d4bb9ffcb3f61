//! History routes: series (JSON or CSV), statistics, comparison, forecast.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures::StreamExt;
use travel_domain::ApiError;
use travel_proto::history::v1::{self as pb, rpc};

use super::Params;
use crate::AppState;
use crate::caching::CLOSED_DAYS;
use crate::envelope::{ApiResult, Failure, Freshness, Success};
use crate::views::history::{Comparison, Forecast, Point, Series, Stats};

fn window(params: &Params) -> Option<pb::Window> {
    Some(pb::Window {
        period: params.get("period").unwrap_or_default().to_string(),
        start: params.get("start").unwrap_or_default().to_string(),
        end: params.get("end").unwrap_or_default().to_string(),
    })
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
    fn negotiate(params: &Params, headers: &HeaderMap) -> Result<Self, Failure> {
        match params.get("format") {
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

/// An explicit `start`..`end` window that ended before today holds closed days only:
/// long-lived. A named period ends on the newest stored day, which moves.
fn closed_window(params: &Params) -> Freshness {
    let ended = params
        .get("end")
        .and_then(|end| end.trim().parse::<chrono::NaiveDate>().ok())
        .is_some_and(|end| params.get("start").is_some() && end < Utc::now().date_naive());
    Freshness {
        max_age: ended.then_some(CLOSED_DAYS),
        last_modified: None,
    }
}

fn history_request(params: &Params) -> pb::GetHistoryRequest {
    pb::GetHistoryRequest {
        target: params.get("target").unwrap_or_default().to_string(),
        base: params.get("base").unwrap_or_default().to_string(),
        window: window(params),
        interval: params.get("interval").unwrap_or_default().to_string(),
        fill: params.get("fill").unwrap_or_default().to_string(),
    }
}

/// GET /api/v1/history?period=1m&target=USD&base=KRW&interval=daily
/// [&fill=previous][&format=csv|ndjson]
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, Failure> {
    let request = history_request(&params);
    let format = Format::negotiate(&params, &headers)?;
    let freshness = closed_window(&params);
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

/// GET /api/v1/history/stats?target=USD&period=6m&base=KRW
pub async fn stats(State(state): State<AppState>, params: Params) -> ApiResult<Stats> {
    let request = pb::GetStatsRequest {
        target: params.get("target").unwrap_or_default().to_string(),
        base: params.get("base").unwrap_or_default().to_string(),
        window: window(&params),
    };
    let response = state.history.read(rpc::GET_STATS, request).await?;
    Ok(Success::ok(response.into()))
}

/// GET /api/v1/history/compare?targets=USD,JPY,EUR&period=1m&base=KRW
pub async fn compare(State(state): State<AppState>, params: Params) -> ApiResult<Comparison> {
    let targets: Vec<String> = match params.get("targets") {
        None => Vec::new(),
        Some(raw) if raw.trim().is_empty() => Vec::new(),
        Some(raw) => raw.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let request = pb::CompareRequest {
        targets,
        base: params.get("base").unwrap_or_default().to_string(),
        window: window(&params),
    };
    let response = state.history.read(rpc::COMPARE, request).await?;
    Ok(Success::ok(response.into()))
}

/// GET /api/v1/history/forecast/{currency_code}?days=7&base=KRW
pub async fn forecast(
    State(state): State<AppState>,
    Path(currency): Path<String>,
    params: Params,
) -> ApiResult<Forecast> {
    let days = match params.get("days") {
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
        base: params.get("base").unwrap_or_default().to_string(),
        days,
    };
    let response = state.history.read(rpc::FORECAST, request).await?;
    Ok(Success::ok(response.into()))
}
