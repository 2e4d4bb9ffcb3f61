//! The OpenAPI 3.1 document of the REST edge. Operations, parameters and bodies come
//! from the handlers' `#[utoipa::path]` attributes (the router is built from the same
//! attributes, so a route cannot exist without its entry); what every operation shares
//! — the envelope's error answers, the request-id, rate-limit and caching headers, the
//! links between operations — is added here, once.

pub mod schemas;

use serde_json::{Map, Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

/// Where the document and its docs page are served; neither is an API operation.
pub const DOCUMENT_PATH: &str = "/openapi.json";
pub const DOCS_PATH: &str = "/docs";

/// The document before the operations are added: what the API is, its areas, and the
/// operator's key.
pub fn base() -> OpenApi {
    let tag = |name: &str, description: &str| {
        TagBuilder::new()
            .name(name)
            .description(Some(description))
            .build()
    };
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Trip Currency Mesh API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "KRW exchange rates for Korean travellers: latest quotes with \
                     remittance rates, conversion, the Big Mac price index, history with \
                     statistics and a forecast, and travellers' destination rankings. \
                     Every answer is the v1 envelope; every error has a code and names \
                     the offending parameter.",
                ))
                .build(),
        )
        .tags(Some([
            tag(
                "currency",
                "Latest rates, currencies, conversion, price index",
            ),
            tag("history", "Rate history, statistics, comparison, forecast"),
            tag("ranking", "Destination selections and popularity rankings"),
            tag(
                "alerts",
                "Trip alerts: fire once when a rate crosses a threshold, with a signed webhook",
            ),
            tag("service", "Health and versions"),
        ]))
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    "operator_key",
                    SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
                )
                .security_scheme(
                    "alert_token",
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Bearer)
                            .description(Some("The token returned when the alert was created"))
                            .build(),
                    ),
                )
                .build(),
        ))
        .build()
}

/// Real answers of the all-in-one on the shipped data (arrays cut to three items), by
/// operation: each operation's example. The e2e suite checks they keep the shape of
/// the live answers.
const EXAMPLES: [(&str, &str); 18] = [
    (
        "calculate_rankings",
        include_str!("examples/calculate_rankings.json"),
    ),
    ("catalog", include_str!("examples/catalog.json")),
    ("convert", include_str!("examples/convert.json")),
    ("country_stats", include_str!("examples/country_stats.json")),
    (
        "currency_detail",
        include_str!("examples/currency_detail.json"),
    ),
    ("forecast", include_str!("examples/forecast.json")),
    ("health", include_str!("examples/health.json")),
    ("history", include_str!("examples/history.json")),
    (
        "history_compare",
        include_str!("examples/history_compare.json"),
    ),
    ("history_stats", include_str!("examples/history_stats.json")),
    ("latest_rates", include_str!("examples/latest_rates.json")),
    ("price_index", include_str!("examples/price_index.json")),
    ("rankings", include_str!("examples/rankings.json")),
    (
        "record_comparison",
        include_str!("examples/record_comparison.json"),
    ),
    (
        "record_selection",
        include_str!("examples/record_selection.json"),
    ),
    (
        "stored_ranking",
        include_str!("examples/stored_ranking.json"),
    ),
    (
        "stored_rankings",
        include_str!("examples/stored_rankings.json"),
    ),
    ("version", include_str!("examples/version.json")),
];

const ERROR_REF: &str = "#/components/schemas/ErrorEnvelope";

/// Error answers any REST operation can give, besides the ones its attribute lists.
const SHARED_ERRORS: [(&str, &str); 4] = [
    (
        "429",
        "RATE_LIMIT_EXCEEDED: this client's requests in the window are used up",
    ),
    (
        "500",
        "INTERNAL_ERROR: a fault of the service (logged with the request id)",
    ),
    (
        "503",
        "DATABASE_UNAVAILABLE, CACHE_UNAVAILABLE, EXTERNAL_API_ERROR or \
         SERVICE_UNAVAILABLE: a backend is down; retry after the given seconds",
    ),
    (
        "504",
        "TIMEOUT: the answer took longer than the request deadline",
    ),
];

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn integer() -> Value {
    json!({"type": "integer", "minimum": 0})
}

/// Headers on every answer of the gateway.
fn request_id() -> (&'static str, Value) {
    let mut id = header(
        "The request's id: the client's X-Request-ID or X-Correlation-ID when it sent one, \
         else a new UUID. Quoted in the gateway's log lines.",
        string(),
    );
    id["required"] = Value::Bool(true);
    ("X-Request-ID", id)
}

/// The per-client budget (absent only while the shared counter store is unreachable
/// and the limiter lets requests through uncounted).
fn rate_limit_headers() -> Vec<(&'static str, Value)> {
    vec![
        (
            "X-RateLimit-Limit",
            header("Requests allowed per window and client IP", integer()),
        ),
        (
            "X-RateLimit-Remaining",
            header("Requests left in the current window", integer()),
        ),
        (
            "X-RateLimit-Reset",
            header("When the window ends (unix seconds)", integer()),
        ),
        (
            "X-RateLimit-Window",
            header("Length of the window in seconds", integer()),
        ),
    ]
}

/// The caching headers of a successful read (see docs/api-notes.md, HTTP caching).
fn caching_headers() -> Vec<(&'static str, Value)> {
    vec![
        (
            "ETag",
            header(
                "Weak validator of the data (JSON answers); send it back as If-None-Match \
                 for a 304",
                string(),
            ),
        ),
        (
            "Cache-Control",
            header(
                "`public, max-age=N` while the data cannot change (until the next \
                 ingestion is due, or a day for a window of closed days), else `no-cache`",
                string(),
            ),
        ),
        (
            "Last-Modified",
            header("The newest observation the answer is made of", string()),
        ),
    ]
}

