//! Talking to a live API server (another implementation, a real cluster, or `csrsim serve`):
//! the conformance mode's transport. Edge module: network I/O and wall-clock timeouts.

pub mod client;
pub mod kubeconfig;

pub use client::RemoteCluster;
pub use kubeconfig::Kubeconfig;
