//! The `travel.ranking.v1.RankingService` implementation.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};
use travel_cache::Cache;
use travel_domain::{ApiError, Catalog, CountryCode, CountryInfo, ErrorCode};
use travel_proto::ranking::v1 as pb;
use travel_proto::ranking::v1::ranking_service_server::RankingService;
use travel_runtime::config::{ExposeSecret, same_secret};
use travel_runtime::status::{leave, respond};
use travel_selections::{
    RankChange, RankingPeriod, Recorded, Selection, SelectionStore, StoredRanking,
};
use travel_wiring::budget::{Budget, Limit};

use crate::config::RankingConfig;
use crate::periods::trailing;
use crate::rankings::Rankings;
use crate::stats::country_stats;

pub const MAX_USER_ID: usize = 100;
pub const MAX_SESSION_ID: usize = 100;
pub const MAX_REFERRER: usize = 500;
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
/// Destinations one comparison may record at once.
pub const MAX_COUNTRIES: usize = 20;

/// Who made a selection, as the store keeps it (client facts already hashed).
struct Traveller {
    user_id: String,
    session_id: Option<String>,
    referrer: Option<String>,
    ip_hash: Option<String>,
    user_agent_hash: Option<String>,
}

pub struct RankingApi {
    store: Arc<dyn SelectionStore>,
    cache: Arc<dyn Cache>,
    rankings: Arc<Rankings>,
    catalog: Arc<Catalog>,
    config: RankingConfig,
}

fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn change(change: RankChange) -> i32 {
    (match change {
        RankChange::Up => pb::RankChange::Up,
        RankChange::Down => pb::RankChange::Down,
        RankChange::Same => pb::RankChange::Same,
        RankChange::New => pb::RankChange::New,
    }) as i32
}

/// A bounded free-text field: optional, at most `max` characters, no control
/// characters.
fn optional_text(parameter: &str, raw: &str, max: usize) -> Result<Option<String>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.chars().count() > max || raw.chars().any(char::is_control) {
        return Err(ApiError::invalid_parameter(
            parameter,
            &raw.chars().take(max).collect::<String>(),
            &format!("at most {max} characters without control characters"),
        ));
    }
    Ok(Some(raw.to_string()))
}

impl RankingApi {
    pub fn new(
        store: Arc<dyn SelectionStore>,
        cache: Arc<dyn Cache>,
        rankings: Arc<Rankings>,
        catalog: Arc<Catalog>,
        config: RankingConfig,
    ) -> Self {
        Self {
            store,
            cache,
            rankings,
            catalog,
            config,
        }
    }

    fn hash(&self, value: &str) -> Option<String> {
        (!value.is_empty()).then(|| {
            let mut hasher = Sha256::new();
            hasher.update(self.config.hash_salt.expose_secret().as_bytes());
            hasher.update(value.as_bytes());
            hex::encode(hasher.finalize())
        })
    }

    fn country(&self, parameter: &str, raw: &str) -> Result<&CountryInfo, ApiError> {
        if raw.trim().is_empty() {
            return Err(ApiError::missing_parameter(
                parameter,
                "ISO 3166-1 alpha-2 code of a supported destination (EU for the euro area)",
            ));
        }
        let code =
            CountryCode::parse(raw).map_err(|_| ApiError::invalid_country(parameter, raw))?;
        self.catalog
            .country(code)
            .ok_or_else(|| ApiError::invalid_country(parameter, raw))
    }

    /// Counts the selection against the client's budget.
    async fn spend(&self, ip_hash: Option<&str>) -> Result<Option<Budget>, Status> {
        Limit {
            key: "selectionlimit",
            what: "selections",
            limit: self.config.selection_limit,
            window: self.config.selection_window,
        }
        .spend(self.cache.as_ref(), ip_hash)
        .await
    }

    fn ranking_message(
        &self,
        ranking: &StoredRanking,
        limit: usize,
        offset: usize,
    ) -> pb::GetRankingsResponse {
        let entries = ranking
            .entries
            .iter()
            .skip(offset)
            .take(limit)
            .map(|entry| {
                let country = CountryCode::parse(&entry.country_code)
                    .ok()
                    .and_then(|code| self.catalog.country(code));
                pb::RankingEntry {
                    rank: entry.rank,
                    country_code: entry.country_code.clone(),
                    country_name: country.map(|c| c.name_ko).unwrap_or_default().to_string(),
                    country_name_en: country.map(|c| c.name_en).unwrap_or_default().to_string(),
                    score: entry.score,
                    percentage: entry.percentage,
                    change: change(entry.change),
                    change_value: entry.change_value.map(|v| {
                        i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
                    }),
                    previous_rank: entry.previous_rank,
                }
            })
            .collect();
        pb::GetRankingsResponse {
            period: ranking.period.as_str().to_string(),
            total_selections: ranking.total_selections,
            last_updated: Some(timestamp(ranking.last_updated)),
            ranking: entries,
            total_entries: u32::try_from(ranking.entries.len()).unwrap_or(u32::MAX),
            period_start: date(ranking.period_start),
            period_end: date(ranking.period_end),
            time_zone: ranking.metadata.time_zone.clone(),
        }
    }

