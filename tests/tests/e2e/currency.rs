//! End to end on the all-in-one: every currency route over REST, gRPC and gRPC-Web,
//! checked against the shipped ECB data; bad inputs; cache behaviour.

use std::time::Duration;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use tonic_types::StatusExt;
use travel_proto::currency::v1 as pb;
use travel_proto::currency::v1::currency_service_client::CurrencyServiceClient;
use travel_tests::app::{TestApp, spawn_app};
use travel_tests::eventually;

use super::support::as_f64;

fn krw_per(code: &str) -> Decimal {
    travel_tests::ecb::krw_per("2026-10-30", code).unwrap()
}

fn assert_error(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body["timestamp"].is_string(), "{body}");
}

#[tokio::test]
async fn rest_latest_rates_equal_the_ecb_cross_rates() {
    let app = spawn_app(&[]).await;
    let (status, body) = app
        .get_json("/api/v1/currencies/latest?symbols=USD,JPY,EUR")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["version"], "v1");
    let data = &body["data"];
    assert_eq!(data["base"], "KRW");
    for code in ["USD", "JPY", "EUR"] {
        let expected = krw_per(code).to_f64().unwrap();
        assert_eq!(as_f64(&data["rates"][code]), expected, "{code}");
        assert_eq!(data["as_of"][code], "2026-10-30T15:00:00Z");
    }
    // 1491.76 / 1.1172, to the stored ten places.
    assert_eq!(as_f64(&data["rates"]["USD"]), 1335.2667382743);
    // Unix seconds of 2026-10-30T15:00:00Z.
    assert_eq!(data["timestamp"], 1_793_372_400);
    assert_eq!(data["unavailable"], Value::Array(vec![]));

    // Any base: cross rates through KRW.
    let (status, body) = app
        .get_json("/api/v1/currencies/latest?base=usd&symbols=jpy,KRW,twd")
        .await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["base"], "USD");
    let jpy_in_usd = (krw_per("JPY") / krw_per("USD"))
        .round_dp_with_strategy(12, RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(as_f64(&data["rates"]["JPY"]), jpy_in_usd.to_f64().unwrap());
    let krw_in_usd = (Decimal::ONE / krw_per("USD"))
        .round_dp_with_strategy(12, RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(as_f64(&data["rates"]["KRW"]), krw_in_usd.to_f64().unwrap());
    // The ECB does not quote TWD: supported, but no stored quote offline.
    assert_eq!(data["unavailable"], serde_json::json!(["TWD"]));
    assert!(data["rates"].get("TWD").is_none());

    // No symbols: every active currency with a quote, the base excluded.
    let (_, body) = app.get_json("/api/v1/currencies/latest").await;
    let rates = body["data"]["rates"].as_object().unwrap();
    // The 28 ECB currencies of 2026 besides KRW, EUR itself, and RUB, active (the BOK
    // quotes it) whose last ECB quote is of 2022-03-01, before the ECB suspended it.
    assert_eq!(rates.len(), 30, "{}", body["data"]);
    assert!(rates.get("KRW").is_none());
    assert_eq!(body["data"]["as_of"]["RUB"], "2022-03-01T15:00:00Z");
    app.stop().await;
}

#[tokio::test]
async fn rest_currency_detail_catalog_convert_and_price_index() {
    let app = spawn_app(&[]).await;

    let (status, body) = app.get_json("/api/v1/currencies/JPY").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["currency_code"], "JPY");
    assert_eq!(data["currency_name"], "일본 엔");
    assert_eq!(data["currency_name_en"], "Japanese yen");
    assert_eq!(data["country_code"], "JP");
    assert_eq!(data["country_name"], "일본");
    assert_eq!(data["symbol"], "¥");
    assert_eq!(
        as_f64(&data["current_rate"]),
        krw_per("JPY").to_f64().unwrap()
    );
    assert_eq!(
        data["tts"],
        Value::Null,
        "the ECB publishes no remittance rates"
    );
    assert_eq!(data["ttb"], Value::Null);
    assert_eq!(data["source"], "ECB");
    assert_eq!(data["last_updated"], "2026-10-30T15:00:00Z");

    let (status, body) = app.get_json("/api/v1/currencies/VND").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["current_rate"],
        Value::Null,
        "no source quoted VND offline"
    );

    let (status, body) = app.get_json("/api/v1/currencies").await;
    assert_eq!(status, 200);
    let currencies = body["data"]["currencies"].as_array().unwrap();
    assert!(currencies.len() >= 45);
    for code in ["VND", "TWD", "THB", "PHP", "KRW", "CNH"] {
        assert!(
            currencies.iter().any(|c| c["currency_code"] == code),
            "{code}"
        );
    }
    let (_, all) = app
        .get_json("/api/v1/currencies?include_inactive=true")
        .await;
    assert!(all["data"]["count"].as_u64().unwrap() > currencies.len() as u64);

    let (status, body) = app
        .get_json("/api/v1/convert?from=USD&to=KRW&amount=100")
        .await;
    assert_eq!(status, 200, "{body}");
    let expected = (krw_per("USD") * Decimal::from(100)).round_dp(0);
    assert_eq!(as_f64(&body["data"]["result"]), expected.to_f64().unwrap());
    let (status, body) = app
        .get_json("/api/v1/convert?from=KRW&to=JPY&amount=10000")
        .await;
    assert_eq!(status, 200, "{body}");
    let expected = (Decimal::from(10000) / krw_per("JPY")).round_dp(0);
    assert_eq!(as_f64(&body["data"]["result"]), expected.to_f64().unwrap());

    // Both paths; Japan vs Korea in the 2026-01-01 survey:
    // (480 / 158.545) / (5500 / 1469.85) × 100.
    let expected_index = (480.0 / 158.545) / (5500.0 / 1469.85) * 100.0;
    for path in [
        "/api/v1/currencies/price-index?country=JP&base_country=KR",
        "/api/v1/price-index?country=jp",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{body}");
        let data = &body["data"];
        assert_eq!(data["country_code"], "JP");
        assert_eq!(data["base_country"], "KR");
        let index = as_f64(&data["indices"]["bigmac_index"]);
        assert!(
            (index - expected_index).abs() < 0.006,
            "{index} vs {expected_index}"
        );
        assert_eq!(data["indices"]["starbucks_index"], Value::Null);
        assert_eq!(as_f64(&data["indices"]["composite_index"]), index);
        assert_eq!(as_f64(&data["price_data"]["bigmac_price_local"]), 480.0);
        assert_eq!(data["last_updated"], "2026-01-01");
    }
    let (_, body) = app
        .get_json("/api/v1/price-index?country=EU&base_country=US")
        .await;
    assert!(as_f64(&body["data"]["indices"]["bigmac_index"]) > 0.0);
    app.stop().await;
}

