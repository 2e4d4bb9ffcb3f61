//! Trip alert routes: create, read, delete, and the events of one alert as
//! Server-Sent Events for a page that waits for it to fire.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};
use travel_domain::ApiError;
use travel_proto::alerts::v1::{self as pb, rpc};
use utoipa::{IntoParams, ToSchema};

use super::Query;
use super::stream::{closing, messages, sse};
use super::writes::{budgeted, json_object, text_field};
use crate::AppState;
use crate::envelope::{Failure, Success};
use crate::middleware::client_ip;
use crate::openapi::schemas::{Envelope, ErrorEnvelope};
use crate::views::alerts::{Alert, Created, Deleted};

/// The token of `Authorization: Bearer <token>`; empty when absent.
fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_string())
        })
        .unwrap_or_default()
}

/// The threshold as its decimal text: a JSON number or a string.
fn threshold_field(body: &Map<String, Value>) -> Result<String, Failure> {
    match body.get("threshold") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(Failure(ApiError::invalid_parameter(
            "threshold",
            &other.to_string(),
            "a decimal number",
        ))),
    }
}

/// A new alert.
#[derive(ToSchema)]
#[allow(dead_code)] // the handler reads the body field by field, for precise errors
pub struct AlertBody {
    /// ISO 4217 code of the currency to watch.
    #[schema(example = "JPY", pattern = "^[A-Za-z]{3}$")]
    currency: String,
    /// The currency the rate is in (default KRW).
    #[schema(example = "KRW", pattern = "^[A-Za-z]{3}$")]
    base: Option<String>,
    #[schema(example = "below", pattern = "^(below|above|change_percent)$")]
    condition: String,
    /// `below`/`above`: a rate in the unit of `/api/v1/currencies/latest` (units of
    /// `base` per ONE unit of `currency`: "100엔 850원" is 8.5); `change_percent`: a
    /// percentage (0 < t ≤ 100) of the rate when the alert is set, either way. A
    /// number or a decimal string.
    #[schema(value_type = f64, example = 8.5)]
    threshold: String,
    /// RFC 3339; default 30 days ahead, at most 90 (configurable).
    #[schema(example = "2027-01-31T00:00:00Z")]
    expires_at: Option<String>,
    /// Where the firing is POSTed (public https; signed, see the description).
    #[schema(example = "https://hooks.example.com/trip-alerts")]
    webhook_url: Option<String>,
}

/// Set an alert
///
/// Fires once, on the first quote change at which the condition holds (an alert whose
/// condition already holds fires at the next change). The answer holds the alert's
/// management `token` and webhook `secret`, shown only here. Send an earlier alert's
/// token as `Authorization: Bearer` to manage the new one with it (a token holds a
/// limited number of live alerts). Each client IP has a budget of creation requests
/// per window, refused ones included (the X-RateLimit-* headers of this answer
/// describe it).
///
/// A webhook is POSTed as JSON (`type` `alert.fired`, the alert, `rate`, `quote_at`,
/// `fired_at`) with `Idempotency-Key: <alert_id>` and `X-Travel-Signature:
/// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`; it is
/// retried with back-off until a 2xx answer, so it may arrive more than once. Only
/// public https addresses are accepted; redirects are not followed.
#[utoipa::path(
    post,
    path = "/api/v1/alerts",
    operation_id = "create_alert",
    tag = "alerts",
    request_body = AlertBody,
    security((), ("alert_token" = [])),
    responses(
        (status = 201, description = "Set", body = Envelope<Created>),
        (status = 400, description = "MISSING_PARAMETER or INVALID_PARAMETER (condition, threshold, expires_at, webhook_url, base, a field of the wrong type, malformed JSON), INVALID_CURRENCY_CODE (currency, base)", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED: the Bearer token is not one this service issued", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no rate of the pair yet", body = ErrorEnvelope),
        (status = 413, description = "PAYLOAD_TOO_LARGE: the body exceeds the limit", body = ErrorEnvelope),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: the body is not application/json", body = ErrorEnvelope),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = (|| {
        let body = json_object(
            &headers,
            &body,
            "a JSON object with currency, condition and threshold",
        )?;
        Ok::<_, Failure>(pb::CreateAlertRequest {
            currency: text_field(&body, "currency")?,
            base: text_field(&body, "base")?,
            condition: text_field(&body, "condition")?,
            threshold: threshold_field(&body)?,
            expires_at: text_field(&body, "expires_at")?,
            webhook_url: text_field(&body, "webhook_url")?,
            token: bearer(&headers),
            client_ip: client_ip(&headers, Some(peer), state.trust_forwarded_for)
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
        })
    })();
    let request = match request {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    budgeted::<_, Created>(
        StatusCode::CREATED,
        state
            .alerts
            .call(rpc::CREATE_ALERT, tonic::Request::new(request))
            .await,
    )
}

