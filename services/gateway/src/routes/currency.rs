//! Currency routes: latest rates, detail, catalog, conversion, price index.

use axum::extract::{Path, State};
use serde::Deserialize;
use travel_domain::ApiError;
use travel_proto::currency::v1::{self as pb, rpc};
use utoipa::IntoParams;

use super::Query;
use crate::AppState;
use crate::envelope::{ApiResult, Failure, Freshness, Success};
use crate::openapi::schemas::{Envelope, ErrorEnvelope};
use crate::views::currency::{Catalog, Conversion, Detail, LatestRates, PriceIndex};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
/// The rates a client asks for: the latest ones, or their live stream.
pub struct LatestQuery {
    /// Comma-separated ISO 4217 codes, any case; absent for every active currency.
    #[param(example = "USD,JPY,EUR", min_length = 3)]
    pub(crate) symbols: Option<String>,
    /// The currency the rates are expressed in (cross rates through KRW).
    #[param(default = "KRW", example = "KRW", pattern = "^[A-Za-z]{3}$")]
    pub(crate) base: Option<String>,
}

/// The `symbols` parameter of the rates operations: absent for every currency (an
/// empty list upstream); present, a list of codes the service validates.
pub(crate) fn symbols(raw: Option<String>) -> Result<Vec<String>, Failure> {
    match raw {
        None => Ok(Vec::new()),
        Some(raw) if raw.trim().is_empty() => Err(Failure(ApiError::invalid_parameter(
            "symbols",
            &raw,
            "comma-separated ISO 4217 codes, or no symbols parameter for every currency",
        ))),
        Some(raw) => Ok(raw.split(',').map(|s| s.trim().to_string()).collect()),
    }
}

/// Latest rates
///
/// Units of `base` per one unit of each currency, from the newest stored quotes. A
/// supported currency without a quote yet is listed in `unavailable`.
#[utoipa::path(
    get,
    path = "/api/v1/currencies/latest",
    operation_id = "latest_rates",
    tag = "currency",
    params(LatestQuery),
    responses(
        (status = 200, description = "The rates", body = Envelope<LatestRates>),
        (status = 400, description = "INVALID_CURRENCY_CODE (a symbol or base), INVALID_PARAMETER (an empty symbols list)", body = ErrorEnvelope),
    )
)]
pub async fn latest(
    State(state): State<AppState>,
    Query(query): Query<LatestQuery>,
) -> ApiResult<LatestRates> {
    let request = pb::GetLatestRatesRequest {
        symbols: symbols(query.symbols)?,
        base: query.base.unwrap_or_default(),
    };
    let response = state.currency.read(rpc::GET_LATEST_RATES, request).await?;
    let freshness = Freshness::until(
        response.fresh_until.as_ref(),
        response.newest_quote_at.as_ref(),
    );
    Ok(Success::ok(response.into()).fresh(freshness))
}

