//! The default RBAC objects kube-apiserver reconciles at startup
//! (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`, `controller_policy.go`), the
//! Roles and RoleBindings it keeps in `kube-system` and `kube-public` (`namespace_policy.go`,
//! golden files `testdata/namespace-roles.yaml`, `namespace-role-bindings.yaml`) and,
//! optionally, the bindings `kubeadm init` adds for TLS bootstrap and rotation
//! (`cmd/kubeadm/app/phases/bootstraptoken/node/tlsbootstrap.go`, `.../kubeconfig`).
//!
//! Rule lists are exact for every role the certificate workflow touches. `admin`/`edit`/`view`
//! keep their upstream aggregation structure, but the `system:aggregate-to-*` parts carry only
//! the rules for core-group and RBAC resources (upstream lists every workload API group).
//! `system:node` carries the node rules the CSR workflow uses (see [`super::rbac::node_rules`]).
//! `system:kube-controller-manager`'s non-certificate rules follow a recent release from memory
//! (leases, service-account tokens, shared informers) and may differ slightly between releases.

use super::rbac::node_rules;
use crate::api::csr::{
    KUBELET_SERVING, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, LEGACY_UNKNOWN,
};
use crate::api::rbac::{PolicyRule, Subject, API_VERSION};
use serde_json::{json, Value};

/// Label every bootstrap-policy object carries.
pub const BOOTSTRAPPING_LABEL: &str = "kubernetes.io/bootstrapping";
pub const BOOTSTRAPPING_VALUE: &str = "rbac-defaults";
/// Annotation that lets the apiserver re-reconcile the object at startup.
pub const AUTOUPDATE_ANNOTATION: &str = "rbac.authorization.kubernetes.io/autoupdate";

/// Aggregation labels of the user-facing roles.
pub const AGGREGATE_TO_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
pub const AGGREGATE_TO_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
pub const AGGREGATE_TO_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

/// `bootstrappolicy`'s role names for the CSR subresources the approver checks.
pub const NODECLIENT_ROLE: &str =
    "system:certificates.k8s.io:certificatesigningrequests:nodeclient";
pub const SELFNODECLIENT_ROLE: &str =
    "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient";
pub const NODE_BOOTSTRAPPER_ROLE: &str = "system:node-bootstrapper";
pub const CERTIFICATE_CONTROLLER_ROLE: &str = "system:controller:certificate-controller";
pub const KUBE_CONTROLLER_MANAGER_USER: &str = "system:kube-controller-manager";

/// kubeadm's default bootstrap-token group (`constants.NodeBootstrapTokenAuthGroup`).
pub const KUBEADM_BOOTSTRAP_GROUP: &str = "system:bootstrappers:kubeadm:default-node-token";
/// kubeadm ≥ 1.29 admin group bound to cluster-admin (`constants.ClusterAdminsGroupAndClusterRoleBinding`).
pub const KUBEADM_CLUSTER_ADMINS: &str = "kubeadm:cluster-admins";

/// csrsim-only binding: the simulator's controllers all act as `system:kube-controller-manager`
/// (no `--use-service-account-credentials`), so that user also gets the certificate
/// controller's role. Upstream binds it to ServiceAccount `kube-system/certificate-controller`.
pub const CSRSIM_KCM_CERT_BINDING: &str = "csrsim:kube-controller-manager:certificate-controller";

const CERTS: &str = "certificates.k8s.io";
const CSR: &str = "certificatesigningrequests";