#[tokio::test]
async fn bad_inputs_get_the_envelope_and_code() {
    let app = spawn_app(&[]).await;
    let many: Vec<&str> = std::iter::repeat_n("USD", 200).collect();
    let many = format!("/api/v1/currencies/latest?symbols={}", many.join(","));
    let cases: Vec<(&str, u16, &str, Option<&str>)> = vec![
        (
            "/api/v1/currencies/latest?symbols=USD,XYZ",
            400,
            "INVALID_CURRENCY_CODE",
            Some("symbols"),
        ),
        (
            "/api/v1/currencies/latest?symbols=US",
            400,
            "INVALID_CURRENCY_CODE",
            Some("symbols"),
        ),
        (
            "/api/v1/currencies/latest?symbols=USD,,JPY",
            400,
            "INVALID_CURRENCY_CODE",
            Some("symbols"),
        ),
        (
            "/api/v1/currencies/latest?symbols=U$D",
            400,
            "INVALID_CURRENCY_CODE",
            Some("symbols"),
        ),
        (
            "/api/v1/currencies/latest?symbols=",
            400,
            "INVALID_PARAMETER",
            Some("symbols"),
        ),
        (&many, 400, "INVALID_PARAMETER", Some("symbols")),
        (
            "/api/v1/currencies/latest?base=XYZ",
            400,
            "INVALID_CURRENCY_CODE",
            Some("base"),
        ),
        (
            "/api/v1/currencies/latest?base=12",
            400,
            "INVALID_CURRENCY_CODE",
            Some("base"),
        ),
        (
            "/api/v1/currencies/latest?symbols=%ZZ",
            400,
            "INVALID_CURRENCY_CODE",
            Some("symbols"),
        ),
        (
            "/api/v1/currencies/XYZ",
            404,
            "NOT_FOUND",
            Some("currency_code"),
        ),
        (
            "/api/v1/currencies/US1",
            400,
            "INVALID_CURRENCY_CODE",
            Some("currency_code"),
        ),
        (
            "/api/v1/currencies/ABCD",
            400,
            "INVALID_CURRENCY_CODE",
            Some("currency_code"),
        ),
        (
            "/api/v1/convert?from=USD&to=KRW&amount=-5",
            400,
            "INVALID_PARAMETER",
            Some("amount"),
        ),
        (
            "/api/v1/convert?from=USD&to=KRW&amount=1e99",
            400,
            "INVALID_PARAMETER",
            Some("amount"),
        ),
        (
            "/api/v1/convert?from=USD&to=KRW&amount=abc",
            400,
            "INVALID_PARAMETER",
            Some("amount"),
        ),
        (
            "/api/v1/convert?from=USD&to=KRW&amount=99999999999999999999999",
            400,
            "INVALID_PARAMETER",
            Some("amount"),
        ),
        (
            "/api/v1/convert?from=USD&to=KRW&amount=NaN",
            400,
            "INVALID_PARAMETER",
            Some("amount"),
        ),
        (
            "/api/v1/convert?from=USD&to=KRW",
            400,
            "MISSING_PARAMETER",
            Some("amount"),
        ),
        (
            "/api/v1/convert?to=KRW&amount=1",
            400,
            "MISSING_PARAMETER",
            Some("from"),
        ),
        (
            "/api/v1/convert?from=USD&to=XXX&amount=1",
            400,
            "INVALID_CURRENCY_CODE",
            Some("to"),
        ),
        (
            "/api/v1/convert?from=TWD&to=KRW&amount=1",
            404,
            "NOT_FOUND",
            Some("from"),
        ),
        (
            "/api/v1/price-index",
            400,
            "MISSING_PARAMETER",
            Some("country"),
        ),
        (
            "/api/v1/price-index?country=XX",
            400,
            "INVALID_COUNTRY_CODE",
            Some("country"),
        ),
        (
            "/api/v1/price-index?country=JPN",
            400,
            "INVALID_COUNTRY_CODE",
            Some("country"),
        ),
        (
            "/api/v1/currencies/price-index?country=JP&base_country=ZZ",
            400,
            "INVALID_COUNTRY_CODE",
            Some("base_country"),
        ),
        (
            "/api/v1/currencies?include_inactive=maybe",
            400,
            "INVALID_PARAMETER",
            Some("include_inactive"),
        ),
        ("/api/v1/nope", 404, "NOT_FOUND", Some("path")),
        ("/api/v2/currencies/latest", 404, "NOT_FOUND", Some("path")),
        // `/` is the web app now (`e2e::web`); a script asking elsewhere still gets JSON.
        ("/no-such-page", 404, "NOT_FOUND", Some("path")),
    ];
    for (path, status, code, parameter) in cases {
        let (got_status, body) = app.get_json(path).await;
        assert_error(got_status, &body, status, code);
        if let Some(parameter) = parameter {
            assert_eq!(
                body["error"]["details"]["parameter"], parameter,
                "{path}: {body}"
            );
        }
    }
    let (_, body) = app
        .get_json("/api/v1/currencies/latest?symbols=USD,XYZ")
        .await;
    assert_eq!(
        body["error"]["details"]["provided"], "XYZ",
        "names the offending code"
    );

    // Wrong methods and oversized or malformed bodies.
    for (method, path) in [
        (reqwest::Method::POST, "/api/v1/currencies/latest"),
        (reqwest::Method::DELETE, "/api/v1/currencies/USD"),
        (reqwest::Method::PUT, "/health"),
    ] {
        let response = app
            .http
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(response.headers().contains_key("allow"));
        let body: Value = response.json().await.unwrap();
        assert_error(status, &body, 405, "METHOD_NOT_ALLOWED");
    }
    let response = app
        .http
        .post(app.url("/api/v1/currencies/latest"))
        .header("content-type", "application/json")
        .body(vec![b'x'; 200 * 1024])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_error(status, &body, 413, "PAYLOAD_TOO_LARGE");
    app.stop().await;
}

