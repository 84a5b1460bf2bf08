//! The resource types csrsim serves: what discovery lists and what the core stores.

/// Static description of one served resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub group: &'static str,
    pub version: &'static str,
    pub resource: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub list_kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Objects of this resource are kept in the store (reviews are not).
    pub stored: bool,
}

const CRUD: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Kinds discovery lists without csrsim storing any: every list is empty, a get or delete is a
/// 404 and the other writes are refused (405), so that `create role --resource=pods`, `get pods`, `describe`,
/// `explain pods` and `get all` work as against a cluster with no workloads (`describe
/// namespace` shows no resource quota and no LimitRange, as it lists them), and `kubectl
/// apply --prune` finds every kind of its default allowlist (`kubectl/pkg/util/prune`:
/// without one it refuses to prune at all, `no matches for kind "ConfigMap" in version "v1"`).
/// Names, short names and scopes as `api/discovery/api__v1.json`, `apis__apps__v1.json`, ….
/// HorizontalPodAutoscalers at autoscaling/v2, their preferred version.
const HPA_V2: ResourceInfo = listed_only_at(
    "autoscaling",
    "v2",
    "horizontalpodautoscalers",
    "horizontalpodautoscaler",
    "HorizontalPodAutoscaler",
    "HorizontalPodAutoscalerList",
    true,
    &["hpa"],
);

pub const LISTED_ONLY: &[ResourceInfo] = &[
    listed_only(
        "",
        "configmaps",
        "configmap",
        "ConfigMap",
        "ConfigMapList",
        true,
        &["cm"],
    ),
    listed_only(
        "",
        "endpoints",
        "endpoints",
        "Endpoints",
        "EndpointsList",
        true,
        &["ep"],
    ),
    listed_only("", "events", "event", "Event", "EventList", true, &["ev"]),
    listed_only(
        "",
        "limitranges",
        "limitrange",
        "LimitRange",
        "LimitRangeList",
        true,
        &["limits"],
    ),
    listed_only(
        "",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        "PersistentVolumeClaimList",
        true,
        &["pvc"],
    ),
    listed_only(
        "",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        "PersistentVolumeList",
        false,
        &["pv"],
    ),
    listed_only("", "pods", "pod", "Pod", "PodList", true, &["po"]),
    listed_only(
        "",
        "replicationcontrollers",
        "replicationcontroller",
        "ReplicationController",
        "ReplicationControllerList",
        true,
        &["rc"],
    ),
    listed_only(
        "",
        "resourcequotas",
        "resourcequota",
        "ResourceQuota",
        "ResourceQuotaList",
        true,
        &["quota"],
    ),
    listed_only(
        "",
        "services",
        "service",
        "Service",
        "ServiceList",
        true,
        &["svc"],
    ),
    listed_only(
        "apps",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        "DaemonSetList",
        true,
        &["ds"],
    ),
    listed_only(
        "apps",
        "deployments",
        "deployment",
        "Deployment",
        "DeploymentList",
        true,
        &["deploy"],
    ),
    listed_only(
        "apps",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        "ReplicaSetList",
        true,
        &["rs"],
    ),
    listed_only(
        "apps",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        "StatefulSetList",
        true,
        &["sts"],
    ),
    // autoscaling: v2 is the preferred version (listed first), v1 still served
    // (`api/discovery/apis__autoscaling.json`).
    HPA_V2,
    ResourceInfo {
        version: "v1",
        ..HPA_V2
    },
    listed_only(
        "batch",
        "cronjobs",
        "cronjob",
        "CronJob",
        "CronJobList",
        true,
        &["cj"],
    ),
    listed_only("batch", "jobs", "job", "Job", "JobList", true, &[]),
    listed_only(
        "networking.k8s.io",
        "ingresses",
        "ingress",
        "Ingress",
        "IngressList",
        true,
        &["ing"],
    ),
];

const fn listed_only(
    group: &'static str,
    resource: &'static str,
    singular: &'static str,
    kind: &'static str,
    list_kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> ResourceInfo {
    listed_only_at(
        group,
        "v1",
        resource,
        singular,
        kind,
        list_kind,
        namespaced,
        short_names,
    )
}

#[allow(clippy::too_many_arguments)]
const fn listed_only_at(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    singular: &'static str,
    kind: &'static str,
    list_kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
) -> ResourceInfo {
    ResourceInfo {
        group,
        version,
        resource,
        singular,
        kind,
        list_kind,
        namespaced,
        short_names,
        verbs: CRUD,
        stored: false,
    }
}

/// A listed-only kind (see [`LISTED_ONLY`]) by group and plural name (its preferred version).
pub fn find_listed_only(group: &str, resource: &str) -> Option<&'static ResourceInfo> {
    LISTED_ONLY
        .iter()
        .find(|r| r.group == group && r.resource == resource)
}

