//! Newtypes that can only hold well-formed codes ("parse, don't validate").
//!
//! Well-formed is not the same as supported: whether a code is in the catalog is the
//! catalog's question, so callers can tell a malformed code from an unknown one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a code could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("expected {expected} letters A-Z, got {provided:?}")]
    Malformed { provided: String, expected: usize },
}

macro_rules! letter_code {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Number of letters in the code.
            pub const LEN: usize = $len;

            /// Parses a code case-insensitively, ignoring surrounding white space.
            pub fn parse(raw: &str) -> Result<Self, CodeError> {
                let trimmed = raw.trim();
                let bytes = trimmed.as_bytes();
                if bytes.len() != $len || !bytes.iter().all(u8::is_ascii_alphabetic) {
                    return Err(CodeError::Malformed {
                        provided: raw.to_string(),
                        expected: $len,
                    });
                }
                let mut code = [0u8; $len];
                for (slot, byte) in code.iter_mut().zip(bytes) {
                    *slot = byte.to_ascii_uppercase();
                }
                Ok(Self(code))
            }

            /// Builds a code from a literal known to be valid, for tables and tests.
            ///
            /// # Panics
            /// When `raw` is not a well-formed upper-case code; only for constants.
            pub const fn from_static(raw: &'static str) -> Self {
                let bytes = raw.as_bytes();
                assert!(bytes.len() == $len, "code has the wrong length");
                let mut code = [0u8; $len];
                let mut i = 0;
                while i < $len {
                    assert!(bytes[i].is_ascii_uppercase(), "code must be upper case A-Z");
                    code[i] = bytes[i];
                    i += 1;
                }
                Self(code)
            }

            pub fn as_str(&self) -> &str {
                // Only ASCII letters are ever stored.
                std::str::from_utf8(&self.0).expect("codes are ASCII")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

letter_code!(
    /// An ISO 4217 alphabetic currency code, always upper case.
    CurrencyCode,
    3
);

letter_code!(
    /// An ISO 3166-1 alpha-2 country code (plus "EU" for the euro area), always upper case.
    CountryCode,
    2
);

impl CurrencyCode {
    /// The currency every stored quote is expressed in.
    pub const KRW: CurrencyCode = CurrencyCode::from_static("KRW");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_case_insensitively_and_trims() {
        assert_eq!(CurrencyCode::parse(" usd ").unwrap().as_str(), "USD");
        assert_eq!(CountryCode::parse("jp").unwrap().as_str(), "JP");
    }

    #[test]
    fn rejects_wrong_length_digits_and_non_ascii() {
        for bad in ["", "US", "USDX", "U5D", "ÜSD", "U D", "12"] {
            assert!(
                CurrencyCode::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        for bad in ["", "J", "JPN", "J1", "ÉU"] {
            assert!(
                CountryCode::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(raw in "\\PC{0,8}") {
            if let Ok(code) = CurrencyCode::parse(&raw) {
                prop_assert_eq!(CurrencyCode::parse(code.as_str()).unwrap(), code);
                prop_assert_eq!(code.as_str().len(), 3);
                prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_uppercase()));
            }
        }
    }
}
