//! Circuit breaker per source, as plain state the ingestor keeps in the cache so it
//! survives between CronJob runs: after `threshold` consecutive failures the source is
//! skipped for `cool_down`, then tried again (one failure re-opens it at once).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    pub threshold: u32,
    pub cool_down: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub consecutive_failures: u32,
    /// While set and in the future, the source is skipped.
    pub open_until: Option<DateTime<Utc>>,
}

impl Breaker {
    /// Whether the source may be called at `now`.
    pub fn allows(&self, now: DateTime<Utc>) -> bool {
        self.open_until.is_none_or(|until| now >= until)
    }

    pub fn record_success(&mut self) {
        *self = Breaker::default();
    }

    pub fn record_failure(&mut self, now: DateTime<Utc>, policy: BreakerPolicy) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures >= policy.threshold {
            let cool_down =
                chrono::Duration::from_std(policy.cool_down).unwrap_or(chrono::Duration::MAX);
            self.open_until = now.checked_add_signed(cool_down);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn opens_after_the_threshold_and_closes_after_the_cool_down() {
        let policy = BreakerPolicy {
            threshold: 3,
            cool_down: Duration::from_secs(600),
        };
        let t0 = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
        let mut breaker = Breaker::default();
        for _ in 0..2 {
            breaker.record_failure(t0, policy);
            assert!(breaker.allows(t0), "below the threshold");
        }
        breaker.record_failure(t0, policy);
        assert!(!breaker.allows(t0 + chrono::Duration::minutes(9)));
        assert!(breaker.allows(t0 + chrono::Duration::minutes(10)));
        // Half-open: one more failure opens it again; a success resets it.
        breaker.record_failure(t0 + chrono::Duration::minutes(10), policy);
        assert!(!breaker.allows(t0 + chrono::Duration::minutes(11)));
        breaker.record_success();
        assert_eq!(breaker, Breaker::default());
        let json = serde_json::to_string(&breaker).unwrap();
        assert_eq!(serde_json::from_str::<Breaker>(&json).unwrap(), breaker);
    }
}
