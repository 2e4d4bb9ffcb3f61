//! The rate tables' rows: the columns a statement writes, the order they are bound
//! in, and how a row read back becomes a domain value.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::query_builder::Separated;
use sqlx::{ColumnIndex, Row};
use travel_domain::price_index::BigMacPrice;
use travel_domain::{
    CountryCode, CurrencyCode, CurrencyInfo, DailyRate, DayAggregate, Observation, Quote,
};

use rust_decimal::prelude::ToPrimitive;
use travel_domain::alert::{Alert, AlertState, Condition, Firing};

use super::{Dialect, Native};
use crate::alerts::StoredAlert;
use crate::batch::{DayKey, with_merge_state};
use crate::{CatalogRow, DatasetImport, Result, StoreError};

/// `latest_rates`, in [`Rows::bind_quote`]'s order.
pub(super) const QUOTE_COLUMNS: &str =
    "currency_code, source, recorded_at, rate_date, mid, tts, ttb";

/// `exchange_rate_history`, in [`Rows::bind_history`]'s order.
pub(super) const HISTORY_COLUMNS: &str = "currency_code, source, recorded_at, rate_date, mid, tts, \
     ttb, raw_unit, redistributable, ingested_at";

/// What [`Rows::observation`] reads.
pub(super) const OBSERVATION_COLUMNS: &str =
    "currency_code, source, recorded_at, rate_date, mid, tts, ttb, raw_unit, redistributable";

/// What [`Rows::daily`] reads.
pub(super) const DAILY_COLUMNS: &str = "currency_code, rate_date, open_rate, close_rate, high_rate, \
     low_rate, avg_rate, sum_rate, observation_count, first_at, last_at, volatility";

/// `daily_exchange_rates` with its merge state, in [`Rows::bind_day`]'s order; what
/// [`Rows::day`] reads.
pub(super) const DAY_COLUMNS: &str = "currency_code, rate_date, open_rate, close_rate, high_rate, \
     low_rate, avg_rate, sum_rate, observation_count, first_at, last_at, volatility, \
     open_source, close_source, m2";

/// `currencies`, in [`Rows::bind_currency`]'s order.
pub(super) const CURRENCY_COLUMNS: &str =
    "currency_code, name_ko, name_en, country_code, symbol, decimals, active, updated_at";

/// `price_indices`, in [`Rows::bind_bigmac`]'s order; [`Rows::bigmac`] reads the last five.
pub(super) const BIGMAC_COLUMNS: &str =
    "index_name, country_code, survey_date, currency_code, local_price, dollar_ex";

/// `dataset_imports`, in [`Rows::bind_import`]'s order; what [`Rows::import`] reads.
pub(super) const IMPORT_COLUMNS: &str = "dataset, sha256, row_count, imported_at";

/// `alerts`, in [`Rows::bind_alert`]'s order; what [`Rows::alert`] reads.
pub(super) const ALERT_COLUMNS: &str = "alert_id, token_hash, secret, currency_code, base_code, \
     condition_kind, threshold, reference_rate, level_low, level_high, webhook_url, \
     created_at, expires_at, state, fired_at, fired_rate, fired_quote_at";

/// A row being bound inside `VALUES (…)`.
pub(super) type Values<'q, DB> = Separated<'q, DB, &'static str>;

