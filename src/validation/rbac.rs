//! The content rules of RBAC objects (`pkg/apis/rbac/validation/validation.go`) and the v1
//! defaults they are checked after (`pkg/apis/rbac/v1/defaults.go`). The ObjectMeta rules and
//! the privilege-escalation check live elsewhere (`validation::meta`, `auth::escalation`).
//!
//! Rules, in upstream's order:
//! - a policy rule needs `verbs`; a rule with `nonResourceURLs` may not be namespaced (Role)
//!   nor name API groups, resources or resource names; otherwise it needs `apiGroups` and
//!   `resources`, and `resourceNames` only with a single resource;
//! - a ClusterRole's `aggregationRule` needs at least one selector;
//! - a binding's `roleRef` is in `rbac.authorization.k8s.io`, names a Role or ClusterRole
//!   (only ClusterRole for a ClusterRoleBinding) by a path-segment name, and cannot change;
//! - a subject has a name and a known kind: a ServiceAccount has a DNS-subdomain name, no API
//!   group, and a namespace in a ClusterRoleBinding; a User or Group is in
//!   `rbac.authorization.k8s.io` (which the defaults fill in when empty).

use super::field::{quote, FieldError};
use super::names;
use serde_json::Value;

/// `rbac.GroupName`.
pub const GROUP: &str = "rbac.authorization.k8s.io";

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Go's `%#v` of a `[]string`.
fn go_strings(list: &[String]) -> String {
    let items: Vec<String> = list.iter().map(|s| quote(s)).collect();
    format!("[]string{{{}}}", items.join(", "))
}

/// `SetDefaults_RoleBinding`/`_ClusterRoleBinding` and `SetDefaults_Subject`: an empty
/// `roleRef.apiGroup` is the RBAC group; an empty subject `apiGroup` is the RBAC group for
/// User and Group (and stays empty for ServiceAccount).
pub fn set_defaults(resource: &str, obj: &mut Value) {
    if !matches!(resource, "rolebindings" | "clusterrolebindings") {
        return;
    }
    if let Some(rr) = obj.get_mut("roleRef").and_then(Value::as_object_mut) {
        if rr
            .get("apiGroup")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            rr.insert("apiGroup".into(), GROUP.into());
        }
    }
    for s in obj
        .get_mut("subjects")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
    {
        let empty = s
            .get("apiGroup")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty();
        let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
        if empty && matches!(kind, "User" | "Group") {
            s.insert("apiGroup".into(), GROUP.into());
        }
    }
}

/// The content errors of a Role, ClusterRole, RoleBinding or ClusterRoleBinding (none for
/// other resources), after the ObjectMeta errors in upstream's lists.
pub fn validate(resource: &str, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match resource {
        "roles" | "clusterroles" => {
            let namespaced = resource == "roles";
            for (i, rule) in obj
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                policy_rule(rule, namespaced, &format!("rules[{i}]"), &mut errs);
            }
            if resource == "clusterroles" {
                if let Some(agg) = obj.get("aggregationRule").filter(|a| !a.is_null()) {
                    let none = agg
                        .get("clusterRoleSelectors")
                        .and_then(Value::as_array)
                        .is_none_or(|a| a.is_empty());
                    if none {
                        errs.push(FieldError::required(
                            "aggregationRule.clusterRoleSelectors",
                            "at least one clusterRoleSelector required if aggregationRule is non-nil",
                        ));
                    }
                }
            }
        }
        "rolebindings" | "clusterrolebindings" => {
            let namespaced = resource == "rolebindings";
            let rr = obj.get("roleRef").unwrap_or(&Value::Null);
            let group = text(rr, "apiGroup");
            if group != GROUP {
                errs.push(FieldError::not_supported(
                    "roleRef.apiGroup",
                    group,
                    &[GROUP],
                ));
            }
            let kind = text(rr, "kind");
            let kinds: &[&str] = if namespaced {
                &["Role", "ClusterRole"]
            } else {
                &["ClusterRole"]
            };
            if !kinds.contains(&kind) {
                errs.push(FieldError::not_supported("roleRef.kind", kind, kinds));
            }
            let name = text(rr, "name");
            if name.is_empty() {
                errs.push(FieldError::required("roleRef.name", ""));
            } else {
                errs.extend(
                    names::path_segment_name(name)
                        .into_iter()
                        .map(|m| FieldError::invalid("roleRef.name", name, m)),
                );
            }
            for (i, s) in obj
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                subject(s, namespaced, &format!("subjects[{i}]"), &mut errs);
            }
        }
        _ => {}
    }
    errs
}

