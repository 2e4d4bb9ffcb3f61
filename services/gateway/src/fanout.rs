//! One upstream `WatchRates` per distinct query, shared by every SSE client asking
//! it: the currency service prices a change once per query, and the gateway turns it
//! into an event once, instead of both doing it for each of 10,000 clients
//! (`make bench`, streambench). The topic keeps the latest rates, so a client that
//! joins (or falls behind) gets a snapshot of them, then the changes — the feed's
//! "state, not a log" carried to the edge.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::sync::broadcast;
use tokio::task::AbortHandle;
use tonic::Status;
use tonic::codec::Streaming;
use travel_proto::currency::v1::{self as pb, rpc};

use crate::upstream::Client;
use crate::views::currency::RateUpdate;

/// Changes a slow client may be behind before it gets a fresh snapshot instead.
const BACKLOG: usize = 64;

/// An SSE event, serialized once for every client.
pub struct Frame {
    pub name: &'static str,
    pub id: String,
    pub data: String,
}

impl Frame {
    fn of(message: pb::WatchRatesResponse) -> Self {
        let id = message
            .newest_quote_at
            .as_ref()
            .map_or(0, |at| at.seconds * 1000 + i64::from(at.nanos) / 1_000_000);
        let name = if message.snapshot {
            "snapshot"
        } else {
            "rates"
        };
        Self {
            name,
            id: id.to_string(),
            data: serde_json::to_string(&RateUpdate::from(message)).unwrap_or_default(),
        }
    }
}

/// What a topic sends its clients.
#[derive(Clone)]
pub enum Update {
    Frame(Arc<Frame>),
    /// The upstream stream ended: cleanly (`Ok`) or not.
    Ended(Result<(), Status>),
}

/// The latest rates of a query, as the upstream sent them.
struct State {
    base: String,
    rates: Vec<pb::Rate>,
    unavailable: Vec<String>,
    newest: Option<prost_types::Timestamp>,
    /// The snapshot event of the above, made on first use.
    snapshot: Option<Arc<Frame>>,
}

impl State {
    fn apply(&mut self, message: &pb::WatchRatesResponse) {
        for rate in &message.rates {
            match self
                .rates
                .iter_mut()
                .find(|r| r.currency_code == rate.currency_code)
            {
                Some(held) => *held = rate.clone(),
                None => {
                    self.unavailable.retain(|c| *c != rate.currency_code);
                    self.rates.push(rate.clone());
                }
            }
        }
        if message.newest_quote_at.is_some() {
            self.newest = message.newest_quote_at;
        }
        self.snapshot = None;
    }

    fn snapshot(&mut self) -> Arc<Frame> {
        self.snapshot
            .get_or_insert_with(|| {
                Arc::new(Frame::of(pb::WatchRatesResponse {
                    base: self.base.clone(),
                    rates: self.rates.clone(),
                    unavailable: self.unavailable.clone(),
                    newest_quote_at: self.newest,
                    snapshot: true,
                }))
            })
            .clone()
    }
}

struct Topic {
    /// Updated and broadcast under one lock, so a joining client's snapshot and its
    /// first change neither overlap nor leave a gap.
    state: Mutex<(State, broadcast::Sender<Update>)>,
    relay: OnceLock<AbortHandle>,
}

