//! The traveller web app (`web/`, built by Vite), embedded in the binary and served at
//! `/`: hashed assets cached for a year, `index.html` revalidated on every visit, the
//! app's own routes answered with `index.html` (it routes in the browser), and a
//! strict Content-Security-Policy on every page. Everything else falls through to the
//! API's enveloped 404, so `/api/`, `/docs` and the probes keep their meaning — except
//! that a browser navigating to an unknown page (it asks for HTML) gets the app with
//! status 404, which shows its not-found view and a way home.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Same origin only: no inline script or style, nothing from another host.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Vite names the files under `assets/` by their content hash: safe to keep forever.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed files (the icon): a day, then revalidated by ETag.
const SHORT: &str = "public, max-age=86400";
/// The page names the current assets: always revalidate (a cheap 304 by ETag).
const REVALIDATE: &str = "no-cache";

/// Paths the app routes itself (`web/src`): the page, with the screen chosen in the
/// browser.
fn is_app_route(path: &str) -> bool {
    match path {
        "/" | "/compare" | "/rankings" | "/price" => true,
        _ => path
            .strip_prefix("/currency/")
            .is_some_and(|code| code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic())),
    }
}

/// A browser's navigation to a page that does not exist: it asks for HTML, and the
/// path is neither the API's nor a file's.
fn is_page_navigation(path: &str, headers: &HeaderMap) -> bool {
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let last = path.rsplit('/').next().unwrap_or("");
    html && !path.starts_with("/api/") && !last.contains('.')
}

/// The router's fallback: an asset, the page for an app route, or the API's 404.
pub async fn fallback(method: Method, uri: Uri, request_headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = uri.path();
    let file = path.trim_start_matches('/');
    // The page answers the app's paths; its own name is not one of them.
    let found = (file != "index.html").then(|| Assets::get(file)).flatten();
    let page = || Assets::get("index.html");
    let (asset, status, cache) = if is_app_route(path) {
        (page(), StatusCode::OK, REVALIDATE)
    } else if let Some(asset) = found {
        let cache = if file.starts_with("assets/") {
            IMMUTABLE
        } else {
            SHORT
        };
        (Some(asset), StatusCode::OK, cache)
    } else if is_page_navigation(path, &request_headers) {
        (page(), StatusCode::NOT_FOUND, REVALIDATE)
    } else {
        (None, StatusCode::NOT_FOUND, REVALIDATE)
    };
    let Some(asset) = asset else {
        // The envelope middleware renders it, naming the path.
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&asset.metadata.sha256_hash()[..16]));
    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(asset.data)
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let static_header = HeaderValue::from_static;
    if let Ok(mime) = HeaderValue::from_str(asset.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(header::CACHE_CONTROL, static_header(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        static_header(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, static_header("nosniff"));
    headers.insert(header::REFERRER_POLICY, static_header("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_paths_get_the_page() {
        for path in [
            "/",
            "/compare",
            "/rankings",
            "/price",
            "/currency/JPY",
            "/currency/usd",
        ] {
            assert!(is_app_route(path), "{path}");
        }
        for path in [
            "/api/v1/currencies",
            "/docs",
            "/health",
            "/currency/",
            "/currency/JPYY",
            "/currency/JP/x",
            "/compare/x",
            "/index.html",
        ] {
            assert!(!is_app_route(path), "{path}");
        }
    }

    #[tokio::test]
    async fn the_page_is_revalidated_and_locked_down() {
        let response = fallback(
            Method::GET,
            Uri::from_static("/currency/JPY"),
            HeaderMap::new(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CACHE_CONTROL], REVALIDATE);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY
        );
        assert!(headers.contains_key(header::ETAG));
    }

    #[tokio::test]
    async fn unknown_paths_and_other_methods_are_not_found() {
        for (method, path) in [
            (Method::GET, "/nothing-here.js"),
            (Method::GET, "/index.html"),
            (Method::POST, "/"),
        ] {
            let response = fallback(method.clone(), Uri::from_static(path), HeaderMap::new()).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        }
    }

    #[tokio::test]
    async fn a_browser_lost_on_an_unknown_page_gets_the_app_with_a_404() {
        let mut browser = HeaderMap::new();
        browser.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        let page = fallback(
            Method::GET,
            Uri::from_static("/no/such/page"),
            browser.clone(),
        )
        .await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        // The API's paths and missing files stay the envelope's.
        for path in ["/api/v1/nowhere", "/assets/missing.js"] {
            let response = fallback(Method::GET, Uri::from_static(path), browser.clone()).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(
                !response.headers().contains_key(header::CONTENT_TYPE),
                "{path}"
            );
        }
    }
}
