//! # csrsim
//!
//! A deterministic, single-process simulator of the Kubernetes certificate control plane
//! (`certificates.k8s.io/v1` CertificateSigningRequest).
//!
//! Crate map (see `docs/architecture.md`):
//! - [`api`] — wire types (CSR, ObjectMeta, Status, WatchEvent) serialized as kube-apiserver does.
//! - [`validation`] — field errors and the CSR validation rules with upstream messages.
//! - [`registry`] — strategies: what create / update / approval / status do to an object.
//! - [`auth`] — identities, authenticators, RBAC authorization.
//! - [`admission`] — the certificate admission plugins and the NodeRestriction CSR rule.
//! - [`store`] — the object store (memory, or on disk: the append-only log; sled for older data dirs), resourceVersions, the watch event log.
//! - [`pki`] — CSR parsing, CA material, certificate construction.
//! - [`signer`] — one file per built-in signer policy.
//! - [`controller`] — approver, signer, cleaner: reactions on the virtual clock.
//! - [`kubelet`] — simulated kubelet fleets (bootstrap, rotation, serving certs) and faults.
//! - [`scenario`] — the YAML scenario language, its loader, runner and reports (`csrsim run`).
//! - [`sim`] — the virtual clock, timers, seeded RNG, trace, and [`sim::Cluster`], the single
//!   entry point every driver uses.
//! - [`server`] — `csrsim serve`, the HTTPS API server (edge); [`remote`] — the HTTPS client of
//!   the conformance mode (edge); [`bench`] — `csrsim bench` (edge); [`check`] — `csrsim check`.
//! - [`lookup`] — an iteration-free hash map for lookup-only tables; [`allocator`] — mimalloc
//!   tuning shared by the binary and the benchmarks.
//!
//! Architecture invariant: nothing under `sim`, `store`, `registry`, `validation`,
//! `admission`, `auth`, `pki`, `signer` or `controller` reads the wall clock or OS randomness
//! (enforced by `clippy.toml`).

pub mod admission;
pub mod allocator;
pub mod api;
pub mod auth;
pub mod bench;
pub mod check; // wiring: pki (`csrsim check`)
pub mod controller;
pub mod kubelet;
pub mod lookup;
pub mod pki;
pub mod registry;
pub mod remote;
pub mod rlimit;
pub mod scenario;
pub mod server;
pub mod signer;
pub mod sim;
pub mod store;
#[cfg(test)]
pub(crate) mod testutil;
pub mod validation;
