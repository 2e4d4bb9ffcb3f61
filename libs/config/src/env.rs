//! Typed reading of `TRAVEL_*` environment variables.
//!
//! Every value has a default that gives the embedded setup; a value that is set but
//! unusable stops start-up with an error naming the variable, the value and why.

use std::collections::HashMap;
use std::fmt::Display;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::secret::SecretUrl;

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
#[derive(Clone, Default)]
pub struct Env {
    values: HashMap<String, String>,
}

/// Names only: any value may be a secret.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.values.keys().collect();
        names.sort();
        f.debug_struct("Env").field("variables", &names).finish()
    }
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
    /// Kubernetes Secret); `None` when neither is set. The value only leaves the
    /// wrapper through `expose_secret`.
    pub fn secret(&self, name: &str) -> Result<Option<SecretString>, ConfigError> {
        if let Some(value) = self.optional_string(name) {
            return Ok(Some(SecretString::from(value)));
        }
        let file = format!("{name}_FILE");
        match self.optional_string(&file) {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(&path)
                .map(|v| Some(v.trim().to_string()).filter(|v| !v.is_empty()))
                .map(|v| v.map(SecretString::from))
                .map_err(|e| ConfigError {
                    variable: file,
                    value: path,
                    reason: e.to_string(),
                }),
        }
    }

    /// A connection URL that may hold credentials, from `NAME` or `NAME_FILE`. Errors
    /// show the URL masked, never the value as given.
    pub fn secret_url(
        &self,
        name: &str,
        default: &str,
        schemes: &[&str],
    ) -> Result<SecretUrl, ConfigError> {
        let raw = match self.secret(name)? {
            Some(value) => value.expose_secret().to_string(),
            None => default.to_string(),
        };
        let masked = |reason: String, value: String| ConfigError {
            variable: name.to_string(),
            value,
            reason,
        };
        let url = SecretUrl::parse(&raw).map_err(|e| masked(e.to_string(), "***".to_string()))?;
        check_scheme(url.expose(), schemes).map_err(|reason| masked(reason, url.redacted()))?;
        Ok(url)
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

    /// A duration no shorter than `min`.
    pub fn duration_at_least(
        &self,
        name: &str,
        default: Duration,
        min: Duration,
    ) -> Result<Duration, ConfigError> {
        let value = self.duration(name, default)?;
        if value < min {
            return Err(self.error(
                name,
                format!("must be at least {}", humantime::format_duration(min)),
            ));
        }
        Ok(value)
    }

    /// An interval that can be switched off: `off`, `0` or `0s` give `None`.
    pub fn interval_or_off(
        &self,
        name: &str,
        default: Duration,
    ) -> Result<Option<Duration>, ConfigError> {
        match self.raw(name).map(str::trim) {
            Some("off" | "0" | "0s") => Ok(None),
            _ => self.duration(name, default).map(Some),
        }
    }

    /// A listen address that can be switched off: `off` (or a default of `off`) gives
    /// `None`.
    pub fn addr_or_off(
        &self,
        name: &str,
        default: &str,
    ) -> Result<Option<SocketAddr>, ConfigError> {
        match self.string(name, default).as_str() {
            "off" => Ok(None),
            _ => self.addr(name, default).map(Some),
        }
    }

    /// A URL whose scheme is one of `schemes`.
    pub fn url(&self, name: &str, default: &str, schemes: &[&str]) -> Result<Url, ConfigError> {
        let raw = self.string(name, default);
        let url = Url::parse(&raw).map_err(|e| self.error(name, e))?;
        check_scheme(&url, schemes).map_err(|reason| self.error(name, reason))?;
        Ok(url)
    }
}

fn check_scheme(url: &Url, schemes: &[&str]) -> Result<(), String> {
    if schemes.contains(&url.scheme()) {
        Ok(())
    } else {
        Err(format!(
            "unsupported scheme {:?}; expected one of {}",
            url.scheme(),
            schemes.join(", ")
        ))
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
    fn durations_can_have_a_floor() {
        let env = Env::from_pairs([("SHORT", "500ms"), ("LONG", "2s")]);
        let second = Duration::from_secs(1);
        let err = env.duration_at_least("SHORT", second, second).unwrap_err();
        assert_eq!(err.variable, "SHORT");
        assert_eq!(err.value, "500ms");
        assert!(err.reason.contains("at least 1s"), "{err}");
        assert_eq!(
            env.duration_at_least("LONG", second, second).unwrap(),
            Duration::from_secs(2)
        );
        assert_eq!(
            env.duration_at_least("UNSET", second, second).unwrap(),
            second
        );
    }

    #[test]
    fn intervals_and_addresses_can_be_off() {
        let env = Env::from_pairs([
            ("OFF", "off"),
            ("ZERO", "0s"),
            ("EVERY", "2m"),
            ("BAD", "often"),
            ("ADDR_OFF", "off"),
            ("ADDR", "127.0.0.1:9"),
        ]);
        let five = Duration::from_secs(300);
        assert_eq!(env.interval_or_off("OFF", five).unwrap(), None);
        assert_eq!(env.interval_or_off("ZERO", five).unwrap(), None);
        assert_eq!(
            env.interval_or_off("EVERY", five).unwrap(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(env.interval_or_off("UNSET", five).unwrap(), Some(five));
        assert_eq!(
            env.interval_or_off("BAD", five).unwrap_err().variable,
            "BAD"
        );
        assert_eq!(env.addr_or_off("ADDR_OFF", "0.0.0.0:1").unwrap(), None);
        assert_eq!(env.addr_or_off("UNSET", "off").unwrap(), None);
        assert_eq!(
            env.addr_or_off("ADDR", "off").unwrap(),
            Some("127.0.0.1:9".parse().unwrap())
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
        let exposed = |name: &str| {
            env.secret(name)
                .unwrap()
                .map(|s| s.expose_secret().to_string())
        };
        assert_eq!(exposed("DIRECT").as_deref(), Some("inline"));
        assert_eq!(exposed("MOUNTED").as_deref(), Some("from-file"));
        assert_eq!(exposed("UNSET"), None);
        assert_eq!(env.secret("MISSING").unwrap_err().variable, "MISSING_FILE");
        // A secret's Debug form is masked.
        let debug = format!("{:?}", env.secret("DIRECT").unwrap().unwrap());
        assert!(!debug.contains("inline"), "{debug}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn secret_urls_are_masked_in_errors() {
        let env = Env::from_pairs([
            ("BAD_SCHEME", "postgres://app:pw-1234@db/x"),
            ("UNPARSABLE", "mysql://app:pw-1234@db:port/x"),
            ("GOOD", "mysql://app:pw-1234@db:3306/x"),
        ]);
        for name in ["BAD_SCHEME", "UNPARSABLE"] {
            let err = env
                .secret_url(name, "sqlite://x", &["mysql", "sqlite"])
                .unwrap_err();
            assert_eq!(err.variable, name);
            assert!(!err.to_string().contains("pw-1234"), "{err}");
        }
        let good = env.secret_url("GOOD", "sqlite://x", &["mysql"]).unwrap();
        assert_eq!(good.expose().password(), Some("pw-1234"));
        assert!(!format!("{good:?}").contains("pw-1234"));
        let default = env.secret_url("UNSET", "sqlite://x", &["sqlite"]).unwrap();
        assert_eq!(default.scheme(), "sqlite");
    }
}
