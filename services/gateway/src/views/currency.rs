//! Latest rates, currency detail and catalog, conversion, price index.

use std::collections::BTreeMap;

use serde::Serialize;
use travel_proto::currency::v1 as pb;
use utoipa::ToSchema;

use super::{number, read_source_name, rfc3339};

/// GET /api/v1/currencies/latest
#[derive(Serialize, ToSchema)]
pub struct LatestRates {
    base: String,
    /// Unix seconds of the newest quote among the answered ones.
    timestamp: Option<i64>,
    rates: BTreeMap<String, Option<f64>>,
    unavailable: Vec<String>,
    source: &'static str,
    cache_hit: bool,
    as_of: BTreeMap<String, Option<String>>,
    rate_sources: BTreeMap<String, String>,
}

/// Rates by currency code, as the latest-rates answer and the rate stream show them.
#[derive(Serialize, ToSchema, Default)]
pub struct RateMaps {
    rates: BTreeMap<String, Option<f64>>,
    as_of: BTreeMap<String, Option<String>>,
    rate_sources: BTreeMap<String, String>,
}

impl From<Vec<pb::Rate>> for RateMaps {
    fn from(list: Vec<pb::Rate>) -> Self {
        let mut maps = Self::default();
        for rate in list {
            maps.rates
                .insert(rate.currency_code.clone(), number(rate.rate.as_ref()));
            maps.as_of
                .insert(rate.currency_code.clone(), rfc3339(rate.as_of.as_ref()));
            maps.rate_sources.insert(rate.currency_code, rate.source);
        }
        maps
    }
}

impl From<pb::GetLatestRatesResponse> for LatestRates {
    fn from(response: pb::GetLatestRatesResponse) -> Self {
        let RateMaps {
            rates,
            as_of,
            rate_sources,
        } = response.rates.into();
        Self {
            base: response.base,
            timestamp: response.newest_quote_at.as_ref().map(|t| t.seconds),
            rates,
            unavailable: response.unavailable,
            source: read_source_name(response.read_source),
            cache_hit: response.cache_hit,
            as_of,
            rate_sources,
        }
    }
}

/// One event of GET /api/v1/stream/rates: the snapshot (every asked currency) or a
/// change (the rates a new quote moved), in the shape of the latest rates.
#[derive(Serialize, ToSchema)]
pub struct RateUpdate {
    base: String,
    /// True for the first event of a stream (and of every reconnection).
    snapshot: bool,
    /// Unix seconds of the newest quote the stream has sent.
    timestamp: Option<i64>,
    #[serde(flatten)]
    #[schema(inline)]
    maps: RateMaps,
    /// Snapshot only: asked currencies without a stored quote.
    unavailable: Vec<String>,
}

impl From<pb::WatchRatesResponse> for RateUpdate {
    fn from(message: pb::WatchRatesResponse) -> Self {
        Self {
            base: message.base,
            snapshot: message.snapshot,
            timestamp: message.newest_quote_at.as_ref().map(|t| t.seconds),
            maps: message.rates.into(),
            unavailable: message.unavailable,
        }
    }
}

/// A currency of the catalog.
#[derive(Serialize, ToSchema)]
pub struct Currency {
    currency_code: String,
    currency_name: String,
    currency_name_en: String,
    country_code: String,
    country_name: String,
    country_name_en: String,
    symbol: String,
    decimals: u32,
    active: bool,
}

impl From<pb::Currency> for Currency {
    fn from(c: pb::Currency) -> Self {
        Self {
            currency_code: c.code,
            currency_name: c.name_ko,
            currency_name_en: c.name_en,
            country_code: c.country_code,
            country_name: c.country_name_ko,
            country_name_en: c.country_name_en,
            symbol: c.symbol,
            decimals: c.decimals,
            active: c.active,
        }
    }
}

/// GET /api/v1/currencies/{currency_code}: the catalog entry and its latest quote.
#[derive(Serialize, ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    currency: Currency,
    current_rate: Option<f64>,
    tts: Option<f64>,
    ttb: Option<f64>,
    last_updated: Option<String>,
    rate_date: Option<String>,
    source: Option<String>,
    served_from: &'static str,
    cache_hit: bool,
}

