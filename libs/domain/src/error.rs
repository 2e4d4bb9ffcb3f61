//! The error vocabulary of the public API, shared by the services (which put it into
//! gRPC statuses) and the gateway (which renders the REST envelope).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Machine-readable error codes. The first twelve are the contract of `api-v1.md`;
/// the transport-level ones after them are additions for conditions the contract
/// names without a code (wrong method, oversized body, wrong content type, time-outs,
/// an internal service that cannot be reached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidCurrencyCode,
    InvalidCountryCode,
    InvalidPeriod,
    InvalidParameter,
    MissingParameter,
    Unauthorized,
    NotFound,
    RateLimitExceeded,
    CacheUnavailable,
    DatabaseUnavailable,
    ExternalApiError,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    ServiceUnavailable,
    Timeout,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidCurrencyCode,
        ErrorCode::InvalidCountryCode,
        ErrorCode::InvalidPeriod,
        ErrorCode::InvalidParameter,
        ErrorCode::MissingParameter,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::RateLimitExceeded,
        ErrorCode::CacheUnavailable,
        ErrorCode::DatabaseUnavailable,
        ErrorCode::ExternalApiError,
        ErrorCode::InternalError,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::ServiceUnavailable,
        ErrorCode::Timeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidCurrencyCode => "INVALID_CURRENCY_CODE",
            ErrorCode::InvalidCountryCode => "INVALID_COUNTRY_CODE",
            ErrorCode::InvalidPeriod => "INVALID_PERIOD",
            ErrorCode::InvalidParameter => "INVALID_PARAMETER",
            ErrorCode::MissingParameter => "MISSING_PARAMETER",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            ErrorCode::CacheUnavailable => "CACHE_UNAVAILABLE",
            ErrorCode::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            ErrorCode::ExternalApiError => "EXTERNAL_API_ERROR",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::Timeout => "TIMEOUT",
        }
    }

    /// The HTTP status the REST edge answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidCurrencyCode
            | ErrorCode::InvalidCountryCode
            | ErrorCode::InvalidPeriod
            | ErrorCode::InvalidParameter
            | ErrorCode::MissingParameter => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimitExceeded => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::CacheUnavailable
            | ErrorCode::DatabaseUnavailable
            | ErrorCode::ExternalApiError
            | ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Timeout => 504,
        }
    }

    pub fn parse(raw: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|code| code.as_str() == raw)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most characters of a client's value that an error message, its details or a
/// log line repeat. A 5,000-character parameter must not come back as a 5,000-character
/// answer or log line, nor overflow the gRPC status headers an error travels in.
pub const SHOWN_CHARS: usize = 64;

/// `value` as errors and logs repeat it: whole up to [`SHOWN_CHARS`], else its start
/// and its length.
pub fn shown(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => Cow::Borrowed(value),
        Some((end, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &value[..end],
            value.chars().count()
        )),
    }
}

/// An error a client can act on: a code, a message, and which input was wrong, plus
/// for the log only the error that caused it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub parameter: Option<String>,
    pub provided: Option<String>,
    pub expected: Option<String>,
    /// Why it happened, with its own chain of sources. Never sent to a client: the
    /// service logs it where the error leaves it.
    #[source]
    pub cause: Option<Cause>,
}

/// What a client sees (code, message, details) is what makes two API errors the
/// same; the cause is for the log.
impl PartialEq for ApiError {
    fn eq(&self, other: &Self) -> bool {
        (
            self.code,
            &self.message,
            &self.parameter,
            &self.provided,
            &self.expected,
        ) == (
            other.code,
            &other.message,
            &other.parameter,
            &other.provided,
            &other.expected,
        )
    }
}

impl Eq for ApiError {}

/// The error behind an [`ApiError`].
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            parameter: None,
            provided: None,
            expected: None,
            cause: None,
        }
    }

    /// Keeps the error that caused this one, for the log.
    pub fn with_cause(mut self, error: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Cause::new(error));
        self
    }

    /// The cause and its sources, outermost first, joined by ": "; empty without one.
    pub fn cause_chain(&self) -> String {
        let mut chain = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> =
            self.cause.as_ref().map(|c| c as _);
        while let Some(error) = next {
            chain.push(error.to_string());
            next = error.source();
        }
        chain.join(": ")
    }

    /// Names the offending parameter, what was sent (bounded by [`shown`]) and what
    /// was expected.
    pub fn with_detail(
        mut self,
        parameter: impl Into<String>,
        provided: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        self.parameter = Some(parameter.into());
        let provided = provided.into();
        self.provided = Some(shown(&provided).into_owned());
        self.expected = Some(expected.into());
        self
    }

    pub fn invalid_currency(parameter: &str, provided: &str) -> Self {
        Self::new(
            ErrorCode::InvalidCurrencyCode,
            format!(
                "{parameter}: {:?} is not a supported ISO 4217 currency code",
                shown(provided)
            ),
        )
        .with_detail(parameter, provided, "ISO 4217 code of a supported currency")
    }

    pub fn invalid_country(parameter: &str, provided: &str) -> Self {
        Self::new(
            ErrorCode::InvalidCountryCode,
            format!(
                "{parameter}: {:?} is not a supported ISO 3166-1 alpha-2 country code",
                shown(provided)
            ),
        )
        .with_detail(
            parameter,
            provided,
            "ISO 3166-1 alpha-2 code of a supported country (EU for the euro area)",
        )
    }

    pub fn invalid_parameter(parameter: &str, provided: &str, expected: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            format!(
                "{parameter}: {:?} is invalid, expected {expected}",
                shown(provided)
            ),
        )
        .with_detail(parameter, provided, expected)
    }

    pub fn invalid_period(provided: &str, expected: &str) -> Self {
        Self::new(
            ErrorCode::InvalidPeriod,
            format!("period: {:?} is not one of {expected}", shown(provided)),
        )
        .with_detail("period", provided, expected)
    }

    pub fn missing_parameter(parameter: &str, expected: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("{parameter} is required"),
        )
        .with_detail(parameter, "", expected)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_contract_statuses_hold() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::InvalidCurrencyCode.http_status(), 400);
        assert_eq!(ErrorCode::Unauthorized.http_status(), 401);
        assert_eq!(ErrorCode::NotFound.http_status(), 404);
        assert_eq!(ErrorCode::RateLimitExceeded.http_status(), 429);
        assert_eq!(ErrorCode::DatabaseUnavailable.http_status(), 503);
        assert_eq!(ErrorCode::InternalError.http_status(), 500);
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }

    #[test]
    fn a_long_value_is_repeated_bounded_on_a_character_boundary() {
        assert_eq!(shown("USD"), "USD");
        let exact = "A".repeat(SHOWN_CHARS);
        assert_eq!(shown(&exact), exact.as_str());
        let korean = "원".repeat(5_000);
        let bounded = shown(&korean);
        assert_eq!(
            bounded,
            format!("{}… (5000 characters)", "원".repeat(SHOWN_CHARS))
        );
        let error = ApiError::invalid_currency("symbols", &korean);
        assert_eq!(error.provided.as_deref(), Some(&*bounded));
        assert!(error.message.chars().count() < SHOWN_CHARS + 100);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_cause_keeps_its_chain_and_stays_out_of_equality() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "peer reset");
        let error = ApiError::internal("internal error").with_cause(Outer(inner));
        assert_eq!(error.cause_chain(), "query failed: peer reset");
        assert_eq!(error, ApiError::internal("internal error"));
        assert_eq!(ApiError::internal("x").cause_chain(), "");
        // The client-facing text does not include it.
        assert_eq!(error.to_string(), "INTERNAL_ERROR: internal error");
    }
}
