//! Ranking semantics, as pure functions of the period's counters and the previously
//! calculated ranking of the same period.
//!
//! - score: selections in the period; every country with at least one is ranked.
//! - order: score descending, then country code ascending (deterministic ties);
//!   ranks are 1, 2, 3, … in that order (no shared ranks).
//! - percentage: score ÷ the period's total × 100, two decimals.
//! - change: against a baseline ranking. The baseline is the previous calculation's
//!   ranking, except when that calculation produced the same order as this one: then
//!   the baseline carries over, so a movement stays visible until the order changes
//!   again instead of flipping to SAME five minutes later. When a new period starts
//!   the baseline is the last ranking of the period before (also while the new
//!   period's ranking is still empty).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use travel_selections::{
    BaselineRank, CalculationMetadata, DayCount, RankChange, RankingEntry, RankingPeriod,
    StoredRanking,
};

/// Countries and their scores, best first.
pub fn order(counts: &[DayCount]) -> Vec<(String, u64)> {
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for count in counts {
        *totals.entry(count.country_code.as_str()).or_default() += count.count;
    }
    let mut ordered: Vec<(String, u64)> = totals
        .into_iter()
        .filter(|(_, score)| *score > 0)
        .map(|(code, score)| (code.to_string(), score))
        .collect();
    // BTreeMap iteration is by code already; a stable sort by score keeps that order
    // among equal scores.
    ordered.sort_by_key(|(_, score)| std::cmp::Reverse(*score));
    ordered
}

/// `part` of `total` in percent, rounded to two decimals; 0 for an empty total.
pub fn percentage(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (part as f64 / total as f64 * 10_000.0).round() / 100.0
}

fn ranks_of(entries: &[RankingEntry]) -> Vec<BaselineRank> {
    entries
        .iter()
        .map(|e| BaselineRank {
            country_code: e.country_code.clone(),
            rank: e.rank,
        })
        .collect()
}

/// The ranking the new one's `change` values are measured against.
pub fn baseline(
    previous: Option<&StoredRanking>,
    period_start: NaiveDate,
    ordered: &[(String, u64)],
) -> Vec<BaselineRank> {
    let Some(previous) = previous else {
        return Vec::new();
    };
    let same_period = previous.period_start == period_start;
    let same_order = previous.entries.len() == ordered.len()
        && previous
            .entries
            .iter()
            .zip(ordered)
            .all(|(entry, (code, _))| &entry.country_code == code);
    // An empty ranking has nothing to compare with: keep what it compared against.
    if same_period && (same_order || previous.entries.is_empty()) {
        previous.baseline.clone()
    } else {
        ranks_of(&previous.entries)
    }
}

/// Ranked entries with their movement against `baseline`.
pub fn entries(ordered: &[(String, u64)], baseline: &[BaselineRank]) -> Vec<RankingEntry> {
    let total: u64 = ordered.iter().map(|(_, score)| score).sum();
    let before: HashMap<&str, u32> = baseline
        .iter()
        .map(|b| (b.country_code.as_str(), b.rank))
        .collect();
    ordered
        .iter()
        .enumerate()
        .map(|(index, (code, score))| {
            let rank = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let previous_rank = before.get(code.as_str()).copied();
            let change_value = previous_rank.map(|p| i64::from(p) - i64::from(rank));
            let change = match change_value {
                None => RankChange::New,
                Some(v) if v > 0 => RankChange::Up,
                Some(v) if v < 0 => RankChange::Down,
                Some(_) => RankChange::Same,
            };
            RankingEntry {
                rank,
                country_code: code.clone(),
                score: *score,
                percentage: percentage(*score, total),
                change,
                change_value,
                previous_rank,
            }
        })
        .collect()
}

/// Everything a calculation needs besides the counters.
pub struct Calculation<'a> {
    pub period: RankingPeriod,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub previous: Option<&'a StoredRanking>,
    pub now: DateTime<Utc>,
    pub metadata: CalculationMetadata,
}

