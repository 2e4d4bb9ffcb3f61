//! The ranking service end to end on the all-in-one: selections through the gateway's
//! REST routes and gRPC-Web, rankings and stats read back, bad input rejected with
//! the contract's codes, the per-IP selection budget, the operator key and the stored
//! hashes.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tonic_types::StatusExt;
use travel_proto::ranking::v1 as pb;
use travel_proto::ranking::v1::ranking_service_client::RankingServiceClient;
use travel_selections::{SelectionStore, SelectionStoreConfig};
use travel_tests::app::{TestApp, spawn_app};

const UNLIMITED: (&str, &str) = ("TRAVEL_SELECTION_LIMIT", "0");

fn seoul_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Seoul)
        .date_naive()
}

async fn select(app: &TestApp, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    app.post_json("/api/v1/rankings/selections", &body).await
}

async fn select_many(app: &TestApp, picks: &[(&str, usize)]) {
    for (country, times) in picks {
        for i in 0..*times {
            let (status, _, body) = select(
                app,
                json!({"user_id": format!("user-{country}-{i}"), "country_code": country}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
    }
}

async fn calculate(app: &TestApp) {
    let response = app
        .http
        .post(app.url("/api/v1/rankings/calculate"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

fn table(body: &Value) -> Vec<(String, u64, String, Value)> {
    body["data"]["ranking"]
        .as_array()
        .expect("ranking array")
        .iter()
        .map(|e| {
            (
                e["country_code"].as_str().unwrap().to_string(),
                e["score"].as_u64().unwrap(),
                e["change"].as_str().unwrap().to_string(),
                e["change_value"].clone(),
            )
        })
        .collect()
}

async fn selection_store(app: &TestApp) -> std::sync::Arc<dyn SelectionStore> {
    let url = format!("sqlite://{}/selections.db", app.data_dir().display());
    travel_selections::connect(&SelectionStoreConfig::new(url.parse().unwrap()))
        .await
        .unwrap()
}

#[tokio::test]
async fn selections_become_rankings_with_changes_and_pages() {
    let app = spawn_app(&[UNLIMITED]).await;
    select_many(&app, &[("JP", 5), ("VN", 3), ("US", 3), ("TH", 1)]).await;

    // Never calculated yet: the answer is calculated from the counters on the spot.
    let (status, body) = app.get_json("/api/v1/rankings?period=daily").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["period"], "daily");
    assert_eq!(data["total_selections"], 12);
    assert_eq!(data["period_start"], seoul_today().to_string());
    assert_eq!(data["period_end"], seoul_today().to_string());
    assert_eq!(
        table(&body),
        [
            ("JP".to_string(), 5, "NEW".to_string(), Value::Null),
            ("US".to_string(), 3, "NEW".to_string(), Value::Null),
            ("VN".to_string(), 3, "NEW".to_string(), Value::Null),
            ("TH".to_string(), 1, "NEW".to_string(), Value::Null),
        ]
    );
    let first = &data["ranking"][0];
    assert_eq!(first["rank"], 1);
    assert_eq!(first["country_name"], "일본");
    assert_eq!(first["country_name_en"], "Japan");
    assert_eq!(first["percentage"], 41.67);
    assert_eq!(first["previous_rank"], Value::Null);

    calculate(&app).await;
    select_many(&app, &[("VN", 3)]).await;
    calculate(&app).await;
    for period in ["daily", "weekly", "monthly"] {
        let (status, body) = app
            .get_json(&format!("/api/v1/rankings?period={period}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["total_selections"], 15, "{period}");
        assert_eq!(
            table(&body),
            [
                ("VN".to_string(), 6, "UP".to_string(), json!(2)),
                ("JP".to_string(), 5, "DOWN".to_string(), json!(-1)),
                ("US".to_string(), 3, "DOWN".to_string(), json!(-1)),
                ("TH".to_string(), 1, "SAME".to_string(), json!(0)),
            ],
            "{period}"
        );
        assert_eq!(body["data"]["ranking"][0]["previous_rank"], 3);
        assert!(body["data"]["last_updated"].is_string());
    }

    // Pages of two: the second page holds ranks 3 and 4.
    let (_, page) = app
        .get_json("/api/v1/rankings?period=weekly&limit=2&offset=2")
        .await;
    let ranks: Vec<u64> = page["data"]["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, [3, 4]);
    assert_eq!(
        page["data"]["pagination"],
        json!({"current_page": 2, "total_pages": 2, "has_next": false, "has_previous": true,
               "limit": 2, "offset": 2, "total_entries": 4})
    );
    let (_, first_page) = app.get_json("/api/v1/rankings?limit=3").await;
    assert_eq!(first_page["data"]["pagination"]["has_next"], true);
    assert_eq!(first_page["data"]["pagination"]["has_previous"], false);
    assert_eq!(first_page["data"]["period"], "daily");
    let (_, beyond) = app.get_json("/api/v1/rankings?offset=50").await;
    assert_eq!(beyond["data"]["ranking"], json!([]));
    assert_eq!(beyond["data"]["total_selections"], 15);
    app.stop().await;
}

#[tokio::test]
async fn country_stats_with_daily_ranks() {
    let app = spawn_app(&[UNLIMITED]).await;
    select_many(&app, &[("JP", 2), ("AU", 4)]).await;
    let (status, body) = app.get_json("/api/v1/rankings/stats/jp?period=7d").await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["country_code"], "JP");
    assert_eq!(data["country_name_en"], "Japan");
    assert_eq!(data["period"], "7d");
    assert_eq!(data["statistics"]["total_selections"], 2);
    assert_eq!(data["statistics"]["daily_average"], 0.29);
    assert_eq!(data["statistics"]["peak_day"], seoul_today().to_string());
    assert_eq!(data["statistics"]["peak_selections"], 2);
    // Nothing in the first half of the window: no growth rate can be computed.
    assert_eq!(data["statistics"]["growth_rate"], Value::Null);
    let days = data["daily_breakdown"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(
        days[6],
        json!({"date": seoul_today().to_string(), "count": 2, "rank": 2})
    );
    assert_eq!(days[0]["count"], 0);
    assert_eq!(days[0]["rank"], Value::Null);

    let (_, month) = app.get_json("/api/v1/rankings/stats/AU?period=90d").await;
    assert_eq!(
        month["data"]["daily_breakdown"].as_array().unwrap().len(),
        90
    );
    assert_eq!(month["data"]["statistics"]["total_selections"], 4);
    let (_, default) = app.get_json("/api/v1/rankings/stats/EU").await;
    assert_eq!(default["data"]["period"], "7d");
    assert_eq!(default["data"]["statistics"]["total_selections"], 0);
    assert_eq!(default["data"]["statistics"]["peak_day"], Value::Null);
    app.stop().await;
}

async fn expect_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
    parameter: Option<&str>,
) {
    assert_eq!(response.status().as_u16(), status);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.expect("error envelope is JSON");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    if let Some(parameter) = parameter {
        assert_eq!(body["error"]["details"]["parameter"], parameter, "{body}");
    }
}

#[tokio::test]
async fn bad_inputs_get_the_contract_codes() {
    let app = spawn_app(&[UNLIMITED]).await;
    let post = |body: String, content_type: &'static str| {
        app.http
            .post(app.url("/api/v1/rankings/selections"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let json_type = "application/json";
    let long = "x".repeat(101);
    let cases: Vec<(String, &str, u16, &str, Option<&str>)> = vec![
        (
            json!({"country_code": "JP"}).to_string(),
            json_type,
            400,
            "MISSING_PARAMETER",
            Some("user_id"),
        ),
        (
            json!({"user_id": "  ", "country_code": "JP"}).to_string(),
            json_type,
            400,
            "MISSING_PARAMETER",
            Some("user_id"),
        ),
        (
            json!({"user_id": "u1"}).to_string(),
            json_type,
            400,
            "MISSING_PARAMETER",
            Some("country_code"),
        ),
        (
            json!({"user_id": long, "country_code": "JP"}).to_string(),
            json_type,
            400,
            "INVALID_PARAMETER",
            Some("user_id"),
        ),
        (
            json!({"user_id": 42, "country_code": "JP"}).to_string(),
            json_type,
            400,
            "INVALID_PARAMETER",
            Some("user_id"),
        ),
        (
            json!({"user_id": "u1", "country_code": "XX"}).to_string(),
            json_type,
            400,
            "INVALID_COUNTRY_CODE",
            Some("country_code"),
        ),
        (
            json!({"user_id": "u1", "country_code": "JPN"}).to_string(),
            json_type,
            400,
            "INVALID_COUNTRY_CODE",
            Some("country_code"),
        ),
        (
            json!({"user_id": "u1", "country_code": "J1"}).to_string(),
            json_type,
            400,
            "INVALID_COUNTRY_CODE",
            Some("country_code"),
        ),
        (
            json!({"user_id": "u1", "country_code": "JP", "session_id": "s".repeat(101)})
                .to_string(),
            json_type,
            400,
            "INVALID_PARAMETER",
            Some("session_id"),
        ),
        (
            json!({"user_id": "u1", "country_code": "JP", "referrer": "r".repeat(501)}).to_string(),
            json_type,
            400,
            "INVALID_PARAMETER",
            Some("referrer"),
        ),
        (
            "{\"user_id\": \"u1\", ".to_string(),
            json_type,
            400,
            "INVALID_PARAMETER",
            Some("body"),
        ),
        (
            "[1, 2]".to_string(),
            json_type,
            400,
            "INVALID_PARAMETER",
            Some("body"),
        ),
        (
            json!({"user_id": "u1", "country_code": "JP"}).to_string(),
            "text/plain",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            Some("content-type"),
        ),
        (
            "user_id=u1&country_code=JP".to_string(),
            "application/x-www-form-urlencoded",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            Some("content-type"),
        ),
    ];
    for (body, content_type, status, code, parameter) in cases {
        let response = post(body.clone(), content_type).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        expect_error(response, status, code, parameter).await;
    }
    // Nothing above was stored.
    let (_, rankings) = app.get_json("/api/v1/rankings").await;
    assert_eq!(rankings["data"]["total_selections"], 0);

    for (query, code, parameter) in [
        ("period=yearly", "INVALID_PERIOD", "period"),
        ("limit=0", "INVALID_PARAMETER", "limit"),
        ("limit=1000", "INVALID_PARAMETER", "limit"),
        ("limit=ten", "INVALID_PARAMETER", "limit"),
        ("offset=-1", "INVALID_PARAMETER", "offset"),
        ("offset=1.5", "INVALID_PARAMETER", "offset"),
    ] {
        let response = app
            .http
            .get(app.url(&format!("/api/v1/rankings?{query}")))
            .send()
            .await
            .unwrap();
        expect_error(response, 400, code, Some(parameter)).await;
    }
    for (path, code, parameter) in [
        (
            "/api/v1/rankings/stats/JP?period=1y",
            "INVALID_PERIOD",
            "period",
        ),
        (
            "/api/v1/rankings/stats/ZZ",
            "INVALID_COUNTRY_CODE",
            "country_code",
        ),
        (
            "/api/v1/rankings/stats/JAPAN",
            "INVALID_COUNTRY_CODE",
            "country_code",
        ),
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        expect_error(response, 400, code, Some(parameter)).await;
    }
    let response = app
        .http
        .post(app.url("/api/v1/rankings/calculate?period=hourly"))
        .send()
        .await
        .unwrap();
    expect_error(response, 400, "INVALID_PERIOD", Some("period")).await;
    let response = app
        .http
        .get(app.url("/api/v1/rankings/selections"))
        .send()
        .await
        .unwrap();
    expect_error(response, 405, "METHOD_NOT_ALLOWED", None).await;
    app.stop().await;
}

#[tokio::test]
async fn selections_per_client_ip_are_limited() {
    let app = spawn_app(&[
        ("TRAVEL_SELECTION_LIMIT", "3"),
        ("TRAVEL_SELECTION_LIMIT_WINDOW", "1m"),
    ])
    .await;
    for remaining in [2, 1, 0] {
        let (status, headers, body) =
            select(&app, json!({"user_id": "u", "country_code": "JP"})).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(headers["x-ratelimit-limit"], "3");
        assert_eq!(
            headers["x-ratelimit-remaining"],
            remaining.to_string().as_str()
        );
        assert_eq!(headers["x-ratelimit-window"], "60");
    }
    let (status, headers, body) = select(&app, json!({"user_id": "u", "country_code": "JP"})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(headers["x-ratelimit-limit"], "3");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let reset: u64 = headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    assert!(reset > now && reset <= now + 61, "{reset} vs {now}");
    // The rejected selection was not counted.
    let (_, rankings) = app.get_json("/api/v1/rankings").await;
    assert_eq!(rankings["data"]["total_selections"], 3);
    // Reading is not limited by the selection budget.
    let (status, _) = app.get_json("/api/v1/rankings/stats/JP").await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn recalculation_needs_the_operator_key_when_one_is_set() {
    let app = spawn_app(&[UNLIMITED, ("TRAVEL_OPERATOR_API_KEY", "op-key-123")]).await;
    let url = app.url("/api/v1/rankings/calculate?period=weekly");
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some("op-key-123"),
        Some("Basic op-key-123"),
    ] {
        let mut request = app.http.post(&url);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        expect_error(request.send().await.unwrap(), 401, "UNAUTHORIZED", None).await;
    }
    select_many(&app, &[("GB", 2)]).await;
    let response = app
        .http
        .post(&url)
        .header("authorization", "Bearer op-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["periods"], json!(["weekly"]));
    assert_eq!(body["data"]["results"][0]["total_selections"], 2);
    assert_eq!(body["data"]["results"][0]["entries"], 1);
    app.stop().await;
}

fn salted(salt: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(value.as_bytes());
    hex::encode(hasher.finalize())
}

#[tokio::test]
async fn only_salted_hashes_of_ip_and_agent_are_stored() {
    let app = spawn_app(&[UNLIMITED, ("TRAVEL_HASH_SALT", "pepper")]).await;
    let response = app
        .http
        .post(app.url("/api/v1/rankings/selections"))
        .header("user-agent", "TripApp/1.0")
        .json(&json!({"user_id": "hash-user", "country_code": "CH", "session_id": "s-1", "referrer": "home"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["selection_date"], seoul_today().to_string());
    let id = body["data"]["selection_id"].as_str().unwrap().to_string();

    let store = selection_store(&app).await;
    let today = seoul_today();
    let stored = store
        .selections_for_country("CH", today, today, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let selection = &stored[0];
    assert_eq!(selection.selection_id, id);
    assert_eq!(selection.user_id, "hash-user");
    assert_eq!(selection.session_id.as_deref(), Some("s-1"));
    assert_eq!(selection.referrer.as_deref(), Some("home"));
    assert_eq!(
        selection.ip_hash.as_deref(),
        Some(salted("pepper", "127.0.0.1").as_str())
    );
    assert_eq!(
        selection.user_agent_hash.as_deref(),
        Some(salted("pepper", "TripApp/1.0").as_str())
    );
    // Raw selections expire after the retention (90 days by default); counters stay.
    // (The expiry is kept to the second, like a DynamoDB TTL attribute.)
    let kept = (selection.expires_at - selection.selected_at).num_seconds();
    assert!((90 * 86_400 - 1..=90 * 86_400).contains(&kept), "{kept}");
    app.stop().await;
}

fn grpc_web_client(app: &TestApp) -> RankingServiceClient<travel_tests::app::GrpcWeb> {
    let (service, origin) = app.grpc_web();
    RankingServiceClient::with_origin(service, origin)
}

#[tokio::test]
async fn grpc_web_through_the_gateway() {
    let app = spawn_app(&[
        ("TRAVEL_HASH_SALT", "pepper"),
        ("TRAVEL_SELECTION_LIMIT", "2"),
    ])
    .await;
    let mut client = grpc_web_client(&app);
    // A browser cannot choose the address its selection is counted under.
    let recorded = client
        .record_selection(pb::RecordSelectionRequest {
            user_id: "web-user".into(),
            country_code: "th".into(),
            client_ip: "203.0.113.9".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!recorded.selection_id.is_empty());
    let store = selection_store(&app).await;
    let today = seoul_today();
    let stored = store
        .selections_for_country("TH", today, today, 10)
        .await
        .unwrap();
    assert_eq!(
        stored[0].ip_hash.as_deref(),
        Some(salted("pepper", "127.0.0.1").as_str())
    );

    let rankings = client
        .get_rankings(pb::GetRankingsRequest {
            period: "monthly".into(),
            limit: Some(5),
            offset: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rankings.total_selections, 1);
    assert_eq!(rankings.ranking[0].country_code, "TH");
    assert_eq!(rankings.ranking[0].country_name_en, "Thailand");

    let status = client
        .get_rankings(pb::GetRankingsRequest {
            period: "yearly".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "INVALID_PERIOD"
    );

    // The budget applies to gRPC-Web too (2 per window: one spent above).
    let request = || pb::RecordSelectionRequest {
        user_id: "web-user".into(),
        country_code: "TH".into(),
        ..Default::default()
    };
    client.record_selection(request()).await.unwrap();
    let status = client.record_selection(request()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "RATE_LIMIT_EXCEEDED"
    );

    let stats = client
        .get_country_stats(pb::GetCountryStatsRequest {
            country_code: "TH".into(),
            period: "30d".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.total_selections, 2);
    assert_eq!(stats.daily_breakdown.len(), 30);
    app.stop().await;
}

/// The same service on DynamoDB (moto in `make test-infra`): selections through the
/// gateway land in the legacy table layout, rankings and stats read its counters.
#[cfg(feature = "infra")]
#[tokio::test]
async fn on_dynamodb_through_the_gateway() {
    let tables = travel_tests::infra::DynamoDbTables::new().await;
    let config = tables.config.clone();
    let endpoint = config.endpoint.clone().unwrap();
    let app = spawn_app(&[
        UNLIMITED,
        ("TRAVEL_HASH_SALT", "pepper"),
        ("TRAVEL_SELECTIONS_URL", "dynamodb://"),
        ("TRAVEL_SELECTIONS_TABLE", &config.selections_table),
        ("TRAVEL_RANKING_RESULTS_TABLE", &config.results_table),
        ("TRAVEL_DYNAMODB_ENDPOINT", &endpoint),
        ("TRAVEL_DYNAMODB_REGION", "ap-northeast-2"),
        ("TRAVEL_DYNAMODB_CREATE_TABLES", "true"),
    ])
    .await;
    select_many(&app, &[("JP", 3), ("VN", 2), ("GB", 2)]).await;
    calculate(&app).await;
    let (status, body) = app.get_json("/api/v1/rankings?period=weekly").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["total_selections"], 7);
    assert_eq!(
        table(&body),
        [
            ("JP".to_string(), 3, "NEW".to_string(), Value::Null),
            ("GB".to_string(), 2, "NEW".to_string(), Value::Null),
            ("VN".to_string(), 2, "NEW".to_string(), Value::Null),
        ]
    );
    let (_, stats) = app.get_json("/api/v1/rankings/stats/VN?period=7d").await;
    assert_eq!(stats["data"]["statistics"]["total_selections"], 2);
    assert_eq!(
        stats["data"]["daily_breakdown"][6],
        json!({"date": seoul_today().to_string(), "count": 2, "rank": 3})
    );

    // The stored items: the legacy keys, the hash, the TTL attribute, and the result.
    let today = seoul_today().to_string();
    let items = tables
        .client
        .query()
        .table_name(&config.selections_table)
        .index_name("country-date-index")
        .key_condition_expression("country_code = :c AND selection_date = :d")
        .expression_attribute_values(
            ":c",
            aws_sdk_dynamodb::types::AttributeValue::S("JP".into()),
        )
        .expression_attribute_values(":d", aws_sdk_dynamodb::types::AttributeValue::S(today))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 3);
    for item in &items {
        let key = item["selection_timestamp_userid"].as_s().unwrap();
        assert!(
            key.ends_with(&format!("#{}", item["user_id"].as_s().unwrap())),
            "{key}"
        );
        assert_eq!(
            item["ip_hash"].as_s().unwrap(),
            &salted("pepper", "127.0.0.1")
        );
        assert!(item["expires_at"].as_n().is_ok());
    }
    let result = tables
        .client
        .get_item()
        .table_name(&config.results_table)
        .key(
            "period",
            aws_sdk_dynamodb::types::AttributeValue::S("weekly".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("weekly ranking stored");
    assert_eq!(result["ranking"].as_l().unwrap().len(), 3);
    app.stop().await;
    tables.delete().await;
}
