//! In-process bus for the all-in-one: an append-only log per topic partition in
//! memory, committed offsets per consumer group, and the group's partitions spread
//! over its live members (re-spread whenever one joins or leaves).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::{Bus, Consumer, Publisher, Record, Result, partition_of};

struct Entry {
    key: String,
    payload: Vec<u8>,
    headers: Vec<(String, String)>,
}

#[derive(Default)]
struct Group {
    /// Next offset to deliver after a (re)assignment, per (topic, partition).
    committed: HashMap<(String, i32), i64>,
    /// Live members and the topics each consumes.
    members: BTreeMap<u64, Vec<String>>,
    /// Bumped on every join and leave; members re-read their assignment.
    generation: u64,
}

#[derive(Default)]
struct State {
    topics: HashMap<String, Vec<Vec<Entry>>>,
    groups: HashMap<String, Group>,
    next_member: u64,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes waiting consumers on new records and on membership changes.
    changed: Notify,
    partitions: i32,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the bus down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Clone)]
pub struct MemoryBus {
    shared: Arc<Shared>,
}

impl MemoryBus {
    pub fn new(partitions: i32) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                changed: Notify::new(),
                partitions: partitions.max(1),
            }),
        }
    }
}

fn ensure_topic<'a>(state: &'a mut State, topic: &str, partitions: i32) -> &'a mut Vec<Vec<Entry>> {
    state
        .topics
        .entry(topic.to_string())
        .or_insert_with(|| (0..partitions).map(|_| Vec::new()).collect())
}

#[async_trait]
impl Publisher for MemoryBus {
    async fn publish(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        headers: &[(String, String)],
    ) -> Result<()> {
        {
            let mut state = self.shared.lock();
            let partitions = ensure_topic(&mut state, topic, self.shared.partitions);
            let partition = partition_of(key, partitions.len() as i32) as usize;
            partitions[partition].push(Entry {
                key: key.to_string(),
                payload: payload.to_vec(),
                headers: headers.to_vec(),
            });
        }
        self.shared.changed.notify_waiters();
        Ok(())
    }
}

#[async_trait]
impl Bus for MemoryBus {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ensure_topics(&self, topics: &[&str]) -> Result<()> {
        let mut state = self.shared.lock();
        for topic in topics {
            ensure_topic(&mut state, topic, self.shared.partitions);
        }
        Ok(())
    }

    fn publisher(&self) -> Result<Arc<dyn Publisher>> {
        Ok(Arc::new(self.clone()))
    }

    async fn consumer(&self, group: &str, topics: &[&str]) -> Result<Box<dyn Consumer>> {
        let member = {
            let mut state = self.shared.lock();
            for topic in topics {
                ensure_topic(&mut state, topic, self.shared.partitions);
            }
            state.next_member += 1;
            let member = state.next_member;
            let entry = state.groups.entry(group.to_string()).or_default();
            entry
                .members
                .insert(member, topics.iter().map(|t| t.to_string()).collect());
            entry.generation += 1;
            member
        };
        self.shared.changed.notify_waiters();
        Ok(Box::new(MemoryConsumer {
            shared: self.shared.clone(),
            group: group.to_string(),
            member,
            generation: 0,
            positions: BTreeMap::new(),
        }))
    }
}

struct MemoryConsumer {
    shared: Arc<Shared>,
    group: String,
    member: u64,
    /// The group generation `positions` was computed for (0: never).
    generation: u64,
    /// Next offset to read per assigned (topic, partition).
    positions: BTreeMap<(String, i32), i64>,
}

impl MemoryConsumer {
    /// Partitions of this member: every (topic, partition) the group consumes, sorted,
    /// dealt round-robin over the members sorted by id.
    fn reassign(&mut self, state: &State) {
        let Some(group) = state.groups.get(&self.group) else {
            return;
        };
        if group.generation == self.generation {
            return;
        }
        let mut all: Vec<(String, i32)> = Vec::new();
        for topics in group.members.values() {
            for topic in topics {
                let count = state.topics.get(topic).map_or(0, Vec::len) as i32;
                for partition in 0..count {
                    if !all.contains(&(topic.clone(), partition)) {
                        all.push((topic.clone(), partition));
                    }
                }
            }
        }
        all.sort();
        let members: Vec<u64> = group.members.keys().copied().collect();
        let me = members.iter().position(|m| *m == self.member).unwrap_or(0);
        self.positions = all
            .into_iter()
            .enumerate()
            .filter(|(i, (topic, _))| {
                i % members.len().max(1) == me
                    && group
                        .members
                        .get(&self.member)
                        .is_some_and(|t| t.contains(topic))
            })
            .map(|(_, tp)| {
                let committed = group.committed.get(&tp).copied().unwrap_or(0);
                (tp, committed)
            })
            .collect();
        self.generation = group.generation;
    }

    fn take(&mut self, max: usize) -> Vec<Record> {
        let shared = self.shared.clone();
        let state = shared.lock();
        self.reassign(&state);
        let mut records = Vec::new();
        for ((topic, partition), position) in self.positions.iter_mut() {
            let Some(log) = state
                .topics
                .get(topic)
                .and_then(|p| p.get(*partition as usize))
            else {
                continue;
            };
            while records.len() < max && (*position as usize) < log.len() {
                let entry = &log[*position as usize];
                records.push(Record {
                    topic: topic.clone(),
                    partition: *partition,
                    offset: *position,
                    key: entry.key.clone(),
                    payload: entry.payload.clone(),
                    headers: entry.headers.clone(),
                });
                *position += 1;
            }
        }
        records
    }
}

#[async_trait]
impl Consumer for MemoryConsumer {
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Record>> {
        let deadline = tokio::time::Instant::now() + wait;
        let shared = self.shared.clone();
        loop {
            // Register for wake-ups before looking, so no publish slips in between.
            let changed = shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let records = self.take(max.max(1));
            if !records.is_empty() {
                return Ok(records);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return Ok(Vec::new());
            }
        }
    }

    async fn commit(&mut self, records: &[Record]) -> Result<()> {
        let mut state = self.shared.lock();
        if let Some(group) = state.groups.get_mut(&self.group) {
            for record in records {
                let next = group
                    .committed
                    .entry((record.topic.clone(), record.partition))
                    .or_insert(0);
                *next = (*next).max(record.offset + 1);
            }
        }
        Ok(())
    }
}

impl Drop for MemoryConsumer {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            if let Some(group) = state.groups.get_mut(&self.group) {
                group.members.remove(&self.member);
                group.generation += 1;
            }
        }
        self.shared.changed.notify_waiters();
    }
}
