//! History loaded in production takes the same path as live data: the shipped ECB
//! history, turned into KRW observations, published through the rates topic.

use travel_bus::Publisher;
use travel_events::{Provenance, encode};

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
