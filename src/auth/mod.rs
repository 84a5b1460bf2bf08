//! Identity, authentication helpers and authorization.
//!
//! The core authorizes every request with [`Attributes`] built the way kube-apiserver's
//! request-info resolver builds them; the RBAC authorizer lives in [`rbac`].

pub mod identity;
pub mod rbac;

pub use identity::Identity;

/// What is being asked (`authorizer.Attributes`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub user: Identity,
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`,
    /// `approve`, `sign`, `impersonate`, `escalate`, `bind`, or an HTTP verb for non-resource URLs.
    pub verb: String,
    pub resource_request: bool,
    pub api_group: String,
    pub api_version: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    /// Non-resource requests only.
    pub path: String,
}

/// The answer of an authorizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow(String),
    /// No rule allowed it; the string is the reason (may be empty).
    NoOpinion(String),
    Deny(String),
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}
