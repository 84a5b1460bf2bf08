//! Wire types: the JSON shapes of the Kubernetes API objects csrsim serves.
//!
//! Invariant: every type here serializes exactly as kube-apiserver would (field names, omitted
//! empties, RFC 3339 seconds, base64 bytes) — `tests/core.rs` (`csr_json_round_trips_through_k8s_openapi`) checks it against
//! `k8s-openapi`.

pub mod csr;
pub mod depth;
pub mod go_types;
pub mod gojson;
pub mod goscan;
pub mod gostrconv;
pub mod goyaml;
pub mod managed_fields;
pub mod meta;
pub mod rbac;
pub mod resources;
pub mod status;
pub mod time;
pub mod watch;

pub use csr::{CertificateSigningRequest, CsrCondition, CsrSpec, CsrStatus};
pub use meta::{ListMeta, ListOptions, ObjectMeta};
pub use status::{GroupResource, Status};
pub use time::Time;
pub use watch::{EventType, WatchEvent};
