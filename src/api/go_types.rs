//! The Go structs of the served kinds other than CertificateSigningRequest (whose struct is
//! `api::csr::go_types::CSR`), for what the apiserver's JSON decoding does with a body: type
//! errors, unknown fields (`fieldValidation`), and dropping those fields (they are not in the
//! Go struct, so they are never stored). Field sets from `k8s.io/api` `rbac/v1` and `core/v1`.

use super::gojson::{GoStruct, GoType, OBJECT_META, STRING};

const STRINGS: GoType = GoType::List("[]string", &STRING);

const POLICY_RULE: GoStruct = GoStruct {
    name: "PolicyRule",
    go: "v1.PolicyRule",
    fields: &[
        ("verbs", STRINGS),
        ("apiGroups", STRINGS),
        ("resources", STRINGS),
        ("resourceNames", STRINGS),
        ("nonResourceURLs", STRINGS),
    ],
};
const RULES: GoType = GoType::List("[]v1.PolicyRule", &GoType::Struct(&POLICY_RULE));

const LABEL_SELECTOR_REQUIREMENT: GoStruct = GoStruct {
    name: "LabelSelectorRequirement",
    go: "v1.LabelSelectorRequirement",
    fields: &[
        ("key", STRING),
        ("operator", GoType::Str("v1.LabelSelectorOperator")),
        ("values", STRINGS),
    ],
};
const LABEL_SELECTOR: GoStruct = GoStruct {
    name: "LabelSelector",
    go: "v1.LabelSelector",
    fields: &[
        ("matchLabels", GoType::Map("map[string]string", &STRING)),
        (
            "matchExpressions",
            GoType::List(
                "[]v1.LabelSelectorRequirement",
                &GoType::Struct(&LABEL_SELECTOR_REQUIREMENT),
            ),
        ),
    ],
};
const AGGREGATION_RULE: GoStruct = GoStruct {
    name: "AggregationRule",
    go: "v1.AggregationRule",
    fields: &[(
        "clusterRoleSelectors",
        GoType::List("[]v1.LabelSelector", &GoType::Struct(&LABEL_SELECTOR)),
    )],
};

/// `rbacv1.Role`.
pub static ROLE: GoStruct = GoStruct {
    name: "Role",
    go: "v1.Role",
    fields: &[("metadata", GoType::Struct(&OBJECT_META)), ("rules", RULES)],
};

/// `rbacv1.ClusterRole`.
pub static CLUSTER_ROLE: GoStruct = GoStruct {
    name: "ClusterRole",
    go: "v1.ClusterRole",
    fields: &[
        ("metadata", GoType::Struct(&OBJECT_META)),
        ("rules", RULES),
        ("aggregationRule", GoType::Struct(&AGGREGATION_RULE)),
    ],
};

const SUBJECT: GoStruct = GoStruct {
    name: "Subject",
    go: "v1.Subject",
    fields: &[
        ("kind", STRING),
        ("apiGroup", STRING),
        ("name", STRING),
        ("namespace", STRING),
    ],
};
const ROLE_REF: GoStruct = GoStruct {
    name: "RoleRef",
    go: "v1.RoleRef",
    fields: &[("apiGroup", STRING), ("kind", STRING), ("name", STRING)],
};
const BINDING_FIELDS: &[(&str, GoType)] = &[
    ("metadata", GoType::Struct(&OBJECT_META)),
    (
        "subjects",
        GoType::List("[]v1.Subject", &GoType::Struct(&SUBJECT)),
    ),
    ("roleRef", GoType::Struct(&ROLE_REF)),
];

/// `rbacv1.RoleBinding`.
pub static ROLE_BINDING: GoStruct = GoStruct {
    name: "RoleBinding",
    go: "v1.RoleBinding",
    fields: BINDING_FIELDS,
};

/// `rbacv1.ClusterRoleBinding`.
pub static CLUSTER_ROLE_BINDING: GoStruct = GoStruct {
    name: "ClusterRoleBinding",
    go: "v1.ClusterRoleBinding",
    fields: BINDING_FIELDS,
};

/// `corev1.Secret`.
pub static SECRET: GoStruct = GoStruct {
    name: "Secret",
    go: "v1.Secret",
    fields: &[
        ("metadata", GoType::Struct(&OBJECT_META)),
        ("immutable", GoType::Bool),
        ("data", GoType::Map("map[string][]uint8", &GoType::Bytes)),
        ("stringData", GoType::Map("map[string]string", &STRING)),
        ("type", GoType::Str("v1.SecretType")),
    ],
};

const NAMESPACE_CONDITION: GoStruct = GoStruct {
    name: "NamespaceCondition",
    go: "v1.NamespaceCondition",
    fields: &[
        ("type", GoType::Str("v1.NamespaceConditionType")),
        ("status", GoType::Str("v1.ConditionStatus")),
        ("lastTransitionTime", GoType::Opaque),
        ("reason", STRING),
        ("message", STRING),
    ],
};
const NAMESPACE_SPEC: GoStruct = GoStruct {
    name: "NamespaceSpec",
    go: "v1.NamespaceSpec",
    fields: &[(
        "finalizers",
        GoType::List("[]v1.FinalizerName", &GoType::Str("v1.FinalizerName")),
    )],
};
const NAMESPACE_STATUS: GoStruct = GoStruct {
    name: "NamespaceStatus",
    go: "v1.NamespaceStatus",
    fields: &[
        ("phase", GoType::Str("v1.NamespacePhase")),
        (
            "conditions",
            GoType::List(
                "[]v1.NamespaceCondition",
                &GoType::Struct(&NAMESPACE_CONDITION),
            ),
        ),
    ],
};

/// `corev1.Namespace`.
pub static NAMESPACE: GoStruct = GoStruct {
    name: "Namespace",
    go: "v1.Namespace",
    fields: &[
        ("metadata", GoType::Struct(&OBJECT_META)),
        ("spec", GoType::Struct(&NAMESPACE_SPEC)),
        ("status", GoType::Struct(&NAMESPACE_STATUS)),
    ],
};

/// The Go struct a stored resource's bodies decode into (`None` for the access reviews).
pub fn for_resource(resource: &str) -> Option<&'static GoStruct> {
    Some(match resource {
        "certificatesigningrequests" => &super::csr::go_types::CSR,
        "roles" => &ROLE,
        "clusterroles" => &CLUSTER_ROLE,
        "rolebindings" => &ROLE_BINDING,
        "clusterrolebindings" => &CLUSTER_ROLE_BINDING,
        "secrets" => &SECRET,
        "namespaces" => &NAMESPACE,
        _ => return None,
    })
}
