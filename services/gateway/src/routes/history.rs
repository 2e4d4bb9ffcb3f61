//! History routes: series (JSON or CSV), statistics, comparison, forecast.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use travel_domain::ApiError;
use travel_proto::history::v1::{self as pb, rpc};

use super::Params;
use crate::AppState;
use crate::envelope::{ApiResult, Failure, Success};
use crate::views::history::{Comparison, Forecast, Series, Stats};

fn window(params: &Params) -> Option<pb::Window> {
    Some(pb::Window {
        period: params.get("period").unwrap_or_default().to_string(),
        start: params.get("start").unwrap_or_default().to_string(),
        end: params.get("end").unwrap_or_default().to_string(),
    })
}

fn wants_csv(params: &Params, headers: &HeaderMap) -> Result<bool, Failure> {
    match params.get("format") {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(Failure(ApiError::invalid_parameter(
            "format",
            other,
            "json or csv",
        ))),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/csv")))),
    }
}

fn history_request(params: &Params) -> pb::GetHistoryRequest {
    pb::GetHistoryRequest {
        target: params.get("target").unwrap_or_default().to_string(),
        base: params.get("base").unwrap_or_default().to_string(),
        window: window(params),
        interval: params.get("interval").unwrap_or_default().to_string(),
    }
}

/// GET /api/v1/history?period=1m&target=USD&base=KRW&interval=daily[&format=csv]
pub async fn history(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, Failure> {
    let request = history_request(&params);
    if wants_csv(&params, &headers)? {
        return csv(state, request).await;
    }
    let response = state.history.read(rpc::GET_HISTORY, request).await?;
    Ok(Success::ok(Series::from(response)).into_response())
}

/// The same series as CSV, streamed row by row as the service sends points.
async fn csv(state: AppState, request: pb::GetHistoryRequest) -> Result<Response, Failure> {
    let name = format!(
        "{}_{}_{}.csv",
        if request.base.is_empty() {
            "KRW".to_string()
        } else {
            request.base.to_uppercase()
        },
        request.target.to_uppercase(),
        if request
            .window
            .as_ref()
            .is_some_and(|w| !w.period.is_empty())
        {
            request
                .window
                .as_ref()
                .map(|w| w.period.clone())
                .unwrap_or_default()
        } else {
            "history".to_string()
        }
    );
    let stream = state.history.stream(rpc::STREAM_HISTORY, request).await?;
    let header_row = futures::stream::once(async {
        Ok::<_, std::io::Error>("date,rate,change,change_percent,volume\n".to_string())
    });
    let rows = stream.map(|item| match item {
        Ok(p) => Ok(format!(
            "{},{},{},{},{}\n",
            p.date,
            p.rate,
            p.change.map(|c| c.to_string()).unwrap_or_default(),
            p.change_percent.map(|c| c.to_string()).unwrap_or_default(),
            p.volume
        )),
        // A failure mid-stream can only end the body; the client sees a short file.
        Err(status) => Err(std::io::Error::other(status.message().to_string())),
    });
    let mut response = Response::new(Body::from_stream(header_row.chain(rows)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
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
