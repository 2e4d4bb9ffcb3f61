//! The web app as the gateway serves it: the page at `/` and at each of the app's
//! routes (revalidated, with a strict Content-Security-Policy), its hashed assets
//! cached for a year, and every other path still the API's enveloped 404. The
//! browser tests (`make test-web`) drive the app itself.

use travel_tests::app::spawn_app;

#[tokio::test]
async fn the_page_its_routes_and_assets_are_served_and_the_api_keeps_its_paths() {
    let app = spawn_app(&[]).await;
    let http = reqwest::Client::new();
    let page = http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(headers["cache-control"], "no-cache");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"));
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let body = page.text().await.unwrap();

    // The browser routes these: the same page.
    for path in ["/currency/JPY", "/compare", "/rankings", "/price"] {
        let response = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }
    // Revalidation by ETag: 304, no body.
    let etag = headers["etag"].clone();
    let again = http
        .get(app.url("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    if body.contains(r#"id="app""#) {
        // The built app: every script and style it names is served, cached for good.
        let assets: Vec<&str> = body
            .split('"')
            .filter(|part| part.starts_with("/assets/"))
            .collect();
        assert!(assets.iter().any(|a| a.ends_with(".js")), "{body}");
        for asset in assets {
            let response = http.get(app.url(asset)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{asset}");
            assert_eq!(
                response.headers()["cache-control"],
                "public, max-age=31536000, immutable",
                "{asset}"
            );
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(
                (asset.ends_with(".js") && kind.contains("javascript"))
                    || (asset.ends_with(".css") && kind.starts_with("text/css"))
                    || !(asset.ends_with(".js") || asset.ends_with(".css")),
                "{asset}: {kind}"
            );
        }
        // No inline script: the policy would block it.
        assert!(!body.contains("<script>"), "{body}");
    } else {
        // A Rust-only build: an honest page instead of the app.
        assert!(body.contains("was not built"), "{body}");
    }

    // Everything else keeps its meaning: the API's envelope, not the page.
    for path in [
        "/api/v1/nowhere",
        "/nowhere",
        "/currency/JP",
        "/assets/missing.js",
    ] {
        let (status, error) = app.get_json(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(error["error"]["code"], "NOT_FOUND", "{path}");
    }
    // A browser lost on an unknown page gets the app (its not-found view), as a 404.
    let lost = http
        .get(app.url("/no/such/page"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), 404);
    assert_eq!(lost.text().await.unwrap(), body);
    let (status, latest) = app.get_json("/api/v1/currencies/latest?symbols=USD").await;
    assert_eq!(status, 200);
    assert_eq!(latest["success"], true);
    assert_eq!(
        http.get(app.url("/docs/")).send().await.unwrap().status(),
        200
    );
    app.stop().await;
}
