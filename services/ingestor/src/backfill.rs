//! History loaded in production takes the same path as live data: the shipped ECB
//! history, turned into KRW observations, published through the rates topic.

use chrono::{NaiveDate, NaiveTime};
use travel_bus::Publisher;
use travel_domain::Observation;
use travel_events::{Provenance, encode};

use crate::config::IngestorConfig;
use crate::fetch::Fetcher;
use travel_domain::Source;

/// Publishes every observation of the shipped ECB history; returns how many.
pub async fn ecb_history(publisher: &dyn Publisher, topic: &str) -> anyhow::Result<u64> {
    let csv = travel_dataset::ecb::unzip_history(travel_dataset::ecb::HISTORY_ZIP)?;
    let days = travel_dataset::ecb::parse_csv(&csv)?;
    let mut published = 0u64;
    for day in days.iter().rev() {
        for observation in travel_dataset::ecb::krw_observations(day) {
            let provenance = Provenance {
                raw_code: observation.currency.to_string(),
                ..Provenance::default()
            };
            publisher
                .publish(
                    topic,
                    observation.currency.as_str(),
                    &encode(&observation, &provenance),
                    &[],
                )
                .await?;
            published += 1;
            if published.is_multiple_of(50_000) {
                tracing::info!(published, "backfill progress");
            }
        }
    }
    Ok(published)
}

/// Publishes every BOK ECOS 731Y001 quote between two days. The observation time is
/// 18:00 KST (09:00 UTC) of the rate's day, after the Bank of Korea publishes, so a
/// re-run publishes the same keys and changes nothing.
pub async fn ecos_range(
    config: &IngestorConfig,
    publisher: &dyn Publisher,
    start: NaiveDate,
    end: NaiveDate,
) -> anyhow::Result<u64> {
    let source = config
        .sources
        .iter()
        .find(|s| s.name == Source::Ecos)
        .ok_or_else(|| anyhow::anyhow!("ECOS is not enabled: set TRAVEL_SOURCE_ECOS_KEY"))?;
    anyhow::ensure!(
        start <= end,
        "the start day {start} is after the end day {end}"
    );
    let quotes = Fetcher::new(config).ecos_range(source, start, end).await?;
    let mut published = 0u64;
    for quote in quotes {
        let recorded_at = quote
            .rate_date
            .and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"))
            .and_utc();
        let observation = Observation {
            currency: quote.currency,
            source: Source::Ecos.stored_name().to_string(),
            recorded_at,
            rate_date: quote.rate_date,
            mid: quote.mid,
            tts: None,
            ttb: None,
            raw_unit: quote.raw_unit,
            redistributable: true,
        };
        let provenance = Provenance {
            raw_code: quote.raw_code.clone(),
            ..Provenance::default()
        };
        publisher
            .publish(
                &config.topic,
                quote.currency.as_str(),
                &encode(&observation, &provenance),
                &[],
            )
            .await?;
        published += 1;
    }
    Ok(published)
}
