//! Random role graphs: ClusterRoles (some aggregating others through label selectors, as a
//! DAG), namespaced Roles, ClusterRoleBindings and RoleBindings with User/Group/ServiceAccount
//! subjects and dangling roleRefs, then random deletions. `Rbac::authorize` must agree with a
//! plain model that expands every reachable rule over a finite universe of requests.

use csrsim::api::rbac::PolicyRule;
use csrsim::auth::rbac::{Rbac, CLUSTER_ROLES, CLUSTER_ROLE_BINDINGS, ROLES, ROLE_BINDINGS};
use csrsim::auth::{Attributes, Identity};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const VERBS: &[&str] = &["get", "create", "update", "delete"];
const GROUPS: &[&str] = &["", "certificates.k8s.io"];
const RESOURCES: &[&str] = &[
    "certificatesigningrequests",
    "certificatesigningrequests/approval",
    "certificatesigningrequests/status",
    "signers",
    "secrets",
];
const NAMES: &[&str] = &["", "a", "b"];
const NAMESPACES: &[&str] = &["n0", "n1"];
const N_CLUSTER_ROLES: usize = 5;

type Tuple = (String, String, String, String);

fn expand(rule: &PolicyRule) -> BTreeSet<Tuple> {
    let pick = |list: &[String], u: &[&str]| -> Vec<String> {
        if list.iter().any(|x| x == "*") {
            u.iter().map(|s| s.to_string()).collect()
        } else {
            list.iter()
                .filter(|x| u.contains(&x.as_str()))
                .cloned()
                .collect()
        }
    };
    let mut res: BTreeSet<String> = pick(&rule.resources, RESOURCES).into_iter().collect();
    for r in &rule.resources {
        if let Some(sub) = r.strip_prefix("*/") {
            res.extend(
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
        rule.resource_names.clone()
    };
    let mut out = BTreeSet::new();
    for v in pick(&rule.verbs, VERBS) {
        for g in pick(&rule.api_groups, GROUPS) {
            for r in &res {
                for n in &names {
                    out.insert((v.clone(), g.clone(), r.clone(), n.clone()));
                }
            }
        }
    }
    out
}

fn subset(all: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(all.to_vec(), 1..=all.len().min(3))
        .prop_map(|v| v.into_iter().map(String::from).collect())
}

fn rule() -> impl Strategy<Value = PolicyRule> {
    (
        subset(&["get", "create", "update", "delete", "*"]),
        subset(&["", "certificates.k8s.io", "*"]),
        subset(&[
            "certificatesigningrequests",
            "certificatesigningrequests/approval",
            "*/approval",
            "*/status",
            "signers",
            "secrets",
            "*",
        ]),
        prop_oneof![Just(vec![]), subset(&["a", "b"])],
    )
        .prop_map(
            |(verbs, api_groups, resources, resource_names)| PolicyRule {
                verbs,
                api_groups,
                resources,
                resource_names,
                non_resource_urls: vec![],
            },
        )
}

#[derive(Debug, Clone)]
struct ClusterRoleSpec {
    rules: Vec<PolicyRule>,
    aggregator: bool,
    /// Indices j (> own index) of aggregators that select this role.
    to: Vec<usize>,
}

#[derive(Debug, Clone)]
struct BindingSpec {
    /// None = ClusterRoleBinding; Some(i) = RoleBinding in NAMESPACES[i].
    ns: Option<usize>,
    subjects: Vec<(u8, u8)>,
    /// (is ClusterRole, index); index past the end is a dangling reference.
    role: (bool, usize),
}

#[derive(Debug, Clone)]
struct Graph {
    cluster_roles: Vec<ClusterRoleSpec>,
    roles: Vec<Vec<Vec<PolicyRule>>>,
    bindings: Vec<BindingSpec>,
    deletes: Vec<usize>,
}

fn graph() -> impl Strategy<Value = Graph> {
    let crs = proptest::collection::vec(
        (
            proptest::collection::vec(rule(), 0..3),
            any::<bool>(),
            proptest::collection::vec(0usize..N_CLUSTER_ROLES, 0..3),
        ),
        N_CLUSTER_ROLES,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (rules, aggregator, to))| ClusterRoleSpec {
                rules,
                aggregator,
                to: to.into_iter().filter(|j| *j > i).collect(),
            })
            .collect::<Vec<_>>()
    });
    let roles = proptest::collection::vec(
        proptest::collection::vec(proptest::collection::vec(rule(), 0..3), 2),
        NAMESPACES.len(),
    );
    let binding = (
        prop_oneof![Just(None), (0..NAMESPACES.len()).prop_map(Some)],
        proptest::collection::vec((0u8..4, 0u8..3), 1..3),
        (any::<bool>(), 0usize..N_CLUSTER_ROLES + 1),
    )
        .prop_map(|(ns, subjects, role)| BindingSpec { ns, subjects, role });
    (
        crs,
        roles,
        proptest::collection::vec(binding, 0..7),
        proptest::collection::vec(0usize..20, 0..3),
    )
        .prop_map(|(cluster_roles, roles, bindings, deletes)| Graph {
            cluster_roles,
            roles,
            bindings,
            deletes,
        })
}

