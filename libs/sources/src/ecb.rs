//! ECB euro reference rates, daily XML (`eurofxref-daily.xml`, `-hist-90d.xml`):
//! `Cube time='…'` days holding `Cube currency='…' rate='…'` entries, units per EUR,
//! crossed to KRW through the euro.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use travel_domain::quote::krw_via;
use travel_domain::{Catalog, CurrencyCode};

use crate::number::decimal;
use crate::{Parsed, Skipped, SourceError, SourceQuote};

/// One day of the file: units of each currency per 1 EUR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcbDay {
    pub date: NaiveDate,
    pub per_eur: Vec<(String, Decimal)>,
}

/// Every day in the file, newest first as published.
pub fn parse_xml(body: &[u8]) -> Result<Vec<EcbDay>, SourceError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| SourceError::Malformed("body is not UTF-8".into()))?;
    let document = roxmltree::Document::parse(text)
        .map_err(|e| SourceError::Malformed(format!("not XML: {e}")))?;
    if !document.root_element().has_tag_name("Envelope") {
        return Err(SourceError::Malformed("not a gesmes Envelope".into()));
    }
    let mut days = Vec::new();
    for node in document.descendants().filter(|n| n.has_tag_name("Cube")) {
        let Some(time) = node.attribute("time") else {
            continue;
        };
        let date = NaiveDate::parse_from_str(time.trim(), "%Y-%m-%d")
            .map_err(|_| SourceError::Malformed(format!("unreadable time {time:?}")))?;
        let per_eur = node
            .children()
            .filter(|c| c.has_tag_name("Cube"))
            .filter_map(|c| {
                Some((
                    c.attribute("currency")?.trim().to_string(),
                    decimal(c.attribute("rate")?)?,
                ))
            })
            .collect();
        days.push(EcbDay { date, per_eur });
    }
    Ok(days)
}

/// KRW per unit of every catalog currency of a day (and of the euro itself), through
/// the euro: (KRW per EUR) ÷ (currency per EUR).
pub fn krw_quotes(day: &EcbDay) -> Parsed {
    let catalog = Catalog::new();
    let mut parsed = Parsed::default();
    let Some(krw_per_eur) = day
        .per_eur
        .iter()
        .find(|(code, _)| code == "KRW")
        .map(|(_, v)| *v)
    else {
        parsed.skipped.push(Skipped {
            raw_code: "KRW".into(),
            reason: format!("no KRW rate on {}: nothing can be crossed", day.date),
        });
        return parsed;
    };
    let mut quote = |currency: CurrencyCode, mid: Decimal, raw_code: &str| {
        parsed.quotes.push(SourceQuote {
            currency,
            rate_date: day.date,
            mid,
            tts: None,
            ttb: None,
            raw_unit: 1,
            raw_code: raw_code.to_string(),
        })
    };
    if let Some(mid) = krw_via(krw_per_eur, Decimal::ONE) {
        quote(CurrencyCode::from_static("EUR"), mid, "EUR");
    }
    for (raw, per_eur) in &day.per_eur {
        let code = CurrencyCode::parse(raw)
            .ok()
            .filter(|c| catalog.currency(*c).is_some());
        match (code, krw_via(krw_per_eur, *per_eur)) {
            (Some(code), _) if code == CurrencyCode::KRW => {}
            (Some(code), Some(mid)) => quote(code, mid, raw),
            (None, _) => parsed.skipped.push(Skipped {
                raw_code: raw.clone(),
                reason: "currency not in the catalog".into(),
            }),
            (Some(_), None) => parsed.skipped.push(Skipped {
                raw_code: raw.clone(),
                reason: "non-positive rate".into(),
            }),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const DAILY: &str = include_str!("../tests/fixtures/ecb_daily_20261030.xml");

    #[test]
    fn the_daily_file() {
        let days = parse_xml(DAILY.as_bytes()).unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 10, 30).unwrap());
        let parsed = krw_quotes(&days[0]);
        let usd = parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "USD")
            .unwrap();
        // The same cross the shipped CSV gives for that day.
        assert_eq!(usd.mid, dec!(1335.2667382743));
        let eur = parsed
            .quotes
            .iter()
            .find(|q| q.currency.as_str() == "EUR")
            .unwrap();
        assert_eq!(eur.mid, dec!(1491.76));
        assert!(
            parsed
                .quotes
                .iter()
                .all(|q| q.currency != CurrencyCode::KRW)
        );
        assert_eq!(parsed.quotes.len(), 6, "EUR plus USD, JPY, GBP, CNY, THB");
    }

    #[test]
    fn double_quotes_missing_krw_and_garbage() {
        let xml = r#"<?xml version="1.0"?><gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube><Cube time="2026-10-29"><Cube currency="USD" rate="1.1"/><Cube currency="XXX" rate="2"/></Cube></Cube></gesmes:Envelope>"#;
        let days = parse_xml(xml.as_bytes()).unwrap();
        let parsed = krw_quotes(&days[0]);
        assert!(parsed.quotes.is_empty());
        assert_eq!(parsed.skipped[0].raw_code, "KRW");
        assert!(parse_xml(b"<html>maintenance</html>").is_err());
        assert!(parse_xml(b"<gesmes:Envelope").is_err());
        let bad_time = r#"<Envelope><Cube><Cube time="yesterday"/></Cube></Envelope>"#;
        assert!(parse_xml(bad_time.as_bytes()).is_err());
    }
}
