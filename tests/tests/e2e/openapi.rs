//! The OpenAPI document and the docs page: the document describes exactly the routes
//! the gateway serves, and the page works with nothing fetched from elsewhere.

use std::path::Path;

use serde_json::Value;
use travel_tests::app::{TestApp, spawn_app};

/// Every call of api-v1.md, the compatibility calls of the original clients included,
/// the probes, the live rate stream and the trip alerts.
const CONTRACT: [(&str, &str); 27] = [
    ("get", "/api/v1/currencies"),
    ("get", "/api/v1/currencies/latest"),
    ("get", "/api/v1/currencies/{currency_code}"),
    ("get", "/api/v1/currencies/price-index"),
    ("get", "/api/v1/price-index"),
    ("get", "/api/v1/convert"),
    ("get", "/api/v1/stream/rates"),
    ("get", "/api/v1/history"),
    ("get", "/api/v1/history/stats"),
    ("get", "/api/v1/history/compare"),
    ("get", "/api/v1/history/forecast/{currency_code}"),
    ("post", "/api/v1/rankings/selections"),
    ("get", "/api/v1/rankings"),
    ("get", "/api/v1/rankings/stats/{country_code}"),
    ("post", "/api/v1/rankings/calculate"),
    ("post", "/api/v1/rankings/update"),
    ("get", "/api/v1/rankings/store"),
    ("post", "/api/v1/rankings/store"),
    ("get", "/api/v1/rankings/store/{period}"),
    ("post", "/api/v1/alerts"),
    ("get", "/api/v1/alerts/{alert_id}"),
    ("delete", "/api/v1/alerts/{alert_id}"),
    ("get", "/api/v1/alerts/{alert_id}/events"),
    ("get", "/health"),
    ("get", "/version"),
    ("get", "/livez"),
    ("get", "/readyz"),
];

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    doc
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    all
}

#[tokio::test]
async fn the_document_lists_every_call_of_the_contract_and_nothing_else() {
    let app = spawn_app(&[]).await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    documented.sort();
    let mut contract: Vec<(String, String)> = CONTRACT
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    contract.sort();
    assert_eq!(documented, contract);

    // What every REST operation shares, added once for all.
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path}");
        let responses = operation["responses"].as_object().unwrap();
        for (status, response) in responses {
            assert_eq!(
                response["headers"]["X-Request-ID"]["required"], true,
                "{method} {path} {status}"
            );
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"];
                let body = schema["$ref"]
                    .as_str()
                    .or(schema["allOf"][0]["$ref"].as_str());
                assert!(
                    body.is_some_and(|r| r.ends_with("/ErrorEnvelope") || r.contains("Envelope")),
                    "{method} {path} {status}: {schema}"
                );
            }
        }
        if path.starts_with("/api/") {
            for status in ["429", "500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            assert!(
                responses["429"]["headers"]["Retry-After"]["required"] == true,
                "{method} {path}"
            );
            if method == "get" && !path.starts_with("/api/v1/stream/") && !path.ends_with("/events")
            {
                assert!(responses.contains_key("304"), "{method} {path}");
                assert!(responses["200"]["headers"].get("ETag").is_some());
            }
        }
    }

    // Constraints are stated, not only names.
    let rankings = &doc["paths"]["/api/v1/rankings"]["get"]["parameters"];
    let limit = rankings
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 100);
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "INVALID_CURRENCY_CODE",
        "RATE_LIMIT_EXCEEDED",
        "DATABASE_UNAVAILABLE",
    ] {
        assert!(
            codes.as_array().unwrap().contains(&Value::from(code)),
            "{codes}"
        );
    }
    let envelope = &doc["paths"]["/api/v1/currencies/latest"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"]["$ref"];
    let name = envelope.as_str().unwrap().rsplit('/').next().unwrap();
    let schema = &doc["components"]["schemas"][name];
    assert!(schema["properties"]["data"].is_object(), "{schema}");
    app.stop().await;
}