#[tokio::test]
async fn cache_miss_then_hit() {
    let app = spawn_app(&[]).await;
    let (_, first) = app
        .get_json("/api/v1/currencies/latest?symbols=GBP,CHF")
        .await;
    assert_eq!(first["data"]["cache_hit"], false, "{first}");
    assert_eq!(first["data"]["source"], "database");
    let (_, second) = app
        .get_json("/api/v1/currencies/latest?symbols=GBP,CHF")
        .await;
    assert_eq!(second["data"]["cache_hit"], true, "{second}");
    assert_eq!(second["data"]["source"], "cache");
    assert_eq!(first["data"]["rates"], second["data"]["rates"]);

    // A currency without a quote is remembered as such, so the next read is a hit too.
    let (_, first) = app.get_json("/api/v1/currencies/latest?symbols=TWD").await;
    assert_eq!(first["data"]["cache_hit"], false);
    let (_, second) = app.get_json("/api/v1/currencies/latest?symbols=TWD").await;
    assert_eq!(second["data"]["cache_hit"], true);
    assert_eq!(second["data"]["unavailable"], serde_json::json!(["TWD"]));

    let (_, detail) = app.get_json("/api/v1/currencies/GBP").await;
    assert_eq!(detail["data"]["cache_hit"], true);
    assert_eq!(detail["data"]["served_from"], "cache");
    app.stop().await;
}

