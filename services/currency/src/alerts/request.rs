//! A `CreateAlert` request, field by field, into a validated alert: every refusal
//! names its field, with the envelope's codes.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use travel_domain::alert::Condition;
use travel_domain::money::parse_amount;
use travel_domain::{ApiError, CurrencyCode};
use travel_proto::alerts::v1 as pb;

use super::webhook::Policy;
use crate::api::CurrencyApi;
use crate::config::AlertSettings;

/// The largest rate threshold, 10^12: far above any real rate, inside the stored
/// precision.
fn max_rate() -> Decimal {
    Decimal::from(1_000_000_000_000u64)
}

/// What a valid request asks for.
pub struct Wanted {
    pub currency: CurrencyCode,
    pub base: CurrencyCode,
    pub condition: Condition,
    pub threshold: Decimal,
    pub expires_at: DateTime<Utc>,
    pub webhook_url: Option<String>,
}

pub async fn validate(
    request: &pb::CreateAlertRequest,
    currencies: &CurrencyApi,
    settings: &AlertSettings,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<Wanted, ApiError> {
    if request.currency.trim().is_empty() {
        return Err(ApiError::missing_parameter(
            "currency",
            "ISO 4217 code of the currency to watch",
        ));
    }
    let currency = currencies
        .currency("currency", request.currency.trim())?
        .code;
    let base = if request.base.trim().is_empty() {
        CurrencyCode::KRW
    } else {
        currencies.currency("base", request.base.trim())?.code
    };
    if base == currency {
        return Err(ApiError::invalid_parameter(
            "base",
            &request.base,
            "a currency other than the watched one",
        ));
    }
    let conditions = "below, above or change_percent";
    if request.condition.is_empty() {
        return Err(ApiError::missing_parameter("condition", conditions));
    }
    let condition = Condition::parse(&request.condition)
        .ok_or_else(|| ApiError::invalid_parameter("condition", &request.condition, conditions))?;
    let threshold = threshold(condition, &request.threshold)?;
    let expires_at = expires_at(&request.expires_at, settings, now)?;
    let webhook_url = match request.webhook_url.trim() {
        "" => None,
        raw => Some(
            policy
                .check(raw)
                .await
                .map_err(|refused| {
                    ApiError::invalid_parameter(
                        "webhook_url",
                        raw,
                        &format!("a public https URL ({refused})"),
                    )
                })?
                .to_string(),
        ),
    };
    Ok(Wanted {
        currency,
        base,
        condition,
        threshold,
        expires_at,
        webhook_url,
    })
}

fn threshold(condition: Condition, raw: &str) -> Result<Decimal, ApiError> {
    let (max, expected) = match condition {
        Condition::ChangePercent => (
            Decimal::ONE_HUNDRED,
            "a percentage greater than 0 and at most 100",
        ),
        _ => (
            max_rate(),
            "a rate greater than 0 (units of base per one unit of currency), at most 10^12 with at most 10 decimal places",
        ),
    };
    let value = parse_amount("threshold", raw).map_err(|_| {
        if raw.trim().is_empty() {
            ApiError::missing_parameter("threshold", expected)
        } else {
            ApiError::invalid_parameter("threshold", raw, expected)
        }
    })?;
    if value.is_zero() || value > max {
        return Err(ApiError::invalid_parameter("threshold", raw, expected));
    }
    Ok(value.normalize())
}

fn expires_at(
    raw: &str,
    settings: &AlertSettings,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    let max = now + chrono::Duration::from_std(settings.max_lifetime).unwrap_or_default();
    if raw.trim().is_empty() {
        let default = chrono::Duration::from_std(settings.default_lifetime).unwrap_or_default();
        return Ok((now + default).min(max));
    }
    let expected = format!(
        "an RFC 3339 time in the future, at most {} days ahead",
        settings.max_lifetime.as_secs() / 86_400
    );
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| ApiError::invalid_parameter("expires_at", raw, &expected))?
        .with_timezone(&Utc);
    if at <= now || at > max {
        return Err(ApiError::invalid_parameter("expires_at", raw, &expected));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use travel_domain::ErrorCode;

    #[test]
    fn thresholds_are_positive_bounded_decimals() {
        assert_eq!(
            threshold(Condition::Below, "8.50").unwrap(),
            Decimal::new(85, 1)
        );
        assert_eq!(
            threshold(Condition::ChangePercent, "100").unwrap(),
            Decimal::ONE_HUNDRED
        );
        for (condition, raw) in [
            (Condition::Below, "0"),
            (Condition::Below, "-1"),
            (Condition::Below, "1e3"),
            (Condition::Below, "abc"),
            (Condition::Above, "1000000000001"),
            (Condition::Above, "1.12345678901"),
            (Condition::ChangePercent, "100.5"),
        ] {
            let error = threshold(condition, raw).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidParameter, "{raw}");
        }
        assert_eq!(
            threshold(Condition::Below, " ").unwrap_err().code,
            ErrorCode::MissingParameter
        );
    }

    #[test]
    fn expiry_defaults_and_is_bounded() {
        let settings = AlertSettings::default();
        let now = Utc::now();
        assert_eq!(
            expires_at("", &settings, now).unwrap(),
            now + chrono::Duration::days(30)
        );
        let in_a_week = (now + chrono::Duration::days(7)).to_rfc3339();
        assert!(expires_at(&in_a_week, &settings, now).is_ok());
        for raw in [
            (now - chrono::Duration::seconds(1)).to_rfc3339(),
            (now + chrono::Duration::days(91)).to_rfc3339(),
            "tomorrow".to_string(),
            "2026-12-31".to_string(),
        ] {
            assert_eq!(
                expires_at(&raw, &settings, now).unwrap_err().code,
                ErrorCode::InvalidParameter,
                "{raw}"
            );
        }
    }
}
