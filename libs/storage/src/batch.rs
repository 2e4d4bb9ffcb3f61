//! Backend-independent steps of a batched write.
//!
//! A batch is compared with what the store already holds under its keys (currency,
//! source, recorded time): an identical replay is dropped, a new observation is merged
//! into its day's aggregate without rereading the day, and a corrected one (a stored
//! key with another mid or day) makes the store recompute the days it touches from the
//! stored observations. The SQL core (`crate::sql`) runs these steps inside one
//! transaction, on every backend.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, SubsecRound as _, Utc};
use sqlx::{Database, Encode, QueryBuilder, Type};
use travel_domain::money::{QUOTE_SCALE, round};
use travel_domain::{CurrencyCode, DayAggregate, Observation};

/// A (currency, business day) aggregate row.
pub(crate) type DayKey = (CurrencyCode, NaiveDate);

/// A per-currency span: the rows a batch may collide with, or the days it touches.
pub(crate) struct Span<T> {
    pub currency: CurrencyCode,
    pub from: T,
    pub to: T,
}

/// What a batch changes, once compared with the stored rows under its keys.
pub(crate) struct Plan<'a> {
    /// Rows to upsert: new or different from the stored row, the last one per key.
    pub writes: Vec<&'a Observation>,
    /// New observations per day, to merge into the day's stored aggregate.
    pub merges: BTreeMap<DayKey, Vec<&'a Observation>>,
    /// Days whose stored observations change: recomputed from the history table.
    pub recompute: BTreeSet<DayKey>,
}

/// Per currency, the recorded-time span of the batch: one range read finds every
/// stored row a batch key could match.
pub(crate) fn key_spans(batch: &[Observation]) -> Vec<Span<DateTime<Utc>>> {
    spans(batch.iter().map(|o| (o.currency, o.recorded_at)))
}

/// Per currency, the date span of some days (to read their rows in one query).
pub(crate) fn day_spans<'k>(days: impl IntoIterator<Item = &'k DayKey>) -> Vec<Span<NaiveDate>> {
    spans(days.into_iter().copied())
}

fn spans<T: Ord + Copy>(items: impl Iterator<Item = (CurrencyCode, T)>) -> Vec<Span<T>> {
    let mut by_currency: BTreeMap<CurrencyCode, (T, T)> = BTreeMap::new();
    for (currency, at) in items {
        by_currency
            .entry(currency)
            .and_modify(|(from, to)| {
                *from = (*from).min(at);
                *to = (*to).max(at);
            })
            .or_insert((at, at));
    }
    by_currency
        .into_iter()
        .map(|(currency, (from, to))| Span { currency, from, to })
        .collect()
}

/// The batch as the store keeps it: times to the microsecond and quotes to
/// [`QUOTE_SCALE`] places (what both schemas hold), so that comparing it with the
/// stored rows finds replays.
pub(crate) fn as_stored(batch: &[Observation]) -> Vec<Observation> {
    batch
        .iter()
        .map(|o| Observation {
            recorded_at: o.recorded_at.trunc_subsecs(6),
            mid: round(o.mid, QUOTE_SCALE),
            tts: o.tts.map(|v| round(v, QUOTE_SCALE)),
            ttb: o.ttb.map(|v| round(v, QUOTE_SCALE)),
            ..o.clone()
        })
        .collect()
}

/// Appends the rows inside the spans to a `WHERE`:
/// `(currency_code = ? AND {column} BETWEEN ? AND ?) OR …`.
pub(crate) fn push_span_filter<DB, T>(query: &mut QueryBuilder<DB>, column: &str, spans: &[Span<T>])
where
    DB: Database,
    T: Copy + for<'t> Encode<'t, DB> + Type<DB>,
    String: for<'t> Encode<'t, DB> + Type<DB>,
{
    for (i, span) in spans.iter().enumerate() {
        if i > 0 {
            query.push(" OR ");
        }
        query
            .push("(currency_code = ")
            .push_bind(span.currency.as_str().to_string())
            .push(format_args!(" AND {column} BETWEEN "))
            .push_bind(span.from)
            .push(" AND ")
            .push_bind(span.to)
            .push(")");
    }
}

