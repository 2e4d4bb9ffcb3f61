//! ExchangeRate-API open access (`open.er-api.com/v6/latest/{BASE}`): units of each
//! currency per 1 base, JSON numbers, `result: "success" | "error"`. Its terms forbid
//! redistribution, so quotes from it must be marked and kept out of bulk exports.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use travel_domain::quote::krw_via;
use travel_domain::{Catalog, CurrencyCode};

use crate::{Parsed, Skipped, SourceError, SourceQuote};

#[derive(Deserialize)]
struct Body {
    result: String,
    #[serde(rename = "error-type")]
    error_type: Option<String>,
    time_last_update_unix: Option<i64>,
    base_code: Option<String>,
    #[serde(default)]
    rates: serde_json::Map<String, serde_json::Value>,
}

/// The quotes and the time the provider last updated them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub parsed: Parsed,
    pub updated_at: DateTime<Utc>,
}

fn number(value: &serde_json::Value) -> Option<Decimal> {
    match value {
        // The JSON text of the number, not a float round trip.
        serde_json::Value::Number(n) => n
            .to_string()
            .parse()
            .ok()
            .or_else(|| Decimal::from_scientific(&n.to_string()).ok()),
        _ => None,
    }
}

pub fn parse(body: &[u8]) -> Result<Latest, SourceError> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| SourceError::Malformed(format!("not an open.er-api answer: {e}")))?;
    if body.result != "success" {
        let kind = body.error_type.unwrap_or_else(|| "unknown".into());
        return Err(match kind.as_str() {
            "quota-reached" => SourceError::RateLimited(kind),
            "invalid-key" | "inactive-account" => SourceError::Auth(kind),
            _ => SourceError::Rejected(kind),
        });
    }
    let updated_at = body
        .time_last_update_unix
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .ok_or_else(|| SourceError::Malformed("time_last_update_unix missing".into()))?;
    let base = body.base_code.unwrap_or_default();
    // KRW per base: 1 when the base is KRW, else the KRW rate of the base.
    let krw_per_base = body
        .rates
        .get("KRW")
        .and_then(number)
        .filter(|v| *v > Decimal::ZERO)
        .ok_or_else(|| SourceError::Malformed(format!("no KRW rate for base {base:?}")))?;
    let rate_date: NaiveDate = updated_at.date_naive();
    let catalog = Catalog::new();
    let mut parsed = Parsed::default();
    for (raw, value) in &body.rates {
        let Some(code) = CurrencyCode::parse(raw)
            .ok()
            .filter(|c| catalog.currency(*c).is_some())
        else {
            continue; // ~160 currencies: the ones outside the catalog are not news
        };
        if code == CurrencyCode::KRW {
            continue;
        }
        match number(value).and_then(|per_base| krw_via(krw_per_base, per_base)) {
            Some(mid) => parsed.quotes.push(SourceQuote {
                currency: code,
                rate_date,
                mid,
                tts: None,
                ttb: None,
                raw_unit: 1,
                raw_code: raw.clone(),
            }),
            None => parsed.skipped.push(Skipped {
                raw_code: raw.clone(),
                reason: "missing or non-positive rate".into(),
            }),
        }
    }
    parsed.quotes.sort_by_key(|q| q.currency);
    Ok(Latest { parsed, updated_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const SAMPLE: &str = include_str!("../tests/fixtures/erapi_krw.json");

    #[test]
    fn the_krw_based_sample_is_inverted() {
        let latest = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(latest.updated_at.to_rfc3339(), "2026-10-31T00:02:31+00:00");
        let usd = latest
            .parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "USD")
            .unwrap();
        // 1 / 0.000748914 KRW.
        assert_eq!(usd.mid, dec!(1335.2667996592));
        assert_eq!(
            usd.rate_date,
            NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()
        );
        assert_eq!(latest.parsed.quotes.len(), 6);
    }

    #[test]
    fn other_bases_cross_through_their_krw_rate() {
        let body = r#"{"result":"success","time_last_update_unix":1793404951,"base_code":"USD","rates":{"USD":1,"KRW":1335.27,"JPY":157.25}}"#;
        let latest = parse(body.as_bytes()).unwrap();
        let usd = latest
            .parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "USD")
            .unwrap();
        assert_eq!(usd.mid, dec!(1335.27));
        let jpy = latest
            .parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "JPY")
            .unwrap();
        assert_eq!(jpy.mid, dec!(8.4913831479));
    }

    #[test]
    fn errors_by_type() {
        assert!(matches!(
            parse(br#"{"result":"error","error-type":"unsupported-code"}"#),
            Err(SourceError::Rejected(_))
        ));
        assert!(matches!(
            parse(br#"{"result":"error","error-type":"quota-reached"}"#),
            Err(SourceError::RateLimited(_))
        ));
        assert!(
            parse(br#"{"result":"success","time_last_update_unix":1,"rates":{"USD":1}}"#).is_err()
        );
        assert!(parse(b"<html/>").is_err());
    }
}
