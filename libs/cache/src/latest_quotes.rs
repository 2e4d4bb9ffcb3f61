//! The latest-quote entries: the one contract between the processor, which writes
//! them after every stored batch, the currency service, which reads them before the
//! database and fills its misses, and the ingestor's jump guard, which compares a new
//! quote with the last stored one.
//!
//! - key: `rate:{code}` (under the cache's prefix), e.g. `rate:USD`;
//! - value: the JSON of [`Quote`] (decimals as strings), or `null` when the database
//!   holds no quote of that currency yet (a negative entry, so that absent currencies
//!   do not reach the database on every read);
//! - lifetime: chosen by the writer (`TRAVEL_RATE_CACHE_TTL`, [`DEFAULT_TTL`]); the
//!   processor refreshes an entry on every new quote, so the lifetime only bounds
//!   staleness when the pipeline stops. No entry means "ask the database".

use std::time::Duration;

use travel_domain::{CurrencyCode, Quote};

use crate::{Cache, Result};

/// Default lifetime of a quote entry.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// The value of a negative entry.
const NO_QUOTE: &str = "null";

/// What the cache says of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The stored quote's JSON, undecoded ([`decode`] it; callers may memoise).
    Quote(String),
    /// The database holds no quote of this currency.
    NoQuote,
    /// Not cached: ask the database.
    Unknown,
}

pub fn key(code: CurrencyCode) -> String {
    format!("rate:{code}")
}

/// The entries of several currencies in one round trip, in `codes` order.
pub async fn read(cache: &dyn Cache, codes: &[CurrencyCode]) -> Result<Vec<Entry>> {
    let keys: Vec<String> = codes.iter().map(|c| key(*c)).collect();
    let values = cache.get_many(&keys).await?;
    Ok(values
        .into_iter()
        .map(|value| match value {
            None => Entry::Unknown,
            Some(json) if json == NO_QUOTE => Entry::NoQuote,
            Some(json) => Entry::Quote(json),
        })
        .collect())
}

/// The quote of an entry's JSON; `None` when unreadable or of another currency.
pub fn decode(code: CurrencyCode, json: &str) -> Option<Quote> {
    serde_json::from_str::<Quote>(json)
        .ok()
        .filter(|q| q.currency == code)
}

/// The mid of the last stored quote, when the cache knows it.
pub async fn stored_mid(
    cache: &dyn Cache,
    code: CurrencyCode,
) -> Result<Option<rust_decimal::Decimal>> {
    let entries = read(cache, &[code]).await?;
    Ok(match entries.first() {
        Some(Entry::Quote(json)) => decode(code, json).map(|q| q.mid),
        _ => None,
    })
}

/// Writes the entries of stored quotes.
pub async fn write(cache: &dyn Cache, quotes: &[Quote], ttl: Duration) -> Result<()> {
    let entries: Vec<(String, String)> = quotes
        .iter()
        .filter_map(|q| Some((key(q.currency), serde_json::to_string(q).ok()?)))
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    cache.set_many(&entries, ttl).await
}

/// Writes negative entries: the database holds no quote of these currencies.
pub async fn write_absent(cache: &dyn Cache, codes: &[CurrencyCode], ttl: Duration) -> Result<()> {
    let entries: Vec<(String, String)> = codes
        .iter()
        .map(|c| (key(*c), NO_QUOTE.to_string()))
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    cache.set_many(&entries, ttl).await
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{NaiveDate, TimeZone, Utc};
    use rust_decimal::Decimal;

    use super::*;
    use crate::CacheConfig;
    use crate::memory::MemoryCache;

    fn memory() -> MemoryCache {
        let url = url::Url::parse("memory://").unwrap();
        MemoryCache::new(&CacheConfig::new(url))
    }

    fn quote(code: CurrencyCode, mid: &str) -> Quote {
        Quote {
            currency: code,
            mid: Decimal::from_str(mid).unwrap(),
            tts: None,
            ttb: None,
            recorded_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            rate_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            source: "ECB".into(),
        }
    }

    #[tokio::test]
    async fn written_quotes_negative_entries_and_unknowns_read_back_apart() {
        let cache = memory();
        let usd = CurrencyCode::parse("USD").unwrap();
        let vnd = CurrencyCode::parse("VND").unwrap();
        let thb = CurrencyCode::parse("THB").unwrap();
        write(&cache, &[quote(usd, "1391.5")], DEFAULT_TTL)
            .await
            .unwrap();
        write_absent(&cache, &[vnd], DEFAULT_TTL).await.unwrap();
        let entries = read(&cache, &[usd, vnd, thb]).await.unwrap();
        let Entry::Quote(json) = &entries[0] else {
            panic!("USD is cached: {entries:?}");
        };
        assert_eq!(decode(usd, json), Some(quote(usd, "1391.5")));
        assert_eq!(decode(thb, json), None, "an entry of another currency");
        assert_eq!(entries[1..], [Entry::NoQuote, Entry::Unknown]);
        assert!(
            cache.get("rate:USD").await.unwrap().is_some(),
            "the documented key"
        );
    }

    #[tokio::test]
    async fn the_jump_guard_reads_the_stored_mid_and_nothing_from_a_negative_entry() {
        let cache = memory();
        let usd = CurrencyCode::parse("USD").unwrap();
        let vnd = CurrencyCode::parse("VND").unwrap();
        write(&cache, &[quote(usd, "1391.50")], DEFAULT_TTL)
            .await
            .unwrap();
        write_absent(&cache, &[vnd], DEFAULT_TTL).await.unwrap();
        assert_eq!(
            stored_mid(&cache, usd).await.unwrap(),
            Some(Decimal::from_str("1391.5").unwrap())
        );
        assert_eq!(stored_mid(&cache, vnd).await.unwrap(), None);
    }
}