/// A stored day row with its merge state, or `None` when the row was written before
/// that state was kept (any of the three columns NULL).
pub(crate) fn with_merge_state(
    rate: travel_domain::DailyRate,
    open_source: Option<String>,
    close_source: Option<String>,
    m2: Option<f64>,
) -> Option<DayAggregate> {
    Some(DayAggregate {
        rate,
        open_source: open_source?,
        close_source: close_source?,
        m2: m2?,
    })
}

/// Compares a batch with the stored rows under its keys (`stored` may hold more).
pub(crate) fn plan<'a>(batch: &'a [Observation], stored: &[Observation]) -> Plan<'a> {
    let stored: HashMap<(CurrencyCode, &str, DateTime<Utc>), &Observation> = stored
        .iter()
        .map(|o| ((o.currency, o.source.as_str(), o.recorded_at), o))
        .collect();
    // A key repeated inside the batch: the last copy is what the upsert leaves stored.
    let mut last: HashMap<(CurrencyCode, &str, DateTime<Utc>), &Observation> = HashMap::new();
    for observation in batch {
        last.insert(
            (
                observation.currency,
                observation.source.as_str(),
                observation.recorded_at,
            ),
            observation,
        );
    }
    let mut plan = Plan {
        writes: Vec::new(),
        merges: BTreeMap::new(),
        recompute: BTreeSet::new(),
    };
    for (key, observation) in last {
        match stored.get(&key) {
            None => {
                plan.writes.push(observation);
                plan.merges
                    .entry((observation.currency, observation.rate_date))
                    .or_default()
                    .push(observation);
            }
            Some(old) if **old == *observation => {}
            Some(old) => {
                plan.writes.push(observation);
                if old.mid != observation.mid || old.rate_date != observation.rate_date {
                    plan.recompute.insert((old.currency, old.rate_date));
                    plan.recompute
                        .insert((observation.currency, observation.rate_date));
                }
            }
        }
    }
    for day in &plan.recompute {
        plan.merges.remove(day);
    }
    // Key order: concurrent writers then lock rows in the same order.
    plan.writes.sort_by(|a, b| {
        (a.currency, &a.source, a.recorded_at).cmp(&(b.currency, &b.source, b.recorded_at))
    });
    plan
}

/// Merges the plan's new observations into the stored aggregates. `stored` holds the
/// existing rows of the merged days; `None` marks a row written before the merge state
/// was kept, which (like an overflow) sends its day to `recompute` instead.
pub(crate) fn merge_days(
    merges: &BTreeMap<DayKey, Vec<&Observation>>,
    stored: &HashMap<DayKey, Option<DayAggregate>>,
    recompute: &mut BTreeSet<DayKey>,
) -> Vec<DayAggregate> {
    let mut merged = Vec::new();
    for (day, observations) in merges {
        let Some(batch) = DayAggregate::of(observations) else {
            continue;
        };
        match stored.get(day) {
            None => merged.push(batch),
            Some(Some(existing)) => {
                let mut existing = existing.clone();
                match existing.merge(&batch) {
                    Some(()) => merged.push(existing),
                    None => {
                        recompute.insert(*day);
                    }
                }
            }
            Some(None) => {
                recompute.insert(*day);
            }
        }
    }
    merged
}

/// Aggregates the stored observations of the days to recompute (`stored` may hold
/// other days of the same currencies too).
pub(crate) fn aggregate_days(stored: &[Observation], days: &BTreeSet<DayKey>) -> Vec<DayAggregate> {
    let mut by_day: BTreeMap<DayKey, Vec<&Observation>> = BTreeMap::new();
    for observation in stored {
        let day = (observation.currency, observation.rate_date);
        if days.contains(&day) {
            by_day.entry(day).or_default().push(observation);
        }
    }
    by_day
        .values()
        .filter_map(|day| DayAggregate::of(day))
        .collect()
}

/// Recomputed days that no longer hold any observation (a correction moved the only
/// one to another day): their rows are deleted.
pub(crate) fn emptied_days(
    recompute: &BTreeSet<DayKey>,
    recomputed: &[DayAggregate],
) -> Vec<DayKey> {
    let kept: BTreeSet<DayKey> = recomputed
        .iter()
        .map(|day| (day.rate.currency, day.rate.rate_date))
        .collect();
    recompute.difference(&kept).copied().collect()
}

