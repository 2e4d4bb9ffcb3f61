//! The in-process fan-out both adapters use: the current quote of each currency, and
//! per watcher a slot of pending changes keyed by currency, so a slow watcher's
//! backlog is overwritten in place instead of growing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;
use travel_domain::{CurrencyCode, Quote};

// A poisoned lock still holds whole maps: every update is one insert.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
struct Slot {
    pending: Mutex<BTreeMap<CurrencyCode, Quote>>,
    notify: Notify,
}

#[derive(Default)]
pub struct Hub {
    current: Mutex<BTreeMap<CurrencyCode, Quote>>,
    watchers: Mutex<Vec<Weak<Slot>>>,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the quotes that move their currency forward and hands them to every
    /// watcher; returns how many did.
    pub fn apply(&self, quotes: &[Quote]) -> usize {
        let changed: Vec<Quote> = {
            let mut current = lock(&self.current);
            quotes
                .iter()
                .filter(|quote| {
                    if quote.supersedes(current.get(&quote.currency)) {
                        current.insert(quote.currency, (*quote).clone());
                        true
                    } else {
                        false
                    }
                })
                .cloned()
                .collect()
        };
        if changed.is_empty() {
            return 0;
        }
        let mut watchers = lock(&self.watchers);
        watchers.retain(|slot| {
            let Some(slot) = slot.upgrade() else {
                return false;
            };
            let mut pending = lock(&slot.pending);
            for quote in &changed {
                pending.insert(quote.currency, quote.clone());
            }
            drop(pending);
            slot.notify.notify_one();
            true
        });
        changed.len()
    }

    /// The current quotes.
    pub fn current(&self) -> Vec<Quote> {
        lock(&self.current).values().cloned().collect()
    }

    /// A watcher that first sees the current quotes.
    pub fn watch(&self) -> Watch {
        let slot = Arc::new(Slot::default());
        // Under the watchers' lock, so no change slips between snapshot and sign-up.
        let mut watchers = lock(&self.watchers);
        *lock(&slot.pending) = lock(&self.current).clone();
        if !lock(&slot.pending).is_empty() {
            slot.notify.notify_one();
        }
        watchers.push(Arc::downgrade(&slot));
        Watch { slot }
    }

    pub fn watchers(&self) -> usize {
        let mut watchers = lock(&self.watchers);
        watchers.retain(|slot| slot.strong_count() > 0);
        watchers.len()
    }
}

/// One watcher of the feed; dropping it stops the deliveries.
pub struct Watch {
    slot: Arc<Slot>,
}

impl Watch {
    /// Waits for changes and returns them (at least one), the newest per currency,
    /// in currency order.
    pub async fn changes(&mut self) -> Vec<Quote> {
        loop {
            let taken = std::mem::take(&mut *lock(&self.slot.pending));
            if !taken.is_empty() {
                return taken.into_values().collect();
            }
            self.slot.notify.notified().await;
        }
    }
}
