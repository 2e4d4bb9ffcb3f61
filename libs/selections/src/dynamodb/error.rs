//! SDK failures mapped to [`SelectionStoreError`] kinds.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::SelectionStoreError;

/// Maps an SDK failure to what a caller can do about it.
pub(super) fn sdk_error<E>(context: &str, error: SdkError<E>) -> SelectionStoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = format!("{context}: {}", DisplayErrorContext(&error));
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            SelectionStoreError::Unavailable(detail)
        }
        SdkError::ServiceError(service) => match error.code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "LimitExceededException",
            ) => SelectionStoreError::Unavailable(detail),
            // A 5xx the SDK's retries did not get past, modelled or not.
            _ if service.raw().status().is_server_error() => {
                SelectionStoreError::Unavailable(detail)
            }
            Some(
                "ResourceNotFoundException"
                | "AccessDeniedException"
                | "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "MissingAuthenticationTokenException",
            ) => SelectionStoreError::Config(detail),
            _ => SelectionStoreError::Backend(detail),
        },
        _ => SelectionStoreError::Backend(detail),
    }
}

pub(super) fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> SelectionStoreError {
    SelectionStoreError::Backend(format!("building a DynamoDB request: {error}"))
}
