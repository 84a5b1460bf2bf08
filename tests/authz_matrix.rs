//! Authorization matrix: identities × verbs × resources (incl. subresources) × signer names,
//! decided by `Rbac::authorize` and by a plain model that expands every granted rule into the
//! finite set of concrete (verb, group, resource, name) tuples it allows, then looks the
//! request up. Also checks `IsAuthorizedForSignerName` (exact name, then `<domain>/*`).

use csrsim::admission::is_authorized_for_signer_name;
use csrsim::api::rbac::{PolicyRule, RoleBinding};
use csrsim::auth::bootstrap_policy::default_objects;
use csrsim::auth::rbac::Rbac;
use csrsim::auth::{Attributes, Identity};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "approve",
    "sign",
    "escalate",
    "bind",
    "impersonate",
];
const GROUPS: &[&str] = &[
    "",
    "certificates.k8s.io",
    "rbac.authorization.k8s.io",
    "authorization.k8s.io",
];
const RESOURCES: &[&str] = &[
    "certificatesigningrequests",
    "certificatesigningrequests/approval",
    "certificatesigningrequests/status",
    "certificatesigningrequests/nodeclient",
    "certificatesigningrequests/selfnodeclient",
    "signers",
    "secrets",
    "pods",
    "pods/status",
    "clusterroles",
    "selfsubjectaccessreviews",
];
const NAMES: &[&str] = &[
    "",
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/kubelet-serving",
    "kubernetes.io/legacy-unknown",
    "kubernetes.io/*",
    "example.com/foo",
    "example.com/bar",
    "example.com/*",
    "*",
];

type Tuple = (String, String, String, String);

/// Expand one rule over the universe: wildcards become every element, `*/sub` every resource
/// with that subresource, no resourceNames every name.
fn expand(rule: &PolicyRule) -> BTreeSet<Tuple> {
    let pick = |list: &[String], universe: &[&str]| -> Vec<String> {
        if list.iter().any(|x| x == "*") {
            universe.iter().map(|s| s.to_string()).collect()
        } else {
            list.iter()
                .filter(|x| universe.contains(&x.as_str()))
                .cloned()
                .collect()
        }
    };
    let mut resources: BTreeSet<String> = pick(&rule.resources, RESOURCES).into_iter().collect();
    for r in &rule.resources {
        if let Some(sub) = r.strip_prefix("*/") {
            resources.extend(
                RESOURCES
                    .iter()
                    .filter(|x| x.ends_with(&format!("/{sub}")))
                    .map(|s| s.to_string()),
            );
        }
    }
    let names: Vec<String> = if rule.resource_names.is_empty() {
        NAMES.iter().map(|s| s.to_string()).collect()
    } else {
        rule.resource_names
            .iter()
            .filter(|n| NAMES.contains(&n.as_str()))
            .cloned()
            .collect()
    };
    let mut out = BTreeSet::new();
    for v in pick(&rule.verbs, VERBS) {
        for g in pick(&rule.api_groups, GROUPS) {
            for r in &resources {
                for n in &names {
                    out.insert((v.clone(), g.clone(), r.clone(), n.clone()));
                }
            }
        }
    }
    out
}

/// The plain model: cluster-scoped requests only (ClusterRoleBindings), plus the two
/// authorizers in front of RBAC.
struct Model {
    roles: Vec<(String, Vec<PolicyRule>)>,
    bindings: Vec<RoleBinding>,
}

