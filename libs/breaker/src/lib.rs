//! A circuit breaker for one process's connection to one backend (the cache, the
//! database). After `threshold` consecutive failures the backend is skipped for
//! `cool_down`: callers get an error at once instead of waiting out a time-out each.
//! Then exactly one call is let through as a probe; its result closes the breaker or
//! opens it for another cool-down. Every other call fails fast while the probe runs,
//! so a black-holed backend costs one time-out per cool-down, not one per request.
//!
//! Why not a crate: failsafe 1.3 and recloser 1.4 both let every call through while
//! half-open, which under load is thousands of requests waiting on a black hole.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use travel_config::{ConfigError, Env};

/// The backends that have breakers, as named in logs, metrics and /health.
pub const CACHE: &str = "cache";
pub const DATABASE: &str = "database";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failures that open the breaker.
    pub threshold: u32,
    /// How long an open breaker skips the backend before one probe.
    pub cool_down: Duration,
}

impl BreakerPolicy {
    pub const DEFAULT: BreakerPolicy = BreakerPolicy {
        threshold: 3,
        cool_down: Duration::from_secs(5),
    };

    /// The policy from its two variables (a threshold of 0 turns the breaker off),
    /// e.g. `TRAVEL_CACHE_BREAKER_THRESHOLD` and `TRAVEL_CACHE_BREAKER_COOL_DOWN`.
    pub fn from_env(env: &Env, threshold: &str, cool_down: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            threshold: env.parse(threshold, Self::DEFAULT.threshold)?,
            cool_down: env.duration_at_least(
                cool_down,
                Self::DEFAULT.cool_down,
                Duration::from_millis(1),
            )?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight since `since`; a probe that never reports (its caller
    /// was cancelled) is given up after a cool-down, and another is let through.
    Probing {
        since: Instant,
    },
}

/// What a caller may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Permit {
    /// The backend is believed up: call it, then [`Breaker::record`] the outcome.
    Call,
    /// The backend was down: this one call decides whether it is back.
    Probe,
}

/// One backend's breaker; share it (`Arc`) between all callers of that backend.
#[derive(Debug)]
pub struct Breaker {
    backend: &'static str,
    policy: BreakerPolicy,
    state: Arc<Mutex<State>>,
}

/// Every live breaker of this process, so its health report can name their states
/// without each backend's owner passing them around.
static REGISTRY: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// A backend's name and its breaker's state, for as long as the breaker lives.
type Registered = (&'static str, Weak<Mutex<State>>);

// The state is a few words updated in one step: a panic elsewhere cannot leave it
// half-written, so a poisoned lock still holds a valid state.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn state_name(state: &State) -> &'static str {
    match state {
        State::Closed { .. } => "closed",
        State::Open { .. } => "open",
        State::Probing { .. } => "half_open",
    }
}

/// The state of this process's breakers by backend (`closed`, `open`, `half_open`);
/// where several guard one backend, the least healthy. Breakers turned off
/// (threshold 0) are not listed.
pub fn states() -> BTreeMap<&'static str, &'static str> {
    let mut registry = lock(&REGISTRY);
    registry.retain(|(_, state)| state.strong_count() > 0);
    let mut states = BTreeMap::new();
    for (backend, state) in registry.iter() {
        let Some(state) = state.upgrade() else {
            continue;
        };
        let name = state_name(&lock(&state));
        let rank = |name: &str| {
            ["closed", "half_open", "open"]
                .iter()
                .position(|n| *n == name)
        };
        let entry = states.entry(*backend).or_insert(name);
        if rank(name) > rank(entry) {
            *entry = name;
        }
    }
    states
}

impl Breaker {
    pub fn new(backend: &'static str, policy: BreakerPolicy) -> Self {
        metrics::gauge!("travel_breaker_open", "backend" => backend).set(0.0);
        let state = Arc::new(Mutex::new(State::Closed { failures: 0 }));
        if policy.threshold > 0 {
            lock(&REGISTRY).push((backend, Arc::downgrade(&state)));
        }
        Self {
            backend,
            policy,
            state,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Whether to call the backend now; `None`: fail fast, it is down.
    pub fn permit(&self) -> Option<Permit> {
        self.permit_at(Instant::now())
    }

    fn permit_at(&self, now: Instant) -> Option<Permit> {
        if self.policy.threshold == 0 {
            return Some(Permit::Call);
        }
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Some(Permit::Call),
            State::Open { until } if now < until => None,
            State::Probing { since } if now < since + self.policy.cool_down => None,
            State::Open { .. } | State::Probing { .. } => {
                *state = State::Probing { since: now };
                Some(Permit::Probe)
            }
        }
    }

    /// Runs `call` unless the backend is being skipped (`None`), and records whether
    /// it was reached: `unreachable` tells a refused or timed-out call from an answer.
    pub async fn run<T, E>(
        &self,
        call: impl std::future::Future<Output = Result<T, E>>,
        unreachable: fn(&E) -> bool,
    ) -> Option<Result<T, E>> {
        let permit = self.permit()?;
        let result = call.await;
        self.record(permit, !result.as_ref().err().is_some_and(unreachable));
        Some(result)
    }

    /// The outcome of a permitted call: `ok` false for an unreachable or timed-out
    /// backend (not for an answer that merely says no).
    pub fn record(&self, permit: Permit, ok: bool) {
        self.record_at(permit, ok, Instant::now());
    }

    fn record_at(&self, permit: Permit, ok: bool, now: Instant) {
        if self.policy.threshold == 0 {
            return;
        }
        let mut state = self.lock();
        let before = *state;
        *state = match (permit, before, ok) {
            (Permit::Probe, State::Probing { .. }, true) => State::Closed { failures: 0 },
            (Permit::Probe, State::Probing { .. }, false) => State::Open {
                until: now + self.policy.cool_down,
            },
            (Permit::Call, State::Closed { .. }, true) => State::Closed { failures: 0 },
            (Permit::Call, State::Closed { failures }, false) => {
                let failures = failures.saturating_add(1);
                if failures >= self.policy.threshold {
                    State::Open {
                        until: now + self.policy.cool_down,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            // A late answer of a call made before the state changed: the probe decides.
            (_, other, _) => other,
        };
        let (was_open, is_open) = (
            !matches!(before, State::Closed { .. }),
            !matches!(*state, State::Closed { .. }),
        );
        drop(state);
        if !was_open && is_open {
            tracing::warn!(
                backend = self.backend,
                cool_down_ms = self.policy.cool_down.as_millis() as u64,
                "{} breaker opened: skipping it for the cool-down",
                self.backend
            );
            metrics::gauge!("travel_breaker_open", "backend" => self.backend).set(1.0);
            metrics::counter!("travel_breaker_opened_total", "backend" => self.backend)
                .increment(1);
        } else if was_open && !is_open {
            tracing::info!(
                backend = self.backend,
                "{} breaker closed: it answers again",
                self.backend
            );
            metrics::gauge!("travel_breaker_open", "backend" => self.backend).set(0.0);
        }
    }

    /// `closed`, `open` or `half_open` (a probe is in flight), for /health.
    pub fn state(&self) -> &'static str {
        state_name(&self.lock())
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        threshold: 3,
        cool_down: Duration::from_secs(5),
    };

    #[test]
    fn opens_after_consecutive_failures_only() {
        let breaker = Breaker::new("test", POLICY);
        let t0 = Instant::now();
        for _ in 0..2 {
            breaker.record_at(Permit::Call, false, t0);
        }
        // A success in between resets the count.
        breaker.record_at(Permit::Call, true, t0);
        for _ in 0..2 {
            breaker.record_at(Permit::Call, false, t0);
        }
        assert_eq!(breaker.permit_at(t0), Some(Permit::Call));
        breaker.record_at(Permit::Call, false, t0);
        assert_eq!(breaker.state(), "open");
        assert_eq!(breaker.permit_at(t0 + Duration::from_secs(4)), None);
    }

    #[test]
    fn one_probe_after_the_cool_down_decides() {
        let breaker = Breaker::new("test", POLICY);
        let t0 = Instant::now();
        for _ in 0..3 {
            breaker.record_at(Permit::Call, false, t0);
        }
        let t1 = t0 + Duration::from_secs(5);
        assert_eq!(breaker.permit_at(t1), Some(Permit::Probe));
        // Everyone else fails fast while the probe runs.
        assert_eq!(breaker.permit_at(t1), None);
        assert_eq!(breaker.state(), "half_open");
        // The probe fails: another full cool-down.
        breaker.record_at(Permit::Probe, false, t1);
        assert_eq!(breaker.permit_at(t1 + Duration::from_secs(4)), None);
        let t2 = t1 + Duration::from_secs(5);
        assert_eq!(breaker.permit_at(t2), Some(Permit::Probe));
        // A late failure of an old call changes nothing; the probe's success closes it.
        breaker.record_at(Permit::Call, false, t2);
        breaker.record_at(Permit::Probe, true, t2);
        assert_eq!(breaker.state(), "closed");
        assert_eq!(breaker.permit_at(t2), Some(Permit::Call));
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_a_cool_down() {
        let breaker = Breaker::new("test", POLICY);
        let t0 = Instant::now();
        for _ in 0..3 {
            breaker.record_at(Permit::Call, false, t0);
        }
        let t1 = t0 + Duration::from_secs(5);
        assert_eq!(breaker.permit_at(t1), Some(Permit::Probe));
        // Its caller was cancelled: no record. A cool-down later, a new probe.
        assert_eq!(breaker.permit_at(t1 + Duration::from_secs(4)), None);
        assert_eq!(
            breaker.permit_at(t1 + Duration::from_secs(5)),
            Some(Permit::Probe)
        );
    }

    #[test]
    fn the_registry_reports_the_least_healthy_live_breaker_per_backend() {
        let first = Breaker::new("registry-test", POLICY);
        let second = Breaker::new("registry-test", POLICY);
        assert_eq!(states().get("registry-test"), Some(&"closed"));
        let t0 = Instant::now();
        for _ in 0..3 {
            second.record_at(Permit::Call, false, t0);
        }
        assert_eq!(states().get("registry-test"), Some(&"open"));
        drop(second);
        assert_eq!(states().get("registry-test"), Some(&"closed"));
        drop(first);
        assert_eq!(states().get("registry-test"), None);
        // A breaker that is turned off has no state to report.
        let _off = Breaker::new(
            "registry-off",
            BreakerPolicy {
                threshold: 0,
                ..POLICY
            },
        );
        assert_eq!(states().get("registry-off"), None);
    }

    #[test]
    fn threshold_zero_never_opens() {
        let breaker = Breaker::new(
            "test",
            BreakerPolicy {
                threshold: 0,
                ..POLICY
            },
        );
        let t0 = Instant::now();
        for _ in 0..100 {
            breaker.record_at(Permit::Call, false, t0);
        }
        assert_eq!(breaker.permit_at(t0), Some(Permit::Call));
    }

    #[test]
    fn the_policy_reads_its_variables() {
        let env = Env::from_pairs([
            ("TRAVEL_CACHE_BREAKER_THRESHOLD", "5"),
            ("TRAVEL_CACHE_BREAKER_COOL_DOWN", "2s"),
        ]);
        let policy = BreakerPolicy::from_env(
            &env,
            "TRAVEL_CACHE_BREAKER_THRESHOLD",
            "TRAVEL_CACHE_BREAKER_COOL_DOWN",
        )
        .unwrap();
        assert_eq!(policy.threshold, 5);
        assert_eq!(policy.cool_down, Duration::from_secs(2));
        let bad = Env::from_pairs([("TRAVEL_CACHE_BREAKER_COOL_DOWN", "soon")]);
        let error = BreakerPolicy::from_env(
            &bad,
            "TRAVEL_CACHE_BREAKER_THRESHOLD",
            "TRAVEL_CACHE_BREAKER_COOL_DOWN",
        )
        .unwrap_err();
        assert_eq!(error.variable, "TRAVEL_CACHE_BREAKER_COOL_DOWN");
    }
}
