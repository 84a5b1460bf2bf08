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
        verbs: CRUD,
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
}
