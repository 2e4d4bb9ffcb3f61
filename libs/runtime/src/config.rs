//! Typed reading of `TRAVEL_*` environment variables.
//!
//! Every value has a default that gives the embedded setup; a value that is set but
//! unusable stops start-up with an error naming the variable, the value and why.

use std::collections::HashMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

/// A configuration value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub variable: String,
    pub value: String,
    pub reason: String,
}

/// Unwraps a configuration result or ends the process: message naming the variable on
/// stderr, exit code 2 (the usual code for a usage error).
pub fn or_exit<T>(result: Result<T, ConfigError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => {
            eprintln!("configuration error: {error}");
            std::process::exit(2);
        }
    }
}

/// A snapshot of the environment (or of a map, in tests).
#[derive(Debug, Clone, Default)]
pub struct Env {
    values: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self {
            values: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The raw value, treating an empty variable as unset.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn error(&self, name: &str, reason: impl Display) -> ConfigError {
        ConfigError {
            variable: name.to_string(),
            value: self.raw(name).unwrap_or_default().to_string(),
            reason: reason.to_string(),
        }
    }

    pub fn string(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or(default).trim().to_string()
    }

    pub fn optional_string(&self, name: &str) -> Option<String> {
        self.raw(name).map(|v| v.trim().to_string())
    }

    /// A secret given directly in `NAME` or as a file path in `NAME_FILE` (a mounted
    /// Kubernetes Secret); `None` when neither is set.
    pub fn secret(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if let Some(value) = self.optional_string(name) {
            return Ok(Some(value));
        }
        let file = format!("{name}_FILE");
        match self.optional_string(&file) {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(&path)
                .map(|v| Some(v.trim().to_string()).filter(|v| !v.is_empty()))
                .map_err(|e| ConfigError {
                    variable: file,
                    value: path,
                    reason: e.to_string(),
                }),
        }
    }

    pub fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.raw(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e| self.error(name, e)),
        }
    }

    pub fn addr(&self, name: &str, default: &str) -> Result<SocketAddr, ConfigError> {
        let raw = self.string(name, default);
        raw.parse().map_err(|_| {
            self.error(
                name,
                "expected HOST:PORT with a numeric IP, e.g. 127.0.0.1:8080",
            )
        })
    }

    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.raw(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
            Some(_) => Err(self.error(name, "expected true or false")),
        }
    }

    /// A duration such as "250ms", "5s", "1h".
    pub fn duration(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.raw(name) {
            None => Ok(default),
            Some(raw) => humantime::parse_duration(raw.trim()).map_err(|e| {
                self.error(
                    name,
                    format!("{e}; expected a duration such as 250ms, 5s or 1h"),
                )
            }),
        }
    }

    /// A URL whose scheme is one of `schemes`.
    pub fn url(&self, name: &str, default: &str, schemes: &[&str]) -> Result<Url, ConfigError> {
        let raw = self.string(name, default);
        let url = Url::parse(&raw).map_err(|e| self.error(name, e))?;
        if !schemes.contains(&url.scheme()) {
            return Err(self.error(
                name,
                format!(
                    "unsupported scheme {:?}; expected one of {}",
                    url.scheme(),
                    schemes.join(", ")
                ),
            ));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let env = Env::from_pairs([("TRAVEL_EMPTY", " ")]);
        assert_eq!(env.string("TRAVEL_EMPTY", "x"), "x");
        assert_eq!(
            env.addr("TRAVEL_GATEWAY_ADDR", "127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            env.duration("TRAVEL_T", Duration::from_secs(2)).unwrap(),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let env = Env::from_pairs([
            ("TRAVEL_GATEWAY_ADDR", "localhost"),
            ("TRAVEL_DATABASE_URL", "postgres://x"),
            ("TRAVEL_TIMEOUT", "soon"),
            ("TRAVEL_FLAG", "maybe"),
            ("TRAVEL_N", "-3"),
        ]);
        let err = env
            .addr("TRAVEL_GATEWAY_ADDR", "127.0.0.1:8080")
            .unwrap_err();
        assert_eq!(err.variable, "TRAVEL_GATEWAY_ADDR");
        assert!(
            err.to_string()
                .starts_with("TRAVEL_GATEWAY_ADDR=\"localhost\"")
        );
        let err = env
            .url("TRAVEL_DATABASE_URL", "sqlite://x", &["mysql", "sqlite"])
            .unwrap_err();
        assert!(err.reason.contains("postgres"), "{err}");
        assert!(env.duration("TRAVEL_TIMEOUT", Duration::ZERO).is_err());
        assert!(env.bool("TRAVEL_FLAG", false).is_err());
        assert_eq!(
            env.parse::<u32>("TRAVEL_N", 1).unwrap_err().variable,
            "TRAVEL_N"
        );
    }

    #[test]
    fn parses_good_values() {
        let env = Env::from_pairs([
            ("A", "250ms"),
            ("B", "yes"),
            ("C", "redis://127.0.0.1:6379/0"),
        ]);
        assert_eq!(
            env.duration("A", Duration::ZERO).unwrap(),
            Duration::from_millis(250)
        );
        assert!(env.bool("B", false).unwrap());
        assert_eq!(
            env.url("C", "memory://", &["redis", "memory"])
                .unwrap()
                .port(),
            Some(6379)
        );
    }

    #[test]
    fn secrets_come_from_the_variable_or_a_file() {
        let dir = std::env::temp_dir().join(format!("travel-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("salt");
        std::fs::write(&file, "from-file\n").unwrap();
        let env = Env::from_pairs([
            ("DIRECT", "inline"),
            ("DIRECT_FILE", file.to_str().unwrap()),
            ("MOUNTED_FILE", file.to_str().unwrap()),
            ("MISSING_FILE", "/nonexistent/travel-secret"),
        ]);
        // The variable itself wins over its file.
        assert_eq!(env.secret("DIRECT").unwrap().as_deref(), Some("inline"));
        assert_eq!(env.secret("MOUNTED").unwrap().as_deref(), Some("from-file"));
        assert_eq!(env.secret("UNSET").unwrap(), None);
        assert_eq!(env.secret("MISSING").unwrap_err().variable, "MISSING_FILE");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