#[tokio::test]
async fn unreachable_cache_falls_back_to_the_database() {
    // Nothing listens on port 1: every cache command fails.
    let app = spawn_app(&[
        ("TRAVEL_CACHE_URL", "redis://127.0.0.1:1"),
        ("TRAVEL_CACHE_TIMEOUT", "100ms"),
    ])
    .await;
    for _ in 0..2 {
        let (status, body) = app.get_json("/api/v1/currencies/latest?symbols=USD").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["source"], "database");
        assert_eq!(body["data"]["cache_hit"], false);
        assert_eq!(
            as_f64(&body["data"]["rates"]["USD"]),
            krw_per("USD").to_f64().unwrap()
        );
    }
    // Health says what is wrong without calling the whole service down.
    let (status, health) = eventually(
        Duration::from_secs(5),
        Duration::from_millis(100),
        async || app.get_json("/health").await,
        |(_, body)| body["data"]["dependencies"]["cache"] == "unhealthy",
    )
    .await;
    assert_eq!(health["data"]["status"], "degraded", "{health}");
    assert_eq!(health["data"]["dependencies"]["cache"], "unhealthy");
    assert_eq!(health["data"]["dependencies"]["database"], "healthy");
    assert_eq!(status, 200);
    // The probes do not ask the cache: this replica stays in its Service.
    assert_eq!(app.get_json("/readyz").await.0, 200);
    assert_eq!(app.get_json("/livez").await.0, 200);
    // Nor does a service's overall gRPC health, which the chart's probes ask; the
    // dependency's own name says it is down.
    let grpc_health = tonic_health::pb::health_client::HealthClient::new(
        tonic::transport::Channel::from_shared(app.currency_url.clone())
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    let status_of = async |service: &str| {
        grpc_health
            .clone()
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status
    };
    use tonic_health::pb::health_check_response::ServingStatus;
    assert_eq!(status_of("").await, ServingStatus::Serving as i32);
    assert_eq!(
        status_of(travel_runtime::dependencies::CACHE).await,
        ServingStatus::NotServing as i32
    );
    app.stop().await;
}

