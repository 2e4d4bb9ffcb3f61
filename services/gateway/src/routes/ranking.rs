//! Ranking routes: recording a destination selection, the period rankings with
//! pagination, a country's statistics, and the operator's recalculation.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use travel_domain::{ApiError, ErrorCode};
use travel_proto::ranking::v1::{self as pb, rpc};

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::Query;
use super::writes::{budgeted, json_object, text_field, upstream_failure};
use crate::AppState;
use crate::envelope::{Failure, Success};
use crate::middleware::client_ip;
use crate::openapi::schemas::{Envelope, ErrorEnvelope};
use crate::views::ranking::{
    Calculated, CountryStats, Rankings, Recorded, Stored, StoredList, Updated,
};

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

/// A traveller's choice of destination.
#[derive(ToSchema)]
#[allow(dead_code)] // the handler reads the body field by field, for precise errors
pub struct SelectionBody {
    /// The client's id of the traveller (stored as given; at most 100 characters).
    #[schema(max_length = 100, example = "traveller-42")]
    user_id: String,
    /// ISO 3166-1 alpha-2 code of a supported destination.
    #[schema(example = "JP", pattern = "^[A-Za-z]{2}$")]
    country_code: String,
    #[schema(example = "f3b1c0de")]
    session_id: Option<String>,
    /// Where the traveller came from.
    referrer: Option<String>,
}

/// Record a selection
///
/// One traveller chose one destination. The client IP and User-Agent are stored only
/// as salted SHA-256 hashes; each IP has a budget of selections per window (the
/// X-RateLimit-* headers of this answer describe that budget).
#[utoipa::path(
    post,
    path = "/api/v1/rankings/selections",
    operation_id = "record_selection",
    tag = "ranking",
    request_body = SelectionBody,
    responses(
        (status = 201, description = "Recorded", body = Envelope<Recorded>),
        (status = 400, description = "MISSING_PARAMETER (user_id, country_code), INVALID_COUNTRY_CODE or INVALID_PARAMETER (a field of the wrong type, malformed JSON)", body = ErrorEnvelope),
        (status = 413, description = "PAYLOAD_TOO_LARGE: the body exceeds the limit", body = ErrorEnvelope),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: the body is not application/json", body = ErrorEnvelope),
    )
)]
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
    budgeted::<_, Recorded>(
        StatusCode::CREATED,
        state.ranking.call(rpc::RECORD_SELECTION, request).await,
    )
}

