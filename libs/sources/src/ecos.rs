//! Bank of Korea ECOS `StatisticSearch`, table 731Y001 (daily won rates): rows keyed by
//! `ITEM_CODE1`, `TIME` as YYYYMMDD, `DATA_VALUE` as text; JPY, IDR and VND per 100
//! units; errors and "no data" as a `RESULT` object with HTTP 200.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use travel_domain::CurrencyCode;
use travel_domain::money::{QUOTE_SCALE, round};

use crate::number::decimal;
use crate::{Parsed, Skipped, SourceError, SourceQuote};

pub const STAT_CODE: &str = "731Y001";

/// `ITEM_CODE1` → (currency, units per quote). Keyed on the code, never on the Korean
/// name, whose spelling has changed over time.
const ITEMS: &[(&str, &str, u32)] = &[
    ("0000001", "USD", 1),
    ("0000002", "JPY", 100),
    ("0000003", "EUR", 1),
    ("0000012", "GBP", 1),
    ("0000013", "CAD", 1),
    ("0000014", "CHF", 1),
    ("0000015", "HKD", 1),
    ("0000016", "SEK", 1),
    ("0000017", "AUD", 1),
    ("0000018", "DKK", 1),
    ("0000019", "NOK", 1),
    ("0000020", "SAR", 1),
    ("0000021", "KWD", 1),
    ("0000022", "BHD", 1),
    ("0000023", "AED", 1),
    ("0000024", "SGD", 1),
    ("0000025", "MYR", 1),
    ("0000026", "NZD", 1),
    ("0000028", "THB", 1),
    ("0000029", "IDR", 100),
    ("0000030", "CNH", 1),
    ("0000031", "TWD", 1),
    ("0000032", "MNT", 1),
    ("0000033", "KZT", 1),
    ("0000034", "PHP", 1),
    ("0000035", "VND", 100),
    ("0000036", "BND", 1),
    ("0000037", "INR", 1),
    ("0000038", "PKR", 1),
    ("0000039", "BDT", 1),
    ("0000040", "MXN", 1),
    ("0000041", "BRL", 1),
    ("0000042", "ARS", 1),
    ("0000043", "RUB", 1),
    ("0000044", "HUF", 1),
    ("0000045", "PLN", 1),
    ("0000046", "CZK", 1),
    ("0000047", "QAR", 1),
    ("0000048", "ILS", 1),
    ("0000049", "JOD", 1),
    ("0000050", "TRY", 1),
    ("0000051", "ZAR", 1),
    ("0000052", "EGP", 1),
    ("0000053", "CNY", 1),
];

/// The (currency, unit) of an item code.
pub fn item(code: &str) -> Option<(CurrencyCode, u32)> {
    ITEMS
        .iter()
        .find(|(item, _, _)| *item == code.trim())
        .map(|(_, currency, unit)| (CurrencyCode::from_static(currency), *unit))
}

/// One page of an answer: its quotes and the total row count to page with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub parsed: Parsed,
    /// `list_total_count`: rows of the whole result; more pages exist when it exceeds
    /// the rows read so far.
    pub total: u64,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "StatisticSearch")]
    search: Option<Search>,
    #[serde(rename = "RESULT")]
    result: Option<ResultBlock>,
}

#[derive(Deserialize)]
struct Search {
    list_total_count: serde_json::Value,
    #[serde(default)]
    row: Vec<Row>,
}

#[derive(Deserialize)]
struct ResultBlock {
    #[serde(rename = "CODE")]
    code: String,
    #[serde(rename = "MESSAGE", default)]
    message: String,
}

#[derive(Deserialize)]
struct Row {
    #[serde(rename = "ITEM_CODE1")]
    item_code: Option<String>,
    #[serde(rename = "TIME")]
    time: Option<String>,
    #[serde(rename = "DATA_VALUE")]
    value: Option<String>,
}

fn result_error(code: &str, message: &str) -> SourceError {
    let text = format!("{code}: {message}");
    match code {
        "INFO-100" => SourceError::Auth(text),
        "ERROR-602" => SourceError::RateLimited(text),
        "ERROR-400" | "ERROR-500" | "ERROR-600" | "ERROR-601" => SourceError::Transient(text),
        _ => SourceError::Rejected(text),
    }
}

