//! Full OpenAPI schemas of the RBAC kinds, Secret and Namespace (fields, types, required
//! fields and list types as upstream's generated definitions have them; csrsim's own
//! descriptions). Both documents use them: `/openapi/v3` for `kubectl explain`, and
//! `/openapi/v2`, where kubectl 1.20 also validates manifests against them before sending —
//! so a field missing here, or a wrong type, would refuse a valid manifest. The access
//! reviews keep top-level schemas (see [`super::openapi`]) and have no v2 definition.

use super::openapi::{object_field, schema_ref, string_field, type_meta_fields, META};
use crate::api::resources::ResourceInfo;
use serde_json::{json, Map, Value};

fn atomic_strings(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string", "default": ""},
           "description": description, "x-kubernetes-list-type": "atomic"})
}

fn atomic_list_of(schema: &str, description: &str) -> Value {
    json!({"type": "array", "items": {"allOf": [schema_ref(schema)], "default": {}},
           "description": description, "x-kubernetes-list-type": "atomic"})
}

fn kind(
    r: &ResourceInfo,
    description: &str,
    mut props: Map<String, Value>,
    required: &[&str],
) -> Value {
    let mut all = Map::new();
    type_meta_fields(&mut all);
    all.insert(
        "metadata".into(),
        object_field(&format!("{META}.ObjectMeta"), "Standard object metadata."),
    );
    all.append(&mut props);
    let mut s = json!({
        "type": "object",
        "description": description,
        "properties": all,
        "x-kubernetes-group-version-kind": [{"group": r.group, "version": r.version, "kind": r.kind}],
    });
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// The kinds with a full schema here.
pub(super) const FULL: &[&str] = &[
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Secret",
    "Namespace",
];

/// Insert the schemas of `r`'s kind (and the types it references) into `schemas`; false for
/// kinds without a full schema here.
pub(super) fn insert(r: &ResourceInfo, pkg: &str, schemas: &mut Map<String, Value>) -> bool {
    match r.kind {
        "Role" | "ClusterRole" => {
            let mut props = Map::new();
            props.insert(
                "rules".into(),
                atomic_list_of(
                    &format!("{pkg}.PolicyRule"),
                    "The PolicyRules of this role.",
                ),
            );
            if r.kind == "ClusterRole" {
                props.insert("aggregationRule".into(), object_field(&format!("{pkg}.AggregationRule"),
                    "Selects the ClusterRoles whose rules the controller manager aggregates into this one; rules are then set by the controller."));
            }
            let what = if r.kind == "Role" {
                "A namespaced set of PolicyRules, granted by a RoleBinding."
            } else {
                "A cluster-wide set of PolicyRules, granted by a RoleBinding (in its namespace) or a ClusterRoleBinding (everywhere)."
            };
            schemas.insert(format!("{pkg}.{}", r.kind), kind(r, what, props, &[]));
            rbac_types(pkg, schemas);
            true
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let mut props = Map::new();
            props.insert(
                "subjects".into(),
                atomic_list_of(
                    &format!("{pkg}.Subject"),
                    "The users, groups and service accounts the role is granted to.",
                ),
            );
            props.insert(
                "roleRef".into(),
                object_field(
                    &format!("{pkg}.RoleRef"),
                    "The Role or ClusterRole being granted. Immutable.",
                ),
            );
            let what = if r.kind == "RoleBinding" {
                "Grants the rules of a Role or ClusterRole to subjects, within the binding's namespace."
            } else {
                "Grants the rules of a ClusterRole to subjects, in every namespace and cluster-wide."
            };
            schemas.insert(
                format!("{pkg}.{}", r.kind),
                kind(r, what, props, &["roleRef"]),
            );
            rbac_types(pkg, schemas);
            true
        }
        "Secret" => {
            let mut props = Map::new();
            props.insert(
                "data".into(),
                json!({"type": "object",
                "additionalProperties": {"type": "string", "format": "byte"},
                "description": "Secret data; values are base64-encoded in JSON and YAML."}),
            );
            props.insert(
                "immutable".into(),
                json!({"type": "boolean", "description": "When true, data cannot be updated."}),
            );
            props.insert("stringData".into(), json!({"type": "object",
                "additionalProperties": {"type": "string", "default": ""},
                "description": "Write-only secret data as plain strings, merged into data on write."}));
            props.insert(
                "type".into(),
                string_field("Used to ease programmatic handling of secret data."),
            );
            schemas.insert(
                format!("{pkg}.Secret"),
                kind(r, "Holds secret data of a certain type.", props, &[]),
            );
            true
        }
        "Namespace" => {
            let mut props = Map::new();
            props.insert(
                "spec".into(),
                object_field(
                    &format!("{pkg}.NamespaceSpec"),
                    "The behaviour of the namespace.",
                ),
            );
            props.insert(
                "status".into(),
                object_field(
                    &format!("{pkg}.NamespaceStatus"),
                    "The status of the namespace.",
                ),
            );
            schemas.insert(
                format!("{pkg}.Namespace"),
                kind(r, "A scope for names.", props, &[]),
            );
            schemas.insert(format!("{pkg}.NamespaceSpec"), json!({
                "type": "object",
                "description": "The behaviour of a namespace.",
                "properties": {"finalizers": atomic_strings("Values that must be empty before the namespace is removed from storage.")},
            }));
            schemas.insert(format!("{pkg}.NamespaceStatus"), json!({
                "type": "object",
                "description": "The status of a namespace.",
                "properties": {
                    "conditions": {"type": "array",
                        "items": {"allOf": [schema_ref(&format!("{pkg}.NamespaceCondition"))], "default": {}},
                        "description": "The latest observations of the namespace's state.",
                        "x-kubernetes-list-map-keys": ["type"], "x-kubernetes-list-type": "map",
                        "x-kubernetes-patch-merge-key": "type", "x-kubernetes-patch-strategy": "merge"},
                    "phase": string_field("Active or Terminating."),
                },
            }));
            schemas.insert(format!("{pkg}.NamespaceCondition"), json!({
                "type": "object",
                "description": "One condition of a namespace.",
                "required": ["type", "status"],
                "properties": {
                    "lastTransitionTime": object_field(&format!("{META}.Time"), "When the condition last changed status."),
                    "message": string_field("A human-readable explanation of the condition."),
                    "reason": string_field("A brief machine-readable reason for the condition."),
                    "status": string_field("True, False or Unknown."),
                    "type": string_field("The type of the condition."),
                },
            }));
            true
        }
        _ => false,
    }
}

/// PolicyRule, AggregationRule, Subject and RoleRef (`rbac/v1/types.go`).
fn rbac_types(pkg: &str, schemas: &mut Map<String, Value>) {
    schemas.insert(format!("{pkg}.PolicyRule"), json!({
        "type": "object",
        "description": "Actions (verbs) allowed on resources or non-resource URLs.",
        "required": ["verbs"],
        "properties": {
            "apiGroups": atomic_strings("API groups of the resources; \"\" is the core group, \"*\" all groups."),
            "nonResourceURLs": atomic_strings("Non-resource URL paths (such as /healthz); only in ClusterRoles bound by ClusterRoleBindings. A trailing * matches a prefix."),
            "resourceNames": atomic_strings("Names of the objects the rule applies to; empty means all."),
            "resources": atomic_strings("Resources (and resource/subresource) the rule applies to; \"*\" all."),
            "verbs": atomic_strings("Verbs allowed, such as get, list, create, approve; \"*\" all."),
        },
    }));
    schemas.insert(format!("{pkg}.AggregationRule"), json!({
        "type": "object",
        "description": "How a ClusterRole is built from others.",
        "properties": {
            "clusterRoleSelectors": atomic_list_of(&format!("{META}.LabelSelector"),
                "Selectors of the ClusterRoles whose rules are aggregated; a role matching any selector is included."),
        },
    }));
    schemas.insert(format!("{pkg}.Subject"), json!({
        "type": "object",
        "description": "A user, group or service account a role is granted to.",
        "required": ["kind", "name"],
        "properties": {
            "apiGroup": string_field("rbac.authorization.k8s.io for User and Group, \"\" for ServiceAccount."),
            "kind": string_field("User, Group or ServiceAccount."),
            "name": string_field("The name of the subject."),
            "namespace": string_field("The namespace of a ServiceAccount subject."),
        },
        "x-kubernetes-map-type": "atomic",
    }));
    schemas.insert(
        format!("{pkg}.RoleRef"),
        json!({
            "type": "object",
            "description": "The role a binding grants.",
            "required": ["apiGroup", "kind", "name"],
            "properties": {
                "apiGroup": string_field("rbac.authorization.k8s.io."),
                "kind": string_field("Role or ClusterRole."),
                "name": string_field("The name of the role."),
            },
            "x-kubernetes-map-type": "atomic",
        }),
    );
    schemas.insert(format!("{META}.LabelSelector"), json!({
        "type": "object",
        "description": "A label query; the requirements of matchLabels and matchExpressions are ANDed.",
        "properties": {
            "matchExpressions": atomic_list_of(&format!("{META}.LabelSelectorRequirement"), "Requirements on label values."),
            "matchLabels": {"type": "object", "additionalProperties": {"type": "string", "default": ""},
                "description": "Labels that must have exactly these values."},
        },
        "x-kubernetes-map-type": "atomic",
    }));
    schemas.insert(format!("{META}.LabelSelectorRequirement"), json!({
        "type": "object",
        "description": "A key, an operator and values.",
        "required": ["key", "operator"],
        "properties": {
            "key": string_field("The label key."),
            "operator": string_field("In, NotIn, Exists or DoesNotExist."),
            "values": atomic_strings("Values for In and NotIn; empty for Exists and DoesNotExist."),
        },
    }));
}
