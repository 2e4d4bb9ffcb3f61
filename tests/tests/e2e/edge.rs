//! The REST edge against hostile input: a very long value in any path segment, query
//! parameter or body field is an ordinary 400 naming the parameter, and what the
//! answer repeats of it is bounded.

use serde_json::{Value, json};
use travel_domain::error::SHOWN_CHARS;
use travel_tests::app::spawn_app;

/// Each request with `{long}` standing for the long value, and the parameter the 400
/// must name.
const CASES: [(&str, &str, &str); 28] = [
    ("GET", "/api/v1/currencies/latest?symbols={long}", "symbols"),
    ("GET", "/api/v1/currencies/latest?base={long}", "base"),
    ("GET", "/api/v1/currencies/{long}", "currency_code"),
    (
        "GET",
        "/api/v1/currencies/price-index?country={long}",
        "country",
    ),
    (
        "GET",
        "/api/v1/currencies/price-index?country=JP&base_country={long}",
        "base_country",
    ),
    ("GET", "/api/v1/price-index?country={long}", "country"),
    ("GET", "/api/v1/convert?from={long}&to=KRW&amount=1", "from"),
    ("GET", "/api/v1/convert?from=USD&to={long}&amount=1", "to"),
    (
        "GET",
        "/api/v1/convert?from=USD&to=KRW&amount={long}",
        "amount",
    ),
    (
        "GET",
        "/api/v1/convert?from=USD&to=KRW&amount={digits}",
        "amount",
    ),
    ("GET", "/api/v1/history?target={long}", "target"),
    ("GET", "/api/v1/history?target=USD&period={long}", "period"),
    ("GET", "/api/v1/history?target=USD&base={long}", "base"),
    (
        "GET",
        "/api/v1/history?target=USD&interval={long}",
        "interval",
    ),
    (
        "GET",
        "/api/v1/history?target=USD&start={long}&end=2026-10-30",
        "start",
    ),
    ("GET", "/api/v1/history/stats?target={long}", "target"),
    (
        "GET",
        "/api/v1/history/stats?target=USD&period={long}",
        "period",
    ),
    ("GET", "/api/v1/history/compare?targets={long}", "targets"),
    (
        "GET",
        "/api/v1/history/compare?targets=USD,JPY&period={long}",
        "period",
    ),
    ("GET", "/api/v1/history/forecast/{long}", "currency_code"),
    ("GET", "/api/v1/history/forecast/USD?days={digits}", "days"),
    ("GET", "/api/v1/rankings?period={long}", "period"),
    (
        "GET",
        "/api/v1/rankings?period=daily&limit={digits}",
        "limit",
    ),
    (
        "GET",
        "/api/v1/rankings?period=daily&offset={long}",
        "offset",
    ),
    ("GET", "/api/v1/rankings/stats/{long}", "country_code"),
    ("GET", "/api/v1/rankings/stats/JP?period={long}", "period"),
    ("POST", "/api/v1/rankings/calculate?period={long}", "period"),
    ("POST", "/api/v1/rankings/selections", "country_code"),
];

#[tokio::test]
async fn a_very_long_value_anywhere_is_a_400_naming_it() {
    let app = spawn_app(&[]).await;
    let long = "A".repeat(5_000);
    let digits = "9".repeat(5_000);
    let http = reqwest::Client::new();
    for (method, template, parameter) in CASES {
        let path = template
            .replace("{long}", &long)
            .replace("{digits}", &digits);
        let request = match method {
            "GET" => http.get(app.url(&path)),
            _ if path.ends_with("/selections") => http
                .post(app.url(&path))
                .json(&json!({"user_id": "traveller-1", "country_code": long})),
            _ => http.post(app.url(&path)),
        };
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(status, 400, "{template}: {body}");
        assert_eq!(body["success"], false, "{template}: {body}");
        let details = &body["error"]["details"];
        assert_eq!(details["parameter"], parameter, "{template}: {body}");
        // The start of the value and its length, no more.
        let provided = details["provided"].as_str().expect("provided");
        assert!(provided.starts_with(&"A".repeat(8)) || provided.starts_with("99999999"));
        assert!(
            provided.ends_with("(5000 characters)"),
            "{template}: {provided}"
        );
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.len() < SHOWN_CHARS + 200, "{template}: {message}");
    }

    // A long user id is named too (at most 100 characters).
    let response = http
        .post(app.url("/api/v1/rankings/selections"))
        .json(&json!({"user_id": long, "country_code": "JP"}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"]["details"]["parameter"], "user_id", "{body}");
    app.stop().await;
}