/// The ranking of a period from its counters.
pub fn calculate(calculation: Calculation<'_>, counts: &[DayCount]) -> StoredRanking {
    let ordered = order(counts);
    let baseline = baseline(calculation.previous, calculation.period_start, &ordered);
    let entries = entries(&ordered, &baseline);
    StoredRanking {
        period: calculation.period,
        period_start: calculation.period_start,
        period_end: calculation.period_end,
        total_selections: ordered.iter().map(|(_, score)| score).sum(),
        entries,
        last_updated: calculation.now,
        metadata: calculation.metadata,
        baseline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn counts(day: &str, pairs: &[(&str, u64)]) -> Vec<DayCount> {
        pairs
            .iter()
            .map(|(code, count)| DayCount {
                day: d(day),
                country_code: code.to_string(),
                count: *count,
            })
            .collect()
    }

    fn metadata() -> CalculationMetadata {
        CalculationMetadata {
            calculated_by: "test".into(),
            duration_ms: 0.0,
            counters_read: 0,
            time_zone: "Asia/Seoul".into(),
        }
    }

    fn run(start: &str, counts: &[DayCount], previous: Option<&StoredRanking>) -> StoredRanking {
        calculate(
            Calculation {
                period: RankingPeriod::Weekly,
                period_start: d(start),
                period_end: d(start) + chrono::Days::new(6),
                previous,
                now: Utc::now(),
                metadata: metadata(),
            },
            counts,
        )
    }

    fn codes(ranking: &StoredRanking) -> Vec<(&str, u32, RankChange, Option<i64>)> {
        ranking
            .entries
            .iter()
            .map(|e| (e.country_code.as_str(), e.rank, e.change, e.change_value))
            .collect()
    }

    #[test]
    fn scores_sum_over_days_and_ties_break_by_code() {
        let mut all = counts("2026-11-23", &[("JP", 3), ("VN", 2), ("US", 5)]);
        all.extend(counts("2026-11-24", &[("VN", 3), ("TH", 5), ("FR", 0)]));
        let ranking = run("2026-11-23", &all, None);
        let order: Vec<(&str, u64)> = ranking
            .entries
            .iter()
            .map(|e| (e.country_code.as_str(), e.score))
            .collect();
        // TH, US and VN tie on 5: alphabetical. FR has no selection: not ranked.
        assert_eq!(order, [("TH", 5), ("US", 5), ("VN", 5), ("JP", 3)]);
        assert_eq!(ranking.total_selections, 18);
        assert_eq!(ranking.entries[0].percentage, 27.78);
        assert_eq!(ranking.entries[3].percentage, 16.67);
        assert!(ranking.entries.iter().all(|e| e.change == RankChange::New));
        assert!(ranking.entries.iter().all(|e| e.previous_rank.is_none()));
    }

    #[test]
    fn changes_against_the_previous_calculation() {
        let first = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 5), ("US", 3), ("VN", 1)]),
            None,
        );
        let second = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 5), ("US", 3), ("VN", 7), ("TH", 1)]),
            Some(&first),
        );
        assert_eq!(
            codes(&second),
            [
                ("VN", 1, RankChange::Up, Some(2)),
                ("JP", 2, RankChange::Down, Some(-1)),
                ("US", 3, RankChange::Down, Some(-1)),
                ("TH", 4, RankChange::New, None),
            ]
        );
        assert_eq!(second.entries[0].previous_rank, Some(3));
    }

    #[test]
    fn an_unchanged_order_keeps_the_movement_visible() {
        let first = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 5), ("US", 3)]),
            None,
        );
        let second = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 5), ("US", 9)]),
            Some(&first),
        );
        assert_eq!(codes(&second)[0], ("US", 1, RankChange::Up, Some(1)));
        // More selections, same order: still "US moved up", not SAME.
        let third = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 6), ("US", 10)]),
            Some(&second),
        );
        assert_eq!(codes(&third), codes(&second));
        assert_eq!(third.baseline, second.baseline);
    }

    #[test]
    fn countries_that_drop_out_are_not_listed_and_others_move_up() {
        let first = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 5), ("US", 3), ("VN", 1)]),
            None,
        );
        // A new week: JP has no selection yet.
        let second = run(
            "2026-11-30",
            &counts("2026-11-30", &[("US", 2), ("VN", 1)]),
            Some(&first),
        );
        assert_eq!(
            codes(&second),
            [
                ("US", 1, RankChange::Up, Some(1)),
                ("VN", 2, RankChange::Up, Some(1))
            ]
        );
        assert!(second.entries.iter().all(|e| e.country_code != "JP"));
    }

    #[test]
    fn a_new_period_compares_with_the_last_ranking_of_the_one_before() {
        let last_week = run(
            "2026-11-23",
            &counts("2026-11-23", &[("JP", 5), ("US", 3)]),
            None,
        );
        // Same order as last week's final ranking, but a new period: SAME, not NEW.
        let this_week = run(
            "2026-11-30",
            &counts("2026-11-30", &[("JP", 1), ("US", 1)]),
            Some(&last_week),
        );
        assert_eq!(
            codes(&this_week),
            [
                ("JP", 1, RankChange::Same, Some(0)),
                ("US", 2, RankChange::Same, Some(0))
            ]
        );
    }

    #[test]
    fn an_empty_period_has_no_entries_and_no_total() {
        let previous = run("2026-11-23", &counts("2026-11-23", &[("JP", 5)]), None);
        let empty = run("2026-11-30", &[], Some(&previous));
        assert!(empty.entries.is_empty());
        assert_eq!(empty.total_selections, 0);
        assert_eq!(percentage(0, 0), 0.0);
        // The first selections of the new period still compare with last period's
        // final ranking, not with the empty one.
        let next = run(
            "2026-11-30",
            &counts("2026-11-30", &[("VN", 2), ("JP", 1)]),
            Some(&empty),
        );
        assert_eq!(
            codes(&next),
            [
                ("VN", 1, RankChange::New, None),
                ("JP", 2, RankChange::Down, Some(-1))
            ]
        );
    }
}
