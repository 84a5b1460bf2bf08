//! The four built-in signer policies of kube-controller-manager's `csrsigning` controllers,
//! one file each (`isRequestForSignerFn` in `pkg/controller/certificates/signer/signer.go`),
//! plus the lifetime rules shared by all of them ([`lifetime`]).
//!
//! A policy sees the parsed request and `spec.usages`; it either accepts (`Ok(())`) or returns
//! the upstream error text, which the controller records as a `Failed` condition with reason
//! `SignerValidationFailure`.

pub mod kube_apiserver_client;
pub mod kube_apiserver_client_kubelet;
pub mod kubelet_serving;
pub mod legacy_unknown;
pub mod lifetime;

use crate::api::csr::{
    KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, LEGACY_UNKNOWN,
};
use crate::pki::csr::ParsedCsr;
use std::collections::BTreeSet;

/// Upstream error texts shared by the kubelet policies (`pkg/apis/certificates/v1/helpers.go`).
pub const ORGANIZATION_NOT_SYSTEM_NODES: &str = "subject organization is not system:nodes";
pub const COMMON_NAME_NOT_SYSTEM_NODE: &str =
    "subject common name does not begin with system:node:";
pub const DNS_SAN_NOT_ALLOWED: &str = "DNS subjectAltNames are not allowed";
pub const EMAIL_SAN_NOT_ALLOWED: &str = "Email subjectAltNames are not allowed";
pub const IP_SAN_NOT_ALLOWED: &str = "IP subjectAltNames are not allowed";
pub const URI_SAN_NOT_ALLOWED: &str = "URI subjectAltNames are not allowed";
pub const DNS_OR_IP_SAN_REQUIRED: &str = "DNS or IP subjectAltName is required";
/// Prefix of node identities.
pub const NODE_CN_PREFIX: &str = "system:node:";
pub const NODES_GROUP: &str = "system:nodes";

/// A signer policy: the parsed request and `spec.usages` → accepted, or the upstream message.
pub type Policy = fn(&ParsedCsr, &[String]) -> Result<(), String>;

/// The policy of a built-in signer: `None` for any other signer name (no controller will ever
/// issue it).
pub fn policy_for(signer_name: &str) -> Option<Policy> {
    Some(match signer_name {
        KUBE_APISERVER_CLIENT => kube_apiserver_client::check,
        KUBE_APISERVER_CLIENT_KUBELET => kube_apiserver_client_kubelet::check,
        KUBELET_SERVING => kubelet_serving::check,
        LEGACY_UNKNOWN => legacy_unknown::check,
        _ => return None,
    })
}

/// `sets.NewString(usages...)`: the kubelet policies compare usage sets.
pub fn usage_set(usages: &[String]) -> BTreeSet<&str> {
    usages.iter().map(String::as_str).collect()
}

/// `reflect.DeepEqual([]string{"system:nodes"}, req.Subject.Organization)`.
pub fn organization_is_system_nodes(req: &ParsedCsr) -> bool {
    req.subject.organization == [NODES_GROUP]
}
