//! ECB euro foreign exchange reference rates (CSV, units of currency per 1 EUR).

use std::io::{Cursor, Read};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use travel_domain::money::{QUOTE_SCALE, round};
use travel_domain::quote::krw_via;
use travel_domain::{CurrencyCode, Observation, Source};

use crate::{DatasetError, parse_decimal};

const DATASET: &str = "ecb";

/// The historical file as shipped (a zip holding `eurofxref-hist.csv`).
pub static HISTORY_ZIP: &[u8] = include_bytes!("../../../data/ecb/eurofxref-hist.zip");

/// One day of reference rates: units of each currency per 1 EUR.
#[derive(Debug, Clone, PartialEq)]
pub struct EcbDay {
    pub date: NaiveDate,
    pub per_eur: Vec<(CurrencyCode, Decimal)>,
}

/// ECB rates are set around 14:15 CET and published by 16:00 CET; the observation time
/// of a seeded quote is fixed at 15:00 UTC of its date so that it is stable across runs.
pub fn observation_time(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::from_hms_opt(15, 0, 0).expect("valid time"))
        .and_utc()
}

/// Unpacks the CSV from the historical zip.
pub fn unzip_history(zip_bytes: &[u8]) -> Result<String, DatasetError> {
    let unreadable = |message: String| DatasetError::Unreadable {
        dataset: DATASET,
        message,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| unreadable(e.to_string()))?;
    let mut file = archive.by_index(0).map_err(|e| unreadable(e.to_string()))?;
    let mut csv = String::new();
    file.read_to_string(&mut csv)
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(csv)
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    // The history file says 2026-10-30, the single-day file "30 October 2026".
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d %B %Y"))
        .ok()
}

/// Parses either ECB CSV layout. `N/A` and empty cells are missing values; a column
/// whose header is not a currency code (the trailing empty one) is ignored.
pub fn parse_csv(text: &str) -> Result<Vec<EcbDay>, DatasetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let malformed = |line: u64, message: String| DatasetError::Malformed {
        dataset: DATASET,
        line,
        message,
    };
    let headers = reader
        .headers()
        .map_err(|e| malformed(1, e.to_string()))?
        .clone();
    if headers.get(0) != Some("Date") {
        return Err(malformed(1, "first column must be Date".to_string()));
    }
    let columns: Vec<Option<CurrencyCode>> = headers
        .iter()
        .skip(1)
        .map(|h| CurrencyCode::parse(h).ok())
        .collect();

    let mut days = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        let record = record.map_err(|e| malformed(line, e.to_string()))?;
        let raw_date = record.get(0).unwrap_or_default();
        let date = parse_date(raw_date)
            .ok_or_else(|| malformed(line, format!("unreadable date {raw_date:?}")))?;
        let mut per_eur = Vec::new();
        for (column, cell) in columns.iter().zip(record.iter().skip(1)) {
            let Some(code) = column else { continue };
            match parse_decimal(cell) {
                Some(value) if value > Decimal::ZERO => per_eur.push((*code, value)),
                Some(_) => return Err(malformed(line, format!("{code}: non-positive {cell:?}"))),
                None if cell.is_empty() || cell.eq_ignore_ascii_case("N/A") => {}
                None => return Err(malformed(line, format!("{code}: unreadable {cell:?}"))),
            }
        }
        days.push(EcbDay { date, per_eur });
    }
    Ok(days)
}

/// KRW quotes of one ECB day: EUR itself and every other currency crossed through the
/// euro, rounded to the stored scale. A day without a KRW rate yields nothing.
pub fn krw_observations(day: &EcbDay) -> Vec<Observation> {
    let Some(krw_per_eur) = day
        .per_eur
        .iter()
        .find(|(code, _)| *code == CurrencyCode::KRW)
        .map(|(_, value)| *value)
    else {
        return Vec::new();
    };
    let recorded_at = observation_time(day.date);
    let observation = |currency: CurrencyCode, mid: Decimal| Observation {
        currency,
        source: Source::Ecb.stored_name().to_string(),
        recorded_at,
        rate_date: day.date,
        mid,
        tts: None,
        ttb: None,
        raw_unit: 1,
        redistributable: true,
    };
    let mut quotes = vec![observation(
        CurrencyCode::from_static("EUR"),
        round(krw_per_eur, QUOTE_SCALE),
    )];
    for (code, per_eur) in &day.per_eur {
        if *code == CurrencyCode::KRW {
            continue;
        }
        if let Some(mid) = krw_via(krw_per_eur, *per_eur) {
            quotes.push(observation(*code, mid));
        }
    }
    quotes
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn reads_the_shipped_history() {
        let days = parse_csv(&unzip_history(HISTORY_ZIP).unwrap()).unwrap();
        assert_eq!(days.len(), 7126);
        let newest = &days[0];
        assert_eq!(newest.date, NaiveDate::from_ymd_opt(2026, 10, 30).unwrap());
        let usd = newest
            .per_eur
            .iter()
            .find(|(c, _)| c.as_str() == "USD")
            .unwrap();
        assert_eq!(usd.1, dec!(1.1172));
        assert_eq!(
            days.last().unwrap().date,
            NaiveDate::from_ymd_opt(1999, 1, 4).unwrap()
        );
    }

    #[test]
    fn derives_krw_cross_rates() {
        let day = &parse_csv(&unzip_history(HISTORY_ZIP).unwrap()).unwrap()[0];
        let quotes = krw_observations(day);
        let usd = quotes
            .iter()
            .find(|q| q.currency.as_str() == "USD")
            .unwrap();
        // 1491.76 / 1.1172 = 1335.26673827425707...
        assert_eq!(usd.mid, dec!(1335.2667382743));
        let eur = quotes
            .iter()
            .find(|q| q.currency.as_str() == "EUR")
            .unwrap();
        assert_eq!(eur.mid, dec!(1491.76));
        assert!(quotes.iter().all(|q| q.currency != CurrencyCode::KRW));
        // 28 currencies besides KRW that day, plus EUR.
        assert_eq!(quotes.len(), 29);
    }

    #[test]
    fn reads_the_single_day_layout() {
        let text = "Date, USD, JPY, KRW, \n30 October 2026, 1.1172, 175.68, 1491.76, \n";
        let days = parse_csv(text).unwrap();
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 10, 30).unwrap());
        assert_eq!(days[0].per_eur.len(), 3);
    }

    #[test]
    fn rejects_garbage_with_the_line() {
        let err = parse_csv("Date,USD\n2026-10-30,abc\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(parse_csv("Datum,USD\n").is_err());
        assert!(parse_csv("Date,USD\nyesterday,1.1\n").is_err());
        assert!(parse_csv("Date,USD\n2026-10-30,-1\n").is_err());
    }
}