impl Drop for Topic {
    /// The last client left: the upstream stream goes with it.
    fn drop(&mut self) {
        if let Some(relay) = self.relay.get() {
            relay.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is whole under the lock: a poisoned value is still consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One client's view of a topic: the snapshot first, then the changes.
pub struct Subscription {
    topic: Arc<Topic>,
    updates: broadcast::Receiver<Update>,
    pending: Option<Arc<Frame>>,
}

impl Subscription {
    fn new(topic: Arc<Topic>) -> Self {
        let (snapshot, updates) = {
            let mut guard = lock(&topic.state);
            let (state, sender) = &mut *guard;
            (state.snapshot(), sender.subscribe())
        };
        Self {
            topic,
            updates,
            pending: Some(snapshot),
        }
    }

    /// The next update; a client that fell behind gets the current snapshot.
    pub async fn next(&mut self) -> Update {
        if let Some(frame) = self.pending.take() {
            return Update::Frame(frame);
        }
        match self.updates.recv().await {
            Ok(update) => update,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                Update::Frame(lock(&self.topic.state).0.snapshot())
            }
            Err(broadcast::error::RecvError::Closed) => {
                Update::Ended(Err(Status::unavailable("the rate stream ended")))
            }
        }
    }
}

type Key = (Vec<String>, String);

/// The topics of one gateway.
#[derive(Clone)]
pub struct Fanout {
    client: Client<rpc::CurrencyService>,
    topics: Arc<Mutex<HashMap<Key, Weak<Topic>>>>,
}

impl Fanout {
    pub fn new(client: Client<rpc::CurrencyService>) -> Self {
        Self {
            client,
            topics: Arc::default(),
        }
    }

    /// Joins the topic of the query, opening it when none is open: the upstream's
    /// refusal (a bad symbol) and its snapshot come before the client's stream starts.
    pub async fn subscribe(&self, request: pb::WatchRatesRequest) -> Result<Subscription, Status> {
        let mut symbols: Vec<String> = request
            .symbols
            .iter()
            .map(|s| s.trim().to_ascii_uppercase())
            .collect();
        symbols.sort();
        symbols.dedup();
        let key = (symbols, request.base.trim().to_ascii_uppercase());
        if let Some(topic) = lock(&self.topics).get(&key).and_then(Weak::upgrade) {
            return Ok(Subscription::new(topic));
        }
        let mut upstream = self.client.stream(rpc::WATCH_RATES, request).await?;
        let first = upstream
            .message()
            .await?
            .ok_or_else(|| Status::unavailable("the rate stream ended before its snapshot"))?;
        let state = State {
            base: first.base.clone(),
            rates: first.rates,
            unavailable: first.unavailable,
            newest: first.newest_quote_at,
            snapshot: None,
        };
        let topic = Arc::new(Topic {
            state: Mutex::new((state, broadcast::channel(BACKLOG).0)),
            relay: OnceLock::new(),
        });
        let relay = tokio::spawn(relay(
            upstream,
            Arc::downgrade(&topic),
            self.topics.clone(),
            key.clone(),
        ));
        let _ = topic.relay.set(relay.abort_handle());
        lock(&self.topics).insert(key, Arc::downgrade(&topic));
        Ok(Subscription::new(topic))
    }
}

/// Moves the upstream's changes into the topic until the upstream ends or the last
/// client leaves (the topic's drop aborts this task).
async fn relay(
    mut upstream: Streaming<pb::WatchRatesResponse>,
    topic: Weak<Topic>,
    topics: Arc<Mutex<HashMap<Key, Weak<Topic>>>>,
    key: Key,
) {
    let ended = loop {
        let message = match upstream.message().await {
            Ok(Some(message)) => message,
            Ok(None) => break Ok(()),
            Err(status) => break Err(status),
        };
        let Some(topic) = topic.upgrade() else { return };
        let mut guard = lock(&topic.state);
        let (state, sender) = &mut *guard;
        state.apply(&message);
        let _ = sender.send(Update::Frame(Arc::new(Frame::of(message))));
    };
    // No new client joins an ended topic.
    {
        let mut topics = lock(&topics);
        if topics
            .get(&key)
            .is_some_and(|held| Weak::ptr_eq(held, &topic))
        {
            topics.remove(&key);
        }
    }
    if let Some(topic) = topic.upgrade() {
        let _ = lock(&topic.state).1.send(Update::Ended(ended));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use travel_proto::common::v1::Decimal;

    fn rate(code: &str, value: &str) -> pb::Rate {
        pb::Rate {
            currency_code: code.into(),
            rate: Some(Decimal::new(value)),
            as_of: None,
            source: "ECB".into(),
        }
    }

    fn at(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    fn topic() -> Arc<Topic> {
        let state = State {
            base: "KRW".into(),
            rates: vec![rate("USD", "1400")],
            unavailable: vec!["VND".into()],
            newest: at(10),
            snapshot: None,
        };
        Arc::new(Topic {
            state: Mutex::new((state, broadcast::channel(BACKLOG).0)),
            relay: OnceLock::new(),
        })
    }

    fn change(rates: Vec<pb::Rate>, seconds: i64) -> pb::WatchRatesResponse {
        pb::WatchRatesResponse {
            base: "KRW".into(),
            rates,
            unavailable: Vec::new(),
            newest_quote_at: at(seconds),
            snapshot: false,
        }
    }

    fn publish(topic: &Topic, message: pb::WatchRatesResponse) {
        let mut guard = lock(&topic.state);
        let (state, sender) = &mut *guard;
        state.apply(&message);
        let _ = sender.send(Update::Frame(Arc::new(Frame::of(message))));
    }

    fn frame(update: Update) -> Arc<Frame> {
        match update {
            Update::Frame(frame) => frame,
            Update::Ended(_) => panic!("a frame"),
        }
    }

    #[tokio::test]
    async fn a_client_gets_the_latest_rates_then_the_changes() {
        let topic = topic();
        publish(&topic, change(vec![rate("USD", "1401")], 20));
        let mut client = Subscription::new(topic.clone());
        let snapshot = frame(client.next().await);
        assert_eq!(snapshot.name, "snapshot");
        assert_eq!(snapshot.id, "20000");
        assert!(snapshot.data.contains("1401"), "{}", snapshot.data);
        // A first quote of VND: no longer unavailable.
        publish(&topic, change(vec![rate("VND", "0.055")], 30));
        let next = frame(client.next().await);
        assert_eq!((next.name, next.id.as_str()), ("rates", "30000"));
        assert!(
            next.data.contains("VND") && !next.data.contains("USD"),
            "{}",
            next.data
        );
        let later = Subscription::new(topic).next().await;
        let later = frame(later);
        assert!(
            later.data.contains("1401") && later.data.contains("0.055"),
            "{}",
            later.data
        );
        assert!(
            !later.data.contains("\"unavailable\":[\"VND\"]"),
            "{}",
            later.data
        );
    }

    #[tokio::test]
    async fn a_client_that_falls_behind_gets_a_snapshot_not_a_backlog() {
        let topic = topic();
        let mut slow = Subscription::new(topic.clone());
        assert_eq!(frame(slow.next().await).name, "snapshot");
        for i in 0..(BACKLOG as i64 + 10) {
            publish(
                &topic,
                change(vec![rate("USD", &format!("{}", 1500 + i))], 100 + i),
            );
        }
        let caught_up = frame(slow.next().await);
        assert_eq!(caught_up.name, "snapshot");
        assert!(caught_up.data.contains("1573"), "{}", caught_up.data);
    }
}