#[tokio::test]
async fn health_version_request_ids_and_rate_limits() {
    let app = spawn_app(&[("TRAVEL_RATE_LIMIT", "5"), ("TRAVEL_ENVIRONMENT", "test")]).await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "healthy");
    assert_eq!(body["data"]["services"]["currency"]["status"], "healthy");
    assert!(body["data"]["services"]["currency"]["response_time_ms"].is_number());
    assert_eq!(body["data"]["dependencies"]["database"], "healthy");

    let (status, body) = app.get_json("/version").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["api_version"], "v1");
    assert_eq!(body["data"]["environment"], "test");
    assert_eq!(
        body["data"]["services"]["currency"],
        env!("CARGO_PKG_VERSION")
    );

    let response = app
        .http
        .get(app.url("/api/v1/currencies/USD"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let response = app
        .http
        .get(app.url("/api/v1/currencies/USD"))
        .header("x-correlation-id", "corr-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "corr-7");
    assert_eq!(response.headers()["x-correlation-id"], "corr-7");
    let response = app
        .http
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers().contains_key("x-request-id"),
        "errors carry it too"
    );

    // Five requests were allowed in this window (two above); three more pass, then 429.
    let mut last = None;
    for _ in 0..4 {
        last = Some(
            app.http
                .get(app.url("/api/v1/currencies"))
                .send()
                .await
                .unwrap(),
        );
    }
    let response = last.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let headers = response.headers().clone();
    assert_eq!(headers["x-ratelimit-limit"], "5");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(headers["x-ratelimit-window"], "3600");
    assert!(headers.contains_key("x-ratelimit-reset"));
    assert!(headers.contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    // Probes are not rate limited.
    let (status, _) = app.get_json("/health").await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn grpc_serves_the_same_values_and_errors() {
    let app = spawn_app(&[]).await;
    let mut client = CurrencyServiceClient::connect(app.currency_url.clone())
        .await
        .unwrap();
    let response = client
        .get_latest_rates(pb::GetLatestRatesRequest {
            symbols: vec!["USD".into(), "EUR".into()],
            base: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.base, "KRW");
    let usd = response
        .rates
        .iter()
        .find(|r| r.currency_code == "USD")
        .unwrap();
    // Exact decimal text, not a float.
    assert_eq!(usd.rate.as_ref().unwrap().value, krw_per("USD").to_string());
    assert_eq!(usd.rate.as_ref().unwrap().value, "1335.2667382743");

    let detail = client
        .get_currency(pb::GetCurrencyRequest {
            currency_code: "EUR".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(detail.quote.unwrap().mid.unwrap().value, "1491.76");

    let converted = client
        .convert(pb::ConvertRequest {
            from: "EUR".into(),
            to: "KRW".into(),
            amount: "2.5".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(converted.result.unwrap().value, "3729");

    let status = client
        .get_latest_rates(pb::GetLatestRatesRequest {
            symbols: vec!["XYZ".into()],
            base: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let info = status.get_details_error_info().expect("ErrorInfo detail");
    assert_eq!(info.reason, "INVALID_CURRENCY_CODE");
    assert_eq!(info.metadata["parameter"], "symbols");
    assert_eq!(info.metadata["provided"], "XYZ");

    let list = client
        .list_currencies(pb::ListCurrenciesRequest {
            include_inactive: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(list.currencies.iter().all(|c| c.active));

    let index = client
        .get_price_index(pb::GetPriceIndexRequest {
            country_code: "US".into(),
            base_country_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(index.base_country_code, "KR");
    // 6.12 USD vs 5500 KRW at 1469.85 → 163.55.
    assert_eq!(index.bigmac_index, Some(163.55));

    // Health and reflection are served too.
    let mut health = tonic_health::pb::health_client::HealthClient::new(
        tonic::transport::Channel::from_shared(app.currency_url.clone())
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "travel.currency.v1.CurrencyService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        serving.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    app.stop().await;
}

#[tokio::test]
async fn grpc_web_through_the_gateway() {
    let app = spawn_app(&[]).await;
    let mut client = grpc_web_client(&app);
    let response = client
        .get_latest_rates(pb::GetLatestRatesRequest {
            symbols: vec!["JPY".into()],
            base: "KRW".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        response.rates[0].rate.as_ref().unwrap().value,
        krw_per("JPY").to_string()
    );

    let status = client
        .get_currency(pb::GetCurrencyRequest {
            currency_code: "XYZ".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert_eq!(status.get_details_error_info().unwrap().reason, "NOT_FOUND");

    let index = client
        .get_price_index(pb::GetPriceIndexRequest {
            country_code: "JP".into(),
            base_country_code: "KR".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(index.bigmac.is_some());

    // What a browser sends: HTTP/1.1, application/grpc-web+proto, CORS preflight first.
    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            app.url("/travel.currency.v1.CurrencyService/GetCurrency"),
        )
        .header("origin", "https://example.org")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
    app.stop().await;
}

fn grpc_web_client(app: &TestApp) -> CurrencyServiceClient<travel_tests::app::GrpcWeb> {
    let (service, origin) = app.grpc_web();
    CurrencyServiceClient::with_origin(service, origin)
}
