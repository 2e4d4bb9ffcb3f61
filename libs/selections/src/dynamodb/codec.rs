//! Items to and from the domain: a selection, and a period's stored ranking.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat};

use super::TTL_ATTRIBUTE;
use super::attribute::{Item, as_map, float, format_day, n, optional_number, s};
use crate::{
    BaselineRank, CalculationMetadata, RankChange, RankingEntry, RankingPeriod, Result, Selection,
    SelectionStoreError, StoredRanking,
};

pub(super) fn selection_item(selection: &Selection) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("selection_date".to_string(), s(selection.selection_date())),
        (
            "selection_timestamp_userid".to_string(),
            s(selection.selection_key()),
        ),
        ("selection_id".to_string(), s(&selection.selection_id)),
        ("user_id".to_string(), s(&selection.user_id)),
        ("country_code".to_string(), s(&selection.country_code)),
        (
            "selected_at".to_string(),
            s(selection
                .selected_at
                .to_rfc3339_opts(SecondsFormat::Micros, true)),
        ),
        (
            TTL_ATTRIBUTE.to_string(),
            n(selection.expires_at.timestamp()),
        ),
    ]);
    let optional = [
        ("session_id", &selection.session_id),
        ("referrer", &selection.referrer),
        ("ip_hash", &selection.ip_hash),
        ("user_agent_hash", &selection.user_agent_hash),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_string(), s(value));
        }
    }
    item
}

/// A selection and its stored sort key.
pub(super) fn parse_selection(
    raw: &HashMap<String, AttributeValue>,
) -> Result<(String, Selection)> {
    let item = Item::new(raw, "selection");
    let expires_at: i64 = item.number(TTL_ATTRIBUTE)?;
    let selection = Selection {
        selection_id: item.string("selection_id")?.to_string(),
        user_id: item.string("user_id")?.to_string(),
        country_code: item.string("country_code")?.to_string(),
        selected_at: item.timestamp("selected_at")?,
        day: item.date("selection_date")?,
        session_id: item.optional_string("session_id")?,
        referrer: item.optional_string("referrer")?,
        ip_hash: item.optional_string("ip_hash")?,
        user_agent_hash: item.optional_string("user_agent_hash")?,
        expires_at: DateTime::from_timestamp(expires_at, 0).ok_or_else(|| {
            SelectionStoreError::Corrupt(format!("expires_at={expires_at} is out of range"))
        })?,
    };
    Ok((
        item.string("selection_timestamp_userid")?.to_string(),
        selection,
    ))
}

pub(super) fn ranking_item(ranking: &StoredRanking) -> Result<HashMap<String, AttributeValue>> {
    let entries = ranking
        .entries
        .iter()
        .map(|entry| {
            Ok(AttributeValue::M(HashMap::from([
                ("rank".to_string(), n(entry.rank)),
                ("country_code".to_string(), s(&entry.country_code)),
                ("score".to_string(), n(entry.score)),
                (
                    "percentage".to_string(),
                    float("percentage", entry.percentage)?,
                ),
                ("change".to_string(), s(entry.change.as_str())),
                (
                    "change_value".to_string(),
                    optional_number(entry.change_value),
                ),
                (
                    "previous_rank".to_string(),
                    optional_number(entry.previous_rank),
                ),
            ])))
        })
        .collect::<Result<Vec<_>>>()?;
    let baseline = ranking
        .baseline
        .iter()
        .map(|rank| {
            AttributeValue::M(HashMap::from([
                ("country_code".to_string(), s(&rank.country_code)),
                ("rank".to_string(), n(rank.rank)),
            ]))
        })
        .collect();
    let metadata = &ranking.metadata;
    Ok(HashMap::from([
        ("period".to_string(), s(ranking.period.as_str())),
        (
            "period_start".to_string(),
            s(format_day(ranking.period_start)),
        ),
        ("period_end".to_string(), s(format_day(ranking.period_end))),
        ("total_selections".to_string(), n(ranking.total_selections)),
        ("ranking".to_string(), AttributeValue::L(entries)),
        (
            "last_updated".to_string(),
            // Full precision: the loaded ranking must equal the saved one.
            s(ranking
                .last_updated
                .to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        ),
        ("baseline".to_string(), AttributeValue::L(baseline)),
        ("calculated_by".to_string(), s(&metadata.calculated_by)),
        (
            "duration_ms".to_string(),
            float("duration_ms", metadata.duration_ms)?,
        ),
        ("counters_read".to_string(), n(metadata.counters_read)),
        ("time_zone".to_string(), s(&metadata.time_zone)),
    ]))
}

pub(super) fn parse_ranking(raw: &HashMap<String, AttributeValue>) -> Result<StoredRanking> {
    let item = Item::new(raw, "ranking");
    let period_raw = item.string("period")?;
    let period = RankingPeriod::parse(period_raw)
        .ok_or_else(|| SelectionStoreError::Corrupt(format!("ranking period={period_raw:?}")))?;
    let entries = item
        .list("ranking")?
        .iter()
        .map(|value| {
            let entry = Item::new(as_map(value, "ranking entry")?, "ranking entry");
            let change = entry.string("change")?;
            Ok(RankingEntry {
                rank: entry.number("rank")?,
                country_code: entry.string("country_code")?.to_string(),
                score: entry.number("score")?,
                percentage: entry.number("percentage")?,
                change: parse_change(change).ok_or_else(|| {
                    SelectionStoreError::Corrupt(format!("ranking entry change={change:?}"))
                })?,
                change_value: entry.optional_number("change_value")?,
                previous_rank: entry.optional_number("previous_rank")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let baseline = item
        .list("baseline")?
        .iter()
        .map(|value| {
            let rank = Item::new(as_map(value, "baseline rank")?, "baseline rank");
            Ok(BaselineRank {
                country_code: rank.string("country_code")?.to_string(),
                rank: rank.number("rank")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StoredRanking {
        period,
        period_start: item.date("period_start")?,
        period_end: item.date("period_end")?,
        total_selections: item.number("total_selections")?,
        entries,
        last_updated: item.timestamp("last_updated")?,
        metadata: CalculationMetadata {
            calculated_by: item.string("calculated_by")?.to_string(),
            duration_ms: item.number("duration_ms")?,
            counters_read: item.number("counters_read")?,
            time_zone: item.string("time_zone")?.to_string(),
        },
        baseline,
    })
}

fn parse_change(raw: &str) -> Option<RankChange> {
    [
        RankChange::Up,
        RankChange::Down,
        RankChange::Same,
        RankChange::New,
    ]
    .into_iter()
    .find(|change| change.as_str() == raw)
}
