//! What the store holds.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// One traveller's choice of a destination. Client IP and User-Agent arrive here
/// already reduced to salted SHA-256 hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub selection_id: String,
    pub user_id: String,
    /// ISO 3166-1 alpha-2 (EU for the euro area), validated by the caller.
    pub country_code: String,
    pub selected_at: DateTime<Utc>,
    /// The day of `selected_at` in the ranking time zone (Asia/Seoul by default).
    pub day: NaiveDate,
    pub session_id: Option<String>,
    pub referrer: Option<String>,
    pub ip_hash: Option<String>,
    pub user_agent_hash: Option<String>,
    /// When the raw selection may be deleted (DynamoDB TTL, unix seconds).
    pub expires_at: DateTime<Utc>,
}

impl Selection {
    /// The sort key `selection_timestamp_userid`: the instant to the microsecond and
    /// the user. Writing the same selection twice hits the same key.
    pub fn selection_key(&self) -> String {
        format!(
            "{}#{}",
            self.selected_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            self.user_id
        )
    }

    /// The partition key `selection_date`.
    pub fn selection_date(&self) -> String {
        self.day.format("%Y-%m-%d").to_string()
    }
}

/// Whether a write stored a new selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    /// The same selection (same key) was already stored; nothing was counted.
    Duplicate,
}

/// Selections of one country on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub country_code: String,
    pub count: u64,
}

/// A ranking period: the current calendar day, ISO week (Monday to Sunday) or
/// calendar month in the ranking time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RankingPeriod {
    Daily,
    Weekly,
    Monthly,
}

impl RankingPeriod {
    pub const ALL: [RankingPeriod; 3] = [Self::Daily, Self::Weekly, Self::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// Case-insensitive; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "daily" => Some(Self::Daily),
            "weekly" => Some(Self::Weekly),
            "monthly" => Some(Self::Monthly),
            _ => None,
        }
    }
}

/// Movement of a country against the ranking it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RankChange {
    Up,
    Down,
    Same,
    New,
}

impl RankChange {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "UP",
            Self::Down => "DOWN",
            Self::Same => "SAME",
            Self::New => "NEW",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingEntry {
    pub rank: u32,
    pub country_code: String,
    /// Selections in the period.
    pub score: u64,
    /// Share of the period's selections, in percent (two decimals).
    pub percentage: f64,
    pub change: RankChange,
    /// previous rank − rank; `None` for a new entry.
    pub change_value: Option<i64>,
    pub previous_rank: Option<u32>,
}

/// A rank in the ranking that `change` values are measured against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRank {
    pub country_code: String,
    pub rank: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalculationMetadata {
    /// Replica (pod name or host) that calculated it.
    pub calculated_by: String,
    /// Wall time of the calculation, in milliseconds.
    pub duration_ms: f64,
    /// Day-and-country counts read (each the sum of its shards in DynamoDB).
    pub counters_read: u64,
    /// IANA time zone of the day boundaries.
    pub time_zone: String,
}

/// The latest calculated ranking of one period (an item of `RankingResults`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRanking {
    pub period: RankingPeriod,
    /// First and last day of the period (inclusive, ranking time zone).
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub total_selections: u64,
    /// Every country with at least one selection, best first.
    pub entries: Vec<RankingEntry>,
    pub last_updated: DateTime<Utc>,
    pub metadata: CalculationMetadata,
    /// The earlier ranking the `change` values compare against.
    pub baseline: Vec<BaselineRank>,
}
