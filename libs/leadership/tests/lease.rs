//! The Lease elector against a local stand-in for the Kubernetes API server: the Lease
//! endpoints kube calls, with the server's semantics (404/409 `Status` bodies,
//! `resourceVersion` checked on PUT and bumped on every write). Each elector talks
//! to its own listener on the shared store so one can be cut off (partitioned).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::time::Instant;
use travel_leadership::{Leadership, LeaseConfig, LeaseLeadership};
use travel_runtime::Shutdown;

const NAMESPACE: &str = "travel";
const LEASE: &str = "ranking-calculator";

// ---------------------------------------------------------------------------------
// Fake API server
// ---------------------------------------------------------------------------------

/// A successful write as the server applied it.
#[derive(Debug, Clone)]
struct Write {
    at: Instant,
    endpoint: String,
    holder: Option<String>,
}

#[derive(Default)]
struct Inner {
    leases: BTreeMap<(String, String), Value>,
    last_rv: u64,
    /// 409s answered: stale resourceVersion on PUT, or create of an existing lease.
    conflicts: u64,
    writes: Vec<Write>,
    /// First GET per endpoint: when that elector first saw the lease.
    first_get: BTreeMap<String, Instant>,
}

#[derive(Clone, Default)]
struct Store(Arc<Mutex<Inner>>);

impl Store {
    fn lease(&self) -> Option<Value> {
        let inner = self.0.lock().unwrap();
        inner.leases.get(&(NAMESPACE.into(), LEASE.into())).cloned()
    }

    fn conflicts(&self) -> u64 {
        self.0.lock().unwrap().conflicts
    }

    fn writes(&self) -> Vec<Write> {
        self.0.lock().unwrap().writes.clone()
    }

    fn first_get(&self, endpoint: &str) -> Option<Instant> {
        self.0.lock().unwrap().first_get.get(endpoint).copied()
    }

    /// Another client (kubectl, a rogue elector) changes the lease: a write with a new
    /// resourceVersion the electors have not read.
    fn write_behind_their_back(&self, change: impl FnOnce(&mut Value)) {
        let mut inner = self.0.lock().unwrap();
        inner.last_rv += 1;
        let rv = inner.last_rv;
        let lease = inner
            .leases
            .get_mut(&(NAMESPACE.into(), LEASE.into()))
            .expect("lease exists");
        change(lease);
        lease["metadata"]["resourceVersion"] = json!(rv.to_string());
        let holder = holder(lease);
        inner.writes.push(Write {
            at: Instant::now(),
            endpoint: "test".into(),
            holder,
        });
    }
}

fn holder(lease: &Value) -> Option<String> {
    lease["spec"]["holderIdentity"].as_str().map(str::to_string)
}

fn transitions(lease: &Value) -> i64 {
    lease["spec"]["leaseTransitions"].as_i64().unwrap_or(0)
}

/// One listener on the shared store; `partitioned` makes it swallow requests.
#[derive(Clone)]
struct Endpoint {
    store: Store,
    name: String,
    partitioned: Arc<AtomicBool>,
}

impl Endpoint {
    async fn gate(&self) {
        if self.partitioned.load(Ordering::SeqCst) {
            // A partition: the request is never answered.
            std::future::pending::<()>().await;
        }
    }
}

fn status(code: StatusCode, reason: &str, message: String, name: &str) -> Response {
    let body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": {"name": name, "group": "coordination.k8s.io", "kind": "leases"},
        "code": code.as_u16(),
    });
    json_response(code, body)
}

fn json_response(code: StatusCode, body: Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found(name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("leases.coordination.k8s.io {name:?} not found"),
        name,
    )
}

fn parse(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("invalid body: {e}"),
            "",
        ))
    })
}

