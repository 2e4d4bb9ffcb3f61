//! API errors over gRPC: a status whose google.rpc.ErrorInfo (domain "travel") carries
//! the REST error code as its reason and the offending parameter in its metadata, so
//! the gateway can render exactly the error the service decided on.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use travel_domain::{ApiError, ErrorCode};

pub const ERROR_DOMAIN: &str = "travel";

fn grpc_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::InvalidCurrencyCode
        | ErrorCode::InvalidCountryCode
        | ErrorCode::InvalidPeriod
        | ErrorCode::InvalidParameter
        | ErrorCode::MissingParameter
        | ErrorCode::PayloadTooLarge
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::MethodNotAllowed => Code::InvalidArgument,
        ErrorCode::Unauthorized => Code::Unauthenticated,
        ErrorCode::NotFound => Code::NotFound,
        ErrorCode::RateLimitExceeded => Code::ResourceExhausted,
        ErrorCode::CacheUnavailable
        | ErrorCode::DatabaseUnavailable
        | ErrorCode::ExternalApiError
        | ErrorCode::ServiceUnavailable => Code::Unavailable,
        ErrorCode::Timeout => Code::DeadlineExceeded,
        ErrorCode::InternalError => Code::Internal,
    }
}

/// Encodes an API error as a gRPC status with ErrorInfo details.
pub fn to_status(error: &ApiError) -> Status {
    let mut metadata = HashMap::new();
    for (key, value) in [
        ("parameter", &error.parameter),
        ("provided", &error.provided),
        ("expected", &error.expected),
    ] {
        if let Some(value) = value {
            metadata.insert(key.to_string(), value.clone());
        }
    }
    let details = ErrorDetails::with_error_info(error.code.as_str(), ERROR_DOMAIN, metadata);
    Status::with_error_details(grpc_code(error.code), error.message.clone(), details)
}

/// Turns a handler's result into a gRPC answer. This is where an error leaves the
/// service, so it is logged here, once, with its whole cause chain (inside the call's
/// span, which names the request id); the client only sees the clean message.
pub fn respond<T>(result: Result<T, ApiError>) -> Result<tonic::Response<T>, Status> {
    result
        .map(tonic::Response::new)
        .map_err(|error| leave(&error))
}

/// Logs an error that leaves the service and encodes it for the client.
pub fn leave(error: &ApiError) -> Status {
    if error.code.http_status() >= 500 {
        tracing::error!(
            code = %error.code,
            message = %error.message,
            cause = %error.cause_chain(),
            "request failed"
        );
    } else {
        tracing::debug!(code = %error.code, message = %error.message, "request rejected");
    }
    to_status(error)
}

/// Decodes a status from a service. Statuses without our ErrorInfo (transport errors,
/// a service that is down) map by gRPC code, and their message is not passed on.
pub fn from_status(status: &Status) -> ApiError {
    if let Some(info) = status.get_details_error_info()
        && info.domain == ERROR_DOMAIN
        && let Some(code) = ErrorCode::parse(&info.reason)
    {
        return ApiError {
            code,
            message: status.message().to_string(),
            parameter: info.metadata.get("parameter").cloned(),
            provided: info.metadata.get("provided").cloned(),
            expected: info.metadata.get("expected").cloned(),
            cause: None,
        };
    }
    // Not an error a service decided on (a transport failure, a service that is down):
    // its cause is only in the status, so it is logged here, where it becomes an answer.
    let message = travel_domain::shown(status.message());
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
            tracing::warn!(grpc_code = ?status.code(), %message, "upstream call failed");
        }
        code => tracing::error!(grpc_code = ?code, %message, "upstream call failed"),
    }
    match status.code() {
        Code::Unavailable => ApiError::new(
            ErrorCode::ServiceUnavailable,
            "an internal service is unavailable, try again shortly",
        ),
        Code::DeadlineExceeded | Code::Cancelled => ApiError::new(
            ErrorCode::Timeout,
            "an internal service did not answer in time",
        ),
        _ => ApiError::internal("internal error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_survive_the_grpc_hop() {
        let error = ApiError::invalid_currency("symbols", "XYZ");
        let status = to_status(&error);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(from_status(&status), error);
    }

    /// A log sink for one test.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("reading latest_rates")]
    struct Query(#[source] std::io::Error);

    #[test]
    fn an_internal_error_is_logged_once_with_its_chain_and_request_id() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let status = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("grpc", request_id = "req-42");
            let _entered = span.enter();
            let cause = Query(std::io::Error::other("connection reset by peer"));
            respond::<()>(Err(ApiError::internal("internal error").with_cause(cause))).unwrap_err()
        });
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.matches("request failed").count(), 1, "{log}");
        assert!(log.contains("req-42"), "{log}");
        assert!(
            log.contains("reading latest_rates: connection reset by peer"),
            "{log}"
        );
        // The client sees the clean message only.
        assert_eq!(status.message(), "internal error");
        assert!(!format!("{:?}", from_status(&status)).contains("connection reset"));
    }

    #[test]
    fn foreign_statuses_map_by_code_without_leaking_messages() {
        let down = from_status(&Status::unavailable("tcp connect error 10.0.0.1"));
        assert_eq!(down.code, ErrorCode::ServiceUnavailable);
        assert!(!down.message.contains("10.0.0.1"));
        assert_eq!(
            from_status(&Status::deadline_exceeded("slow")).code,
            ErrorCode::Timeout
        );
        assert_eq!(
            from_status(&Status::internal("boom")).code,
            ErrorCode::InternalError
        );
    }
}
