//! Helpers more than one end-to-end module uses.

use serde_json::Value;

/// A JSON number as `f64`; panics, naming the value, on anything else.
pub fn as_f64(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}
