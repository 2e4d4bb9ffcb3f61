//! The `travel.currency.v1.CurrencyService` implementation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tonic::{Request, Response, Status};
use travel_domain::money::parse_amount;
use travel_domain::price_index::{BigMacPrice, bigmac_index, composite_index};
use travel_domain::quote::{convert, cross_rate, krw_identity};
use travel_domain::{ApiError, Catalog, CountryCode, CurrencyCode, CurrencyInfo, Quote};
use travel_feed::QuoteFeed;
use travel_proto::common::v1::{Decimal as ProtoDecimal, ReadSource};
use travel_proto::currency::v1 as pb;
use travel_proto::currency::v1::currency_service_server::CurrencyService;
use travel_runtime::Shutdown;
use travel_runtime::status::respond;
use travel_storage::RateStore;

use crate::quotes::{QuoteReader, ReadFrom};
use crate::watch::RateStream;

/// More symbols than the catalog holds cannot be a real request.
const MAX_SYMBOLS: usize = 100;

pub struct CurrencyApi {
    reader: QuoteReader,
    store: Arc<dyn RateStore>,
    catalog: Arc<Catalog>,
    feed: Arc<dyn QuoteFeed>,
    /// Ends the rate streams, which would otherwise hold the server's shutdown open.
    shutdown: Shutdown,
}

pub(crate) fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

fn decimal(value: Decimal) -> ProtoDecimal {
    ProtoDecimal::new(value.normalize())
}

fn read_source(from: ReadFrom) -> i32 {
    match from {
        ReadFrom::Cache => ReadSource::Cache as i32,
        ReadFrom::Database => ReadSource::Database as i32,
    }
}

/// A validated rates request: units of `base` per one unit of each symbol.
pub(crate) struct RatesQuery {
    pub base: CurrencyCode,
    pub symbols: Vec<CurrencyCode>,
}

/// Rates made from quotes, and the asked currencies they could not be made for.
pub(crate) struct Priced {
    pub rates: Vec<pb::Rate>,
    pub unavailable: Vec<String>,
    /// The newest quote used.
    pub newest: Option<DateTime<Utc>>,
}

impl RatesQuery {
    /// The currencies whose quotes the rates are made from.
    pub fn wanted(&self) -> Vec<CurrencyCode> {
        let mut wanted = self.symbols.clone();
        if !wanted.contains(&self.base) {
            wanted.push(self.base);
        }
        wanted
    }

    /// The rates of `codes` against the base (cross rates through KRW).
    pub fn rates(&self, quotes: &HashMap<CurrencyCode, Quote>, codes: &[CurrencyCode]) -> Priced {
        let base = self.base;
        let mut priced = Priced {
            rates: Vec::new(),
            unavailable: Vec::new(),
            newest: None,
        };
        let base_quote = quotes.get(&base);
        for code in codes {
            let (Some(base_quote), Some(quote)) = (base_quote, quotes.get(code)) else {
                priced.unavailable.push(code.to_string());
                continue;
            };
            let Some(rate) = cross_rate(base_quote.mid, quote.mid) else {
                priced.unavailable.push(code.to_string());
                continue;
            };
            let as_of = quote.recorded_at.min(base_quote.recorded_at);
            priced.newest = priced
                .newest
                .max(Some(quote.recorded_at.max(base_quote.recorded_at)));
            let source = if base == CurrencyCode::KRW || base_quote.source == quote.source {
                quote.source.clone()
            } else if *code == CurrencyCode::KRW {
                base_quote.source.clone()
            } else {
                format!("{}/{}", quote.source, base_quote.source)
            };
            priced.rates.push(pb::Rate {
                currency_code: code.to_string(),
                rate: Some(decimal(rate)),
                as_of: Some(timestamp(as_of)),
                source,
            });
        }
        priced
    }
}

fn quote_message(quote: &Quote) -> pb::Quote {
    pb::Quote {
        currency_code: quote.currency.to_string(),
        mid: Some(decimal(quote.mid)),
        tts: quote.tts.map(decimal),
        ttb: quote.ttb.map(decimal),
        recorded_at: Some(timestamp(quote.recorded_at)),
        rate_date: quote.rate_date.to_string(),
        source: quote.source.clone(),
    }
}