/// A currency
///
/// The catalog entry and its latest stored quote, with remittance rates where the
/// source publishes them.
#[utoipa::path(
    get,
    path = "/api/v1/currencies/{currency_code}",
    operation_id = "currency_detail",
    tag = "currency",
    params(("currency_code" = String, Path, description = "ISO 4217 code, any case", example = "USD", pattern = "^[A-Za-z]{3}$")),
    responses(
        (status = 200, description = "The currency and its quote", body = Envelope<Detail>),
        (status = 400, description = "INVALID_CURRENCY_CODE: not an ISO 4217 code", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: not in the catalog", body = ErrorEnvelope),
    )
)]
pub async fn detail(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Detail> {
    let request = pb::GetCurrencyRequest {
        currency_code: code,
    };
    let response = state.currency.read(rpc::GET_CURRENCY, request).await?;
    Ok(Success::ok(response.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Also list currencies that exist only in history (the pre-euro ones).
    #[param(value_type = Option<bool>, default = false)]
    include_inactive: Option<String>,
}

/// The catalog
///
/// Every supported currency with its Korean and English names.
#[utoipa::path(
    get,
    path = "/api/v1/currencies",
    operation_id = "catalog",
    tag = "currency",
    params(CatalogQuery),
    responses(
        (status = 200, description = "The currencies", body = Envelope<Catalog>),
        (status = 400, description = "INVALID_PARAMETER: include_inactive is not true or false", body = ErrorEnvelope),
    )
)]
pub async fn catalog(
    State(state): State<AppState>,
    Query(query): Query<CatalogQuery>,
) -> ApiResult<Catalog> {
    let include_inactive = match query.include_inactive.as_deref() {
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConvertQuery {
    /// ISO 4217 code of the amount's currency.
    #[param(required = true, example = "USD", pattern = "^[A-Za-z]{3}$")]
    from: Option<String>,
    /// ISO 4217 code of the result's currency.
    #[param(required = true, example = "KRW", pattern = "^[A-Za-z]{3}$")]
    to: Option<String>,
    /// A non-negative decimal number.
    #[param(required = true, example = "100", pattern = "^[0-9]+(\\.[0-9]+)?$")]
    amount: Option<String>,
}

/// Convert an amount
///
/// `amount` in `from` as `to`, at the latest stored rates.
#[utoipa::path(
    get,
    path = "/api/v1/convert",
    operation_id = "convert",
    tag = "currency",
    params(ConvertQuery),
    responses(
        (status = 200, description = "The converted amount", body = Envelope<Conversion>),
        (status = 400, description = "MISSING_PARAMETER, INVALID_CURRENCY_CODE (from, to) or INVALID_PARAMETER (amount)", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND: no stored quote for one of the currencies yet", body = ErrorEnvelope),
    )
)]
pub async fn convert(
    State(state): State<AppState>,
    Query(query): Query<ConvertQuery>,
) -> ApiResult<Conversion> {
    let required = |value: Option<String>, name: &str| {
        value.ok_or_else(|| {
            let expected = if name == "amount" {
                "a non-negative decimal number"
            } else {
                "ISO 4217 code of a supported currency"
            };
            Failure(ApiError::missing_parameter(name, expected))
        })
    };
    let request = pb::ConvertRequest {
        from: required(query.from, "from")?,
        to: required(query.to, "to")?,
        amount: required(query.amount, "amount")?,
    };
    let response = state.currency.read(rpc::CONVERT, request).await?;
    Ok(Success::ok(response.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceIndexQuery {
    /// ISO 3166-1 alpha-2 code of the destination.
    #[param(required = true, example = "JP", pattern = "^[A-Za-z]{2}$")]
    country: Option<String>,
    /// The country prices are compared with.
    #[param(default = "KR", example = "KR", pattern = "^[A-Za-z]{2}$")]
    base_country: Option<String>,
}

async fn price_index(state: AppState, query: PriceIndexQuery) -> ApiResult<PriceIndex> {
    let request = pb::GetPriceIndexRequest {
        country_code: query.country.unwrap_or_default(),
        base_country_code: query.base_country.unwrap_or_default(),
    };
    let response = state.currency.read(rpc::GET_PRICE_INDEX, request).await?;
    Ok(Success::ok(response.into()))
}

/// Price index
///
/// The price level of `country` relative to `base_country` (100 = the same price in a
/// common currency), from The Economist's Big Mac index.
#[utoipa::path(
    get,
    path = "/api/v1/price-index",
    operation_id = "price_index",
    tag = "currency",
    params(PriceIndexQuery),
    responses(
        (status = 200, description = "The index", body = Envelope<PriceIndex>),
        (status = 400, description = "MISSING_PARAMETER (country) or INVALID_COUNTRY_CODE", body = ErrorEnvelope),
    )
)]
pub async fn price_index_at_root(
    State(state): State<AppState>,
    Query(query): Query<PriceIndexQuery>,
) -> ApiResult<PriceIndex> {
    price_index(state, query).await
}

/// Price index (the same, under /currencies)
///
/// The same answer as `GET /api/v1/price-index`; clients use both paths.
#[utoipa::path(
    get,
    path = "/api/v1/currencies/price-index",
    operation_id = "currency_price_index",
    tag = "currency",
    params(PriceIndexQuery),
    responses(
        (status = 200, description = "The index", body = Envelope<PriceIndex>),
        (status = 400, description = "MISSING_PARAMETER (country) or INVALID_COUNTRY_CODE", body = ErrorEnvelope),
    )
)]
pub async fn price_index_under_currencies(
    State(state): State<AppState>,
    Query(query): Query<PriceIndexQuery>,
) -> ApiResult<PriceIndex> {
    price_index(state, query).await
}