async fn list(State(ep): State<Endpoint>, Path(ns): Path<String>) -> Response {
    ep.gate().await;
    let inner = ep.store.0.lock().unwrap();
    let items: Vec<Value> = inner
        .leases
        .iter()
        .filter(|((n, _), _)| *n == ns)
        .map(|(_, lease)| lease.clone())
        .collect();
    json_response(
        StatusCode::OK,
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "LeaseList",
            "metadata": {"resourceVersion": inner.last_rv.to_string()},
            "items": items,
        }),
    )
}

async fn create(State(ep): State<Endpoint>, Path(ns): Path<String>, body: Bytes) -> Response {
    ep.gate().await;
    let mut lease = match parse(&body) {
        Ok(lease) => lease,
        Err(response) => return *response,
    };
    let Some(name) = lease["metadata"]["name"].as_str().map(str::to_string) else {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "metadata.name: Required value".into(),
            "",
        );
    };
    let mut inner = ep.store.0.lock().unwrap();
    let key = (ns.clone(), name.clone());
    if inner.leases.contains_key(&key) {
        inner.conflicts += 1;
        return status(
            StatusCode::CONFLICT,
            "AlreadyExists",
            format!("leases.coordination.k8s.io {name:?} already exists"),
            &name,
        );
    }
    inner.last_rv += 1;
    let rv = inner.last_rv;
    lease["apiVersion"] = json!("coordination.k8s.io/v1");
    lease["kind"] = json!("Lease");
    lease["metadata"]["namespace"] = json!(ns);
    lease["metadata"]["resourceVersion"] = json!(rv.to_string());
    lease["metadata"]["uid"] = json!(format!("uid-{rv}"));
    lease["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    inner.writes.push(Write {
        at: Instant::now(),
        endpoint: ep.name.clone(),
        holder: holder(&lease),
    });
    inner.leases.insert(key, lease.clone());
    json_response(StatusCode::CREATED, lease)
}

async fn read(State(ep): State<Endpoint>, Path((ns, name)): Path<(String, String)>) -> Response {
    ep.gate().await;
    let mut inner = ep.store.0.lock().unwrap();
    inner
        .first_get
        .entry(ep.name.clone())
        .or_insert_with(Instant::now);
    match inner.leases.get(&(ns, name.clone())) {
        Some(lease) => json_response(StatusCode::OK, lease.clone()),
        None => not_found(&name),
    }
}

async fn replace(
    State(ep): State<Endpoint>,
    Path((ns, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    ep.gate().await;
    let mut lease = match parse(&body) {
        Ok(lease) => lease,
        Err(response) => return *response,
    };
    if lease["metadata"]["name"].as_str() != Some(name.as_str()) {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the name of the object does not match the name on the URL".into(),
            &name,
        );
    }
    let mut inner = ep.store.0.lock().unwrap();
    let key = (ns, name.clone());
    let Some(stored) = inner.leases.get(&key) else {
        return not_found(&name);
    };
    // Like the API server: a PUT naming a resourceVersion succeeds only if it is the
    // stored one (an empty one would be an unconditional update).
    let sent_rv = lease["metadata"]["resourceVersion"].as_str();
    if sent_rv.is_some_and(|rv| Some(rv) != stored["metadata"]["resourceVersion"].as_str()) {
        inner.conflicts += 1;
        return status(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on leases.coordination.k8s.io {name:?}: the object has been modified; please apply your changes to the latest version and try again"
            ),
            &name,
        );
    }
    lease["metadata"]["uid"] = stored["metadata"]["uid"].clone();
    lease["metadata"]["creationTimestamp"] = stored["metadata"]["creationTimestamp"].clone();
    inner.last_rv += 1;
    lease["metadata"]["resourceVersion"] = json!(inner.last_rv.to_string());
    inner.writes.push(Write {
        at: Instant::now(),
        endpoint: ep.name.clone(),
        holder: holder(&lease),
    });
    inner.leases.insert(key, lease.clone());
    json_response(StatusCode::OK, lease)
}

struct FakeApi {
    store: Store,
}

