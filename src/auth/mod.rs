//! Identity, authentication helpers and authorization.
//!
//! The core authorizes every request with [`Attributes`] built the way kube-apiserver's
//! request-info resolver builds them; the RBAC authorizer lives in [`rbac`].

pub mod bootstrap_policy;
pub mod escalation;
pub mod identity;
pub mod impersonation;
pub mod rbac;
pub mod reviews;
pub mod tokens;

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

/// apiserver `forbiddenMessage` (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go`):
/// `User "alice" cannot update resource "certificatesigningrequests/approval" in API group
/// "certificates.k8s.io" at the cluster scope` (or `in the namespace "x"`), and for
/// non-resource requests `User "x" cannot get path "/foo"`.
pub fn forbidden_message(a: &Attributes) -> String {
    let user = &a.user.user;
    if !a.resource_request {
        return format!("User {user:?} cannot {} path {:?}", a.verb, a.path);
    }
    let resource = if a.subresource.is_empty() {
        a.resource.clone()
    } else {
        format!("{}/{}", a.resource, a.subresource)
    };
    if !a.namespace.is_empty() {
        format!(
            "User {user:?} cannot {} resource {resource:?} in API group {:?} in the namespace {:?}",
            a.verb, a.api_group, a.namespace
        )
    } else {
        format!(
            "User {user:?} cannot {} resource {resource:?} in API group {:?} at the cluster scope",
            a.verb, a.api_group
        )
    }
}

/// `responsewriters.Forbidden`: the 403 Status for a request the authorizer did not allow.
/// The message is [`forbidden_message`] plus `: <reason>` when the decision carried one,
/// wrapped as `apierrors.NewForbidden(<resource>.<group>, name, ...)`, which reads
/// `forbidden: ...` when there is no resource (non-resource requests).
pub fn forbidden_status(a: &Attributes, decision: &Decision) -> crate::api::Status {
    let reason = match decision {
        Decision::Allow(r) | Decision::NoOpinion(r) | Decision::Deny(r) => r.as_str(),
    };
    let msg = if reason.is_empty() {
        forbidden_message(a)
    } else {
        format!("{}: {reason}", forbidden_message(a))
    };
    let resource = if a.resource_request {
        a.resource.as_str()
    } else {
        ""
    };
    let group = if a.resource_request {
        a.api_group.as_str()
    } else {
        ""
    };
    if group.is_empty() && resource.is_empty() {
        let mut st = crate::api::Status::failure(403, "Forbidden", format!("forbidden: {msg}"));
        st.details = Some(crate::api::status::StatusDetails {
            name: a.name.clone(),
            ..Default::default()
        });
        return st;
    }
    crate::api::Status::forbidden(
        &crate::api::GroupResource::new(group, resource),
        &a.name,
        &msg,
    )
}

#[cfg(test)]
mod forbidden_tests {
    use super::*;

    fn a(verb: &str, group: &str, res: &str, sub: &str, ns: &str, name: &str) -> Attributes {
        Attributes {
            user: Identity::user("alice", &[]),
            verb: verb.into(),
            resource_request: true,
            api_group: group.into(),
            api_version: "v1".into(),
            resource: res.into(),
            subresource: sub.into(),
            namespace: ns.into(),
            name: name.into(),
            path: String::new(),
        }
    }

    #[test]
    fn forbidden_texts_match_apiserver() {
        let csr = "certificatesigningrequests";
        let cases = [
            (
                a("update", "certificates.k8s.io", csr, "approval", "", "x"),
                Decision::NoOpinion(String::new()),
                r#"certificatesigningrequests.certificates.k8s.io "x" is forbidden: User "alice" cannot update resource "certificatesigningrequests/approval" in API group "certificates.k8s.io" at the cluster scope"#,
            ),
            (
                a("list", "certificates.k8s.io", csr, "", "", ""),
                Decision::NoOpinion(String::new()),
                r#"certificatesigningrequests.certificates.k8s.io is forbidden: User "alice" cannot list resource "certificatesigningrequests" in API group "certificates.k8s.io" at the cluster scope"#,
            ),
            (
                a("create", "", "pods", "", "kube-system", ""),
                Decision::NoOpinion(
                    r#"RBAC: role.rbac.authorization.k8s.io "developer" not found"#.into(),
                ),
                r#"pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "kube-system": RBAC: role.rbac.authorization.k8s.io "developer" not found"#,
            ),
        ];
        for (at, d, want) in cases {
            let st = forbidden_status(&at, &d);
            assert_eq!(st.message, want);
            assert_eq!(st.code, 403);
            assert_eq!(st.reason, "Forbidden");
        }
        let nr = Attributes {
            user: Identity::user("x", &[]),
            verb: "get".into(),
            path: "/foo".into(),
            ..Default::default()
        };
        assert_eq!(forbidden_message(&nr), r#"User "x" cannot get path "/foo""#);
        assert_eq!(
            forbidden_status(&nr, &Decision::NoOpinion(String::new())).message,
            r#"forbidden: User "x" cannot get path "/foo""#
        );
    }
}
