//! Configuration from `TRAVEL_*` environment variables: a snapshot of the environment
//! with typed readers ([`Env`]), the error that names the offending variable, and the
//! wrappers that keep secret values out of `Debug`, `Display` and so out of logs.
//!
//! It sits below every adapter crate, so each reads its own settings with the same
//! parsing and the same messages.

mod env;
mod secret;

pub use env::{ConfigError, Env, or_exit};
pub use secrecy::{ExposeSecret, SecretString};
pub use secret::{SecretUrl, same_secret};
