//! History routes: series (JSON or CSV), statistics, comparison, forecast.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Map, Value, json};
use travel_domain::ApiError;
use travel_proto::history::v1 as pb;
use travel_runtime::status::from_status;

use super::Params;
use crate::AppState;
use crate::envelope::{ApiResult, Failure, Success};

fn upstream_error(status: tonic::Status) -> Failure {
    Failure(from_status(&status))
}

fn window(params: &Params) -> Option<pb::Window> {
    Some(pb::Window {
        period: params.get("period").unwrap_or_default().to_string(),
        start: params.get("start").unwrap_or_default().to_string(),
        end: params.get("end").unwrap_or_default().to_string(),
    })
}

fn text_or_null(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::String(value.to_string())
    }
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
    let response = state
        .read(
            state.history(),
            "history.GetHistory",
            request,
            |mut client, request| async move { client.get_history(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let statistics = response.statistics.unwrap_or_default();
    let results: Vec<Value> = response
        .results
        .iter()
        .map(|p| {
            json!({
                "date": p.date,
                "rate": p.rate,
                "change": p.change,
                "change_percent": p.change_percent,
                "volume": p.volume,
            })
        })
        .collect();
    Ok(Success::ok(json!({
        "base": response.base,
        "target": response.target,
        "period": response.period,
        "interval": response.interval,
        "start_date": text_or_null(&response.start_date),
        "end_date": text_or_null(&response.end_date),
        "data_points": results.len(),
        "results": results,
        "statistics": {
            "average": statistics.average,
            "min": statistics.min,
            "max": statistics.max,
            "volatility": statistics.volatility,
            "trend": text_or_null(&statistics.trend),
            "data_points": statistics.data_points,
        },
    }))
    .into_response())
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
    let stream = state
        .history()
        .stream_history(request)
        .await
        .map_err(upstream_error)?
        .into_inner();
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
pub async fn stats(State(state): State<AppState>, params: Params) -> ApiResult<Value> {
    let request = pb::GetStatsRequest {
        target: params.get("target").unwrap_or_default().to_string(),
        base: params.get("base").unwrap_or_default().to_string(),
        window: window(&params),
    };
    let r = state
        .read(
            state.history(),
            "history.GetStats",
            request,
            |mut client, request| async move { client.get_stats(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let months: Vec<Value> = r
        .monthly_breakdown
        .iter()
        .map(|m| {
            json!({
                "month": m.month,
                "average": m.average,
                "min": m.min,
                "max": m.max,
                "change_percent": m.change_percent,
                "volatility": m.volatility,
            })
        })
        .collect();
    Ok(Success::ok(json!({
        "currency_pair": r.currency_pair,
        "period": r.period,
        "analysis_date": super::rfc3339(r.analysis_date.as_ref()),
        "start_date": text_or_null(&r.start_date),
        "end_date": text_or_null(&r.end_date),
        "data_points": r.data_points,
        "current_rate": r.current_rate,
        "statistics": {
            "period_average": r.period_average,
            "period_min": r.period_min,
            "period_max": r.period_max,
            "total_change": r.total_change,
            "total_change_percent": r.total_change_percent,
            "volatility_index": r.volatility_index,
            "trend_direction": text_or_null(&r.trend_direction),
            "support_level": r.support_level,
            "resistance_level": r.resistance_level,
        },
        "technical_indicators": {
            "sma_20": r.sma_20,
            "sma_50": r.sma_50,
            "rsi": r.rsi,
            "bollinger_upper": r.bollinger_upper,
            "bollinger_lower": r.bollinger_lower,
        },
        "monthly_breakdown": months,
    })))
}

/// GET /api/v1/history/compare?targets=USD,JPY,EUR&period=1m&base=KRW
pub async fn compare(State(state): State<AppState>, params: Params) -> ApiResult<Value> {
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
    let r = state
        .read(
            state.history(),
            "history.Compare",
            request,
            |mut client, request| async move { client.compare(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let currencies: Vec<Value> = r
        .currencies
        .iter()
        .map(|c| {
            json!({
                "currency": c.currency,
                "current_rate": c.current_rate,
                "period_change_percent": c.period_change_percent,
                "volatility": c.volatility,
                "performance_rank": c.performance_rank,
                "sharpe_ratio": c.sharpe_ratio,
            })
        })
        .collect();
    let mut matrix = Map::new();
    for c in &r.correlation_matrix {
        matrix.insert(c.pair.clone(), json!(c.r));
    }
    Ok(Success::ok(json!({
        "base": r.base,
        "period": r.period,
        "comparison_date": super::rfc3339(r.comparison_date.as_ref()),
        "start_date": text_or_null(&r.start_date),
        "end_date": text_or_null(&r.end_date),
        "currencies": currencies,
        "correlation_matrix": matrix,
        "portfolio_analysis": {
            "best_performer": text_or_null(&r.best_performer),
            "worst_performer": text_or_null(&r.worst_performer),
            "most_volatile": text_or_null(&r.most_volatile),
            "least_volatile": text_or_null(&r.least_volatile),
        },
    })))
}

/// GET /api/v1/history/forecast/{currency_code}?days=7&base=KRW
pub async fn forecast(
    State(state): State<AppState>,
    Path(currency): Path<String>,
    params: Params,
) -> ApiResult<Value> {
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
    let r = state
        .read(
            state.history(),
            "history.Forecast",
            request,
            |mut client, request| async move { client.forecast(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let points: Vec<Value> = r
        .forecast
        .iter()
        .map(|p| json!({"date": p.date, "rate": p.rate, "lower": p.lower, "upper": p.upper}))
        .collect();
    Ok(Success::ok(json!({
        "currency": r.currency,
        "base": r.base,
        "method": r.method,
        "generated_at": super::rfc3339(r.generated_at.as_ref()),
        "interval_level": r.interval_level,
        "last_date": r.last_date,
        "last_rate": r.last_rate,
        "forecast": points,
        "backtest": {
            "mase": r.backtest_mase,
            "mase_naive": r.backtest_mase_naive,
            "interval_coverage": r.backtest_coverage,
        },
    })))
}
