//! End to end on the all-in-one with the seeded ECB history: the four history routes,
//! CSV export, gRPC-Web, caching, and the bad inputs.

use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use travel_proto::history::v1 as pb;
use travel_proto::history::v1::history_service_client::HistoryServiceClient;
use travel_tests::app::spawn_app;
use travel_tests::ecb::{days_with, krw_per};

use super::support::as_f64 as f;

fn cross(date: &str, target: &str, base: &str) -> f64 {
    let t = krw_per(date, target).unwrap();
    if base == "KRW" {
        return t.to_f64().unwrap();
    }
    t.to_f64().unwrap() / krw_per(date, base).unwrap().to_f64().unwrap()
}

#[tokio::test]
async fn one_year_of_usd_matches_the_ecb_business_days() {
    let app = spawn_app(&[]).await;
    let (status, body) = app.get_json("/api/v1/history?period=1y&target=USD").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    // The window ends on the newest stored day and spans a year back.
    assert_eq!(data["end_date"], "2026-10-30");
    assert_eq!(data["start_date"], "2025-10-31");
    let days = days_with("USD", "KRW", "2025-10-31", "2026-10-30");
    let results = data["results"].as_array().unwrap();
    assert_eq!(results.len(), days.len(), "one point per ECB business day");
    assert_eq!(data["data_points"], days.len());
    assert_eq!(results[0]["date"], days[0].as_str());
    assert_eq!(f(&results[0]["rate"]), cross(&days[0], "USD", "KRW"));
    assert_eq!(results.last().unwrap()["date"], "2026-10-30");
    assert_eq!(f(&results.last().unwrap()["rate"]), 1335.2667382743);
    assert_eq!(results[0]["change"], Value::Null);
    let change = f(&results[1]["rate"]) - f(&results[0]["rate"]);
    assert!((f(&results[1]["change"]) - change).abs() < 1e-9);
    assert_eq!(results[1]["volume"], 1);
    let stats = &data["statistics"];
    assert_eq!(stats["data_points"], days.len());
    assert!(["upward", "downward", "stable"].contains(&stats["trend"].as_str().unwrap()));
    assert!(f(&stats["min"]) <= f(&stats["average"]) && f(&stats["average"]) <= f(&stats["max"]));
    assert!(f(&stats["volatility"]) > 0.0);
    app.stop().await;
}

#[tokio::test]
async fn cross_rates_late_starts_and_single_points() {
    let app = spawn_app(&[]).await;
    // JPY in USD through KRW on every common day.
    let (status, body) = app
        .get_json("/api/v1/history?period=1m&target=JPY&base=USD")
        .await;
    assert_eq!(status, 200, "{body}");
    let results = body["data"]["results"].as_array().unwrap();
    let days = days_with("JPY", "USD", "2026-10-01", "2026-10-30");
    assert_eq!(results.len(), days.len());
    for (point, day) in results.iter().zip(&days) {
        let expected = cross(day, "JPY", "USD");
        assert!(
            (f(&point["rate"]) - expected).abs() <= 1e-12 * expected,
            "{day}"
        );
    }

    // MXN joined the ECB list on 2008-01-02: the series starts there.
    let (status, body) = app
        .get_json("/api/v1/history?target=MXN&start=2007-12-01&end=2008-01-10")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["period"], "custom");
    assert_eq!(body["data"]["results"][0]["date"], "2008-01-02");

    // One point: statistics that need more are null, not made up.
    let (_, body) = app
        .get_json("/api/v1/history/stats?target=MXN&start=2008-01-02&end=2008-01-02")
        .await;
    let data = &body["data"];
    assert_eq!(data["data_points"], 1);
    assert_eq!(data["statistics"]["volatility_index"], Value::Null);
    assert_eq!(data["statistics"]["trend_direction"], Value::Null);
    assert_eq!(data["statistics"]["support_level"], Value::Null);
    assert_eq!(
        data["technical_indicators"]["sma_20"],
        Value::Null,
        "no MXN data before 2008"
    );
    assert_eq!(data["technical_indicators"]["rsi"], Value::Null);
    assert_eq!(data["technical_indicators"]["bollinger_upper"], Value::Null);
    assert_eq!(f(&data["current_rate"]), cross("2008-01-02", "MXN", "KRW"));

    // A window with no data at all: an empty series, not an error.
    let (status, body) = app
        .get_json("/api/v1/history?target=MXN&start=2000-01-01&end=2000-12-31")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["data_points"], 0);
    assert_eq!(body["data"]["statistics"]["average"], Value::Null);

    // KRW as the target: the inverse of the base's series.
    let (_, body) = app
        .get_json("/api/v1/history?period=1w&target=KRW&base=USD")
        .await;
    let last = body["data"]["results"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!((f(&last["rate"]) - 1.0 / 1335.2667382743).abs() < 1e-15);

    // Hourly: the ECB publishes once a day, so one point per day at 15:00 UTC.
    let (_, body) = app
        .get_json("/api/v1/history?period=1w&target=USD&interval=hourly")
        .await;
    let results = body["data"]["results"].as_array().unwrap();
    assert_eq!(body["data"]["interval"], "hourly");
    assert_eq!(results.last().unwrap()["date"], "2026-10-30T15:00:00Z");
    app.stop().await;
}

