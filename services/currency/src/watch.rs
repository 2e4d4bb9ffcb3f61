//! `WatchRates`: the latest rates of a query now, then the rates each quote change
//! moves, from the change feed. The stream holds the quotes it was made from, so a
//! change is priced without a read, and an older quote never replaces a newer one.

use std::collections::HashMap;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use futures::Stream;
use tonic::Status;
use travel_domain::quote::krw_identity;
use travel_domain::{ApiError, CurrencyCode, Quote};
use travel_feed::Watch;
use travel_proto::currency::v1 as pb;
use travel_runtime::Shutdown;

use crate::api::{CurrencyApi, RatesQuery, timestamp};

pub type RateStream = Pin<Box<dyn Stream<Item = Result<pb::WatchRatesResponse, Status>> + Send>>;

/// What a stream has sent: the quotes its rates were made from.
struct Held {
    query: RatesQuery,
    quotes: HashMap<CurrencyCode, Quote>,
    newest: Option<DateTime<Utc>>,
}

impl Held {
    /// Takes the changes that move a wanted currency forward; the message of the
    /// rates they move, if any.
    fn apply(&mut self, changes: Vec<Quote>) -> Option<pb::WatchRatesResponse> {
        let wanted = self.query.wanted();
        let mut moved = Vec::new();
        for quote in changes {
            let code = quote.currency;
            if code == CurrencyCode::KRW || !wanted.contains(&code) {
                continue;
            }
            if quote.supersedes(self.quotes.get(&code)) {
                self.newest = self.newest.max(Some(quote.recorded_at));
                self.quotes.insert(code, quote);
                moved.push(code);
            }
        }
        if moved.is_empty() {
            return None;
        }
        // KRW's identity is as current as the newest quote, as in a latest read.
        if let (true, Some(newest)) = (wanted.contains(&CurrencyCode::KRW), self.newest) {
            self.quotes.insert(CurrencyCode::KRW, krw_identity(newest));
        }
        let repriced: Vec<CurrencyCode> = if moved.contains(&self.query.base) {
            self.query.symbols.clone()
        } else {
            self.query
                .symbols
                .iter()
                .copied()
                .filter(|code| moved.contains(code))
                .collect()
        };
        let priced = self.query.rates(&self.quotes, &repriced);
        if priced.rates.is_empty() {
            return None;
        }
        Some(pb::WatchRatesResponse {
            base: self.query.base.to_string(),
            rates: priced.rates,
            unavailable: Vec::new(),
            newest_quote_at: self.newest.map(timestamp),
            snapshot: false,
        })
    }
}

/// The message that ends every stream when the service stops.
fn closing() -> Status {
    Status::unavailable("the currency service is shutting down; reconnect for a fresh snapshot")
}

