//! The ingestion event: one `travel.ingest.v1.RateObservation` per currency and
//! source observation, keyed by currency code on topic [`RATES_TOPIC`].
//!
//! Decoding validates everything the processor relies on, so a record either becomes
//! an [`Observation`] or is dead-lettered with the reason — never half-stored.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use prost::Message;
use rust_decimal::Decimal;
use travel_domain::{Catalog, CurrencyCode, Observation};
use travel_proto::common::v1::Decimal as ProtoDecimal;
use travel_proto::ingest::v1::RateObservation;

/// Topic of rate observations; the record key is the currency code.
pub const RATES_TOPIC: &str = "exchange-rates";

/// Longest source name stored (`VARCHAR(16)`).
const MAX_SOURCE_LEN: usize = 16;

/// What an encoded event carries beyond the stored observation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub raw_code: String,
    pub fetched_at: Option<DateTime<Utc>>,
    pub contributing_sources: Vec<String>,
    pub spread: Option<Decimal>,
}

/// Why a record is not a usable observation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("undecodable: {0}")]
    Undecodable(String),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> EventError {
    EventError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

fn decimal(value: Decimal) -> ProtoDecimal {
    ProtoDecimal::new(value.normalize())
}

pub fn encode(observation: &Observation, provenance: &Provenance) -> Vec<u8> {
    RateObservation {
        currency_code: observation.currency.to_string(),
        source: observation.source.clone(),
        observed_at: Some(timestamp(observation.recorded_at)),
        rate_date: observation.rate_date.to_string(),
        mid: Some(decimal(observation.mid)),
        tts: observation.tts.map(decimal),
        ttb: observation.ttb.map(decimal),
        raw_unit: observation.raw_unit,
        raw_code: provenance.raw_code.clone(),
        fetched_at: provenance.fetched_at.map(timestamp),
        contributing_sources: provenance.contributing_sources.clone(),
        spread: provenance.spread.map(decimal),
        redistributable: observation.redistributable,
    }
    .encode_to_vec()
}

fn positive(
    field: &'static str,
    value: Option<&ProtoDecimal>,
) -> Result<Option<Decimal>, EventError> {
    let Some(value) = value else { return Ok(None) };
    let parsed = Decimal::from_str(&value.value)
        .map_err(|_| invalid(field, format!("{:?} is not a decimal", value.value)))?;
    if parsed <= Decimal::ZERO {
        return Err(invalid(field, format!("{parsed} is not positive")));
    }
    if parsed.scale() > travel_domain::money::QUOTE_SCALE
        || parsed >= Decimal::from(100_000_000_000_000i64)
    {
        return Err(invalid(
            field,
            format!("{parsed} does not fit DECIMAL(24,10)"),
        ));
    }
    Ok(Some(parsed))
}

/// Decodes and validates one record's payload; `key` is the record key, which must
/// name the same currency (it decides the partition, and so the ordering).
pub fn decode(key: &str, payload: &[u8], catalog: &Catalog) -> Result<Observation, EventError> {
    let event =
        RateObservation::decode(payload).map_err(|e| EventError::Undecodable(e.to_string()))?;
    let currency = CurrencyCode::parse(&event.currency_code)
        .ok()
        .filter(|c| catalog.currency(*c).is_some() && *c != CurrencyCode::KRW)
        .ok_or_else(|| {
            invalid(
                "currency_code",
                format!("{:?} is not a quoted catalog currency", event.currency_code),
            )
        })?;
    if key != currency.as_str() {
        return Err(invalid(
            "key",
            format!("record key {key:?} differs from {currency}"),
        ));
    }
    let source = event.source.trim();
    if source.is_empty()
        || source.len() > MAX_SOURCE_LEN
        || !source
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            "source",
            format!("{:?} is not a source name", event.source),
        ));
    }
    let observed = event
        .observed_at
        .ok_or_else(|| invalid("observed_at", "missing"))?;
    let recorded_at = DateTime::from_timestamp(
        observed.seconds,
        observed.nanos.clamp(0, 999_999_999) as u32,
    )
    .filter(|t| t.timestamp() > 0)
    .ok_or_else(|| invalid("observed_at", "out of range"))?;
    let rate_date = NaiveDate::parse_from_str(&event.rate_date, "%Y-%m-%d").map_err(|_| {
        invalid(
            "rate_date",
            format!("{:?} is not YYYY-MM-DD", event.rate_date),
        )
    })?;
    let mid = positive("mid", event.mid.as_ref())?.ok_or_else(|| invalid("mid", "missing"))?;
    Ok(Observation {
        currency,
        source: source.to_string(),
        recorded_at,
        rate_date,
        mid,
        tts: positive("tts", event.tts.as_ref())?,
        ttb: positive("ttb", event.ttb.as_ref())?,
        raw_unit: event.raw_unit.max(1),
        redistributable: event.redistributable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn observation() -> Observation {
        Observation {
            currency: CurrencyCode::from_static("JPY"),
            source: "KOREAEXIM".into(),
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 27, 2, 5, 0).unwrap(),
            rate_date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            mid: dec!(9.4512),
            tts: Some(dec!(9.5457)),
            ttb: Some(dec!(9.3567)),
            raw_unit: 100,
            redistributable: true,
        }
    }

    #[test]
    fn round_trips_exactly() {
        let catalog = Catalog::new();
        let bytes = encode(&observation(), &Provenance::default());
        assert_eq!(decode("JPY", &bytes, &catalog).unwrap(), observation());
    }

    #[test]
    fn rejects_what_cannot_be_stored_with_the_field() {
        let catalog = Catalog::new();
        let with = |f: &dyn Fn(&mut Observation)| {
            let mut o = observation();
            f(&mut o);
            encode(&o, &Provenance::default())
        };
        let field_of = |result: Result<Observation, EventError>| match result {
            Err(EventError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(decode(
                "USD",
                &encode(&observation(), &Provenance::default()),
                &catalog
            )),
            "key"
        );
        assert_eq!(
            field_of(decode("JPY", &with(&|o| o.mid = dec!(0)), &catalog)),
            "mid"
        );
        assert_eq!(
            field_of(decode("JPY", &with(&|o| o.mid = dec!(-1)), &catalog)),
            "mid"
        );
        assert_eq!(
            field_of(decode(
                "JPY",
                &with(&|o| o.tts = Some(dec!(0.00000000001))),
                &catalog
            )),
            "tts"
        );
        assert_eq!(
            field_of(decode(
                "JPY",
                &with(&|o| o.source = "not a source".into()),
                &catalog
            )),
            "source"
        );
        assert_eq!(
            field_of(decode(
                "JPY",
                &with(&|o| o.source = String::new()),
                &catalog
            )),
            "source"
        );
        let krw = RateObservation {
            currency_code: "KRW".into(),
            ..Default::default()
        }
        .encode_to_vec();
        assert_eq!(field_of(decode("KRW", &krw, &catalog)), "currency_code");
        assert!(matches!(
            decode("JPY", b"\xff\xff\xff", &catalog),
            Err(EventError::Undecodable(_))
        ));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256), key in "[A-Z]{0,4}") {
            let _ = decode(&key, &bytes, &Catalog::new());
        }
    }
}
