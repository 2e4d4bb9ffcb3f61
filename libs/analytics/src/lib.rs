//! Analytics over daily rate series, as pure functions of plain data.
//!
//! Every function has one written definition in `docs/analytics.md` (formula, window,
//! units, annualisation, missing data) and is checked against values computed
//! independently with numpy/pandas (`tests/fixtures/analytics/`). A statistic that
//! needs more data than it was given is `None`, never a number made from too little.
//!
//! Rates are `f64` here: statistics are the one place the product leaves exact
//! decimals (design principle 5).

pub mod forecast;
pub mod indicators;
pub mod series;
pub mod stats;

pub use series::Point;