/// Binding and reading the rows of every dialect. Rust does not carry a trait's bounds
/// on other types (`String: Encode<DB>`…) over to its users, so the blanket impl below
/// states them once instead of on every generic function of the store.
pub trait Rows: Dialect {
    fn bind_quote(row: &mut Values<'_, Self>, o: &Observation);
    fn bind_history(row: &mut Values<'_, Self>, o: &Observation, ingested_at: DateTime<Utc>);
    fn bind_day(row: &mut Values<'_, Self>, day: &DayAggregate);
    fn bind_currency(row: &mut Values<'_, Self>, c: &CurrencyInfo, updated_at: DateTime<Utc>);
    fn bind_bigmac(row: &mut Values<'_, Self>, p: &BigMacPrice);
    fn bind_import(row: &mut Values<'_, Self>, import: &DatasetImport);
    fn bind_alert(row: &mut Values<'_, Self>, alert: &StoredAlert);

    fn observation(row: &Self::Row) -> Result<Observation>;
    fn quote(row: &Self::Row) -> Result<Quote>;
    fn daily(row: &Self::Row) -> Result<DailyRate>;
    /// A day with its merge state (`None`: written before it was kept).
    fn day(row: &Self::Row) -> Result<(DayKey, Option<DayAggregate>)>;
    fn currency(row: &Self::Row) -> Result<CatalogRow>;
    fn bigmac(row: &Self::Row) -> Result<BigMacPrice>;
    fn import(row: &Self::Row) -> Result<DatasetImport>;
    fn alert(row: &Self::Row) -> Result<StoredAlert>;
}

impl<DB: Dialect> Rows for DB
where
    for<'c> &'c str: ColumnIndex<DB::Row>,
    String: Native<DB>,
    NaiveDate: Native<DB>,
    u32: Native<DB>,
    bool: Native<DB>,
    f64: Native<DB>,
    Option<f64>: Native<DB>,
    Option<DB::Decimal>: Native<DB>,
    Option<DB::Time>: Native<DB>,
    Option<String>: Native<DB>,
{
    fn bind_quote(row: &mut Values<'_, Self>, o: &Observation) {
        row.push_bind(o.currency.as_str().to_string())
            .push_bind(o.source.clone())
            .push_bind(DB::encode_time(o.recorded_at))
            .push_bind(o.rate_date)
            .push_bind(DB::encode_decimal(o.mid))
            .push_bind(o.tts.map(DB::encode_decimal))
            .push_bind(o.ttb.map(DB::encode_decimal));
    }

    fn bind_history(row: &mut Values<'_, Self>, o: &Observation, ingested_at: DateTime<Utc>) {
        Self::bind_quote(row, o);
        row.push_bind(o.raw_unit)
            .push_bind(o.redistributable)
            .push_bind(DB::encode_time(ingested_at));
    }

    fn bind_day(row: &mut Values<'_, Self>, day: &DayAggregate) {
        let daily = &day.rate;
        row.push_bind(daily.currency.as_str().to_string())
            .push_bind(daily.rate_date)
            .push_bind(DB::encode_decimal(daily.open))
            .push_bind(DB::encode_decimal(daily.close))
            .push_bind(DB::encode_decimal(daily.high))
            .push_bind(DB::encode_decimal(daily.low))
            .push_bind(DB::encode_decimal(daily.average))
            .push_bind(DB::encode_decimal(daily.sum))
            .push_bind(daily.count)
            .push_bind(DB::encode_time(daily.first_at))
            .push_bind(DB::encode_time(daily.last_at))
            .push_bind(daily.volatility)
            .push_bind(day.open_source.clone())
            .push_bind(day.close_source.clone())
            .push_bind(day.m2);
    }

    fn bind_currency(row: &mut Values<'_, Self>, c: &CurrencyInfo, updated_at: DateTime<Utc>) {
        row.push_bind(c.code.as_str().to_string())
            .push_bind(c.name_ko.to_string())
            .push_bind(c.name_en.to_string())
            .push_bind(c.country.as_str().to_string())
            .push_bind(c.symbol.to_string())
            .push_bind(c.decimals)
            .push_bind(c.active)
            .push_bind(DB::encode_time(updated_at));
    }

    fn bind_bigmac(row: &mut Values<'_, Self>, p: &BigMacPrice) {
        row.push_bind("BIGMAC".to_string())
            .push_bind(p.country.as_str().to_string())
            .push_bind(p.survey_date)
            .push_bind(p.currency.clone())
            .push_bind(DB::encode_decimal(p.local_price))
            .push_bind(DB::encode_decimal(p.dollar_ex));
    }

    fn bind_import(row: &mut Values<'_, Self>, import: &DatasetImport) {
        row.push_bind(import.dataset.clone())
            .push_bind(import.sha256.clone())
            .push_bind(DB::encode_count(import.row_count))
            .push_bind(DB::encode_time(import.imported_at));
    }

    fn bind_alert(row: &mut Values<'_, Self>, stored: &StoredAlert) {
        let alert = &stored.alert;
        let levels = alert.levels();
        let fired = alert.fired.as_ref();
        row.push_bind(alert.id.clone())
            .push_bind(stored.token_hash.clone())
            .push_bind(stored.secret.clone())
            .push_bind(alert.currency.as_str().to_string())
            .push_bind(alert.base.as_str().to_string())
            .push_bind(alert.condition.as_str().to_string())
            .push_bind(DB::encode_decimal(alert.threshold))
            .push_bind(DB::encode_decimal(alert.reference_rate))
            .push_bind(levels.low.and_then(|l| l.to_f64()))
            .push_bind(levels.high.and_then(|l| l.to_f64()))
            .push_bind(alert.webhook_url.clone())
            .push_bind(DB::encode_time(alert.created_at))
            .push_bind(DB::encode_time(alert.expires_at))
            .push_bind(alert.state.as_str().to_string())
            .push_bind(fired.map(|f| DB::encode_time(f.at)))
            .push_bind(fired.map(|f| DB::encode_decimal(f.rate)))
            .push_bind(fired.map(|f| DB::encode_time(f.quote_at)));
    }

    fn alert(row: &DB::Row) -> Result<StoredAlert> {
        let condition: String = row.try_get("condition_kind")?;
        let state: String = row.try_get("state")?;
        let fired = match row.try_get::<Option<DB::Time>, _>("fired_at")? {
            None => None,
            Some(at) => Some(Firing {
                at: DB::decode_time(at, "fired_at")?,
                rate: decimal::<DB>(row, "fired_rate")?,
                quote_at: time::<DB>(row, "fired_quote_at")?,
            }),
        };
        Ok(StoredAlert {
            alert: Alert {
                id: row.try_get("alert_id")?,
                currency: code(row.try_get("currency_code")?)?,
                base: code(row.try_get("base_code")?)?,
                condition: Condition::parse(&condition)
                    .ok_or_else(|| StoreError::Corrupt(format!("condition_kind={condition:?}")))?,
                threshold: decimal::<DB>(row, "threshold")?,
                reference_rate: decimal::<DB>(row, "reference_rate")?,
                webhook_url: row.try_get("webhook_url")?,
                created_at: time::<DB>(row, "created_at")?,
                expires_at: time::<DB>(row, "expires_at")?,
                state: AlertState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("state={state:?}")))?,
                fired,
            },
            token_hash: row.try_get("token_hash")?,
            secret: row.try_get("secret")?,
        })
    }

    fn observation(row: &DB::Row) -> Result<Observation> {
        Ok(Observation {
            currency: code(row.try_get("currency_code")?)?,
            source: row.try_get("source")?,
            recorded_at: time::<DB>(row, "recorded_at")?,
            rate_date: row.try_get("rate_date")?,
            mid: decimal::<DB>(row, "mid")?,
            tts: optional_decimal::<DB>(row, "tts")?,
            ttb: optional_decimal::<DB>(row, "ttb")?,
            raw_unit: row.try_get("raw_unit")?,
            redistributable: row.try_get("redistributable")?,
        })
    }

    fn quote(row: &DB::Row) -> Result<Quote> {
        Ok(Quote {
            currency: code(row.try_get("currency_code")?)?,
            mid: decimal::<DB>(row, "mid")?,
            tts: optional_decimal::<DB>(row, "tts")?,
            ttb: optional_decimal::<DB>(row, "ttb")?,
            recorded_at: time::<DB>(row, "recorded_at")?,
            rate_date: row.try_get("rate_date")?,
            source: row.try_get("source")?,
        })
    }

    fn daily(row: &DB::Row) -> Result<DailyRate> {
        Ok(DailyRate {
            currency: code(row.try_get("currency_code")?)?,
            rate_date: row.try_get("rate_date")?,
            open: decimal::<DB>(row, "open_rate")?,
            close: decimal::<DB>(row, "close_rate")?,
            high: decimal::<DB>(row, "high_rate")?,
            low: decimal::<DB>(row, "low_rate")?,
            average: decimal::<DB>(row, "avg_rate")?,
            sum: decimal::<DB>(row, "sum_rate")?,
            count: row.try_get("observation_count")?,
            first_at: time::<DB>(row, "first_at")?,
            last_at: time::<DB>(row, "last_at")?,
            volatility: row.try_get("volatility")?,
        })
    }

    fn day(row: &DB::Row) -> Result<(DayKey, Option<DayAggregate>)> {
        let rate = Self::daily(row)?;
        let key = (rate.currency, rate.rate_date);
        let aggregate = with_merge_state(
            rate,
            row.try_get("open_source")?,
            row.try_get("close_source")?,
            row.try_get("m2")?,
        );
        Ok((key, aggregate))
    }

    fn currency(row: &DB::Row) -> Result<CatalogRow> {
        Ok(CatalogRow {
            code: code(row.try_get("currency_code")?)?,
            name_en: row.try_get("name_en")?,
            active: row.try_get("active")?,
        })
    }

    fn bigmac(row: &DB::Row) -> Result<BigMacPrice> {
        Ok(BigMacPrice {
            survey_date: row.try_get("survey_date")?,
            country: CountryCode::parse(&row.try_get::<String, _>("country_code")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            currency: row.try_get("currency_code")?,
            local_price: decimal::<DB>(row, "local_price")?,
            dollar_ex: decimal::<DB>(row, "dollar_ex")?,
        })
    }

    fn import(row: &DB::Row) -> Result<DatasetImport> {
        Ok(DatasetImport {
            dataset: row.try_get("dataset")?,
            sha256: row.try_get("sha256")?,
            row_count: DB::decode_count(row.try_get("row_count")?),
            imported_at: time::<DB>(row, "imported_at")?,
        })
    }
}

pub(super) fn code(raw: String) -> Result<CurrencyCode> {
    CurrencyCode::parse(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decimal<DB: Dialect>(row: &DB::Row, column: &str) -> Result<Decimal>
where
    for<'c> &'c str: ColumnIndex<DB::Row>,
{
    DB::decode_decimal(row.try_get(column)?, column)
}

fn optional_decimal<DB: Dialect>(row: &DB::Row, column: &str) -> Result<Option<Decimal>>
where
    for<'c> &'c str: ColumnIndex<DB::Row>,
{
    row.try_get::<Option<DB::Decimal>, _>(column)?
        .map(|stored| DB::decode_decimal(stored, column))
        .transpose()
}

fn time<DB: Dialect>(row: &DB::Row, column: &str) -> Result<DateTime<Utc>>
where
    for<'c> &'c str: ColumnIndex<DB::Row>,
{
    DB::decode_time(row.try_get(column)?, column)
}
