//! The Economist's Big Mac index (`big-mac-full-index.csv`).

use chrono::NaiveDate;
use travel_domain::Catalog;
use travel_domain::money::{QUOTE_SCALE, round};
use travel_domain::price_index::BigMacPrice;

use crate::{DatasetError, parse_decimal};

const DATASET: &str = "bigmac";

pub static FULL_INDEX_CSV: &str = include_str!("../../../data/bigmac/big-mac-full-index.csv");

/// What reading the survey produced.
#[derive(Debug, Default)]
pub struct BigMacSurvey {
    pub prices: Vec<BigMacPrice>,
    /// Rows skipped because their country is not in the catalog (none in the shipped
    /// file; kept so that a newer file with a new country does not fail seeding).
    pub skipped_countries: Vec<String>,
}

/// Reads the full-index CSV: `date, iso_a3, currency_code, name, local_price,
/// dollar_ex, …`. Countries are mapped from alpha-3 to the catalog's alpha-2.
pub fn parse_csv(text: &str, catalog: &Catalog) -> Result<BigMacSurvey, DatasetError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
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
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| malformed(1, format!("missing column {name}")))
    };
    let (date_at, iso_at, currency_at, price_at, ex_at) = (
        column("date")?,
        column("iso_a3")?,
        column("currency_code")?,
        column("local_price")?,
        column("dollar_ex")?,
    );

    let mut survey = BigMacSurvey::default();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        let record = record.map_err(|e| malformed(line, e.to_string()))?;
        let field = |at: usize| record.get(at).unwrap_or_default();
        let survey_date = NaiveDate::parse_from_str(field(date_at), "%Y-%m-%d")
            .map_err(|_| malformed(line, format!("unreadable date {:?}", field(date_at))))?;
        let Some(country) = catalog.country_by_alpha3(field(iso_at)) else {
            survey.skipped_countries.push(field(iso_at).to_string());
            continue;
        };
        let local_price = parse_decimal(field(price_at))
            .filter(|p| p.is_sign_positive() && !p.is_zero())
            .ok_or_else(|| malformed(line, format!("bad local_price {:?}", field(price_at))))?;
        let dollar_ex = parse_decimal(field(ex_at))
            .filter(|p| p.is_sign_positive() && !p.is_zero())
            .ok_or_else(|| malformed(line, format!("bad dollar_ex {:?}", field(ex_at))))?;
        survey.prices.push(BigMacPrice {
            survey_date,
            country: country.code,
            currency: field(currency_at).to_string(),
            local_price: round(local_price, QUOTE_SCALE),
            dollar_ex: round(dollar_ex, QUOTE_SCALE),
        });
    }
    Ok(survey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn reads_the_shipped_survey() {
        let survey = parse_csv(FULL_INDEX_CSV, &Catalog::new()).unwrap();
        assert_eq!(survey.prices.len(), 1948);
        assert!(survey.skipped_countries.is_empty());
        let korea_2026 = survey
            .prices
            .iter()
            .find(|p| {
                p.country.as_str() == "KR"
                    && p.survey_date == NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
            })
            .unwrap();
        assert_eq!(korea_2026.local_price, dec!(5500));
        assert_eq!(korea_2026.dollar_ex, dec!(1469.85));
        // "4e+06" in the file is read exactly.
        assert!(survey.prices.iter().any(|p| p.local_price == dec!(4000000)));
        let euro = survey.prices.iter().find(|p| p.country.as_str() == "EU");
        assert!(euro.is_some());
    }

    #[test]
    fn rejects_missing_columns_and_bad_numbers() {
        let catalog = Catalog::new();
        assert!(parse_csv("date,iso_a3\n", &catalog).is_err());
        let header = "date,iso_a3,currency_code,name,local_price,dollar_ex\n";
        let bad = format!("{header}2026-01-01,KOR,KRW,South Korea,abc,1469.85\n");
        assert!(parse_csv(&bad, &catalog).is_err());
        let zero = format!("{header}2026-01-01,KOR,KRW,South Korea,5500,0\n");
        assert!(parse_csv(&zero, &catalog).is_err());
        let unknown = format!("{header}2026-01-01,XXX,XXX,Nowhere,1,1\n");
        assert_eq!(
            parse_csv(&unknown, &catalog).unwrap().skipped_countries,
            vec!["XXX"]
        );
    }
}