impl CurrencyApi {
    /// Validates the request and reads the snapshot before the stream starts, so a
    /// bad symbol or an unreachable store is the call's status, not a broken stream.
    pub(crate) async fn watch_rates_stream(
        &self,
        request: pb::WatchRatesRequest,
        shutdown: Shutdown,
    ) -> Result<RateStream, ApiError> {
        let query = self.rates_query(&request.base, &request.symbols)?;
        // Signed up before the snapshot is read: no change falls between the two.
        let watch = self.feed().watch();
        let (quotes, _) = self.quotes_for(&query).await?;
        let snapshot = query.rates(&quotes, &query.symbols);
        let first = pb::WatchRatesResponse {
            base: query.base.to_string(),
            rates: snapshot.rates,
            unavailable: snapshot.unavailable,
            newest_quote_at: snapshot.newest.map(timestamp),
            snapshot: true,
        };
        let held = Held {
            newest: snapshot.newest,
            query,
            quotes,
        };
        let state = (Some(first), held, watch, shutdown);
        Ok(Box::pin(futures::stream::unfold(
            Some(state),
            |state| async move {
                let (first, mut held, mut watch, shutdown): (_, Held, Watch, Shutdown) = state?;
                if let Some(first) = first {
                    return Some((Ok(first), Some((None, held, watch, shutdown))));
                }
                loop {
                    tokio::select! {
                        biased;
                        () = shutdown.wait() => return Some((Err(closing()), None)),
                        changes = watch.changes() => {
                            if let Some(message) = held.apply(changes) {
                                return Some((Ok(message), Some((None, held, watch, shutdown))));
                            }
                        }
                    }
                }
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    fn quote(code: &str, mid: i64, minute: u32) -> Quote {
        Quote {
            currency: CurrencyCode::parse(code).unwrap(),
            mid: Decimal::from(mid),
            tts: None,
            ttb: None,
            recorded_at: Utc.with_ymd_and_hms(2026, 12, 3, 9, minute, 0).unwrap(),
            rate_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            source: "ECB".into(),
        }
    }

    /// What a snapshot read leaves: the quotes, and KRW's identity when it is wanted.
    fn held(base: &str, symbols: &[&str], quotes: &[Quote]) -> Held {
        let query = RatesQuery {
            base: CurrencyCode::parse(base).unwrap(),
            symbols: symbols
                .iter()
                .map(|s| CurrencyCode::parse(s).unwrap())
                .collect(),
        };
        let newest = quotes.iter().map(|q| q.recorded_at).max();
        let mut quotes: HashMap<_, _> = quotes.iter().map(|q| (q.currency, q.clone())).collect();
        if query.wanted().contains(&CurrencyCode::KRW) {
            quotes.insert(CurrencyCode::KRW, krw_identity(newest.unwrap()));
        }
        Held {
            query,
            quotes,
            newest,
        }
    }

    fn codes(message: &pb::WatchRatesResponse) -> Vec<&str> {
        message
            .rates
            .iter()
            .map(|r| r.currency_code.as_str())
            .collect()
    }

    #[test]
    fn a_change_reprices_only_its_currency_and_an_older_one_nothing() {
        let mut held = held(
            "KRW",
            &["USD", "JPY"],
            &[quote("USD", 1400, 0), quote("JPY", 9, 0)],
        );
        let message = held.apply(vec![quote("JPY", 10, 5)]).unwrap();
        assert_eq!(codes(&message), ["JPY"]);
        assert_eq!(message.rates[0].rate.as_ref().unwrap().value, "10");
        assert!(!message.snapshot);
        assert!(held.apply(vec![quote("JPY", 8, 1)]).is_none(), "older");
        assert!(held.apply(vec![quote("JPY", 10, 5)]).is_none(), "the same");
        assert!(
            held.apply(vec![quote("EUR", 1600, 6)]).is_none(),
            "not asked"
        );
    }

    #[test]
    fn a_change_of_the_base_reprices_every_symbol() {
        let mut held = held(
            "USD",
            &["JPY", "KRW"],
            &[quote("USD", 1400, 0), quote("JPY", 14, 0)],
        );
        let message = held.apply(vec![quote("USD", 1120, 5)]).unwrap();
        assert_eq!(codes(&message), ["JPY", "KRW"]);
        assert_eq!(message.rates[0].rate.as_ref().unwrap().value, "0.0125");
        // KRW needs no quote of its own: its identity moves with the newest.
        assert_eq!(
            message.rates[1].as_of,
            Some(timestamp(quote("USD", 0, 5).recorded_at))
        );
    }

    #[test]
    fn a_currency_without_a_quote_appears_when_its_first_arrives() {
        let mut held = held("KRW", &["USD", "VND"], &[quote("USD", 1400, 0)]);
        let message = held.apply(vec![quote("VND", 1, 6)]).unwrap();
        assert_eq!(codes(&message), ["VND"]);
        assert!(
            held.apply(vec![quote("KRW", 2, 7)]).is_none(),
            "KRW is never quoted"
        );
    }
}
