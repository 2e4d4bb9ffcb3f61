//! Settings every serving component shares, read once for all of them, and binding
//! a listener with an error that names the variable behind the address.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use travel_config::{ConfigError, Env};

/// How a component reports itself and leaves.
#[derive(Debug, Clone)]
pub struct ServingSettings {
    /// Free-form deployment name reported by /version and ServiceInfo, e.g. "local".
    pub environment: String,
    /// Time between reporting not-serving and closing the listeners on shutdown.
    pub drain: Duration,
    /// How often a service probes its database and cache for its health report.
    pub dependency_check_interval: Duration,
}

impl Default for ServingSettings {
    fn default() -> Self {
        Self {
            environment: "local".to_string(),
            drain: Duration::ZERO,
            dependency_check_interval: Duration::from_secs(5),
        }
    }
}

impl ServingSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        let interval = env.duration_at_least(
            "TRAVEL_DEPENDENCY_CHECK_INTERVAL",
            d.dependency_check_interval,
            Duration::from_millis(10),
        )?;
        Ok(Self {
            environment: env.string("TRAVEL_ENVIRONMENT", &d.environment),
            drain: env.duration("TRAVEL_SHUTDOWN_DRAIN", d.drain)?,
            dependency_check_interval: interval,
        })
    }
}

/// This replica's name: `TRAVEL_POD_NAME` (the chart sets it from the downward API),
/// else `HOSTNAME` (a pod's name too); `None` outside a cluster.
pub fn pod_name(env: &Env) -> Option<String> {
    env.optional_string("TRAVEL_POD_NAME")
        .or_else(|| env.optional_string("HOSTNAME"))
}

/// A listen-address setting: its variable and the default of the component's own
/// binary (the cluster). The all-in-one reads the same variable with a loopback
/// default.
#[derive(Debug, Clone, Copy)]
pub struct Listen {
    pub variable: &'static str,
    pub default: &'static str,
}

impl Listen {
    /// The address, with the component binary's default.
    pub fn read(&self, env: &Env) -> Result<SocketAddr, ConfigError> {
        env.addr(self.variable, self.default)
    }

    /// The address, with another default (the all-in-one: any free loopback port).
    pub fn read_or(&self, env: &Env, default: &str) -> Result<SocketAddr, ConfigError> {
        env.addr(self.variable, default)
    }

    /// Binds a listener, naming the variable that configured the address on failure.
    pub async fn bind(&self, addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {}={addr}", self.variable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_once_with_one_default() {
        let settings = ServingSettings::from_env(&Env::default()).unwrap();
        assert_eq!(settings.drain, Duration::ZERO);
        assert_eq!(settings.dependency_check_interval, Duration::from_secs(5));
        assert_eq!(settings.environment, "local");
        let env = Env::from_pairs([
            ("TRAVEL_SHUTDOWN_DRAIN", "3s"),
            ("TRAVEL_ENVIRONMENT", "production"),
        ]);
        let settings = ServingSettings::from_env(&env).unwrap();
        assert_eq!(settings.drain, Duration::from_secs(3));
        assert_eq!(settings.environment, "production");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("TRAVEL_SHUTDOWN_DRAIN", "soon"),
            ("TRAVEL_DEPENDENCY_CHECK_INTERVAL", "0s"),
        ] {
            let err = ServingSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(err.variable, name);
        }
    }
}
