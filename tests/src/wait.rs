//! Waiting for something that happens in the background: the one polling loop with a
//! deadline that the suites share.

use std::time::{Duration, Instant};

/// Runs `probe` until `done` accepts what it returned or `within` has passed, pausing
/// `every` between tries (not at all when zero, for probes that wait themselves), and
/// returns the last result either way: the caller's assertions judge it, and show it
/// when it is not what they expect.
pub async fn eventually<T>(
    within: Duration,
    every: Duration,
    mut probe: impl AsyncFnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let value = probe().await;
        if done(&value) || Instant::now() >= deadline {
            return value;
        }
        if !every.is_zero() {
            tokio::time::sleep(every).await;
        }
    }
}
