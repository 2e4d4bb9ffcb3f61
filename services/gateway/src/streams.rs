//! Long-lived rate streams (SSE and gRPC-Web): how many one client may hold open at
//! once, and the signal that ends them all when the gateway starts draining, so
//! clients reconnect to another replica instead of holding the shutdown open.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use travel_domain::{ApiError, ErrorCode};
use travel_runtime::Shutdown;

/// The gauge of open rate streams (SSE and gRPC-Web).
const OPEN_STREAMS: &str = "travel_gateway_open_streams";

#[derive(Clone)]
pub struct Streams {
    per_client: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    closing: Shutdown,
    /// What a closed stream tells its client to wait before reconnecting.
    pub retry: Duration,
    /// How often an idle SSE stream sends a comment, so proxies keep it open.
    pub heartbeat: Duration,
}

/// One open stream of one client; dropping it (the stream ended) frees the place.
pub struct Permit {
    ip: Option<IpAddr>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

fn lock(open: &Mutex<HashMap<IpAddr, usize>>) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
    // Every update is one whole-entry change: a poisoned map is still consistent.
    open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Streams {
    pub fn new(per_client: usize, retry: Duration, heartbeat: Duration) -> Self {
        Self {
            per_client,
            open: Arc::default(),
            closing: Shutdown::new(),
            retry,
            heartbeat,
        }
    }

    /// A place for one more stream of `ip`, or RATE_LIMIT_EXCEEDED when it holds
    /// as many as it may. A client without an address (never over TCP) is not counted.
    pub fn open(&self, ip: Option<IpAddr>) -> Result<Permit, ApiError> {
        if let Some(ip) = ip {
            let mut open = lock(&self.open);
            let count = open.entry(ip).or_default();
            if *count >= self.per_client {
                return Err(ApiError::new(
                    ErrorCode::RateLimitExceeded,
                    format!("this client already holds {} open streams", self.per_client),
                )
                .with_detail(
                    "client_ip",
                    ip.to_string(),
                    format!("at most {} concurrent streams per client", self.per_client),
                ));
            }
            *count += 1;
        }
        metrics::gauge!(OPEN_STREAMS).increment(1.0);
        Ok(Permit {
            ip,
            open: self.open.clone(),
        })
    }

    /// Ends every stream (now and later): the gateway is draining.
    pub fn close_all(&self) {
        self.closing.trigger();
    }

    /// Completes when the streams are to end.
    pub async fn closed(&self) {
        self.closing.wait().await;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        metrics::gauge!(OPEN_STREAMS).decrement(1.0);
        let Some(ip) = self.ip else { return };
        let mut open = lock(&self.open);
        if let Some(count) = open.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_share_and_a_closed_stream_frees_it() {
        let streams = Streams::new(2, Duration::from_secs(1), Duration::from_secs(1));
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let first = streams.open(Some(one)).unwrap();
        let _second = streams.open(Some(one)).unwrap();
        let refused = streams.open(Some(one)).err().unwrap();
        assert_eq!(refused.code, ErrorCode::RateLimitExceeded);
        assert_eq!(refused.parameter.as_deref(), Some("client_ip"));
        let _elsewhere = streams.open(Some(other)).unwrap();
        assert_eq!(streams.open.lock().unwrap().values().sum::<usize>(), 3);
        drop(first);
        let _third = streams.open(Some(one)).unwrap();
        assert!(streams.open(None).is_ok(), "no address, not counted");
    }
}