impl FakeApi {
    fn new() -> Self {
        Self {
            store: Store::default(),
        }
    }

    /// A new listener on the shared store and a client for it, plus its partition switch.
    async fn client(&self, name: &str) -> (kube::Client, Arc<AtomicBool>) {
        let partitioned = Arc::new(AtomicBool::new(false));
        let endpoint = Endpoint {
            store: self.store.clone(),
            name: name.to_string(),
            partitioned: partitioned.clone(),
        };
        let app = Router::new()
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
                get(list).post(create),
            )
            .route(
                "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}",
                get(read).put(replace),
            )
            .with_state(endpoint);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut config = kube::Config::new(format!("http://127.0.0.1:{port}").parse().unwrap());
        config.default_namespace = NAMESPACE.to_string();
        // Explicit, as the services do (see install_crypto_provider).
        travel_leadership::install_crypto_provider();
        (kube::Client::try_from(config).unwrap(), partitioned)
    }

    async fn elector(
        &self,
        identity: &str,
        timing: Timing,
        shutdown: &Shutdown,
    ) -> (Arc<LeaseLeadership>, Arc<AtomicBool>) {
        let (client, partitioned) = self.client(identity).await;
        let config = LeaseConfig {
            lease_duration: timing.lease,
            renew_every: timing.renew,
            retry_every: timing.retry,
            ..LeaseConfig::new(LEASE, NAMESPACE, identity)
        };
        (
            LeaseLeadership::start(client, config, shutdown.clone()),
            partitioned,
        )
    }
}

#[derive(Clone, Copy)]
struct Timing {
    lease: Duration,
    renew: Duration,
    retry: Duration,
}

const FAST: Timing = Timing {
    lease: Duration::from_secs(1),
    renew: Duration::from_millis(200),
    retry: Duration::from_millis(100),
};

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "travel_leadership=debug".into()),
        )
        .try_init();
}

