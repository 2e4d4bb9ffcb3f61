//! The calls and fields the original system's own clients use beyond api-v1's main
//! text (its last section): /rankings/update, the stored rankings, `comparison` and
//! the forecast's original names; over REST and, where the method exists, gRPC-Web.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tonic_types::StatusExt;
use travel_proto::ranking::v1 as pb;
use travel_proto::ranking::v1::ranking_service_client::RankingServiceClient;
use travel_selections::SelectionStoreConfig;
use travel_tests::app::{TestApp, spawn_app};

async fn update(app: &TestApp, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    app.post_json("/api/v1/rankings/update", &body).await
}

/// Today's selections, recalculated now (a served ranking is cached for a minute).
async fn total_today(app: &TestApp) -> u64 {
    let calculated = app
        .http
        .post(app.url("/api/v1/rankings/calculate?period=daily"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(calculated.status().as_u16(), 200);
    let (status, body) = app.get_json("/api/v1/rankings?period=daily").await;
    assert_eq!(status, 200, "{body}");
    body["data"]["total_selections"].as_u64().unwrap()
}

fn seoul_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Seoul)
        .date_naive()
}

#[tokio::test]
async fn rankings_update_records_one_selection_per_country() {
    let app = spawn_app(&[
        ("TRAVEL_HASH_SALT", "pepper"),
        ("TRAVEL_SELECTION_LIMIT", "5"),
        ("TRAVEL_SELECTION_LIMIT_WINDOW", "1m"),
        ("TRAVEL_RANKING_EVERY", "off"),
    ])
    .await;
    // Normalised, each once; no user id needed.
    let (status, headers, body) = update(&app, json!({"countries": ["us", " JP", "jp"]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["updated_countries"], json!(["US", "JP"]));
    assert_eq!(body["data"]["count"], 2);
    assert_eq!(body["data"]["period"], "daily");
    assert_eq!(headers["x-ratelimit-remaining"], "3");
    assert_eq!(total_today(&app).await, 2);

    // The same hashing as POST /selections: salted, never the raw address.
    let url = format!("sqlite://{}/selections.db", app.data_dir().display());
    let store = travel_selections::connect(&SelectionStoreConfig::new(url.parse().unwrap()))
        .await
        .unwrap();
    let today = seoul_today();
    let stored = store
        .selections_for_country("US", today, today, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let expected = hex::encode(Sha256::digest(b"pepper127.0.0.1"));
    assert_eq!(stored[0].ip_hash.as_deref(), Some(expected.as_str()));
    assert!(stored[0].user_id.starts_with("anonymous-"), "{stored:?}");

    let (status, _, body) = update(
        &app,
        json!({"countries": ["TH"], "period": "weekly", "user_id": "traveller-7"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["period"], "weekly");
    assert_eq!(total_today(&app).await, 3);

    // Bad lists: named, and nothing of them is recorded.
    let many: Vec<&str> = std::iter::repeat_n("JP", 21).collect();
    for (body, status, code) in [
        (json!({"countries": []}), 400, "MISSING_PARAMETER"),
        (json!({}), 400, "MISSING_PARAMETER"),
        (json!({"countries": many}), 400, "INVALID_PARAMETER"),
        (
            json!({"countries": ["JP", "XX"]}),
            400,
            "INVALID_COUNTRY_CODE",
        ),
        (json!({"countries": "JP"}), 400, "INVALID_PARAMETER"),
        (json!({"countries": ["JP", 7]}), 400, "INVALID_PARAMETER"),
    ] {
        let (got, _, answer) = update(&app, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        assert_eq!(
            answer["error"]["details"]["parameter"], "countries",
            "{answer}"
        );
    }
    let (status, _, answer) = update(&app, json!({"countries": ["JP"], "period": "yearly"})).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "INVALID_PERIOD", "{answer}");
    let response = app
        .http
        .post(app.url("/api/v1/rankings/update"))
        .body("countries=JP")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(total_today(&app).await, 3);

    // Two selections are left in the budget: a call for three records none of them.
    let (status, headers, answer) = update(&app, json!({"countries": ["EU", "VN", "US"]})).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(total_today(&app).await, 3);
    app.stop().await;
}

#[tokio::test]
async fn stored_rankings_are_listed_and_read_but_never_written() {
    let app = spawn_app(&[
        ("TRAVEL_SELECTION_LIMIT", "0"),
        ("TRAVEL_RANKING_EVERY", "off"),
    ])
    .await;
    let (status, body) = app.get_json("/api/v1/rankings/store").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], json!({"items": [], "count": 0}));
    let (status, body) = app.get_json("/api/v1/rankings/store/daily").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND");

    let (status, _, body) = update(&app, json!({"countries": ["JP", "US"]})).await;
    assert_eq!(status, 200, "{body}");
    update(&app, json!({"countries": ["JP"]})).await;
    let calculated = app
        .http
        .post(app.url("/api/v1/rankings/calculate?period=daily"))
        .send()
        .await
        .unwrap();
    assert_eq!(calculated.status().as_u16(), 200);

    let (status, body) = app.get_json("/api/v1/rankings/store").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["count"], 1, "{body}");
    assert_eq!(body["data"]["items"][0]["period"], "daily");
    assert!(body["data"]["items"][0]["last_updated"].is_string());

    let (status, body) = app.get_json("/api/v1/rankings/store/daily").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["period"], "daily");
    assert_eq!(data["total_selections"], 3);
    assert_eq!(data["ranking"][0]["country_code"], "JP");
    assert_eq!(data["ranking"][0]["score"], 2);
    assert_eq!(data["ranking"][0]["selection_count"], 2);
    assert_eq!(data["ranking"][1]["selection_count"], 1);
    assert_eq!(data["calculation_metadata"]["time_zone"], "Asia/Seoul");
    assert_eq!(data["calculation_metadata"]["counters_read"], 2);

    let (status, body) = app.get_json("/api/v1/rankings/store/weekly").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.get_json("/api/v1/rankings/store/yearly").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_PERIOD");

    let refused = app
        .http
        .post(app.url("/api/v1/rankings/store"))
        .json(&json!({"period": "daily", "ranking": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 405);
    assert_eq!(refused.headers()["allow"], "GET");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("computed from travellers' selections"),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn compare_and_forecast_also_answer_under_the_original_names() {
    let app = spawn_app(&[]).await;
    let (status, body) = app
        .get_json("/api/v1/history/compare?targets=USD,JPY,EUR&period=1m")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["currencies"].as_array().unwrap().len(), 3);
    assert_eq!(body["data"]["comparison"], body["data"]["currencies"]);

    let (status, body) = app.get_json("/api/v1/history/forecast/USD?days=7").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    let forecast = data["forecast"].as_array().unwrap();
    let original = data["forecast_data"].as_array().unwrap();
    assert_eq!(forecast.len(), 7);
    assert_eq!(original.len(), 7);
    for (point, same) in forecast.iter().zip(original) {
        assert_eq!(same["date"], point["date"]);
        assert_eq!(same["predicted_rate"], point["rate"]);
        assert_eq!(same["confidence_interval"]["lower"], point["lower"]);
        assert_eq!(same["confidence_interval"]["upper"], point["upper"]);
    }
    assert_eq!(data["confidence_level"], data["interval_level"]);
    assert_eq!(data["forecast_period"], "7 days");
    assert_eq!(data["forecast_date"], data["generated_at"]);
    assert!(data["forecast_date"].is_string());
    let (_, one) = app.get_json("/api/v1/history/forecast/JPY?days=1").await;
    assert_eq!(one["data"]["forecast_period"], "1 day");
    app.stop().await;
}

#[tokio::test]
async fn the_same_calls_over_grpc_web() {
    let app = spawn_app(&[
        ("TRAVEL_HASH_SALT", "pepper"),
        ("TRAVEL_SELECTION_LIMIT", "0"),
        ("TRAVEL_RANKING_EVERY", "off"),
    ])
    .await;
    let (service, origin) = app.grpc_web();
    let mut client = RankingServiceClient::with_origin(service, origin);
    let missing = client
        .get_stored_ranking(pb::GetStoredRankingRequest {
            period: "monthly".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let recorded = client
        .record_selections(pb::RecordSelectionsRequest {
            countries: vec!["vn".into(), "TH".into()],
            // Not the address the selection is counted under.
            client_ip: "203.0.113.9".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.updated_countries, ["VN", "TH"]);
    assert_eq!(recorded.selection_ids.len(), 2);
    let bad = client
        .record_selections(pb::RecordSelectionsRequest {
            countries: vec!["VN".into(), "ZZ".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    let info = bad.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "INVALID_COUNTRY_CODE");
    assert_eq!(info.metadata["parameter"], "countries");

    app.http
        .post(app.url("/api/v1/rankings/calculate?period=monthly"))
        .send()
        .await
        .unwrap();
    let list = client
        .list_stored_rankings(pb::ListStoredRankingsRequest {})
        .await
        .unwrap()
        .into_inner();
    let periods: Vec<&str> = list.items.iter().map(|i| i.period.as_str()).collect();
    assert_eq!(periods, ["monthly"]);
    let stored = client
        .get_stored_ranking(pb::GetStoredRankingRequest {
            period: "monthly".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let ranking = stored.ranking.expect("ranking");
    assert_eq!(ranking.total_selections, 2);
    assert_eq!(ranking.ranking.len(), 2);
    assert!(stored.calculation_metadata.is_some());
    app.stop().await;
}
