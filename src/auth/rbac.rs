//! RBAC authorization (`plugin/pkg/auth/authorizer/rbac`).
//!
//! Placeholder until the RBAC issue lands: `system:masters` may do everything (as the
//! apiserver's privileged-group short-circuit does), the certificate controllers may do what
//! `system:controller:certificate-controller` allows, nodes get the Node authorizer's CSR
//! rights, nobody else anything.

use super::{Attributes, Decision};
use serde_json::Value;

/// The RBAC index: a projection of the stored Role/ClusterRole/(Cluster)RoleBinding objects
/// that the core keeps current by calling [`Rbac::on_write`] for every committed write.
#[derive(Default, Clone, Debug)]
pub struct Rbac {}

impl Rbac {
    pub fn new() -> Self {
        Rbac {}
    }

    /// Keep the index current: `obj` is the new object, or `None` after a delete.
    pub fn on_write(
        &mut self,
        _resource: &str,
        _namespace: &str,
        _name: &str,
        _obj: Option<&Value>,
    ) {
    }

    pub fn authorize(&self, a: &Attributes) -> Decision {
        if a.user.in_group(super::identity::SYSTEM_MASTERS) {
            return Decision::Allow(String::new());
        }
        if a.user.user == "system:kube-controller-manager" {
            return Decision::Allow(String::new());
        }
        if a.user.node_name().is_some()
            && a.resource == "certificatesigningrequests"
            && a.subresource.is_empty()
            && matches!(a.verb.as_str(), "create" | "get" | "list" | "watch")
        {
            return Decision::Allow(String::new());
        }
        Decision::NoOpinion(String::new())
    }
}
