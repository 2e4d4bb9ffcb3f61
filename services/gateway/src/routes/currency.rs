//! Currency routes: latest rates, detail, catalog, conversion, price index.

use axum::extract::{Path, State};
use std::collections::BTreeMap;

use serde_json::{Value, json};
use travel_domain::ApiError;
use travel_proto::currency::v1 as pb;
use travel_runtime::status::from_status;

use super::{Params, number, read_source_name, rfc3339};
use crate::AppState;
use crate::envelope::{ApiResult, Failure, Success};

fn upstream_error(status: tonic::Status) -> Failure {
    Failure(from_status(&status))
}

fn currency_json(c: &pb::Currency) -> Value {
    json!({
        "currency_code": c.code,
        "currency_name": c.name_ko,
        "currency_name_en": c.name_en,
        "country_code": c.country_code,
        "country_name": c.country_name_ko,
        "country_name_en": c.country_name_en,
        "symbol": c.symbol,
        "decimals": c.decimals,
        "active": c.active,
    })
}

/// GET /api/v1/currencies/latest?symbols=USD,JPY&base=KRW
pub async fn latest(State(state): State<AppState>, params: Params) -> ApiResult<LatestRates> {
    let symbols = match params.get("symbols") {
        None => Vec::new(),
        Some(raw) if raw.trim().is_empty() => {
            return Err(Failure(ApiError::invalid_parameter(
                "symbols",
                raw,
                "comma-separated ISO 4217 codes, or no symbols parameter for every currency",
            )));
        }
        Some(raw) => raw.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let request = pb::GetLatestRatesRequest {
        symbols,
        base: params.get("base").unwrap_or_default().to_string(),
    };
    let response = state
        .read(
            state.currency(),
            "currency.GetLatestRates",
            request,
            |mut client, request| async move { client.get_latest_rates(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let mut rates = BTreeMap::new();
    let mut as_of = BTreeMap::new();
    let mut rate_sources = BTreeMap::new();
    for rate in response.rates {
        rates.insert(rate.currency_code.clone(), number(rate.rate.as_ref()));
        as_of.insert(rate.currency_code.clone(), rfc3339(rate.as_of.as_ref()));
        rate_sources.insert(rate.currency_code, rate.source);
    }
    Ok(Success::ok(LatestRates {
        base: response.base,
        timestamp: response.newest_quote_at.as_ref().map(|t| t.seconds),
        rates,
        unavailable: response.unavailable,
        source: read_source_name(response.read_source),
        cache_hit: response.cache_hit,
        as_of,
        rate_sources,
    }))
}

/// The `data` of the latest-rates answer, typed so the hot path builds no tree of
/// JSON values before serialising.
#[derive(serde::Serialize)]
pub struct LatestRates {
    base: String,
    timestamp: Option<i64>,
    rates: BTreeMap<String, Value>,
    unavailable: Vec<String>,
    source: &'static str,
    cache_hit: bool,
    as_of: BTreeMap<String, Value>,
    rate_sources: BTreeMap<String, String>,
}

/// GET /api/v1/currencies/{currency_code}
pub async fn detail(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Value> {
    let response = state
        .read(
            state.currency(),
            "currency.GetCurrency",
            pb::GetCurrencyRequest {
                currency_code: code,
            },
            |mut client, request| async move { client.get_currency(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let currency = response.currency.unwrap_or_default();
    let quote = response.quote.as_ref();
    let mut data = currency_json(&currency);
    data["current_rate"] = number(quote.and_then(|q| q.mid.as_ref()));
    data["tts"] = number(quote.and_then(|q| q.tts.as_ref()));
    data["ttb"] = number(quote.and_then(|q| q.ttb.as_ref()));
    data["last_updated"] = rfc3339(quote.and_then(|q| q.recorded_at.as_ref()));
    data["rate_date"] = quote.map_or(Value::Null, |q| Value::String(q.rate_date.clone()));
    data["source"] = quote.map_or(Value::Null, |q| Value::String(q.source.clone()));
    data["served_from"] = Value::String(read_source_name(response.read_source).to_string());
    data["cache_hit"] = Value::Bool(response.cache_hit);
    Ok(Success::ok(data))
}

/// GET /api/v1/currencies?include_inactive=true
pub async fn catalog(State(state): State<AppState>, params: Params) -> ApiResult<Value> {
    let include_inactive = match params.get("include_inactive") {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(Failure(ApiError::invalid_parameter(
                "include_inactive",
                other,
                "true or false",
            )));
        }
    };
    let response = state
        .read(
            state.currency(),
            "currency.ListCurrencies",
            pb::ListCurrenciesRequest { include_inactive },
            |mut client, request| async move { client.list_currencies(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let currencies: Vec<Value> = response.currencies.iter().map(currency_json).collect();
    Ok(Success::ok(json!({
        "count": currencies.len(),
        "currencies": currencies,
    })))
}

/// GET /api/v1/convert?from=USD&to=KRW&amount=100
pub async fn convert(State(state): State<AppState>, params: Params) -> ApiResult<Value> {
    let required = |name: &str| {
        params.get(name).map(str::to_string).ok_or_else(|| {
            let expected = if name == "amount" {
                "a non-negative decimal number"
            } else {
                "ISO 4217 code of a supported currency"
            };
            Failure(ApiError::missing_parameter(name, expected))
        })
    };
    let request = pb::ConvertRequest {
        from: required("from")?,
        to: required("to")?,
        amount: required("amount")?,
    };
    let response = state
        .read(
            state.currency(),
            "currency.Convert",
            request,
            |mut client, request| async move { client.convert(request).await },
        )
        .await
        .map_err(upstream_error)?;
    Ok(Success::ok(json!({
        "from": response.from,
        "to": response.to,
        "amount": number(response.amount.as_ref()),
        "result": number(response.result.as_ref()),
        "rate": number(response.rate.as_ref()),
        "as_of": rfc3339(response.as_of.as_ref()),
        "source": read_source_name(response.read_source),
        "cache_hit": response.cache_hit,
    })))
}

/// GET /api/v1/currencies/price-index and /api/v1/price-index
pub async fn price_index(State(state): State<AppState>, params: Params) -> ApiResult<Value> {
    let request = pb::GetPriceIndexRequest {
        country_code: params.get("country").unwrap_or_default().to_string(),
        base_country_code: params.get("base_country").unwrap_or_default().to_string(),
    };
    let response = state
        .read(
            state.currency(),
            "currency.GetPriceIndex",
            request,
            |mut client, request| async move { client.get_price_index(request).await },
        )
        .await
        .map_err(upstream_error)?;
    let bigmac = response.bigmac.as_ref();
    let price_data = match bigmac {
        Some(b) => json!({
            "bigmac_price_local": number(b.local_price.as_ref()),
            "bigmac_price_usd": number(b.dollar_price.as_ref()),
            "base_bigmac_price_usd": number(b.base_dollar_price.as_ref()),
            "base_bigmac_price_local": number(b.base_local_price.as_ref()),
            "local_currency": b.local_currency,
            "base_currency": b.base_currency,
            "dollar_exchange_rate": number(b.dollar_ex.as_ref()),
            "survey_date": b.survey_date,
        }),
        None => Value::Null,
    };
    Ok(Success::ok(json!({
        "country_code": response.country_code,
        "country_name": response.country_name_ko,
        "country_name_en": response.country_name_en,
        "base_country": response.base_country_code,
        "base_country_name": response.base_country_name_ko,
        "base_country_name_en": response.base_country_name_en,
        "indices": {
            "bigmac_index": response.bigmac_index,
            "starbucks_index": response.starbucks_index,
            "composite_index": response.composite_index,
        },
        "price_data": price_data,
        "last_updated": bigmac.map(|b| b.survey_date.clone()),
        "data_source": "The Economist Big Mac index",
    })))
}
