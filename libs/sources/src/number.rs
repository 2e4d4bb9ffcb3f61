//! Numbers as the sources write them.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Parses decimal text with optional thousands separators ("1,134.5", "7.94"). The
/// sentinels sources use for "no value" ("", "-", ".", "N/A") and anything else that is
/// not a plain decimal give `None`.
pub fn decimal(raw: &str) -> Option<Decimal> {
    let cleaned: String = raw.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty()
        || !cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    Decimal::from_str(&cleaned).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn reads_published_forms() {
        assert_eq!(decimal("1,134.5"), Some(dec!(1134.5)));
        assert_eq!(decimal(" 3,769.6 "), Some(dec!(3769.6)));
        assert_eq!(decimal("1,080"), Some(dec!(1080)));
        assert_eq!(decimal("0.83380"), Some(dec!(0.8338)));
        for sentinel in ["", "-", ".", "N/A", "1e5", "abc", "1.2.3"] {
            assert_eq!(decimal(sentinel), None, "{sentinel}");
        }
    }
}
