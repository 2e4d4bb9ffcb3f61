//! Expected values straight from the shipped ECB file, read by Python's zipfile and
//! computed here with exact decimals: independent of the project's own parser and
//! seeding code.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::OnceLock;

use rust_decimal::{Decimal, RoundingStrategy};

/// Units per EUR of every currency, by ISO date "YYYY-MM-DD".
pub fn table() -> &'static BTreeMap<String, HashMap<String, Decimal>> {
    static TABLE: OnceLock<BTreeMap<String, HashMap<String, Decimal>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let output = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.stdout.write(z.read(z.namelist()[0]).decode())",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../data/ecb/eurofxref-hist.zip"),
            ])
            .output()
            .expect("python3 reads the zip");
        assert!(output.status.success(), "python3 could not read the ECB zip");
        let csv = String::from_utf8(output.stdout).unwrap();
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(|h| h.trim().to_string()).collect();
        let mut table = BTreeMap::new();
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            let mut day = HashMap::new();
            for (code, value) in header.iter().zip(&cells).skip(1) {
                if !code.is_empty() && *value != "N/A" && !value.is_empty() {
                    day.insert(code.clone(), Decimal::from_str(value.trim()).unwrap());
                }
            }
            table.insert(cells[0].to_string(), day);
        }
        table
    })
}

/// The ECB rates of one day.
pub fn day(date: &str) -> &'static HashMap<String, Decimal> {
    &table()[date]
}

/// KRW per unit of `code` on a day, as stored: (KRW per EUR) ÷ (code per EUR), rounded
/// half away from zero to 10 places. `None` when the ECB has no value that day.
pub fn krw_per(date: &str, code: &str) -> Option<Decimal> {
    let day = table().get(date)?;
    let krw = *day.get("KRW")?;
    let value = if code == "EUR" {
        krw
    } else {
        krw / *day.get(code)?
    };
    Some(value.round_dp_with_strategy(10, RoundingStrategy::MidpointAwayFromZero))
}

/// Days (ascending) in `[start, end]` on which both `target` and `base` have a quote.
pub fn days_with(target: &str, base: &str, start: &str, end: &str) -> Vec<String> {
    table()
        .range(start.to_string()..=end.to_string())
        .filter(|(date, _)| {
            krw_per(date, target).is_some() && (base == "KRW" || krw_per(date, base).is_some())
        })
        .map(|(date, _)| date.clone())
        .collect()
}
