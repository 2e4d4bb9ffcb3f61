//! Backend-independent steps of a batched write: which days a batch touches, which
//! quote of each currency is the newest, and the aggregates of the touched days.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use travel_domain::daily::aggregate_day;
use travel_domain::{CurrencyCode, DailyRate, Observation};

/// Per currency: the touched days and their date span, to read them back in one query.
pub(crate) struct TouchedDays {
    pub currency: CurrencyCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: BTreeSet<NaiveDate>,
}

pub(crate) fn touched_days(observations: &[Observation]) -> Vec<TouchedDays> {
    let mut by_currency: BTreeMap<CurrencyCode, BTreeSet<NaiveDate>> = BTreeMap::new();
    for observation in observations {
        by_currency
            .entry(observation.currency)
            .or_default()
            .insert(observation.rate_date);
    }
    by_currency
        .into_iter()
        .filter_map(|(currency, days)| {
            let from = *days.first()?;
            let to = *days.last()?;
            Some(TouchedDays {
                currency,
                from,
                to,
                days,
            })
        })
        .collect()
}

/// The newest observation of each currency in the batch (ties: the later one wins,
/// matching the stores' "newer or equal replaces" rule).
pub(crate) fn newest_per_currency(observations: &[Observation]) -> Vec<&Observation> {
    let mut newest: HashMap<CurrencyCode, &Observation> = HashMap::new();
    for observation in observations {
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

/// Aggregates the stored observations of the touched days of one currency.
pub(crate) fn aggregate_touched(stored: &[Observation], touched: &TouchedDays) -> Vec<DailyRate> {
    let mut by_day: BTreeMap<NaiveDate, Vec<&Observation>> = BTreeMap::new();
    for observation in stored {
        if touched.days.contains(&observation.rate_date) {
            by_day
                .entry(observation.rate_date)
                .or_default()
                .push(observation);
        }
    }
    by_day
        .values()
        .filter_map(|day| aggregate_day(day))
        .collect()
}
