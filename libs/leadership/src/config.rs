//! `TRAVEL_LEASE_*` settings of the Kubernetes Lease elector.

use std::path::Path;
use std::time::Duration;

use travel_runtime::{ConfigError, Env};

/// Where Kubernetes mounts the namespace of the pod's service account.
const NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Which Lease to contend for, as whom, and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseConfig {
    /// Name of the `coordination.k8s.io/v1` Lease object.
    pub name: String,
    pub namespace: String,
    /// This replica's holder identity; must differ between replicas (the pod name).
    pub identity: String,
    /// How long a renewal keeps the lease; others take over only after it has passed.
    pub lease_duration: Duration,
    /// How often the holder renews; shorter than `lease_duration` so one failed
    /// renewal does not lose the lease.
    pub renew_every: Duration,
    /// How often a non-holder checks whether the lease became free or expired.
    pub retry_every: Duration,
}

impl LeaseConfig {
    /// The defaults with the given name, namespace and identity: 15 s lease, renewed
    /// every 5 s, checked every 2 s by the others.
    pub fn new(
        name: impl Into<String>,
        namespace: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_every: Duration::from_secs(5),
            retry_every: Duration::from_secs(2),
        }
    }

    /// Reads `TRAVEL_LEASE_NAME`, `TRAVEL_LEASE_NAMESPACE`, `TRAVEL_POD_NAME`,
    /// `TRAVEL_LEASE_DURATION`, `TRAVEL_LEASE_RENEW_EVERY` and `TRAVEL_LEASE_RETRY_EVERY`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::from_env_with_namespace_file(env, Path::new(NAMESPACE_FILE))
    }

    pub(crate) fn from_env_with_namespace_file(
        env: &Env,
        namespace_file: &Path,
    ) -> Result<Self, ConfigError> {
        let defaults = Self::new("", "", "");
        let namespace = env
            .optional_string("TRAVEL_LEASE_NAMESPACE")
            .unwrap_or_else(|| {
                std::fs::read_to_string(namespace_file)
                    .ok()
                    .map(|ns| ns.trim().to_string())
                    .filter(|ns| !ns.is_empty())
                    .unwrap_or_else(|| "default".to_string())
            });
        // The pod name is unique among live replicas; a random id keeps two local
        // processes apart when neither variable is set.
        let identity = travel_runtime::pod_name(env)
            .unwrap_or_else(|| format!("travel-{}", uuid::Uuid::new_v4()));
        let config = Self {
            name: env.string("TRAVEL_LEASE_NAME", "ranking-calculator"),
            namespace,
            identity,
            lease_duration: env.duration("TRAVEL_LEASE_DURATION", defaults.lease_duration)?,
            renew_every: env.duration("TRAVEL_LEASE_RENEW_EVERY", defaults.renew_every)?,
            retry_every: env.duration("TRAVEL_LEASE_RETRY_EVERY", defaults.retry_every)?,
        };
        config.validate(env)?;
        Ok(config)
    }

    fn validate(&self, env: &Env) -> Result<(), ConfigError> {
        let error = |variable: &str, reason: String| ConfigError {
            variable: variable.to_string(),
            value: env.raw(variable).unwrap_or_default().to_string(),
            reason,
        };
        for (variable, value) in [
            ("TRAVEL_LEASE_DURATION", self.lease_duration),
            ("TRAVEL_LEASE_RENEW_EVERY", self.renew_every),
            ("TRAVEL_LEASE_RETRY_EVERY", self.retry_every),
        ] {
            if value.is_zero() {
                return Err(error(variable, "must be greater than zero".into()));
            }
        }
        if self.renew_every >= self.lease_duration {
            return Err(error(
                "TRAVEL_LEASE_RENEW_EVERY",
                format!(
                    "must be shorter than TRAVEL_LEASE_DURATION ({:?}), or the lease lapses between renewals",
                    self.lease_duration
                ),
            ));
        }
        Ok(())
    }

    /// `leaseDurationSeconds` is whole seconds: round up so the record never promises
    /// less than the holder's own deadline (see `LeaseLeadership::is_leader`).
    #[cfg_attr(not(feature = "lease"), allow(dead_code))]
    pub(crate) fn lease_duration_seconds(&self) -> i32 {
        let secs =
            self.lease_duration.as_secs() + u64::from(self.lease_duration.subsec_nanos() > 0);
        i32::try_from(secs.max(1)).unwrap_or(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_file() -> &'static Path {
        Path::new("/nonexistent/travel-leadership/namespace")
    }

    #[test]
    fn defaults() {
        let env = Env::from_pairs([("HOSTNAME", "ranking-7d9f-abc")]);
        let config = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap();
        assert_eq!(config.name, "ranking-calculator");
        assert_eq!(config.namespace, "default");
        assert_eq!(config.identity, "ranking-7d9f-abc");
        assert_eq!(config.lease_duration, Duration::from_secs(15));
        assert_eq!(config.renew_every, Duration::from_secs(5));
        assert_eq!(config.retry_every, Duration::from_secs(2));
        assert_eq!(config.lease_duration_seconds(), 15);
    }

    #[test]
    fn identity_falls_back_to_a_random_id() {
        let env = Env::default();
        let a = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap();
        let b = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap();
        assert!(a.identity.starts_with("travel-"), "{}", a.identity);
        assert_ne!(a.identity, b.identity);
    }

    #[test]
    fn namespace_from_the_service_account_file() {
        let dir = std::env::temp_dir().join(format!("travel-leadership-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("namespace");
        std::fs::write(&file, "travel-prod\n").unwrap();
        let config = LeaseConfig::from_env_with_namespace_file(&Env::default(), &file).unwrap();
        assert_eq!(config.namespace, "travel-prod");
        let env = Env::from_pairs([("TRAVEL_LEASE_NAMESPACE", "override")]);
        let config = LeaseConfig::from_env_with_namespace_file(&env, &file).unwrap();
        assert_eq!(config.namespace, "override");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn explicit_values() {
        let env = Env::from_pairs([
            ("TRAVEL_LEASE_NAME", "other"),
            ("TRAVEL_POD_NAME", "pod-1"),
            ("HOSTNAME", "host-1"),
            ("TRAVEL_LEASE_DURATION", "1500ms"),
            ("TRAVEL_LEASE_RENEW_EVERY", "500ms"),
            ("TRAVEL_LEASE_RETRY_EVERY", "100ms"),
        ]);
        let config = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap();
        assert_eq!(config.name, "other");
        assert_eq!(config.identity, "pod-1");
        assert_eq!(config.lease_duration, Duration::from_millis(1500));
        assert_eq!(config.lease_duration_seconds(), 2);
        assert_eq!(config.renew_every, Duration::from_millis(500));
        assert_eq!(config.retry_every, Duration::from_millis(100));
    }

    #[test]
    fn renew_must_be_shorter_than_the_lease() {
        let env = Env::from_pairs([
            ("TRAVEL_LEASE_DURATION", "5s"),
            ("TRAVEL_LEASE_RENEW_EVERY", "5s"),
        ]);
        let err = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap_err();
        assert_eq!(err.variable, "TRAVEL_LEASE_RENEW_EVERY");
        assert_eq!(err.value, "5s");
        assert!(err.reason.contains("TRAVEL_LEASE_DURATION"), "{err}");
    }

    #[test]
    fn bad_durations_name_the_variable() {
        let env = Env::from_pairs([("TRAVEL_LEASE_RETRY_EVERY", "soon")]);
        let err = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap_err();
        assert_eq!(err.variable, "TRAVEL_LEASE_RETRY_EVERY");
        let env = Env::from_pairs([("TRAVEL_LEASE_RETRY_EVERY", "0s")]);
        let err = LeaseConfig::from_env_with_namespace_file(&env, no_file()).unwrap_err();
        assert_eq!(err.variable, "TRAVEL_LEASE_RETRY_EVERY");
    }
}
