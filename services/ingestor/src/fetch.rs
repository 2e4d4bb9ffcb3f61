//! HTTP calls to the sources: per-request time-out, bounded retries with backoff for
//! failures that may pass, and errors that never contain the URL (keys live in it).

use std::time::Duration;

use chrono::{Days, NaiveDate};
use travel_runtime::config::ExposeSecret;
use travel_sources::{SourceError, SourceQuote, ecb, ecos, erapi, koreaexim};

use crate::config::{IngestorConfig, SourceConfig};
use travel_domain::Source;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("request failed: {0}")]
    Transport(String),
    #[error("no data published in the last {0} days")]
    NoData(u32),
}

pub struct Fetcher {
    http: reqwest::Client,
    retries: u32,
    walk_back_days: u32,
}

fn retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

impl Fetcher {
    pub fn new(config: &IngestorConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("trip-currency-mesh/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with these settings always builds");
        Self {
            http,
            retries: config.retries,
            walk_back_days: config.walk_back_days.max(1),
        }
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut attempt = 0;
        loop {
            let (error, retryable) = match self.http.get(url).send().await {
                Ok(response) if response.status().is_success() => match response.bytes().await {
                    Ok(body) => return Ok(body.to_vec()),
                    Err(error) => (FetchError::Transport(error.without_url().to_string()), true),
                },
                Ok(response) => {
                    let status = response.status().as_u16();
                    (FetchError::Status(status), retryable_status(status))
                }
                Err(error) => (FetchError::Transport(error.without_url().to_string()), true),
            };
            if !retryable || attempt >= self.retries {
                return Err(error);
            }
            attempt += 1;
            tracing::debug!(%error, attempt, "source request failed, retrying");
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
    }

    /// The newest day's quotes of a source; `today` is the Korean calendar date.
    pub async fn fetch(
        &self,
        source: &SourceConfig,
        today: NaiveDate,
    ) -> Result<Vec<SourceQuote>, FetchError> {
        match source.name {
            Source::Koreaexim => {
                // No date in the payload, `[]` on holidays: walk back to the last published day.
                for back in 0..self.walk_back_days {
                    let day = today - Days::new(u64::from(back));
                    let mut url = source.url.clone();
                    url.query_pairs_mut()
                        .append_pair("authkey", source.key.expose_secret())
                        .append_pair("searchdate", &day.format("%Y%m%d").to_string())
                        .append_pair("data", "AP01");
                    let parsed = koreaexim::parse(&self.get(url.as_str()).await?, day)?;
                    if !parsed.quotes.is_empty() {
                        return Ok(parsed.quotes);
                    }
                }
                Err(FetchError::NoData(self.walk_back_days))
            }
            Source::Ecos => {
                let start = today - Days::new(u64::from(self.walk_back_days));
                let quotes = self.ecos_range(source, start, today).await?;
                newest_per_currency(quotes).ok_or(FetchError::NoData(self.walk_back_days))
            }
            Source::Ecb => {
                let days = ecb::parse_xml(&self.get(source.url.as_str()).await?)?;
                let newest = days
                    .iter()
                    .max_by_key(|d| d.date)
                    .ok_or(FetchError::NoData(1))?;
                Ok(ecb::krw_quotes(newest).quotes)
            }
            Source::Erapi => Ok(erapi::parse(&self.get(source.url.as_str()).await?)?
                .parsed
                .quotes),
        }
    }
}

impl Fetcher {
    /// Every ECOS 731Y001 quote between two days (inclusive), reading all pages.
    pub async fn ecos_range(
        &self,
        source: &SourceConfig,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<SourceQuote>, FetchError> {
        let mut quotes = Vec::new();
        let (mut from, page) = (1u64, 1000u64);
        loop {
            let url = format!(
                "{}/{}/json/kr/{}/{}/{}/D/{}/{}",
                source.url.as_str().trim_end_matches('/'),
                source.key.expose_secret(),
                from,
                from + page - 1,
                ecos::STAT_CODE,
                start.format("%Y%m%d"),
                end.format("%Y%m%d"),
            );
            let result = ecos::parse(&self.get(&url).await?)?;
            let read = result.parsed.quotes.len() + result.parsed.skipped.len();
            quotes.extend(result.parsed.quotes);
            from += page;
            if read == 0 || from > result.total {
                return Ok(quotes);
            }
        }
    }
}

/// The newest quote of each currency.
fn newest_per_currency(quotes: Vec<SourceQuote>) -> Option<Vec<SourceQuote>> {
    let mut newest: Vec<SourceQuote> = Vec::new();
    for quote in quotes {
        match newest.iter_mut().find(|q| q.currency == quote.currency) {
            Some(existing) if existing.rate_date < quote.rate_date => *existing = quote,
            Some(_) => {}
            None => newest.push(quote),
        }
    }
    (!newest.is_empty()).then_some(newest)
}