/// A listed-only kind at one group version.
pub fn find_listed_only_at(
    group: &str,
    version: &str,
    resource: &str,
) -> Option<&'static ResourceInfo> {
    LISTED_ONLY
        .iter()
        .find(|r| r.group == group && r.version == version && r.resource == resource)
}

/// The version a kind is stored at, whose group/version/kind its discovery
/// `storageVersionHash` is derived from in every version that serves it: autoscaling/v2 for
/// HorizontalPodAutoscalers (`api/discovery/apis__autoscaling__v1.json` and `…__v2.json`
/// have the same hash).
pub fn storage_version(r: &ResourceInfo) -> &'static str {
    match (r.group, r.resource) {
        ("autoscaling", "horizontalpodautoscalers") => "v2",
        _ => r.version,
    }
}

/// Discovery's `categories` of a kind: `all` for the workload kinds (`kubectl get all`).
pub fn categories(r: &ResourceInfo) -> &'static [&'static str] {
    match (r.group, r.resource) {
        ("", "pods" | "replicationcontrollers" | "services")
        | ("apps", "daemonsets" | "deployments" | "replicasets" | "statefulsets")
        | ("autoscaling", "horizontalpodautoscalers")
        | ("batch", "cronjobs" | "jobs") => &["all"],
        _ => &[],
    }
}
/// Namespaces: the namespace REST storage has no DeleteCollection
/// (`api/discovery/api__v1.json`), so `DELETE /api/v1/namespaces` is a 405.
const NAMESPACE_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const CREATE_ONLY: &[&str] = &["create"];

pub const CSR: ResourceInfo = ResourceInfo {
    group: "certificates.k8s.io",
    version: "v1",
    resource: "certificatesigningrequests",
    singular: "certificatesigningrequest",
    kind: "CertificateSigningRequest",
    list_kind: "CertificateSigningRequestList",
    namespaced: false,
    short_names: &["csr"],
    verbs: CRUD,
    stored: true,
};

pub const ALL: &[ResourceInfo] = &[
    CSR,
    ResourceInfo {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "roles",
        singular: "role",
        kind: "Role",
        list_kind: "RoleList",
        namespaced: true,
        short_names: &[],
        verbs: CRUD,
        stored: true,
    },
    ResourceInfo {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "rolebindings",
        singular: "rolebinding",
        kind: "RoleBinding",
        list_kind: "RoleBindingList",
        namespaced: true,
        short_names: &[],
        verbs: CRUD,
        stored: true,
    },
    ResourceInfo {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterroles",
        singular: "clusterrole",
        kind: "ClusterRole",
        list_kind: "ClusterRoleList",
        namespaced: false,
        short_names: &[],
        verbs: CRUD,
        stored: true,
    },
    ResourceInfo {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        resource: "clusterrolebindings",
        singular: "clusterrolebinding",
        kind: "ClusterRoleBinding",
        list_kind: "ClusterRoleBindingList",
        namespaced: false,
        short_names: &[],
        verbs: CRUD,
        stored: true,
    },
    ResourceInfo {
        group: "",
        version: "v1",
        resource: "secrets",
        singular: "secret",
        kind: "Secret",
        list_kind: "SecretList",
        namespaced: true,
        short_names: &[],
        verbs: CRUD,
        stored: true,
    },
    ResourceInfo {
        group: "",
        version: "v1",
        resource: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        list_kind: "NamespaceList",
        namespaced: false,
        short_names: &["ns"],
        verbs: NAMESPACE_VERBS,
        stored: true,
    },
    ResourceInfo {
        group: "authorization.k8s.io",
        version: "v1",
        resource: "subjectaccessreviews",
        singular: "subjectaccessreview",
        kind: "SubjectAccessReview",
        list_kind: "",
        namespaced: false,
        short_names: &[],
        verbs: CREATE_ONLY,
        stored: false,
    },
    ResourceInfo {
        group: "authorization.k8s.io",
        version: "v1",
        resource: "localsubjectaccessreviews",
        singular: "localsubjectaccessreview",
        kind: "LocalSubjectAccessReview",
        list_kind: "",
        namespaced: true,
        short_names: &[],
        verbs: CREATE_ONLY,
        stored: false,
    },
    ResourceInfo {
        group: "authorization.k8s.io",
        version: "v1",
        resource: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        kind: "SelfSubjectAccessReview",
        list_kind: "",
        namespaced: false,
        short_names: &[],
        verbs: CREATE_ONLY,
        stored: false,
    },
    ResourceInfo {
        group: "authorization.k8s.io",
        version: "v1",
        resource: "selfsubjectrulesreviews",
        singular: "selfsubjectrulesreview",
        kind: "SelfSubjectRulesReview",
        list_kind: "",
        namespaced: false,
        short_names: &[],
        verbs: CREATE_ONLY,
        stored: false,
    },
    ResourceInfo {
        group: "authentication.k8s.io",
        version: "v1",
        resource: "selfsubjectreviews",
        singular: "selfsubjectreview",
        kind: "SelfSubjectReview",
        list_kind: "",
        namespaced: false,
        short_names: &[],
        verbs: CREATE_ONLY,
        stored: false,
    },
    // `pkg/registry/authentication/tokenreview`: the request authenticator's answer for a token.
    ResourceInfo {
        group: "authentication.k8s.io",
        version: "v1",
        resource: "tokenreviews",
        singular: "tokenreview",
        kind: "TokenReview",
        list_kind: "",
        namespaced: false,
        short_names: &[],
        verbs: CREATE_ONLY,
        stored: false,
    },
];