/// Subject kinds: 0 User u<n>, 1 Group g<n>, 2 ServiceAccount sa<n> with no namespace,
/// 3 ServiceAccount sa<n> in n0.
fn subject_json(kind: u8, n: u8) -> Value {
    match kind {
        0 => json!({"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":format!("u{n}")}),
        1 => json!({"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":format!("g{n}")}),
        2 => json!({"kind":"ServiceAccount","name":format!("sa{n}")}),
        _ => json!({"kind":"ServiceAccount","name":format!("sa{n}"),"namespace":"n0"}),
    }
}

fn applies(kind: u8, n: u8, who: &Identity, binding_ns: &str) -> bool {
    match kind {
        0 => who.user == format!("u{n}"),
        1 => who.in_group(&format!("g{n}")),
        2 => {
            !binding_ns.is_empty()
                && who.user == format!("system:serviceaccount:{binding_ns}:sa{n}")
        }
        _ => who.user == format!("system:serviceaccount:n0:sa{n}"),
    }
}

struct Built {
    rbac: Rbac,
    /// Model: effective rules per ClusterRole index (None = deleted).
    eff: Vec<Option<Vec<PolicyRule>>>,
    roles: BTreeMap<(usize, usize), Vec<PolicyRule>>,
    bindings: Vec<Option<BindingSpec>>,
}

fn build(g: &Graph) -> Built {
    let mut rbac = Rbac::new();
    // Binding-side writes first, then roles in reverse, to exercise recomputation order.
    let mut bindings: Vec<Option<BindingSpec>> = g.bindings.iter().cloned().map(Some).collect();
    for (i, b) in g.bindings.iter().enumerate() {
        let role_ref = if b.role.0 {
            json!({"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":format!("cr{}", b.role.1)})
        } else {
            json!({"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":format!("r{}", b.role.1)})
        };
        let subjects: Vec<Value> = b
            .subjects
            .iter()
            .map(|(k, n)| subject_json(*k, *n))
            .collect();
        let name = format!("b{i}");
        let obj = json!({"metadata":{"name":name},"subjects":subjects,"roleRef":role_ref});
        match b.ns {
            None => rbac.on_write(CLUSTER_ROLE_BINDINGS, "", &name, Some(&obj)),
            Some(ns) => rbac.on_write(ROLE_BINDINGS, NAMESPACES[ns], &name, Some(&obj)),
        }
    }
    for (i, cr) in g.cluster_roles.iter().enumerate().rev() {
        let labels: BTreeMap<String, String> = cr
            .to
            .iter()
            .map(|j| (format!("to-{j}"), "true".to_string()))
            .collect();
        let mut obj =
            json!({"metadata":{"name":format!("cr{i}"),"labels":labels},"rules":cr.rules});
        if cr.aggregator {
            obj["aggregationRule"] =
                json!({"clusterRoleSelectors":[{"matchLabels":{format!("to-{i}"):"true"}}]});
        }
        rbac.on_write(CLUSTER_ROLES, "", &format!("cr{i}"), Some(&obj));
    }
    let mut roles = BTreeMap::new();
    for (ns, rs) in g.roles.iter().enumerate() {
        for (i, rules) in rs.iter().enumerate() {
            rbac.on_write(
                ROLES,
                NAMESPACES[ns],
                &format!("r{i}"),
                Some(&json!({"metadata":{"name":format!("r{i}")},"rules":rules})),
            );
            roles.insert((ns, i), rules.clone());
        }
    }
    let mut alive: Vec<bool> = vec![true; N_CLUSTER_ROLES];
    // Deletes: indices < 5 delete a ClusterRole, 5..7 a Role, else a binding.
    for d in &g.deletes {
        match *d {
            i if i < N_CLUSTER_ROLES => {
                alive[i] = false;
                rbac.on_write(CLUSTER_ROLES, "", &format!("cr{i}"), None);
            }
            5 | 6 => {
                roles.remove(&(0, *d - 5));
                rbac.on_write(ROLES, "n0", &format!("r{}", *d - 5), None);
            }
            i => {
                let bi = i - 7;
                if let Some(Some(b)) = bindings.get(bi).cloned() {
                    match b.ns {
                        None => rbac.on_write(CLUSTER_ROLE_BINDINGS, "", &format!("b{bi}"), None),
                        Some(ns) => {
                            rbac.on_write(ROLE_BINDINGS, NAMESPACES[ns], &format!("b{bi}"), None)
                        }
                    }
                    bindings[bi] = None;
                }
            }
        }
    }
    // Model aggregation over the DAG, in index order.
    let mut eff: Vec<Option<Vec<PolicyRule>>> = vec![None; N_CLUSTER_ROLES];
    for j in 0..N_CLUSTER_ROLES {
        if !alive[j] {
            continue;
        }
        let cr = &g.cluster_roles[j];
        eff[j] = Some(if cr.aggregator {
            (0..j)
                .filter(|i| alive[*i] && g.cluster_roles[*i].to.contains(&j))
                .flat_map(|i| eff[i].clone().unwrap_or_default())
                .collect()
        } else {
            cr.rules.clone()
        });
    }
    Built {
        rbac,
        eff,
        roles,
        bindings,
    }
}

