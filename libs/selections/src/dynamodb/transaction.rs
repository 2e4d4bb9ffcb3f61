//! How `record` reads a failed transaction (duplicate, conflict, throttling) and how long
//! it waits before retrying a conflict.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

/// Attempts of one selection's transaction while it conflicts with others on the same
/// counter shard (selections of a day and country share
/// [`COUNTER_SHARDS`](super::COUNTER_SHARDS) items).
pub(super) const CONFLICT_ATTEMPTS: u32 = 10;
const CONFLICT_BACKOFF_BASE: Duration = Duration::from_millis(20);
const CONFLICT_BACKOFF_CAP: Duration = Duration::from_secs(1);

/// Why a transaction was cancelled, as far as `record` cares.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Cancellation {
    /// The conditional put found the key taken.
    Duplicate,
    /// Another transaction held one of the items: try again.
    Conflict,
    Throttled,
    Other,
}

pub(super) fn cancellation(error: &SdkError<TransactWriteItemsError>) -> Cancellation {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            let codes: Vec<&str> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().unwrap_or("None"))
                .collect();
            cancellation_of(&codes)
        }
        // An SDK retry of ours met the first attempt still running; that attempt either
        // commits (and a new try finds the key taken) or not (and a new try stores it).
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => Cancellation::Conflict,
        _ => Cancellation::Other,
    }
}

/// Classifies the reason codes of a cancelled `record` transaction, which are in
/// request order: the put first, then the counter update.
fn cancellation_of(codes: &[&str]) -> Cancellation {
    if codes.first() == Some(&"ConditionalCheckFailed") {
        Cancellation::Duplicate
    } else if codes.contains(&"TransactionConflict") {
        Cancellation::Conflict
    } else if codes
        .iter()
        .any(|code| matches!(*code, "ThrottlingError" | "ProvisionedThroughputExceeded"))
    {
        Cancellation::Throttled
    } else {
        Cancellation::Other
    }
}

/// Exponential backoff with jitter (half fixed, half random) so that writers colliding
/// on a counter spread out.
pub(super) fn conflict_backoff(attempt: u32) -> Duration {
    let ceiling = CONFLICT_BACKOFF_BASE
        .saturating_mul(1 << attempt.min(10))
        .min(CONFLICT_BACKOFF_CAP);
    let half = u64::try_from(ceiling.as_millis() / 2).unwrap_or(u64::MAX);
    let random = RandomState::new().hash_one(attempt) % (half + 1);
    Duration::from_millis(half + random)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellations_are_classified_by_reason() {
        use Cancellation::*;
        let cases: [(&[&str], Cancellation); 7] = [
            (&["ConditionalCheckFailed", "None"], Duplicate),
            // The key is taken whatever else happened: retrying cannot store it.
            (
                &["ConditionalCheckFailed", "TransactionConflict"],
                Duplicate,
            ),
            (&["None", "TransactionConflict"], Conflict),
            (&["TransactionConflict", "None"], Conflict),
            (&["None", "ThrottlingError"], Throttled),
            (&["ProvisionedThroughputExceeded", "None"], Throttled),
            (&["ValidationError", "None"], Other),
        ];
        for (codes, expected) in cases {
            assert_eq!(cancellation_of(codes), expected, "{codes:?}");
        }
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 0..CONFLICT_ATTEMPTS {
            let delay = conflict_backoff(attempt);
            let ceiling = CONFLICT_BACKOFF_BASE
                .saturating_mul(1 << attempt)
                .min(CONFLICT_BACKOFF_CAP);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{attempt}: {delay:?}"
            );
        }
    }
}
