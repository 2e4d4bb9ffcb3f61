//! HTTP caching of successful reads: a validator from the data, freshness from the
//! data's age, and `304 Not Modified` for a client that already holds the answer.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::envelope::Freshness;

/// A closed window of past days does not change (until a source corrects a day).
pub const CLOSED_DAYS: Duration = Duration::from_secs(24 * 3600);

/// Sets `ETag`, `Cache-Control` and `Last-Modified` of a 200 answer whose `data` is
/// `data`. The tag is of the data, not of the envelope: the envelope's `timestamp` is
/// the time of the answer and would make every answer new. It is weak (`W/`): the same
/// data is sent as identity, gzip or br bytes, and the envelope's time differs.
pub fn describe(headers: &mut HeaderMap, data: &[u8], freshness: Freshness) {
    let digest = Sha256::digest(data);
    let tag = format!("W/\"{}\"", hex::encode(&digest[..16]));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    let control = match freshness.max_age {
        Some(age) if !age.is_zero() => format!("public, max-age={}", age.as_secs()),
        _ => "no-cache".to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    if let Some(value) = freshness
        .last_modified
        .and_then(|at| HeaderValue::from_str(&http_date(at)).ok())
    {
        headers.insert(header::LAST_MODIFIED, value);
    }
}

/// RFC 9110's IMF-fixdate (httpdate: a tenth of the cost of a chrono format string,
/// on every read).
fn http_date(at: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(at.into())
}

/// Whether an `If-None-Match` list names `tag` (weak comparison, RFC 9110 §13.1.2).
fn none_match(list: &HeaderValue, tag: &HeaderValue) -> bool {
    let (Ok(list), Ok(tag)) = (list.to_str(), tag.to_str()) else {
        return false;
    };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let tag = opaque(tag);
    list.split(',')
        .any(|candidate| candidate.trim() == "*" || opaque(candidate) == tag)
}

/// Answers a GET or HEAD whose `If-None-Match` names the answer's tag with `304` and
/// no body; every other header (request id, rate limit, caching) stays.
pub async fn conditional(request: Request, next: Next) -> Response {
    let conditional = matches!(*request.method(), Method::GET | Method::HEAD)
        .then(|| request.headers().get(header::IF_NONE_MATCH).cloned())
        .flatten();
    let response = next.run(request).await;
    let Some(list) = conditional else {
        return response;
    };
    let unchanged = response.status() == StatusCode::OK
        && response
            .headers()
            .get(header::ETAG)
            .is_some_and(|tag| none_match(&list, tag));
    if !unchanged {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.status = StatusCode::NOT_MODIFIED;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_star() {
        let tag = HeaderValue::from_static("W/\"abc\"");
        for list in ["W/\"abc\"", "\"abc\"", "\"x\", W/\"abc\"", "*"] {
            assert!(
                none_match(&HeaderValue::from_str(list).unwrap(), &tag),
                "{list}"
            );
        }
        for list in ["\"abd\"", "", "W/\"ab\""] {
            assert!(
                !none_match(&HeaderValue::from_str(list).unwrap(), &tag),
                "{list}"
            );
        }
    }

    #[test]
    fn the_tag_follows_the_data_and_freshness_sets_the_headers() {
        let mut first = HeaderMap::new();
        describe(&mut first, br#"{"a":1}"#, Freshness::default());
        let mut again = HeaderMap::new();
        let at = DateTime::parse_from_rfc3339("2026-10-30T15:00:00Z")
            .unwrap()
            .to_utc();
        let freshness = Freshness {
            max_age: Some(CLOSED_DAYS),
            last_modified: Some(at),
        };
        describe(&mut again, br#"{"a":1}"#, freshness);
        assert_eq!(first[header::ETAG], again[header::ETAG]);
        assert_eq!(first[header::CACHE_CONTROL], "no-cache");
        assert_eq!(again[header::CACHE_CONTROL], "public, max-age=86400");
        assert_eq!(
            again[header::LAST_MODIFIED],
            "Fri, 30 Oct 2026 15:00:00 GMT"
        );
        let mut other = HeaderMap::new();
        describe(&mut other, br#"{"a":2}"#, Freshness::default());
        assert_ne!(first[header::ETAG], other[header::ETAG]);
    }
}
