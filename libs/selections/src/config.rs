//! Settings of the selection store.

use std::time::Duration;

use url::Url;

#[derive(Debug, Clone)]
pub struct SelectionStoreConfig {
    /// `sqlite://path/selections.db` or `dynamodb://` (region and credentials from the
    /// default AWS chain unless set below).
    pub url: Url,
    /// DynamoDB table of raw selections and counters.
    pub selections_table: String,
    /// DynamoDB table of calculated rankings.
    pub results_table: String,
    /// DynamoDB endpoint override (DynamoDB Local, moto); `None` uses AWS's.
    pub endpoint: Option<String>,
    /// AWS region; `None` takes it from the default chain (`AWS_REGION`, profile, IRSA).
    pub region: Option<String>,
    /// Create missing DynamoDB tables at start-up (development and tests only).
    pub create_tables: bool,
    /// How long raw selections are kept (the TTL attribute); counters stay.
    pub retention: Duration,
    /// SQLite pool size.
    pub max_connections: u32,
}

impl SelectionStoreConfig {
    pub fn new(url: Url) -> Self {
        Self {
            url,
            selections_table: "travel_destination_selections".to_string(),
            results_table: "RankingResults".to_string(),
            endpoint: None,
            region: None,
            create_tables: false,
            retention: Duration::from_secs(90 * 24 * 3600),
            max_connections: 8,
        }
    }
}