/// `ValidateRoleBindingUpdate`'s own rule (after the create rules and the ObjectMeta update
/// rules): the roleRef is immutable.
pub fn validate_update(resource: &str, obj: &Value, old: &Value) -> Vec<FieldError> {
    if !matches!(resource, "rolebindings" | "clusterrolebindings") {
        return Vec::new();
    }
    let rr = |v: &Value| {
        let r = v.get("roleRef").unwrap_or(&Value::Null);
        (
            text(r, "apiGroup").to_string(),
            text(r, "kind").to_string(),
            text(r, "name").to_string(),
        )
    };
    let (g, k, n) = rr(obj);
    if (g.clone(), k.clone(), n.clone()) == rr(old) {
        return Vec::new();
    }
    vec![FieldError::invalid_raw(
        "roleRef",
        format!(
            "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
            quote(&g),
            quote(&k),
            quote(&n)
        ),
        "cannot change roleRef",
    )]
}

fn policy_rule(rule: &Value, namespaced: bool, path: &str, errs: &mut Vec<FieldError>) {
    if strings(rule, "verbs").is_empty() {
        errs.push(FieldError::required(
            format!("{path}.verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = strings(rule, "nonResourceURLs");
    let groups = strings(rule, "apiGroups");
    let resources = strings(rule, "resources");
    let names = strings(rule, "resourceNames");
    if !urls.is_empty() {
        if namespaced {
            errs.push(FieldError::invalid_raw(
                format!("{path}.nonResourceURLs"),
                go_strings(&urls),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if !groups.is_empty() || !resources.is_empty() || !names.is_empty() {
            errs.push(FieldError::invalid_raw(
                format!("{path}.nonResourceURLs"),
                go_strings(&urls),
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    if groups.is_empty() {
        errs.push(FieldError::required(
            format!("{path}.apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if resources.is_empty() {
        errs.push(FieldError::required(
            format!("{path}.resources"),
            "resource rules must supply at least one resource",
        ));
    }
    if !names.is_empty() && resources.len() > 1 {
        errs.push(FieldError::required(
            format!("{path}.resourceNames"),
            "resource names cannot apply to multiple resources",
        ));
    }
}

fn subject(s: &Value, namespaced: bool, path: &str, errs: &mut Vec<FieldError>) {
    let name = text(s, "name");
    let group = text(s, "apiGroup");
    if name.is_empty() {
        errs.push(FieldError::required(format!("{path}.name"), ""));
    }
    match text(s, "kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                errs.extend(
                    names::dns1123_subdomain(name)
                        .into_iter()
                        .map(|m| FieldError::invalid(format!("{path}.name"), name, m)),
                );
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(
                    format!("{path}.apiGroup"),
                    group,
                    &[""],
                ));
            }
            if !namespaced && text(s, "namespace").is_empty() {
                errs.push(FieldError::required(format!("{path}.namespace"), ""));
            }
        }
        k @ ("User" | "Group") => {
            if name.is_empty() {
                let what = if k == "User" { "user" } else { "group" };
                errs.push(FieldError::invalid(
                    format!("{path}.name"),
                    name,
                    format!("{what} name cannot be empty"),
                ));
            }
            if group != GROUP {
                errs.push(FieldError::not_supported(
                    format!("{path}.apiGroup"),
                    group,
                    &[GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            format!("{path}.kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    /// `validatePolicyRule`, one row per rule, with upstream's texts.
    #[test]
    fn policy_rules() {
        let cases: &[(&str, Value, &[&str])] = &[
            (
                "roles",
                json!({"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}),
                &[],
            ),
            (
                "roles",
                json!({"apiGroups": [""], "resources": ["secrets"]}),
                &["rules[0].verbs: Required value: verbs must contain at least one value"],
            ),
            (
                "roles",
                json!({"verbs": ["get"]}),
                &[
                    "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                    "rules[0].resources: Required value: resource rules must supply at least one resource",
                ],
            ),
            (
                "roles",
                json!({"verbs": ["get"], "nonResourceURLs": ["/healthz"]}),
                &[r#"rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs"#],
            ),
            (
                "clusterroles",
                json!({"verbs": ["get"], "nonResourceURLs": ["/healthz"]}),
                &[],
            ),
            (
                "clusterroles",
                json!({"verbs": ["get"], "nonResourceURLs": ["/a", "/b"], "resources": ["pods"]}),
                &[r#"rules[0].nonResourceURLs: Invalid value: []string{"/a", "/b"}: rules cannot apply to both regular resources and non-resource URLs"#],
            ),
            (
                "clusterroles",
                json!({"verbs": ["get"], "apiGroups": [""], "resources": ["pods", "secrets"], "resourceNames": ["x"]}),
                &["rules[0].resourceNames: Required value: resource names cannot apply to multiple resources"],
            ),
        ];
        for (resource, rule, want) in cases {
            let got = texts(&validate(resource, &json!({"rules": [rule]})));
            assert_eq!(got, *want, "{resource} {rule}");
        }
    }

    #[test]
    fn aggregation_rule_needs_a_selector() {
        let errs = validate(
            "clusterroles",
            &json!({"aggregationRule": {"clusterRoleSelectors": []}}),
        );
        assert_eq!(
            texts(&errs),
            ["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"]
        );
        let ok =
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}});
        assert!(validate("clusterroles", &ok).is_empty());
    }

    /// `ValidateRoleBinding`/`ValidateClusterRoleBinding` and `validateRoleBindingSubject`,
    /// after the v1 defaults.
    #[test]
    fn bindings_and_subjects() {
        let rr = json!({"apiGroup": GROUP, "kind": "Role", "name": "r"});
        let cases: &[(&str, Value, Value, &[&str])] = &[
            (
                "rolebindings",
                rr.clone(),
                json!({"kind": "User", "name": "u"}),
                &[],
            ),
            (
                "clusterrolebindings",
                rr.clone(),
                json!({"kind": "Group", "name": "g"}),
                &[r#"roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole""#],
            ),
            (
                "rolebindings",
                json!({"apiGroup": "x", "kind": "Other", "name": ""}),
                json!({"kind": "Robot", "name": "u"}),
                &[
                    r#"roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io""#,
                    r#"roleRef.kind: Unsupported value: "Other": supported values: "Role", "ClusterRole""#,
                    "roleRef.name: Required value",
                    r#"subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group""#,
                ],
            ),
            (
                "rolebindings",
                json!({"apiGroup": GROUP, "kind": "Role", "name": "a/b"}),
                json!({"kind": "User", "name": "", "apiGroup": "v1"}),
                &[
                    r#"roleRef.name: Invalid value: "a/b": may not contain '/'"#,
                    "subjects[0].name: Required value",
                    r#"subjects[0].name: Invalid value: "": user name cannot be empty"#,
                    r#"subjects[0].apiGroup: Unsupported value: "v1": supported values: "rbac.authorization.k8s.io""#,
                ],
            ),
            (
                "clusterrolebindings",
                json!({"apiGroup": GROUP, "kind": "ClusterRole", "name": "c"}),
                json!({"kind": "ServiceAccount", "name": "Bad_Name", "apiGroup": GROUP}),
                &[
                    r#"subjects[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                    r#"subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: """#,
                    "subjects[0].namespace: Required value",
                ],
            ),
        ];
        for (resource, rr, subj, want) in cases {
            let mut obj = json!({"roleRef": rr, "subjects": [subj]});
            set_defaults(resource, &mut obj);
            assert_eq!(texts(&validate(resource, &obj)), *want, "{resource} {obj}");
        }
    }

    #[test]
    fn defaults_fill_the_rbac_group() {
        let mut obj = json!({"roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "u"}, {"kind": "Group", "name": "g"},
                         {"kind": "ServiceAccount", "name": "s", "namespace": "n"}]});
        set_defaults("rolebindings", &mut obj);
        assert_eq!(obj["roleRef"]["apiGroup"], GROUP);
        assert_eq!(obj["subjects"][0]["apiGroup"], GROUP);
        assert_eq!(obj["subjects"][1]["apiGroup"], GROUP);
        assert!(obj["subjects"][2].get("apiGroup").is_none());
        assert!(validate("rolebindings", &obj).is_empty());
    }

    #[test]
    fn role_ref_is_immutable() {
        let old = json!({"roleRef": {"apiGroup": GROUP, "kind": "Role", "name": "a"}});
        let new = json!({"roleRef": {"apiGroup": GROUP, "kind": "Role", "name": "b"}});
        assert_eq!(
            texts(&validate_update("rolebindings", &new, &old)),
            [
                r#"roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef"#
            ]
        );
        assert!(validate_update("rolebindings", &old, &old).is_empty());
    }
}
