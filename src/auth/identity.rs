//! Who is making a request (`user.Info` in the apiserver).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SYSTEM_AUTHENTICATED: &str = "system:authenticated";
pub const SYSTEM_UNAUTHENTICATED: &str = "system:unauthenticated";
pub const SYSTEM_MASTERS: &str = "system:masters";
pub const SYSTEM_NODES: &str = "system:nodes";
pub const NODE_USER_PREFIX: &str = "system:node:";
pub const ANONYMOUS: &str = "system:anonymous";

/// An authenticated (or anonymous) user: name, uid, groups, extra.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    pub user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl Identity {
    /// An authenticated user: `system:authenticated` is appended (as the apiserver's group adder
    /// does) unless already present.
    pub fn user(name: &str, groups: &[&str]) -> Identity {
        let mut groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        if !groups.iter().any(|g| g == SYSTEM_AUTHENTICATED) {
            groups.push(SYSTEM_AUTHENTICATED.to_string());
        }
        Identity {
            user: name.into(),
            uid: String::new(),
            groups,
            extra: BTreeMap::new(),
        }
    }

    /// `kubernetes-admin` in `system:masters` (kubeadm's admin.conf user).
    pub fn admin() -> Identity {
        Identity::user("kubernetes-admin", &[SYSTEM_MASTERS])
    }

    /// A kubelet's identity: `system:node:<name>` in `system:nodes`.
    pub fn node(node_name: &str) -> Identity {
        Identity::user(&format!("{NODE_USER_PREFIX}{node_name}"), &[SYSTEM_NODES])
    }

    /// The identity kube-controller-manager's certificate controllers act as.
    pub fn controller_manager() -> Identity {
        Identity::user("system:kube-controller-manager", &[])
    }

    pub fn anonymous() -> Identity {
        Identity {
            user: ANONYMOUS.into(),
            uid: String::new(),
            groups: vec![SYSTEM_UNAUTHENTICATED.into()],
            extra: BTreeMap::new(),
        }
    }

    pub fn in_group(&self, g: &str) -> bool {
        self.groups.iter().any(|x| x == g)
    }

    /// The node name if this is a node identity (`system:node:<n>` in `system:nodes`).
    pub fn node_name(&self) -> Option<&str> {
        if !self.in_group(SYSTEM_NODES) {
            return None;
        }
        self.user
            .strip_prefix(NODE_USER_PREFIX)
            .filter(|n| !n.is_empty())
    }
}