/// Look a resource up by group and plural name.
pub fn find(group: &str, resource: &str) -> Option<&'static ResourceInfo> {
    ALL.iter()
        .find(|r| r.group == group && r.resource == resource)
}

/// Look a resource up by group and kind.
pub fn find_kind(group: &str, kind: &str) -> Option<&'static ResourceInfo> {
    ALL.iter().find(|r| r.group == group && r.kind == kind)
}

impl ResourceInfo {
    /// `certificates.k8s.io/v1` or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    pub fn group_resource(&self) -> super::status::GroupResource {
        super::status::GroupResource::new(self.group, self.resource)
    }

    /// The object of a BOOKMARK watch event: the watch cache's empty object of this kind
    /// (`newFunc()`) with only the resourceVersion set, as Go's `encoding/json` writes it —
    /// struct fields without `omitempty` are there with their zero values (`null` for nil
    /// slices and the zero `creationTimestamp`, `""` for strings, `{}` for structs).
    pub fn bookmark_object(&self, rv: u64) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("kind".into(), self.kind.into());
        o.insert("apiVersion".into(), self.api_version().into());
        o.insert(
            "metadata".into(),
            serde_json::json!({"resourceVersion": rv.to_string(), "creationTimestamp": null}),
        );
        let zero = match self.kind {
            "CertificateSigningRequest" => {
                serde_json::json!({"spec": {"request": null, "signerName": ""}, "status": {}})
            }
            "Role" | "ClusterRole" => serde_json::json!({"rules": null}),
            "RoleBinding" | "ClusterRoleBinding" => {
                serde_json::json!({"roleRef": {"apiGroup": "", "kind": "", "name": ""}})
            }
            "Namespace" => serde_json::json!({"spec": {}, "status": {}}),
            _ => serde_json::json!({}),
        };
        if let serde_json::Value::Object(m) = zero {
            o.extend(m);
        }
        serde_json::Value::Object(o)
    }
}

/// The `storageVersionHash` discovery shows for a stored resource (k8s.io/apiserver
/// `endpoints/discovery.StorageVersionHash`): the first 8 bytes of the SHA-256 of
/// `<group>/<version>/<kind>` of its storage version, standard base64. Every resource here is
/// stored in the version it is served in.
pub fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    if kind.is_empty() {
        return String::new();
    }
    let sum = sha2::Sha256::digest(format!("{group}/{version}/{kind}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&sum[..8])
}

#[cfg(test)]
mod storage_hash_tests {
    use super::*;

    /// The hash is derived, not copied; the expected strings are the ones a kube-apiserver
    /// serves (`kubectl get --raw /apis/certificates.k8s.io/v1`, `/api/v1`), recomputed here
    /// from their definition (sha256 of `g/v/K`, 8 bytes, base64) by the test itself.
    #[test]
    fn derived_from_group_version_kind() {
        use base64::Engine;
        use sha2::Digest;
        for (g, v, k) in [
            ("certificates.k8s.io", "v1", "CertificateSigningRequest"),
            ("", "v1", "Pod"),
            ("", "v1", "Secret"),
            ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
        ] {
            let full = sha2::Sha256::digest(format!("{g}/{v}/{k}"));
            let want = base64::engine::general_purpose::STANDARD.encode(&full[..8]);
            assert_eq!(storage_version_hash(g, v, k), want);
            assert_eq!(want.len(), 12);
        }
        assert_eq!(
            storage_version_hash("certificates.k8s.io", "v1", "CertificateSigningRequest"),
            "95fRKMXA+00="
        );
        assert_eq!(storage_version_hash("", "v1", "Pod"), "xPOwRZ+Yhw8=");
        assert_eq!(storage_version_hash("", "v1", ""), "");
    }
}