fn retry_after() -> (&'static str, Value) {
    let mut retry = header("Seconds to wait before trying again", integer());
    retry["required"] = Value::Bool(true);
    ("Retry-After", retry)
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    })
}

fn add_headers(response: &mut Value, headers: impl IntoIterator<Item = (&'static str, Value)>) {
    let map = response
        .as_object_mut()
        .expect("a response object")
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    for (name, value) in headers {
        map[name] = value;
    }
}

/// Links a client (and schemathesis' stateful phase) can follow: from a recorded
/// selection to its country's statistics and the rankings, from the catalog to a
/// currency's detail, statistics and forecast.
fn links() -> Vec<(&'static str, &'static str, Value)> {
    let code = "$response.body#/data/currencies/0/currency_code";
    vec![
        (
            "record_selection",
            "201",
            json!({
                "CountryStats": {
                    "operationId": "country_stats",
                    "parameters": {"country_code": "$request.body#/country_code"},
                },
                "DailyRanking": {
                    "operationId": "rankings",
                    "parameters": {"period": "daily"},
                },
            }),
        ),
        (
            "catalog",
            "200",
            json!({
                "CurrencyDetail": {"operationId": "currency_detail", "parameters": {"currency_code": code}},
                "CurrencyStats": {"operationId": "history_stats", "parameters": {"target": code}},
                "CurrencyForecast": {"operationId": "forecast", "parameters": {"currency_code": code}},
            }),
        ),
    ]
}

/// The patterns the attributes give a single currency or country code; the document
/// lists the catalog's codes instead, from the same catalog the services check against.
const CURRENCY_PATTERN: &str = "^[A-Za-z]{3}$";
const COUNTRY_PATTERN: &str = "^[A-Za-z]{2}$";

fn enumerate_codes(value: &mut Value, currencies: &[Value], countries: &[Value]) {
    match value {
        Value::Object(map) => {
            let codes = match map.get("pattern").and_then(Value::as_str) {
                Some(CURRENCY_PATTERN) => Some(currencies),
                Some(COUNTRY_PATTERN) => Some(countries),
                _ => None,
            };
            if let Some(codes) = codes {
                map.remove("pattern");
                map.insert("enum".to_string(), Value::Array(codes.to_vec()));
            }
            for child in map.values_mut() {
                enumerate_codes(child, currencies, countries);
            }
        }
        Value::Array(items) => {
            for item in items {
                enumerate_codes(item, currencies, countries);
            }
        }
        _ => {}
    }
}

/// The finished document: the generated operations with what they all share.
pub fn document(api: OpenApi) -> Value {
    let mut doc = serde_json::to_value(&api).expect("the document serialises");
    let catalog = travel_domain::Catalog::new();
    let currencies: Vec<Value> = catalog
        .currencies()
        .iter()
        .map(|c| Value::from(c.code.as_str()))
        .collect();
    let countries: Vec<Value> = catalog
        .countries()
        .iter()
        .map(|c| Value::from(c.code.as_str()))
        .collect();
    enumerate_codes(&mut doc, &currencies, &countries);
    let links = links();
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        let rest = path.starts_with("/api/");
        for (method, operation) in item.as_object_mut().expect("a path item").iter_mut() {
            // A stream is neither cached nor answered with 304.
            let read = rest && method == "get" && !is_stream(path);
            let operation = operation.as_object_mut().expect("an operation");
            if read {
                let parameters = operation
                    .entry("parameters")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Some(parameters) = parameters.as_array_mut() {
                    parameters.push(if_none_match());
                }
            }
            let operation_id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let responses = operation["responses"].as_object_mut().expect("responses");
            if read {
                responses.insert("304".to_string(), not_modified());
            }
            if rest {
                for (status, description) in SHARED_ERRORS {
                    responses
                        .entry(status)
                        .or_insert_with(|| error_response(description));
                }
            }
            for (status, response) in responses.iter_mut() {
                add_headers(response, [request_id()]);
                if rest {
                    add_headers(response, rate_limit_headers());
                }
                if status == "429" || status == "503" {
                    add_headers(response, [retry_after()]);
                }
                if status == "200" && read {
                    add_headers(response, caching_headers());
                }
                if status.starts_with('2') {
                    attach_example(response, &operation_id);
                }
                for (id, link_status, link) in &links {
                    if *id == operation_id && link_status == status {
                        response["links"] = link.clone();
                    }
                }
            }
        }
    }
    doc
}

fn attach_example(response: &mut Value, operation_id: &str) {
    let Some((_, text)) = EXAMPLES.iter().find(|(id, _)| *id == operation_id) else {
        return;
    };
    let example: Value = serde_json::from_str(text).expect("examples are JSON");
    if let Some(json) = response["content"].get_mut("application/json") {
        json["example"] = example;
    }
}

fn if_none_match() -> Value {
    json!({
        "name": "If-None-Match",
        "in": "header",
        "required": false,
        "description": "An ETag of an earlier answer: 304 with no body while the data is unchanged",
        "schema": {"type": "string"},
    })
}

/// The prefix of the long-lived event streams.
const STREAMS: &str = "/api/v1/stream/";

/// The event-stream operations: the rate streams and an alert's events.
pub fn is_stream(path: &str) -> bool {
    path.starts_with(STREAMS) || path.ends_with("/events")
}

/// Every REST read answers `304 Not Modified` to a matching If-None-Match.
fn not_modified() -> Value {
    json!({"description": "The client's copy (If-None-Match) is current; no body"})
}