/// Polls `condition` until it holds or `within` has passed (generous deadlines: the
/// machine may be loaded).
async fn eventually(within: Duration, condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Samples two electors continuously on its own thread and counts moments when both
/// lead. A reading counts only if one elector read true on both sides of the other's
/// true reading, so two handovers would have to fit between three atomic loads for a
/// sequential pair of leaders to be mistaken for an overlap.
struct OverlapWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl OverlapWatch {
    fn start(a: Arc<LeaseLeadership>, b: Arc<LeaseLeadership>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut overlaps = 0;
            while !flag.load(Ordering::SeqCst) {
                let a1 = a.is_leader();
                let b1 = b.is_leader();
                let a2 = a.is_leader();
                let b2 = b.is_leader();
                if b1 && a2 && (a1 || b2) {
                    overlaps += 1;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            overlaps
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    fn overlaps(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// Waits until exactly one of the two leads; returns (leader, follower) indices.
async fn single_leader(electors: &[Arc<LeaseLeadership>; 2]) -> (usize, usize) {
    let one = eventually(Duration::from_secs(15), || {
        electors[0].is_leader() != electors[1].is_leader()
    })
    .await;
    assert!(one, "no single leader emerged");
    if electors[0].is_leader() {
        (0, 1)
    } else {
        (1, 0)
    }
}

// ---------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_electors_one_leader_that_stays() {
    init_tracing();
    let api = FakeApi::new();
    let shutdown = Shutdown::new();
    // A longer lease than FAST so that a scheduling hiccup on a loaded machine does
    // not legitimately move the lease while stability is checked.
    let timing = Timing {
        lease: Duration::from_secs(2),
        ..FAST
    };
    let (a, _) = api.elector("pod-a", timing, &shutdown).await;
    let (b, _) = api.elector("pod-b", timing, &shutdown).await;
    assert_eq!(a.backend(), "lease");
    let watch = OverlapWatch::start(a.clone(), b.clone());
    let electors = [a, b];
    let identities = ["pod-a", "pod-b"];
    let (leader, follower) = single_leader(&electors).await;

    let lease = api.store.lease().expect("the lease was created");
    assert_eq!(holder(&lease).as_deref(), Some(identities[leader]));
    assert_eq!(lease["spec"]["leaseDurationSeconds"], json!(2));
    assert!(lease["spec"]["acquireTime"].is_string(), "{lease}");
    assert_eq!(transitions(&lease), 0, "created, never handed over");

    // Ten renew periods: the leader keeps leading, the follower never leads, and the
    // leader's renewals reach the server.
    let writes_before = api.store.writes().len();
    let until = Instant::now() + timing.renew * 10;
    while Instant::now() < until {
        assert!(
            electors[leader].is_leader(),
            "the leader lost the lease while renewing"
        );
        assert!(!electors[follower].is_leader(), "the follower took over");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let renewals: Vec<Write> = api.store.writes()[writes_before..].to_vec();
    assert!(renewals.len() >= 3, "too few renewals: {renewals:?}");
    assert!(
        renewals
            .iter()
            .all(|w| w.holder.as_deref() == Some(identities[leader])),
        "{renewals:?}"
    );
    let lease = api.store.lease().unwrap();
    assert_eq!(transitions(&lease), 0);

    shutdown.trigger();
    assert_eq!(watch.overlaps(), 0, "both electors led at the same time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_and_the_other_takes_over_at_once() {
    init_tracing();
    let api = FakeApi::new();
    let shutdowns = [Shutdown::new(), Shutdown::new()];
    // A long lease: a takeover well under it can only come from the release.
    let timing = Timing {
        lease: Duration::from_secs(4),
        renew: Duration::from_millis(300),
        retry: Duration::from_millis(100),
    };
    let (a, _) = api.elector("pod-a", timing, &shutdowns[0]).await;
    let (b, _) = api.elector("pod-b", timing, &shutdowns[1]).await;
    let watch = OverlapWatch::start(a.clone(), b.clone());
    let electors = [a, b];
    let (leader, follower) = single_leader(&electors).await;
    let transitions_before = transitions(&api.store.lease().unwrap());

    let released_at = Instant::now();
    shutdowns[leader].trigger();
    assert!(
        tokio::time::timeout(Duration::from_secs(10), electors[leader].stopped())
            .await
            .is_ok(),
        "the elector did not stop"
    );
    assert!(!electors[leader].is_leader());

    assert!(
        eventually(Duration::from_secs(10), || electors[follower].is_leader()).await,
        "the follower never took over"
    );
    let took = released_at.elapsed();
    assert!(
        took < timing.lease / 2,
        "takeover took {took:?}, as if the lease had not been released"
    );
    let writes = api.store.writes();
    let release = writes
        .iter()
        .rposition(|w| w.holder.is_none())
        .expect("a write clearing the holder");
    assert_eq!(writes[release].endpoint, ["pod-a", "pod-b"][leader]);
    let lease = api.store.lease().unwrap();
    assert_eq!(
        holder(&lease).as_deref(),
        Some(["pod-a", "pod-b"][follower])
    );
    assert_eq!(transitions(&lease), transitions_before + 1);

    shutdowns[follower].trigger();
    assert_eq!(watch.overlaps(), 0, "both electors led at the same time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_leader_steps_down_and_is_replaced_only_after_the_lease() {
    init_tracing();
    let api = FakeApi::new();
    let shutdown = Shutdown::new();
    let (a, cut_a) = api.elector("pod-a", FAST, &shutdown).await;
    let (b, cut_b) = api.elector("pod-b", FAST, &shutdown).await;
    let watch = OverlapWatch::start(a.clone(), b.clone());
    let electors = [a, b];
    let cuts = [cut_a, cut_b];
    let identities = ["pod-a", "pod-b"];
    let (leader, follower) = single_leader(&electors).await;
    let transitions_before = transitions(&api.store.lease().unwrap());

    // The leader's requests now go unanswered: no renewals, no release.
    cuts[leader].store(true, Ordering::SeqCst);
    let cut_at = Instant::now();
    assert!(
        eventually(FAST.lease + Duration::from_secs(5), || !electors[leader]
            .is_leader())
        .await,
        "the partitioned leader kept leading"
    );
    assert!(
        cut_at.elapsed() < FAST.lease + Duration::from_secs(3),
        "the partitioned leader led for {:?} after its last chance to renew",
        cut_at.elapsed()
    );
    assert!(
        eventually(Duration::from_secs(15), || electors[follower].is_leader()).await,
        "the follower never took over"
    );

    // The server's own clock: the takeover came at least a lease duration after the
    // partitioned leader's last successful write.
    let writes = api.store.writes();
    let last_old = writes
        .iter()
        .rposition(|w| w.holder.as_deref() == Some(identities[leader]))
        .unwrap();
    let takeover = &writes[last_old + 1];
    assert_eq!(takeover.holder.as_deref(), Some(identities[follower]));
    let gap = takeover.at - writes[last_old].at;
    assert!(
        gap >= FAST.lease,
        "took over {gap:?} after the last renewal"
    );
    let lease = api.store.lease().unwrap();
    assert_eq!(transitions(&lease), transitions_before + 1);

    shutdown.trigger();
    assert_eq!(watch.overlaps(), 0, "both electors led at the same time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_elector_stops_leading_by_itself_and_its_lease_is_waited_out() {
    init_tracing();
    let api = FakeApi::new();
    let shutdown = Shutdown::new();
    let (a, _) = api.elector("pod-a", FAST, &shutdown).await;
    assert!(
        eventually(Duration::from_secs(10), || a.is_leader()).await,
        "a lone elector did not lead"
    );

    // No task any more to renew, release or notice: only the deadline is left.
    a.abort_without_release();
    let aborted_at = Instant::now();
    assert!(
        eventually(FAST.lease + Duration::from_secs(5), || !a.is_leader()).await,
        "the stuck elector kept leading"
    );
    assert!(
        aborted_at.elapsed() <= FAST.lease + Duration::from_secs(3),
        "led {:?} after its task died",
        aborted_at.elapsed()
    );
    let lease = api.store.lease().unwrap();
    assert_eq!(
        holder(&lease).as_deref(),
        Some("pod-a"),
        "not released, only expired"
    );

    // A newcomer cannot know how old the record is: it waits a whole lease duration
    // from its first sight of it, then takes over.
    let (b, _) = api.elector("pod-b", FAST, &shutdown).await;
    assert!(
        eventually(Duration::from_secs(15), || b.is_leader()).await,
        "the newcomer never took over"
    );
    let first_seen = api.store.first_get("pod-b").unwrap();
    let takeover = api
        .store
        .writes()
        .into_iter()
        .find(|w| w.holder.as_deref() == Some("pod-b"))
        .unwrap();
    assert!(
        takeover.at - first_seen >= FAST.lease,
        "took over {:?} after first seeing the lease",
        takeover.at - first_seen
    );
    let lease = api.store.lease().unwrap();
    assert_eq!(transitions(&lease), 1);
    assert!(!a.is_leader());
    shutdown.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_conflict_and_are_re_read_not_overwritten() {
    init_tracing();
    let api = FakeApi::new();
    let shutdown = Shutdown::new();
    let timing = Timing {
        lease: Duration::from_secs(2),
        ..FAST
    };
    let (a, _) = api.elector("pod-a", timing, &shutdown).await;
    assert!(
        eventually(Duration::from_secs(10), || a.is_leader()).await,
        "a lone elector did not lead"
    );
    assert_eq!(api.store.conflicts(), 0);

    // Someone annotates the lease: the leader's next renewal carries a stale
    // resourceVersion, gets 409, re-reads and renews the new record, keeping the
    // annotation.
    api.store.write_behind_their_back(|lease| {
        lease["metadata"]["annotations"] = json!({"touched-by": "operator"});
    });
    let bumped_at = Instant::now();
    assert!(
        eventually(Duration::from_secs(10), || {
            api.store.conflicts() >= 1
                && api
                    .store
                    .writes()
                    .iter()
                    .any(|w| w.at > bumped_at && w.holder.as_deref() == Some("pod-a"))
        })
        .await,
        "no conflict and renewal after the concurrent write"
    );
    let lease = api.store.lease().unwrap();
    assert_eq!(
        lease["metadata"]["annotations"]["touched-by"], "operator",
        "the concurrent write was overwritten: {lease}"
    );
    assert_eq!(holder(&lease).as_deref(), Some("pod-a"));
    assert!(a.is_leader());

    // Someone takes the lease outright: the leader's renewal conflicts, the re-read
    // shows a valid holder, and it steps down without writing over it.
    let conflicts_before = api.store.conflicts();
    let transitions_before = transitions(&api.store.lease().unwrap());
    api.store.write_behind_their_back(|lease| {
        lease["spec"]["holderIdentity"] = json!("intruder");
        lease["spec"]["leaseDurationSeconds"] = json!(1);
        lease["spec"]["leaseTransitions"] = json!(transitions_before + 1);
    });
    let intruded_at = api
        .store
        .writes()
        .into_iter()
        .rfind(|w| w.holder.as_deref() == Some("intruder"))
        .unwrap()
        .at;
    assert!(
        eventually(Duration::from_secs(10), || !a.is_leader()).await,
        "the elector kept leading over another holder"
    );
    assert!(api.store.conflicts() > conflicts_before);
    assert_eq!(
        holder(&api.store.lease().unwrap()).as_deref(),
        Some("intruder")
    );

    // The intruder never renews: after its second, the elector takes over again.
    assert!(
        eventually(Duration::from_secs(15), || a.is_leader()).await,
        "the elector did not take the expired lease back"
    );
    let retaken = api
        .store
        .writes()
        .into_iter()
        .find(|w| w.at > intruded_at && w.holder.as_deref() == Some("pod-a"))
        .unwrap();
    assert!(
        retaken.at - intruded_at >= Duration::from_secs(1),
        "overwrote the intruder's lease after {:?}",
        retaken.at - intruded_at
    );
    let lease = api.store.lease().unwrap();
    assert_eq!(transitions(&lease), transitions_before + 2);
    shutdown.trigger();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_candidates_agree_on_one_holder() {
    init_tracing();
    let api = FakeApi::new();
    let shutdown = Shutdown::new();
    let timing = Timing {
        lease: Duration::from_secs(2),
        ..FAST
    };
    // Four electors start together against an absent lease: creates and takeovers
    // race, and the losers (409 AlreadyExists or Conflict) re-read and follow.
    let mut electors = Vec::new();
    for i in 0..4 {
        electors.push(api.elector(&format!("pod-{i}"), timing, &shutdown).await.0);
    }
    assert!(
        eventually(Duration::from_secs(15), || {
            electors.iter().filter(|e| e.is_leader()).count() == 1
        })
        .await,
        "no single leader among four"
    );
    let until = Instant::now() + timing.renew * 5;
    while Instant::now() < until {
        assert!(electors.iter().filter(|e| e.is_leader()).count() <= 1);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Every write that reached the store named the one leader: no loser of a race
    // ever overwrote the winner.
    let leader = electors.iter().position(|e| e.is_leader()).unwrap();
    let identity = format!("pod-{leader}");
    let writes = api.store.writes();
    assert!(
        writes
            .iter()
            .all(|w| w.holder.as_deref() == Some(identity.as_str())),
        "{writes:?}"
    );
    tracing::info!(conflicts = api.store.conflicts(), "racing candidates");
    shutdown.trigger();
}
