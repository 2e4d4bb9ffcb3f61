//! Exact decimal helpers: parsing user amounts and rounding quotes.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::ApiError;

/// Scale of every stored quote (KRW per unit): DECIMAL(24,10) in MySQL. Enough for VND
/// and IDR, whose KRW price per unit is below 0.1.
pub const QUOTE_SCALE: u32 = 10;

/// Scale of cross rates between two non-KRW currencies; two digits more than stored
/// quotes so that a rate like USD per VND keeps its significant digits.
pub const CROSS_SCALE: u32 = 12;

/// Largest amount accepted for conversion: far above any real trip budget, far below
/// the point where `Decimal` arithmetic could overflow.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_808_348_672, 232_830_643, 0, false, 0); // 10^18

/// Rounds half away from zero, the convention of published exchange rates.
pub fn round(value: Decimal, scale: u32) -> Decimal {
    value
        .round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// Parses an amount to convert: a plain non-negative decimal up to [`MAX_AMOUNT`] with at
/// most 10 decimal places. Exponents, signs other than a leading "+", separators and
/// special values are rejected with an error naming `parameter`.
pub fn parse_amount(parameter: &str, raw: &str) -> Result<Decimal, ApiError> {
    let expected = "a non-negative decimal number up to 10^18 with at most 10 decimal places";
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ApiError::missing_parameter(parameter, expected));
    }
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let well_formed = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(ApiError::invalid_parameter(parameter, raw, expected));
    }
    let integer_digits = digits
        .split('.')
        .next()
        .unwrap_or("")
        .trim_start_matches('0');
    let fraction_digits = digits.split('.').nth(1).unwrap_or("");
    if integer_digits.len() > 18 || fraction_digits.len() > QUOTE_SCALE as usize {
        return Err(ApiError::invalid_parameter(parameter, raw, expected));
    }
    let value: Decimal = digits
        .parse()
        .map_err(|_| ApiError::invalid_parameter(parameter, raw, expected))?;
    if value > MAX_AMOUNT {
        return Err(ApiError::invalid_parameter(parameter, raw, expected));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn max_amount_is_ten_to_the_eighteenth() {
        assert_eq!(MAX_AMOUNT, dec!(1_000_000_000_000_000_000));
    }

    #[test]
    fn accepts_plain_amounts() {
        assert_eq!(parse_amount("amount", "100").unwrap(), dec!(100));
        assert_eq!(parse_amount("amount", "2500.50").unwrap(), dec!(2500.50));
        assert_eq!(parse_amount("amount", "+0.5").unwrap(), dec!(0.5));
        assert_eq!(parse_amount("amount", "0").unwrap(), dec!(0));
        assert_eq!(parse_amount("amount", ".5").unwrap(), dec!(0.5));
    }

    #[test]
    fn rejects_negative_huge_and_non_numeric_amounts() {
        for bad in [
            "-1",
            "abc",
            "1e5",
            "NaN",
            "inf",
            "1,000",
            "1.2.3",
            ".",
            "+",
            "--1",
            "10000000000000000000",
            "0.12345678901",
        ] {
            let err = parse_amount("amount", bad).unwrap_err();
            assert_eq!(err.code, crate::ErrorCode::InvalidParameter, "{bad}");
            assert_eq!(err.parameter.as_deref(), Some("amount"));
        }
        assert_eq!(
            parse_amount("amount", " ").unwrap_err().code,
            crate::ErrorCode::MissingParameter
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round(dec!(1.25), 1), dec!(1.3));
        assert_eq!(round(dec!(-1.25), 1), dec!(-1.3));
        assert_eq!(round(dec!(1.2000), 4), dec!(1.2));
    }
}
