//! Attribute values: constructors for writing, and typed reads that treat a missing or
//! mistyped attribute as corrupt data.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use crate::{Result, SelectionStoreError};

pub(super) fn format_day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A float as a DynamoDB number; Rust prints the shortest text that parses back to the
/// same value, so the round trip is exact.
pub(super) fn float(name: &str, value: f64) -> Result<AttributeValue> {
    if value.is_finite() {
        Ok(n(value))
    } else {
        Err(SelectionStoreError::Backend(format!(
            "{name}={value} cannot be stored as a DynamoDB number"
        )))
    }
}

/// An absent value is stored as NULL, like a JSON null, so readers see the key.
pub(super) fn optional_number(value: Option<impl ToString>) -> AttributeValue {
    value.map_or(AttributeValue::Null(true), n)
}

pub(super) fn as_map<'a>(
    value: &'a AttributeValue,
    what: &str,
) -> Result<&'a HashMap<String, AttributeValue>> {
    value
        .as_m()
        .map_err(|_| SelectionStoreError::Corrupt(format!("{what} is not a map")))
}

/// Typed reads of an item's attributes; a missing or mistyped one is corrupt data.
pub(super) struct Item<'a> {
    raw: &'a HashMap<String, AttributeValue>,
    what: &'static str,
}

impl<'a> Item<'a> {
    pub(super) fn new(raw: &'a HashMap<String, AttributeValue>, what: &'static str) -> Self {
        Self { raw, what }
    }

    fn corrupt(&self, name: &str, problem: impl std::fmt::Display) -> SelectionStoreError {
        SelectionStoreError::Corrupt(format!("{} attribute {name}: {problem}", self.what))
    }

    /// The attribute, `None` when absent or NULL.
    fn get(&self, name: &str) -> Option<&'a AttributeValue> {
        self.raw
            .get(name)
            .filter(|value| !matches!(value, AttributeValue::Null(true)))
    }

    pub(super) fn string(&self, name: &str) -> Result<&'a str> {
        match self.get(name) {
            Some(AttributeValue::S(value)) => Ok(value),
            Some(other) => Err(self.corrupt(name, format!("expected a string, got {other:?}"))),
            None => Err(self.corrupt(name, "missing")),
        }
    }

    pub(super) fn optional_string(&self, name: &str) -> Result<Option<String>> {
        self.get(name)
            .map(|_| self.string(name).map(str::to_string))
            .transpose()
    }

    pub(super) fn number<T: FromStr>(&self, name: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            Some(AttributeValue::N(raw)) => raw.parse().map_err(|e| self.corrupt(name, e)),
            Some(other) => Err(self.corrupt(name, format!("expected a number, got {other:?}"))),
            None => Err(self.corrupt(name, "missing")),
        }
    }

    pub(super) fn optional_number<T: FromStr>(&self, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name).map(|_| self.number(name)).transpose()
    }

    pub(super) fn list(&self, name: &str) -> Result<&'a [AttributeValue]> {
        match self.get(name) {
            Some(AttributeValue::L(values)) => Ok(values),
            Some(other) => Err(self.corrupt(name, format!("expected a list, got {other:?}"))),
            None => Err(self.corrupt(name, "missing")),
        }
    }

    pub(super) fn date(&self, name: &str) -> Result<NaiveDate> {
        let raw = self.string(name)?;
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|e| self.corrupt(name, e))
    }

    pub(super) fn timestamp(&self, name: &str) -> Result<DateTime<Utc>> {
        let raw = self.string(name)?;
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| self.corrupt(name, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_through_number_text() {
        for value in [
            0.0,
            33.33,
            100.0,
            1.0 / 3.0,
            12.345_678_9,
            1e-7,
            98_765.432_1,
        ] {
            let AttributeValue::N(text) = float("x", value).unwrap() else {
                unreachable!()
            };
            assert_eq!(text.parse::<f64>().unwrap(), value, "{text}");
        }
        assert!(float("x", f64::NAN).is_err());
        assert!(float("x", f64::INFINITY).is_err());
    }
}
