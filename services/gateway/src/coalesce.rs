//! Request coalescing for idempotent reads: callers asking an upstream the same
//! question while an identical call is in flight wait for that call's answer instead
//! of sending their own (the "singleflight" pattern). A hot read such as the latest
//! USD/JPY/EUR quotes then costs one upstream round trip per burst, not one per client.
//!
//! Nothing is cached: a call leaves the table the moment it completes, so a request
//! arriving afterwards always starts a new call. A joined answer is at most one
//! upstream round trip older than a call of its own would have been.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use tonic::Status;
use tracing::Instrument;

type Answer = Result<Arc<dyn Any + Send + Sync>, Status>;
type Flight = Shared<BoxFuture<'static, Answer>>;
/// The gRPC method path, the answer's type and the encoded request message: equal
/// keys, equal answers (of one type, so every joiner can take the answer as its own).
type Key = (&'static str, TypeId, Vec<u8>);

/// The calls in flight, shared by every handler of one gateway.
#[derive(Clone)]
pub struct Flights {
    /// Off: every request makes its own call (`TRAVEL_COALESCE_READS=false`).
    enabled: bool,
    table: Arc<Mutex<Table>>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    /// Weak: a flight whose callers have all gone away is cancelled, not kept.
    flights: HashMap<Key, (u64, WeakShared<BoxFuture<'static, Answer>>)>,
}

/// Takes a flight out of the table when it completes or is abandoned (dropped with
/// its last caller), so that no later request is answered by it.
struct Entry {
    table: Arc<Mutex<Table>>,
    key: Key,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut table = lock(&self.table);
        // A newer flight under the same key is not this one's to remove.
        if table
            .flights
            .get(&self.key)
            .is_some_and(|(id, _)| *id == self.id)
        {
            table.flights.remove(&self.key);
        }
    }
}

fn lock(table: &Mutex<Table>) -> std::sync::MutexGuard<'_, Table> {
    // The table stays consistent whatever panicked while it was held.
    table
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Flights {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            table: Arc::default(),
        }
    }

    /// Answers `request` to `method` (a gRPC path) with the call `call`, unless an
    /// identical request is already in flight, in which case its answer (or error) is
    /// shared. The answer's message only: response metadata is transport detail.
    pub async fn call<M, R, F, Fut>(
        &self,
        method: &'static str,
        request: M,
        call: F,
    ) -> Result<R, Status>
    where
        M: prost::Message,
        R: Clone + Send + Sync + 'static,
        F: FnOnce(M) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, Status>> + Send + 'static,
    {
        if !self.enabled {
            return call(request).await.map(tonic::Response::into_inner);
        }
        let key = (method, TypeId::of::<R>(), request.encode_to_vec());
        let flight = self.join_or_start(key, move || {
            call(request).map(|answer| {
                answer.map(|r| Arc::new(r.into_inner()) as Arc<dyn Any + Send + Sync>)
            })
        });
        let answer = flight.await?;
        // The key holds the answer's type, so this always succeeds.
        answer
            .downcast_ref::<R>()
            .cloned()
            .ok_or_else(|| Status::internal("a shared answer of another type"))
    }

    fn join_or_start<Fut>(&self, key: Key, start: impl FnOnce() -> Fut) -> Flight
    where
        Fut: Future<Output = Answer> + Send + 'static,
    {
        let mut table = lock(&self.table);
        if let Some(flight) = table.flights.get(&key).and_then(|(_, f)| f.upgrade()) {
            metrics::counter!("travel_gateway_coalesced_requests_total", "method" => key.0)
                .increment(1);
            return flight;
        }
        table.next_id += 1;
        let id = table.next_id;
        let entry = Entry {
            table: self.table.clone(),
            key: key.clone(),
            id,
        };
        let call = start();
        let flight: Flight = async move {
            let _entry = entry;
            call.await
        }
        // The call runs in the span of the request that started it.
        .instrument(tracing::Span::current())
        .boxed()
        .shared();
        let weak = flight.downgrade().expect("a new flight has not completed");
        table.flights.insert(key, (id, weak));
        flight
    }

    /// Calls in flight now.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        lock(&self.table).flights.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::watch;
    use travel_proto::currency::v1::GetLatestRatesRequest;

    use super::*;

    fn question(symbols: &[&str]) -> GetLatestRatesRequest {
        GetLatestRatesRequest {
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            base: String::new(),
        }
    }

    /// An upstream that counts its calls and answers once the gate opens.
    #[derive(Clone)]
    struct Upstream {
        calls: Arc<AtomicUsize>,
        gate: watch::Receiver<bool>,
        fail: bool,
    }

    impl Upstream {
        fn new(fail: bool) -> (Self, watch::Sender<bool>) {
            let (open, gate) = watch::channel(false);
            let calls = Arc::default();
            (Self { calls, gate, fail }, open)
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }

        async fn ask(
            &self,
            flights: &Flights,
            request: GetLatestRatesRequest,
        ) -> Result<String, Status> {
            let upstream = self.clone();
            flights
                .call("test.Ask", request, move |request| async move {
                    let n = upstream.calls.fetch_add(1, Ordering::SeqCst) + 1;
                    let mut gate = upstream.gate.clone();
                    gate.wait_for(|open| *open).await.expect("gate kept");
                    if upstream.fail {
                        Err(Status::unavailable(format!("call {n} failed")))
                    } else {
                        let answer = format!("call {n}: {}", request.symbols.join(","));
                        Ok(tonic::Response::new(answer))
                    }
                })
                .await
        }
    }

    #[tokio::test]
    async fn identical_requests_in_flight_share_one_call() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(false);
        let callers: Vec<_> = (0..10)
            .map(|_| upstream.ask(&flights, question(&["USD", "JPY"])))
            .collect();
        let all = futures::future::join_all(callers);
        tokio::pin!(all);
        assert!(futures::poll!(&mut all).is_pending());
        assert_eq!(upstream.calls(), 1);
        assert_eq!(flights.in_flight(), 1);
        open.send(true).unwrap();
        let answers = all.await;
        assert!(
            answers
                .iter()
                .all(|a| a.as_ref().is_ok_and(|a| a == "call 1: USD,JPY"))
        );
        assert_eq!(flights.in_flight(), 0, "a completed call leaves the table");
    }

    #[tokio::test]
    async fn different_requests_make_their_own_calls() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(false);
        open.send(true).unwrap();
        let (a, b) = tokio::join!(
            upstream.ask(&flights, question(&["USD"])),
            upstream.ask(&flights, question(&["JPY"]))
        );
        assert_eq!(upstream.calls(), 2);
        assert!(a.unwrap().ends_with(": USD"));
        assert!(b.unwrap().ends_with(": JPY"));
    }

    #[tokio::test]
    async fn an_answer_is_never_reused_after_its_call_completed() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(false);
        open.send(true).unwrap();
        let first = upstream.ask(&flights, question(&["USD"])).await.unwrap();
        let second = upstream.ask(&flights, question(&["USD"])).await.unwrap();
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("call 1: USD", "call 2: USD")
        );
    }

    #[tokio::test]
    async fn the_call_survives_its_starter_going_away() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(false);
        let mut starter = Box::pin(upstream.ask(&flights, question(&["EUR"])));
        assert!(futures::poll!(&mut starter).is_pending());
        let mut joiner = Box::pin(upstream.ask(&flights, question(&["EUR"])));
        assert!(futures::poll!(&mut joiner).is_pending());
        drop(starter);
        open.send(true).unwrap();
        assert_eq!(joiner.await.unwrap(), "call 1: EUR");
        assert_eq!(upstream.calls(), 1);
    }

    #[tokio::test]
    async fn a_call_abandoned_by_every_caller_is_cancelled_and_forgotten() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(false);
        let mut only = Box::pin(upstream.ask(&flights, question(&["THB"])));
        assert!(futures::poll!(&mut only).is_pending());
        drop(only);
        assert_eq!(flights.in_flight(), 0);
        open.send(true).unwrap();
        let answer = upstream.ask(&flights, question(&["THB"])).await.unwrap();
        assert_eq!(answer, "call 2: THB", "a fresh call, not the abandoned one");
    }

    #[tokio::test]
    async fn an_error_reaches_every_caller_of_the_call() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(true);
        let both = futures::future::join(
            upstream.ask(&flights, question(&["VND"])),
            upstream.ask(&flights, question(&["VND"])),
        );
        tokio::pin!(both);
        assert!(futures::poll!(&mut both).is_pending());
        open.send(true).unwrap();
        let (a, b) = both.await;
        for answer in [a, b] {
            let status = answer.unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unavailable);
            assert_eq!(status.message(), "call 1 failed");
        }
        assert_eq!(flights.in_flight(), 0);
    }

    #[tokio::test]
    async fn one_path_answering_two_types_never_shares_an_answer() {
        let flights = Flights::new(true);
        let (upstream, open) = Upstream::new(false);
        let text = upstream.ask(&flights, question(&["USD"]));
        tokio::pin!(text);
        assert!(futures::poll!(&mut text).is_pending());
        // Same path, same request, another answer type: a call of its own, no panic.
        let number = flights.call("test.Ask", question(&["USD"]), |_| async {
            Ok(tonic::Response::new(7_u64))
        });
        assert_eq!(number.await.unwrap(), 7);
        open.send(true).unwrap();
        assert_eq!(text.await.unwrap(), "call 1: USD");
    }

    #[tokio::test]
    async fn switched_off_every_request_makes_its_own_call() {
        let flights = Flights::new(false);
        let (upstream, open) = Upstream::new(false);
        let both = futures::future::join(
            upstream.ask(&flights, question(&["USD"])),
            upstream.ask(&flights, question(&["USD"])),
        );
        tokio::pin!(both);
        assert!(futures::poll!(&mut both).is_pending());
        assert_eq!(upstream.calls(), 2);
        open.send(true).unwrap();
        let (a, b) = both.await;
        assert_ne!(a.unwrap(), b.unwrap());
    }
}
