//! Currency routes: latest rates, detail, catalog, conversion, price index.

use axum::extract::{Path, State};
use travel_domain::ApiError;
use travel_proto::currency::v1::{self as pb, rpc};

use super::Params;
use crate::AppState;
use crate::envelope::{ApiResult, Failure, Freshness, Success};
use crate::views::currency::{Catalog, Conversion, Detail, LatestRates, PriceIndex};

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
    let response = state.currency.read(rpc::GET_LATEST_RATES, request).await?;
    let freshness = Freshness {
        max_age: None,
        last_modified: response
            .newest_quote_at
            .as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0)),
    };
    Ok(Success::ok(response.into()).fresh(freshness))
}

/// GET /api/v1/currencies/{currency_code}
pub async fn detail(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Detail> {
    let request = pb::GetCurrencyRequest {
        currency_code: code,
    };
    let response = state.currency.read(rpc::GET_CURRENCY, request).await?;
    Ok(Success::ok(response.into()))
}

/// GET /api/v1/currencies?include_inactive=true
pub async fn catalog(State(state): State<AppState>, params: Params) -> ApiResult<Catalog> {
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
    let request = pb::ListCurrenciesRequest { include_inactive };
    let response = state.currency.read(rpc::LIST_CURRENCIES, request).await?;
    Ok(Success::ok(response.into()))
}

/// GET /api/v1/convert?from=USD&to=KRW&amount=100
pub async fn convert(State(state): State<AppState>, params: Params) -> ApiResult<Conversion> {
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
    let response = state.currency.read(rpc::CONVERT, request).await?;
    Ok(Success::ok(response.into()))
}

/// GET /api/v1/currencies/price-index and /api/v1/price-index
pub async fn price_index(State(state): State<AppState>, params: Params) -> ApiResult<PriceIndex> {
    let request = pb::GetPriceIndexRequest {
        country_code: params.get("country").unwrap_or_default().to_string(),
        base_country_code: params.get("base_country").unwrap_or_default().to_string(),
    };
    let response = state.currency.read(rpc::GET_PRICE_INDEX, request).await?;
    Ok(Success::ok(response.into()))
}
