//! Selections, rankings, a country's statistics, recalculation.

use serde::Serialize;
use travel_proto::ranking::v1 as pb;
use utoipa::ToSchema;

use super::{rfc3339, text_or_null};

/// POST /api/v1/rankings/selections (201)
#[derive(Serialize, ToSchema)]
pub struct Recorded {
    selection_id: String,
    message: &'static str,
    selection_date: String,
    recorded_at: Option<String>,
}

impl From<pb::RecordSelectionResponse> for Recorded {
    fn from(r: pb::RecordSelectionResponse) -> Self {
        Self {
            recorded_at: rfc3339(r.recorded_at.as_ref()),
            selection_id: r.selection_id,
            message: "selection recorded",
            selection_date: r.selection_date,
        }
    }
}

/// GET /api/v1/rankings
#[derive(Serialize, ToSchema)]
pub struct Rankings {
    period: String,
    period_start: String,
    period_end: String,
    time_zone: String,
    total_selections: u64,
    last_updated: Option<String>,
    ranking: Vec<Entry>,
    pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct Entry {
    rank: u32,
    country_code: String,
    country_name: String,
    country_name_en: String,
    score: u64,
    percentage: f64,
    /// UP, DOWN, SAME or NEW against the previous period.
    change: &'static str,
    change_value: Option<i32>,
    previous_rank: Option<u32>,
}

impl From<pb::RankingEntry> for Entry {
    fn from(e: pb::RankingEntry) -> Self {
        let change = match pb::RankChange::try_from(e.change) {
            Ok(pb::RankChange::Up) => "UP",
            Ok(pb::RankChange::Down) => "DOWN",
            Ok(pb::RankChange::Same) => "SAME",
            _ => "NEW",
        };
        Self {
            rank: e.rank,
            country_code: e.country_code,
            country_name: e.country_name,
            country_name_en: e.country_name_en,
            score: e.score,
            percentage: e.percentage,
            change,
            change_value: e.change_value,
            previous_rank: e.previous_rank,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Pagination {
    current_page: u64,
    total_pages: u64,
    has_next: bool,
    has_previous: bool,
    limit: u64,
    offset: u64,
    total_entries: u64,
}

impl Rankings {
    /// The page at `offset` of `limit` entries (the service's defaults when unset).
    pub fn page(r: pb::GetRankingsResponse, limit: Option<u32>, offset: Option<u32>) -> Self {
        let limit = u64::from(limit.unwrap_or(10)).max(1);
        let offset = u64::from(offset.unwrap_or(0));
        let total = u64::from(r.total_entries);
        Self {
            last_updated: rfc3339(r.last_updated.as_ref()),
            ranking: r.ranking.into_iter().map(Into::into).collect(),
            pagination: Pagination {
                current_page: offset / limit + 1,
                total_pages: total.div_ceil(limit),
                has_next: offset + limit < total,
                has_previous: offset > 0,
                limit,
                offset,
                total_entries: total,
            },
            period: r.period,
            period_start: r.period_start,
            period_end: r.period_end,
            time_zone: r.time_zone,
            total_selections: r.total_selections,
        }
    }
}

/// GET /api/v1/rankings/stats/{country_code}
#[derive(Serialize, ToSchema)]
pub struct CountryStats {
    country_code: String,
    country_name: String,
    country_name_en: String,
    period: String,
    start_date: String,
    end_date: String,
    statistics: CountryStatistics,
    daily_breakdown: Vec<Day>,
}

#[derive(Serialize, ToSchema)]
pub struct CountryStatistics {
    total_selections: u64,
    daily_average: f64,
    peak_day: Option<String>,
    peak_selections: u64,
    growth_rate: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Day {
    date: String,
    count: u64,
    rank: Option<u32>,
}

impl From<pb::GetCountryStatsResponse> for CountryStats {
    fn from(r: pb::GetCountryStatsResponse) -> Self {
        Self {
            statistics: CountryStatistics {
                total_selections: r.total_selections,
                daily_average: r.daily_average,
                peak_day: text_or_null(r.peak_day),
                peak_selections: r.peak_selections,
                growth_rate: r.growth_rate,
            },
            daily_breakdown: r
                .daily_breakdown
                .into_iter()
                .map(|d| Day {
                    date: d.date,
                    count: d.count,
                    rank: d.rank,
                })
                .collect(),
            country_code: r.country_code,
            country_name: r.country_name,
            country_name_en: r.country_name_en,
            period: r.period,
            start_date: r.start_date,
            end_date: r.end_date,
        }
    }
}

/// POST /api/v1/rankings/calculate
#[derive(Serialize, ToSchema)]
pub struct Calculated {
    periods: Vec<String>,
    calculated_at: Option<String>,
    results: Vec<CalculatedPeriod>,
}

#[derive(Serialize, ToSchema)]
pub struct CalculatedPeriod {
    period: String,
    total_selections: u64,
    entries: u32,
    duration_ms: f64,
    counters_read: u64,
}

impl From<pb::CalculateRankingsResponse> for Calculated {
    fn from(r: pb::CalculateRankingsResponse) -> Self {
        Self {
            calculated_at: rfc3339(r.calculated_at.as_ref()),
            results: r
                .results
                .into_iter()
                .map(|p| CalculatedPeriod {
                    period: p.period,
                    total_selections: p.total_selections,
                    entries: p.entries,
                    duration_ms: p.duration_ms,
                    counters_read: p.counters_read,
                })
                .collect(),
            periods: r.periods,
        }
    }
}

/// POST /api/v1/rankings/update
#[derive(Serialize, ToSchema)]
pub struct Updated {
    updated_countries: Vec<String>,
    count: usize,
    period: String,
    selection_ids: Vec<String>,
    recorded_at: Option<String>,
}

impl From<pb::RecordSelectionsResponse> for Updated {
    fn from(r: pb::RecordSelectionsResponse) -> Self {
        Self {
            count: r.updated_countries.len(),
            recorded_at: rfc3339(r.recorded_at.as_ref()),
            updated_countries: r.updated_countries,
            period: r.period,
            selection_ids: r.selection_ids,
        }
    }
}

/// GET /api/v1/rankings/store
#[derive(Serialize, ToSchema)]
pub struct StoredList {
    items: Vec<StoredItem>,
    count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct StoredItem {
    period: String,
    last_updated: Option<String>,
}

impl From<pb::ListStoredRankingsResponse> for StoredList {
    fn from(r: pb::ListStoredRankingsResponse) -> Self {
        Self {
            count: r.items.len(),
            items: r
                .items
                .into_iter()
                .map(|item| StoredItem {
                    last_updated: rfc3339(item.last_updated.as_ref()),
                    period: item.period,
                })
                .collect(),
        }
    }
}

/// GET /api/v1/rankings/store/{period}
#[derive(Serialize, ToSchema)]
pub struct Stored {
    period: String,
    period_start: String,
    period_end: String,
    time_zone: String,
    total_selections: u64,
    last_updated: Option<String>,
    ranking: Vec<StoredEntry>,
    calculation_metadata: Metadata,
}

#[derive(Serialize, ToSchema)]
pub struct StoredEntry {
    #[serde(flatten)]
    entry: Entry,
    /// `score` under the original system's name.
    selection_count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Metadata {
    calculated_by: String,
    duration_ms: f64,
    counters_read: u64,
    time_zone: String,
}

impl From<pb::GetStoredRankingResponse> for Stored {
    fn from(r: pb::GetStoredRankingResponse) -> Self {
        let ranking = r.ranking.unwrap_or_default();
        let metadata = r.calculation_metadata.unwrap_or_default();
        Self {
            last_updated: rfc3339(ranking.last_updated.as_ref()),
            ranking: ranking
                .ranking
                .into_iter()
                .map(|e| StoredEntry {
                    selection_count: e.score,
                    entry: e.into(),
                })
                .collect(),
            calculation_metadata: Metadata {
                calculated_by: metadata.calculated_by,
                duration_ms: metadata.duration_ms,
                counters_read: metadata.counters_read,
                time_zone: metadata.time_zone,
            },
            period: ranking.period,
            period_start: ranking.period_start,
            period_end: ranking.period_end,
            time_zone: ranking.time_zone,
            total_selections: ranking.total_selections,
        }
    }
}
