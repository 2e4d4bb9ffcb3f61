//! HTTP caching at the gateway: validators from the data, 304s, freshness by window,
//! and compressed answers.

use std::io::Read;

use reqwest::header::{self, HeaderMap};
use travel_tests::app::{TestApp, spawn_app};

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, Vec<u8>) {
    let mut request = app.http.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_held_answer_is_a_304_without_a_body() {
    let app = spawn_app(&[]).await;
    let path = "/api/v1/currencies/latest?symbols=USD,JPY";
    // The first read fills the rate cache (`cache_hit` is part of the data).
    get(&app, path, &[]).await;
    let (status, first, _) = get(&app, path, &[]).await;
    assert_eq!(status, 200);
    let tag = first[header::ETAG].to_str().unwrap().to_string();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(first[header::CACHE_CONTROL], "no-cache");
    // The newest quote of the shipped data: the ECB's 2026-10-30 fixing.
    let modified = first[header::LAST_MODIFIED].to_str().unwrap();
    assert!(modified.starts_with("Fri, 30 Oct 2026 "), "{modified}");

    // Same data a second later: the same tag although the envelope's time moved.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, again, _) = get(&app, path, &[]).await;
    assert_eq!(again[header::ETAG].to_str().unwrap(), tag);

    for held in [tag.as_str(), "\"other\", W/\"x\"", "*"] {
        let (status, headers, body) = get(&app, path, &[("if-none-match", held)]).await;
        if held.contains("other") {
            assert_eq!(status, 200);
            continue;
        }
        assert_eq!(status, 304, "{held}");
        assert!(body.is_empty());
        assert_eq!(headers[header::ETAG].to_str().unwrap(), tag);
        assert!(headers.contains_key("x-request-id"));
        assert!(headers.contains_key("x-ratelimit-remaining"));
        assert!(!headers.contains_key(header::CONTENT_TYPE));
    }
    // Other data, another tag; errors carry none.
    let (_, other, _) = get(&app, "/api/v1/currencies/latest?symbols=EUR", &[]).await;
    assert_ne!(other[header::ETAG].to_str().unwrap(), tag);
    let (status, error, _) = get(
        &app,
        "/api/v1/currencies/latest?symbols=XYZ",
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(!error.contains_key(header::ETAG));
    // POST answers are never 304.
    let response = app
        .http
        .post(app.url("/api/v1/rankings/calculate?period=daily"))
        .header("if-none-match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    app.stop().await;
}

#[tokio::test]
async fn closed_windows_are_long_lived_and_moving_ones_revalidate() {
    let app = spawn_app(&[]).await;
    let (_, closed, _) = get(
        &app,
        "/api/v1/history?target=USD&start=2026-10-01&end=2026-10-30",
        &[],
    )
    .await;
    assert_eq!(closed[header::CACHE_CONTROL], "public, max-age=86400");
    assert_eq!(closed[header::VARY], "accept");
    let (_, moving, _) = get(&app, "/api/v1/history?target=USD&period=1m", &[]).await;
    assert_eq!(moving[header::CACHE_CONTROL], "no-cache");
    app.stop().await;
}

#[tokio::test]
async fn large_answers_are_compressed_as_asked() {
    let app = spawn_app(&[]).await;
    let path = "/api/v1/history?target=USD&period=1y";
    let (_, plain_headers, plain) = get(&app, path, &[]).await;
    assert!(!plain_headers.contains_key(header::CONTENT_ENCODING));
    let plain: serde_json::Value = serde_json::from_slice(&plain).unwrap();

    let (status, headers, gzipped) = get(&app, path, &[("accept-encoding", "gzip")]).await;
    assert_eq!(status, 200);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let vary: Vec<&str> = headers
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        vary.contains(&"accept-encoding") && vary.contains(&"accept"),
        "{vary:?}"
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_string(&mut text)
        .unwrap();
    let decoded: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(decoded["data"], plain["data"]);
    assert!(
        gzipped.len() * 3 < text.len(),
        "{} of {}",
        gzipped.len(),
        text.len()
    );

    let (_, headers, brotli) = get(&app, path, &[("accept-encoding", "br")]).await;
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    let mut text = String::new();
    brotli::Decompressor::new(&brotli[..], 4096)
        .read_to_string(&mut text)
        .unwrap();
    let decoded: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(decoded["data"], plain["data"]);

    // The CSV export is compressed too; a small answer is not.
    let (_, headers, _) = get(
        &app,
        "/api/v1/history?target=USD&period=1y&format=csv",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let (_, headers, _) = get(
        &app,
        "/api/v1/currencies/latest?symbols=USD",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    app.stop().await;
}