    /// Stores one selection of `country` at `at`.
    async fn record(
        &self,
        traveller: Traveller,
        country: CountryCode,
        at: DateTime<Utc>,
    ) -> Result<Selection, Status> {
        let retention = chrono::Duration::from_std(self.config.store.retention)
            .unwrap_or(chrono::Duration::days(90));
        let selection = Selection {
            selection_id: uuid::Uuid::new_v4().to_string(),
            user_id: traveller.user_id,
            country_code: country.to_string(),
            selected_at: at,
            day: self.rankings.today(at),
            session_id: traveller.session_id,
            referrer: traveller.referrer,
            ip_hash: traveller.ip_hash,
            user_agent_hash: traveller.user_agent_hash,
            expires_at: at + retention,
        };
        let recorded = self
            .store
            .record(&selection)
            .await
            .map_err(|e| leave(&ApiError::from(e)))?;
        if recorded == Recorded::Duplicate {
            // A fresh id and instant cannot collide unless the store retried for us.
            tracing::debug!(selection_id = %selection.selection_id, "selection already stored");
        }
        Ok(selection)
    }

    /// A period parameter; empty means daily.
    fn period(raw: &str) -> Result<RankingPeriod, ApiError> {
        if raw.is_empty() {
            return Ok(RankingPeriod::Daily);
        }
        RankingPeriod::parse(raw)
            .ok_or_else(|| ApiError::invalid_period(raw, "daily, weekly or monthly"))
    }

    /// The destinations of one RecordSelections call: 1 to [`MAX_COUNTRIES`] supported
    /// codes, normalised, each once, in the order given.
    fn countries(&self, raw: &[String]) -> Result<Vec<CountryCode>, ApiError> {
        const EXPECTED: &str = "1 to 20 ISO 3166-1 alpha-2 codes of supported destinations";
        if raw.is_empty() {
            return Err(ApiError::missing_parameter("countries", EXPECTED));
        }
        if raw.len() > MAX_COUNTRIES {
            return Err(ApiError::invalid_parameter(
                "countries",
                &format!("{} codes", raw.len()),
                EXPECTED,
            ));
        }
        let mut codes = Vec::with_capacity(raw.len());
        for code in raw {
            let code = self.country("countries", code)?.code;
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        Ok(codes)
    }

    async fn get_rankings(
        &self,
        request: pb::GetRankingsRequest,
    ) -> Result<pb::GetRankingsResponse, ApiError> {
        let period = Self::period(&request.period)?;
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid_parameter(
                "limit",
                &limit.to_string(),
                &format!("an integer from 1 to {MAX_LIMIT}"),
            ));
        }
        let offset = request.offset.unwrap_or(0);
        let (ranking, _) = self.rankings.current(period, Utc::now()).await?;
        Ok(self.ranking_message(&ranking, limit as usize, offset as usize))
    }

    async fn country_stats(
        &self,
        request: pb::GetCountryStatsRequest,
    ) -> Result<pb::GetCountryStatsResponse, ApiError> {
        let country = self.country("country_code", &request.country_code)?;
        let label = if request.period.is_empty() {
            "7d".to_string()
        } else {
            request.period.trim().to_ascii_lowercase()
        };
        let days = match label.as_str() {
            "7d" => 7,
            "30d" => 30,
            "90d" => 90,
            _ => return Err(ApiError::invalid_period(&request.period, "7d, 30d or 90d")),
        };
        let (from, to) = trailing(days, self.rankings.today(Utc::now()));
        let counts = self.rankings.day_counts(from, to).await?;
        let stats = country_stats(country.code.as_str(), from, to, &counts);
        Ok(pb::GetCountryStatsResponse {
            country_code: country.code.to_string(),
            country_name: country.name_ko.to_string(),
            country_name_en: country.name_en.to_string(),
            period: label,
            total_selections: stats.total,
            daily_average: stats.daily_average,
            peak_day: stats.peak_day.map(date).unwrap_or_default(),
            peak_selections: stats.peak_selections,
            growth_rate: stats.growth_rate,
            daily_breakdown: stats
                .breakdown
                .iter()
                .map(|d| pb::DailyCount {
                    date: date(d.day),
                    count: d.count,
                    rank: d.rank,
                })
                .collect(),
            start_date: date(from),
            end_date: date(to),
        })
    }

    async fn calculate(
        &self,
        authorization: Option<&str>,
        request: pb::CalculateRankingsRequest,
    ) -> Result<pb::CalculateRankingsResponse, ApiError> {
        if let Some(key) = &self.config.operator_api_key {
            let presented = authorization
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim);
            if !presented.is_some_and(|p| same_secret(p, key.expose_secret())) {
                return Err(ApiError::new(
                    ErrorCode::Unauthorized,
                    "recalculation needs Authorization: Bearer <operator API key>",
                )
                .with_detail("authorization", "", "Bearer <operator API key>"));
            }
        }
        let periods = if request.period.is_empty() {
            RankingPeriod::ALL.to_vec()
        } else {
            vec![RankingPeriod::parse(&request.period).ok_or_else(|| {
                ApiError::invalid_period(&request.period, "daily, weekly or monthly")
            })?]
        };
        let now = Utc::now();
        let mut results = Vec::new();
        for period in &periods {
            let ranking = self.rankings.calculate(*period, now).await?;
            results.push(pb::CalculatedPeriod {
                period: period.as_str().to_string(),
                total_selections: ranking.total_selections,
                entries: u32::try_from(ranking.entries.len()).unwrap_or(u32::MAX),
                duration_ms: ranking.metadata.duration_ms,
                counters_read: ranking.metadata.counters_read,
            });
        }
        Ok(pb::CalculateRankingsResponse {
            periods: periods.iter().map(|p| p.as_str().to_string()).collect(),
            calculated_at: Some(timestamp(now)),
            results,
        })
    }
}