fn model_allows(b: &Built, who: &Identity, ns: &str, t: &Tuple) -> bool {
    for spec in b.bindings.iter().flatten() {
        let binding_ns = spec.ns.map(|i| NAMESPACES[i]).unwrap_or("");
        if spec.ns.is_some() && binding_ns != ns {
            continue;
        }
        if !spec
            .subjects
            .iter()
            .any(|(k, n)| applies(*k, *n, who, binding_ns))
        {
            continue;
        }
        let rules: Option<Vec<PolicyRule>> = if spec.role.0 {
            b.eff.get(spec.role.1).cloned().flatten()
        } else {
            spec.ns
                .and_then(|nsi| b.roles.get(&(nsi, spec.role.1)).cloned())
        };
        if rules
            .unwrap_or_default()
            .iter()
            .any(|r| expand(r).contains(t))
        {
            return true;
        }
    }
    false
}

fn identities() -> Vec<Identity> {
    let mut out = Vec::new();
    for u in [
        "u0",
        "u1",
        "u2",
        "system:serviceaccount:n0:sa0",
        "system:serviceaccount:n1:sa1",
        "system:serviceaccount:n0:sa2",
    ] {
        for groups in [&[][..], &["g0"][..], &["g1", "g2"][..]] {
            out.push(Identity::user(u, groups));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn random_role_graphs_agree_with_model(g in graph()) {
        let b = build(&g);
        for who in identities() {
            for ns in ["", "n0", "n1"] {
                for v in VERBS {
                    for grp in GROUPS {
                        for r in RESOURCES {
                            for n in NAMES {
                                let (res, sub) = r.split_once('/').unwrap_or((r, ""));
                                let a = Attributes { user: who.clone(), verb: v.to_string(), resource_request: true, api_group: grp.to_string(),
                                    api_version: "v1".into(), resource: res.into(), subresource: sub.into(), namespace: ns.into(), name: n.to_string(), path: String::new() };
                                let t = (v.to_string(), grp.to_string(), r.to_string(), n.to_string());
                                prop_assert_eq!(b.rbac.authorize(&a).allowed(), model_allows(&b, &who, ns, &t), "{} ns={} {} {} {} {:?}", who.user, ns, v, grp, r, n);
                            }
                        }
                    }
                }
            }
        }
    }
}
