//! `Impersonate-*` headers (`staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go`):
//! every requested attribute is authorized separately with the `impersonate` verb, in the
//! order user, groups, extras, uid; the first refusal is a 403 built by
//! `responsewriters.Forbidden` from that check's attributes.
//!
//! The server lower-cases and unescapes `Impersonate-Extra-<key>` header names before calling
//! [`impersonate`].

use super::identity::{Identity, ANONYMOUS, SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED};
use super::rbac::{Rbac, SERVICE_ACCOUNT_USERNAME_PREFIX};
use super::{forbidden_status, Attributes};
use crate::api::Status;
use std::collections::BTreeMap;

pub const IMPERSONATE_USER_HEADER: &str = "Impersonate-User";
pub const IMPERSONATE_GROUP_HEADER: &str = "Impersonate-Group";
pub const IMPERSONATE_UID_HEADER: &str = "Impersonate-Uid";
pub const IMPERSONATE_EXTRA_PREFIX: &str = "Impersonate-Extra-";
const AUTHN_GROUP: &str = "authentication.k8s.io";

/// One requested impersonation (`v1.ObjectReference` upstream).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Request {
    kind: &'static str,
    namespace: String,
    name: String,
    api_version: &'static str,
    field_path: String,
}

impl Request {
    fn new(kind: &'static str, name: &str) -> Self {
        Request {
            kind,
            namespace: String::new(),
            name: name.into(),
            api_version: "",
            field_path: String::new(),
        }
    }
    /// Go's `%v` of an ObjectReference: `{Kind Namespace Name UID APIVersion ResourceVersion FieldPath}`.
    fn go_v(&self) -> String {
        format!(
            "{{{} {} {}  {}  {}}}",
            self.kind, self.namespace, self.name, self.api_version, self.field_path
        )
    }
}

/// `serviceaccount.SplitUsername`: `system:serviceaccount:<ns>:<name>` with both parts valid.
fn split_service_account(user: &str) -> Option<(String, String)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USERNAME_PREFIX)?;
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() != 2 {
        return None;
    }
    let (ns, name) = (parts[0], parts[1]);
    let ns_ok = crate::validation::names::dns1123_label(ns).is_empty();
    let name_ok = crate::validation::names::dns1123_subdomain(name).is_empty();
    (ns_ok && name_ok).then(|| (ns.to_string(), name.to_string()))
}

