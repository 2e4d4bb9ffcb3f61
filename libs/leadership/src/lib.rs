//! The leadership port: periodic work that must run on one replica at a time (the
//! ranking calculator) asks it before each run. The embedded implementation always
//! leads; in the cluster a Kubernetes Lease decides.

/// Whether this replica may run singleton work right now.
pub trait Leadership: Send + Sync {
    /// True while this replica holds leadership. Cheap: read before every run.
    fn is_leader(&self) -> bool;

    /// "embedded" or "lease", for logs and health.
    fn backend(&self) -> &'static str;
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