/// A value for a path parameter: its example, else its pattern's first choice.
fn path_value(operation: &Value, name: &str) -> String {
    let parameter = operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name && p["in"] == "path")
        .unwrap_or_else(|| panic!("path parameter {name} is documented"));
    if let Some(example) = parameter["example"].as_str() {
        return example.to_string();
    }
    let pattern = parameter["schema"]["pattern"].as_str().unwrap_or("x");
    pattern
        .trim_start_matches("^(")
        .split(['|', ')'])
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app(&[]).await;
    let doc = document(&app).await;
    let mut examples = 0;
    for (method, path, operation) in operations(&doc) {
        let mut url = path.clone();
        while let Some(start) = url.find('{') {
            let end = url[start..].find('}').unwrap() + start;
            let value = path_value(&operation, &url[start + 1..end]);
            url.replace_range(start..=end, &value);
        }
        // Required query parameters take their documented examples.
        let query: Vec<(String, String)> = operation["parameters"]
            .as_array()
            .map(|parameters| {
                parameters
                    .iter()
                    .filter(|p| p["in"] == "query" && p["required"] == true)
                    .filter_map(|p| {
                        let example = p["example"].as_str()?;
                        Some((p["name"].as_str()?.to_string(), example.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let request = match method.as_str() {
            "get" => app.http.get(app.url(&url)).query(&query),
            "post" => app
                .http
                .post(app.url(&url))
                .query(&query)
                .json(&serde_json::json!({"user_id": "openapi", "country_code": "JP", "countries": ["JP"]})),
            "delete" => app.http.delete(app.url(&url)),
            other => panic!("{other} {path}: no such method in this API"),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let streaming = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t == "text/event-stream");
        // A stream never ends: its status and type are the answer.
        let body: Value = if streaming {
            Value::Null
        } else {
            response.json().await.unwrap_or(Value::Null)
        };
        let unrouted = status == 404
            && body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no route"));
        assert!(
            !unrouted,
            "{method} {path} is documented but not routed: {body}"
        );
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{method} {url} answered {status}, not documented: {body}"
        );
        // The recorded example keeps the shape of the live answer.
        let example = &documented["content"]["application/json"]["example"]["data"];
        if let (Some(example), Some(live)) = (example.as_object(), body["data"].as_object()) {
            let keys = |map: &serde_json::Map<String, Value>| {
                let mut keys: Vec<String> = map.keys().cloned().collect();
                keys.sort();
                keys
            };
            assert_eq!(
                keys(example),
                keys(live),
                "{method} {path}: example vs answer"
            );
            examples += 1;
        }
    }
    // Every operation with an example answered 2xx to the call above and was compared.
    assert_eq!(examples, 18, "examples compared");
    app.stop().await;
}

/// Routes that are not REST operations: gRPC-Web (its own protocol, described by the
/// protos) and the document with its page.
fn undocumented_route(call: &str) -> bool {
    call.contains("_SERVICE}")
}

#[test]
fn no_route_is_added_outside_the_document() {
    // The REST routes come from `routes!(handler)`, which takes path and method from the
    // handler's `#[utoipa::path]`; a plain `.route(` would bypass the document.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../services/gateway/src");
    let mut stray = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, line) in text.lines().enumerate() {
                let call = line.trim();
                if (call.contains(".route(") || call.contains(".route_service("))
                    && !undocumented_route(call)
                {
                    stray.push(format!("{}:{}: {call}", path.display(), number + 1));
                }
            }
        }
    }
    assert!(
        stray.is_empty(),
        "routes outside the OpenAPI document: {stray:#?}"
    );
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let app = spawn_app(&[]).await;
    let page = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // Every asset the page loads is the gateway's own, and answers.
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            assets.push(part.split('"').next().unwrap().to_string());
        }
    }
    assert!(assets.len() >= 3, "{assets:?}");
    for asset in &assets {
        assert!(
            !asset.contains("://"),
            "the page loads {asset} from elsewhere"
        );
        let url = app.url(&format!("/docs/{}", asset.trim_start_matches("./")));
        let response = app.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
    // The initializer points at this gateway's document and at no validator.
    let init = app
        .http
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    assert!(!init.contains("validator.swagger.io"), "{init}");
    app.stop().await;
}
