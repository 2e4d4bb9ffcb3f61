//! Per-client budgets of the writes a client may make in a window (selections, alert
//! creations), counted in the shared cache so that every replica sees the same count,
//! and told to the gateway as the `X-RateLimit-*` metadata of api-v1.

use std::time::Duration;

use tonic::Status;
use tonic::metadata::{MetadataMap, MetadataValue};
use travel_cache::Cache;
use travel_domain::{ApiError, ErrorCode};
use travel_runtime::status::to_status;

/// A budget: at most `limit` `what`s per `window` from one client (0: unlimited).
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// The cache key prefix, e.g. `selectionlimit`.
    pub key: &'static str,
    /// What is counted, in the error message ("selections").
    pub what: &'static str,
    pub limit: u64,
    pub window: Duration,
}

/// What is left of a client's budget: the rate-limit headers of api-v1.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    limit: u64,
    remaining: u64,
    reset: u64,
    window: u64,
}

impl Budget {
    /// Carries the budget as gRPC metadata, which the gateway turns into headers.
    pub fn write(&self, metadata: &mut MetadataMap) {
        for (name, value) in [
            ("x-ratelimit-limit", self.limit),
            ("x-ratelimit-remaining", self.remaining),
            ("x-ratelimit-reset", self.reset),
            ("x-ratelimit-window", self.window),
        ] {
            metadata.insert(name, MetadataValue::from(value));
        }
    }
}

impl Limit {
    /// Counts one write of `client` (an opaque, already hashed id); `Err` (429 with
    /// the budget and `retry-after`) when the budget is spent. No client, no limit or
    /// an unreachable cache lets the write through (the last says so in the log).
    pub async fn spend(
        &self,
        cache: &dyn Cache,
        client: Option<&str>,
    ) -> Result<Option<Budget>, Status> {
        let (Some(client), limit) = (client, self.limit) else {
            return Ok(None);
        };
        if limit == 0 {
            return Ok(None);
        }
        let counted = match cache
            .hit_window(&format!("{}:{client}", self.key), self.window)
            .await
        {
            Ok(counted) => counted,
            Err(error) => {
                travel_cache::log_failure(&error, "write limiter cache unreachable, write allowed");
                return Ok(None);
            }
        };
        let budget = Budget {
            limit,
            remaining: limit.saturating_sub(counted.count),
            reset: counted.resets_at_unix(),
            window: self.window.as_secs().max(1),
        };
        if counted.count <= limit {
            return Ok(Some(budget));
        }
        let what = self.what;
        let error = ApiError::new(
            ErrorCode::RateLimitExceeded,
            format!(
                "more than {limit} {what} in {} seconds from this client",
                budget.window
            ),
        )
        .with_detail(
            "client_ip",
            "",
            format!("at most {limit} {what} per {} seconds", budget.window),
        );
        let mut status = to_status(&error);
        budget.write(status.metadata_mut());
        let retry_after = counted.resets_in.max(Duration::from_secs(1)).as_secs();
        status
            .metadata_mut()
            .insert("retry-after", MetadataValue::from(retry_after));
        Err(status)
    }
}