impl CurrencyApi {
    pub fn new(
        reader: QuoteReader,
        store: Arc<dyn RateStore>,
        catalog: Arc<Catalog>,
        feed: Arc<dyn QuoteFeed>,
        shutdown: Shutdown,
    ) -> Self {
        Self {
            reader,
            store,
            catalog,
            feed,
            shutdown,
        }
    }

    pub(crate) fn feed(&self) -> &dyn QuoteFeed {
        self.feed.as_ref()
    }

    /// A supported currency, or the error that says why `raw` is not one.
    pub(crate) fn currency(&self, parameter: &str, raw: &str) -> Result<&CurrencyInfo, ApiError> {
        let code =
            CurrencyCode::parse(raw).map_err(|_| ApiError::invalid_currency(parameter, raw))?;
        self.catalog
            .currency(code)
            .ok_or_else(|| ApiError::invalid_currency(parameter, raw))
    }

    fn country(&self, parameter: &str, raw: &str) -> Result<CountryCode, ApiError> {
        let code =
            CountryCode::parse(raw).map_err(|_| ApiError::invalid_country(parameter, raw))?;
        self.catalog
            .country(code)
            .map(|c| c.code)
            .ok_or_else(|| ApiError::invalid_country(parameter, raw))
    }

    fn currency_message(&self, info: &CurrencyInfo) -> pb::Currency {
        let country = self.catalog.country(info.country);
        pb::Currency {
            code: info.code.to_string(),
            name_ko: info.name_ko.to_string(),
            name_en: info.name_en.to_string(),
            country_code: info.country.to_string(),
            country_name_ko: country.map(|c| c.name_ko).unwrap_or_default().to_string(),
            country_name_en: country.map(|c| c.name_en).unwrap_or_default().to_string(),
            symbol: info.symbol.to_string(),
            decimals: info.decimals,
            active: info.active,
        }
    }

    /// Latest quotes of `codes` plus KRW's identity quote, from cache or database.
    pub(crate) async fn quotes(
        &self,
        codes: &[CurrencyCode],
    ) -> Result<(HashMap<CurrencyCode, Quote>, ReadFrom), ApiError> {
        let stored: Vec<CurrencyCode> = codes
            .iter()
            .copied()
            .filter(|c| *c != CurrencyCode::KRW)
            .collect();
        let read = self.reader.latest(&stored).await?;
        let mut quotes = read.quotes;
        if codes.contains(&CurrencyCode::KRW) {
            let newest = quotes
                .values()
                .map(|q| q.recorded_at)
                .max()
                .unwrap_or_else(Utc::now);
            quotes.insert(CurrencyCode::KRW, krw_identity(newest));
        }
        Ok((quotes, read.from))
    }

    /// The base and symbols of a latest-rates or watch request, validated.
    pub(crate) fn rates_query(
        &self,
        base: &str,
        raw_symbols: &[String],
    ) -> Result<RatesQuery, ApiError> {
        let base = if base.trim().is_empty() {
            CurrencyCode::KRW
        } else {
            self.currency("base", base)?.code
        };
        if raw_symbols.len() > MAX_SYMBOLS {
            return Err(ApiError::invalid_parameter(
                "symbols",
                &format!("{} codes", raw_symbols.len()),
                &format!("at most {MAX_SYMBOLS} comma-separated currency codes"),
            ));
        }
        let mut symbols = Vec::new();
        if raw_symbols.is_empty() {
            symbols.extend(
                self.catalog
                    .active_currencies()
                    .map(|c| c.code)
                    .filter(|c| *c != base),
            );
        } else {
            let mut seen = HashSet::new();
            for raw in raw_symbols {
                let code = self.currency("symbols", raw)?.code;
                if seen.insert(code) {
                    symbols.push(code);
                }
            }
        }
        Ok(RatesQuery { base, symbols })
    }