#[tonic::async_trait]
impl RankingService for RankingApi {
    #[tracing::instrument(skip_all, fields(country = %request.get_ref().country_code))]
    async fn record_selection(
        &self,
        request: Request<pb::RecordSelectionRequest>,
    ) -> Result<Response<pb::RecordSelectionResponse>, Status> {
        let request = request.into_inner();
        let validated = (|| {
            if request.user_id.trim().is_empty() {
                return Err(ApiError::missing_parameter(
                    "user_id",
                    &format!("a user id of 1 to {MAX_USER_ID} characters"),
                ));
            }
            let user_id = optional_text("user_id", &request.user_id, MAX_USER_ID)?
                .expect("checked non-empty above");
            let country = self.country("country_code", &request.country_code)?;
            let session_id = optional_text("session_id", &request.session_id, MAX_SESSION_ID)?;
            let referrer = optional_text("referrer", &request.referrer, MAX_REFERRER)?;
            Ok((user_id, country.code, session_id, referrer))
        })();
        let (user_id, country, session_id, referrer) = match validated {
            Ok(fields) => fields,
            Err(error) => return respond(Err(error)),
        };
        let ip_hash = self.hash(&request.client_ip);
        let budget = self.spend(ip_hash.as_deref()).await?;
        let selection = self
            .record(
                Traveller {
                    user_id,
                    session_id,
                    referrer,
                    ip_hash,
                    user_agent_hash: self.hash(&request.user_agent),
                },
                country,
                Utc::now(),
            )
            .await?;
        let mut response = Response::new(pb::RecordSelectionResponse {
            recorded_at: Some(timestamp(selection.selected_at)),
            selection_id: selection.selection_id,
            selection_date: date(selection.day),
        });
        if let Some(budget) = budget {
            budget.write(response.metadata_mut());
        }
        Ok(response)
    }

    async fn get_rankings(
        &self,
        request: Request<pb::GetRankingsRequest>,
    ) -> Result<Response<pb::GetRankingsResponse>, Status> {
        respond(RankingApi::get_rankings(self, request.into_inner()).await)
    }

    async fn get_country_stats(
        &self,
        request: Request<pb::GetCountryStatsRequest>,
    ) -> Result<Response<pb::GetCountryStatsResponse>, Status> {
        respond(self.country_stats(request.into_inner()).await)
    }

