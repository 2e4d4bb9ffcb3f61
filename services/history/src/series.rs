//! Loading rate series from the store: daily closes (or hourly last observations) as
//! units of a base per unit of a target, crossed through KRW.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Timelike, Utc};
use rust_decimal::prelude::ToPrimitive;
use travel_analytics::Point;
use travel_analytics::series::cross;
use travel_domain::{ApiError, CurrencyCode};
use travel_storage::RateStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Daily,
    Hourly,
}

impl Interval {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        match raw.trim() {
            "" | "daily" => Ok(Interval::Daily),
            "hourly" => Ok(Interval::Hourly),
            other => Err(ApiError::invalid_parameter(
                "interval",
                other,
                "daily or hourly",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Daily => "daily",
            Interval::Hourly => "hourly",
        }
    }
}

/// One point of an hourly series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourPoint {
    pub hour: DateTime<Utc>,
    pub rate: f64,
    pub volume: u32,
}

#[derive(Clone)]
pub struct SeriesLoader {
    store: Arc<dyn RateStore>,
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

impl SeriesLoader {
    pub fn new(store: Arc<dyn RateStore>) -> Self {
        Self { store }
    }

    /// The newest day both currencies have a quote for, or `None` when one has none.
    pub async fn anchor(&self, codes: &[CurrencyCode]) -> Result<Option<NaiveDate>, ApiError> {
        let stored: Vec<CurrencyCode> = codes
            .iter()
            .copied()
            .filter(|c| *c != CurrencyCode::KRW)
            .collect();
        if stored.is_empty() {
            return Ok(None);
        }
        let quotes = self
            .store
            .latest_quotes(&stored)
            .await
            .map_err(ApiError::from)?;
        if quotes.len() < stored.len() {
            return Ok(None);
        }
        Ok(quotes.iter().map(|q| q.rate_date).min())
    }

    /// KRW per unit of `code`, one point per stored day.
    async fn krw_daily(
        &self,
        code: CurrencyCode,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Point>, ApiError> {
        let days = self
            .store
            .daily_rates(code, start, end)
            .await
            .map_err(ApiError::from)?;
        Ok(days
            .iter()
            .filter_map(|d| {
                Some(Point {
                    date: d.rate_date,
                    rate: d.close.to_f64()?,
                    volume: d.count,
                })
            })
            .collect())
    }

    /// Units of `base` per unit of `target` on every day both have.
    pub async fn daily(
        &self,
        target: CurrencyCode,
        base: CurrencyCode,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Point>, ApiError> {
        if base == CurrencyCode::KRW {
            return self.krw_daily(target, start, end).await;
        }
        let base_points = self.krw_daily(base, start, end).await?;
        if target == CurrencyCode::KRW {
            return Ok(base_points
                .iter()
                .map(|p| Point {
                    rate: 1.0 / p.rate,
                    ..*p
                })
                .collect());
        }
        let target_points = self.krw_daily(target, start, end).await?;
        Ok(cross(&target_points, &base_points))
    }

    /// KRW per unit of `code`: the last observation of every hour, with the number of
    /// observations in it.
    async fn krw_hourly(
        &self,
        code: CurrencyCode,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<BTreeMap<DateTime<Utc>, (f64, u32)>, ApiError> {
        let to = start_of(end.checked_add_days(Days::new(1)).unwrap_or(end));
        let observations = self
            .store
            .observations(code, start_of(start), to)
            .await
            .map_err(ApiError::from)?;
        let mut hours: BTreeMap<DateTime<Utc>, (f64, u32)> = BTreeMap::new();
        for o in observations {
            let hour = o
                .recorded_at
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(o.recorded_at);
            let Some(rate) = o.mid.to_f64() else { continue };
            let entry = hours.entry(hour).or_insert((rate, 0));
            entry.0 = rate; // ordered by time: the last one wins
            entry.1 += 1;
        }
        Ok(hours)
    }

    pub async fn hourly(
        &self,
        target: CurrencyCode,
        base: CurrencyCode,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<HourPoint>, ApiError> {
        let target_hours = if target == CurrencyCode::KRW {
            BTreeMap::new()
        } else {
            self.krw_hourly(target, start, end).await?
        };
        let base_hours = if base == CurrencyCode::KRW {
            BTreeMap::new()
        } else {
            self.krw_hourly(base, start, end).await?
        };
        let points = if base == CurrencyCode::KRW {
            target_hours
                .into_iter()
                .map(|(hour, (rate, volume))| HourPoint { hour, rate, volume })
                .collect()
        } else if target == CurrencyCode::KRW {
            base_hours
                .into_iter()
                .map(|(hour, (rate, volume))| HourPoint {
                    hour,
                    rate: 1.0 / rate,
                    volume,
                })
                .collect()
        } else {
            target_hours
                .into_iter()
                .filter_map(|(hour, (rate, volume))| {
                    let (base_rate, base_volume) = base_hours.get(&hour)?;
                    Some(HourPoint {
                        hour,
                        rate: rate / base_rate,
                        volume: volume + base_volume,
                    })
                })
                .collect()
        };
        Ok(points)
    }
}
