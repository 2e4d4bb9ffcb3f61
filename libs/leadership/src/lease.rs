//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics:
//! expiry judged on the local clock from when a record change was observed, every
//! write a PUT guarded by `resourceVersion`, release on shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};
use travel_runtime::Shutdown;

use crate::{Leadership, LeaseConfig};

/// Leadership held through a Kubernetes Lease, kept by a background task.
///
/// `is_leader()` is true only while the last successful renewal is younger than the
/// lease duration, counted from the moment that renewal was *sent*: the API server
/// wrote it later and the other replicas saw it later still, so this replica stops
/// acting before any other may take over, even when its task is stuck or partitioned.
pub struct LeaseLeadership {
    state: Arc<State>,
    task: AbortHandle,
    stopped: watch::Receiver<bool>,
}

/// What the task publishes to `is_leader()`.
struct State {
    leading: AtomicBool,
    /// Send time of the last successful write, in µs since `origin`.
    renewed_at_micros: AtomicU64,
    origin: Instant,
    lease_duration: Duration,
}

impl State {
    fn is_leader(&self) -> bool {
        self.leading.load(Ordering::Acquire)
            && self.origin.elapsed() < self.renewed_at() + self.lease_duration
    }

    fn renewed_at(&self) -> Duration {
        Duration::from_micros(self.renewed_at_micros.load(Ordering::Acquire))
    }
}

impl LeaseLeadership {
    /// Starts contending for the lease with `client` (which must be able to get,
    /// create and update Leases in `config.namespace`). The task releases the lease
    /// and ends when `shutdown` fires. Needs a Tokio runtime.
    pub fn start(client: kube::Client, config: LeaseConfig, shutdown: Shutdown) -> Arc<Self> {
        let state = Arc::new(State {
            leading: AtomicBool::new(false),
            renewed_at_micros: AtomicU64::new(0),
            origin: Instant::now(),
            lease_duration: config.lease_duration,
        });
        let (done, stopped) = watch::channel(false);
        let elector = Elector {
            api: Api::namespaced(client, &config.namespace),
            config,
            state: state.clone(),
            cached: None,
            observed: None,
        };
        let task = tokio::spawn(async move {
            elector.run(shutdown).await;
            let _ = done.send(true);
        });
        Arc::new(Self {
            state,
            task: task.abort_handle(),
            stopped,
        })
    }

    /// Completes once the task has ended (after shutdown and the release of the
    /// lease), so a process can wait for the release before exiting.
    pub async fn stopped(&self) {
        let mut stopped = self.stopped.clone();
        // An error means the task is gone without saying so (aborted): stopped too.
        let _ = stopped.wait_for(|done| *done).await;
    }

    /// Test hook: kills the task without releasing, as a crashed or frozen elector.
    /// `is_leader()` must then turn false on its own within the lease duration.
    #[doc(hidden)]
    pub fn abort_without_release(&self) {
        self.task.abort();
    }
}

impl Leadership for LeaseLeadership {
    fn is_leader(&self) -> bool {
        self.state.is_leader()
    }

    fn backend(&self) -> &'static str {
        "lease"
    }

    fn stopped(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(LeaseLeadership::stopped(self))
    }
}

#[derive(Debug, thiserror::Error)]
enum AttemptError {
    /// Someone else wrote the lease since it was read (409): re-read, never overwrite.
    #[error("lease changed concurrently")]
    Conflict,
    #[error(transparent)]
    Api(#[from] kube::Error),
}

/// The lease record as last seen, and when (on this clock) it was first seen.
struct Observed {
    holder: Option<String>,
    renew_time: Option<MicroTime>,
    resource_version: Option<String>,
    at: Instant,
}

struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
    state: Arc<State>,
    /// The record this replica last wrote while leading: the next renewal PUTs it
    /// without a GET; a 409 then means someone else wrote in between.
    cached: Option<Lease>,
    observed: Option<Observed>,
}