    /// The latest quotes a rates query needs (its symbols and its base).
    pub(crate) async fn quotes_for(
        &self,
        query: &RatesQuery,
    ) -> Result<(HashMap<CurrencyCode, Quote>, ReadFrom), ApiError> {
        self.quotes(&query.wanted()).await
    }

    async fn latest_rates(
        &self,
        request: pb::GetLatestRatesRequest,
    ) -> Result<pb::GetLatestRatesResponse, ApiError> {
        let query = self.rates_query(&request.base, &request.symbols)?;
        let (quotes, from) = self.quotes_for(&query).await?;
        let priced = query.rates(&quotes, &query.symbols);
        Ok(pb::GetLatestRatesResponse {
            base: query.base.to_string(),
            rates: priced.rates,
            unavailable: priced.unavailable,
            newest_quote_at: priced.newest.map(timestamp),
            read_source: read_source(from),
            cache_hit: from == ReadFrom::Cache,
            fresh_until: priced
                .newest
                .and_then(|at| self.reader.fresh_until(at, Utc::now()))
                .map(timestamp),
        })
    }

    async fn currency_detail(
        &self,
        request: pb::GetCurrencyRequest,
    ) -> Result<pb::GetCurrencyResponse, ApiError> {
        let raw = request.currency_code;
        let code = CurrencyCode::parse(&raw)
            .map_err(|_| ApiError::invalid_currency("currency_code", &raw))?;
        let info = self.catalog.currency(code).ok_or_else(|| {
            ApiError::not_found(format!("currency {code} is not in the catalog")).with_detail(
                "currency_code",
                &raw,
                "ISO 4217 code of a supported currency",
            )
        })?;
        let (quotes, from) = self.quotes(&[code]).await?;
        Ok(pb::GetCurrencyResponse {
            currency: Some(self.currency_message(info)),
            quote: quotes.get(&code).map(quote_message),
            read_source: read_source(from),
            cache_hit: from == ReadFrom::Cache,
        })
    }