#[tokio::test]
async fn stats_compare_and_forecast() {
    let app = spawn_app(&[]).await;
    let (status, body) = app
        .get_json("/api/v1/history/stats?target=USD&period=6m")
        .await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["currency_pair"], "KRW/USD");
    assert_eq!(data["period"], "6m");
    for field in [
        "sma_20",
        "sma_50",
        "rsi",
        "bollinger_upper",
        "bollinger_lower",
    ] {
        assert!(
            data["technical_indicators"][field].is_number(),
            "{field}: {data}"
        );
    }
    let rsi = f(&data["technical_indicators"]["rsi"]);
    assert!((0.0..=100.0).contains(&rsi));
    let upper = f(&data["technical_indicators"]["bollinger_upper"]);
    let lower = f(&data["technical_indicators"]["bollinger_lower"]);
    assert!(
        lower < f(&data["technical_indicators"]["sma_20"])
            && f(&data["technical_indicators"]["sma_20"]) < upper
    );
    let months = data["monthly_breakdown"].as_array().unwrap();
    assert_eq!(months.first().unwrap()["month"], "2026-05");
    assert_eq!(months.last().unwrap()["month"], "2026-10");
    // Total change: last over first day of the window, from the ECB file.
    let days = days_with("USD", "KRW", "2026-05-01", "2026-10-30");
    let first = cross(&days[0], "USD", "KRW");
    let expected = (1335.2667382743 / first - 1.0) * 100.0;
    assert!((f(&data["statistics"]["total_change_percent"]) - expected).abs() < 1e-9);

    let (status, body) = app
        .get_json("/api/v1/history/compare?targets=USD,JPY,EUR&period=1m")
        .await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    let currencies = data["currencies"].as_array().unwrap();
    assert_eq!(currencies.len(), 3);
    let mut ranks: Vec<u64> = currencies
        .iter()
        .map(|c| c["performance_rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, vec![1, 2, 3]);
    let best = currencies
        .iter()
        .find(|c| c["performance_rank"] == 1)
        .unwrap();
    assert_eq!(
        data["portfolio_analysis"]["best_performer"],
        best["currency"]
    );
    for pair in ["USD_JPY", "USD_EUR", "JPY_EUR"] {
        let r = f(&data["correlation_matrix"][pair]);
        assert!((-1.0..=1.0).contains(&r), "{pair}: {r}");
    }

    let (status, body) = app.get_json("/api/v1/history/forecast/USD?days=7").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    let points = data["forecast"].as_array().unwrap();
    assert_eq!(points.len(), 7);
    assert_eq!(
        points[0]["date"], "2026-11-02",
        "the next business day after Friday 2026-10-30"
    );
    for p in points {
        assert!(f(&p["lower"]) < f(&p["rate"]) && f(&p["rate"]) < f(&p["upper"]));
    }
    let method = data["method"].as_str().unwrap();
    assert!(
        method.contains("random walk") && method.contains("MASE"),
        "{method}"
    );
    assert!(data["backtest"]["mase"].is_number());
    assert_eq!(data["interval_level"], 0.8);
    app.stop().await;
}

#[tokio::test]
async fn csv_export_streams_the_series() {
    let app = spawn_app(&[]).await;
    for request in [
        app.http
            .get(app.url("/api/v1/history?period=1m&target=USD&format=csv")),
        app.http
            .get(app.url("/api/v1/history?period=1m&target=USD"))
            .header("accept", "text/csv"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = response.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "date,rate,change,change_percent,volume");
        let days = days_with("USD", "KRW", "2026-10-01", "2026-10-30");
        assert_eq!(lines.len(), days.len() + 1);
        let last: Vec<&str> = lines.last().unwrap().split(',').collect();
        assert_eq!(last[0], "2026-10-30");
        assert_eq!(f64::from_str(last[1]).unwrap(), 1335.2667382743);
    }
    // Errors are still the JSON envelope.
    let (status, body) = app
        .get_json("/api/v1/history?period=2y&target=USD&format=csv")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "INVALID_PERIOD");
    app.stop().await;
}

