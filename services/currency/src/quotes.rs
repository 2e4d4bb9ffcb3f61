//! Cache-first reads of the latest quotes.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use travel_cache::Cache;
use travel_cache::latest_quotes::{self, Entry};
use travel_domain::{ApiError, CurrencyCode, Quote};
use travel_storage::RateStore;

/// Which store answered a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// Every quote came from the cache.
    Cache,
    /// At least one quote had to be read from the database.
    Database,
}

/// Latest quotes of a set of currencies, and where they were read from.
#[derive(Debug, Clone)]
pub struct QuoteRead {
    /// By currency; currencies without a stored quote are absent.
    pub quotes: HashMap<CurrencyCode, Quote>,
    pub from: ReadFrom,
}

#[derive(Clone)]
pub struct QuoteReader {
    store: Arc<dyn RateStore>,
    cache: Arc<dyn Cache>,
    ttl: Duration,
    missing_ttl: Duration,
    /// The last cache text seen per currency and its decoded quote: the text changes
    /// every few minutes, the reads come thousands of times a second, so decoding
    /// (JSON, decimals, timestamps) once per change saves most of a hit's work.
    decoded: Arc<Mutex<HashMap<CurrencyCode, (String, Quote)>>>,
}

impl QuoteReader {
    pub fn new(
        store: Arc<dyn RateStore>,
        cache: Arc<dyn Cache>,
        ttl: Duration,
        missing_ttl: Duration,
    ) -> Self {
        Self {
            store,
            cache,
            ttl,
            missing_ttl,
            decoded: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Until when a quote observed at `observed` stays current, if that is still ahead of
    /// `now`: the rate cache lifetime is the ingest interval, so the next ingestion is
    /// due then.
    pub fn fresh_until(
        &self,
        observed: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let until = observed + chrono::Duration::from_std(self.ttl).ok()?;
        (until > now).then_some(until)
    }

    /// The quote a cache entry holds, decoded at most once per distinct text.
    fn decode(&self, code: CurrencyCode, json: &str) -> Option<Quote> {
        let mut decoded = self
            .decoded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((text, quote)) = decoded.get(&code)
            && text == json
        {
            return Some(quote.clone());
        }
        let quote = latest_quotes::decode(code, json)?;
        decoded.insert(code, (json.to_string(), quote.clone()));
        Some(quote)
    }

    /// Reads the latest quote of every code: cache first, database for the misses,
    /// then fills the cache with what the database returned. An unreachable cache is
    /// logged and treated as all-miss; an unreachable database is an error unless the
    /// cache answered everything.
    #[tracing::instrument(skip_all, fields(currencies = codes.len()))]
    pub async fn latest(&self, codes: &[CurrencyCode]) -> Result<QuoteRead, ApiError> {
        let cached = match latest_quotes::read(&*self.cache, codes).await {
            Ok(entries) => Some(entries),
            Err(error) => {
                travel_cache::log_failure(&error, "cache read failed, reading the database");
                None
            }
        };

        let mut quotes = HashMap::new();
        let mut misses = Vec::new();
        match &cached {
            Some(entries) => {
                for (code, entry) in codes.iter().zip(entries) {
                    match entry {
                        Entry::NoQuote => {}
                        Entry::Quote(json) => match self.decode(*code, json) {
                            Some(quote) => {
                                quotes.insert(*code, quote);
                            }
                            None => {
                                tracing::warn!(currency = %code, "unreadable cache entry, re-reading");
                                misses.push(*code);
                            }
                        },
                        Entry::Unknown => misses.push(*code),
                    }
                }
            }
            None => misses.extend_from_slice(codes),
        }
        if misses.is_empty() {
            return Ok(QuoteRead {
                quotes,
                from: ReadFrom::Cache,
            });
        }

        // Logged with its cause where it leaves the service.
        let stored = self
            .store
            .latest_quotes(&misses)
            .await
            .map_err(ApiError::from)?;
        let absent: Vec<CurrencyCode> = misses
            .iter()
            .filter(|code| !stored.iter().any(|q| q.currency == **code))
            .copied()
            .collect();
        if cached.is_some() {
            // Filling is best effort: a failure here only costs a later miss.
            if let Err(error) = latest_quotes::write(&*self.cache, &stored, self.ttl).await {
                travel_cache::log_failure(&error, "cache fill failed");
            }
            let missing_ttl = self.missing_ttl;
            if let Err(error) =
                latest_quotes::write_absent(&*self.cache, &absent, missing_ttl).await
            {
                travel_cache::log_failure(&error, "cache fill failed");
            }
        }
        for quote in stored {
            quotes.insert(quote.currency, quote);
        }
        Ok(QuoteRead {
            quotes,
            from: ReadFrom::Database,
        })
    }
}