impl Elector {
    async fn run(mut self, shutdown: Shutdown) {
        loop {
            if shutdown.is_triggered() {
                break;
            }
            // A hung API call must neither hold the loop nor delay shutdown;
            // is_leader() expires regardless. An abandoned write that lands later only
            // makes the release conflict and re-read.
            let attempt = tokio::select! {
                _ = shutdown.wait() => break,
                attempt = tokio::time::timeout(self.config.lease_duration, self.attempt()) => attempt,
            };
            let wait = match attempt {
                Ok(Ok(true)) => self.config.renew_every,
                Ok(Ok(false)) => self.config.retry_every,
                Ok(Err(AttemptError::Conflict)) => {
                    debug!(identity = %self.config.identity, lease = %self.config.name, "lease changed concurrently, re-reading");
                    self.cached = None;
                    Duration::ZERO
                }
                Ok(Err(AttemptError::Api(error))) => {
                    warn!(identity = %self.config.identity, lease = %self.config.name, %error, "lease request failed");
                    self.cached = None;
                    self.config.retry_every
                }
                Err(_) => {
                    warn!(identity = %self.config.identity, lease = %self.config.name, "lease request timed out");
                    self.cached = None;
                    self.config.retry_every
                }
            };
            self.expire_if_stale();
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let release = tokio::time::timeout(self.config.lease_duration, self.release()).await;
        if release.is_err() {
            warn!(identity = %self.config.identity, lease = %self.config.name, "releasing the lease timed out");
        }
    }

    /// One round: read (unless renewing our own last write), then renew, take over,
    /// create, or follow. Ok(true) when this replica holds the lease afterwards.
    async fn attempt(&mut self) -> Result<bool, AttemptError> {
        let lease = match self.cached.take() {
            Some(lease) => lease,
            None => match self.api.get_opt(&self.config.name).await? {
                Some(lease) => lease,
                None => return self.create().await,
            },
        };
        let now = Instant::now();
        self.observe(&lease, now);
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.filter(|h| !h.is_empty());
        match holder {
            Some(holder) if holder == self.config.identity => self.write(lease, false).await,
            None => self.write(lease, true).await,
            Some(holder) => {
                let duration = spec
                    .lease_duration_seconds
                    .filter(|s| *s > 0)
                    .map_or(self.config.lease_duration, |s| {
                        Duration::from_secs(s as u64)
                    });
                let observed_at = self.observed.as_ref().map_or(now, |o| o.at);
                if now < observed_at + duration {
                    self.step_down(Some(&holder));
                    return Ok(false);
                }
                info!(identity = %self.config.identity, lease = %self.config.name, previous = %holder, "lease expired, taking over");
                self.write(lease, true).await
            }
        }
    }

    /// Remembers when the record last changed; expiry counts from then, on this
    /// replica's clock, so clock skew between pods does not matter.
    fn observe(&mut self, lease: &Lease, now: Instant) {
        let spec = lease.spec.as_ref();
        let holder = spec.and_then(|s| s.holder_identity.clone());
        let renew_time = spec.and_then(|s| s.renew_time.clone());
        let resource_version = lease.metadata.resource_version.clone();
        let unchanged = self.observed.as_ref().is_some_and(|o| {
            o.holder == holder
                && o.renew_time == renew_time
                && o.resource_version == resource_version
        });
        if !unchanged {
            self.observed = Some(Observed {
                holder,
                renew_time,
                resource_version,
                at: now,
            });
        }
    }

    async fn create(&mut self) -> Result<bool, AttemptError> {
        let now = MicroTime(Timestamp::now());
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.config.name.clone()),
                namespace: Some(self.config.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.config.identity.clone()),
                acquire_time: Some(now.clone()),
                renew_time: Some(now),
                lease_duration_seconds: Some(self.config.lease_duration_seconds()),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        let sent = Instant::now();
        match self.api.create(&PostParams::default(), &lease).await {
            Ok(created) => {
                self.lead(sent, created);
                Ok(true)
            }
            Err(kube::Error::Api(status)) if status.is_already_exists() || status.is_conflict() => {
                Err(AttemptError::Conflict)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Renews (`takeover == false`) or takes over the read record with a PUT carrying
    /// its `resourceVersion`, so a concurrent writer makes this fail with 409.
    async fn write(&mut self, mut lease: Lease, takeover: bool) -> Result<bool, AttemptError> {
        let now = MicroTime(Timestamp::now());
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if takeover {
            spec.holder_identity = Some(self.config.identity.clone());
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
        spec.renew_time = Some(now);
        spec.lease_duration_seconds = Some(self.config.lease_duration_seconds());
        let sent = Instant::now();
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(written) => {
                self.lead(sent, written);
                Ok(true)
            }
            Err(kube::Error::Api(status)) if status.is_conflict() => Err(AttemptError::Conflict),
            Err(error) => Err(error.into()),
        }
    }

    /// Records a successful write sent at `sent`.
    fn lead(&mut self, sent: Instant, written: Lease) {
        let micros = sent
            .saturating_duration_since(self.state.origin)
            .as_micros();
        // The deadline first, then the flag: a reader that sees the flag also sees a
        // deadline at least this fresh.
        self.state
            .renewed_at_micros
            .store(u64::try_from(micros).unwrap_or(u64::MAX), Ordering::Release);
        if !self.state.leading.swap(true, Ordering::AcqRel) {
            info!(identity = %self.config.identity, lease = %self.config.name, "became leader");
        }
        self.observe(&written, sent);
        self.cached = Some(written);
    }

    /// Another replica validly holds the lease.
    fn step_down(&mut self, holder: Option<&str>) {
        self.cached = None;
        if self.state.leading.swap(false, Ordering::AcqRel) {
            info!(identity = %self.config.identity, lease = %self.config.name, holder, "lost leadership to another holder");
        }
    }

    /// Renewals failed for the whole lease duration: is_leader() already reads false,
    /// say so once and start over as a candidate.
    fn expire_if_stale(&mut self) {
        if self.state.leading.load(Ordering::Acquire) && !self.state.is_leader() {
            self.state.leading.store(false, Ordering::Release);
            self.cached = None;
            warn!(identity = %self.config.identity, lease = %self.config.name, "lost leadership: lease not renewed within its duration");
        }
    }

    /// On shutdown: stop acting first, then clear the holder (guarded by
    /// `resourceVersion`) so another replica takes over at once instead of waiting out
    /// the lease.
    async fn release(&mut self) {
        let was_leading = self.state.leading.swap(false, Ordering::AcqRel);
        if !was_leading && self.cached.is_none() {
            return;
        }
        for _ in 0..3 {
            let lease = match self.cached.take() {
                Some(lease) => lease,
                None => match self.api.get_opt(&self.config.name).await {
                    Ok(Some(lease)) => lease,
                    Ok(None) => return,
                    Err(error) => {
                        warn!(identity = %self.config.identity, lease = %self.config.name, %error, "cannot read the lease to release it");
                        return;
                    }
                },
            };
            let mut lease = lease;
            let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
            if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
                return;
            }
            spec.holder_identity = None;
            spec.acquire_time = None;
            spec.renew_time = Some(MicroTime(Timestamp::now()));
            match self
                .api
                .replace(&self.config.name, &PostParams::default(), &lease)
                .await
            {
                Ok(_) => {
                    info!(identity = %self.config.identity, lease = %self.config.name, "released leadership");
                    return;
                }
                Err(kube::Error::Api(status)) if status.is_conflict() => continue,
                Err(error) => {
                    warn!(identity = %self.config.identity, lease = %self.config.name, %error, "cannot release the lease");
                    return;
                }
            }
        }
    }
}