    async fn calculate_rankings(
        &self,
        request: Request<pb::CalculateRankingsRequest>,
    ) -> Result<Response<pb::CalculateRankingsResponse>, Status> {
        let authorization = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        respond(
            self.calculate(authorization.as_deref(), request.into_inner())
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(countries = request.get_ref().countries.len()))]
    async fn record_selections(
        &self,
        request: Request<pb::RecordSelectionsRequest>,
    ) -> Result<Response<pb::RecordSelectionsResponse>, Status> {
        let request = request.into_inner();
        let validated = (|| {
            let period = Self::period(&request.period)?;
            let countries = self.countries(&request.countries)?;
            let user_id = optional_text("user_id", &request.user_id, MAX_USER_ID)?;
            let session_id = optional_text("session_id", &request.session_id, MAX_SESSION_ID)?;
            Ok((period, countries, user_id, session_id))
        })();
        let (period, countries, user_id, session_id) = match validated {
            Ok(fields) => fields,
            Err(error) => return respond(Err(error)),
        };
        // The whole budget first: a call over it records nothing.
        let ip_hash = self.hash(&request.client_ip);
        let mut budget = None;
        for _ in &countries {
            budget = self.spend(ip_hash.as_deref()).await?;
        }
        // Without a user id the call is one anonymous traveller.
        let user_id = user_id.unwrap_or_else(|| format!("anonymous-{}", uuid::Uuid::new_v4()));
        let user_agent_hash = self.hash(&request.user_agent);
        let started = Utc::now();
        let mut at = started;
        let mut selection_ids = Vec::with_capacity(countries.len());
        for country in &countries {
            let traveller = Traveller {
                user_id: user_id.clone(),
                session_id: session_id.clone(),
                referrer: None,
                ip_hash: ip_hash.clone(),
                user_agent_hash: user_agent_hash.clone(),
            };
            let selection = self.record(traveller, *country, at).await?;
            selection_ids.push(selection.selection_id);
            // One traveller's selections get distinct instants: the store's key is the
            // instant and the user, and equal keys would count once.
            at = Utc::now().max(at + chrono::Duration::microseconds(1));
        }
        let mut response = Response::new(pb::RecordSelectionsResponse {
            updated_countries: countries.iter().map(ToString::to_string).collect(),
            period: period.as_str().to_string(),
            selection_ids,
            recorded_at: Some(timestamp(started)),
        });
        if let Some(budget) = budget {
            budget.write(response.metadata_mut());
        }
        Ok(response)
    }

    async fn list_stored_rankings(
        &self,
        _: Request<pb::ListStoredRankingsRequest>,
    ) -> Result<Response<pb::ListStoredRankingsResponse>, Status> {
        let mut items = Vec::new();
        for period in RankingPeriod::ALL {
            if let Some(ranking) = self
                .rankings
                .stored(period)
                .await
                .map_err(|e| leave(&ApiError::from(e)))?
            {
                items.push(pb::StoredRankingSummary {
                    period: period.as_str().to_string(),
                    last_updated: Some(timestamp(ranking.last_updated)),
                });
            }
        }
        Ok(Response::new(pb::ListStoredRankingsResponse { items }))
    }

    async fn get_stored_ranking(
        &self,
        request: Request<pb::GetStoredRankingRequest>,
    ) -> Result<Response<pb::GetStoredRankingResponse>, Status> {
        let raw = request.into_inner().period;
        let answer = async {
            if raw.is_empty() {
                return Err(ApiError::missing_parameter(
                    "period",
                    "daily, weekly or monthly",
                ));
            }
            let period = Self::period(&raw)?;
            let ranking = self.rankings.stored(period).await?.ok_or_else(|| {
                ApiError::not_found(format!(
                    "no {} ranking is stored yet: the calculator has not run for it",
                    period.as_str()
                ))
                .with_detail(
                    "period",
                    period.as_str(),
                    "a period with a stored ranking",
                )
            })?;
            let metadata = &ranking.metadata;
            Ok(pb::GetStoredRankingResponse {
                calculation_metadata: Some(pb::CalculationMetadata {
                    calculated_by: metadata.calculated_by.clone(),
                    duration_ms: metadata.duration_ms,
                    counters_read: metadata.counters_read,
                    time_zone: metadata.time_zone.clone(),
                }),
                ranking: Some(self.ranking_message(&ranking, ranking.entries.len(), 0)),
            })
        };
        respond(answer.await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_bounded() {
        assert_eq!(optional_text("referrer", "", 5).unwrap(), None);
        assert_eq!(
            optional_text("referrer", "한국어ok", 5).unwrap().as_deref(),
            Some("한국어ok")
        );
        let error = optional_text("referrer", "abcdef", 5).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidParameter);
        assert_eq!(error.parameter.as_deref(), Some("referrer"));
        assert!(optional_text("session_id", "a\nb", 5).is_err());
    }
}