/// An optional non-negative integer parameter.
fn count_param(value: Option<&str>, name: &str, expected: &str) -> Result<Option<u32>, Failure> {
    match value {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| Failure(ApiError::invalid_parameter(name, raw, expected))),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingsQuery {
    /// The ranking's period, in Korea's calendar.
    #[param(value_type = Option<String>, default = "daily", pattern = "^(daily|weekly|monthly)$")]
    period: Option<String>,
    /// Entries per page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, default = 10)]
    limit: Option<String>,
    /// Entries skipped.
    #[param(value_type = Option<u32>, minimum = 0, default = 0)]
    offset: Option<String>,
}

/// Destination ranking
///
/// Countries by selections in the current period, with their change against the
/// previous period's rank.
#[utoipa::path(
    get,
    path = "/api/v1/rankings",
    operation_id = "rankings",
    tag = "ranking",
    params(RankingsQuery),
    responses(
        (status = 200, description = "A page of the ranking", body = Envelope<Rankings>),
        (status = 400, description = "INVALID_PERIOD or INVALID_PARAMETER (limit, offset)", body = ErrorEnvelope),
    )
)]
pub async fn rankings(
    State(state): State<AppState>,
    Query(query): Query<RankingsQuery>,
) -> Result<Response, Failure> {
    let limit = count_param(query.limit.as_deref(), "limit", "an integer from 1 to 100")?;
    let offset = count_param(
        query.offset.as_deref(),
        "offset",
        "an integer of at least 0",
    )?;
    let request = pb::GetRankingsRequest {
        period: query.period.unwrap_or_default(),
        limit,
        offset,
    };
    let response = match state.ranking.read(rpc::GET_RANKINGS, request).await {
        Ok(response) => response,
        Err(status) => return Ok(upstream_failure(status)),
    };
    Ok(Success::ok(Rankings::page(response, limit, offset)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountryStatsQuery {
    /// The trailing days, ending today in Korea.
    #[param(value_type = Option<String>, default = "7d", pattern = "^(7d|30d|90d)$")]
    period: Option<String>,
}

/// A destination's statistics
///
/// Selections of one country per day over the trailing days, with its peak, average
/// and growth.
#[utoipa::path(
    get,
    path = "/api/v1/rankings/stats/{country_code}",
    operation_id = "country_stats",
    tag = "ranking",
    params(
        ("country_code" = String, Path, description = "ISO 3166-1 alpha-2 code, any case", example = "JP", pattern = "^[A-Za-z]{2}$"),
        CountryStatsQuery,
    ),
    responses(
        (status = 200, description = "The statistics", body = Envelope<CountryStats>),
        (status = 400, description = "INVALID_COUNTRY_CODE or INVALID_PERIOD", body = ErrorEnvelope),
    )
)]
pub async fn country_stats(
    State(state): State<AppState>,
    Path(country_code): Path<String>,
    Query(query): Query<CountryStatsQuery>,
) -> Result<Response, Failure> {
    let request = pb::GetCountryStatsRequest {
        country_code,
        period: query.period.unwrap_or_default(),
    };
    let response = match state.ranking.read(rpc::GET_COUNTRY_STATS, request).await {
        Ok(response) => response,
        Err(status) => return Ok(upstream_failure(status)),
    };
    Ok(Success::ok(CountryStats::from(response)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalculateQuery {
    /// The period to recompute; absent for all three.
    #[param(value_type = Option<String>, pattern = "^(daily|weekly|monthly)$")]
    period: Option<String>,
}

/// Recalculate rankings (operator)
///
/// Recomputes and stores the rankings now instead of at the next scheduled run.
/// Needs `Authorization: Bearer <operator key>` when a key is configured.
#[utoipa::path(
    post,
    path = "/api/v1/rankings/calculate",
    operation_id = "calculate_rankings",
    tag = "ranking",
    params(CalculateQuery),
    security((), ("operator_key" = [])),
    responses(
        (status = 200, description = "What was computed", body = Envelope<Calculated>),
        (status = 400, description = "INVALID_PERIOD", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED: a key is configured and the request lacks it", body = ErrorEnvelope),
    )
)]
pub async fn calculate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CalculateQuery>,
) -> Result<Response, Failure> {
    let mut request = tonic::Request::new(pb::CalculateRankingsRequest {
        period: query.period.unwrap_or_default(),
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

/// Destinations a traveller compares.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ComparisonBody {
    /// ISO 3166-1 alpha-2 codes of supported destinations (duplicates count once).
    #[schema(min_items = 1, max_items = 20, example = json!(["US", "JP"]))]
    countries: Vec<String>,
    /// The ranking the caller looks at; recorded selections count in every period.
    #[schema(pattern = "^(daily|weekly|monthly)$", example = "daily")]
    period: Option<String>,
    /// The traveller, when known; else an anonymous id is made.
    #[schema(max_length = 100)]
    user_id: Option<String>,
    session_id: Option<String>,
}

/// Record compared destinations
///
/// What the original browser app sends when a traveller opens the comparison of some
/// destinations: each listed country counts as one selection, recorded exactly as
/// `POST /api/v1/rankings/selections` records it (same validation, budget and hashing).
/// All or nothing: one unknown code, and nothing is recorded.
#[utoipa::path(
    post,
    path = "/api/v1/rankings/update",
    operation_id = "record_comparison",
    tag = "ranking",
    request_body = ComparisonBody,
    responses(
        (status = 200, description = "Recorded", body = Envelope<Updated>),
        (status = 400, description = "MISSING_PARAMETER (countries absent or empty), INVALID_COUNTRY_CODE, INVALID_PERIOD or INVALID_PARAMETER (more than 20 codes, a field of the wrong type, malformed JSON)", body = ErrorEnvelope),
        (status = 413, description = "PAYLOAD_TOO_LARGE: the body exceeds the limit", body = ErrorEnvelope),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: the body is not application/json", body = ErrorEnvelope),
    )
)]
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
    Ok(budgeted::<_, Updated>(
        StatusCode::OK,
        state
            .ranking
            .call(rpc::RECORD_SELECTIONS, tonic::Request::new(request))
            .await,
    ))
}

/// Stored rankings
///
/// The periods that have a stored ranking result, and when each was computed.
#[utoipa::path(
    get,
    path = "/api/v1/rankings/store",
    operation_id = "stored_rankings",
    tag = "ranking",
    responses(
        (status = 200, description = "The stored periods", body = Envelope<StoredList>),
    )
)]
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

/// A stored ranking
///
/// A period's ranking as last computed and stored, with how it was computed.
#[utoipa::path(
    get,
    path = "/api/v1/rankings/store/{period}",
    operation_id = "stored_ranking",
    tag = "ranking",
    params(("period" = String, Path, description = "daily, weekly or monthly", pattern = "^(daily|weekly|monthly)$")),
    responses(
        (status = 200, description = "The stored ranking", body = Envelope<Stored>),
        (status = 400, description = "INVALID_PERIOD", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no ranking stored for the period yet", body = ErrorEnvelope),
    )
)]
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

/// Overwrite a stored ranking (refused)
///
/// The original system let any client overwrite a stored ranking; here rankings are
/// only computed from selections, so this always answers 405 with `Allow: GET`.
#[utoipa::path(
    post,
    path = "/api/v1/rankings/store",
    operation_id = "refuse_store",
    tag = "ranking",
    responses(
        (status = 405, description = "METHOD_NOT_ALLOWED: rankings cannot be written", body = ErrorEnvelope,
            headers(("Allow" = String, description = "GET"))),
    )
)]
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