impl From<pb::GetCurrencyResponse> for Detail {
    fn from(response: pb::GetCurrencyResponse) -> Self {
        let quote = response.quote;
        let decimal = |pick: fn(&pb::Quote) -> Option<&travel_proto::common::v1::Decimal>| {
            number(quote.as_ref().and_then(pick))
        };
        Self {
            current_rate: decimal(|q| q.mid.as_ref()),
            tts: decimal(|q| q.tts.as_ref()),
            ttb: decimal(|q| q.ttb.as_ref()),
            last_updated: rfc3339(quote.as_ref().and_then(|q| q.recorded_at.as_ref())),
            rate_date: quote.as_ref().map(|q| q.rate_date.clone()),
            source: quote.map(|q| q.source),
            currency: response.currency.unwrap_or_default().into(),
            served_from: read_source_name(response.read_source),
            cache_hit: response.cache_hit,
        }
    }
}

/// GET /api/v1/currencies
#[derive(Serialize, ToSchema)]
pub struct Catalog {
    count: usize,
    currencies: Vec<Currency>,
}

impl From<pb::ListCurrenciesResponse> for Catalog {
    fn from(response: pb::ListCurrenciesResponse) -> Self {
        let currencies: Vec<Currency> = response.currencies.into_iter().map(Into::into).collect();
        Self {
            count: currencies.len(),
            currencies,
        }
    }
}

/// GET /api/v1/convert
#[derive(Serialize, ToSchema)]
pub struct Conversion {
    from: String,
    to: String,
    amount: Option<f64>,
    result: Option<f64>,
    rate: Option<f64>,
    as_of: Option<String>,
    source: &'static str,
    cache_hit: bool,
}

impl From<pb::ConvertResponse> for Conversion {
    fn from(r: pb::ConvertResponse) -> Self {
        Self {
            amount: number(r.amount.as_ref()),
            result: number(r.result.as_ref()),
            rate: number(r.rate.as_ref()),
            as_of: rfc3339(r.as_of.as_ref()),
            source: read_source_name(r.read_source),
            cache_hit: r.cache_hit,
            from: r.from,
            to: r.to,
        }
    }
}

/// GET /api/v1/price-index (and /api/v1/currencies/price-index)
#[derive(Serialize, ToSchema)]
pub struct PriceIndex {
    country_code: String,
    country_name: String,
    country_name_en: String,
    base_country: String,
    base_country_name: String,
    base_country_name_en: String,
    indices: Indices,
    price_data: Option<PriceData>,
    /// The survey date of the prices.
    last_updated: Option<String>,
    data_source: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Indices {
    bigmac_index: Option<f64>,
    starbucks_index: Option<f64>,
    composite_index: Option<f64>,
}

/// The Big Mac prices behind the index.
#[derive(Serialize, ToSchema)]
pub struct PriceData {
    bigmac_price_local: Option<f64>,
    bigmac_price_usd: Option<f64>,
    base_bigmac_price_usd: Option<f64>,
    base_bigmac_price_local: Option<f64>,
    local_currency: String,
    base_currency: String,
    dollar_exchange_rate: Option<f64>,
    survey_date: String,
}

impl From<pb::BigMacPrices> for PriceData {
    fn from(b: pb::BigMacPrices) -> Self {
        Self {
            bigmac_price_local: number(b.local_price.as_ref()),
            bigmac_price_usd: number(b.dollar_price.as_ref()),
            base_bigmac_price_usd: number(b.base_dollar_price.as_ref()),
            base_bigmac_price_local: number(b.base_local_price.as_ref()),
            dollar_exchange_rate: number(b.dollar_ex.as_ref()),
            local_currency: b.local_currency,
            base_currency: b.base_currency,
            survey_date: b.survey_date,
        }
    }
}

impl From<pb::GetPriceIndexResponse> for PriceIndex {
    fn from(r: pb::GetPriceIndexResponse) -> Self {
        Self {
            last_updated: r.bigmac.as_ref().map(|b| b.survey_date.clone()),
            price_data: r.bigmac.map(Into::into),
            indices: Indices {
                bigmac_index: r.bigmac_index,
                starbucks_index: r.starbucks_index,
                composite_index: r.composite_index,
            },
            country_code: r.country_code,
            country_name: r.country_name_ko,
            country_name_en: r.country_name_en,
            base_country: r.base_country_code,
            base_country_name: r.base_country_name_ko,
            base_country_name_en: r.base_country_name_en,
            data_source: "The Economist Big Mac index",
        }
    }
}
