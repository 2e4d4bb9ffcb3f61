//! Trip alerts on the all-in-one: set through the REST edge, fired once by an ingested
//! quote that crosses them, watched as Server-Sent Events, and delivered to a local
//! webhook receiver — signed, retried after a failure, never doubled. Bad input and
//! foreign tokens get the envelope; refused webhook addresses are refused at creation
//! and again when sending.

use std::time::Duration;

use ring::hmac;
use serde_json::{Value, json};
use travel_currency::WebhookSettings;
use travel_currency::webhook::Sender;
use travel_tests::app::{TestApp, spawn_app};
use travel_tests::eventually;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::stream::{app_with_source, data, next, publish, sse};

async fn create(app: &TestApp, body: Value, token: Option<&str>) -> (u16, Value) {
    let mut request = app.http.post(app.url("/api/v1/alerts")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn get(app: &TestApp, id: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app.http.get(app.url(&format!("/api/v1/alerts/{id}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body["data"][field].as_str().unwrap_or_default()
}

/// A webhook `X-Travel-Signature` checked with the secret: `t=<unix>,v1=<hex>`.
pub(crate) fn signed_by(signature: &str, secret: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let Ok(tag) = hex::decode(v1) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let message = [t.as_bytes(), b".", body].concat();
    hmac::verify(&key, &message, &tag).is_ok()
}

#[tokio::test]
async fn an_ingested_quote_fires_each_crossed_alert_once_and_its_webhook_is_signed_retried_and_not_doubled()
 {
    let source = MockServer::start().await;
    let receiver = MockServer::start().await;
    // The receiver fails the first delivery, then takes it.
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&receiver)
        .await;
    let app = app_with_source(
        &source,
        &[
            // The receiver is a local http server.
            ("TRAVEL_ALERT_WEBHOOK_ALLOW_HTTP", "true"),
            ("TRAVEL_ALERT_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("TRAVEL_ALERT_WEBHOOK_BACKOFF", "300ms"),
        ],
    )
    .await;

    // The yen is at 8.49 won in the shipped data; the ingested day has it at 10.1945
    // and the dollar at 1134.5 (from 1335).
    let hook = format!("{}/hook", receiver.uri());
    let (status, yen) = create(
        &app,
        json!({"currency": "jpy", "condition": "above", "threshold": 9.5, "webhook_url": hook}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{yen}");
    let (yen_id, token, secret) = (
        text(&yen, "alert_id"),
        text(&yen, "token"),
        text(&yen, "secret"),
    );
    assert!(
        token.starts_with("atk_") && secret.starts_with("whsec_"),
        "{yen}"
    );
    assert_eq!(yen["data"]["base"], "KRW");
    assert_eq!(yen["data"]["state"], "active");
    assert_eq!(yen["data"]["reference_rate"], 8.4913479053);
    assert_eq!(
        yen["data"]["delivery"],
        Value::Null,
        "nothing to deliver yet"
    );
    // More alerts with the same token: one the change crosses, one it does not.
    let (status, dollar) = create(
        &app,
        json!({"currency": "USD", "condition": "below", "threshold": "1200"}),
        Some(token),
    )
    .await;
    assert_eq!(status, 201, "{dollar}");
    assert_eq!(text(&dollar, "token"), token, "managed with the same token");
    let dollar_id = text(&dollar, "alert_id");
    let (status, wide) = create(
        &app,
        json!({"currency": "JPY", "condition": "change_percent", "threshold": 50}),
        Some(token),
    )
    .await;
    assert_eq!(status, 201, "{wide}");
    let wide_id = text(&wide, "alert_id");

    // A page waits on the dollar alert.
    let (status, mut events) = sse(
        &app,
        &format!("/api/v1/alerts/{dollar_id}/events?token={token}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let first = next(&mut events).await;
    assert_eq!(first.event, "alert");
    assert_eq!(data(&first)["state"], "active");

    publish(&source).await;

    let fired = next(&mut events).await;
    assert_eq!(fired.event, "alert");
    let fired = data(&fired);
    assert_eq!(fired["state"], "fired", "{fired}");
    assert_eq!(fired["fired_rate"], 1134.5, "{fired}");
    assert!(fired["fired_at"].is_string() && fired["fired_quote_at"].is_string());
    assert_eq!(
        next(&mut events).await.event,
        "done",
        "nothing more will change"
    );

    // The yen alert's webhook: refused once, then delivered.
    let (_, delivered) = eventually(
        Duration::from_secs(20),
        Duration::from_millis(100),
        async || get(&app, yen_id, Some(token)).await,
        |(_, body)| body["data"]["delivery"] == "delivered",
    )
    .await;
    assert_eq!(delivered["data"]["state"], "fired", "{delivered}");
    assert_eq!(delivered["data"]["fired_rate"], 10.1945);
    assert_eq!(delivered["data"]["delivery_attempts"], 2, "{delivered}");
    // Time for a doubled firing or delivery to show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one failed attempt and one delivery");
    for request in &requests {
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(request.headers["idempotency-key"], yen_id);
        assert_eq!(request.headers["content-type"], "application/json");
        let signature = request.headers["x-travel-signature"].to_str().unwrap();
        assert!(signed_by(signature, secret, &request.body), "{signature}");
        assert!(!signed_by(signature, "whsec_other", &request.body));
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["type"], "alert.fired");
        assert_eq!(body["alert_id"], yen_id);
        assert_eq!(body["rate"], "10.1945");
        assert_eq!(body["threshold"], "9.5");
    }
    let attempts: Vec<i64> = requests
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["attempt"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(attempts, [1, 2]);

    // Not crossed: still active. Deleted: gone, and its token cannot bring it back.
    let (_, wide) = get(&app, wide_id, Some(token)).await;
    assert_eq!(wide["data"]["state"], "active", "{wide}");
    let response = app
        .http
        .delete(app.url(&format!("/api/v1/alerts/{wide_id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, gone) = get(&app, wide_id, Some(token)).await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(gone["error"]["code"], "NOT_FOUND");
    app.stop().await;
}

#[tokio::test]
async fn bad_alert_requests_get_the_envelope_naming_the_field() {
    let app = spawn_app(&[
        ("TRAVEL_INGEST_EVERY", "off"),
        ("TRAVEL_ALERTS_PER_TOKEN", "2"),
        ("TRAVEL_ALERT_CREATE_LIMIT", "50"),
    ])
    .await;
    let cases = [
        (
            json!({"condition": "below", "threshold": 8}),
            400,
            "MISSING_PARAMETER",
            "currency",
        ),
        (
            json!({"currency": "XYZ", "condition": "below", "threshold": 8}),
            400,
            "INVALID_CURRENCY_CODE",
            "currency",
        ),
        (
            json!({"currency": "JPY", "base": "12", "condition": "below", "threshold": 8}),
            400,
            "INVALID_CURRENCY_CODE",
            "base",
        ),
        (
            json!({"currency": "JPY", "base": "JPY", "condition": "below", "threshold": 8}),
            400,
            "INVALID_PARAMETER",
            "base",
        ),
        (
            json!({"currency": "JPY", "threshold": 8}),
            400,
            "MISSING_PARAMETER",
            "condition",
        ),
        (
            json!({"currency": "JPY", "condition": "sideways", "threshold": 8}),
            400,
            "INVALID_PARAMETER",
            "condition",
        ),
        (
            json!({"currency": "JPY", "condition": "below"}),
            400,
            "MISSING_PARAMETER",
            "threshold",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": 0}),
            400,
            "INVALID_PARAMETER",
            "threshold",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": -3}),
            400,
            "INVALID_PARAMETER",
            "threshold",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": "8,5"}),
            400,
            "INVALID_PARAMETER",
            "threshold",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": true}),
            400,
            "INVALID_PARAMETER",
            "threshold",
        ),
        (
            json!({"currency": "JPY", "condition": "change_percent", "threshold": 150}),
            400,
            "INVALID_PARAMETER",
            "threshold",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": 8, "expires_at": "2020-01-01T00:00:00Z"}),
            400,
            "INVALID_PARAMETER",
            "expires_at",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": 8, "expires_at": "2099-01-01T00:00:00Z"}),
            400,
            "INVALID_PARAMETER",
            "expires_at",
        ),
        (
            json!({"currency": "JPY", "condition": "below", "threshold": 8, "expires_at": "next week"}),
            400,
            "INVALID_PARAMETER",
            "expires_at",
        ),
        (
            json!({"currency": 7, "condition": "below", "threshold": 8}),
            400,
            "INVALID_PARAMETER",
            "currency",
        ),
        (json!([1, 2]), 400, "INVALID_PARAMETER", "body"),
    ];
    for (body, status, code, parameter) in cases {
        let (got, answer) = create(&app, body.clone(), None).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        assert_eq!(answer["error"]["details"]["parameter"], parameter, "{body}");
    }
    // Every webhook address that could reach inside is refused, a name that resolves
    // to loopback included; so is anything but https.
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://localhost:8443/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://10.0.0.8/x",
        "https://192.168.1.10/x",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://user:pw@hooks.example.com/x",
        "https://no-such-host.invalid/x",
        "file:///etc/passwd",
    ] {
        let body =
            json!({"currency": "JPY", "condition": "below", "threshold": 8, "webhook_url": url});
        let (status, answer) = create(&app, body, None).await;
        assert_eq!(status, 400, "{url}: {answer}");
        assert_eq!(
            answer["error"]["details"]["parameter"], "webhook_url",
            "{url}"
        );
    }
    // A malformed body and another media type.
    let response = app
        .http
        .post(app.url("/api/v1/alerts"))
        .header("content-type", "text/plain")
        .body("currency=JPY")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    // Tokens: unknown ones are refused; a token holds a bounded number of live alerts;
    // another token cannot read, watch or delete.
    let ok = json!({"currency": "JPY", "condition": "below", "threshold": 8});
    let (status, unknown) = create(&app, ok.clone(), Some("atk_made_up")).await;
    assert_eq!(status, 401, "{unknown}");
    assert_eq!(unknown["error"]["code"], "UNAUTHORIZED");
    let (_, first) = create(&app, ok.clone(), None).await;
    let (id, token) = (text(&first, "alert_id"), text(&first, "token"));
    let (status, _) = create(&app, ok.clone(), Some(token)).await;
    assert_eq!(status, 201);
    let (status, capped) = create(&app, ok.clone(), Some(token)).await;
    assert_eq!(status, 429, "{capped}");
    assert_eq!(capped["error"]["details"]["parameter"], "token");
    let (_, other) = create(&app, ok.clone(), None).await;
    let other_token = text(&other, "token");
    for (token, status, code) in [
        (None, 401, "UNAUTHORIZED"),
        (Some(other_token), 401, "UNAUTHORIZED"),
        (Some("atk_"), 401, "UNAUTHORIZED"),
        (Some(token), 200, ""),
    ] {
        let (got, answer) = get(&app, id, token).await;
        assert_eq!(got, status, "{token:?}: {answer}");
        if !code.is_empty() {
            assert_eq!(answer["error"]["code"], code);
        }
    }
    let (status, _) = sse(
        &app,
        &format!("/api/v1/alerts/{id}/events?token={other_token}"),
        None,
    )
    .await;
    assert_eq!(status, 401);
    let response = app
        .http
        .delete(app.url(&format!("/api/v1/alerts/{id}")))
        .bearer_auth(other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (status, missing) = get(&app, "alt_00000000000000000000000000000000", Some(token)).await;
    assert_eq!(status, 404, "{missing}");

    // Each client IP has a budget of creation attempts per window.
    let mut spent = None;
    for _ in 0..50 {
        let response = app
            .http
            .post(app.url("/api/v1/alerts"))
            .json(&json!({"currency": "JPY", "condition": "below"}))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            spent = Some(response);
            break;
        }
        assert_eq!(response.status(), 400);
    }
    let spent = spent.expect("the budget runs out");
    assert_eq!(spent.headers()["x-ratelimit-limit"], "50");
    assert_eq!(spent.headers()["x-ratelimit-remaining"], "0");
    assert!(spent.headers().contains_key("retry-after"));
    let body: Value = spent.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    app.stop().await;
}

/// A sender as a strict deployment configures it, and one that lets local servers
/// through (to check what it does with their answers).
fn sender(allow_private: bool) -> Sender {
    Sender::new(&WebhookSettings {
        allow_http: true,
        allow_private,
        attempts: 1,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_millis(500),
    })
    .unwrap()
}

#[tokio::test]
async fn the_webhook_sender_refuses_inside_addresses_redirects_and_slow_receivers() {
    let receiver = MockServer::start().await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/hook"))
        .mount(&receiver)
        .await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&receiver)
        .await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 4 << 20]))
        .mount(&receiver)
        .await;
    Mock::given(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let port = receiver.address().port();
    let strict = sender(false);
    // The name resolves to 127.0.0.1 (or ::1) when the request is made: refused by
    // the resolver, nothing reaches the server.
    for url in [
        format!("http://localhost:{port}/hook"),
        format!("http://127.0.0.1:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ] {
        let error = strict
            .send(&url, "alt_x", "whsec_x", b"{}".to_vec())
            .await
            .unwrap_err();
        assert!(
            error.contains("loopback, private, link-local or metadata"),
            "{url}: {error}"
        );
    }
    assert!(receiver.received_requests().await.unwrap().is_empty());

    let local = sender(true);
    let base = receiver.uri();
    let moved = local
        .send(&format!("{base}/moved"), "alt_x", "whsec_x", b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(moved.contains("redirects are not followed"), "{moved}");
    let started = std::time::Instant::now();
    let slow = local
        .send(&format!("{base}/slow"), "alt_x", "whsec_x", b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(slow.contains("timed out"), "{slow}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded by the time-out"
    );
    // A large answer is not read whole; the delivery still counts.
    local
        .send(&format!("{base}/big"), "alt_x", "whsec_x", b"{}".to_vec())
        .await
        .unwrap();
    local
        .send(&format!("{base}/hook"), "alt_x", "whsec_x", b"{}".to_vec())
        .await
        .unwrap();
    let paths: Vec<String> = receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        paths,
        ["/moved", "/slow", "/big", "/hook"],
        "the redirect was not followed"
    );
}
