//! The leadership port: periodic work that must run on one replica at a time (the
//! ranking calculator) asks it before each run. The embedded implementation always
//! leads; in the cluster a Kubernetes Lease decides.

/// Whether this replica may run singleton work right now.
pub trait Leadership: Send + Sync {
    /// True while this replica holds leadership. Cheap: read before every run.
    fn is_leader(&self) -> bool;

    /// "embedded" or "lease", for logs and health.
    fn backend(&self) -> &'static str;

    /// Completes once leadership has been given up after shutdown (the lease released,
    /// so another replica takes over at once rather than after the lease expires).
    fn stopped(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// The single process of the all-in-one (or a deployment of one replica) always leads.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysLeader;

impl Leadership for AlwaysLeader {
    fn is_leader(&self) -> bool {
        true
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }
}

mod config;
#[cfg(feature = "lease")]
mod lease;

pub use config::LeaseConfig;
#[cfg(feature = "lease")]
pub use lease::LeaseLeadership;

use std::sync::Arc;

#[cfg(feature = "lease")]
use anyhow::Context;
use travel_runtime::{ConfigError, Env, Shutdown};

/// The leadership a service uses, chosen by `TRAVEL_LEADER_ELECTION`: `none` (default,
/// always leads) or `lease` (a Kubernetes Lease configured by `TRAVEL_LEASE_*`, with
/// the in-cluster or kubeconfig credentials). The elector releases the lease when
/// `shutdown` fires.
pub async fn from_env(env: &Env, shutdown: Shutdown) -> anyhow::Result<Arc<dyn Leadership>> {
    #[cfg(not(feature = "lease"))]
    let _ = shutdown;
    const VARIABLE: &str = "TRAVEL_LEADER_ELECTION";
    match env.string(VARIABLE, "none").to_ascii_lowercase().as_str() {
        "none" => Ok(Arc::new(AlwaysLeader)),
        #[cfg(not(feature = "lease"))]
        "lease" => {
            LeaseConfig::from_env(env)?;
            Err(ConfigError {
                variable: VARIABLE.to_string(),
                value: "lease".to_string(),
                reason: "this build has no Lease elector (cargo feature travel-leadership/lease; the ranking binary has it)".to_string(),
            }
            .into())
        }
        #[cfg(feature = "lease")]
        "lease" => {
            let config = LeaseConfig::from_env(env)?;
            install_crypto_provider();
            let client = kube::Client::try_default()
                .await
                .context("TRAVEL_LEADER_ELECTION=lease needs Kubernetes credentials (in-cluster service account or kubeconfig)")?;
            tracing::info!(
                identity = %config.identity,
                lease = %config.name,
                namespace = %config.namespace,
                "contending for the leader lease"
            );
            Ok(LeaseLeadership::start(client, config, shutdown))
        }
        other => Err(ConfigError {
            variable: VARIABLE.to_string(),
            value: other.to_string(),
            reason: "expected none or lease".to_string(),
        }
        .into()),
    }
}

/// kube's rustls client takes the process-wide crypto provider, which rustls picks by
/// itself only while a single one is linked (ring, today: the AWS SDK's client is
/// built on ring too). Installing ring keeps that so if a dependency ever brings
/// aws-lc-rs again; a no-op when a provider is set. Callers that build their own
/// `kube::Client` call it first.
#[cfg(feature = "lease")]
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn none_is_the_default() {
        let leadership = from_env(&Env::default(), Shutdown::new()).await.unwrap();
        assert!(leadership.is_leader());
        assert_eq!(leadership.backend(), "embedded");
        let env = Env::from_pairs([("TRAVEL_LEADER_ELECTION", "None")]);
        let leadership = from_env(&env, Shutdown::new()).await.unwrap();
        assert_eq!(leadership.backend(), "embedded");
    }

    #[tokio::test]
    async fn unknown_backend_names_the_variable() {
        let env = Env::from_pairs([("TRAVEL_LEADER_ELECTION", "zookeeper")]);
        let error = from_env(&env, Shutdown::new()).await.err().unwrap();
        let error = error.downcast::<ConfigError>().unwrap();
        assert_eq!(error.variable, "TRAVEL_LEADER_ELECTION");
        assert_eq!(error.value, "zookeeper");
    }

    #[tokio::test]
    async fn lease_settings_are_checked_before_connecting() {
        let env = Env::from_pairs([
            ("TRAVEL_LEADER_ELECTION", "lease"),
            ("TRAVEL_LEASE_DURATION", "2s"),
            ("TRAVEL_LEASE_RENEW_EVERY", "3s"),
        ]);
        let error = from_env(&env, Shutdown::new()).await.err().unwrap();
        let error = error.downcast::<ConfigError>().unwrap();
        assert_eq!(error.variable, "TRAVEL_LEASE_RENEW_EVERY");
    }

    /// Built without the elector (the all-in-one), `lease` is refused by name.
    #[cfg(not(feature = "lease"))]
    #[tokio::test]
    async fn lease_without_its_feature_names_the_feature() {
        let env = Env::from_pairs([("TRAVEL_LEADER_ELECTION", "lease")]);
        let error = from_env(&env, Shutdown::new()).await.err().unwrap();
        let error = error.downcast::<ConfigError>().unwrap();
        assert_eq!(error.variable, "TRAVEL_LEADER_ELECTION");
        assert!(error.reason.contains("travel-leadership/lease"), "{error}");
    }

    #[cfg(feature = "lease")]
    #[test]
    fn an_https_client_builds_with_the_installed_provider() {
        install_crypto_provider();
        let config = kube::Config::new("https://127.0.0.1:6443".parse().unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // The client's service stack needs a runtime context to be built.
        let _guard = runtime.enter();
        kube::Client::try_from(config).unwrap();
    }
}
