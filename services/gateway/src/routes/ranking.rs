//! Ranking routes: recording a destination selection, the period rankings with
//! pagination, a country's statistics, and the operator's recalculation.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tonic::metadata::MetadataMap;
use travel_domain::{ApiError, ErrorCode};
use travel_proto::ranking::v1::{self as pb, rpc};

use super::Params;
use crate::AppState;
use crate::envelope::{Failure, Success};
use crate::middleware::client_ip;
use crate::views::ranking::{
    Calculated, CountryStats, Rankings, Recorded, Stored, StoredList, Updated,
};

/// Headers the ranking service sets on its answers (the selection budget).
const BUDGET_HEADERS: [&str; 5] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-window",
    "retry-after",
];

fn copy_budget(metadata: &MetadataMap, headers: &mut HeaderMap) {
    for name in BUDGET_HEADERS {
        if let Some(value) = metadata
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// A service error as the envelope, with the budget headers a 429 carries.
fn upstream_failure(status: tonic::Status) -> Response {
    let metadata = status.metadata().clone();
    let mut response = Failure::from(status).into_response();
    copy_budget(&metadata, response.headers_mut());
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

/// The request body as a JSON object; anything else is a 400 (or 415 for another
/// content type) saying what was `expected`.
fn json_object(
    headers: &HeaderMap,
    body: &[u8],
    expected: &str,
) -> Result<Map<String, Value>, Failure> {
    if !is_json(headers) {
        let provided = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        return Err(Failure(
            ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the request body must be application/json",
            )
            .with_detail("content-type", provided, "application/json"),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure(ApiError::invalid_parameter("body", "", expected))),
        Err(error) => Err(Failure(ApiError::invalid_parameter(
            "body",
            "",
            &format!("well-formed JSON ({error})"),
        ))),
    }
}

/// The client facts the ranking service hashes: the address and the User-Agent.
fn client_facts(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> (String, String) {
    let client_ip = client_ip(headers, Some(peer), state.trust_forwarded_for)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (client_ip, user_agent)
}

/// A string field of the body: absent or null → empty (the service then names it as
/// missing where it is required); any other type → 400 naming the field.
fn text_field(body: &Map<String, Value>, name: &str) -> Result<String, Failure> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(Failure(ApiError::invalid_parameter(
            name,
            &other.to_string(),
            "a JSON string",
        ))),
    }
}

/// POST /api/v1/rankings/selections {"user_id", "country_code", "session_id", "referrer"}
pub async fn record_selection(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match json_object(
        &headers,
        &body,
        "a JSON object with user_id and country_code",
    ) {
        Ok(body) => body,
        Err(failure) => return failure.into_response(),
    };
    let (client_ip, user_agent) = client_facts(&state, &headers, peer);
    let request = match (|| {
        Ok::<_, Failure>(pb::RecordSelectionRequest {
            user_id: text_field(&body, "user_id")?,
            country_code: text_field(&body, "country_code")?,
            session_id: text_field(&body, "session_id")?,
            referrer: text_field(&body, "referrer")?,
            client_ip,
            user_agent,
        })
    })() {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let request = tonic::Request::new(request);
    match state.ranking.call(rpc::RECORD_SELECTION, request).await {
        Ok(response) => {
            let (metadata, message, _) = response.into_parts();
            let mut http =
                Success::with_status(StatusCode::CREATED, Recorded::from(message)).into_response();
            copy_budget(&metadata, http.headers_mut());
            http
        }
        Err(status) => upstream_failure(status),
    }
}

/// An optional non-negative integer parameter.
fn count_param(params: &Params, name: &str, expected: &str) -> Result<Option<u32>, Failure> {
    match params.get(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| Failure(ApiError::invalid_parameter(name, raw, expected))),
    }
}

/// GET /api/v1/rankings?period=daily&limit=10&offset=0
pub async fn rankings(State(state): State<AppState>, params: Params) -> Result<Response, Failure> {
    let limit = count_param(&params, "limit", "an integer from 1 to 100")?;
    let offset = count_param(&params, "offset", "an integer of at least 0")?;
    let request = pb::GetRankingsRequest {
        period: params.get("period").unwrap_or_default().to_string(),
        limit,
        offset,
    };
    let response = match state.ranking.read(rpc::GET_RANKINGS, request).await {
        Ok(response) => response,
        Err(status) => return Ok(upstream_failure(status)),
    };
    Ok(Success::ok(Rankings::page(response, limit, offset)).into_response())
}

/// GET /api/v1/rankings/stats/{country_code}?period=7d
pub async fn country_stats(
    State(state): State<AppState>,
    Path(country_code): Path<String>,
    params: Params,
) -> Result<Response, Failure> {
    let request = pb::GetCountryStatsRequest {
        country_code,
        period: params.get("period").unwrap_or_default().to_string(),
    };
    let response = match state.ranking.read(rpc::GET_COUNTRY_STATS, request).await {
        Ok(response) => response,
        Err(status) => return Ok(upstream_failure(status)),
    };
    Ok(Success::ok(CountryStats::from(response)).into_response())
}

/// POST /api/v1/rankings/calculate?period=daily (operator; Bearer key when configured)
pub async fn calculate(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, Failure> {
    let mut request = tonic::Request::new(pb::CalculateRankingsRequest {
        period: params.get("period").unwrap_or_default().to_string(),
    });
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
    {
        request.metadata_mut().insert("authorization", value);
    }
    let response = match state.ranking.call(rpc::CALCULATE_RANKINGS, request).await {
        Ok(response) => response.into_inner(),
        Err(status) => return Ok(upstream_failure(status)),
    };
    Ok(Success::ok(Calculated::from(response)).into_response())
}

/// The `countries` field of /rankings/update: a JSON array of strings.
fn countries_field(body: &Map<String, Value>) -> Result<Vec<String>, Failure> {
    const EXPECTED: &str = "a JSON array of 1 to 20 ISO 3166-1 alpha-2 codes";
    match body.get("countries") {
        None | Some(Value::Null) => {
            Err(Failure(ApiError::missing_parameter("countries", EXPECTED)))
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(code) => Ok(code.clone()),
                other => Err(Failure(ApiError::invalid_parameter(
                    "countries",
                    &other.to_string(),
                    EXPECTED,
                ))),
            })
            .collect(),
        Some(other) => Err(Failure(ApiError::invalid_parameter(
            "countries",
            &other.to_string(),
            EXPECTED,
        ))),
    }
}

/// POST /api/v1/rankings/update {"countries": ["US", "JP"], "period": "daily"}: what the
/// original app sends when a traveller compares destinations; each one counts as a
/// selection, exactly as POST /selections records it.
pub async fn record_comparison(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let body = json_object(&headers, &body, "a JSON object with countries")?;
    let (client_ip, user_agent) = client_facts(&state, &headers, peer);
    let request = pb::RecordSelectionsRequest {
        countries: countries_field(&body)?,
        period: text_field(&body, "period")?,
        user_id: text_field(&body, "user_id")?,
        session_id: text_field(&body, "session_id")?,
        client_ip,
        user_agent,
    };
    match state
        .ranking
        .call(rpc::RECORD_SELECTIONS, tonic::Request::new(request))
        .await
    {
        Ok(response) => {
            let (metadata, message, _) = response.into_parts();
            let mut http = Success::ok(Updated::from(message)).into_response();
            copy_budget(&metadata, http.headers_mut());
            Ok(http)
        }
        Err(status) => Ok(upstream_failure(status)),
    }
}

/// GET /api/v1/rankings/store — the periods with a stored ranking.
pub async fn stored_rankings(State(state): State<AppState>) -> Response {
    match state
        .ranking
        .read(rpc::LIST_STORED_RANKINGS, pb::ListStoredRankingsRequest {})
        .await
    {
        Ok(response) => Success::ok(StoredList::from(response)).into_response(),
        Err(status) => upstream_failure(status),
    }
}

/// GET /api/v1/rankings/store/{period} — a period's ranking as last stored.
pub async fn stored_ranking(State(state): State<AppState>, Path(period): Path<String>) -> Response {
    match state
        .ranking
        .read(
            rpc::GET_STORED_RANKING,
            pb::GetStoredRankingRequest { period },
        )
        .await
    {
        Ok(response) => Success::ok(Stored::from(response)).into_response(),
        Err(status) => upstream_failure(status),
    }
}

/// POST /api/v1/rankings/store: the original let any client overwrite a ranking;
/// here rankings are only computed from selections.
pub async fn refuse_store() -> Response {
    let mut response = Failure(
        ApiError::new(
            ErrorCode::MethodNotAllowed,
            "rankings are computed from travellers' selections and cannot be written; \
             record selections with POST /api/v1/rankings/selections or \
             POST /api/v1/rankings/update",
        )
        .with_detail("method", "POST", "GET"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
    response
}