impl Model {
    fn grants(&self, who: &Identity) -> BTreeSet<Tuple> {
        let mut out = BTreeSet::new();
        if who.groups.iter().any(|g| g == "system:masters") {
            out.extend(expand(&PolicyRule::resource(&["*"], &["*"], &["*"])));
        }
        if who.user.starts_with("system:node:") && who.groups.iter().any(|g| g == "system:nodes") {
            out.extend(expand(&PolicyRule::resource(
                &["create", "get", "list", "watch"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests"],
            )));
        }
        for b in &self.bindings {
            let applies = b.subjects.iter().any(|s| match s.kind.as_str() {
                "User" => s.name == who.user,
                "Group" => who.groups.contains(&s.name),
                _ => false,
            });
            if !applies {
                continue;
            }
            if let Some((_, rules)) = self.roles.iter().find(|(n, _)| *n == b.role_ref.name) {
                for r in rules {
                    out.extend(expand(r));
                }
            }
        }
        out
    }
}

fn extra_objects() -> Vec<(&'static str, Value)> {
    vec![
        (
            "clusterroles",
            json!({"metadata":{"name":"example-approver"},"rules":[
            {"verbs":["approve"],"apiGroups":["certificates.k8s.io"],"resources":["signers"],"resourceNames":["example.com/*"]},
            {"verbs":["update"],"apiGroups":["certificates.k8s.io"],"resources":["*/approval"]}]}),
        ),
        (
            "clusterroles",
            json!({"metadata":{"name":"star-name"},"rules":[
            {"verbs":["sign"],"apiGroups":["*"],"resources":["signers"],"resourceNames":["*"]}]}),
        ),
        (
            "clusterroles",
            json!({"metadata":{"name":"reader"},"rules":[
            {"verbs":["get","list","watch"],"apiGroups":["certificates.k8s.io"],"resources":["certificatesigningrequests"]},
            {"verbs":["get"],"apiGroups":[""],"resources":["*"]}]}),
        ),
        (
            "clusterrolebindings",
            json!({"metadata":{"name":"carol-example"},"subjects":[{"kind":"User","name":"carol"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"example-approver"}}),
        ),
        (
            "clusterrolebindings",
            json!({"metadata":{"name":"dave-star"},"subjects":[{"kind":"User","name":"dave"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"star-name"}}),
        ),
        (
            "clusterrolebindings",
            json!({"metadata":{"name":"readers"},"subjects":[{"kind":"Group","name":"readers"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"reader"}}),
        ),
        (
            "clusterrolebindings",
            json!({"metadata":{"name":"erin-client-approver"},"subjects":[{"kind":"User","name":"erin"}],
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:certificates.k8s.io:kube-apiserver-client-approver"}}),
        ),
    ]
}

fn identities() -> Vec<Identity> {
    vec![
        Identity::admin(),
        Identity::node("n1"),
        Identity::controller_manager(),
        Identity::user(
            "system:bootstrap:abcdef",
            &[
                "system:bootstrappers",
                "system:bootstrappers:kubeadm:default-node-token",
            ],
        ),
        Identity::user("carol", &[]),
        Identity::user("dave", &[]),
        Identity::user("erin", &[]),
        Identity::user("frank", &["readers"]),
        Identity::user("nobody", &[]),
        Identity::anonymous(),
    ]
}

fn setup() -> (Rbac, Model) {
    let mut rbac = Rbac::new();
    let mut model = Model {
        roles: Vec::new(),
        bindings: Vec::new(),
    };
    for (res, obj) in default_objects(true).into_iter().chain(extra_objects()) {
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        rbac.on_write(res, "", &name, Some(&obj));
        match res {
            "clusterroles" => {
                // The model has no aggregation: it only needs the roles the matrix binds.
                let rules: Vec<PolicyRule> = serde_json::from_value(obj["rules"].clone()).unwrap();
                model.roles.push((name, rules));
            }
            _ => model.bindings.push(serde_json::from_value(obj).unwrap()),
        }
    }
    (rbac, model)
}

fn attrs(who: &Identity, verb: &str, group: &str, combined: &str, name: &str) -> Attributes {
    let (resource, sub) = combined.split_once('/').unwrap_or((combined, ""));
    Attributes {
        user: who.clone(),
        verb: verb.into(),
        resource_request: true,
        api_group: group.into(),
        api_version: "v1".into(),
        resource: resource.into(),
        subresource: sub.into(),
        namespace: String::new(),
        name: name.into(),
        path: String::new(),
    }
}

#[test]
fn matrix_agrees_with_plain_model() {
    let (rbac, model) = setup();
    let mut checked = 0usize;
    let mut allowed = 0usize;
    for who in identities() {
        let grants = model.grants(&who);
        for v in VERBS {
            for g in GROUPS {
                for r in RESOURCES {
                    for n in NAMES {
                        let want = grants.contains(&(
                            v.to_string(),
                            g.to_string(),
                            r.to_string(),
                            n.to_string(),
                        ));
                        let got = rbac.authorize(&attrs(&who, v, g, r, n)).allowed();
                        assert_eq!(got, want, "{} {v} {g} {r} {n:?}", who.user);
                        checked += 1;
                        allowed += got as usize;
                    }
                }
            }
        }
    }
    assert!(
        allowed > 0 && allowed < checked,
        "matrix must contain both answers"
    );
}

#[test]
fn signer_name_authorization_matrix() {
    let (rbac, model) = setup();
    let authz = |a: &Attributes| rbac.authorize(a);
    let signers = [
        "kubernetes.io/kube-apiserver-client",
        "kubernetes.io/kube-apiserver-client-kubelet",
        "kubernetes.io/kubelet-serving",
        "kubernetes.io/legacy-unknown",
        "example.com/foo",
        "example.com/bar",
    ];
    for who in identities() {
        let grants = model.grants(&who);
        for verb in ["approve", "sign"] {
            for s in signers {
                let domain = s.split('/').next().unwrap();
                let has = |n: &str| {
                    grants.contains(&(
                        verb.into(),
                        "certificates.k8s.io".into(),
                        "signers".into(),
                        n.into(),
                    ))
                };
                let want = has(s) || has(&format!("{domain}/*"));
                assert_eq!(
                    is_authorized_for_signer_name(&authz, &who, verb, s),
                    want,
                    "{} {verb} {s}",
                    who.user
                );
            }
        }
    }
    // Spot checks of the upstream semantics.
    let carol = Identity::user("carol", &[]);
    assert!(is_authorized_for_signer_name(
        &authz,
        &carol,
        "approve",
        "example.com/anything"
    ));
    assert!(!is_authorized_for_signer_name(
        &authz,
        &carol,
        "approve",
        "kubernetes.io/kube-apiserver-client"
    ));
    let dave = Identity::user("dave", &[]);
    assert!(
        !is_authorized_for_signer_name(&authz, &dave, "sign", "example.com/foo"),
        "resourceNames [*] is literal"
    );
    let kcm = Identity::controller_manager();
    assert!(is_authorized_for_signer_name(
        &authz,
        &kcm,
        "approve",
        "kubernetes.io/kube-apiserver-client-kubelet"
    ));
    assert!(!is_authorized_for_signer_name(
        &authz,
        &kcm,
        "approve",
        "kubernetes.io/kube-apiserver-client"
    ));
    assert!(is_authorized_for_signer_name(
        &authz,
        &kcm,
        "sign",
        "kubernetes.io/kubelet-serving"
    ));
}
