//! The per-day, per-country counters: which sharded item a selection increments, and
//! the sum of a day's items.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::attribute::{Item, format_day, s};
use super::error::sdk_error;
use super::{DynamoSelectionStore, next_page};
use crate::{DayCount, Result, Selection, SelectionStoreError};

/// Sort-key prefix of counter items; `#` sorts before the digits of timestamps.
pub const COUNTER_PREFIX: &str = "#COUNT#";
/// Counter items per day and country. Writes of one country spread over this many
/// items; a day's query reads up to this many items per country. Changing it is safe:
/// reads sum all shards by `counter_country`, whatever the count they were written with.
pub const COUNTER_SHARDS: u32 = 16;

/// The counter shard of a selection, in `0..COUNTER_SHARDS`: 64-bit FNV-1a of its key
/// ([`Selection::selection_key`]), folded to 32 bits. Stable across processes and
/// releases (unlike `std`'s randomly seeded hasher), so a retried write of the same
/// selection updates the same counter item.
pub fn counter_shard(selection: &Selection) -> u32 {
    let hash = fnv1a_64(selection.selection_key().as_bytes());
    // The high half mixes in every input bit; the low bits alone would depend only on
    // the low bits of each byte.
    let folded = (hash ^ (hash >> 32)) as u32;
    folded % COUNTER_SHARDS
}

/// 64-bit FNV-1a.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The sort key of the counter item a selection increments:
/// `#COUNT#<country>#<shard>`.
pub fn counter_key(selection: &Selection) -> String {
    format!(
        "{COUNTER_PREFIX}{}#{}",
        selection.country_code,
        counter_shard(selection)
    )
}

impl DynamoSelectionStore {
    /// The non-zero counts of one day, summed over each country's shards, ordered by
    /// country.
    pub(super) async fn counts_of_day(&self, day: NaiveDate) -> Result<Vec<DayCount>> {
        let date = format_day(day);
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.selections_table)
                .key_condition_expression(
                    "selection_date = :d AND begins_with(selection_timestamp_userid, :p)",
                )
                .expression_attribute_values(":d", s(&date))
                .expression_attribute_values(":p", s(COUNTER_PREFIX))
                .projection_expression("counter_country, selection_count")
                // Counters are few and small; a strong read lets a ranking calculated
                // right after a write see it.
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("Query counters of {date}"), e))?;
            for item in page.items() {
                let item = Item::new(item, "counter");
                let count: u64 = item.number("selection_count")?;
                // The country comes from the attribute, not the sort key, so the shard
                // suffix (or its absence on an unsharded counter) does not matter.
                let country = item.string("counter_country")?;
                let total = counts.entry(country.to_string()).or_default();
                *total = total.checked_add(count).ok_or_else(|| {
                    SelectionStoreError::Corrupt(format!(
                        "counters of {country} on {date} overflow u64"
                    ))
                })?;
            }
            start = next_page(page.last_evaluated_key());
            if start.is_none() {
                break;
            }
        }
        Ok(counts
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|(country_code, count)| DayCount {
                day,
                country_code,
                count,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn counter_keys_sort_before_selection_keys() {
        // Timestamps start with a digit; `#` (0x23) sorts before every digit.
        assert!(format!("{COUNTER_PREFIX}ZZ#15").as_str() < "0000-01-01T00:00:00.000000Z#a");
    }

    fn selection(user: &str, country: &str, micros: i64) -> Selection {
        let selected_at = DateTime::from_timestamp_micros(1_795_000_000_000_000 + micros).unwrap();
        Selection {
            selection_id: format!("sel-{user}-{micros}"),
            user_id: user.to_string(),
            country_code: country.to_string(),
            selected_at,
            day: selected_at.date_naive(),
            session_id: None,
            referrer: None,
            ip_hash: None,
            user_agent_hash: None,
            expires_at: selected_at + chrono::Days::new(90),
        }
    }

    #[test]
    fn counter_shard_is_stable_and_in_range() {
        let first = selection("user-1", "JP", 0);
        let shard = counter_shard(&first);
        assert!(shard < COUNTER_SHARDS, "{shard}");
        // A retry (a copy, computed again) hits the same shard and item.
        assert_eq!(counter_shard(&first.clone()), shard);
        assert_eq!(counter_key(&first), format!("#COUNT#JP#{shard}"));
        // Only the key counts: the same key under another id still maps alike.
        let mut renamed = first.clone();
        renamed.selection_id = "another-id".to_string();
        renamed.session_id = Some("s".to_string());
        assert_eq!(counter_shard(&renamed), shard);
        // Fixed by the algorithm, not by the process (std's hasher is seeded randomly):
        // FNV-1a's published test vectors.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(first.selection_key(), "2026-11-18T11:06:40.000000Z#user-1");
        assert_eq!(shard, 5);
    }

    #[test]
    fn counter_shards_spread_over_all_items() {
        // 1000 keys a microsecond apart from one user, and 1000 users at one instant.
        let families: [Vec<Selection>; 2] = [
            (0..1000).map(|n| selection("user-1", "JP", n)).collect(),
            (0..1000)
                .map(|n| selection(&format!("user-{n}"), "JP", 0))
                .collect(),
        ];
        for family in families {
            let mut per_shard = vec![0u32; COUNTER_SHARDS as usize];
            for s in &family {
                let shard = counter_shard(s);
                assert!(shard < COUNTER_SHARDS, "{shard}");
                per_shard[shard as usize] += 1;
            }
            // Every shard is used, none far off the average of 62.5.
            assert!(
                per_shard.iter().all(|&n| (25..=110).contains(&n)),
                "{per_shard:?}"
            );
        }
    }
}