#[tokio::test]
async fn ndjson_export_streams_the_same_points() {
    let app = spawn_app(&[]).await;
    let (_, json) = app.get_json("/api/v1/history?period=1m&target=JPY").await;
    let expected = json["data"]["results"].as_array().unwrap();
    for request in [
        app.http
            .get(app.url("/api/v1/history?period=1m&target=JPY&format=ndjson")),
        app.http
            .get(app.url("/api/v1/history?period=1m&target=JPY"))
            .header("accept", "application/x-ndjson"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "application/x-ndjson");
        assert_eq!(response.headers()["vary"], "accept");
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("KRW_JPY_1m.ndjson")
        );
        let text = response.text().await.unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
            .collect();
        assert_eq!(&lines, expected);
    }
    let (status, body) = app
        .get_json("/api/v1/history?period=1m&target=JPY&format=xml")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["details"]["parameter"], "format");
    app.stop().await;
}

#[tokio::test]
async fn fill_previous_gives_every_calendar_day_and_keeps_statistics_observed() {
    let app = spawn_app(&[]).await;
    let (_, observed) = app.get_json("/api/v1/history?period=1m&target=USD").await;
    let (status, filled) = app
        .get_json("/api/v1/history?period=1m&target=USD&fill=previous")
        .await;
    assert_eq!(status, 200, "{filled}");
    let days = days_with("USD", "KRW", "2026-10-01", "2026-10-30");
    let first: chrono::NaiveDate = days[0].parse().unwrap();
    let last: chrono::NaiveDate = "2026-10-30".parse().unwrap();
    let results = filled["data"]["results"].as_array().unwrap();
    assert_eq!(results.len() as i64, (last - first).num_days() + 1);
    assert!(results.len() > days.len(), "October has weekends");
    let mut carried_from = String::new();
    let mut rate = 0.0;
    // Days without an observation before the first one of the window carry the
    // close before the window: 1w ends Friday 2026-10-30 and starts Saturday 10-24.
    let (_, week) = app
        .get_json("/api/v1/history?period=1w&target=USD&fill=previous")
        .await;
    let week = week["data"]["results"].as_array().unwrap();
    assert_eq!(week.len(), 7);
    assert_eq!(week[0]["date"], "2026-10-24");
    assert_eq!(week[0]["carried_from"], "2026-10-23");
    assert_eq!(f(&week[0]["rate"]), cross("2026-10-23", "USD", "KRW"));
    assert_eq!(week[1]["carried_from"], "2026-10-23");
    assert!(week[2].get("carried_from").is_none());
    for (point, day) in results.iter().zip(first.iter_days()) {
        assert_eq!(point["date"], day.to_string());
        if days.contains(&day.to_string()) {
            assert!(point.get("carried_from").is_none(), "{point}");
            carried_from = day.to_string();
            rate = f(&point["rate"]);
        } else {
            assert_eq!(point["carried_from"], carried_from.as_str(), "{point}");
            assert_eq!(f(&point["rate"]), rate);
            assert_eq!(point["volume"], 0);
        }
    }
    // Statistics are of observed days only; the plain answer has no carried days.
    assert_eq!(filled["data"]["statistics"], observed["data"]["statistics"]);
    assert_eq!(
        observed["data"]["statistics"]["data_points"]
            .as_u64()
            .unwrap() as usize,
        days.len()
    );
    let plain = observed["data"]["results"].as_array().unwrap();
    assert_eq!(plain.len(), days.len());
    assert!(plain.iter().all(|p| p.get("carried_from").is_none()));

    // The CSV export carries the column too.
    let csv = app
        .http
        .get(app.url("/api/v1/history?period=1m&target=USD&fill=previous&format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "date,rate,change,change_percent,volume,carried_from"
    );
    assert_eq!(lines.len(), results.len() + 1);

    for (query, parameter) in [
        ("fill=next", "fill"),
        ("fill=previous&interval=hourly", "fill"),
    ] {
        let (status, body) = app
            .get_json(&format!("/api/v1/history?period=1m&target=USD&{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["details"]["parameter"], parameter);
    }
    app.stop().await;
}

#[tokio::test]
async fn chart_answers_are_cached_per_window_base_and_target() {
    let app = spawn_app(&[]).await;
    let (_, before) = app.get_json("/api/v1/history?period=1w&target=GBP").await;
    // Change the stored close of the last day behind the service's back.
    let store = travel_storage::connect(&travel_storage::StoreConfig::new(
        url::Url::parse(&app.database_url()).unwrap(),
    ))
    .await
    .unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 10, 30)
        .unwrap()
        .and_hms_opt(16, 0, 0)
        .unwrap()
        .and_utc();
    store
        .record_observations(&[travel_domain::Observation {
            currency: travel_domain::CurrencyCode::parse("GBP").unwrap(),
            source: "TEST".into(),
            recorded_at: at,
            rate_date: at.date_naive(),
            mid: Decimal::from(2000),
            tts: None,
            ttb: None,
            raw_unit: 1,
            redistributable: true,
        }])
        .await
        .unwrap();
    let (_, again) = app.get_json("/api/v1/history?period=1w&target=GBP").await;
    assert_eq!(
        before["data"]["results"], again["data"]["results"],
        "served from the chart cache"
    );
    // Another window is another cache entry and sees the new close.
    let (_, other) = app.get_json("/api/v1/history?period=1m&target=GBP").await;
    let last = other["data"]["results"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(f(&last["rate"]), 2000.0);
    assert_eq!(last["volume"], 2);
    app.stop().await;
}

#[tokio::test]
async fn bad_history_inputs_get_the_specified_codes() {
    let app = spawn_app(&[]).await;
    let eleven = "USD,JPY,EUR,GBP,CHF,CAD,AUD,NZD,HKD,SGD,THB";
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (
            "/api/v1/history?period=2y&target=USD".into(),
            400,
            "INVALID_PERIOD",
            "period",
        ),
        (
            "/api/v1/history?period=1d&target=USD".into(),
            400,
            "INVALID_PERIOD",
            "period",
        ),
        (
            "/api/v1/history?period=1m".into(),
            400,
            "MISSING_PARAMETER",
            "target",
        ),
        (
            "/api/v1/history?target=XYZ".into(),
            400,
            "INVALID_CURRENCY_CODE",
            "target",
        ),
        (
            "/api/v1/history?target=USD&base=US".into(),
            400,
            "INVALID_CURRENCY_CODE",
            "base",
        ),
        (
            "/api/v1/history?target=USD&base=usd".into(),
            400,
            "INVALID_PARAMETER",
            "target",
        ),
        (
            "/api/v1/history?target=USD&start=2026-01-01".into(),
            400,
            "MISSING_PARAMETER",
            "end",
        ),
        (
            "/api/v1/history?target=USD&start=2026-02-30&end=2026-03-01".into(),
            400,
            "INVALID_PARAMETER",
            "start",
        ),
        (
            "/api/v1/history?target=USD&start=2026-03-01&end=2026-02-01".into(),
            400,
            "INVALID_PARAMETER",
            "start",
        ),
        (
            "/api/v1/history?target=USD&interval=minute".into(),
            400,
            "INVALID_PARAMETER",
            "interval",
        ),
        (
            "/api/v1/history?target=USD&format=xml".into(),
            400,
            "INVALID_PARAMETER",
            "format",
        ),
        (
            "/api/v1/history/stats?period=5y&target=USD".into(),
            400,
            "INVALID_PERIOD",
            "period",
        ),
        (
            "/api/v1/history/stats?target=".into(),
            400,
            "MISSING_PARAMETER",
            "target",
        ),
        (
            "/api/v1/history/compare?period=1m".into(),
            400,
            "MISSING_PARAMETER",
            "targets",
        ),
        (
            format!("/api/v1/history/compare?targets={eleven}"),
            400,
            "INVALID_PARAMETER",
            "targets",
        ),
        (
            "/api/v1/history/compare?targets=USD,XXX".into(),
            400,
            "INVALID_CURRENCY_CODE",
            "targets",
        ),
        (
            "/api/v1/history/compare?targets=USD,KRW".into(),
            400,
            "INVALID_PARAMETER",
            "targets",
        ),
        (
            "/api/v1/history/forecast/USD?days=0".into(),
            400,
            "INVALID_PARAMETER",
            "days",
        ),
        (
            "/api/v1/history/forecast/USD?days=31".into(),
            400,
            "INVALID_PARAMETER",
            "days",
        ),
        (
            "/api/v1/history/forecast/USD?days=seven".into(),
            400,
            "INVALID_PARAMETER",
            "days",
        ),
        (
            "/api/v1/history/forecast/XYZ".into(),
            404,
            "NOT_FOUND",
            "currency_code",
        ),
        (
            "/api/v1/history/forecast/U5D".into(),
            400,
            "INVALID_CURRENCY_CODE",
            "currency_code",
        ),
        (
            "/api/v1/history/forecast/TWD".into(),
            404,
            "NOT_FOUND",
            "currency_code",
        ),
    ];
    for (path, status, code, parameter) in cases {
        let (got, body) = app.get_json(&path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert_eq!(
            body["error"]["details"]["parameter"], parameter,
            "{path}: {body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn grpc_and_grpc_web_serve_history() {
    let app = spawn_app(&[]).await;
    let mut client = HistoryServiceClient::connect(app.history_url.clone())
        .await
        .unwrap();
    let stats = client
        .get_stats(pb::GetStatsRequest {
            target: "EUR".into(),
            base: String::new(),
            window: Some(pb::Window {
                period: "1m".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.current_rate, Some(1491.76));

    let (service, origin) = app.grpc_web();
    let mut web = HistoryServiceClient::with_origin(service, origin);
    let history = web
        .get_history(pb::GetHistoryRequest {
            target: "USD".into(),
            base: "KRW".into(),
            window: Some(pb::Window {
                period: "1w".into(),
                ..Default::default()
            }),
            interval: String::new(),
            fill: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.results.last().unwrap().rate, 1335.2667382743);
    let expected = krw_per("2026-10-30", "USD")
        .unwrap()
        .round_dp_with_strategy(10, RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(
        history.results.last().unwrap().rate,
        expected.to_f64().unwrap()
    );
    let error = web
        .forecast(pb::ForecastRequest {
            currency: "USD".into(),
            base: String::new(),
            days: 99,
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    app.stop().await;
}