/// An alert
///
/// Needs the alert's token (`Authorization: Bearer`). A fired alert stays readable
/// until it expires; a deleted or expired one is gone.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{alert_id}",
    operation_id = "get_alert",
    tag = "alerts",
    params(("alert_id" = String, Path, description = "The id of the alert")),
    security(("alert_token" = [])),
    responses(
        (status = 200, description = "The alert", body = Envelope<Alert>),
        (status = 401, description = "UNAUTHORIZED: no token, or not this alert's", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: unknown, expired or deleted", body = ErrorEnvelope),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(alert_id): Path<String>,
) -> Result<Success<Alert>, Failure> {
    let request = pb::GetAlertRequest {
        alert_id,
        token: bearer(&headers),
    };
    let response = state
        .alerts
        .call(rpc::GET_ALERT, tonic::Request::new(request))
        .await?;
    Ok(Success::ok(response.into_inner().into()))
}

/// Delete an alert
///
/// Needs the alert's token. A webhook already queued for a fired alert is still
/// delivered.
#[utoipa::path(
    delete,
    path = "/api/v1/alerts/{alert_id}",
    operation_id = "delete_alert",
    tag = "alerts",
    params(("alert_id" = String, Path, description = "The id of the alert")),
    security(("alert_token" = [])),
    responses(
        (status = 200, description = "Deleted", body = Envelope<Deleted>),
        (status = 401, description = "UNAUTHORIZED: no token, or not this alert's", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: unknown, expired or already deleted", body = ErrorEnvelope),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(alert_id): Path<String>,
) -> Result<Success<Deleted>, Failure> {
    let request = pb::DeleteAlertRequest {
        alert_id,
        token: bearer(&headers),
    };
    let response = state
        .alerts
        .call(rpc::DELETE_ALERT, tonic::Request::new(request))
        .await?;
    Ok(Success::ok(response.into_inner().into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The alert's token, for clients that cannot send a header (`EventSource`);
    /// `Authorization: Bearer` is preferred.
    token: Option<String>,
}

/// An alert's events (Server-Sent Events)
///
/// `text/event-stream` for a page that waits: an `alert` event with the alert now,
/// then one each time it changes (fired; its webhook delivered or given up). A final
/// `done` event says nothing more will change — close the `EventSource` then, or it
/// reconnects and gets the same again; `gone` says the alert expired or was deleted;
/// `closing` (with a `retry` hint) that the stream was cut and may be opened again.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/{alert_id}/events",
    operation_id = "alert_events",
    tag = "alerts",
    params(("alert_id" = String, Path, description = "The id of the alert"), EventsQuery),
    security(("alert_token" = [])),
    responses(
        (status = 200, description = "An event stream of `Alert`s and a final `done`, `gone` or `closing`", content_type = "text/event-stream", body = Alert),
        (status = 401, description = "UNAUTHORIZED: no token, or not this alert's", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: unknown, expired or deleted", body = ErrorEnvelope),
        (status = 429, description = "RATE_LIMIT_EXCEEDED: this client holds as many streams as it may", body = ErrorEnvelope),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(alert_id): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Response, Failure> {
    let token = match bearer(&headers) {
        header if !header.is_empty() => header,
        _ => query.token.unwrap_or_default(),
    };
    let ip = client_ip(&headers, Some(peer), state.trust_forwarded_for);
    let permit = state.streams.open(ip)?;
    let request = pb::GetAlertRequest { alert_id, token };
    let upstream = state.alerts.stream(rpc::WATCH_ALERT, request).await?;
    Ok(sse(
        messages(upstream, alert_event),
        state.streams.clone(),
        permit,
        alert_end,
    ))
}

fn alert_event(message: pb::GetAlertResponse) -> Event {
    Event::default()
        .event("alert")
        .json_data(Alert::from(message))
        .unwrap_or_else(|_| Event::default().event("alert").data("{}"))
}

fn alert_end(end: Option<tonic::Status>) -> Event {
    match end {
        None => Event::default().event("done").data("{}"),
        Some(status) if status.code() == tonic::Code::NotFound => Event::default()
            .event("gone")
            .json_data(serde_json::json!({ "reason": status.message() }))
            .unwrap_or_else(|_| Event::default().event("gone")),
        Some(_) => closing("the alert stream was interrupted"),
    }
}
