//! The rate store on a SQL database: one core, [`SqlRateStore`], generic over the
//! backend, and per backend a [`Dialect`] that holds everything it does differently
//! (`crate::mysql`, `crate::sqlite`).

mod alerts;
mod dialect;
mod record;
mod rows;
mod store;

pub use dialect::{Dialect, Native};
pub use rows::Rows;
pub use store::SqlRateStore;