/// Apply impersonation for `requester`. `Err` is the Status the filter writes: 403 for a
/// refused check, 500 for groups/extra/uid without a user (upstream writes that one as plain
/// text `Internal Server Error: "<uri>": requested [...] without impersonating a user`).
#[allow(clippy::result_large_err)]
pub fn impersonate(
    rbac: &Rbac,
    requester: &Identity,
    user: Option<&str>,
    groups: &[String],
    uid: Option<&str>,
    extra: &BTreeMap<String, Vec<String>>,
) -> Result<Identity, Status> {
    let user = user.filter(|u| !u.is_empty());
    let uid = uid.filter(|u| !u.is_empty());
    let mut reqs = Vec::new();
    if let Some(u) = user {
        match split_service_account(u) {
            Some((ns, name)) => reqs.push(Request {
                namespace: ns,
                ..Request::new("ServiceAccount", &name)
            }),
            None => reqs.push(Request::new("User", u)),
        }
    }
    for g in groups {
        reqs.push(Request::new("Group", g));
    }
    for (k, vs) in extra {
        for v in vs {
            reqs.push(Request {
                api_version: "authentication.k8s.io/v1",
                field_path: k.clone(),
                ..Request::new("UserExtra", v)
            });
        }
    }
    if let Some(u) = uid {
        reqs.push(Request {
            api_version: "authentication.k8s.io/v1",
            ..Request::new("UID", u)
        });
    }
    if user.is_none() && !reqs.is_empty() {
        let list: Vec<String> = reqs.iter().map(Request::go_v).collect();
        return Err(Status::failure(
            500,
            "InternalError",
            format!(
                "requested [{}] without impersonating a user",
                list.join(" ")
            ),
        ));
    }
    if reqs.is_empty() {
        return Ok(requester.clone());
    }

    let mut username = String::new();
    let mut out_groups: Vec<String> = Vec::new();
    let mut out_extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut out_uid = String::new();
    let groups_specified = !groups.is_empty();
    for r in &reqs {
        let mut a = Attributes {
            user: requester.clone(),
            verb: "impersonate".into(),
            resource_request: true,
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            ..Default::default()
        };
        match r.kind {
            "ServiceAccount" => {
                a.resource = "serviceaccounts".into();
                username = format!(
                    "{SERVICE_ACCOUNT_USERNAME_PREFIX}{}:{}",
                    r.namespace, r.name
                );
                if !groups_specified {
                    out_groups = vec![
                        "system:serviceaccounts".into(),
                        format!("system:serviceaccounts:{}", r.namespace),
                    ];
                }
            }
            "User" => {
                a.resource = "users".into();
                username = r.name.clone();
            }
            "Group" => {
                a.resource = "groups".into();
                out_groups.push(r.name.clone());
            }
            "UserExtra" => {
                a.api_group = AUTHN_GROUP.into();
                a.api_version = "v1".into();
                a.resource = "userextras".into();
                a.subresource = r.field_path.clone();
                out_extra
                    .entry(r.field_path.clone())
                    .or_default()
                    .push(r.name.clone());
            }
            _ => {
                a.api_group = AUTHN_GROUP.into();
                a.api_version = "v1".into();
                a.resource = "uids".into();
                out_uid = r.name.clone();
            }
        }
        let d = rbac.authorize(&a);
        if !d.allowed() {
            return Err(forbidden_status(&a, &d));
        }
    }
    if username != ANONYMOUS {
        if !out_groups
            .iter()
            .any(|g| g == SYSTEM_AUTHENTICATED || g == SYSTEM_UNAUTHENTICATED)
        {
            out_groups.push(SYSTEM_AUTHENTICATED.into());
        }
    } else if !out_groups.iter().any(|g| g == SYSTEM_UNAUTHENTICATED) {
        out_groups.push(SYSTEM_UNAUTHENTICATED.into());
    }
    Ok(Identity {
        user: username,
        uid: out_uid,
        groups: out_groups,
        extra: out_extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::rbac::{CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS};
    use serde_json::json;

    fn rbac() -> Rbac {
        let mut r = Rbac::new();
        r.on_write(CLUSTER_ROLES, "", "imp", Some(&json!({"metadata":{"name":"imp"},"rules":[
            {"verbs":["impersonate"],"apiGroups":[""],"resources":["users"],"resourceNames":["bob"]},
            {"verbs":["impersonate"],"apiGroups":[""],"resources":["groups"],"resourceNames":["devs"]},
            {"verbs":["impersonate"],"apiGroups":["authentication.k8s.io"],"resources":["userextras/scopes"]},
            {"verbs":["impersonate"],"apiGroups":[""],"resources":["serviceaccounts"]}
        ]})));
        r.on_write(CLUSTER_ROLE_BINDINGS, "", "imp", Some(&json!({"metadata":{"name":"imp"},
            "subjects":[{"kind":"User","name":"alice"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"imp"}})));
        r
    }

    #[test]
    fn allowed_impersonation_builds_identity() {
        let alice = Identity::user("alice", &[]);
        let extra = BTreeMap::from([("scopes".to_string(), vec!["view".to_string()])]);
        let id = impersonate(&rbac(), &alice, Some("bob"), &["devs".into()], None, &extra).unwrap();
        assert_eq!(id.user, "bob");
        assert_eq!(id.groups, vec!["devs", "system:authenticated"]);
        assert_eq!(id.extra, extra);
        let sa = impersonate(
            &rbac(),
            &alice,
            Some("system:serviceaccount:kube-system:robot"),
            &[],
            None,
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            sa.groups,
            vec![
                "system:serviceaccounts",
                "system:serviceaccounts:kube-system",
                "system:authenticated"
            ]
        );
        // No headers: the requester is unchanged.
        assert_eq!(
            impersonate(&rbac(), &alice, None, &[], None, &BTreeMap::new()).unwrap(),
            alice
        );
    }

    #[test]
    fn refusals_use_apiserver_texts() {
        let alice = Identity::user("alice", &[]);
        let e =
            impersonate(&rbac(), &alice, Some("carol"), &[], None, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                403,
                r#"users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#
            )
        );
        let e = impersonate(
            &rbac(),
            &alice,
            Some("bob"),
            &["admins".into()],
            None,
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            r#"groups "admins" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope"#
        );
        let e = impersonate(
            &rbac(),
            &alice,
            Some("bob"),
            &[],
            Some("1234"),
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            r#"uids.authentication.k8s.io "1234" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope"#
        );
        let extra = BTreeMap::from([("other".to_string(), vec!["x".to_string()])]);
        let e = impersonate(&rbac(), &alice, Some("bob"), &[], None, &extra).unwrap_err();
        assert_eq!(
            e.message,
            r#"userextras.authentication.k8s.io "x" is forbidden: User "alice" cannot impersonate resource "userextras/other" in API group "authentication.k8s.io" at the cluster scope"#
        );
        let e = impersonate(
            &rbac(),
            &alice,
            None,
            &["devs".into()],
            None,
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                500,
                "requested [{Group  devs    }] without impersonating a user"
            )
        );
    }
}
