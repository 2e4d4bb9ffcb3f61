//! Korea Eximbank AP01 (`exchangeJSON?data=AP01`): a JSON array, one object per
//! currency, numbers as strings with thousands separators, `JPY(100)`/`IDR(100)` per
//! 100 units, no date in the payload, `[]` (or `null`, or nothing) on holidays, and
//! errors as a single object whose `result` is not 1.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use travel_domain::{Catalog, CurrencyCode};

use crate::number::decimal;
use crate::{Parsed, Skipped, SourceError, SourceQuote};

#[derive(Deserialize)]
struct Row {
    result: Option<serde_json::Value>,
    cur_unit: Option<String>,
    deal_bas_r: Option<String>,
    tts: Option<String>,
    ttb: Option<String>,
}

fn result_code(value: &Option<serde_json::Value>) -> Option<i64> {
    match value {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        // Tolerate "1": some clients report string codes.
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// "JPY(100)" → (JPY, 100); "USD" → (USD, 1).
fn unit_of(raw: &str) -> Option<(CurrencyCode, u32)> {
    let raw = raw.trim();
    match raw.split_once('(') {
        Some((code, rest)) => {
            let unit: u32 = rest.strip_suffix(')')?.trim().parse().ok()?;
            (unit > 0).then_some(())?;
            Some((CurrencyCode::parse(code).ok()?, unit))
        }
        None => Some((CurrencyCode::parse(raw).ok()?, 1)),
    }
}

/// Parses one day's answer; `search_date` is the date that was asked for (the payload
/// carries none).
pub fn parse(body: &[u8], search_date: NaiveDate) -> Result<Parsed, SourceError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| SourceError::Malformed("body is not UTF-8".into()))?;
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "null" || trimmed == "[]" {
        return Ok(Parsed::default());
    }
    if trimmed.starts_with('<') {
        // A maintenance or redirect page instead of JSON.
        return Err(SourceError::Transient(
            "an HTML page instead of JSON".into(),
        ));
    }
    let rows: Vec<Row> = serde_json::from_str(trimmed)
        .map_err(|e| SourceError::Malformed(format!("not an AP01 array: {e}")))?;
    if let [only] = rows.as_slice() {
        match result_code(&only.result) {
            Some(2) => return Err(SourceError::Rejected("result 2: wrong data code".into())),
            Some(3) => return Err(SourceError::Auth("result 3: invalid auth key".into())),
            Some(4) => {
                return Err(SourceError::RateLimited(
                    "result 4: daily call limit reached".into(),
                ));
            }
            _ => {}
        }
    }
    let catalog = Catalog::new();
    let mut parsed = Parsed::default();
    for row in rows {
        let raw_code = row.cur_unit.clone().unwrap_or_default();
        let mut skip = |reason: &str| {
            parsed.skipped.push(Skipped {
                raw_code: raw_code.clone(),
                reason: reason.to_string(),
            })
        };
        if result_code(&row.result) != Some(1) {
            skip("result is not 1");
            continue;
        }
        let Some((currency, unit)) = unit_of(&raw_code) else {
            skip("unreadable cur_unit");
            continue;
        };
        if currency == CurrencyCode::KRW {
            continue; // the identity row: 1 KRW = 1 KRW
        }
        if catalog.currency(currency).is_none() {
            skip("currency not in the catalog");
            continue;
        }
        let per_unit = |value: Option<&String>| -> Option<Decimal> {
            let value = decimal(value?)?;
            (value > Decimal::ZERO).then(|| {
                travel_domain::money::round(
                    value / Decimal::from(unit),
                    travel_domain::money::QUOTE_SCALE,
                )
            })
        };
        let Some(mid) = per_unit(row.deal_bas_r.as_ref()) else {
            skip("missing or non-positive deal_bas_r");
            continue;
        };
        parsed.quotes.push(SourceQuote {
            currency,
            rate_date: search_date,
            mid,
            tts: per_unit(row.tts.as_ref()),
            ttb: per_unit(row.ttb.as_ref()),
            raw_unit: unit,
            raw_code,
        });
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const RECORDED: &str = include_str!("../tests/fixtures/koreaexim_20190314.json");

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2019, 3, 14).unwrap()
    }

    fn quote<'a>(parsed: &'a Parsed, code: &str) -> &'a SourceQuote {
        parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == code)
            .unwrap()
    }

    #[test]
    fn the_recorded_day() {
        let parsed = parse(RECORDED.as_bytes(), day()).unwrap();
        assert_eq!(parsed.quotes.len(), 7, "every row but the KRW identity");
        assert!(parsed.skipped.is_empty());
        let usd = quote(&parsed, "USD");
        assert_eq!(usd.mid, dec!(1134.5));
        assert_eq!(usd.tts, Some(dec!(1145.84)));
        assert_eq!(usd.ttb, Some(dec!(1123.15)));
        assert_eq!(usd.rate_date, day());
        // Per 100 units in the payload, per one in the quote.
        let jpy = quote(&parsed, "JPY");
        assert_eq!(
            (jpy.mid, jpy.raw_unit, jpy.raw_code.as_str()),
            (dec!(10.1945), 100, "JPY(100)")
        );
        assert_eq!(jpy.tts, Some(dec!(10.2964)));
        assert_eq!(quote(&parsed, "IDR").mid, dec!(0.0794));
        // Offshore yuan stays CNH, never silently CNY.
        assert_eq!(quote(&parsed, "CNH").mid, dec!(168.47));
        assert_eq!(quote(&parsed, "KWD").tts, Some(dec!(3769.6)));
    }

    #[test]
    fn holidays_are_empty_not_errors() {
        for body in ["", "  ", "[]", "null", "\n[]\n"] {
            assert_eq!(
                parse(body.as_bytes(), day()).unwrap(),
                Parsed::default(),
                "{body:?}"
            );
        }
    }

    #[test]
    fn result_codes_map_to_what_a_caller_can_do() {
        let error = |code: u8| {
            format!(
                r#"[{{"result":{code},"cur_unit":null,"ttb":null,"tts":null,"deal_bas_r":null,"bkpr":null,"yy_efee_r":null,"ten_dd_efee_r":null,"kftc_bkpr":null,"kftc_deal_bas_r":null,"cur_nm":null}}]"#
            )
        };
        assert!(matches!(
            parse(error(3).as_bytes(), day()),
            Err(SourceError::Auth(_))
        ));
        assert!(matches!(
            parse(error(4).as_bytes(), day()),
            Err(SourceError::RateLimited(_))
        ));
        assert!(matches!(
            parse(error(2).as_bytes(), day()),
            Err(SourceError::Rejected(_))
        ));
        let html = b"<html><body>maintenance</body></html>";
        assert!(parse(html, day()).unwrap_err().is_retryable());
    }

    #[test]
    fn malformed_rows_are_skipped_with_a_reason() {
        let body = r#"[
            {"result":1,"cur_unit":"USD","deal_bas_r":"1,134.5","tts":"0","ttb":""},
            {"result":1,"cur_unit":"XYZ","deal_bas_r":"1"},
            {"result":1,"cur_unit":"JPY(abc)","deal_bas_r":"1"},
            {"result":1,"cur_unit":"EUR","deal_bas_r":"-5"},
            {"result":1,"cur_unit":"GBP","deal_bas_r":null}
        ]"#;
        let parsed = parse(body.as_bytes(), day()).unwrap();
        assert_eq!(parsed.quotes.len(), 1);
        assert_eq!(
            parsed.quotes[0].tts, None,
            "a zero TTS is no TTS, never invented"
        );
        assert_eq!(parsed.skipped.len(), 4);
        assert!(matches!(
            parse(br#"{"result":1}"#, day()),
            Err(SourceError::Malformed(_))
        ));
        assert!(matches!(
            parse(br#"[{"result":1,"cur_unit":"USD""#, day()),
            Err(SourceError::Malformed(_))
        ));
    }
}