pub fn parse(body: &[u8]) -> Result<Page, SourceError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| SourceError::Malformed("body is not UTF-8".into()))?;
    if text.trim_start().starts_with('<') {
        return Err(SourceError::Transient(
            "an XML or HTML page instead of JSON".into(),
        ));
    }
    let body: Body = serde_json::from_str(text.trim())
        .map_err(|e| SourceError::Malformed(format!("not a StatisticSearch answer: {e}")))?;
    if let Some(result) = body.result {
        // INFO-200: nothing for this range (a holiday, a range before publication).
        if result.code == "INFO-200" {
            return Ok(Page::default());
        }
        return Err(result_error(&result.code, &result.message));
    }
    let search = body
        .search
        .ok_or_else(|| SourceError::Malformed("neither StatisticSearch nor RESULT".into()))?;
    let total = match &search.list_total_count {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| SourceError::Malformed("list_total_count is not a count".into()))?;

    let mut page = Page {
        parsed: Parsed::default(),
        total,
    };
    let mut rows: Vec<Row> = search.row;
    // Row order is not guaranteed; quotes come out by item, then day.
    rows.sort_by(|a, b| (&a.item_code, &a.time).cmp(&(&b.item_code, &b.time)));
    for row in rows {
        let raw_code = row.item_code.unwrap_or_default();
        let mut skip = |reason: &str| {
            page.parsed.skipped.push(Skipped {
                raw_code: raw_code.clone(),
                reason: reason.to_string(),
            })
        };
        let Some((currency, unit)) = item(&raw_code) else {
            skip("not a current 731Y001 currency item");
            continue;
        };
        let Some(rate_date) = row
            .time
            .as_deref()
            .and_then(|t| NaiveDate::parse_from_str(t.trim(), "%Y%m%d").ok())
        else {
            skip("unreadable TIME");
            continue;
        };
        let Some(value) = row
            .value
            .as_deref()
            .and_then(decimal)
            .filter(|v| *v > Decimal::ZERO)
        else {
            skip("missing or non-positive DATA_VALUE");
            continue;
        };
        page.parsed.quotes.push(SourceQuote {
            currency,
            rate_date,
            mid: round(value / Decimal::from(unit), QUOTE_SCALE),
            tts: None,
            ttb: None,
            raw_unit: unit,
            raw_code,
        });
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const SAMPLE: &str = include_str!("../tests/fixtures/ecos_20190314.json");

    #[test]
    fn the_sample_day() {
        let page = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(page.total, 3);
        let quotes = &page.parsed.quotes;
        assert_eq!(quotes.len(), 3);
        assert_eq!(quotes[0].currency.as_str(), "USD");
        assert_eq!(quotes[0].mid, dec!(1134.5));
        assert_eq!(
            quotes[0].rate_date,
            NaiveDate::from_ymd_opt(2019, 3, 14).unwrap()
        );
        assert_eq!(
            (
                quotes[1].currency.as_str(),
                quotes[1].mid,
                quotes[1].raw_unit
            ),
            ("JPY", dec!(10.1945), 100)
        );
        assert_eq!(quotes[2].mid, dec!(1278.24));
        assert!(
            quotes.iter().all(|q| q.tts.is_none() && q.ttb.is_none()),
            "ECOS has no spreads"
        );
    }

    #[test]
    fn no_data_is_empty_and_errors_are_classified() {
        let result = |code: &str| {
            format!(r#"{{"RESULT":{{"CODE":"{code}","MESSAGE":"해당하는 데이터가 없습니다."}}}}"#)
        };
        assert_eq!(
            parse(result("INFO-200").as_bytes()).unwrap(),
            Page::default()
        );
        assert!(matches!(
            parse(result("INFO-100").as_bytes()),
            Err(SourceError::Auth(_))
        ));
        assert!(matches!(
            parse(result("ERROR-602").as_bytes()),
            Err(SourceError::RateLimited(_))
        ));
        assert!(
            parse(result("ERROR-500").as_bytes())
                .unwrap_err()
                .is_retryable()
        );
        assert!(matches!(
            parse(result("ERROR-101").as_bytes()),
            Err(SourceError::Rejected(_))
        ));
    }

    #[test]
    fn separators_per_hundred_units_paging_and_bad_rows() {
        let body = r#"{"StatisticSearch":{"list_total_count":2500,"row":[
            {"ITEM_CODE1":"0000035","TIME":"20250102","DATA_VALUE":"5.81"},
            {"ITEM_CODE1":"0000001","TIME":"20250102","DATA_VALUE":"1,355.2"},
            {"ITEM_CODE1":"0000004","TIME":"20250102","DATA_VALUE":"700"},
            {"ITEM_CODE1":"0000001","TIME":"2025-01-03","DATA_VALUE":"1356"},
            {"ITEM_CODE1":"0000003","TIME":"20250102","DATA_VALUE":"-"}
        ]}}"#;
        let page = parse(body.as_bytes()).unwrap();
        assert_eq!(page.total, 2500, "more pages to read");
        let usd = page
            .parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "USD")
            .unwrap();
        assert_eq!(usd.mid, dec!(1355.2));
        let vnd = page
            .parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "VND")
            .unwrap();
        assert_eq!(vnd.mid, dec!(0.0581));
        assert_eq!(page.parsed.skipped.len(), 3);
        assert!(parse(b"{\"StatisticSearch\":{\"row\":[]}}").is_err());
        assert!(parse(b"{\"StatisticSearch\":{\"list_total_count\":1,\"row\":[").is_err());
        assert!(parse(b"{}").is_err());
    }
}