/// The newest observation of each currency among `observations` (ties: the later one
/// wins, matching the stores' "newer or equal replaces" rule).
pub(crate) fn newest_per_currency<'a>(observations: &[&'a Observation]) -> Vec<&'a Observation> {
    let mut newest: HashMap<CurrencyCode, &Observation> = HashMap::new();
    for &observation in observations {
        newest
            .entry(observation.currency)
            .and_modify(|current| {
                if observation.recorded_at >= current.recorded_at {
                    *current = observation;
                }
            })
            .or_insert(observation);
    }
    let mut list: Vec<_> = newest.into_values().collect();
    list.sort_by_key(|o| o.currency);
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    fn obs(code: &'static str, source: &str, hour: u32, mid: i64) -> Observation {
        let recorded_at = Utc.with_ymd_and_hms(2026, 11, 27, hour, 0, 0).unwrap();
        Observation {
            currency: CurrencyCode::from_static(code),
            source: source.to_string(),
            recorded_at,
            rate_date: recorded_at.date_naive(),
            mid: Decimal::new(mid, 1),
            tts: None,
            ttb: None,
            raw_unit: 1,
            redistributable: true,
        }
    }

    fn day(code: &'static str) -> DayKey {
        (
            CurrencyCode::from_static(code),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        )
    }

    #[test]
    fn new_rows_merge_replays_vanish_corrections_recompute() {
        let stored = [obs("USD", "BOK", 1, 14000), obs("JPY", "BOK", 1, 95)];
        let mut tts_only = obs("USD", "BOK", 1, 14000);
        tts_only.tts = Some(Decimal::new(14200, 1));
        let batch = [
            obs("USD", "BOK", 2, 14010), // new
            obs("JPY", "BOK", 1, 95),    // identical replay
            obs("JPY", "BOK", 1, 96),    // correction (last copy wins)
            obs("EUR", "ECB", 3, 15000), // new, twice with the same value
            obs("EUR", "ECB", 3, 15000),
            tts_only, // changed, but not its mid
        ];
        let plan = plan(&batch, &stored);
        assert_eq!(
            plan.writes.len(),
            4,
            "USD new, JPY corrected, EUR once, USD tts"
        );
        assert_eq!(plan.recompute, BTreeSet::from([day("JPY")]));
        assert_eq!(
            plan.merges.keys().copied().collect::<Vec<_>>(),
            [day("EUR"), day("USD")]
        );
        assert_eq!(plan.merges[&day("EUR")].len(), 1);
        assert_eq!(plan.merges[&day("USD")].len(), 1);

        let replay = super::plan(&stored, &stored);
        assert!(
            replay.writes.is_empty() && replay.merges.is_empty() && replay.recompute.is_empty()
        );
    }

    #[test]
    fn rows_without_merge_state_are_recomputed() {
        let batch = [obs("USD", "BOK", 2, 14010), obs("EUR", "ECB", 2, 15000)];
        let plan = plan(&batch, &[]);
        let existing = DayAggregate::of(&[&obs("USD", "BOK", 1, 14000)]).unwrap();
        let stored = HashMap::from([(day("USD"), Some(existing)), (day("EUR"), None)]);
        let mut recompute = BTreeSet::new();
        let merged = merge_days(&plan.merges, &stored, &mut recompute);
        assert_eq!(recompute, BTreeSet::from([day("EUR")]));
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].rate.count, 2);
        assert_eq!(merged[0].rate.open, Decimal::new(14000, 1));
        assert_eq!(merged[0].rate.close, Decimal::new(14010, 1));
    }

    #[test]
    fn spans_cover_each_currency() {
        let batch = [
            obs("USD", "BOK", 5, 1),
            obs("USD", "ECB", 2, 1),
            obs("JPY", "BOK", 3, 1),
        ];
        let spans = key_spans(&batch);
        assert_eq!(spans.len(), 2);
        let usd = spans.iter().find(|s| s.currency.as_str() == "USD").unwrap();
        assert_eq!(
            (
                usd.from.format("%H").to_string(),
                usd.to.format("%H").to_string()
            ),
            ("02".into(), "05".into())
        );
    }
}
