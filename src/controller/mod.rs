//! Controllers: reactions to writes and timers, run by [`crate::sim::Cluster`] on the virtual
//! clock. No threads: after every write the cluster drains each controller's queue, in a fixed
//! order, until nothing is left to do at this instant.

pub mod approver;

use crate::sim::Cluster;

/// The User-Agent of kube-controller-manager's clients (client-go's default: the binary's
/// name, its version, platform and commit); its first segment, `kube-controller-manager`, is
/// the field manager of the controllers' writes in `metadata.managedFields`.
pub const USER_AGENT: &str = "kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/csrsim";

/// What a sync of one key asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResult {
    /// Nothing more to do for this key.
    Done,
    /// Try the key again after this many virtual milliseconds; the message is traced
    /// (e.g. `error auto signing csr: ...`).
    RequeueAfter(u64, String),
}

/// A controller of kube-controller-manager (or a simulated kubelet fleet).
pub trait Controller: Send {
    /// Stable name, used in the trace and for pause/resume (`csrapproving`, `csrsigning`,
    /// `csrcleaner`, `kubelets`).
    fn name(&self) -> &'static str;

    /// Does this controller want CSR change notifications? (Timers-only controllers say no.)
    fn watches_csrs(&self) -> bool {
        true
    }

    /// Called once after the cluster is built (or reloaded): schedule first timers here.
    fn start(&mut self, _cx: &mut Cluster) {}

    /// Reconcile one CSR by name (it may no longer exist).
    fn sync(&mut self, _cx: &mut Cluster, _name: &str) -> SyncResult {
        SyncResult::Done
    }

    /// A timer scheduled with `Cluster::schedule` for this controller fired.
    fn on_timer(&mut self, _cx: &mut Cluster, _tag: &str) {}
}

pub mod cleaner;
pub mod signer; // wiring: pki