    async fn convert_amount(
        &self,
        request: pb::ConvertRequest,
    ) -> Result<pb::ConvertResponse, ApiError> {
        if request.from.trim().is_empty() {
            return Err(ApiError::missing_parameter(
                "from",
                "ISO 4217 code of a supported currency",
            ));
        }
        if request.to.trim().is_empty() {
            return Err(ApiError::missing_parameter(
                "to",
                "ISO 4217 code of a supported currency",
            ));
        }
        let from = self.currency("from", &request.from)?.code;
        let to_info = self.currency("to", &request.to)?;
        let to = to_info.code;
        let amount = parse_amount("amount", &request.amount)?;
        let (quotes, read) = self.quotes(&[from, to]).await?;
        let missing = |code: CurrencyCode, parameter: &str| {
            ApiError::not_found(format!("no quote is stored for {code} yet")).with_detail(
                parameter,
                code.as_str(),
                "a currency with a stored quote",
            )
        };
        let from_quote = quotes.get(&from).ok_or_else(|| missing(from, "from"))?;
        let to_quote = quotes.get(&to).ok_or_else(|| missing(to, "to"))?;
        let (result, rate) = convert(amount, from_quote.mid, to_quote.mid, to_info.decimals)
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "amount",
                    &request.amount,
                    "an amount whose conversion fits",
                )
            })?;
        Ok(pb::ConvertResponse {
            from: from.to_string(),
            to: to.to_string(),
            amount: Some(decimal(amount)),
            result: Some(decimal(result)),
            rate: Some(decimal(rate)),
            as_of: Some(timestamp(from_quote.recorded_at.min(to_quote.recorded_at))),
            read_source: read_source(read),
            cache_hit: read == ReadFrom::Cache,
        })
    }

    async fn price_index(
        &self,
        request: pb::GetPriceIndexRequest,
    ) -> Result<pb::GetPriceIndexResponse, ApiError> {
        if request.country_code.trim().is_empty() {
            return Err(ApiError::missing_parameter(
                "country",
                "ISO 3166-1 alpha-2 code of a supported country",
            ));
        }
        let country = self.country("country", &request.country_code)?;
        let base = if request.base_country_code.trim().is_empty() {
            CountryCode::from_static("KR")
        } else {
            self.country("base_country", &request.base_country_code)?
        };
        let (country_prices, base_prices) = tokio::try_join!(
            self.store.bigmac_prices(country),
            self.store.bigmac_prices(base)
        )
        .map_err(ApiError::from)?;
        // The newest survey both countries took part in.
        let pair: Option<(&BigMacPrice, &BigMacPrice)> =
            country_prices.iter().rev().find_map(|c| {
                base_prices
                    .iter()
                    .find(|b| b.survey_date == c.survey_date)
                    .map(|b| (c, b))
            });
        let bigmac = pair.and_then(|(c, b)| bigmac_index(c, b));
        let starbucks = None; // no Starbucks dataset is shipped or ingested
        let country_info = self.catalog.country(country);
        let base_info = self.catalog.country(base);
        Ok(pb::GetPriceIndexResponse {
            country_code: country.to_string(),
            country_name_ko: country_info
                .map(|c| c.name_ko)
                .unwrap_or_default()
                .to_string(),
            country_name_en: country_info
                .map(|c| c.name_en)
                .unwrap_or_default()
                .to_string(),
            base_country_code: base.to_string(),
            base_country_name_ko: base_info.map(|c| c.name_ko).unwrap_or_default().to_string(),
            base_country_name_en: base_info.map(|c| c.name_en).unwrap_or_default().to_string(),
            bigmac_index: bigmac,
            starbucks_index: starbucks,
            composite_index: composite_index(&[bigmac, starbucks]),
            bigmac: pair.map(|(c, b)| pb::BigMacPrices {
                survey_date: c.survey_date.to_string(),
                local_currency: c.currency.clone(),
                local_price: Some(decimal(c.local_price)),
                dollar_ex: Some(decimal(c.dollar_ex)),
                dollar_price: c.dollar_price().map(decimal),
                base_currency: b.currency.clone(),
                base_local_price: Some(decimal(b.local_price)),
                base_dollar_price: b.dollar_price().map(decimal),
            }),
        })
    }
}

#[tonic::async_trait]
impl CurrencyService for CurrencyApi {
    async fn get_latest_rates(
        &self,
        request: Request<pb::GetLatestRatesRequest>,
    ) -> Result<Response<pb::GetLatestRatesResponse>, Status> {
        respond(self.latest_rates(request.into_inner()).await)
    }

    async fn get_currency(
        &self,
        request: Request<pb::GetCurrencyRequest>,
    ) -> Result<Response<pb::GetCurrencyResponse>, Status> {
        respond(self.currency_detail(request.into_inner()).await)
    }

    async fn list_currencies(
        &self,
        request: Request<pb::ListCurrenciesRequest>,
    ) -> Result<Response<pb::ListCurrenciesResponse>, Status> {
        let include_inactive = request.into_inner().include_inactive;
        let currencies = self
            .catalog
            .currencies()
            .iter()
            .filter(|c| include_inactive || c.active)
            .map(|c| self.currency_message(c))
            .collect();
        respond(Ok(pb::ListCurrenciesResponse { currencies }))
    }

    async fn convert(
        &self,
        request: Request<pb::ConvertRequest>,
    ) -> Result<Response<pb::ConvertResponse>, Status> {
        respond(self.convert_amount(request.into_inner()).await)
    }

    async fn get_price_index(
        &self,
        request: Request<pb::GetPriceIndexRequest>,
    ) -> Result<Response<pb::GetPriceIndexResponse>, Status> {
        respond(self.price_index(request.into_inner()).await)
    }

    type WatchRatesStream = RateStream;

    async fn watch_rates(
        &self,
        request: Request<pb::WatchRatesRequest>,
    ) -> Result<Response<Self::WatchRatesStream>, Status> {
        respond(
            self.watch_rates_stream(request.into_inner(), self.shutdown.clone())
                .await,
        )
    }
}