fn bootstrap_meta(name: &str, extra_labels: &[(&str, &str)]) -> Value {
    let mut labels = serde_json::Map::new();
    labels.insert(BOOTSTRAPPING_LABEL.into(), BOOTSTRAPPING_VALUE.into());
    for (k, v) in extra_labels {
        labels.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({"name": name, "labels": labels, "annotations": {AUTOUPDATE_ANNOTATION: "true"}})
}

fn cluster_role(
    name: &str,
    labels: &[(&str, &str)],
    rules: Vec<PolicyRule>,
) -> (&'static str, Value) {
    (
        "clusterroles",
        json!({"apiVersion": API_VERSION, "kind": "ClusterRole", "metadata": bootstrap_meta(name, labels), "rules": rules}),
    )
}

fn aggregated_role(name: &str, labels: &[(&str, &str)], select: &str) -> (&'static str, Value) {
    (
        "clusterroles",
        json!({"apiVersion": API_VERSION, "kind": "ClusterRole", "metadata": bootstrap_meta(name, labels),
               "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {select: "true"}}]}, "rules": []}),
    )
}

fn binding(role: &str, subjects: Vec<Subject>, meta: Value) -> (&'static str, Value) {
    let mut b = json!({"apiVersion": API_VERSION, "kind": "ClusterRoleBinding", "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}});
    if !subjects.is_empty() {
        b["subjects"] = serde_json::to_value(subjects).expect("subjects serialize");
    }
    ("clusterrolebindings", b)
}

fn bootstrap_binding(name: &str, role: &str, subjects: Vec<Subject>) -> (&'static str, Value) {
    binding(role, subjects, bootstrap_meta(name, &[]))
}

fn kubeadm_binding(name: &str, role: &str, subjects: Vec<Subject>) -> (&'static str, Value) {
    binding(role, subjects, json!({"name": name}))
}

fn r(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule::resource(verbs, groups, resources)
}

/// `eventsRule()` (the rule builder sorts verbs: create, patch, update).
fn events_rule() -> PolicyRule {
    r(
        &["create", "patch", "update"],
        &["", "events.k8s.io"],
        &["events"],
    )
}

/// `buildApprovalClusterRoleForSigners`: `approve` on `signers` named exactly `signer`.
fn approver_role(name: &str, signer: &str) -> (&'static str, Value) {
    cluster_role(
        name,
        &[],
        vec![r(&["approve"], &[CERTS], &["signers"]).names(&[signer])],
    )
}

/// The default objects, ClusterRoles first, then ClusterRoleBindings; with `kubeadm`, the
/// kubeadm TLS-bootstrap objects are appended.
pub fn default_objects(kubeadm: bool) -> Vec<(&'static str, Value)> {
    let read = &["get", "list", "watch"];
    let write = &["create", "delete", "deletecollection", "patch", "update"];
    let mut out = vec![
        cluster_role(
            "cluster-admin",
            &[],
            vec![r(&["*"], &["*"], &["*"]), PolicyRule::urls(&["*"], &["*"])],
        ),
        cluster_role(
            "system:discovery",
            &[],
            vec![PolicyRule::urls(
                &["get"],
                &[
                    "/api",
                    "/api/*",
                    "/apis",
                    "/apis/*",
                    "/healthz",
                    "/livez",
                    "/openapi",
                    "/openapi/*",
                    "/readyz",
                    "/version",
                    "/version/",
                ],
            )],
        ),
        cluster_role(
            "system:basic-user",
            &[],
            vec![
                r(
                    &["create"],
                    &["authentication.k8s.io"],
                    &["selfsubjectreviews"],
                ),
                r(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                ),
            ],
        ),
        cluster_role(
            "system:public-info-viewer",
            &[],
            vec![PolicyRule::urls(
                &["get"],
                &["/healthz", "/livez", "/readyz", "/version", "/version/"],
            )],
        ),
        // Read access to the monitoring endpoints, `/metrics` included (bound to the group
        // `system:monitoring`; nobody else but system:masters may read `/metrics`).
        cluster_role(
            "system:monitoring",
            &[],
            vec![PolicyRule::urls(
                &["get"],
                &[
                    "/metrics",
                    "/metrics/slis",
                    "/livez",
                    "/readyz",
                    "/healthz",
                    "/livez/*",
                    "/readyz/*",
                    "/healthz/*",
                ],
            )],
        ),
        aggregated_role("admin", &[], AGGREGATE_TO_ADMIN),
        aggregated_role("edit", &[(AGGREGATE_TO_ADMIN, "true")], AGGREGATE_TO_EDIT),
        aggregated_role("view", &[(AGGREGATE_TO_EDIT, "true")], AGGREGATE_TO_VIEW),
        cluster_role(
            "system:aggregate-to-admin",
            &[(AGGREGATE_TO_ADMIN, "true")],
            vec![
                r(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["localsubjectaccessreviews"],
                ),
                r(
                    &[
                        "create",
                        "delete",
                        "deletecollection",
                        "get",
                        "list",
                        "patch",
                        "update",
                        "watch",
                    ],
                    &["rbac.authorization.k8s.io"],
                    &["rolebindings", "roles"],
                ),
            ],
        ),
        cluster_role(
            "system:aggregate-to-edit",
            &[(AGGREGATE_TO_EDIT, "true")],
            vec![
                r(
                    write,
                    &[""],
                    &[
                        "configmaps",
                        "events",
                        "persistentvolumeclaims",
                        "pods",
                        "replicationcontrollers",
                        "secrets",
                        "serviceaccounts",
                        "services",
                    ],
                ),
                r(read, &[""], &["secrets", "serviceaccounts"]),
            ],
        ),
        cluster_role(
            "system:aggregate-to-view",
            &[(AGGREGATE_TO_VIEW, "true")],
            vec![
                r(
                    read,
                    &[""],
                    &[
                        "configmaps",
                        "endpoints",
                        "persistentvolumeclaims",
                        "pods",
                        "replicationcontrollers",
                        "services",
                    ],
                ),
                r(
                    read,
                    &[""],
                    &[
                        "events",
                        "limitranges",
                        "namespaces/status",
                        "pods/log",
                        "pods/status",
                        "resourcequotas",
                    ],
                ),
                r(read, &[""], &["namespaces"]),
            ],
        ),
        cluster_role("system:node", &[], node_rules()),
        cluster_role(
            NODE_BOOTSTRAPPER_ROLE,
            &[],
            vec![r(&["create", "get", "list", "watch"], &[CERTS], &[CSR])],
        ),
        cluster_role(
            NODECLIENT_ROLE,
            &[],
            vec![r(
                &["create"],
                &[CERTS],
                &["certificatesigningrequests/nodeclient"],
            )],
        ),
        cluster_role(
            SELFNODECLIENT_ROLE,
            &[],
            vec![r(
                &["create"],
                &[CERTS],
                &["certificatesigningrequests/selfnodeclient"],
            )],
        ),
        approver_role(
            "system:certificates.k8s.io:legacy-unknown-approver",
            LEGACY_UNKNOWN,
        ),
        approver_role(
            "system:certificates.k8s.io:kubelet-serving-approver",
            KUBELET_SERVING,
        ),
        approver_role(
            "system:certificates.k8s.io:kube-apiserver-client-approver",
            KUBE_APISERVER_CLIENT,
        ),
        approver_role(
            "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
            KUBE_APISERVER_CLIENT_KUBELET,
        ),
        cluster_role(
            KUBE_CONTROLLER_MANAGER_USER,
            &[],
            vec![
                events_rule(),
                r(&["create"], &["coordination.k8s.io"], &["leases"]),
                r(&["get", "update"], &["coordination.k8s.io"], &["leases"])
                    .names(&["kube-controller-manager"]),
                r(&["create"], &[""], &["secrets", "serviceaccounts"]),
                r(&["delete"], &[""], &["secrets"]),
                r(
                    &["get"],
                    &[""],
                    &["configmaps", "namespaces", "secrets", "serviceaccounts"],
                ),
                r(&["update"], &[""], &["secrets", "serviceaccounts"]),
                r(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
                r(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["subjectaccessreviews"],
                ),
                r(&["list", "watch"], &["*"], &["*"]),
                r(&["create"], &[""], &["serviceaccounts/token"]),
            ],
        ),
        cluster_role(
            CERTIFICATE_CONTROLLER_ROLE,
            &[],
            vec![
                r(&["delete", "get", "list", "watch"], &[CERTS], &[CSR]),
                r(
                    &["update"],
                    &[CERTS],
                    &[
                        "certificatesigningrequests/approval",
                        "certificatesigningrequests/status",
                    ],
                ),
                r(&["approve"], &[CERTS], &["signers"]).names(&[KUBE_APISERVER_CLIENT_KUBELET]),
                r(&["sign"], &[CERTS], &["signers"]).names(&[
                    LEGACY_UNKNOWN,
                    KUBE_APISERVER_CLIENT,
                    KUBE_APISERVER_CLIENT_KUBELET,
                    KUBELET_SERVING,
                ]),
                r(
                    &["create"],
                    &["authorization.k8s.io"],
                    &["subjectaccessreviews"],
                ),
                events_rule(),
            ],
        ),
        bootstrap_binding(
            "cluster-admin",
            "cluster-admin",
            vec![Subject::group("system:masters")],
        ),
        bootstrap_binding(
            "system:discovery",
            "system:discovery",
            vec![Subject::group("system:authenticated")],
        ),
        bootstrap_binding(
            "system:basic-user",
            "system:basic-user",
            vec![Subject::group("system:authenticated")],
        ),
        bootstrap_binding(
            "system:public-info-viewer",
            "system:public-info-viewer",
            vec![
                Subject::group("system:authenticated"),
                Subject::group("system:unauthenticated"),
            ],
        ),
        bootstrap_binding(
            "system:monitoring",
            "system:monitoring",
            vec![Subject::group("system:monitoring")],
        ),
        bootstrap_binding("system:node", "system:node", vec![]),
        bootstrap_binding(
            KUBE_CONTROLLER_MANAGER_USER,
            KUBE_CONTROLLER_MANAGER_USER,
            vec![Subject::user(KUBE_CONTROLLER_MANAGER_USER)],
        ),
        bootstrap_binding(
            CERTIFICATE_CONTROLLER_ROLE,
            CERTIFICATE_CONTROLLER_ROLE,
            vec![Subject::service_account(
                "kube-system",
                "certificate-controller",
            )],
        ),
        kubeadm_binding(
            CSRSIM_KCM_CERT_BINDING,
            CERTIFICATE_CONTROLLER_ROLE,
            vec![Subject::user(KUBE_CONTROLLER_MANAGER_USER)],
        ),
    ];
    if kubeadm {
        out.push((
            "clusterroles",
            json!({"apiVersion": API_VERSION, "kind": "ClusterRole", "metadata": {"name": "kubeadm:get-nodes"},
                   "rules": [r(&["get"], &[""], &["nodes"])]}),
        ));
        out.push(kubeadm_binding(
            "kubeadm:cluster-admins",
            "cluster-admin",
            vec![Subject::group(KUBEADM_CLUSTER_ADMINS)],
        ));
        out.push(kubeadm_binding(
            "kubeadm:get-nodes",
            "kubeadm:get-nodes",
            vec![Subject::group(KUBEADM_BOOTSTRAP_GROUP)],
        ));
        out.push(kubeadm_binding(
            "kubeadm:kubelet-bootstrap",
            NODE_BOOTSTRAPPER_ROLE,
            vec![Subject::group(KUBEADM_BOOTSTRAP_GROUP)],
        ));
        out.push(kubeadm_binding(
            "kubeadm:node-autoapprove-bootstrap",
            NODECLIENT_ROLE,
            vec![Subject::group(KUBEADM_BOOTSTRAP_GROUP)],
        ));
        out.push(kubeadm_binding(
            "kubeadm:node-autoapprove-certificate-rotation",
            SELFNODECLIENT_ROLE,
            vec![Subject::group("system:nodes")],
        ));
    }
    out
}

/// `namespace_policy.go`: the Roles, then the RoleBindings, the apiserver keeps in the `kube-`
/// namespaces, as its golden files list them (by namespace, then name). Rules are those of
/// 1.33: the leader-locking roles still carry the configmap lock rules (dropped in 1.35) next
/// to leases and coordinated leader election's leasecandidates (1.31).
pub fn namespace_objects() -> Vec<(&'static str, Value)> {
    let read = &["get", "list", "watch"];
    let lock = &["create", "get", "list", "update", "watch"];
    let leader_locking = |component: &str| {
        vec![
            r(&["watch"], &[""], &["configmaps"]),
            r(&["get", "update"], &[""], &["configmaps"]).names(&[component]),
            r(lock, &["coordination.k8s.io"], &["leases"]),
            r(lock, &["coordination.k8s.io"], &["leasecandidates"]),
        ]
    };
    let kcm = Subject::user(KUBE_CONTROLLER_MANAGER_USER);
    let scheduler = Subject::user("system:kube-scheduler");
    let sa = |name: &str| Subject::service_account("kube-system", name);
    vec![
        namespace_role(
            "kube-public",
            "system:controller:bootstrap-signer",
            vec![
                r(read, &[""], &["configmaps"]),
                r(&["update"], &[""], &["configmaps"]).names(&["cluster-info"]),
                events_rule(),
            ],
        ),
        namespace_role(
            "kube-system",
            "extension-apiserver-authentication-reader",
            vec![r(read, &[""], &["configmaps"]).names(&["extension-apiserver-authentication"])],
        ),
        namespace_role(
            "kube-system",
            "system::leader-locking-kube-controller-manager",
            leader_locking("kube-controller-manager"),
        ),
        namespace_role(
            "kube-system",
            "system::leader-locking-kube-scheduler",
            leader_locking("kube-scheduler"),
        ),
        namespace_role(
            "kube-system",
            "system:controller:bootstrap-signer",
            vec![r(read, &[""], &["secrets"])],
        ),
        namespace_role(
            "kube-system",
            "system:controller:cloud-provider",
            vec![r(
                &["create", "get", "list", "watch"],
                &[""],
                &["configmaps"],
            )],
        ),
        namespace_role(
            "kube-system",
            "system:controller:token-cleaner",
            vec![
                r(&["delete", "get", "list", "watch"], &[""], &["secrets"]),
                events_rule(),
            ],
        ),
        namespace_binding(
            "kube-public",
            "system:controller:bootstrap-signer",
            "system:controller:bootstrap-signer",
            vec![sa("bootstrap-signer")],
        ),
        namespace_binding(
            "kube-system",
            "system::extension-apiserver-authentication-reader",
            "extension-apiserver-authentication-reader",
            vec![kcm.clone(), scheduler.clone()],
        ),
        namespace_binding(
            "kube-system",
            "system::leader-locking-kube-controller-manager",
            "system::leader-locking-kube-controller-manager",
            vec![
                kcm,
                sa("kube-controller-manager"),
                sa("leader-election-controller"),
            ],
        ),
        namespace_binding(
            "kube-system",
            "system::leader-locking-kube-scheduler",
            "system::leader-locking-kube-scheduler",
            vec![scheduler, sa("kube-scheduler")],
        ),
        namespace_binding(
            "kube-system",
            "system:controller:bootstrap-signer",
            "system:controller:bootstrap-signer",
            vec![sa("bootstrap-signer")],
        ),
        namespace_binding(
            "kube-system",
            "system:controller:cloud-provider",
            "system:controller:cloud-provider",
            vec![sa("cloud-provider")],
        ),
        namespace_binding(
            "kube-system",
            "system:controller:token-cleaner",
            "system:controller:token-cleaner",
            vec![sa("token-cleaner")],
        ),
    ]
}

fn namespaced_meta(namespace: &str, name: &str) -> Value {
    let mut meta = bootstrap_meta(name, &[]);
    meta["namespace"] = json!(namespace);
    meta
}

fn namespace_role(namespace: &str, name: &str, rules: Vec<PolicyRule>) -> (&'static str, Value) {
    (
        "roles",
        json!({"apiVersion": API_VERSION, "kind": "Role", "metadata": namespaced_meta(namespace, name), "rules": rules}),
    )
}

fn namespace_binding(
    namespace: &str,
    name: &str,
    role: &str,
    subjects: Vec<Subject>,
) -> (&'static str, Value) {
    (
        "rolebindings",
        json!({"apiVersion": API_VERSION, "kind": "RoleBinding", "metadata": namespaced_meta(namespace, name),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
               "subjects": subjects}),
    )
}

/// An [`super::rbac::Rbac`] loaded with [`default_objects`] and [`namespace_objects`] (for
/// tests and tools).
pub fn default_rbac(kubeadm: bool) -> super::rbac::Rbac {
    let mut rbac = super::rbac::Rbac::new();
    for (res, obj) in default_objects(kubeadm)
        .into_iter()
        .chain(namespace_objects())
    {
        let meta = &obj["metadata"];
        let name = meta["name"].as_str().unwrap_or_default().to_string();
        let namespace = meta["namespace"].as_str().unwrap_or_default().to_string();
        rbac.on_write(res, &namespace, &name, Some(&obj));
    }
    rbac
}
